// The renderer object: one mode (a row of the table) and its state. Checks what every
// mode relies on (inputs, camera, output sizes and the outputs the mode makes) and
// dispatches to the mode.
#include "render/internal.h"

#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct cr_renderer {
  const cr_render_mode_type *type;
  void *state;
  cr_render_options p; // with the automatic values the mode resolved
  double last_samples;
};

static int renderer_new(cr_renderer **out, const cr_volume *vol, const struct cr_mesh *mesh,
                        const cr_render_options *params) {
  *out = NULL;
  cr_render_options p = params ? *params : cr_render_defaults(&cr_render_mode_drr);
  const cr_render_mode_type *t = p.mode;
  if (!t) return cr_error(CR_EINVAL, "render: no mode in the parameters");
  if (vol && !vol->data) return cr_error(CR_EINVAL, "render: no volume data");
  int rc;
  if (vol && (rc = cr_volume_check_geometry(vol, "render: volume"))) return rc;
  if (!vol && (t->needs_volume || !mesh))
    return cr_error(CR_EINVAL, "render: the %s mode needs a volume%s", t->name,
                    t->needs_volume ? "" : " or a mesh");
  cr_renderer *r = calloc(1, sizeof *r);
  if (!r) return cr_error(CR_ENOMEM, "render: out of memory");
  rc = t->create(&r->state, vol, mesh, &p);
  if (rc) {
    free(r);
    return rc < 0 ? rc : CR_EINVAL;
  }
  r->type = t;
  r->p = p;
  *out = r;
  return 0;
}

cr_renderer *cr_renderer_new(const cr_volume *vol, const struct cr_mesh *mesh,
                             const cr_render_options *params) {
  cr_renderer *r;
  int rc = renderer_new(&r, vol, mesh, params);
  return rc ? (cr_error_status(rc), NULL) : r;
}

void cr_renderer_free(cr_renderer *r) {
  if (!r) return;
  r->type->destroy(r->state);
  free(r);
}

cr_renderer *cr_renderer_fork(const cr_renderer *r) {
  if (!r->type->fork) {
    cr_error(CR_EINVAL, "render: the %s mode has no fork (one thread at a time)", r->type->name);
    return NULL;
  }
  cr_renderer *f = calloc(1, sizeof *f);
  if (!f) return cr_error(CR_ENOMEM, "render: out of memory"), NULL;
  if (!(f->state = r->type->fork(r->state))) {
    free(f);
    return NULL;
  }
  f->type = r->type, f->p = r->p;
  return f;
}

const cr_render_options *cr_renderer_options(const cr_renderer *r) {
  return &r->p;
}
double cr_renderer_last_samples(const cr_renderer *r) {
  return r->last_samples;
}

// Where a mode's render function adds its samples: the renderer of the cr_render call
// in progress on this thread (a mode may render with another renderer inside its own).
static _Thread_local double *samples_sink;

void cr_render_add_samples(double n) {
  if (samples_sink) *samples_sink += n;
}

static int check_out(const cr_image *img, const cr_camera *cam, int c1, int c2, const char *what) {
  if (!img) return 0;
  if (img->width != cam->width || img->height != cam->height ||
      (img->channels != c1 && img->channels != c2))
    return cr_error(
        CR_EINVAL, "render: %s image is %dx%dx%d, the camera needs %dx%d with %d channel%s", what,
        img->width, img->height, img->channels, cam->width, cam->height, c1, c1 > 1 ? "s" : "");
  return 0;
}

// An output the mode does not make.
static int check_made(const cr_render_mode_type *t, const void *img, unsigned bit,
                      const char *what) {
  if (img && !(t->outputs & bit))
    return cr_error(CR_EINVAL, "render: the %s mode makes no %s output", t->name, what);
  return 0;
}

// A pose every mode can trace: finite, a rotation, the camera within 1e9 mm (a NaN or
// far-away pose made rays with infinite or meaningless entry and exit points).
static int check_pose(const cr_pose *cam_from_world) {
  int rc = cr_pose_check(cam_from_world);
  if (rc) cr_error_prefix("render: cam_from_world");
  return rc;
}

int cr_render(cr_renderer *r, const cr_camera *cam, const cr_pose *cam_from_world,
              const cr_render_out *out) {
  if (!out || !out->image) return cr_error(CR_EINVAL, "render: no output image");
  const cr_render_mode_type *t = r->type;
  int rc = cr_camera_validate(cam);
  if (rc || (rc = check_pose(cam_from_world))) return rc;
  const int colour = t->outputs & CR_RENDER_OUT_COLOUR ? 3 : 1;
  if ((rc = check_made(t, out->depth, CR_RENDER_OUT_DEPTH, "depth")) ||
      (rc = check_made(t, out->xyz, CR_RENDER_OUT_XYZ, "xyz")) ||
      (rc = check_made(t, out->normal, CR_RENDER_OUT_NORMAL, "normal")) ||
      (rc = check_out(out->image, cam, 1, colour, "output")) ||
      (rc = check_out(out->depth, cam, 1, 1, "depth")) ||
      (rc = check_out(out->xyz, cam, 3, 3, "xyz")) ||
      (rc = check_out(out->normal, cam, 3, 3, "normal")))
    return rc;
  if (out->light_at) {
    const double *l = out->light_at;
    if (!t->point_light)
      return cr_error(CR_EINVAL, "render: the %s mode takes no light position (headlight only)",
                      t->name);
    if (!isfinite(l[0] + l[1] + l[2]))
      return cr_error(CR_EINVAL, "render: the light position (%g, %g, %g) is not finite", l[0],
                      l[1], l[2]);
  }
  double *outer = samples_sink;
  r->last_samples = 0;
  samples_sink = &r->last_samples;
  rc = t->render(r->state, &r->p, cam, cam_from_world, out);
  samples_sink = outer;
  return rc;
}

int cr_render_surface_points(cr_renderer *r, const cr_camera *cam, const cr_pose *cam_from_world,
                             int stride_px, double *xyz, int max_points, int *n_points,
                             double centroid[3]) {
  if (!r->type->surface_points) {
    char have[256] = "";
    size_t len = 0;
    for (int i = 0; i < cr_render_mode_count() && len < sizeof have; i++) {
      const cr_render_mode_type *t = cr_render_mode_at(i);
      if (t->surface_points)
        len += (size_t)snprintf(have + len, sizeof have - len, "%s%s", len ? ", " : "", t->name);
    }
    return cr_error(CR_EINVAL, "render: the %s mode has no surface points (%s have)", r->type->name,
                    have);
  }
  int rc = cr_camera_validate(cam);
  if (rc || (rc = check_pose(cam_from_world))) return rc;
  return r->type->surface_points(r->state, &r->p, cam, cam_from_world, stride_px, xyz, max_points,
                                 n_points, centroid);
}
