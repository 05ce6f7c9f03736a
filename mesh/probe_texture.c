// Per-vertex attributes from a volume (probe along the inward normal) and from a photo
// (texture of the vertices the camera sees).
#include "mesh/mesh.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>

// A probe point (world mm) in voxel coordinates, moved onto the volume's footprint (the
// voxel centres +- half a voxel) when it lies at most one voxel beyond it; 0 when further
// out. A mesh built from the volume closes on that footprint where the foreground
// touches the border, and float vertices and smoothing put it slightly outside: those
// vertices sampled nothing and got NaN, drawn as NaN pixels by the mesh probe render.
static int onto_footprint(const cr_volume *vol, const double p[3], double ijk[3]) {
  cr_volume_world_to_voxel(vol, p, ijk);
  for (int a = 0; a < 3; a++) {
    const double lo = -0.5, hi = vol->dim[a] - 0.5;
    if (!(ijk[a] >= lo - 1 && ijk[a] <= hi + 1)) return 0;
    ijk[a] = ijk[a] < lo ? lo : ijk[a] > hi ? hi : ijk[a];
  }
  return 1;
}

int cr_mesh_probe(cr_mesh *m, const cr_volume *vol, double depth_mm, double step_mm,
                  cr_mesh_probe_mode mode) {
  if (!(depth_mm >= 0) || !(step_mm > 0) || depth_mm / step_mm > 100000)
    return cr_error(CR_EINVAL, "probe: need depth >= 0 and step > 0 mm (got %g, %g)", depth_mm,
                    step_mm);
  int rc;
  if (!m->normal && (rc = cr_mesh_compute_normals(m))) return rc;
  if ((rc = cr_mesh_alloc_scalars(m))) return rc;
  int nv = m->n_vertices, nstep = (int)floor(depth_mm / step_mm + 1e-9);
#pragma omp parallel for schedule(static)
  for (int v = 0; v < nv; v++) {
    const float *x = m->xyz + 3 * (size_t)v, *n = m->normal + 3 * (size_t)v;
    double acc = mode == CR_PROBE_MAX ? -INFINITY : 0;
    int count = 0;
    for (int s = 0; s <= nstep; s++) {
      double d = s * step_mm, p[3] = {x[0] - d * n[0], x[1] - d * n[1], x[2] - d * n[2]}, ijk[3];
      if (!onto_footprint(vol, p, ijk)) continue;
      float val = cr_volume_sample_linear_ijk(vol, ijk[0], ijk[1], ijk[2], NAN);
      if (isnan(val)) continue;
      acc = mode == CR_PROBE_MAX ? fmax(acc, val) : acc + val;
      count++;
    }
    m->scalar[v] = count == 0 ? NAN : (float)(mode == CR_PROBE_MAX ? acc : acc / count);
  }
  return 0;
}

int cr_mesh_mask_at(const cr_image *mask, double x, double y) {
  long xi = lround(x), yi = lround(y);
  if (xi < 0 || yi < 0 || xi >= mask->width || yi >= mask->height) return 0;
  return cr_image_px(mask, (int)xi, (int)yi)[0] > 0;
}

int cr_mesh_texture(cr_mesh *m, const cr_image *photo, const cr_camera *cam,
                    const cr_pose *cam_from_world, double tol_mm, int *n_visible) {
  return cr_mesh_texture_masked(m, photo, NULL, cam, cam_from_world, tol_mm, n_visible);
}

int cr_mesh_texture_masked(cr_mesh *m, const cr_image *photo, const cr_image *mask,
                           const cr_camera *cam, const cr_pose *cam_from_world, double tol_mm,
                           int *n_visible) {
  if (photo->width != cam->width || photo->height != cam->height)
    return cr_error(CR_EINVAL, "texture: photo is %dx%d but the camera is %dx%d", photo->width,
                    photo->height, cam->width, cam->height);
  if (mask && (mask->width != photo->width || mask->height != photo->height))
    return cr_error(CR_EINVAL, "texture: mask is %dx%d but the photo is %dx%d", mask->width,
                    mask->height, photo->width, photo->height);
  if (photo->channels != 1 && photo->channels != 3 && photo->channels != 4)
    return cr_error(CR_EINVAL, "texture: photo has %d channels (need 1, 3 or 4)", photo->channels);
  if (!(tol_mm > 0)) return cr_error(CR_EINVAL, "texture: depth tolerance must be > 0 mm");
  int had_colour = m->rgb != NULL, rc;
  if ((rc = cr_mesh_alloc_colours(m))) return rc;
  if (!had_colour)
    for (size_t i = 0; i < 3 * (size_t)m->n_vertices; i++) m->rgb[i] = 128;
  cr_mesh_raster *r = cr_mesh_raster_new(cam->width, cam->height);
  if (!r) return CR_ENOMEM;
  cr_mesh_raster_options o = cr_mesh_raster_defaults();
  o.cull_backfaces = 0; // open patches too; the z-buffer decides
  if ((rc = cr_mesh_rasterize(r, m, cam, cam_from_world, &o))) {
    cr_mesh_raster_free(r);
    return rc;
  }
  int seen = 0;
  for (size_t v = 0; v < (size_t)m->n_vertices; v++) {
    float p[3];
    cr_mesh_raster_vertex(r, (int)v, p);
    if (p[2] <= 0) continue;
    long x = lround(p[0]), y = lround(p[1]);
    if (x < 0 || y < 0 || x >= r->width || y >= r->height) continue;
    // Occluded when the nearest surface at this pixel is clearly in front.
    float zbuf = r->depth[(size_t)y * r->width + x];
    if (isfinite(zbuf) && p[2] > zbuf + tol_mm) continue;
    // Outside the mask (bone, drapes, instruments): not cortex, keep the old colour.
    if (mask && !cr_mesh_mask_at(mask, p[0], p[1])) continue;
    for (int c = 0; c < 3; c++) {
      int pc = photo->channels == 1 ? 0 : c;
      float val = cr_image_sample(photo, p[0], p[1], pc, NAN);
      if (isnan(val)) val = cr_image_px(photo, (int)x, (int)y)[pc];
      m->rgb[3 * v + c] = (uint8_t)lround(fmin(255, fmax(0, val)));
    }
    seen++;
  }
  cr_mesh_raster_free(r);
  if (n_visible) *n_visible = seen;
  return 0;
}
