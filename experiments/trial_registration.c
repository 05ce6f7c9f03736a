// Trial kind "registration": synthetic photo at the ground truth -> the method's cost
// -> register from the start pose.
#include "core/error.h"
#include "core/rng.h"
#include "experiments/synth.h"
#include "experiments/trial_kinds.h"
#include "registration/overlay.h"
#include "registration/pipeline.h"

#include <string.h>
#include <sys/stat.h>

static cr_synth_options synth_params(const cr_exp_config *cfg, const cr_exp_trial *t) {
  cr_synth_options sp = cr_synth_defaults();
  const cr_exp_photo *ph = &cfg->photo;
  sp.supersample = ph->supersample;
  sp.vessel_contrast = ph->vessel_contrast;
  sp.sulcus_darkening = ph->sulcus_darkening;
  sp.specular = ph->specular;
  sp.illumination = ph->illumination > ph->vignetting ? ph->illumination : ph->vignetting;
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

static int register_photo(const cr_exp_config *cfg, const cr_exp_scene *scene,
                          const cr_exp_trial *t, const cr_image *photo, const cr_image *mask,
                          const cr_exp_image_options *images, cr_exp_outcome *out) {
  const cr_exp_method *em = &cfg->methods[t->method];
  cr_reg_method m = em->reg;
  m.seed = (unsigned long)t->method_seed;
  cr_reg_view view = cr_reg_view_mono(&scene->camera, photo, mask);
  cr_reg_cost *cost = NULL;
  int rc = cr_status_of(cost = cr_reg_cost_new(&m, scene->volume, NULL, &view, 1));
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
  cr_reg_result res;
  if (!rc) rc = cr_reg_register(cost, &m, &t->start, &ro, &res);
  if (!rc) out->final = res.final, out->evals = res.evals;
  if (!rc && images && t->index < images->n_images)
    rc = write_images(images, t, photo, mask, cost, &res.final);
  cr_reg_cost_free(cost);
  return rc;
}

int cr_exp_trial_registration(const cr_exp_config *cfg, const cr_exp_scene *scene,
                              const cr_exp_trial *t, void *ctx, cr_exp_outcome *out) {
  if (!scene->volume) return cr_error(CR_EINVAL, "trial kind 'registration' needs a volume");
  const cr_camera *cam = &scene->camera;
  cr_image *photo = cr_image_new(cam->width, cam->height, 3);
  cr_image *mask = cr_image_new(cam->width, cam->height, 1);
  int rc = photo && mask ? 0 : cr_error(CR_ENOMEM, "out of memory");
  if (!rc) {
    cr_synth_options sp = synth_params(cfg, t);
    rc = cr_synth_photo(scene->volume, cam, &t->gt, t->surface_point, &sp, photo, mask);
  }
  if (!rc) rc = register_photo(cfg, scene, t, photo, mask, (const cr_exp_image_options *)ctx, out);
  cr_image_free(photo);
  cr_image_free(mask);
  return rc;
}
