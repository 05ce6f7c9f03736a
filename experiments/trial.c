// Trials: the brain convexity, ground-truth and start poses.
#include "experiments/trial.h"

#include "core/error.h"
#include "core/mat.h"
#include "core/rng.h"
#include "experiments/config.h"
#include "experiments/evaluate.h"
#include "registration/param.h"
#include "render/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cr_exp_fit_ellipsoid(const cr_volume *vol, double threshold, double centre[3],
                         double radii[3]) {
  double s0 = 0, s1[3] = {0, 0, 0}, s2[3] = {0, 0, 0};
  for (int k = 0; k < vol->dim[2]; k++)
    for (int j = 0; j < vol->dim[1]; j++) {
      const float *row = vol->data + ((size_t)k * vol->dim[1] + j) * vol->dim[0];
      for (int i = 0; i < vol->dim[0]; i++) {
        if (!(row[i] > threshold)) continue;
        double ijk[3] = {i, j, k}, x[3];
        cr_mat4_apply_point(x, vol->world_from_voxel, ijk);
        s0 += 1;
        for (int a = 0; a < 3; a++) s1[a] += x[a], s2[a] += x[a] * x[a];
      }
    }
  if (s0 < 10)
    return cr_error(CR_EEMPTY, "no brain voxels above threshold %g to fit the convexity",
                    threshold);
  for (int a = 0; a < 3; a++) {
    centre[a] = s1[a] / s0;
    double var = s2[a] / s0 - centre[a] * centre[a];
    radii[a] = sqrt(5.0 * (var > 0 ? var : 0));
  }
  return 0;
}

