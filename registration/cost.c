// The registration cost over a list of views (see cost.h).
#include "registration/cost.h"

#include "registration/levels.h"

#include "core/error.h"
#include "registration/consistency.h"
#include "registration/focus.h"
#include "registration/global.h"
#include "registration/pyramid.h"
#include "registration/warp.h"
#include "render/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// The cost of a view whose render shares no valid pixel with its mask: a wall the
// optimizer backs off from, not an error.
#define CR_REG_WALL 1e10

typedef struct view_state {
  cr_pose cam_from_ref;
  double weight;
  cr_reg_levels lv;                         // cameras, masks, prepared photos, metrics
  unsigned char *pixels[CR_REG_MAX_LEVELS]; // pixels to render: the mask grown by 2 px
                                            // (gradient metrics read 3x3 neighbours)
  cr_image *work[CR_REG_MAX_LEVELS];        // vesselness of the render
  cr_image *surf[CR_REG_MAX_LEVELS];        // photo consistency: world xyz of view 0's render,
                                            // depth of the other views' renders
  long n_mask[CR_REG_MAX_LEVELS];           // pixels of the mask (all pixels without one)
  cr_image *lin_image[CR_REG_MAX_LEVELS];   // the render at the linearization pose (whole
  cr_image *lin_xyz[CR_REG_MAX_LEVELS];     // view), its world points and normals ...
  cr_image *lin_normal[CR_REG_MAX_LEVELS];
  cr_reg_warp *lin[CR_REG_MAX_LEVELS]; // ... kept for warping (cr_reg_cost_linearize)
} view_state;

struct cr_reg_cost {
  const cr_volume *vol;
  cr_reg_method method;
  cr_camera ref_camera;            // view 0's full-resolution camera
  cr_renderer *renderer;           // the method's mode, background NaN: misses leave the metric
  cr_renderer *surface;            // surface points (pivot, focus): `renderer` when its mode has
                                   // them, else an owned surface renderer (made when first needed)
  double focus_mm, focus_sigma_mm; // focus prior (focus_mm > 0: on)
  int is_fork;                     // 1: photos, masks and pixels are the parent's (borrowed)
  int has_light;                   // 1: renders lit by the point light light_ref
  double light_ref[3];             // its position, reference camera frame (mm)
  int levels, n_views;
  int consistency;                  // 1: the photo consistency term is on (uses_consistency)
  double *tiles[CR_REG_MAX_LEVELS]; // its workspace per level (cr_reg_consistency)
  int lin_level;                    // >= 0: renders at this level are warped from the
                                    // linearization's (cr_reg_cost_linearize); -1: off
  view_state view[CR_REG_MAX_VIEWS];
};

cr_reg_view cr_reg_view_mono(const cr_camera *camera, const cr_image *photo, const cr_image *mask) {
  cr_reg_view v;
  memset(&v, 0, sizeof v);
  v.camera = *camera, v.photo = photo, v.mask = mask;
  v.cam_from_ref = cr_pose_identity();
  v.weight = 1;
  return v;
}

