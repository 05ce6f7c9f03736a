#include "core/phantom.h"

#include "core/error.h"
#include "core/mat.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FOLDS 64
#define MAX_VESSELS 64

cr_phantom_options cr_phantom_defaults(void) {
  cr_phantom_options p;
  memset(&p, 0, sizeof p);
  p.dim[0] = 96, p.dim[1] = 112, p.dim[2] = 96;
  p.spacing_mm[0] = p.spacing_mm[1] = p.spacing_mm[2] = 1.75;
  strcpy(p.orientation, "RAS");
  p.radius_mm[0] = 65, p.radius_mm[1] = 80, p.radius_mm[2] = 58;
  p.fold_depth_mm = 8;
  p.gm_thickness_mm = 3;
  p.n_folds = 20;
  p.n_vessels = 14;
  p.vessel_radius_mm = 0.9;
  p.seed = 27;
  p.wm = 800, p.gm = 500, p.csf = 120, p.vessel = 1000, p.background = 0;
  return p;
}

int cr_phantom_affine(const cr_phantom_options *p, double A[4][4]) {
  // Column j of the rotation is the world direction of voxel axis j.
  double R[3][3] = {{0}};
  int used[3] = {0, 0, 0};
  for (int j = 0; j < 3; j++) {
    const char *pos = "RAS", *neg = "LPI";
    const char *hit;
    int axis, sign;
    char ch = p->orientation[j];
    if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
    if (ch && (hit = strchr(pos, ch)))
      axis = (int)(hit - pos), sign = 1;
    else if (ch && (hit = strchr(neg, ch)))
      axis = (int)(hit - neg), sign = -1;
    else
      return cr_error(CR_EINVAL, "phantom orientation '%s' is not a code like RAS or LPI",
                      p->orientation);
    if (used[axis])
      return cr_error(CR_EINVAL, "phantom orientation '%s' repeats an axis", p->orientation);
    used[axis] = 1;
    R[axis][j] = sign;
  }
  if (p->oblique_deg != 0) {
    double a = p->oblique_deg * M_PI / 180 / sqrt(3.0);
    double rvec[3] = {a, a, a}, Q[3][3];
    cr_rotation_from_rvec(Q, rvec);
    cr_mat3_mul(R, Q, R);
  }
  for (int a = 0; a < 3; a++) {
    if (!(p->spacing_mm[a] > 0) || p->dim[a] <= 0)
      return cr_error(CR_EINVAL, "phantom size and spacing must be positive");
  }
  cr_mat4_identity(A);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) A[i][j] = R[i][j] * p->spacing_mm[j];
  // Place the grid centre at centre_mm.
  double half[3] = {0.5 * (p->dim[0] - 1), 0.5 * (p->dim[1] - 1), 0.5 * (p->dim[2] - 1)}, off[3];
  for (int i = 0; i < 3; i++) off[i] = A[i][0] * half[0] + A[i][1] * half[1] + A[i][2] * half[2];
  for (int i = 0; i < 3; i++) A[i][3] = p->centre_mm[i] - off[i];
  return CR_OK;
}

// The anatomy's random parameters, drawn from the generator (seed, "phantom") of
// core/rng.h: sub-stream 1 + k for fold k, 1001 + k for vessel k. The phantom is a pure
// function of its parameters.
typedef struct anatomy {
  int n_folds, n_vessels;
  double fold_dir[MAX_FOLDS][3]; // unit direction of folding wave k
  double fold_freq[MAX_FOLDS];   // its frequency, rad per unit of fold_dir . u
  double fold_phase[MAX_FOLDS];  // rad
  double vessel_normal[MAX_VESSELS][3], vessel_mid[MAX_VESSELS][3]; // great circle, centre
  double vessel_phase[MAX_VESSELS];                                 // of its wiggle
} anatomy;

static void anatomy_draw(const cr_phantom_options *p, anatomy *a) {
  cr_rng base = cr_rng_make(p->seed, 0x7068616e746f6dull /* "phantom" */);
  a->n_folds = p->n_folds < 0 ? 0 : p->n_folds < MAX_FOLDS ? p->n_folds : MAX_FOLDS;
  a->n_vessels = p->n_vessels < 0 ? 0 : p->n_vessels < MAX_VESSELS ? p->n_vessels : MAX_VESSELS;
  for (int k = 0; k < a->n_folds; k++) {
    cr_rng r = cr_rng_split(&base, 1 + (uint64_t)k);
    cr_rng_unit_vector(&r, a->fold_dir[k]);
    a->fold_freq[k] = cr_rng_uniform_range(&r, 14, 24); // gyri ~10-20 mm apart
    a->fold_phase[k] = cr_rng_uniform_range(&r, 0, 2 * M_PI);
  }
  for (int k = 0; k < a->n_vessels; k++) {
    cr_rng r = cr_rng_split(&base, 1001 + (uint64_t)k);
    cr_rng_unit_vector(&r, a->vessel_normal[k]);
    cr_rng_unit_vector(&r, a->vessel_mid[k]);
    a->vessel_phase[k] = cr_rng_uniform_range(&r, 0, 7);
  }
}

typedef struct geometry {
  double rel[3]; // point relative to the centre, in mm
  double u[3];   // unit direction in the ellipsoid-normalized frame
  double rho;    // ellipsoidal radius (1 on the unfolded surface)
  double r_mean; // local ellipsoid radius along u, mm
} geometry;

