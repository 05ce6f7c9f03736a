// camreg's super-resolution fusion: the output grid, intensity matching, and the three
// solvers (regularized least squares by CG, iterative back-projection, plain average).
#include "recon/fuse.h"

#include "core/error.h"
#include "core/mat.h"
#include "recon/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_fuse_options cr_fuse_defaults(void) {
  cr_fuse_options o;
  memset(&o, 0, sizeof o);
  o.spacing_mm = 0;
  o.method = CR_FUSE_CG;
  o.lambda = 0.01;
  o.iterations = 40;
  o.tolerance = 1e-4;
  o.match_intensity = 1;
  o.slice_fwhm_factor = 1.0;
  return o;
}

static int check_scans(const cr_volume *const *scans, int n, const cr_fuse_options *o) {
  if (n < 1 || n > CR_FUSE_MAX_SCANS)
    return cr_error(CR_EINVAL, "fuse: need 1..%d scans, got %d", CR_FUSE_MAX_SCANS, n);
  if (!(o->lambda >= 0) || o->iterations < 0 || o->iterations > 100000 || !(o->tolerance >= 0) ||
      !(o->slice_fwhm_factor > 0 && o->slice_fwhm_factor < 100) ||
      !(o->spacing_mm <= 0 || (o->spacing_mm >= 0.01 && o->spacing_mm < 1000)) ||
      (o->method != CR_FUSE_CG && o->method != CR_FUSE_IBP && o->method != CR_FUSE_AVERAGE))
    return cr_error(CR_EINVAL, "fuse: bad options (lambda >= 0, iterations >= 0, tolerance >= 0, "
                               "slice FWHM factor > 0, spacing 0.01..1000 mm)");
  for (int k = 0; k < n; k++) {
    const cr_volume *v = scans[k];
    int ok = v && v->data && v->dim[0] > 0 && v->dim[1] > 0 && v->dim[2] > 0;
    for (int a = 0; ok && a < 3; a++) {
      ok = isfinite(v->spacing[a]) && v->spacing[a] > 1e-6;
      for (int c = 0; ok && c < 4; c++) ok = isfinite(v->world_from_voxel[a][c]);
    }
    if (!ok)
      return cr_error(CR_EINVAL, "fuse: scan %d has a non-finite or singular voxel-to-world matrix",
                      k + 1);
    size_t cnt = cr_volume_count(v);
    for (size_t i = 0; i < cnt; i++)
      if (!isfinite(v->data[i]))
        return cr_error(CR_EINVAL, "fuse: scan %d has non-finite voxel values", k + 1);
  }
  return 0;
}

// Vectors of the solver: x, r, p, q (output grid), scaled scans, fine scratch, LR scratch.
static size_t working_memory(const cr_volume *const *scans, int n, const int dim[3], double h,
                             const cr_fuse_options *o) {
  size_t nhr = (size_t)dim[0] * dim[1] * dim[2], lr = 0, lrmax = 0, fine = 0;
  for (int k = 0; k < n; k++) {
    size_t c = cr_volume_count(scans[k]), f = 1;
    lr += c, lrmax = c > lrmax ? c : lrmax;
    double smin = fmin(scans[k]->spacing[0], fmin(scans[k]->spacing[1], scans[k]->spacing[2]));
    for (int a = 0; a < 3; a++) {
      double s = scans[k]->spacing[a], r = ceil(s / h - 1e-6);
      double T = s > 1.01 * smin ? 2 * ceil(3 * o->slice_fwhm_factor * 0.4247 * r) + 1 : r;
      f *= (size_t)((scans[k]->dim[a] - 1) * r + T);
    }
    fine = f > fine ? f : fine;
  }
  int vecs = o->method == CR_FUSE_CG ? 4 : o->method == CR_FUSE_IBP ? 3 : 0;
  return sizeof(float) * (vecs * nhr + lr + lrmax + fine) + nhr;
}

