// Thick-slice scans simulated from a volume, for tests, benchmarks and the README's
// reproducible fusion example.
#include "recon/fuse.h"

#include "core/error.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cr_fuse_simulate(const cr_volume *vol, int axis, double thickness_mm, double noise_fraction,
                     uint64_t seed, cr_volume **out) {
  *out = NULL;
  if (axis < 0 || axis > 2) return cr_error(CR_EINVAL, "fuse simulate: axis must be 0, 1 or 2");
  double s = vol->spacing[axis], nb = thickness_mm / s;
  int nt = (int)lround(nb);
  if (!(nt >= 1) || fabs(nb - nt) > 1e-3 * nb || nt > 1000)
    return cr_error(CR_EINVAL,
                    "fuse simulate: thickness %g mm is not a whole number of %g mm voxels",
                    thickness_mm, s);
  if (!(noise_fraction >= 0 && noise_fraction < 10))
    return cr_error(CR_EINVAL, "fuse simulate: noise fraction must be 0..10");
  int na = vol->dim[axis], ns = na / nt;
  if (ns < 1) return cr_error(CR_EINVAL, "fuse simulate: the volume is thinner than one slice");
  int a1 = axis == 0 ? 1 : 0, a2 = axis == 2 ? 1 : 2; // in-plane axes, in order
  // Gaussian (FWHM = thickness) integrated over each voxel of the volume, out to 4
  // sigma: w[e + J] weighs voxel k nt + e for slice k, centred at k nt + (nt - 1) / 2.
  double sig = thickness_mm / (2 * sqrt(2 * log(2.0))) / s; // in voxels
  int J = (int)ceil(4 * sig);
  double *w = malloc(sizeof(double) * (2 * J + nt + 1));
  if (!w) return cr_error(CR_ENOMEM, "fuse simulate: out of memory");
  for (int e = -J; e <= J + nt - 1; e++) {
    double x = e - (nt - 1) / 2.0;
    w[e + J] = 0.5 * (erf((x + 0.5) / (sqrt(2.0) * sig)) - erf((x - 0.5) / (sqrt(2.0) * sig)));
  }
  double M[4][4];
  memcpy(M, vol->world_from_voxel, sizeof M);
  for (int r = 0; r < 3; r++) {
    M[r][0] = vol->world_from_voxel[r][a1], M[r][1] = vol->world_from_voxel[r][a2];
    M[r][2] = vol->world_from_voxel[r][axis] * nt;
    M[r][3] = vol->world_from_voxel[r][3] + vol->world_from_voxel[r][axis] * (nt - 1) / 2.0;
  }
  int dims[3] = {vol->dim[a1], vol->dim[a2], ns};
  cr_volume *o = cr_volume_new(dims[0], dims[1], dims[2], M);
  if (!o) {
    free(w);
    return cr_status_of(NULL);
  }
  float vmin, vmax;
  cr_volume_minmax(vol, &vmin, &vmax);
  double sigma_noise = noise_fraction * vmax;
  cr_rng base = cr_rng_make(seed, 0x6675736573696dull /* "fusesim" */);
  cr_rng rng = cr_rng_split(&base, (uint64_t)axis);
  for (int k = 0; k < ns; k++)
    for (int j = 0; j < dims[1]; j++)
      for (int i = 0; i < dims[0]; i++) {
        double acc = 0, wsum = 0;
        for (int e = -J; e <= J + nt - 1; e++) {
          int idx = k * nt + e, ijk[3];
          if (idx < 0 || idx >= na) continue;
          ijk[axis] = idx, ijk[a1] = i, ijk[a2] = j;
          acc += w[e + J] * vol->data[cr_volume_index(vol, ijk[0], ijk[1], ijk[2])];
          wsum += w[e + J];
        }
        double v = wsum > 0 ? acc / wsum : 0;
        if (sigma_noise > 0) v += sigma_noise * cr_rng_gaussian(&rng);
        o->data[cr_volume_index(o, i, j, k)] = (float)v;
      }
  free(w);
  *out = o;
  return 0;
}
