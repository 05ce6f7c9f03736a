// Render + prepare + metric as a registration cost (see render_cost.h).
#include "registration/render_cost.h"

#include "registration/levels.h"

#include "core/error.h"
#include "registration/pyramid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cr_reg_render_cost {
  const cr_volume *vol;
  cr_camera camera;
  cr_reg_render_cost_options opt;
  cr_renderer *renderer;
  int levels;
  cr_reg_levels lv;                         // cameras, masks, prepared photos, metrics
  unsigned char *pixels[CR_REG_MAX_LEVELS]; // pixels to render: the mask grown by 2 px
                                            // (gradient metrics read 3x3 neighbours)
  cr_image *work[CR_REG_MAX_LEVELS];        // vesselness of the render
};

cr_reg_render_cost_options cr_reg_render_cost_defaults(void) {
  cr_reg_render_cost_options o;
  memset(&o, 0, sizeof o);
  o.render = cr_render_defaults(&cr_render_mode_surface);
  o.metric = NULL; // NULL = ngf
  o.metric_opt = cr_metric_default_options();
  o.prep = cr_reg_prep_defaults();
  o.levels = 3;
  return o;
}

void cr_reg_render_cost_free(cr_reg_render_cost *c) {
  if (!c) return;
  cr_renderer_free(c->renderer);
  cr_reg_levels_release(&c->lv);
  for (int l = 0; l < CR_REG_MAX_LEVELS; l++) cr_image_free(c->work[l]), free(c->pixels[l]);
  free(c);
}

// The pixels a level's metric can read: mask pixels and their neighbours within 2 px.
static unsigned char *render_pixels(const cr_image *mask) {
  const int w = mask->width, h = mask->height, grow = 2;
  unsigned char *p = calloc((size_t)w * h, 1);
  if (!p) return NULL;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      if (*cr_image_px(mask, x, y) == 0) continue;
      for (int dy = -grow; dy <= grow; dy++)
        for (int dx = -grow; dx <= grow; dx++) {
          int xx = x + dx, yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < w && yy < h) p[(size_t)yy * w + xx] = 1;
        }
    }
  return p;
}

static int build_levels(cr_reg_render_cost *c, const cr_image *photo, const cr_image *mask) {
  int rc = cr_reg_levels_build(&c->lv, &c->camera, photo, mask, c->levels, &c->opt.prep,
                               c->opt.metric, &c->opt.metric_opt);
  for (int l = 0; l < c->levels && !rc; l++)
    if (c->lv.mask[l] && !(c->pixels[l] = render_pixels(c->lv.mask[l]))) rc = CR_ENOMEM;
  return rc;
}

int cr_reg_render_cost_new(cr_reg_render_cost **out, const cr_volume *vol, const cr_camera *cam,
                           const cr_image *photo, const cr_image *mask,
                           const cr_reg_render_cost_options *opt) {
  *out = NULL;
  cr_reg_render_cost *c = calloc(1, sizeof *c);
  if (!c) return cr_error(CR_ENOMEM, "registration cost: out of memory");
  c->vol = vol, c->camera = *cam;
  c->opt = opt ? *opt : cr_reg_render_cost_defaults();
  if (!c->opt.metric) c->opt.metric = cr_metric_ngf;
  c->opt.render.background = NAN;
  c->levels = c->opt.levels;
  cr_image *mask1 = mask ? cr_image_to_grey(mask, 0, NULL) : NULL;
  int rc = mask && !mask1 ? CR_ENOMEM : 0;
  if (!rc) rc = cr_renderer_new(&c->renderer, vol, NULL, &c->opt.render);
  if (!rc) rc = build_levels(c, photo, mask1);
  cr_image_free(mask1);
  if (rc) {
    cr_reg_render_cost_free(c);
    return rc < 0 ? rc : CR_EINVAL;
  }
  *out = c;
  return 0;
}

