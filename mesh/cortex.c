// The cortex mesh of a brain MRI: marching cubes at the iso level, the largest
// component, Taubin smoothing, normals and optional probe scalars (see mesh.h).
#include "mesh/mesh.h"

#include "core/error.h"

#include <math.h>

cr_mesh_cortex_options cr_mesh_cortex_defaults(void) {
  cr_mesh_cortex_options o = {NAN, 5, 3.0, 0.25, CR_PROBE_MAX};
  return o;
}

int cr_mesh_build_cortex(const cr_volume *vol, const cr_mesh_cortex_options *opt, cr_mesh **out,
                         double *iso_used) {
  cr_mesh_cortex_options o = opt ? *opt : cr_mesh_cortex_defaults();
  *out = NULL;
  if (!vol || !vol->data) return cr_error(CR_EINVAL, "mesh build: no volume");
  if (o.smooth_iterations < 0 || o.probe_depth_mm < 0 ||
      (o.probe_depth_mm > 0 && !(o.probe_step_mm > 0)))
    return cr_error(
        CR_EINVAL,
        "mesh build: smoothing iterations, probe depth and step must be >= 0 (step > 0)");
  double iso = isnan(o.iso) ? cr_volume_otsu_level(vol) : o.iso;
  if (iso_used) *iso_used = iso;
  cr_mesh *m = NULL;
  int rc = cr_mesh_marching_cubes(vol, (float)iso, 1, &m);
  if (rc == CR_EEMPTY) return cr_error(CR_EEMPTY, "no surface at iso level %g in the volume", iso);
  if (!rc) rc = cr_mesh_keep_largest_component(m, NULL);
  if (!rc && o.smooth_iterations > 0)
    rc = cr_mesh_smooth_taubin(m, o.smooth_iterations, 0.5, -0.53);
  if (!rc) rc = cr_mesh_compute_normals(m);
  if (!rc && o.probe_depth_mm > 0)
    rc = cr_mesh_probe(m, vol, o.probe_depth_mm, o.probe_step_mm, o.probe_mode);
  if (rc) {
    cr_mesh_free(m);
    return rc;
  }
  *out = m;
  return 0;
}
