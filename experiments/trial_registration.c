// Trial kind "registration": synthetic photos of the method's views at the ground truth
// -> the method's cost over those views -> register from the start pose.
#include "core/error.h"
#include "core/rng.h"
#include "experiments/synth.h"
#include "experiments/trial_kinds.h"
#include "registration/global.h"
#include "registration/overlay.h"
#include "registration/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include "registration/global.h"
#include <sys/stat.h>
#include <time.h>

static cr_synth_options synth_params(const cr_exp_config *cfg, const cr_exp_trial *t) {
  cr_synth_options sp = cr_synth_defaults();
  const cr_exp_photo *ph = &cfg->photo;
  sp.supersample = ph->supersample;
  sp.vessel_contrast = ph->vessel_contrast;
  sp.sulcus_darkening = ph->sulcus_darkening;
  sp.specular = ph->specular;
  sp.illumination = ph->illumination;
  sp.vignetting = ph->vignetting;
  sp.colour_cast = ph->colour_cast;
  sp.noise_sigma = ph->noise;
  sp.blur_px = ph->blur_px;
  sp.jpeg_quality = ph->jpeg_quality;
  sp.opening_mm = cfg->opening_mm / 2; // synth takes the radius
  sp.n_occluders = ph->occluders;
  sp.seed = t->photo_seed;
  return sp;
}

// The trial's photo and its overlay at the registered pose, for the montage figure.
static int write_images(const cr_exp_image_options *images, const cr_exp_trial *t,
                        const cr_image *photo, const cr_image *mask, cr_reg_cost *cost,
                        const cr_pose *final) {
  char path[4200];
  snprintf(path, sizeof path, "%s/images", images->dir);
  mkdir(path, 0777); // exists already for all but the first trial; writing reports failures
  snprintf(path, sizeof path, "%s/images/trial_%04ld_photo.png", images->dir, t->index);
  int rc = cr_image_write(path, photo, 8);
  const cr_image *ren, *prepared = cr_reg_cost_photo(cost, 0, 0);
  if (!rc) rc = cr_reg_cost_render(cost, 0, 0, final, &ren, NULL);
  cr_image *rgb = rc ? NULL : cr_image_new(prepared->width, prepared->height, 3);
  if (!rc && !rgb) rc = CR_ENOMEM;
  if (!rc) rc = cr_reg_overlay(prepared, ren, rgb);
  snprintf(path, sizeof path, "%s/images/trial_%04ld_overlay.png", images->dir, t->index);
  if (!rc) rc = cr_image_write(path, rgb, 8);
  cr_image_free(rgb);
  // the opening's mask (0/255), the registered pose and the camera: what `camreg overlay`
  // needs to draw labels on the photo (every trial writes the same camera file, atomically)
  cr_image *m8 = rc ? NULL : cr_image_new(mask->width, mask->height, 1);
  if (!rc && !m8) rc = CR_ENOMEM;
  for (size_t i = 0; !rc && i < (size_t)mask->width * mask->height; i++)
    m8->data[i] = mask->data[i * (size_t)mask->channels] != 0 ? 255.0f : 0.0f;
  snprintf(path, sizeof path, "%s/images/trial_%04ld_mask.png", images->dir, t->index);
  if (!rc) rc = cr_image_write(path, m8, 8);
  cr_image_free(m8);
  snprintf(path, sizeof path, "%s/images/trial_%04ld_pose.txt", images->dir, t->index);
  if (!rc) rc = cr_pose_write(path, final, "registered cam_from_world (camreg experiment)");
  snprintf(path, sizeof path, "%s/images/camera.yml", images->dir);
  if (!rc) rc = cr_camera_write(path, cr_reg_cost_camera(cost, 0, 0));
  return rc;
}