static void point_geometry(const cr_phantom_options *p, const double xyz[3], geometry *g) {
  double s[3];
  for (int a = 0; a < 3; a++) {
    g->rel[a] = xyz[a] - p->centre_mm[a];
    s[a] = g->rel[a] / p->radius_mm[a];
  }
  g->rho = cr_vec3_norm(s);
  if (g->rho > 1e-12)
    cr_vec3_scale(g->u, s, 1 / g->rho);
  else
    g->u[0] = 0, g->u[1] = 0, g->u[2] = 1;
  double d = cr_vec3_norm(g->rel);
  g->r_mean = g->rho > 1e-12 ? d / g->rho : p->radius_mm[2];
}

// Sulcal depth (mm, >= 0) at direction u: broad gyri, narrow deep sulci.
static double sulcal_depth(const cr_phantom_options *p, const anatomy *a, const double u[3]) {
  int n = a->n_folds;
  if (n <= 0 || p->fold_depth_mm <= 0) return 0;
  double f = 0;
  for (int k = 0; k < n; k++)
    f += sin(a->fold_freq[k] * cr_vec3_dot(a->fold_dir[k], u) + a->fold_phase[k]);
  f /= sqrt((double)n); // ~unit variance
  // Sulci where f is near its maximum band: a narrow ridge of the field.
  double t = 1 - fabs(f); // 1 on the zero-crossings of f
  double ridge = t > 0.7 ? (t - 0.7) / 0.3 : 0;
  return p->fold_depth_mm * ridge * ridge * (3 - 2 * ridge);
}

double cr_phantom_surface_distance(const cr_phantom_options *p, const double xyz[3]) {
  anatomy a;
  anatomy_draw(p, &a);
  geometry g;
  point_geometry(p, xyz, &g);
  return (g.rho - 1) * g.r_mean + sulcal_depth(p, &a, g.u);
}

static double smooth_step(double edge, double x, double blur) {
  // 1 when x < edge, 0 when x > edge, a linear ramp of width blur between.
  if (blur <= 0) return x < edge ? 1 : 0;
  double t = (edge - x) / blur + 0.5;
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
}

// Vessel strength (0..1) at a point near the surface.
static double vessel_strength(const cr_phantom_options *p, const anatomy *a, const geometry *g,
                              double surf_dist, double blur) {
  int n = a->n_vessels;
  double r = p->vessel_radius_mm, best = 0;
  // Vessels lie on the outer (unfolded) surface: they bridge the sulci, as pial vessels do.
  double outer = (g->rho - 1) * g->r_mean;
  if (outer < -3 * r - blur || outer > 3 * r + blur) return 0;
  (void)surf_dist;
  for (int k = 0; k < n; k++) {
    const double *nrm = a->vessel_normal[k], *mid = a->vessel_mid[k];
    // Only the part of the great circle near `mid`: a vessel, not a ring.
    if (cr_vec3_dot(mid, g->u) < 0.55) continue;
    double wiggle = 0.04 * sin(9 * cr_vec3_dot(mid, g->u) + a->vessel_phase[k]);
    double across = (cr_vec3_dot(nrm, g->u) + wiggle) * g->r_mean; // mm from the centre line
    double radial = outer - r;                                     // centre line just above surface
    double dist = sqrt(across * across + radial * radial);
    double s = smooth_step(r, dist, blur);
    if (s > best) best = s;
  }
  return best;
}

static float phantom_value(const cr_phantom_options *p, const anatomy *a, const double xyz[3],
                           double blur_mm) {
  geometry g;
  point_geometry(p, xyz, &g);
  double outer = (g.rho - 1) * g.r_mean;
  if (outer > 6 * p->vessel_radius_mm + blur_mm + 2) return p->background;
  double sd = outer + sulcal_depth(p, a, g.u); // distance to folded surface, + outside
  double in_brain = smooth_step(0, sd, blur_mm);
  double in_wm = smooth_step(-p->gm_thickness_mm, sd, blur_mm);
  // Inside the outer envelope but outside the folded surface: CSF in the sulci.
  double in_envelope = smooth_step(0, outer, blur_mm);
  double tissue = in_wm * p->wm + (in_brain - in_wm) * p->gm + (in_envelope - in_brain) * p->csf +
                  (1 - in_envelope) * p->background;
  double v = vessel_strength(p, a, &g, sd, blur_mm);
  return (float)(tissue * (1 - v) + v * p->vessel);
}

float cr_phantom_value(const cr_phantom_options *p, const double xyz[3], double blur_mm) {
  anatomy a;
  anatomy_draw(p, &a);
  return phantom_value(p, &a, xyz, blur_mm);
}

int cr_phantom_make(const cr_phantom_options *p, cr_volume **out) {
  *out = NULL;
  double A[4][4];
  int rc = cr_phantom_affine(p, A);
  if (rc) return rc;
  for (int a = 0; a < 3; a++)
    if (!(p->radius_mm[a] > 0)) return cr_error(CR_EINVAL, "phantom radius must be positive");
  cr_volume *vol = cr_volume_new(p->dim[0], p->dim[1], p->dim[2], (const double(*)[4])A);
  if (!vol) return CR_ENOMEM;
  double blur = fmin(p->spacing_mm[0], fmin(p->spacing_mm[1], p->spacing_mm[2]));
  anatomy a;
  anatomy_draw(p, &a);
  for (int k = 0; k < p->dim[2]; k++)
    for (int j = 0; j < p->dim[1]; j++)
      for (int i = 0; i < p->dim[0]; i++) {
        double ijk[3] = {i, j, k}, xyz[3];
        cr_volume_voxel_to_world(vol, ijk, xyz);
        vol->data[cr_volume_index(vol, i, j, k)] = phantom_value(p, &a, xyz, blur);
      }
  *out = vol;
  return CR_OK;
}
