// Rigid alignment check of fused scans: how far each scan must move to best fit the
// fused volume through its own forward model.
#include "recon/fuse.h"

#include "core/error.h"
#include "core/mat.h"
#include "optim/optimizer.h"
#include "recon/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct align_ctx {
  fz_model *m;
  const cr_volume *fused;
  double inv_scale, centre[3];
  int stride[3];
  double *part; // per k-slice partial sums (fixed order)
} align_ctx;

// World motion of parameters x = (rx, ry, rz in degrees, tx, ty, tz in mm) about the
// scan's centre.
static void motion_of(const double *x, const double c[3], double T[4][4]) {
  double rv[3] = {x[0] * M_PI / 180, x[1] * M_PI / 180, x[2] * M_PI / 180}, R[3][3];
  cr_rotation_from_rvec(R, rv);
  cr_mat4_identity(T);
  for (int a = 0; a < 3; a++) {
    double rc = 0;
    for (int b = 0; b < 3; b++) T[a][b] = R[a][b], rc += R[a][b] * c[b];
    T[a][3] = c[a] - rc + x[3 + a];
  }
}

static int align_cost(const double *x, void *vctx, double *cost) {
  align_ctx *c = vctx;
  double T[4][4];
  motion_of(x, c->centre, T);
  fz_model_set_motion(c->m, c->fused, T);
  const cr_volume *s = c->m->scan;
  int nk = (s->dim[2] + c->stride[2] - 1) / c->stride[2];
#pragma omp parallel for schedule(static)
  for (int kk = 0; kk < nk; kk++) {
    int k = kk * c->stride[2];
    double e = 0, cnt = 0;
    for (int j = 0; j < s->dim[1]; j += c->stride[1])
      for (int i = 0; i < s->dim[0]; i += c->stride[0]) {
        double a = fz_sample_voxel(c->m, c->fused, i, j, k);
        if (isnan(a)) continue; // the PSF leaves the fused grid
        double d = s->data[cr_volume_index(s, i, j, k)] * c->inv_scale - a;
        e += d * d, cnt++;
      }
    c->part[2 * kk] = e, c->part[2 * kk + 1] = cnt;
  }
  double e = 0, n = 0;
  for (int kk = 0; kk < nk; kk++) e += c->part[2 * kk], n += c->part[2 * kk + 1];
  // Too few voxels left inside: a wall for the minimizer.
  *cost = n >= 100 ? sqrt(e / n) : INFINITY;
  return 0;
}

int cr_fuse_check_alignment(const cr_volume *const *scans, int n, const double *scales,
                            const cr_volume *fused, const cr_fuse_options *opt,
                            cr_fuse_alignment *al) {
  cr_fuse_options o = opt ? *opt : cr_fuse_defaults();
  if (n < 1 || n > CR_FUSE_MAX_SCANS)
    return cr_error(CR_EINVAL, "fuse: need 1..%d scans", CR_FUSE_MAX_SCANS);
  for (int k = 0; k < n; k++) {
    const cr_volume *s = scans[k];
    fz_model m;
    if (fz_model_init(&m, s, fused, o.slice_fwhm_factor)) {
      fz_model_free(&m);
      return cr_error(CR_ENOMEM, "fuse: out of memory for the alignment check");
    }
    align_ctx c = {&m, fused, 1.0 / (scales ? scales[k] : 1.0), {0, 0, 0}, {1, 1, 1}, NULL};
    double mid[3] = {(s->dim[0] - 1) / 2.0, (s->dim[1] - 1) / 2.0, (s->dim[2] - 1) / 2.0};
    cr_volume_voxel_to_world(s, mid, c.centre);
    // About 20 000 voxels, spread evenly.
    double f = cbrt((double)cr_volume_count(s) / 20000.0);
    for (int a = 0; a < 3; a++) c.stride[a] = f > 1 ? (int)ceil(f) : 1;
    c.part = calloc(2 * (size_t)s->dim[2] + 1, sizeof *c.part);
    if (!c.part) {
      fz_model_free(&m);
      return cr_error(CR_ENOMEM, "fuse: out of memory for the alignment check");
    }
    double x[6] = {0, 0, 0, 0, 0, 0}, step[6] = {2, 2, 2, 2, 2, 2}, before = 0;
    align_cost(x, &c, &before);
    cr_opt_options oo = cr_opt_defaults();
    oo.step = step, oo.max_evals = 300, oo.xtol = 1e-3;
    cr_opt_result res;
    int rc = cr_opt_minimize(cr_opt_nelder_mead, 6, x, align_cost, &c, &oo, &res);
    free(c.part);
    if (rc) {
      fz_model_free(&m);
      return rc;
    }
    double T[4][4], shift = 0;
    motion_of(x, c.centre, T);
    // Mean displacement of the scan's voxel centres (the eight corners and the centre
    // bound it; use a 5^3 lattice over the box).
    int cnt = 0;
    for (int a = 0; a < 5; a++)
      for (int b = 0; b < 5; b++)
        for (int d = 0; d < 5; d++) {
          double ijk[3] = {(s->dim[0] - 1) * a / 4.0, (s->dim[1] - 1) * b / 4.0,
                           (s->dim[2] - 1) * d / 4.0},
                 w[3], wt[3];
          cr_volume_voxel_to_world(s, ijk, w);
          for (int r = 0; r < 3; r++)
            wt[r] = T[r][0] * w[0] + T[r][1] * w[1] + T[r][2] * w[2] + T[r][3];
          shift += sqrt(pow(wt[0] - w[0], 2) + pow(wt[1] - w[1], 2) + pow(wt[2] - w[2], 2)), cnt++;
        }
    double rv[3] = {x[0], x[1], x[2]};
    al[k].rotation_deg = sqrt(rv[0] * rv[0] + rv[1] * rv[1] + rv[2] * rv[2]);
    for (int a = 0; a < 3; a++) al[k].translation_mm[a] = x[3 + a];
    al[k].mean_shift_mm = shift / cnt;
    al[k].rms_before = before, al[k].rms_after = res.cost;
    fz_model_free(&m);
  }
  return 0;
}