int cr_fuse_plan(const cr_volume *const *scans, int n, const cr_fuse_options *opt, int dim[3],
                 double world_from_voxel[4][4], size_t *memory_bytes) {
  cr_fuse_options o = opt ? *opt : cr_fuse_defaults();
  int rc = check_scans(scans, n, &o);
  if (rc) return rc;
  double h;
  if (o.grid) {
    memcpy(dim, o.grid->dim, sizeof(int) * 3);
    memcpy(world_from_voxel, o.grid->world_from_voxel, sizeof(double) * 16);
    h = fmin(o.grid->spacing[0], fmin(o.grid->spacing[1], o.grid->spacing[2]));
  } else {
    h = o.spacing_mm;
    if (!(h > 0)) {
      h = INFINITY;
      for (int k = 0; k < n; k++)
        for (int a = 0; a < 3; a++) h = fmin(h, scans[k]->spacing[a]);
    }
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int k = 0; k < n; k++) {
      double l[3], u[3];
      cr_volume_world_bounds(scans[k], l, u);
      for (int a = 0; a < 3; a++) lo[a] = fmin(lo[a], l[a]), hi[a] = fmax(hi[a], u[a]);
    }
    // The lattice through corner + h/2 of scan 0's first voxel (a corner is a corner on
    // every axis, whatever the scan's orientation).
    double corner_ijk[3] = {-0.5, -0.5, -0.5}, corner[3];
    cr_volume_voxel_to_world(scans[0], corner_ijk, corner);
    cr_mat4_identity(world_from_voxel);
    for (int a = 0; a < 3; a++) {
      double anchor = corner[a] + h / 2;
      double first = ceil((lo[a] + h / 2 - anchor) / h - 1e-6),
             last = floor((hi[a] - h / 2 - anchor) / h + 1e-6);
      if (!(last - first + 1 >= 1) || last - first + 1 > 4096)
        return cr_error(CR_EINVAL,
                        "fuse: output grid of %.0f voxels along axis %d at %g mm (1..4096)",
                        last - first + 1, a, h);
      dim[a] = (int)(last - first + 1);
      world_from_voxel[a][a] = h;
      world_from_voxel[a][3] = anchor + first * h;
    }
  }
  if ((double)dim[0] * dim[1] * dim[2] > 1.5e9)
    return cr_error(CR_EINVAL, "fuse: output grid %dx%dx%d is too large: use a larger spacing",
                    dim[0], dim[1], dim[2]);
  if (memory_bytes) *memory_bytes = working_memory(scans, n, dim, h, &o);
  return 0;
}

// Intensity scale of scan k against scan 0: the ratio of the means over scan k's voxel
// centres inside scan 0 (blur keeps means, so thick and thin slices agree). Also the
// overlap fraction.
static int match_scale(const cr_volume *s0, const cr_volume *sk, int k, int match, double *scale,
                       double *overlap) {
  size_t n = cr_volume_count(sk), inside = 0;
  double sum_k = 0, sum_0 = 0;
  for (int kk = 0; kk < sk->dim[2]; kk++)
    for (int j = 0; j < sk->dim[1]; j++)
      for (int i = 0; i < sk->dim[0]; i++) {
        double ijk[3] = {i, j, kk}, w[3];
        cr_volume_voxel_to_world(sk, ijk, w);
        float v0 = cr_volume_sample_linear(s0, w, NAN);
        if (isnan(v0)) continue;
        inside++;
        sum_0 += v0, sum_k += sk->data[cr_volume_index(sk, i, j, kk)];
      }
  *overlap = (double)inside / (double)n;
  if (inside == 0 || *overlap < 0.005)
    return cr_error(CR_EINVAL,
                    "fuse: scan %d does not overlap scan 1 (%.2f %% of its voxels inside scan 1's "
                    "box; it must be in the same world placement)",
                    k + 1, 100 * *overlap);
  *scale = 1;
  if (match && k > 0) {
    if (!(sum_0 > 0 && sum_k > 0))
      return cr_error(CR_EINVAL,
                      "fuse: cannot match the intensity of scan %d to scan 1 (mean over their "
                      "overlap not positive); switch matching off",
                      k + 1);
    *scale = sum_k / sum_0;
  }
  return 0;
}