// The no-start mode: the user clicks the craniotomy centre in the MRI. It is drawn within
// look_at_mm of the viewed point (where the true principal ray meets the cortex), across the
// true optical axis, uniformly over the disc (from the photo's seed: every method of a
// sample gets the same point). The method gets the point and the focus distance (ro).
static int look_at_start(const cr_exp_config *cfg, const cr_exp_scene *scene, const cr_exp_trial *t,
                         cr_reg_cost *cost, cr_reg_register_options *ro, cr_pose *start) {
  double d, c[3], x[3], iso, normal[3];
  int rc = cr_reg_cost_focus_distance(cost, &t->gt, &d);
  if (!rc) rc = cr_reg_cost_iso(cost, &iso);
  if (rc) return rc;
  cr_rng rng = cr_rng_make(t->photo_seed, 0x6c6f6f6b6174ull /* "lookat" */);
  const double r = cfg->look_at_mm * sqrt(cr_rng_uniform(&rng)),
               phi = 2 * M_PI * cr_rng_uniform(&rng);
  cr_pose_camera_centre(&t->gt, c);
  for (int a = 0; a < 3; a++) // rows of R: the camera axes in world
    x[a] = c[a] + d * t->gt.R[2][a] + r * (cos(phi) * t->gt.R[0][a] + sin(phi) * t->gt.R[1][a]);
  rc = cr_reg_look_at_start(scene->volume, iso, x, ro->focus_distance_mm, start, normal);
  if (rc) return rc;
  ro->look_at = 1, ro->have_pivot = 1, ro->look_at_mm = cfg->look_at_mm;
  memcpy(ro->pivot_world, x, sizeof x);
  return 0;
}

// The cameras of the method's view set (view_set.h): cam_from_ref of each, view 0 the
// reference (identity). What a rig or tracker calibration gives a user.
static int trial_views(const cr_exp_config *cfg, const cr_exp_method *em, const cr_exp_trial *t,
                       cr_pose *cam_from_ref) {
  cam_from_ref[0] = cr_pose_identity();
  const cr_exp_view_set *vs = &em->views;
  if (vs->kind == CR_EXP_VIEWS_STEREO) {
    double d = vs->converge_mm > 0 ? vs->converge_mm : 0.5 * (cfg->dist_min_mm + cfg->dist_max_mm);
    cam_from_ref[1] = cr_exp_stereo_right_from_left(vs->baseline_mm, d);
    return 2;
  }
  if (vs->kind == CR_EXP_VIEWS_TRACKED) {
    // Turned about the point it was aimed at: the trial's look-at point, re-aimed within
    // aim_sigma_mm along the axis (drawn from the photo's seed: the same for every method).
    double p[3];
    cr_pose_apply(&t->gt, t->surface_point, p);
    cr_rng rng = cr_rng_make(t->photo_seed, 0x61696dull /* "aim" */);
    cam_from_ref[1] =
        cr_exp_turned_from_ref(vs->angle_deg, p[2] + vs->aim_sigma_mm * cr_rng_gaussian(&rng));
    return 2;
  }
  return 1;
}

