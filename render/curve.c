// The curve and its slice frames (render/curved.h): a chord-length natural cubic spline
// (GSL), arc-length resampling, rotation-minimizing frames by double reflection.
#include "render/curved.h"

#include "core/error.h"
#include "core/mat.h"

#include <gsl/gsl_spline.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_curve_slices_options cr_curve_slices_defaults(void) {
  return (cr_curve_slices_options){128, 128, 1.0, 0.0, {0, 0, 1}};
}

void cr_curve_slices_free(cr_curve_slices *s) {
  if (!s) return;
  free(s->world_from_pixel);
  free(s->arc_mm);
  free(s);
}

static cr_curve_slices *slices_alloc(int n, int w, int h) {
  cr_curve_slices *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->n = n, s->width = w, s->height = h;
  s->world_from_pixel = calloc((size_t)n, sizeof *s->world_from_pixel);
  s->arc_mm = calloc((size_t)n, sizeof *s->arc_mm);
  if (!s->world_from_pixel || !s->arc_mm) {
    cr_curve_slices_free(s);
    return NULL;
  }
  return s;
}

cr_curve_slices *cr_curve_slices_new(int n, int width, int height, const double (*M)[4][4]) {
  if (n < 1 || width < 1 || height < 1) {
    cr_error(CR_EINVAL, "curve slices: need at least one slice of at least 1 x 1 pixels");
    return NULL;
  }
  cr_curve_slices *s = slices_alloc(n, width, height);
  if (!s) {
    cr_error(CR_ENOMEM, "curve slices: out of memory");
    return NULL;
  }
  memcpy(s->world_from_pixel, M, sizeof(double[4][4]) * (size_t)n);
  double a0[3] = {M[0][0][0], M[0][1][0], M[0][2][0]}, t0[3] = {M[0][0][2], M[0][1][2], M[0][2][2]};
  s->spacing_mm = cr_vec3_norm(a0);
  s->step_mm = cr_vec3_norm(t0);
  // Nominal arc positions: the slices of a curve are step_mm apart along it.
  for (int k = 1; k < n; k++) s->arc_mm[k] = s->arc_mm[k - 1] + s->step_mm;
  s->length_mm = s->arc_mm[n - 1];
  return s;
}

// The spline through the control points, one GSL spline per coordinate over the
// cumulative chord length.
typedef struct curve {
  gsl_spline *c[3];
  gsl_interp_accel *acc[3];
  double s_begin, s_end; // parameter range of the real control points
} curve;

static void curve_free(curve *c) {
  for (int a = 0; a < 3; a++) {
    gsl_spline_free(c->c[a]);
    gsl_interp_accel_free(c->acc[a]);
  }
}

// A point continuing the curve beyond p0 (away from p1, p2): quadratic extrapolation, or
// linear where that would fold back onto p0.
static void phantom(const double *p0, const double *p1, const double *p2, double out[3]) {
  double d[3], e[3];
  for (int a = 0; a < 3; a++) out[a] = 3 * p0[a] - 3 * p1[a] + p2[a];
  cr_vec3_sub(d, out, p0);
  cr_vec3_sub(e, p1, p0);
  if (cr_vec3_norm(d) < 0.5 * cr_vec3_norm(e) || cr_vec3_dot(d, e) > 0)
    for (int a = 0; a < 3; a++) out[a] = 2 * p0[a] - p1[a];
}

// The natural spline's zero curvature at its ends bends the curve near the first and
// last control points; one extrapolated point beyond each end moves that to points the
// curve never reaches (the spline is evaluated from the first to the last real point).
static int curve_init(curve *c, const double *p, int n) {
  memset(c, 0, sizeof *c);
  const int m = n >= 3 ? n + 2 : n, off = n >= 3;
  double *q = malloc(sizeof(double) * 3 * m), *s = malloc(sizeof(double) * m),
         *y = malloc(sizeof(double) * m);
  if (!q || !s || !y) {
    free(q), free(s), free(y);
    return cr_error(CR_ENOMEM, "curve: out of memory");
  }
  memcpy(q + 3 * off, p, sizeof(double) * 3 * n);
  if (off) {
    phantom(p, p + 3, p + 6, q);
    phantom(p + 3 * (n - 1), p + 3 * (n - 2), p + 3 * (n - 3), q + 3 * (m - 1));
  }
  s[0] = 0;
  for (int i = 1; i < m; i++) {
    double d[3];
    cr_vec3_sub(d, q + 3 * i, q + 3 * (i - 1));
    s[i] = s[i - 1] + cr_vec3_norm(d);
  }
  c->s_begin = s[off], c->s_end = s[off + n - 1];
  const gsl_interp_type *type = m >= 3 ? gsl_interp_cspline : gsl_interp_linear;
  int rc = 0;
  for (int a = 0; a < 3 && !rc; a++) {
    for (int i = 0; i < m; i++) y[i] = q[3 * i + a];
    c->c[a] = gsl_spline_alloc(type, (size_t)m);
    c->acc[a] = gsl_interp_accel_alloc();
    if (!c->c[a] || !c->acc[a] || gsl_spline_init(c->c[a], s, y, (size_t)m))
      rc = cr_error(CR_ENUMERIC, "curve: spline set-up failed");
  }
  free(q), free(s), free(y);
  if (rc) curve_free(c);
  return rc;
}