// The mean of the scans (intensities divided by their scales) resampled trilinearly at
// each output voxel; 0 where no scan reaches.
static void average_init(const cr_volume *const *scans, int n, const double *scale,
                         cr_volume *out) {
  const int *D = out->dim;
#pragma omp parallel for schedule(static)
  for (int k = 0; k < D[2]; k++)
    for (int j = 0; j < D[1]; j++)
      for (int i = 0; i < D[0]; i++) {
        double ijk[3] = {i, j, k}, w[3], s = 0;
        int c = 0;
        cr_volume_voxel_to_world(out, ijk, w);
        for (int s_ = 0; s_ < n; s_++) {
          float v = cr_volume_sample_linear(scans[s_], w, NAN);
          if (!isnan(v)) s += v / scale[s_], c++;
        }
        out->data[cr_volume_index(out, i, j, k)] = c ? (float)(s / c) : 0.0f;
      }
}

typedef struct fuse_ctx {
  int n;
  fz_model *model;
  float **y;       // scans / scales
  float *fine;     // scratch
  float *lr;       // scratch (largest scan)
  uint8_t *mask;   // output voxels some scan's PSF reaches
  uint8_t **valid; // per scan: voxels whose PSF lies inside the output grid
  double lambda;
} fuse_ctx;

// Leaves the scan voxels whose PSF leaves the grid out of the data term (c->lr).
static void mask_rows(const fuse_ctx *c, int k) {
  size_t ny = cr_volume_count(c->model[k].scan);
  const uint8_t *v = c->valid[k];
  for (size_t i = 0; i < ny; i++)
    if (!v[i]) c->lr[i] = 0;
}

// q = (sum_k A_k^T A_k + lambda L) p on the covered voxels (0 elsewhere); p is 0 outside.
static void normal_apply(const fuse_ctx *c, cr_volume *p, cr_volume *q) {
  size_t nhr = cr_volume_count(q);
  memset(q->data, 0, nhr * sizeof(float));
  for (int k = 0; k < c->n; k++) {
    fz_forward(&c->model[k], p, c->fine, c->lr);
    mask_rows(c, k);
    fz_adjoint_add(&c->model[k], c->lr, c->fine, q);
  }
  const int *D = q->dim;
  size_t sy = (size_t)D[0], sz = (size_t)D[0] * D[1];
  float lam = (float)c->lambda;
#pragma omp parallel for schedule(static)
  for (int k = 0; k < D[2]; k++)
    for (int j = 0; j < D[1]; j++)
      for (int i = 0; i < D[0]; i++) {
        size_t x = i + sy * j + sz * k;
        if (!c->mask[x]) {
          q->data[x] = 0;
          continue;
        }
        if (lam == 0) continue;
        float v = p->data[x], s = 0;
        if (i > 0) s += v - p->data[x - 1];
        if (i + 1 < D[0]) s += v - p->data[x + 1];
        if (j > 0) s += v - p->data[x - sy];
        if (j + 1 < D[1]) s += v - p->data[x + sy];
        if (k > 0) s += v - p->data[x - sz];
        if (k + 1 < D[2]) s += v - p->data[x + sz];
        q->data[x] += lam * s;
      }
}

// r = b - H x with b = sum_k A_k^T y_k.
static void residual(const fuse_ctx *c, cr_volume *x, cr_volume *r, cr_volume *tmp) {
  normal_apply(c, x, tmp);
  size_t nhr = cr_volume_count(r);
  memset(r->data, 0, nhr * sizeof(float));
  for (int k = 0; k < c->n; k++) fz_adjoint_add(&c->model[k], c->y[k], c->fine, r);
  for (size_t i = 0; i < nhr; i++) r->data[i] = c->mask[i] ? r->data[i] - tmp->data[i] : 0;
}

