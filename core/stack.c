// Volumes from stacks of 2-D images (core/stack.h).
#include "core/stack.h"

#include "core/cvwrap.h"
#include "core/error.h"

#include <ctype.h>
#include <gsl/gsl_interp.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

cr_stack_options cr_stack_defaults(void) {
  return (cr_stack_options){
      {1, 1}, 0, {0, 0, 0}, {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, CR_STACK_LINEAR};
}

int cr_stack_interp_parse(const char *name, cr_stack_interp *out) {
  static const char *names[] = {"nearest", "linear", "cubic", "shape"};
  for (int i = 0; i < 4; i++)
    if (name && !strcmp(name, names[i])) {
      *out = (cr_stack_interp)i;
      return 0;
    }
  return cr_error(CR_EINVAL, "unknown interpolation \"%s\" (nearest, linear, cubic, shape)",
                  name ? name : "");
}

int cr_natural_compare(const char *a, const char *b) {
  while (*a && *b) {
    if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
      while (*a == '0') a++;
      while (*b == '0') b++;
      size_t la = 0, lb = 0;
      while (isdigit((unsigned char)a[la])) la++;
      while (isdigit((unsigned char)b[lb])) lb++;
      if (la != lb) return la < lb ? -1 : 1; // more digits: a larger number
      int c = strncmp(a, b, la);
      if (c) return c;
      a += la, b += lb;
    } else {
      if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
      a++, b++;
    }
  }
  return *a ? 1 : *b ? -1 : 0;
}

static int check_inputs(const cr_image *const *s, int n, const double *pos,
                        const cr_stack_options *o) {
  if (n < 1) return cr_error(CR_EINVAL, "stack: no images");
  for (int i = 0; i < n; i++) {
    if (s[i]->channels != 1)
      return cr_error(CR_EINVAL, "stack: slice %d has %d channels (convert it to one first)", i + 1,
                      s[i]->channels);
    if (s[i]->width != s[0]->width || s[i]->height != s[0]->height)
      return cr_error(CR_EINVAL, "stack: slice %d is %d x %d but slice 1 is %d x %d", i + 1,
                      s[i]->width, s[i]->height, s[0]->width, s[0]->height);
    if (!isfinite(pos[i]) || (i > 0 && !(pos[i] > pos[i - 1])))
      return cr_error(CR_EINVAL, "stack: slice positions must increase (slice %d at %g mm)", i + 1,
                      pos[i]);
  }
  if (!(o->pixel_mm[0] > 0 && o->pixel_mm[1] > 0 && o->slice_mm >= 0))
    return cr_error(CR_EINVAL, "stack: pixel and slice spacings must be positive");
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) {
      double d = o->axes[a][0] * o->axes[b][0] + o->axes[a][1] * o->axes[b][1] +
                 o->axes[a][2] * o->axes[b][2];
      if (fabs(d - (a == b)) > 1e-6)
        return cr_error(CR_EINVAL, "stack: the axes must be orthonormal directions");
    }
  return 0;
}

// Signed distance (mm, negative inside) of every pixel to the boundary of `label` in
// one slice; `empty_mm` for every pixel when the label is absent.
static int signed_distance(const cr_image *s, float label, double px, double empty_mm,
                           unsigned char *mask, float *din, float *sdf) {
  const int w = s->width, h = s->height;
  size_t nin = 0, np = (size_t)w * h;
  for (int y = 0; y < h; y++) {
    const float *r = cr_image_row(s, y);
    for (int x = 0; x < w; x++) nin += (mask[(size_t)y * w + x] = nearbyintf(r[x]) == label);
  }
  if (nin == 0 || nin == np) {
    for (size_t i = 0; i < np; i++) sdf[i] = (float)(nin ? -empty_mm : empty_mm);
    return 0;
  }
  char err[256];
  if (cvw_distance_to_features(mask, w, h, sdf, err, sizeof err)) // outside: to the label
    return cr_error(CR_EINVAL, "stack: distance transform: %s", err);
  for (size_t i = 0; i < np; i++) mask[i] = !mask[i];
  if (cvw_distance_to_features(mask, w, h, din, err, sizeof err)) // inside: to the rest
    return cr_error(CR_EINVAL, "stack: distance transform: %s", err);
  // The boundary lies half a pixel from the centres on either side of it.
  for (size_t i = 0; i < np; i++)
    sdf[i] = (float)(mask[i] ? (sdf[i] - 0.5) * px : -(din[i] - 0.5) * px);
  return 0;
}