static void curve_eval(curve *c, double s, double p[3], double dp[3]) {
  if (s < c->s_begin) s = c->s_begin;
  if (s > c->s_end) s = c->s_end;
  for (int a = 0; a < 3; a++) {
    if (p) p[a] = gsl_spline_eval(c->c[a], s, c->acc[a]);
    if (dp) dp[a] = gsl_spline_eval_deriv(c->c[a], s, c->acc[a]);
  }
}

static double speed(curve *c, double s) {
  double d[3];
  curve_eval(c, s, NULL, d);
  return cr_vec3_norm(d);
}

static int check_points(const double *p, int n) {
  if (n < 2) return cr_error(CR_EINVAL, "curve: %d point(s); a curve needs at least two", n);
  for (int i = 0; i < n; i++)
    for (int a = 0; a < 3; a++)
      if (!isfinite(p[3 * i + a]))
        return cr_error(CR_EINVAL, "curve: point %d has a non-finite coordinate", i + 1);
  for (int i = 1; i < n; i++) {
    double d[3];
    cr_vec3_sub(d, p + 3 * i, p + 3 * (i - 1));
    if (cr_vec3_norm(d) < 1e-6)
      return cr_error(CR_EINVAL,
                      "curve: points %d and %d coincide (a zero-length segment); remove one", i,
                      i + 1);
  }
  return 0;
}

// One double-reflection step (Wang, Juettler, Zheng, Liu 2008): the frame's r at x0
// with tangent t0 carried to x1 with tangent t1.
static void rmf_step(const double x0[3], const double t0[3], const double r0[3], const double x1[3],
                     const double t1[3], double r1[3]) {
  double v1[3], rL[3], tL[3], v2[3];
  cr_vec3_sub(v1, x1, x0);
  double c1 = cr_vec3_dot(v1, v1);
  if (c1 < 1e-24) {
    memcpy(r1, r0, sizeof(double) * 3);
  } else {
    double kr = 2 / c1 * cr_vec3_dot(v1, r0), kt = 2 / c1 * cr_vec3_dot(v1, t0);
    for (int a = 0; a < 3; a++) rL[a] = r0[a] - kr * v1[a], tL[a] = t0[a] - kt * v1[a];
    cr_vec3_sub(v2, t1, tL);
    double c2 = cr_vec3_dot(v2, v2), k2 = c2 < 1e-24 ? 0 : 2 / c2 * cr_vec3_dot(v2, rL);
    for (int a = 0; a < 3; a++) r1[a] = rL[a] - k2 * v2[a];
  }
  // Keep r exactly perpendicular to t and of unit length against rounding drift.
  double d = cr_vec3_dot(r1, t1);
  for (int a = 0; a < 3; a++) r1[a] -= d * t1[a];
  cr_vec3_normalize(r1);
}

// The slice matrices from the sample points and unit tangents: the first frame's up is
// `up` projected onto the first slice, then carried along by double reflection.
static void fill_frames(cr_curve_slices *sl, const double *pos, const double *tan,
                        const cr_curve_slices_options *opt) {
  const int n = sl->n;
  const double step = sl->step_mm;
  double r[3], up[3] = {opt->up[0], opt->up[1], opt->up[2]};
  if (!(cr_vec3_normalize(up) > 1e-12)) up[0] = 0, up[1] = 0, up[2] = 1;
  for (int pass = 0; pass < 2; pass++) {
    double d = cr_vec3_dot(up, tan);
    for (int a = 0; a < 3; a++) r[a] = up[a] - d * tan[a];
    if (cr_vec3_normalize(r) > 0.1) break;
    // Nearly along the tangent: lean to A instead (or to S when up was A already).
    const int was_a = fabs(up[1]) > 0.9;
    up[0] = 0, up[1] = was_a ? 0 : 1, up[2] = was_a ? 1 : 0;
  }
  const double hu = 0.5 * (opt->width - 1), hv = 0.5 * (opt->height - 1), sp = opt->spacing_mm;
  for (int k = 0; k < n; k++) {
    const double *t = tan + 3 * k;
    if (k > 0) {
      double r1[3];
      rmf_step(pos + 3 * (k - 1), tan + 3 * (k - 1), r, pos + 3 * k, t, r1);
      memcpy(r, r1, sizeof r);
    }
    double ev[3] = {-r[0], -r[1], -r[2]}, eu[3];
    cr_vec3_cross(eu, ev, t);
    double(*M)[4] = sl->world_from_pixel[k];
    for (int a = 0; a < 3; a++) {
      M[a][0] = eu[a] * sp;
      M[a][1] = ev[a] * sp;
      M[a][2] = t[a] * step;
      M[a][3] = pos[3 * k + a] - hu * M[a][0] - hv * M[a][1];
    }
    M[3][0] = M[3][1] = M[3][2] = 0, M[3][3] = 1;
  }
}