static int solve_cg(const fuse_ctx *c, cr_volume *x, const cr_fuse_options *o,
                    cr_fuse_report *rep) {
  size_t nhr = cr_volume_count(x);
  cr_volume *r = cr_volume_new(x->dim[0], x->dim[1], x->dim[2], x->world_from_voxel);
  cr_volume *p = cr_volume_new(x->dim[0], x->dim[1], x->dim[2], x->world_from_voxel);
  cr_volume *q = cr_volume_new(x->dim[0], x->dim[1], x->dim[2], x->world_from_voxel);
  int rc = !r || !p || !q ? cr_error(CR_ENOMEM, "fuse: out of memory for the solver") : 0;
  if (!rc) {
    residual(c, x, r, q);
    memcpy(p->data, r->data, nhr * sizeof(float));
    double rr = fz_dot(r->data, r->data, nhr), rr0 = rr;
    int it = 0;
    for (; it < o->iterations && rr > 0 && sqrt(rr / rr0) > o->tolerance; it++) {
      normal_apply(c, p, q);
      double pq = fz_dot(p->data, q->data, nhr);
      if (!(pq > 0)) break;
      float alpha = (float)(rr / pq);
#pragma omp parallel for schedule(static)
      for (size_t i = 0; i < nhr; i++)
        x->data[i] += alpha * p->data[i], r->data[i] -= alpha * q->data[i];
      double rr_new = fz_dot(r->data, r->data, nhr);
      float beta = (float)(rr_new / rr);
#pragma omp parallel for schedule(static)
      for (size_t i = 0; i < nhr; i++) p->data[i] = r->data[i] + beta * p->data[i];
      rr = rr_new;
      if (rep) rep->iterations = it + 1, rep->residual_ratio = sqrt(rr / rr0);
      if (o->progress && o->progress(o->progress_ctx, it + 1, o->iterations, sqrt(rr / rr0))) {
        rc = cr_error(CR_EINVAL, "fuse: stopped by the caller");
        break;
      }
    }
  }
  cr_volume_free(r), cr_volume_free(p), cr_volume_free(q);
  return rc;
}

// Iterative back-projection (SIRT form): x += (sum_k A_k^T (y_k - A_k x)) / coverage.
static int solve_ibp(const fuse_ctx *c, cr_volume *x, const cr_volume *cover,
                     const cr_fuse_options *o, cr_fuse_report *rep) {
  size_t nhr = cr_volume_count(x);
  cr_volume *g = cr_volume_new(x->dim[0], x->dim[1], x->dim[2], x->world_from_voxel);
  if (!g) return cr_error(CR_ENOMEM, "fuse: out of memory for the solver");
  int rc = 0;
  for (int it = 0; it < o->iterations; it++) {
    memset(g->data, 0, nhr * sizeof(float));
    for (int k = 0; k < c->n; k++) {
      const fz_model *m = &c->model[k];
      size_t ny = cr_volume_count(m->scan);
      fz_forward(m, x, c->fine, c->lr);
      for (size_t i = 0; i < ny; i++) c->lr[i] = c->y[k][i] - c->lr[i];
      mask_rows(c, k);
      fz_adjoint_add(m, c->lr, c->fine, g);
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < nhr; i++)
      if (c->mask[i]) x->data[i] += g->data[i] / cover->data[i];
    if (rep) rep->iterations = it + 1;
    if (o->progress && o->progress(o->progress_ctx, it + 1, o->iterations, 0)) {
      rc = cr_error(CR_EINVAL, "fuse: stopped by the caller");
      break;
    }
  }
  cr_volume_free(g);
  return rc;
}