// Interpolates one column (n values at pos) onto nz outputs z0 + k dz, writing out[k *
// stride]. `it` is a per-thread GSL object for the cubic types (NULL: linear/nearest).
static void column(const double *pos, const double *val, int n, double z0, double dz, int nz,
                   cr_stack_interp mode, gsl_interp *it, gsl_interp_accel *acc, float *out,
                   size_t stride, double lo, double hi) {
  int use_gsl = it && (mode == CR_STACK_CUBIC || mode == CR_STACK_SHAPE);
  if (use_gsl && gsl_interp_init(it, pos, val, (size_t)n)) use_gsl = 0;
  if (acc) gsl_interp_accel_reset(acc);
  int j = 0;
  for (int k = 0; k < nz; k++) {
    double z = fmin(z0 + k * dz, pos[n - 1]);
    while (j + 2 < n && z > pos[j + 1]) j++;
    double v;
    if (n == 1) {
      v = val[0];
    } else if (use_gsl) {
      v = gsl_interp_eval(it, pos, val, z, acc);
      if (mode == CR_STACK_CUBIC) v = fmin(fmax(v, lo), hi);
    } else {
      double f = (z - pos[j]) / (pos[j + 1] - pos[j]);
      v = mode == CR_STACK_NEAREST ? (f < 0.5 ? val[j] : val[j + 1])
                                   : val[j] + f * (val[j + 1] - val[j]);
    }
    out[(size_t)k * stride] = (float)v;
  }
}

// Runs `column` over every pixel: src(i, slice) -> dst (nz slices).
static int interpolate(const float *src, int n, size_t np, const double *pos, double dz, int nz,
                       cr_stack_interp mode, float *dst, double lo, double hi) {
  const gsl_interp_type *type = mode == CR_STACK_SHAPE ? gsl_interp_steffen : gsl_interp_cspline;
  int use_gsl = (mode == CR_STACK_CUBIC || mode == CR_STACK_SHAPE) && n >= 3;
  int nt = omp_get_max_threads(), rc = 0;
  gsl_interp **its = calloc((size_t)nt, sizeof *its);
  gsl_interp_accel **accs = calloc((size_t)nt, sizeof *accs);
  double *vals = malloc(sizeof(double) * n * nt);
  if (!its || !accs || !vals) rc = cr_error(CR_ENOMEM, "stack: out of memory");
  for (int t = 0; t < nt && !rc && use_gsl; t++) {
    its[t] = gsl_interp_alloc(type, (size_t)n);
    accs[t] = gsl_interp_accel_alloc();
    if (!its[t] || !accs[t]) rc = cr_error(CR_ENOMEM, "stack: out of memory");
  }
  if (!rc) {
#pragma omp parallel for schedule(static)
    for (long i = 0; i < (long)np; i++) {
      int t = omp_get_thread_num();
      double *v = vals + (size_t)n * t;
      for (int s = 0; s < n; s++) v[s] = src[(size_t)s * np + i];
      column(pos, v, n, pos[0], dz, nz, mode, its[t], accs[t], dst + i, np, lo, hi);
    }
  }
  for (int t = 0; t < nt && its; t++) gsl_interp_free(its[t]);
  for (int t = 0; t < nt && accs; t++) gsl_interp_accel_free(accs[t]);
  free(its), free(accs), free(vals);
  return rc;
}