void cr_reg_cost_free(cr_reg_cost *c) {
  if (!c) return;
  if (c->surface != c->renderer) cr_renderer_free(c->surface);
  cr_renderer_free(c->renderer);
  for (int v = 0; v < CR_REG_MAX_VIEWS; v++) {
    view_state *s = &c->view[v];
    for (int l = 0; l < CR_REG_MAX_LEVELS; l++) {
      cr_image_free(s->work[l]), cr_image_free(s->surf[l]);
      cr_image_free(s->lin_image[l]), cr_image_free(s->lin_xyz[l]);
      cr_image_free(s->lin_normal[l]), cr_reg_warp_free(s->lin[l]);
      if (c->is_fork) { // its own render buffers and metrics; the rest is the parent's
        cr_image_free(s->lv.render[l]), cr_metric_free(s->lv.metric[l]);
        s->lv.render[l] = NULL, s->lv.metric[l] = NULL;
      } else {
        free(s->pixels[l]);
      }
    }
    if (!c->is_fork) cr_reg_levels_free(&s->lv);
  }
  for (int l = 0; l < CR_REG_MAX_LEVELS; l++) free(c->tiles[l]);
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

static long mask_pixels(const cr_image *mask, const cr_camera *cam) {
  if (!mask) return (long)cam->width * cam->height;
  long n = 0;
  for (int y = 0; y < mask->height; y++)
    for (int x = 0; x < mask->width; x++) n += *cr_image_px(mask, x, y) != 0;
  return n;
}

// The fraction of the level's mask pixels where the render hit something.
static double coverage(const view_state *s, int l, const cr_image *render) {
  const cr_image *mask = s->lv.mask[l];
  long n = 0;
  for (int y = 0; y < render->height; y++) {
    const float *r = cr_image_row(render, y), *m = mask ? cr_image_row(mask, y) : NULL;
    for (int x = 0; x < render->width; x++) n += (!m || m[x] != 0) && !isnan(r[x]);
  }
  return s->n_mask[l] > 0 ? (double)n / (double)s->n_mask[l] : 0;
}

// The metric value of unrelated images, for the metrics that have one (0 for the
// correlations, NGF and MI, 1 for NMI); 0 and *value untouched for the others.
static int unrelated_value(const cr_metric_type *t, double *value) {
  static const struct {
    const char *name;
    double value;
  } table[] = {{"ngf", 0}, {"ncc", 0}, {"lncc", 0}, {"gc", 0}, {"mi", 0}, {"nmi", 1}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (!strcmp(t->name, table[i].name)) return *value = table[i].value, 1;
  return 0;
}

// The side of the consistency tiles at level l: the full-resolution side halved per level.
static int consistency_tile(const cr_reg_cost *c, int l) {
  const int t = c->method.consistency_tile_px >> l;
  return t < 4 ? 4 : t;
}

// Photo consistency needs two views and a render mode that finds the surface (xyz, depth).
static int uses_consistency(const cr_reg_cost *c) {
  const unsigned need = CR_RENDER_OUT_XYZ | CR_RENDER_OUT_DEPTH;
  return c->n_views > 1 && c->method.consistency_weight > 0 &&
         (c->method.mode->outputs & need) == need;
}

// The buffers of the photo consistency term, made once so that evaluations allocate
// nothing: per level, view 0's xyz, the other views' depth, the tile workspace.
static int consistency_buffers(cr_reg_cost *c) {
  if (!c->consistency) return 0;
  for (int l = 0; l < c->levels; l++) {
    for (int v = 0; v < c->n_views; v++) {
      const cr_camera *cam = &c->view[v].lv.cam[l];
      if (!(c->view[v].surf[l] = cr_image_new(cam->width, cam->height, v == 0 ? 3 : 1)))
        return cr_error(CR_ENOMEM, "registration cost: out of memory");
    }
    const cr_camera *c0 = &c->view[0].lv.cam[l];
    long n = cr_reg_consistency_tiles(c0->width, c0->height, consistency_tile(c, l));
    if (!(c->tiles[l] = calloc((size_t)(2 * n), sizeof(double))))
      return cr_error(CR_ENOMEM, "registration cost: out of memory");
  }
  return 0;
}

static int build_view(cr_reg_cost *c, int i, const cr_reg_view *v) {
  const char *name = v->name ? v->name : "photo";
  view_state *s = &c->view[i];
  if (!(v->weight > 0) || !isfinite(v->weight))
    return cr_error(CR_EINVAL, "view %d (%s): weight %g must be > 0", i, name, v->weight);
  if (!v->photo) return cr_error(CR_EINVAL, "view %d: no photo", i);
  if (v->photo->width != v->camera.width || v->photo->height != v->camera.height)
    return cr_error(CR_EINVAL, "view %d (%s): photo is %dx%d but its camera is %dx%d", i, name,
                    v->photo->width, v->photo->height, v->camera.width, v->camera.height);
  if (v->mask && (v->mask->width != v->camera.width || v->mask->height != v->camera.height))
    return cr_error(CR_EINVAL, "view %d (%s): mask is %dx%d but its camera is %dx%d", i, name,
                    v->mask->width, v->mask->height, v->camera.width, v->camera.height);
  s->cam_from_ref = v->cam_from_ref, s->weight = v->weight;
  cr_image *mask1 = v->mask ? cr_image_to_grey(v->mask, 0, NULL) : NULL;
  if (v->mask && !mask1) return cr_error(CR_ENOMEM, "registration cost: out of memory");
  const cr_reg_method *m = &c->method;
  int rc = cr_reg_levels_build(&s->lv, &v->camera, v->photo, mask1, c->levels, &m->prep, m->metric,
                               &m->metric_opt);
  cr_image_free(mask1);
  for (int l = 0; l < c->levels && !rc; l++) {
    if (s->lv.mask[l] && !(s->pixels[l] = render_pixels(s->lv.mask[l])))
      rc = cr_error(CR_ENOMEM, "registration cost: out of memory");
    s->n_mask[l] = mask_pixels(s->lv.mask[l], &s->lv.cam[l]);
  }
  return rc < 0 ? rc : (rc ? CR_EINVAL : 0);
}

static int cost_new(cr_reg_cost **out, const cr_reg_method *method, const cr_volume *vol,
                    const cr_mesh *mesh, const cr_reg_view *views, int n_views) {
  *out = NULL;
  if (n_views < 1 || n_views > CR_REG_MAX_VIEWS)
    return cr_error(CR_EINVAL, "registration cost: %d views (1..%d)", n_views, CR_REG_MAX_VIEWS);
  int rc = cr_reg_method_check(method);
  if (rc) return rc;
  if (method->levels < 1 || method->levels > CR_REG_MAX_LEVELS)
    return cr_error(CR_EINVAL, "registration cost: levels %d not in 1..%d", method->levels,
                    CR_REG_MAX_LEVELS);
  cr_reg_cost *c = calloc(1, sizeof *c);
  if (!c) return cr_error(CR_ENOMEM, "registration cost: out of memory");
  c->vol = vol, c->method = *method, c->levels = method->levels, c->n_views = n_views;
  c->lin_level = -1;
  c->ref_camera = views[0].camera;
  if (method->global) { // the global stage searches on coarser views than the loop uses
    int g = cr_reg_global_level(views[0].camera.width, method->global_width) + 1;
    if (g > CR_REG_MAX_LEVELS) g = CR_REG_MAX_LEVELS;
    if (g > c->levels) c->levels = g;
  }
  cr_render_options rp = cr_reg_method_render_options(method);
  rp.background = NAN;
  rc = cr_status_of(c->renderer = cr_renderer_new(vol, mesh, &rp));
  for (int i = 0; i < n_views && !rc; i++) rc = build_view(c, i, &views[i]);
  c->consistency = uses_consistency(c);
  if (!rc) rc = consistency_buffers(c);
  if (rc) {
    cr_reg_cost_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

cr_reg_cost *cr_reg_cost_new(const cr_reg_method *method, const cr_volume *vol, const cr_mesh *mesh,
                             const cr_reg_view *views, int n_views) {
  cr_reg_cost *c;
  int rc = cost_new(&c, method, vol, mesh, views, n_views);
  return rc ? (cr_error_status(rc), NULL) : c;
}

// Vesselness of a render in place of the render (misses take the lowest value for the
// filter, then the filter's output; all-miss renders stay NaN).
static int render_vesselness(cr_reg_cost *c, view_state *s, int l, cr_image **img) {
  cr_image *r = s->lv.render[l];
  if (!s->work[l] && !(s->work[l] = cr_image_new(r->width, r->height, 1)))
    return cr_error(CR_ENOMEM, "registration cost: out of memory");
  float lo = INFINITY;
  for (int y = 0; y < r->height; y++)
    for (int x = 0; x < r->width; x++) {
      float v = *cr_image_px(r, x, y);
      if (!isnan(v)) lo = fminf(lo, v);
    }
  if (!isfinite(lo)) return 0; // nothing hit: all NaN stays NaN
  for (int y = 0; y < r->height; y++)
    for (int x = 0; x < r->width; x++)
      if (isnan(*cr_image_px(r, x, y))) *cr_image_px(r, x, y) = lo;
  cr_reg_prep_options po = cr_reg_level_prep(&c->method.prep, l);
  int rc = cr_reg_vesselness(r, po.sigma_min_px, po.sigma_max_px, po.n_sigma > 0 ? po.n_sigma : 3,
                             po.bright_vessels, s->work[l]);
  *img = s->work[l];
  return rc;
}

// The light's position in view v's camera frame (cr_reg_cost_set_light) into l; NULL when
// every view has its headlight.
static const double *view_light(const cr_reg_cost *c, int v, double l[3]) {
  if (!c->has_light) return NULL;
  cr_pose_apply(&c->view[v].cam_from_ref, c->light_ref, l);
  return l;
}

// Renders view v at level l for the reference pose and prepares it; *img is the image
// the metric compares (NaN = nothing there). surface = 1: also the buffers of the photo
// consistency (view 0's surface points, the others' depth for hidden points).
static int render_view(cr_reg_cost *c, int v, int l, const cr_pose *ref_pose, int surface,
                       cr_image **img) {
  view_state *s = &c->view[v];
  cr_pose pose = cr_pose_compose(&s->cam_from_ref, ref_pose);
  // A pose an optimizer step reached beyond what the renderer traces (NaN, |t| > 1e9 mm:
  // cr_pose_check) costs the wall like an empty view, rather than ending the search.
  if (cr_pose_check(&pose)) return CR_EEMPTY;
  if (l == c->lin_level) { // the linearization's render moved to the pose
    // the light at the pose, in the world (the headlight: the camera centre)
    double lc[3] = {0, 0, 0}, light[3], light_world[3];
    if (view_light(c, v, light)) memcpy(lc, light, sizeof lc);
    const cr_pose world_from_cam = cr_pose_inverse(&pose);
    cr_pose_apply(&world_from_cam, lc, light_world);
    *img = s->lv.render[l];
    return cr_reg_warp_to(s->lin[l], &pose, light_world, s->pixels[l], *img,
                          surface && v == 0 ? s->surf[l] : NULL,
                          surface && v > 0 ? s->surf[l] : NULL);
  }
  // Vesselness filters the whole render, so it needs every pixel; otherwise only the
  // pixels the metric reads are rendered.
  cr_render_out ro;
  memset(&ro, 0, sizeof ro);
  ro.image = s->lv.render[l];
  ro.pixel_mask = c->method.prep.vesselness ? NULL : s->pixels[l];
  double light[3];
  ro.light_at = view_light(c, v, light);
  if (surface) {
    if (v == 0)
      ro.xyz = s->surf[l];
    else
      ro.depth = s->surf[l];
  }
  int rc = cr_render(c->renderer, &s->lv.cam[l], &pose, &ro);
  if (rc) return rc;
  *img = s->lv.render[l];
  return c->method.prep.vesselness ? render_vesselness(c, s, l, img) : 0;
}

static int check_level(const cr_reg_cost *c, int view, int level) {
  if (view < 0 || view >= c->n_views)
    return cr_error(CR_EINVAL, "registration cost: no view %d (%d views)", view, c->n_views);
  if (level < 0 || level >= c->levels)
    return cr_error(CR_EINVAL, "registration cost: level %d not built (%d levels)", level,
                    c->levels);
  return 0;
}

// View v's weighted metric cost; *wall = 1 where it is the wall (nothing to compare).
// surface: as render_view.
static int eval_view(cr_reg_cost *c, int v, int level, const cr_pose *pose, int surface,
                     double *cost, int *wall) {
  int rc = check_level(c, v, level);
  cr_image *img;
  if (!rc) rc = render_view(c, v, level, pose, surface, &img);
  double d = 0;
  if (!rc) rc = cr_metric_eval_cost(c->view[v].lv.metric[level], img, &d);
  *wall = 0;
  if (rc == CR_EEMPTY || (!rc && !isfinite(d))) {
    cr_error_clear();
    d = CR_REG_WALL, rc = 0, *wall = 1;
  } else if (!rc && c->method.coverage) {
    // Mask pixels the render misses count as unrelated: the cost moves from the value
    // over the hit pixels towards the unrelated value by the missed fraction.
    const cr_metric_type *t = c->method.metric;
    double u;
    if (unrelated_value(t, &u)) {
      double cu = cr_metric_cost(t, u);
      d = cu + coverage(&c->view[v], level, img) * (d - cu);
    }
  }
  *cost = c->view[v].weight * d;
  return rc;
}

int cr_reg_cost_eval_view(cr_reg_cost *c, int v, int level, const cr_pose *pose, double *cost) {
  int wall;
  return eval_view(c, v, level, pose, 0, cost, &wall);
}

// The photo consistency of view 0 with view k at `level`, from the surface points and
// depth of both views' renders at the reference pose `pose` (rendered just before).
static double consistency_of(cr_reg_cost *c, int k, int level, const cr_pose *pose) {
  const view_state *a = &c->view[0], *b = &c->view[k];
  cr_reg_consistency_in in = {.xyz = a->surf[level],
                              .photo_a = a->lv.photo[level],
                              .mask_a = a->lv.mask[level],
                              .cam_b = &b->lv.cam[level],
                              .b_from_world = cr_pose_compose(&b->cam_from_ref, pose),
                              .photo_b = b->lv.photo[level],
                              .mask_b = b->lv.mask[level],
                              .depth_b = b->surf[level],
                              .tile_px = consistency_tile(c, level)};
  return cr_reg_consistency(&in, c->tiles[level], NULL);
}

int cr_reg_cost_eval(int level, const cr_pose *pose, void *ctx, double *cost) {
  cr_reg_cost *c = ctx;
  // The photo consistency only at the method's levels: the coarser ones the global stage
  // adds (40 px) hold too little detail (a pixel of disparity there is ~18 mm of depth for a
  // stereo microscope), and the term made its search pick a wrong place (depth_global.cfg:
  // one stereo trial of 64 ended 46 mm off, with the term from 80 px on it succeeds).
  const int term = c->consistency && level < c->method.levels;
  double sum = 0;
  int walls = 0;
  for (int v = 0; v < c->n_views; v++) {
    double d;
    int wall;
    int rc = eval_view(c, v, level, pose, term, &d, &wall);
    if (rc) return rc;
    sum += d, walls += wall;
  }
  // A wall already rules the pose out (and left its view's buffers unrendered).
  if (term && !walls)
    for (int k = 1; k < c->n_views; k++)
      sum += c->method.consistency_weight * consistency_of(c, k, level, pose);
  if (c->focus_mm > 0) {
    double penalty;
    int rc = cr_reg_cost_focus_penalty(c, pose, NULL, &penalty);
    if (rc) return rc;
    sum += penalty;
  }
  *cost = sum;
  return 0;
}

int cr_reg_cost_consistency(cr_reg_cost *c, int k, int level, const cr_pose *pose, double *value) {
  int rc = check_level(c, k, level);
  if (rc) return rc;
  if (k < 1)
    return cr_error(CR_EINVAL, "photo consistency: view %d is not paired (1..%d)", k,
                    c->n_views - 1);
  if (!c->consistency)
    return cr_error(CR_EINVAL, "photo consistency is off (weight %g, %d views, %s mode)",
                    c->method.consistency_weight, c->n_views, c->method.mode->name);
  cr_image *img;
  if (!(rc = render_view(c, 0, level, pose, 1, &img))) rc = render_view(c, k, level, pose, 1, &img);
  if (rc == CR_EEMPTY) { // a pose beyond what is traced: nothing matched
    cr_error_clear();
    return *value = 1, 0;
  }
  if (!rc) *value = consistency_of(c, k, level, pose);
  return rc;
}

int cr_reg_cost_linearize(int level, const cr_pose *pose, void *ctx) {
  cr_reg_cost *c = ctx;
  c->lin_level = -1;
  // Only at the method's levels (the global stage's search level jumps between far poses)
  // and for renders the warp can move (shaded surface points: cr_reg_method_warps).
  if (!pose || level < 0 || level >= c->method.levels || !cr_reg_method_warps(&c->method) ||
      !cr_renderer_options(c->renderer)->lit)
    return pose ? 1 : 0;
  for (int v = 0; v < c->n_views; v++) {
    view_state *s = &c->view[v];
    const cr_camera *cam = &s->lv.cam[level];
    // made when first needed, once per cost (or fork) and level
    if ((!s->lin_image[level] &&
         !(s->lin_image[level] = cr_image_new(cam->width, cam->height, 1))) ||
        (!s->lin_xyz[level] && !(s->lin_xyz[level] = cr_image_new(cam->width, cam->height, 3))) ||
        (!s->lin_normal[level] &&
         !(s->lin_normal[level] = cr_image_new(cam->width, cam->height, 3))) ||
        (!s->lin[level] && !(s->lin[level] = cr_reg_warp_new())))
      return cr_error(CR_ENOMEM, "registration cost: out of memory");
    cr_pose vp = cr_pose_compose(&s->cam_from_ref, pose);
    if (cr_pose_check(&vp)) return 1; // beyond what is traced: every pose is rendered
    cr_render_out ro;
    memset(&ro, 0, sizeof ro);
    ro.image = s->lin_image[level], ro.xyz = s->lin_xyz[level], ro.normal = s->lin_normal[level];
    double light[3];
    ro.light_at = view_light(c, v, light);
    int rc = cr_render(c->renderer, cam, &vp, &ro);
    if (rc == CR_EEMPTY) return cr_error_clear(), 1;
    if (!rc)
      rc = cr_reg_warp_set(s->lin[level], cam, s->lin_image[level], s->lin_xyz[level],
                           s->lin_normal[level]);
    if (rc) return rc;
  }
  c->lin_level = level;
  return 0;
}

int cr_reg_cost_render(cr_reg_cost *c, int v, int level, const cr_pose *pose, const cr_image **img,
                       long *n_valid) {
  int rc = check_level(c, v, level);
  if (rc) return rc;
  cr_image *im;
  if ((rc = render_view(c, v, level, pose, 0, &im))) return rc;
  const cr_reg_levels *lv = &c->view[v].lv;
  long n = 0;
  for (int y = 0; y < im->height; y++)
    for (int x = 0; x < im->width; x++)
      n += isfinite(*cr_image_px(im, x, y)) && isfinite(*cr_image_px(lv->render[level], x, y)) &&
           (!lv->mask[level] || *cr_image_px(lv->mask[level], x, y) != 0);
  if (img) *img = im;
  if (n_valid) *n_valid = n;
  return 0;
}

const cr_image *cr_reg_cost_photo(const cr_reg_cost *c, int v, int level) {
  return v >= 0 && v < c->n_views && level >= 0 && level < c->levels ? c->view[v].lv.photo[level]
                                                                     : NULL;
}

const cr_camera *cr_reg_cost_camera(const cr_reg_cost *c, int v, int level) {
  return v >= 0 && v < c->n_views && level >= 0 && level < c->levels ? &c->view[v].lv.cam[level]
                                                                     : NULL;
}

const cr_image *cr_reg_cost_mask(const cr_reg_cost *c, int v, int level) {
  return v >= 0 && v < c->n_views && level >= 0 && level < c->levels ? c->view[v].lv.mask[level]
                                                                     : NULL;
}

long cr_reg_cost_mask_pixels(const cr_reg_cost *c, int v, int level) {
  return v >= 0 && v < c->n_views && level >= 0 && level < c->levels ? c->view[v].n_mask[level] : 0;
}

int cr_reg_cost_render_camera(cr_reg_cost *c, int v, const cr_camera *cam, const cr_pose *ref_pose,
                              cr_image *out) {
  return cr_reg_cost_render_camera_xyz(c, v, cam, ref_pose, out, NULL);
}

int cr_reg_cost_n_views(const cr_reg_cost *c) {
  return c->n_views;
}
int cr_reg_cost_levels(const cr_reg_cost *c) {
  return c->levels;
}
const cr_volume *cr_reg_cost_volume(const cr_reg_cost *c) {
  return c->vol;
}

// The renderer of surface points: the method's own when its mode finds a surface
// (surface, probe, mesh), else a surface renderer of the same iso level and step.
static int surface_renderer(cr_reg_cost *c, cr_renderer **out) {
  if (!c->surface) {
    if (c->method.mode->surface_points)
      c->surface = c->renderer;
    else {
      cr_render_options p = cr_render_defaults(&cr_render_mode_surface);
      p.iso = c->method.iso, p.step_mm = c->method.render_step_mm;
      int rc = cr_status_of(c->surface = cr_renderer_new(c->vol, NULL, &p));
      if (rc) return rc;
    }
  }
  *out = c->surface;
  return 0;
}

cr_reg_cost *cr_reg_cost_fork(cr_reg_cost *c) {
  cr_renderer *surface = NULL;
  // the parent's surface renderer is made now, so that the fork can share its set-up
  if (c->focus_mm > 0 && surface_renderer(c, &surface)) return NULL;
  cr_reg_cost *f = malloc(sizeof *f);
  if (!f) return cr_error(CR_ENOMEM, "registration cost: out of memory"), NULL;
  memcpy(f, c, sizeof *f);
  f->is_fork = 1, f->renderer = f->surface = NULL;
  for (int v = 0; v < CR_REG_MAX_VIEWS; v++) // nothing of the parent's to free by mistake
    for (int l = 0; l < CR_REG_MAX_LEVELS; l++)
      f->view[v].lv.render[l] = NULL, f->view[v].lv.metric[l] = NULL, f->view[v].work[l] = NULL,
      f->view[v].surf[l] = NULL, f->view[v].lin_image[l] = NULL, f->view[v].lin_xyz[l] = NULL,
      f->view[v].lin_normal[l] = NULL, f->view[v].lin[l] = NULL;
  f->lin_level = -1;
  for (int l = 0; l < CR_REG_MAX_LEVELS; l++) f->tiles[l] = NULL;
  int rc = cr_status_of(f->renderer = cr_renderer_fork(c->renderer));
  if (!rc && c->surface)
    rc = c->surface == c->renderer ? (f->surface = f->renderer, 0)
                                   : cr_status_of(f->surface = cr_renderer_fork(c->surface));
  for (int v = 0; v < c->n_views && !rc; v++) {
    cr_reg_levels *lv = &f->view[v].lv;
    for (int l = 0; l < c->levels && !rc; l++) {
      const cr_reg_levels *pl = &c->view[v].lv;
      if (!(lv->render[l] = cr_image_new(pl->cam[l].width, pl->cam[l].height, 1)))
        rc = cr_error(CR_ENOMEM, "registration cost: out of memory");
      else
        rc = cr_status_of(lv->metric[l] = cr_metric_new(c->method.metric, pl->photo[l], pl->mask[l],
                                                        &c->method.metric_opt));
    }
  }
  if (!rc) rc = consistency_buffers(f);
  if (rc) {
    cr_reg_cost_free(f);
    return cr_error_status(rc), NULL;
  }
  return f;
}

int cr_reg_cost_render_camera_xyz(cr_reg_cost *c, int v, const cr_camera *cam,
                                  const cr_pose *ref_pose, cr_image *out, cr_image *xyz) {
  int rc = check_level(c, v, 0);
  cr_renderer *surface = c->renderer; // without xyz: the method's renderer alone
  if (!rc && xyz) rc = surface_renderer(c, &surface);
  if (rc) return rc;
  cr_pose pose = cr_pose_compose(&c->view[v].cam_from_ref, ref_pose);
  if ((rc = cr_pose_check(&pose))) return rc;
  cr_render_out ro;
  memset(&ro, 0, sizeof ro);
  ro.image = out;
  double light[3];
  ro.light_at = view_light(c, v, light);
  if (surface == c->renderer) ro.xyz = xyz; // the method's mode finds the surface itself
  if ((rc = cr_render(c->renderer, cam, &pose, &ro)) || surface == c->renderer) return rc;
  memset(&ro, 0, sizeof ro);
  ro.xyz = xyz;
  return cr_render(surface, cam, &pose, &ro);
}

int cr_reg_cost_pivot(cr_reg_cost *c, const cr_pose *pose, double pivot[3]) {
  int n = 0;
  cr_renderer *r;
  int rc = surface_renderer(c, &r);
  if (!rc) rc = cr_render_surface_points(r, &c->ref_camera, pose, 4, NULL, 0, &n, pivot);
  if (rc == CR_EEMPTY)
    return cr_error(CR_EEMPTY, "the initial pose sees no part of the volume's surface");
  return rc;
}

int cr_reg_cost_iso(cr_reg_cost *c, double *iso) {
  cr_renderer *r;
  int rc = surface_renderer(c, &r);
  if (!rc) *iso = cr_renderer_options(r)->iso;
  return rc;
}

int cr_reg_cost_focus_distance(cr_reg_cost *c, const cr_pose *pose, double *distance_mm) {
  cr_renderer *r;
  int rc = surface_renderer(c, &r);
  return rc ? rc : cr_reg_focus_distance(r, &c->ref_camera, pose, distance_mm);
}

int cr_reg_cost_set_focus(cr_reg_cost *c, double distance_mm, double sigma_mm) {
  if (!(distance_mm > 0) || !isfinite(distance_mm))
    return cr_error(CR_EINVAL, "focus distance %g mm: must be > 0 (in front of the camera)",
                    distance_mm);
  if (!(sigma_mm > 0) || !isfinite(sigma_mm))
    return cr_error(CR_EINVAL, "focus sigma %g mm: must be > 0", sigma_mm);
  c->focus_mm = distance_mm, c->focus_sigma_mm = sigma_mm;
  return 0;
}

int cr_reg_cost_set_light(cr_reg_cost *c, const double at_ref[3]) {
  if (!at_ref) return c->has_light = 0, 0;
  if (!isfinite(at_ref[0] + at_ref[1] + at_ref[2]))
    return cr_error(CR_EINVAL, "light position (%g, %g, %g) mm: must be finite", at_ref[0],
                    at_ref[1], at_ref[2]);
  if (!c->method.mode->point_light)
    return cr_error(CR_EINVAL,
                    "a light position needs the surface render mode (the %s mode is lit from "
                    "its camera only)",
                    c->method.mode->name);
  for (int a = 0; a < 3; a++) c->light_ref[a] = at_ref[a];
  c->has_light = 1;
  return 0;
}

int cr_reg_cost_focus_penalty(cr_reg_cost *c, const cr_pose *pose, double *distance_mm,
                              double *penalty) {
  double d = NAN;
  *penalty = 0;
  if (!(c->focus_mm > 0)) return distance_mm ? (*distance_mm = NAN, 0) : 0;
  int rc = cr_reg_cost_focus_distance(c, pose, &d);
  if (rc == CR_EEMPTY) { // nothing in focus: a wall, like a view that sees nothing
    cr_error_clear();
    *penalty = CR_REG_WALL;
  } else if (rc) {
    return rc;
  } else {
    const double z = (d - c->focus_mm) / c->focus_sigma_mm;
    *penalty = c->method.focus_weight * z * z;
  }
  if (distance_mm) *distance_mm = d;
  return 0;
}