static int register_photos(const cr_exp_config *cfg, const cr_exp_scene *scene,
                           const cr_exp_trial *t, int n_views, const cr_pose *cam_from_ref,
                           cr_image *const *photos, cr_image *const *masks,
                           const cr_exp_image_options *images, cr_exp_outcome *out) {
  const cr_exp_method *em = &cfg->methods[t->method];
  cr_reg_method m = em->reg;
  m.seed = (unsigned long)t->method_seed;
  const int look_at = cfg->start_mode == CR_EXP_START_LOOK_AT;
  if (look_at && !(em->focus_sigma_mm > 0))
    return cr_error(CR_EINVAL, "method %s: the look-at start mode needs focus_sigma_mm > 0",
                    em->name);
  if (look_at) m.global = 1; // no start pose: the global stage is the start
  cr_reg_view views[CR_SYNTH_MAX_VIEWS];
  for (int v = 0; v < n_views; v++) {
    views[v] = cr_reg_view_mono(&scene->camera, photos[v], masks[v]);
    views[v].cam_from_ref = cam_from_ref[v];
    views[v].weight = v ? em->views.weight : 1;
    views[v].name = v ? cr_exp_view_kind_name(em->views.kind) : "reference";
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cr_reg_cost *cost = NULL;
  int rc = cr_status_of(cost = cr_reg_cost_new(&m, scene->volume, NULL, views, n_views));
  if (rc) return rc;
  // The pivot is cr_reg_register's default (docs/design.md): the centroid of the surface
  // seen at the start pose.
  cr_reg_register_options ro = cr_reg_register_defaults();
  if (em->focus_sigma_mm > 0) {
    // What a microscope reports: its focus distance (docs/design.md) at the true pose,
    // known to within focus_sigma_mm (drawn from the photo's seed, so every method of a
    // sample gets the same). Nothing else of the ground truth reaches the method.
    double d;
    rc = cr_reg_cost_focus_distance(cost, &t->gt, &d);
    cr_rng rng = cr_rng_make(t->photo_seed, 0x666f637573ull /* "focus" */);
    if (!rc) ro.focus_distance_mm = d + em->focus_sigma_mm * cr_rng_gaussian(&rng);
    ro.focus_sigma_mm = em->focus_sigma_mm;
  }
  if (em->has_light) { // the rig's light as the user knows it (config key light_at_mm)
    ro.have_light = 1;
    memcpy(ro.light_at, em->light_at, sizeof ro.light_at);
  }
  cr_pose start = t->start;
  if (!rc && look_at) rc = look_at_start(cfg, scene, t, cost, &ro, &start);
  cr_reg_result res;
  if (!rc) rc = cr_reg_register(cost, &m, &start, &ro, &res);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (!rc) out->final = res.final, out->evals = res.evals;
  out->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  if (!rc && images && t->index < images->n_images)
    rc = write_images(images, t, photos[0], masks[0], cost, &res.final);
  cr_reg_cost_free(cost);
  return rc;
}

int cr_exp_trial_registration(const cr_exp_config *cfg, const cr_exp_scene *scene,
                              const cr_exp_trial *t, void *ctx, cr_exp_outcome *out) {
  if (!scene->volume) return cr_error(CR_EINVAL, "trial kind 'registration' needs a volume");
  const cr_camera *cam = &scene->camera;
  cr_pose cam_from_ref[CR_SYNTH_MAX_VIEWS];
  int n = trial_views(cfg, &cfg->methods[t->method], t, cam_from_ref), rc = 0;
  // Every view from the same scene at the same ground truth (experiments/synth.h); view 0
  // is the photo a mono method of the sample gets.
  cr_synth_view sv[CR_SYNTH_MAX_VIEWS];
  cr_image *photos[CR_SYNTH_MAX_VIEWS] = {0}, *masks[CR_SYNTH_MAX_VIEWS] = {0};
  for (int v = 0; v < n && !rc; v++) {
    sv[v].camera = *cam;
    sv[v].cam_from_world = cr_pose_compose(&cam_from_ref[v], &t->gt);
    // A tracked microscope moved to its second place takes its light along; a stereo
    // rig's cameras share the light on the body.
    sv[v].own_light = v > 0 && cfg->methods[t->method].views.kind == CR_EXP_VIEWS_TRACKED;
    photos[v] = cr_image_new(cam->width, cam->height, 3);
    masks[v] = cr_image_new(cam->width, cam->height, 1);
    if (!photos[v] || !masks[v]) rc = cr_error(CR_ENOMEM, "out of memory");
  }
  if (!rc) {
    cr_synth_options sp = synth_params(cfg, t);
    rc = cr_synth_photos(scene->volume, sv, n, t->surface_point, &sp, photos, masks);
  }
  if (!rc)
    rc = register_photos(cfg, scene, t, n, cam_from_ref, photos, masks,
                         (const cr_exp_image_options *)ctx, out);
  for (int v = 0; v < n; v++) cr_image_free(photos[v]), cr_image_free(masks[v]);
  return rc;
}