int cr_fuse(const cr_volume *const *scans, int n, const cr_fuse_options *opt, cr_volume **out,
            cr_fuse_report *rep) {
  *out = NULL;
  cr_fuse_options o = opt ? *opt : cr_fuse_defaults();
  int dim[3];
  double W[4][4];
  size_t mem = 0;
  int rc = cr_fuse_plan(scans, n, &o, dim, W, &mem);
  if (rc) return rc;
  if (rep) {
    memset(rep, 0, sizeof *rep);
    memcpy(rep->dim, dim, sizeof dim);
    rep->memory_bytes = mem, rep->n_scans = n;
  }
  double scale[CR_FUSE_MAX_SCANS], overlap[CR_FUSE_MAX_SCANS];
  for (int k = 0; k < n; k++)
    if ((rc = match_scale(scans[0], scans[k], k, o.match_intensity, &scale[k], &overlap[k])))
      return rc;
  cr_volume *x = cr_volume_new(dim[0], dim[1], dim[2], W);
  if (!x) return cr_status_of(NULL);
  if (rep) rep->spacing_mm = fmin(x->spacing[0], fmin(x->spacing[1], x->spacing[2]));
  average_init(scans, n, scale, x);
  fuse_ctx c = {n, NULL, NULL, NULL, NULL, NULL, NULL, o.lambda};
  cr_volume *cover = NULL;
  size_t nhr = cr_volume_count(x);
  c.model = calloc((size_t)n, sizeof *c.model);
  c.y = calloc((size_t)n, sizeof *c.y);
  c.valid = calloc((size_t)n, sizeof *c.valid);
  if (!c.model || !c.y || !c.valid) rc = cr_error(CR_ENOMEM, "fuse: out of memory");
  size_t fine = 0, lrmax = 0;
  for (int k = 0; !rc && k < n; k++) {
    if (fz_model_init(&c.model[k], scans[k], x, o.slice_fwhm_factor)) {
      rc = cr_error(CR_ENOMEM, "fuse: out of memory for scan %d's model", k + 1);
      break;
    }
    size_t f = fz_fine_count(&c.model[k]), ny = cr_volume_count(scans[k]);
    fine = f > fine ? f : fine, lrmax = ny > lrmax ? ny : lrmax;
    if (rep) {
      cr_fuse_scan_report *s = &rep->scans[k];
      s->slice_axis = c.model[k].slice_axis, s->slice_fwhm_mm = c.model[k].fwhm_mm;
      s->scale = scale[k], s->overlap = overlap[k];
    }
  }
  if (!rc && o.method != CR_FUSE_AVERAGE) {
    c.fine = malloc((fine + 1) * sizeof(float));
    c.lr = malloc((lrmax + 1) * sizeof(float));
    c.mask = malloc(nhr + 1);
    cover = cr_volume_new(dim[0], dim[1], dim[2], W);
    if (!c.fine || !c.lr || !c.mask || !cover) rc = cr_error(CR_ENOMEM, "fuse: out of memory");
    for (int k = 0; !rc && k < n; k++) {
      size_t ny = cr_volume_count(scans[k]);
      if (!(c.y[k] = malloc((ny + 1) * sizeof(float)))) {
        rc = cr_error(CR_ENOMEM, "fuse: out of memory");
        break;
      }
      for (size_t i = 0; i < ny; i++) c.y[k][i] = (float)(scans[k]->data[i] / scale[k]);
      if (!(c.valid[k] = malloc(ny + 1))) {
        rc = cr_error(CR_ENOMEM, "fuse: out of memory");
        break;
      }
      const cr_volume *sk = scans[k];
      size_t nvalid = 0;
      for (int kk = 0; kk < sk->dim[2]; kk++)
        for (int j = 0; j < sk->dim[1]; j++)
          for (int i = 0; i < sk->dim[0]; i++) {
            size_t idx = cr_volume_index(sk, i, j, kk);
            c.valid[k][idx] = (uint8_t)fz_voxel_valid(&c.model[k], dim, i, j, kk);
            nvalid += c.valid[k][idx];
            if (!c.valid[k][idx]) c.y[k][idx] = 0;
          }
      if (rep) rep->scans[k].used = (double)nvalid / ny;
      // Coverage: A_k^T 1 over the voxels used, summed over the scans.
      for (size_t i = 0; i < ny; i++) c.lr[i] = c.valid[k][i];
      fz_adjoint_add(&c.model[k], c.lr, c.fine, cover);
    }
    for (size_t i = 0; !rc && i < nhr; i++) {
      c.mask[i] = cover->data[i] > 1e-3f;
      if (!c.mask[i]) x->data[i] = 0;
    }
    if (!rc)
      rc = o.method == CR_FUSE_CG ? solve_cg(&c, x, &o, rep) : solve_ibp(&c, x, cover, &o, rep);
  }
  // The fit to each scan.
  if (!rc && rep && c.fine && c.lr)
    for (int k = 0; k < n; k++) {
      size_t ny = cr_volume_count(scans[k]);
      fz_forward(&c.model[k], x, c.fine, c.lr);
      double e = 0;
      size_t nu = 0;
      for (size_t i = 0; i < ny; i++)
        if (c.valid[k][i]) e += pow(c.y[k][i] - c.lr[i], 2), nu++;
      rep->scans[k].rms_residual = sqrt(e / (nu ? nu : 1));
    }
  for (int k = 0; c.model && k < n; k++) fz_model_free(&c.model[k]);
  for (int k = 0; c.y && k < n; k++) free(c.y[k]);
  for (int k = 0; c.valid && k < n; k++) free(c.valid[k]);
  free(c.valid);
  free(c.model), free(c.y), free(c.fine), free(c.lr), free(c.mask);
  cr_volume_free(cover);
  if (rc) {
    cr_volume_free(x);
    return rc;
  }
  *out = x;
  return 0;
}