int cr_stack_build(const cr_image *const *slices, int n, const double *pos,
                   const cr_stack_options *opt, cr_volume **out) {
  *out = NULL;
  int rc = check_inputs(slices, n, pos, opt);
  if (rc) return rc;
  const int w = slices[0]->width, h = slices[0]->height;
  const size_t np = (size_t)w * h;
  const double dz = opt->slice_mm > 0 ? opt->slice_mm : opt->pixel_mm[0];
  const double span = pos[n - 1] - pos[0];
  const int nz = (int)floor(span / dz + 1e-6) + 1;
  if (nz > 100000) return cr_error(CR_EINVAL, "stack: %d output slices is too many", nz);
  double A[4][4] = {{0}};
  for (int a = 0; a < 3; a++) {
    A[a][0] = opt->axes[0][a] * opt->pixel_mm[0];
    A[a][1] = opt->axes[1][a] * opt->pixel_mm[1];
    A[a][2] = opt->axes[2][a] * dz;
    A[a][3] = opt->origin[a] + pos[0] * opt->axes[2][a];
  }
  A[3][3] = 1;
  cr_volume *vol = cr_volume_new(w, h, nz, (const double(*)[4])A);
  float *src = malloc(sizeof(float) * np * n);
  if (!vol || !src) {
    cr_volume_free(vol), free(src);
    return cr_error(CR_ENOMEM, "stack: out of memory");
  }
  double lo = INFINITY, hi = -INFINITY;
  for (int s = 0; s < n; s++)
    for (int y = 0; y < h; y++) {
      const float *r = cr_image_row(slices[s], y);
      memcpy(src + (size_t)s * np + (size_t)y * w, r, sizeof(float) * w);
      for (int x = 0; x < w; x++)
        if (isfinite(r[x])) lo = fmin(lo, r[x]), hi = fmax(hi, r[x]);
    }
  if (opt->interp != CR_STACK_SHAPE) {
    rc = interpolate(src, n, np, pos, dz, nz, opt->interp, vol->data, lo, hi);
  } else {
    // Labels present anywhere, each interpolated through its signed distance.
    float *sdf = malloc(sizeof(float) * np * n), *res = malloc(sizeof(float) * np * nz),
          *best = malloc(sizeof(float) * np * nz), *din = malloc(sizeof(float) * np);
    unsigned char *mask = malloc(np);
    if (!sdf || !res || !best || !din || !mask) rc = cr_error(CR_ENOMEM, "stack: out of memory");
    // An absent label is taken to end half a slice gap away (its distance there).
    const double empty_mm = 0.5 * span / (n > 1 ? n - 1 : 1) + 0.5 * opt->pixel_mm[0];
    for (size_t i = 0; !rc && i < np * nz; i++) best[i] = INFINITY, vol->data[i] = 0;
    if (!rc && !(hi <= 65535))
      rc = cr_error(CR_EINVAL, "stack: shape-based labels must be integers 0..65535 (max %g)", hi);
    unsigned char *present = rc ? NULL : calloc((size_t)hi + 1, 1);
    if (!rc && !present) rc = cr_error(CR_ENOMEM, "stack: out of memory");
    for (size_t i = 0; !rc && i < np * n; i++) {
      float l = nearbyintf(src[i]);
      if (l >= 1 && l <= hi) present[(int)l] = 1;
    }
    for (int label = 1; !rc && label <= (int)hi; label++) {
      if (!present[label]) continue;
      for (int s = 0; s < n && !rc; s++)
        rc = signed_distance(slices[s], (float)label, opt->pixel_mm[0], empty_mm, mask, din,
                             sdf + (size_t)s * np);
      if (!rc) rc = interpolate(sdf, n, np, pos, dz, nz, CR_STACK_SHAPE, res, -INFINITY, INFINITY);
      for (size_t i = 0; !rc && i < np * nz; i++)
        if (res[i] <= 0 && res[i] < best[i]) best[i] = res[i], vol->data[i] = (float)label;
    }
    free(sdf), free(res), free(best), free(din), free(mask), free(present);
  }
  free(src);
  if (rc) {
    cr_volume_free(vol);
    return rc;
  }
  *out = vol;
  return 0;
}