int cr_curve_slices_build(const double *points, int n_points, const cr_curve_slices_options *opt,
                          cr_curve_slices **out) {
  *out = NULL;
  int rc = check_points(points, n_points);
  if (rc) return rc;
  if (opt->width < 1 || opt->height < 1 || opt->width > 16384 || opt->height > 16384)
    return cr_error(CR_EINVAL, "curve: slice size %d x %d out of range 1..16384", opt->width,
                    opt->height);
  if (!(opt->spacing_mm > 0) || !isfinite(opt->spacing_mm))
    return cr_error(CR_EINVAL, "curve: pixel spacing must be positive");
  double step = opt->step_mm > 0 ? opt->step_mm : opt->spacing_mm;
  if (!isfinite(step)) return cr_error(CR_EINVAL, "curve: step must be finite");
  curve c;
  if ((rc = curve_init(&c, points, n_points))) return rc;

  // Arc length table over a fine parameter grid (Simpson's rule per interval).
  const double span = c.s_end - c.s_begin;
  const int m = (int)fmin(4e6, fmax(64.0 * (n_points - 1), ceil(span / (step / 16))));
  double *S = malloc(sizeof(double) * (m + 1)), *A = malloc(sizeof(double) * (m + 1));
  if (!S || !A) {
    free(S), free(A), curve_free(&c);
    return cr_error(CR_ENOMEM, "curve: out of memory");
  }
  S[0] = c.s_begin, A[0] = 0;
  for (int j = 1; j <= m; j++) {
    S[j] = c.s_begin + span * j / m;
    double h = S[j] - S[j - 1];
    A[j] = A[j - 1] +
           h / 6 * (speed(&c, S[j - 1]) + 4 * speed(&c, S[j - 1] + h / 2) + speed(&c, S[j]));
  }
  const double L = A[m];
  const int n = (int)floor(L / step + 1e-9) + 1;
  if (n > 1000000) {
    free(S), free(A), curve_free(&c);
    return cr_error(CR_EINVAL, "curve: %.1f mm at %g mm steps gives more than 10^6 slices", L,
                    step);
  }
  cr_curve_slices *sl = slices_alloc(n, opt->width, opt->height);
  double *pos = malloc(sizeof(double) * 3 * n), *tan = malloc(sizeof(double) * 3 * n);
  if (!sl || !pos || !tan) {
    cr_curve_slices_free(sl), free(pos), free(tan), free(S), free(A), curve_free(&c);
    return cr_error(CR_ENOMEM, "curve: out of memory");
  }
  sl->spacing_mm = opt->spacing_mm, sl->step_mm = step, sl->length_mm = L;
  int j = 1;
  for (int k = 0; k < n; k++) {
    double a = k * step;
    while (j < m && A[j] < a) j++;
    // Inside [S[j-1], S[j]]: linear guess, then one Newton step on the arc length.
    double f = A[j] > A[j - 1] ? (a - A[j - 1]) / (A[j] - A[j - 1]) : 0;
    double s = S[j - 1] + f * (S[j] - S[j - 1]);
    double h = s - S[j - 1], sp = speed(&c, s);
    double As = A[j - 1] + h / 6 * (speed(&c, S[j - 1]) + 4 * speed(&c, S[j - 1] + h / 2) + sp);
    if (sp > 1e-12) s -= (As - a) / sp;
    double d[3];
    curve_eval(&c, s, pos + 3 * k, d);
    if (!(cr_vec3_normalize(d) > 1e-12)) {
      cr_curve_slices_free(sl), free(pos), free(tan), free(S), free(A), curve_free(&c);
      return cr_error(CR_ENUMERIC, "curve: the tangent vanishes at %.2f mm of arc", a);
    }
    memcpy(tan + 3 * k, d, sizeof d);
    sl->arc_mm[k] = a;
  }
  free(S), free(A), curve_free(&c);

  fill_frames(sl, pos, tan, opt);
  free(pos), free(tan);
  *out = sl;
  return 0;
}