// Renders and prepares level l into c->lv.render[l] (or c->work[l] after vesselness);
// returns the image to compare in *img.
static int render_level(cr_reg_render_cost *c, int l, const cr_pose *pose, cr_image **img) {
  // Vesselness filters the whole render, so it needs every pixel; otherwise only the
  // pixels the metric reads are rendered.
  cr_render_out ro = {c->lv.render[l], NULL, NULL, NULL, c->opt.prep.vesselness ? NULL : c->pixels[l], NULL};
  int rc = cr_render(c->renderer, &c->lv.cam[l], pose, &ro);
  if (rc) return rc;
  *img = c->lv.render[l];
  if (!c->opt.prep.vesselness) return 0;
  cr_image *r = c->lv.render[l];
  if (!c->work[l] && !(c->work[l] = cr_image_new(r->width, r->height, 1))) return CR_ENOMEM;
  float lo = INFINITY; // misses (NaN) take the lowest value for the filter, then NaN again
  for (int y = 0; y < r->height; y++)
    for (int x = 0; x < r->width; x++) lo = fminf(lo, isnan(*cr_image_px(r, x, y)) ? lo : *cr_image_px(r, x, y));
  if (!isfinite(lo)) return 0; // nothing hit: all NaN stays NaN
  for (int y = 0; y < r->height; y++)
    for (int x = 0; x < r->width; x++)
      if (isnan(*cr_image_px(r, x, y))) *cr_image_px(r, x, y) = lo;
  cr_reg_prep_options po = cr_reg_level_prep(&c->opt.prep, l);
  rc = cr_reg_vesselness(r, po.sigma_min_px, po.sigma_max_px, po.n_sigma > 0 ? po.n_sigma : 3,
                         po.bright_vessels, c->work[l]);
  *img = c->work[l];
  return rc;
}

int cr_reg_render_cost_eval(const cr_camera *camera, int level, const cr_pose *pose, void *ctx,
                            double *cost) {
  cr_reg_render_cost *c = ctx;
  if (level < 0 || level >= c->levels)
    return cr_error(CR_EINVAL, "registration cost: level %d not built (%d levels)", level, c->levels);
  cr_image *img;
  int rc = render_level(c, level, pose, &img);
  if (rc) return rc;
  rc = cr_metric_eval_cost(c->lv.metric[level], img, cost);
  if (rc == CR_EEMPTY || !isfinite(*cost)) {
    cr_error_clear();
    *cost = 1e10;
    return 0;
  }
  return rc;
}

int cr_reg_render_cost_render(cr_reg_render_cost *c, int level, const cr_pose *pose,
                              const cr_image **img, long *n_valid) {
  if (level < 0 || level >= c->levels)
    return cr_error(CR_EINVAL, "registration cost: level %d not built", level);
  cr_image *im;
  int rc = render_level(c, level, pose, &im);
  if (rc) return rc;
  long n = 0;
  for (int y = 0; y < im->height; y++)
    for (int x = 0; x < im->width; x++)
      n += isfinite(*cr_image_px(im, x, y)) && isfinite(*cr_image_px(c->lv.render[level], x, y)) &&
           (!c->lv.mask[level] || *cr_image_px(c->lv.mask[level], x, y) != 0);
  if (img) *img = im;
  if (n_valid) *n_valid = n;
  return 0;
}

const cr_image *cr_reg_render_cost_photo(const cr_reg_render_cost *c, int level) {
  return level >= 0 && level < c->levels ? c->lv.photo[level] : NULL;
}

int cr_reg_render_cost_pivot(const cr_reg_render_cost *c, const cr_pose *pose, double pivot[3]) {
  cr_render_params p = cr_render_defaults(&cr_render_mode_surface);
  p.iso = c->opt.render.iso, p.step_mm = c->opt.render.step_mm;
  cr_renderer *r = NULL;
  int rc = cr_renderer_new(&r, c->vol, NULL, &p);
  int n = 0;
  if (!rc) rc = cr_render_surface_points(r, &c->camera, pose, 4, NULL, 0, &n, pivot);
  cr_renderer_free(r);
  if (rc == CR_EEMPTY)
    return cr_error(CR_EEMPTY, "the initial pose sees no part of the volume's surface");
  return rc;
}