static int scene_new(const cr_exp_config *cfg, cr_exp_scene **out) {
  *out = NULL;
  cr_exp_scene *s = calloc(1, sizeof *s);
  if (!s) return cr_error(CR_ENOMEM, "out of memory");
  s->camera = cfg->camera;
  double c0[3] = {0, 0, 0}, r0[3] = {65, 80, 58};
  memcpy(s->centre, c0, sizeof c0);
  memcpy(s->radii, r0, sizeof r0);
  int rc = 0;
  if (cfg->volume_path[0]) {
    rc = cr_volume_load(cfg->volume_path, -1, &s->volume, NULL);
    if (!rc) rc = cr_volume_check_contrast(s->volume, cfg->volume_path);
    if (!rc && !cfg->has_brain) {
      rc = cr_exp_fit_ellipsoid(s->volume, cfg->volume_threshold, s->centre, s->radii);
      if (rc) cr_error_prefix(cfg->volume_path);
    }
  }
  s->surface_targets = s->volume && !strcmp(cfg->trial_kind, "registration");
  if (cfg->has_brain) {
    memcpy(s->centre, cfg->brain_centre, sizeof s->centre);
    memcpy(s->radii, cfg->brain_radii, sizeof s->radii);
  }
  if (rc) {
    cr_exp_scene_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

cr_exp_scene *cr_exp_scene_new(const cr_exp_config *cfg) {
  cr_exp_scene *s;
  int rc = scene_new(cfg, &s);
  return rc ? (cr_error_status(rc), NULL) : s;
}

void cr_exp_scene_free(cr_exp_scene *s) {
  if (!s) return;
  cr_volume_free(s->volume);
  free(s);
}

// A direction uniform on the spherical cap of half-angle cone_deg about unit a.
static void cone_direction(cr_rng *r, const double a[3], double cone_deg, double out[3]) {
  double e1[3], e2[3];
  cr_vec3_frame(a, e1, e2);
  double cmin = cos(cone_deg * M_PI / 180.0);
  double ct = 1.0 - cr_rng_uniform(r) * (1.0 - cmin), st = sqrt(fmax(0, 1 - ct * ct));
  double phi = 2.0 * M_PI * cr_rng_uniform(r);
  for (int i = 0; i < 3; i++) out[i] = ct * a[i] + st * (cos(phi) * e1[i] + sin(phi) * e2[i]);
  cr_vec3_normalize(out);
}

// The ellipsoid point along direction d from the centre, and its outward normal.
static void ellipsoid_point(const cr_exp_scene *s, const double d[3], double p[3], double n[3]) {
  double q = 0;
  for (int a = 0; a < 3; a++) q += (d[a] / s->radii[a]) * (d[a] / s->radii[a]);
  double t = 1.0 / sqrt(q);
  for (int a = 0; a < 3; a++) {
    p[a] = s->centre[a] + t * d[a];
    n[a] = (p[a] - s->centre[a]) / (s->radii[a] * s->radii[a]);
  }
  cr_vec3_normalize(n);
}

// Targets: a sunflower pattern of n points in the disk of radius rad about the surface
// point (tangent plane), projected radially onto the ellipsoid.
static void make_targets(const cr_exp_scene *s, cr_exp_trial *t, double rad) {
  double e1[3], e2[3];
  cr_vec3_frame(t->surface_normal, e1, e2);
  double golden = M_PI * (3.0 - sqrt(5.0));
  for (int a = 0; a < 3; a++) t->pivot[a] = 0;
  for (int k = 0; k < t->n_targets; k++) {
    double rr = rad * sqrt((k + 0.5) / t->n_targets), th = k * golden, q[3], d[3], nn[3];
    for (int a = 0; a < 3; a++)
      q[a] = t->surface_point[a] + rr * (cos(th) * e1[a] + sin(th) * e2[a]) - s->centre[a];
    memcpy(d, q, sizeof d);
    cr_vec3_normalize(d);
    ellipsoid_point(s, d, t->targets[k], nn);
    for (int a = 0; a < 3; a++) t->pivot[a] += t->targets[k][a] / t->n_targets;
  }
}

// Replaces the targets by the isosurface points seen at the ground truth within the
// opening's radius of the optical axis (see cr_exp_trial_make).
static int surface_targets(const cr_exp_scene *s, double radius_mm, cr_exp_trial *t) {
  cr_render_options rp = cr_render_defaults(&cr_render_mode_surface);
  cr_renderer *r = NULL;
  const int stride = 2;
  int cap = (s->camera.width / stride + 1) * (s->camera.height / stride + 1), n = 0, kept = 0;
  double *xyz = malloc((size_t)cap * 3 * sizeof *xyz);
  int rc = xyz ? cr_status_of(r = cr_renderer_new(s->volume, NULL, &rp))
               : cr_error(CR_ENOMEM, "out of memory");
  if (!rc) rc = cr_render_surface_points(r, &s->camera, &t->gt, stride, xyz, cap, &n, NULL);
  if (rc == CR_EEMPTY) rc = 0, n = 0;
  for (int i = 0; i < n && !rc; i++) { // keep those within the opening, compacted in place
    double xc[3];
    cr_pose_apply(&t->gt, &xyz[3 * i], xc);
    if (hypot(xc[0], xc[1]) <= radius_mm) memmove(&xyz[3 * kept++], &xyz[3 * i], 3 * sizeof *xyz);
  }
  if (!rc && kept >= 8) {
    int m = kept < t->n_targets ? kept : t->n_targets;
    for (int a = 0; a < 3; a++) t->pivot[a] = 0;
    for (int k = 0; k < m; k++) {
      const double *p = &xyz[3 * (long)((k + 0.5) * kept / m)];
      for (int a = 0; a < 3; a++) t->targets[k][a] = p[a], t->pivot[a] += p[a] / m;
    }
    t->n_targets = m;
  }
  cr_renderer_free(r);
  free(xyz);
  return rc;
}

static int draw_gt(const cr_exp_config *cfg, const cr_exp_scene *s, cr_rng *r, cr_exp_trial *t) {
  double d[3], w[3], eye[3], e1[3], e2[3];
  cone_direction(r, cfg->axis, cfg->axis_cone_deg, d);
  ellipsoid_point(s, d, t->surface_point, t->surface_normal);
  cone_direction(r, t->surface_normal, cfg->view_cone_deg, w);
  double dist = cfg->dist_min_mm + (cfg->dist_max_mm - cfg->dist_min_mm) * cr_rng_uniform(r);
  for (int a = 0; a < 3; a++) eye[a] = t->surface_point[a] + dist * w[a];
  cr_vec3_frame(w, e1, e2);
  int rc = cr_pose_look_at(&t->gt, eye, t->surface_point, e1);
  if (rc) return rc;
  // Roll about the optical axis: rotate the camera frame about its z axis.
  double roll = (cfg->roll_min_deg + (cfg->roll_max_deg - cfg->roll_min_deg) * cr_rng_uniform(r)) *
                M_PI / 180.0;
  double rv[3] = {0, 0, roll}, Rz[3][3];
  cr_rotation_from_rvec(Rz, rv);
  cr_mat3_mul(t->gt.R, Rz, t->gt.R);
  cr_mat3_apply(t->gt.t, Rz, t->gt.t);
  make_targets(s, t, cfg->opening_mm / 2);
  return s->surface_targets ? surface_targets(s, cfg->opening_mm / 2, t) : 0;
}

int cr_exp_pose_at_mtre(const cr_pose *gt, const double pivot[3], const double u[6],
                        const double (*targets)[3], int n, double mtre_mm, cr_pose *out) {
  cr_reg_param par;
  cr_reg_param_init(&par, gt, pivot);
  double p[6], lo = 0, hi = 1;
  for (int it = 0;; it++) {
    for (int i = 0; i < 6; i++) p[i] = hi * u[i];
    cr_pose q = cr_reg_param_to_pose(&par, p);
    if (cr_reg_mtre(&q, gt, targets, n) >= mtre_mm) break;
    if (it > 40) return cr_error(CR_ENUMERIC, "cannot reach an initial mTRE of %g mm", mtre_mm);
    lo = hi, hi *= 2;
  }
  for (int it = 0; it < 80 && hi - lo > 1e-12 * hi; it++) {
    double mid = 0.5 * (lo + hi);
    for (int i = 0; i < 6; i++) p[i] = mid * u[i];
    cr_pose q = cr_reg_param_to_pose(&par, p);
    if (cr_reg_mtre(&q, gt, targets, n) < mtre_mm)
      lo = mid;
    else
      hi = mid;
  }
  for (int i = 0; i < 6; i++) p[i] = 0.5 * (lo + hi) * u[i];
  *out = cr_reg_param_to_pose(&par, p);
  return 0;
}

static int draw_start(const cr_exp_config *cfg, cr_rng *r, cr_exp_trial *t) {
  double u[6];
  if (cfg->start_mode == CR_EXP_START_RANGES) {
    for (int i = 0; i < 6; i++)
      u[i] = (2 * cr_rng_uniform(r) - 1) * (i < 3 ? cfg->rot_range_deg : cfg->trans_range_mm);
    cr_reg_param par;
    cr_reg_param_init(&par, &t->gt, t->pivot);
    t->start = cr_reg_param_to_pose(&par, u);
    double m = cr_reg_mtre(&t->start, &t->gt, (const double(*)[3])t->targets, t->n_targets);
    t->bin = -1;
    t->bin_lo_mm = 2.0 * floor(m / 2.0), t->bin_hi_mm = t->bin_lo_mm + 2.0;
    return 0;
  }
  if (cfg->start_mode == CR_EXP_START_LOOK_AT) { // the trial kind makes the look-at point
    t->bin = 0, t->bin_lo_mm = 0, t->bin_hi_mm = cfg->look_at_mm;
    t->start = t->gt; // not given to the method
    return 0;
  }
  t->bin = (int)(t->sample % cfg->n_bins);
  t->bin_lo_mm = cfg->bins_mm[t->bin], t->bin_hi_mm = cfg->bins_mm[t->bin + 1];
  // A direction of the six parameters and an mTRE in the bin; with max_rotation_deg, drawn
  // again from the same stream while the start is turned more than that from the truth (a
  // turn about the viewed cortex moves it little, so a 30-40 mm start can be turned 90 deg
  // or more). A start the first draw accepts is the start without the limit.
  for (int draw = 0; draw < 10000; draw++) {
    double norm = 0;
    while (norm < 1e-6) {
      norm = 0;
      for (int i = 0; i < 6; i++) u[i] = cr_rng_gaussian(r), norm += u[i] * u[i];
      norm = sqrt(norm);
    }
    for (int i = 0; i < 6; i++) u[i] /= norm;
    double m = t->bin_lo_mm + (t->bin_hi_mm - t->bin_lo_mm) * cr_rng_uniform(r);
    if (m <= 0) {
      t->start = t->gt;
      return 0;
    }
    int rc = cr_exp_pose_at_mtre(&t->gt, t->pivot, u, (const double(*)[3])t->targets, t->n_targets,
                                 m, &t->start);
    if (rc || !(cfg->max_rotation_deg > 0)) return rc;
    double rot_deg, trans_mm;
    cr_exp_pose_errors(&t->start, &t->gt, &rot_deg, &trans_mm);
    if (rot_deg <= cfg->max_rotation_deg) return 0;
  }
  return cr_error(CR_EINVAL,
                  "sample %ld: no start of %g-%g mm mTRE within %g deg of the truth in 10000 draws",
                  t->sample, t->bin_lo_mm, t->bin_hi_mm, cfg->max_rotation_deg);
}

int cr_exp_trial_make(const cr_exp_config *cfg, const cr_exp_scene *scene, long index,
                      cr_exp_trial *t) {
  if (index < 0 || index >= cr_exp_config_units(cfg))
    return cr_error(CR_EINVAL, "trial %ld is outside 0..%ld", index, cr_exp_config_units(cfg) - 1);
  memset(t, 0, sizeof *t);
  t->index = index;
  t->sample = index / cfg->n_methods;
  t->method = (int)(index % cfg->n_methods);
  t->n_targets = cfg->n_targets;
  // Streams (seed, "trial") -> sample -> 0 photo, 1 ground truth, 2 start, 3 + m method m:
  // separate, so changing the start-pose rules never changes the ground truths.
  cr_rng trials = cr_rng_make(cfg->seed, 0x747269616cull /* "trial" */);
  cr_rng sample = cr_rng_split(&trials, (uint64_t)t->sample);
  cr_rng rg = cr_rng_split(&sample, 1), rs = cr_rng_split(&sample, 2);
  cr_rng rm = cr_rng_split(&sample, 3 + (uint64_t)t->method), rp = cr_rng_split(&sample, 0);
  t->method_seed = cr_rng_u64(&rm);
  t->photo_seed = cr_rng_u64(&rp);
  int rc = draw_gt(cfg, scene, &rg, t);
  if (!rc) rc = draw_start(cfg, &rs, t);
  return rc;
}
