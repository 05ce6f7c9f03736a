// Flat maps of a surface patch: planar projection along the view direction and
// least-squares conformal maps (Levy et al. 2002), with their distortion, and painting
// a flat map into an image of known pixel size.
#include "mesh/mesh.h"

#include "core/error.h"
#include "core/mat.h"

#include <cholmod.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Local 2-D coordinates of triangle t in its own plane (vertex 0 at the origin, edge
// 0->1 along x; `mirror` flips y). Returns the area (0 if degenerate).
static double tri_local(const cr_mesh *m, int t, int mirror, double q[3][2]) {
  double p[3][3], e1[3], e2[3], n[3], y[3];
  for (int k = 0; k < 3; k++)
    for (int a = 0; a < 3; a++) p[k][a] = m->xyz[3 * (size_t)m->tri[3 * t + k] + a];
  cr_vec3_sub(e1, p[1], p[0]);
  cr_vec3_sub(e2, p[2], p[0]);
  cr_vec3_cross(n, e1, e2);
  double area = 0.5 * cr_vec3_norm(n), len = cr_vec3_norm(e1);
  if (!(area > 1e-12) || !(len > 0)) return 0;
  cr_vec3_normalize(n);
  double x[3];
  cr_vec3_scale(x, e1, 1.0 / len);
  cr_vec3_cross(y, n, x);
  q[0][0] = q[0][1] = 0;
  q[1][0] = len, q[1][1] = 0;
  q[2][0] = cr_vec3_dot(e2, x), q[2][1] = cr_vec3_dot(e2, y) * (mirror ? -1 : 1);
  return area;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

// Singular values of the 2x2 map J (row-major a b; c d), s1 >= s2 >= 0.
static void sv2(double a, double b, double c, double d, double *s1, double *s2) {
  double E = 0.5 * (a + d), F = 0.5 * (a - d), G = 0.5 * (c + b), H = 0.5 * (c - b);
  double Q = hypot(E, H), R = hypot(F, G);
  *s1 = Q + R, *s2 = fabs(Q - R);
}

void cr_mesh_flat_stats(const cr_mesh *m, const double *uv, cr_flat_stats *st) {
  double a3 = 0, a2 = 0;
  memset(st, 0, sizeof *st);
  st->n_vertices = m->n_vertices, st->n_triangles = m->n_triangles;
  for (int t = 0; t < m->n_triangles; t++) {
    double q[3][2];
    double area = tri_local(m, t, 0, q);
    if (area == 0) continue;
    const int32_t *id = m->tri + 3 * t;
    double f1u = uv[2 * id[1]] - uv[2 * id[0]], f1v = uv[2 * id[1] + 1] - uv[2 * id[0] + 1];
    double f2u = uv[2 * id[2]] - uv[2 * id[0]], f2v = uv[2 * id[2] + 1] - uv[2 * id[0] + 1];
    a3 += area;
    a2 += 0.5 * fabs(f1u * f2v - f1v * f2u);
  }
  st->area_scale = a3 > 0 ? a2 / a3 : 0;
  // Flipped: a triangle whose flat orientation differs from that of the whole map (a
  // degenerate flat triangle of a non-degenerate surface triangle counts too).
  double total = 0;
  for (int t = 0; t < m->n_triangles; t++) {
    const int32_t *id = m->tri + 3 * t;
    total += (uv[2 * id[1]] - uv[2 * id[0]]) * (uv[2 * id[2] + 1] - uv[2 * id[0] + 1]) -
             (uv[2 * id[1] + 1] - uv[2 * id[0] + 1]) * (uv[2 * id[2]] - uv[2 * id[0]]);
  }
  for (int t = 0; t < m->n_triangles; t++) {
    double q[3][2];
    if (tri_local(m, t, 0, q) == 0) continue;
    const int32_t *id = m->tri + 3 * t;
    double a = (uv[2 * id[1]] - uv[2 * id[0]]) * (uv[2 * id[2] + 1] - uv[2 * id[0] + 1]) -
               (uv[2 * id[1] + 1] - uv[2 * id[0] + 1]) * (uv[2 * id[2]] - uv[2 * id[0]]);
    st->n_flipped += !(a * total > 0);
  }
  double wsum = 0;
  for (int t = 0; t < m->n_triangles; t++) {
    double q[3][2];
    double area = tri_local(m, t, 0, q);
    if (area == 0) continue;
    const int32_t *id = m->tri + 3 * t;
    double f1u = uv[2 * id[1]] - uv[2 * id[0]], f1v = uv[2 * id[1] + 1] - uv[2 * id[0] + 1];
    double f2u = uv[2 * id[2]] - uv[2 * id[0]], f2v = uv[2 * id[2] + 1] - uv[2 * id[0] + 1];
    // J = F Q^-1 with Q = [q1 q2] (columns), F = [f1 f2].
    double det = q[1][0] * q[2][1] - q[2][0] * q[1][1];
    double i00 = q[2][1] / det, i01 = -q[2][0] / det, i10 = -q[1][1] / det, i11 = q[1][0] / det;
    double s1, s2;
    sv2(f1u * i00 + f2u * i10, f1u * i01 + f2u * i11, f1v * i00 + f2v * i10, f1v * i01 + f2v * i11,
        &s1, &s2);
    if (!(s2 > 1e-12 * s1)) continue; // collapsed triangle: no finite distortion
    st->area_distortion += area * fabs(log(s1 * s2 / st->area_scale));
    st->angle_distortion += area * log(s1 / s2);
    st->max_angle_ratio = fmax(st->max_angle_ratio, s1 / s2);
    wsum += area;
  }
  if (wsum > 0) st->area_distortion /= wsum, st->angle_distortion /= wsum;
}

// Adds the 6x6 block a1 a1^T + a2 a2^T of one triangle's two residual rows to the
// normal equations of the free unknowns (upper triangle, as CHOLMOD's stype 1 wants),
// and moves the pinned unknowns' part to the right-hand side.
static void lscm_add_triangle(const double gx[3], const double gy[3], const int32_t id[3],
                              const int32_t *free_idx, const double *uv, cholmod_triplet *T,
                              double *rhs) {
  double a[2][6];
  int32_t col[6], node[6];
  for (int k = 0; k < 3; k++) {
    a[0][2 * k] = gx[k], a[0][2 * k + 1] = -gy[k]; // r1 = u_x - v_y
    a[1][2 * k] = gy[k], a[1][2 * k + 1] = gx[k];  // r2 = u_y + v_x
    for (int c = 0; c < 2; c++)
      col[2 * k + c] = free_idx[2 * id[k] + c], node[2 * k + c] = 2 * id[k] + c;
  }
  int *Ti = T->i, *Tj = T->j;
  double *Tx = T->x;
  for (int p = 0; p < 6; p++) {
    if (col[p] < 0) continue;
    for (int q = 0; q < 6; q++) {
      double v = a[0][p] * a[0][q] + a[1][p] * a[1][q];
      if (col[q] < 0) {
        rhs[col[p]] -= v * uv[node[q]];
      } else if (col[q] >= col[p]) {
        size_t n = T->nnz++;
        Ti[n] = col[p], Tj[n] = col[q], Tx[n] = v;
      }
    }
  }
}

// B-weighted centring (no translation) and scaling (x^T B x = 1) of a map.
static void spectral_normalize(double *x, const double *B, int n) {
  double s[2] = {0, 0}, w[2] = {0, 0}, q = 0;
  for (int i = 0; i < n; i++) s[i & 1] += B[i] * x[i], w[i & 1] += B[i];
  for (int i = 0; i < n; i++) x[i] -= s[i & 1] / w[i & 1];
  for (int i = 0; i < n; i++) q += B[i] * x[i] * x[i];
  double f = q > 0 ? 1 / sqrt(q) : 0;
  for (int i = 0; i < n; i++) x[i] *= f;
}

// Spectral conformal map (Mullen et al. 2008): the map x minimizing the LSCM energy
// x^T N x with x^T B x = 1 and no B-weighted translation, B the lumped boundary length.
// No pinned vertex decides the shape, so a ragged boundary or a hole does not drag the
// map. It is N's smallest generalized eigenvector past the translations, found by
// inverse iteration with one sparse Cholesky factor of N (plus a 1e-9 relative shift
// that makes it definite) from the planar projection. `idx` numbers the unknowns
// (2 per vertex, -1 unused); uv holds the start and gets the map. *iterations gets the
// iteration count.
static int lscm_spectral(const cr_mesh *m, const double *g, const int32_t *idx, int n,
                         const double *B, double *uv, int *iterations) {
  cholmod_common cc;
  cholmod_start(&cc);
  cc.print = 0;
  cc.error_handler = NULL;
  size_t nt = (size_t)m->n_triangles;
  cholmod_triplet *T =
      cholmod_allocate_triplet(n, n, 21 * nt + (size_t)n + 1, 1, CHOLMOD_REAL, &cc);
  cholmod_dense *b = cholmod_zeros(n, 1, CHOLMOD_REAL, &cc), *y = NULL;
  cholmod_sparse *A = NULL;
  cholmod_factor *L = NULL;
  double *x = malloc(((size_t)n + 1) * sizeof *x), *diag = calloc((size_t)n + 1, sizeof *diag);
  int rc = 0, it = 0;
  if (!T || !b || !x || !diag)
    rc = cr_error(CR_ENOMEM, "flat map: out of memory for the sparse system");
  for (size_t t = 0; !rc && t < nt; t++)
    lscm_add_triangle(g + 6 * t, g + 6 * t + 3, m->tri + 3 * t, idx, uv, T, b->x);
  if (!rc) {
    int *Ti = T->i, *Tj = T->j;
    double *Tx = T->x, mean = 0;
    for (size_t k = 0; k < T->nnz; k++)
      if (Ti[k] == Tj[k]) diag[Ti[k]] += Tx[k];
    for (int i = 0; i < n; i++) mean += diag[i] / n;
    for (int i = 0; i < n; i++) {
      size_t k = T->nnz++;
      Ti[k] = Tj[k] = i, Tx[k] = 1e-9 * mean;
    }
  }
  if (!rc && !(A = cholmod_triplet_to_sparse(T, 0, &cc)))
    rc = cr_error(CR_ENOMEM, "flat map: out of memory for the sparse system");
  if (!rc && !(L = cholmod_analyze(A, &cc)))
    rc = cr_error(CR_ENOMEM, "flat map: sparse analysis failed (CHOLMOD status %d)", cc.status);
  if (!rc && (!cholmod_factorize(A, L, &cc) || cc.status != CHOLMOD_OK))
    rc = cr_error(cc.status == CHOLMOD_NOT_POSDEF ? CR_ENUMERIC : CR_ENOMEM,
                  "flat map: sparse Cholesky failed (CHOLMOD status %d)", cc.status);
  if (!rc) {
    for (size_t v = 0; v < (size_t)m->n_vertices; v++)
      for (int c = 0; c < 2; c++)
        if (idx[2 * v + c] >= 0) x[idx[2 * v + c]] = uv[2 * v + c];
    spectral_normalize(x, B, n);
  }
  double *bx = b->x;
  for (; !rc && it < 200; it++) {
    for (int i = 0; i < n; i++) bx[i] = B[i] * x[i];
    cholmod_free_dense(&y, &cc);
    if (!(y = cholmod_solve(CHOLMOD_A, L, b, &cc))) {
      rc = cr_error(CR_ENOMEM, "flat map: sparse solve failed (CHOLMOD status %d)", cc.status);
      break;
    }
    double *yx = y->x, d = 0;
    spectral_normalize(yx, B, n);
    for (int i = 0; i < n; i++) d += B[i] * (yx[i] - x[i]) * (yx[i] - x[i]);
    memcpy(x, yx, (size_t)n * sizeof *x);
    if (!isfinite(d)) rc = cr_error(CR_ENUMERIC, "flat map: the spectral iteration diverged");
    if (d < 1e-13) {
      it++;
      break;
    }
  }
  for (size_t v = 0; !rc && v < (size_t)m->n_vertices; v++)
    for (int c = 0; c < 2; c++)
      if (idx[2 * v + c] >= 0) uv[2 * v + c] = x[idx[2 * v + c]];
  *iterations = it;
  free(x), free(diag);
  cholmod_free_dense(&y, &cc);
  cholmod_free_factor(&L, &cc);
  cholmod_free_sparse(&A, &cc);
  cholmod_free_dense(&b, &cc);
  cholmod_free_triplet(&T, &cc);
  cholmod_finish(&cc);
  return rc;
}

// Number of used triangles whose Jacobian in its (oriented) local frame has det <= 0.
static int count_folds(const cr_mesh *m, const double *g, const uint8_t *tri_ok, const double *uv) {
  int n = 0;
  for (size_t t = 0; t < (size_t)m->n_triangles; t++) {
    if (!tri_ok[t]) continue;
    const double *gx = g + 6 * t, *gy = gx + 3;
    double J[2][2] = {{0, 0}, {0, 0}};
    for (int k = 0; k < 3; k++)
      for (int c = 0; c < 2; c++) {
        double u = uv[2 * (size_t)m->tri[3 * t + k] + c];
        J[c][0] += u * gx[k], J[c][1] += u * gy[k];
      }
    n += !(J[0][0] * J[1][1] - J[0][1] * J[1][0] > 0);
  }
  return n;
}

// Local/global parameterization (Liu et al. 2008, "A Local/Global Approach to Mesh
// Parameterization") from the map in uv. Energy sum_t A_t (|J_t - L_t|_F^2 +
// lambda (r_t^2 - 1)^2) with L_t = r_t R_t a rotation R_t times a scale r_t: lambda
// infinite pins r_t = 1 (ARAP: as rigid as possible, each triangle keeps its size),
// lambda 0 frees it (ASAP: the conformal map again); in between the paper's hybrid.
// Local step: per triangle the best L_t for the current map, in closed form: R_t from
// the similarity part (E, H) of J_t, r_t the positive root of
// lambda r^3 + (1 - lambda) r - |(E, H)| = 0 (one positive root; Newton from
// max(1, |(E,H)|) descends to it monotonically). Global step: the Poisson problem
// K u = b with K the piecewise-linear stiffness matrix (sum_t A_t grad phi grad phi^T,
// positive semi-definite for any triangle shape), one vertex held where it is
// (translation; the energy does not see it): K does not change, so CHOLMOD factors it
// once and each iteration is two back-substitutions. Stops when the energy falls by
// less than 1e-6 of itself (or 1e-14 of the area), or after opt->arap_iterations. A step
// that would fold a triangle which the start map did not fold is shortened, or the steps
// stop (the result is the last map without new folds; *fold_stop = 1 when a step had to
// be shortened or refused). *iterations gets the number of steps kept.
static int arap_refine(const cr_mesh *m, const double *g, const uint8_t *tri_ok,
                       const cr_flat_options *opt, double *uv, int *iterations, int *fold_stop) {
  size_t nv = (size_t)m->n_vertices, nt = (size_t)m->n_triangles;
  // Beyond 1e12 the scale term is rigid to double precision (and lambda r^3 could overflow).
  double lambda = opt->arap_lambda > 1e12 ? INFINITY : opt->arap_lambda;
  *iterations = 0;
  int32_t *vi = malloc((nv + 1) * sizeof *vi);
  double *sa = malloc((nt + 1) * sizeof *sa), *L = malloc((4 * nt + 1) * sizeof *L);
  double *prev = malloc((2 * nv + 1) * sizeof *prev), *et = malloc((nt + 1) * sizeof *et);
  if (!vi || !sa || !L || !prev || !et) {
    free(vi), free(sa), free(L), free(prev), free(et);
    return cr_error(CR_ENOMEM, "flat map: out of memory for ARAP");
  }
  for (size_t v = 0; v < nv; v++) vi[v] = -1;
  int n = 0;
  for (size_t t = 0; t < nt; t++) {
    double q[3][2];
    sa[t] = tri_ok[t] ? sqrt(tri_local(m, (int)t, 0, q)) : 0;
    for (int k = 0; k < 3 && tri_ok[t]; k++)
      if (vi[m->tri[3 * t + k]] < 0) vi[m->tri[3 * t + k]] = n++;
  }
  cholmod_common cc;
  cholmod_start(&cc);
  cc.print = 0;
  cc.error_handler = NULL;
  cholmod_triplet *T = cholmod_allocate_triplet(n, n, 6 * nt + 1, 1, CHOLMOD_REAL, &cc);
  cholmod_dense *b = cholmod_zeros(n, 2, CHOLMOD_REAL, &cc), *y = NULL;
  cholmod_sparse *K = NULL;
  cholmod_factor *F = NULL;
  int rc = !T || !b ? cr_error(CR_ENOMEM, "flat map: out of memory for ARAP") : 0;
  // The held vertex: the first used one; its weight is the mean diagonal.
  int32_t pin = -1;
  double wpin = 0;
  for (size_t t = 0; !rc && t < nt; t++) {
    if (!tri_ok[t]) continue;
    const double *gx = g + 6 * t, *gy = gx + 3;
    int *Ti = T->i, *Tj = T->j;
    double *Tx = T->x;
    for (int k = 0; k < 3; k++)
      for (int l = 0; l < 3; l++) {
        int32_t a = vi[m->tri[3 * t + k]], c = vi[m->tri[3 * t + l]];
        if (c < a) continue;
        size_t z = T->nnz++;
        Ti[z] = a, Tj[z] = c, Tx[z] = gx[k] * gx[l] + gy[k] * gy[l];
        if (a == c) wpin += Tx[z] / n;
      }
    if (pin < 0) pin = m->tri[3 * t];
  }
  if (!rc && pin >= 0) {
    size_t z = T->nnz++;
    ((int *)T->i)[z] = ((int *)T->j)[z] = vi[pin], ((double *)T->x)[z] = wpin;
  }
  if (!rc && !(K = cholmod_triplet_to_sparse(T, 0, &cc)))
    rc = cr_error(CR_ENOMEM, "flat map: out of memory for ARAP");
  if (!rc && !(F = cholmod_analyze(K, &cc)))
    rc =
        cr_error(CR_ENOMEM, "flat map: ARAP sparse analysis failed (CHOLMOD status %d)", cc.status);
  if (!rc && (!cholmod_factorize(K, F, &cc) || cc.status != CHOLMOD_OK))
    rc = cr_error(CR_ENUMERIC, "flat map: ARAP sparse Cholesky failed (CHOLMOD status %d)",
                  cc.status);
  int folds0 = rc ? 0 : count_folds(m, g, tri_ok, uv);
  double e_prev = INFINITY, area = 0;
  for (size_t t = 0; t < nt; t++) area += sa[t] * sa[t];
  for (int it = 0; !rc && it < opt->arap_iterations; it++) {
    // Local step (independent per triangle) and the energy of the current map.
    // Parallel only for large patches: on a few thousand triangles a parallel region
    // per iteration costs more than the work on a loaded machine. Energies per
    // triangle, summed in order: the stopping test does not depend on the threads.
#pragma omp parallel for schedule(static) if (nt > 50000)
    for (long t = 0; t < (long)nt; t++) {
      double *Lt = L + 4 * t;
      et[t] = 0;
      if (!tri_ok[t]) {
        Lt[0] = Lt[1] = Lt[2] = Lt[3] = 0;
        continue;
      }
      const double *gx = g + 6 * t, *gy = gx + 3;
      double J[2][2] = {{0, 0}, {0, 0}};
      for (int k = 0; k < 3; k++)
        for (int c = 0; c < 2; c++) {
          double u = uv[2 * (size_t)m->tri[3 * t + k] + c];
          J[c][0] += u * gx[k] / sa[t], J[c][1] += u * gy[k] / sa[t];
        }
      double E = 0.5 * (J[0][0] + J[1][1]), H = 0.5 * (J[1][0] - J[0][1]), Q = hypot(E, H);
      double r = 1;
      if (isfinite(lambda)) {
        r = fmax(1, Q);
        for (int k = 0; k < 50; k++) {
          double h = lambda * r * r * r + (1 - lambda) * r - Q,
                 dh = 3 * lambda * r * r + 1 - lambda;
          double step = h / dh;
          r -= step;
          if (!(fabs(step) > 1e-14 * r)) break;
        }
      }
      double cs = Q > 0 ? E / Q : 1, sn = Q > 0 ? H / Q : 0;
      Lt[0] = r * cs, Lt[1] = -r * sn, Lt[2] = r * sn, Lt[3] = r * cs;
      double e = 0;
      for (int a = 0; a < 4; a++) e += pow((&J[0][0])[a] - Lt[a], 2);
      et[t] = sa[t] * sa[t] * (e + (isfinite(lambda) ? lambda * pow(r * r - 1, 2) : 0));
    }
    double energy = 0;
    for (size_t t = 0; t < nt; t++) energy += et[t];
    if (!(e_prev - energy > 1e-6 * energy + 1e-14 * area)) break; // (exact maps: energy ~ 0)
    e_prev = energy;
    // Global step: b = sum_t sqrt(A_t) G_t L_t^T (per vertex, per coordinate).
    double *bx = b->x;
    memset(bx, 0, 2 * (size_t)n * sizeof *bx);
    for (size_t t = 0; t < nt; t++) {
      if (!tri_ok[t]) continue;
      const double *gx = g + 6 * t, *gy = gx + 3, *Lt = L + 4 * t;
      for (int k = 0; k < 3; k++)
        for (int c = 0; c < 2; c++)
          bx[vi[m->tri[3 * t + k]] + (size_t)c * n] +=
              sa[t] * (Lt[2 * c] * gx[k] + Lt[2 * c + 1] * gy[k]);
    }
    for (int c = 0; c < 2; c++) bx[vi[pin] + (size_t)c * n] += wpin * uv[2 * (size_t)pin + c];
    cholmod_free_dense(&y, &cc);
    if (!(y = cholmod_solve(CHOLMOD_A, F, b, &cc))) {
      rc = cr_error(CR_ENOMEM, "flat map: ARAP solve failed (CHOLMOD status %d)", cc.status);
      break;
    }
    // A step that folds a triangle is halved (up to 6 times) towards the current map:
    // for fixed targets the energy is convex in the map, so a shorter step still lowers
    // it. If even 1/64 of the step folds, stop with the current map.
    memcpy(prev, uv, 2 * nv * sizeof *uv);
    const double *yx = y->x;
    int ok = 0;
    for (int half = 0; half <= 6 && !ok; half++) {
      double f = ldexp(1, -half);
      int finite = 1;
      for (size_t v = 0; v < nv; v++)
        if (vi[v] >= 0)
          for (int c = 0; c < 2; c++) {
            double p = prev[2 * v + c];
            uv[2 * v + c] = p + f * (yx[vi[v] + (size_t)c * n] - p);
            finite &= isfinite(uv[2 * v + c]);
          }
      ok = finite && count_folds(m, g, tri_ok, uv) <= folds0;
      if (!ok) *fold_stop = 1;
    }
    if (!ok) {
      memcpy(uv, prev, 2 * nv * sizeof *uv); // keep the last map without new folds
      break;
    }
    ++*iterations;
  }
  free(vi), free(sa), free(L), free(prev), free(et);
  cholmod_free_dense(&y, &cc);
  cholmod_free_factor(&F, &cc);
  cholmod_free_sparse(&K, &cc);
  cholmod_free_dense(&b, &cc);
  cholmod_free_triplet(&T, &cc);
  cholmod_finish(&cc);
  return rc;
}

// Boundary edges (used by exactly one non-degenerate triangle) add half their length
// to each end's two unknowns in B. Returns the boundary length (0: a closed surface).
static double boundary_mass(const cr_mesh *m, const uint8_t *tri_ok, const int32_t *idx, double *B,
                            int *rc) {
  size_t nt = (size_t)m->n_triangles, ne = 0;
  uint64_t *e = malloc((3 * nt + 1) * sizeof *e);
  if (!e) {
    *rc = cr_error(CR_ENOMEM, "flat map: out of memory");
    return 0;
  }
  for (size_t t = 0; t < nt; t++)
    for (int k = 0; k < 3 && tri_ok[t]; k++) {
      uint32_t a = (uint32_t)m->tri[3 * t + k], c = (uint32_t)m->tri[3 * t + (k + 1) % 3];
      e[ne++] = a < c ? ((uint64_t)a << 32) | c : ((uint64_t)c << 32) | a;
    }
  qsort(e, ne, sizeof *e, cmp_u64);
  double total = 0;
  for (size_t i = 0; i < ne;) {
    size_t j = i;
    while (j < ne && e[j] == e[i]) j++;
    if (j - i == 1) {
      int32_t a = (int32_t)(e[i] >> 32), c = (int32_t)(e[i] & 0xffffffffu);
      double len = 0;
      for (int d = 0; d < 3; d++) {
        double dd = m->xyz[3 * (size_t)a + d] - m->xyz[3 * (size_t)c + d];
        len += dd * dd;
      }
      len = sqrt(len);
      for (int cc = 0; cc < 2; cc++) B[idx[2 * a + cc]] += len / 2, B[idx[2 * c + cc]] += len / 2;
      total += len;
    }
    i = j;
  }
  free(e);
  return total;
}

static void fit_to_planar(const cr_mesh *m, const double *planar, double *uv);

// The spectral conformal map, then (method ARAP) the local/global steps from it.
static int flatten_lscm(const cr_mesh *m, const cr_flat_options *opt, const double *planar,
                        double *uv, int *iterations, int *arap_iterations, int *fold_stop) {
  size_t nv = (size_t)m->n_vertices, nt = (size_t)m->n_triangles;
  int ncomp = 0, rc = cr_mesh_edge_components(m, 0, NULL, &ncomp);
  if (rc) return rc;
  if (ncomp != 1)
    return cr_error(CR_EINVAL,
                    "flat map: the patch has %d pieces joined at most by vertices; a conformal "
                    "map needs one edge-connected piece (cr_mesh_keep_largest_edge_component)",
                    ncomp);
  // Orientation of the planar map relative to the outward winding: mirror the local
  // frames if needed so the conformal map keeps the planar map's handedness.
  double signed_area = 0;
  for (size_t t = 0; t < nt; t++) {
    const int32_t *id = m->tri + 3 * t;
    signed_area += (uv[2 * id[1]] - uv[2 * id[0]]) * (uv[2 * id[2] + 1] - uv[2 * id[0] + 1]) -
                   (uv[2 * id[1] + 1] - uv[2 * id[0] + 1]) * (uv[2 * id[2]] - uv[2 * id[0]]);
  }
  int mirror = signed_area < 0;
  double *g = malloc((6 * nt + 1) * sizeof(double)), *B = NULL;
  int32_t *idx = malloc((2 * nv + 1) * sizeof *idx);
  uint8_t *used = calloc(nv + 1, 1), *tri_ok = calloc(nt + 1, 1);
  if (!g || !idx || !used || !tri_ok) {
    free(g), free(idx), free(used), free(tri_ok);
    return cr_error(CR_ENOMEM, "flat map: out of memory");
  }
  // Per triangle, the gradients of its three hat functions in its own plane, scaled by
  // sqrt(area): the conformal energy is the sum of squares of the two residual rows.
  for (size_t t = 0; t < nt; t++) {
    double q[3][2], *gx = g + 6 * t, *gy = gx + 3;
    double area = tri_local(m, (int)t, mirror, q), sa = mirror ? -area : area;
    tri_ok[t] = area > 0;
    for (int k = 0; k < 3; k++) {
      int k1 = (k + 1) % 3, k2 = (k + 2) % 3;
      gx[k] = area > 0 ? (q[k1][1] - q[k2][1]) / (2 * sa) * sqrt(area) : 0;
      gy[k] = area > 0 ? (q[k2][0] - q[k1][0]) / (2 * sa) * sqrt(area) : 0;
      if (area > 0) used[m->tri[3 * t + k]] = 1;
    }
  }
  // Unknowns of the used vertices; the others keep their planar position.
  int n = 0;
  for (size_t v = 0; v < nv; v++)
    for (int c = 0; c < 2; c++) idx[2 * v + c] = used[v] ? n++ : -1;
  if (n < 6) rc = cr_error(CR_EEMPTY, "flat map: no non-degenerate triangle to flatten");
  if (!rc && !(B = calloc((size_t)n + 1, sizeof *B)))
    rc = cr_error(CR_ENOMEM, "flat map: out of memory");
  if (!rc && !(boundary_mass(m, tri_ok, idx, B, &rc) > 0) && !rc)
    rc = cr_error(CR_EINVAL, "flat map: the surface is closed (no boundary): cut it open first");
  if (!rc) rc = lscm_spectral(m, g, idx, n, B, uv, iterations);
  // lambda 0 is the conformal map itself (the steps would only shrink it to a point).
  if (!rc && opt->method == CR_FLAT_ARAP && opt->arap_lambda > 0 && opt->arap_iterations > 0) {
    // The ARAP energy is not scale-invariant: start from the conformal map at the
    // surface's area.
    fit_to_planar(m, planar, uv);
    rc = arap_refine(m, g, tri_ok, opt, uv, arap_iterations, fold_stop);
  }
  free(g), free(idx), free(used), free(tri_ok), free(B);
  return rc;
}

// Scales a map to the surface area, then turns and shifts it onto the planar map (least
// squares, no mirroring), so the flat map reads like the camera's view.
static void fit_to_planar(const cr_mesh *m, const double *planar, double *uv) {
  size_t nv = (size_t)m->n_vertices;
  cr_flat_stats st;
  cr_mesh_flat_stats(m, uv, &st);
  double s = st.area_scale > 0 ? 1.0 / sqrt(st.area_scale) : 1.0;
  double c0[2] = {0, 0}, c1[2] = {0, 0}, dot = 0, cross = 0;
  for (size_t v = 0; v < nv; v++)
    for (int a = 0; a < 2; a++) c0[a] += planar[2 * v + a] / nv, c1[a] += uv[2 * v + a] / nv;
  for (size_t v = 0; v < nv; v++) {
    double ax = uv[2 * v] - c1[0], ay = uv[2 * v + 1] - c1[1];
    double bx = planar[2 * v] - c0[0], by = planar[2 * v + 1] - c0[1];
    dot += ax * bx + ay * by, cross += ax * by - ay * bx;
  }
  double th = atan2(cross, dot), cs = s * cos(th), sn = s * sin(th);
  for (size_t v = 0; v < nv; v++) {
    double ax = uv[2 * v] - c1[0], ay = uv[2 * v + 1] - c1[1];
    uv[2 * v] = c0[0] + cs * ax - sn * ay, uv[2 * v + 1] = c0[1] + sn * ax + cs * ay;
  }
}

cr_flat_options cr_flat_defaults(void) {
  cr_flat_options o = {CR_FLAT_PLANAR, INFINITY, 100};
  return o;
}

int cr_mesh_flatten(const cr_mesh *m, const cr_pose *cam_from_world, cr_flat_method method,
                    double *uv, cr_flat_stats *stats) {
  cr_flat_options o = cr_flat_defaults();
  o.method = method;
  return cr_mesh_flatten_opt(m, cam_from_world, &o, uv, stats);
}

int cr_mesh_flatten_opt(const cr_mesh *m, const cr_pose *cam_from_world, const cr_flat_options *opt,
                        double *uv, cr_flat_stats *stats) {
  cr_flat_options o = opt ? *opt : cr_flat_defaults();
  if (m->n_triangles == 0) return cr_error(CR_EEMPTY, "flat map: empty mesh");
  if (o.method != CR_FLAT_PLANAR && o.method != CR_FLAT_LSCM && o.method != CR_FLAT_ARAP)
    return cr_error(CR_EINVAL, "flat map: unknown method %d", (int)o.method);
  if (!(o.arap_lambda >= 0) || o.arap_iterations < 0)
    return cr_error(CR_EINVAL, "flat map: ARAP lambda must be >= 0 and iterations >= 0");
  for (size_t v = 0; v < (size_t)m->n_vertices; v++) {
    double x[3] = {m->xyz[3 * v], m->xyz[3 * v + 1], m->xyz[3 * v + 2]}, c[3];
    cr_pose_apply(cam_from_world, x, c);
    uv[2 * v] = c[0], uv[2 * v + 1] = c[1];
  }
  int iterations = 0, arap_iterations = 0, fold_stop = 0;
  if (o.method != CR_FLAT_PLANAR) {
    size_t nv = (size_t)m->n_vertices;
    double *planar = malloc((2 * nv + 1) * sizeof *planar);
    if (!planar) return cr_error(CR_ENOMEM, "flat map: out of memory");
    memcpy(planar, uv, 2 * nv * sizeof *uv);
    int rc = flatten_lscm(m, &o, planar, uv, &iterations, &arap_iterations, &fold_stop);
    if (!rc) fit_to_planar(m, planar, uv);
    free(planar);
    if (rc) return rc;
  }
  if (stats) {
    cr_mesh_flat_stats(m, uv, stats);
    stats->iterations = iterations, stats->converged = 1;
    stats->arap_iterations = arap_iterations, stats->arap_fold_stop = fold_stop;
  }
  return 0;
}

int cr_mesh_flat_image(const cr_mesh *m, const double *uv, double pixel_mm, cr_image **out,
                       double uv_origin[2]) {
  *out = NULL;
  if (!(pixel_mm > 0)) return cr_error(CR_EINVAL, "flat map: pixel size must be > 0 mm");
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  for (int t = 0; t < m->n_triangles; t++)
    for (int k = 0; k < 3; k++)
      for (int a = 0; a < 2; a++) {
        double x = uv[2 * m->tri[3 * t + k] + a];
        lo[a] = fmin(lo[a], x), hi[a] = fmax(hi[a], x);
      }
  if (!(hi[0] >= lo[0])) return cr_error(CR_EEMPTY, "flat map: no triangles");
  double w = floor((hi[0] - lo[0]) / pixel_mm) + 1, h = floor((hi[1] - lo[1]) / pixel_mm) + 1;
  if (w > 8192 || h > 8192)
    return cr_error(CR_EINVAL, "flat map: %.0fx%.0f pixels at %g mm (max 8192): use larger pixels",
                    w, h, pixel_mm);
  int ch = m->rgb ? 3 : 1;
  cr_image *img = cr_image_new((int)w, (int)h, ch);
  if (!img) return CR_ENOMEM;
  cr_image_fill(img, NAN);
  for (int t = 0; t < m->n_triangles; t++) {
    const int32_t *id = m->tri + 3 * t;
    double px[3], py[3];
    for (int k = 0; k < 3; k++)
      px[k] = (uv[2 * id[k]] - lo[0]) / pixel_mm, py[k] = (uv[2 * id[k] + 1] - lo[1]) / pixel_mm;
    double area = (px[1] - px[0]) * (py[2] - py[0]) - (py[1] - py[0]) * (px[2] - px[0]);
    if (area == 0) continue;
    int xa = (int)ceil(fmin(px[0], fmin(px[1], px[2]))),
        xb = (int)floor(fmax(px[0], fmax(px[1], px[2])));
    int ya = (int)ceil(fmin(py[0], fmin(py[1], py[2]))),
        yb = (int)floor(fmax(py[0], fmax(py[1], py[2])));
    for (int y = ya < 0 ? 0 : ya; y <= yb && y < img->height; y++)
      for (int x = xa < 0 ? 0 : xa; x <= xb && x < img->width; x++) {
        double l[3];
        for (int k = 0; k < 3; k++) {
          int a = (k + 1) % 3, b = (k + 2) % 3;
          l[k] = ((px[b] - px[a]) * (y - py[a]) - (py[b] - py[a]) * (x - px[a])) / area;
        }
        if (l[0] < -1e-9 || l[1] < -1e-9 || l[2] < -1e-9) continue;
        float *o = cr_image_px(img, x, y);
        for (int c = 0; c < ch; c++) {
          double s = 0;
          for (int k = 0; k < 3; k++)
            s += l[k] * (m->rgb      ? m->rgb[3 * (size_t)id[k] + c]
                         : m->scalar ? m->scalar[id[k]]
                                     : 1.0);
          o[c] = (float)s;
        }
      }
  }
  if (uv_origin) uv_origin[0] = lo[0], uv_origin[1] = lo[1];
  *out = img;
  return 0;
}
