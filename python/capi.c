// The few entry points of libcamreg that exist for the Python module (python/camreg,
// ctypes). Everything else Python calls is the library's own C API (cr_volume_load,
// cr_renderer_new, cr_render, cr_metric_new, cr_reg_method_set, ...). These functions
// keep the large option structs (cr_render_options, cr_reg_method, cr_synth_options,
// cr_exp_config) on the C side behind opaque pointers set by key, so a field added to one
// of them never shifts a layout that ctypes mirrors, and report the sizes of the small
// structs Python does mirror (cr_camera, cr_pose, cr_image, cr_volume, cr_render_out),
// which the module checks at import. Status returns and cr_last_error() as everywhere.
#include "core/error.h"
#include "experiments/config.h"
#include "experiments/runner.h"
#include "experiments/synth.h"
#include "registration/pipeline.h"
#include "registration/register.h"
#include "render/render.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// sizeof of a struct the Python module mirrors, by name; -1 for an unknown name.
long cr_py_sizeof(const char *type) {
  static const struct {
    const char *name;
    size_t size;
  } sizes[] = {{"cr_camera", sizeof(cr_camera)},
               {"cr_pose", sizeof(cr_pose)},
               {"cr_image", sizeof(cr_image)},
               {"cr_volume", sizeof(cr_volume)},
               {"cr_render_out", sizeof(cr_render_out)}};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    if (!strcmp(type, sizes[i].name)) return (long)sizes[i].size;
  return -1;
}

// Once at import: GSL reports errors as statuses instead of aborting the interpreter.
void cr_py_init(void) {
  cr_gsl_quiet();
}

// Releases memory this file returned (report texts).
void cr_py_free(void *p) {
  free(p);
}

// ---- options set by key: one table per option struct ----

typedef enum {
  O_DOUBLE,
  O_FLOAT,
  O_INT,
  O_FLAG,
  O_NOT_FLAG,
  O_WINDOW,
  O_TF,
  O_INTERP,
  O_U64
} opt_kind;

typedef struct opt_key {
  const char *name; // as the CLI's long option, '-' between words ('_' accepted)
  opt_kind kind;
  size_t off;
  double lo, hi; // range of numbers (inclusive)
} opt_key;

#define R_(f) offsetof(cr_render_options, f)
static const opt_key render_keys[] = {
    {"step", O_DOUBLE, R_(step_mm), 0, INFINITY},
    {"nearest", O_INTERP, R_(interp), 0, 0},
    {"window", O_WINDOW, 0, -INFINITY, INFINITY},
    {"iso", O_DOUBLE, R_(iso), NAN, INFINITY},
    {"tf", O_TF, 0, 0, 0},
    {"lit", O_FLAG, R_(lit), 0, 0},
    {"unlit", O_NOT_FLAG, R_(lit), 0, 0},
    {"probe-depth", O_DOUBLE, R_(probe_depth_mm), 0, INFINITY},
    {"probe-mean", O_FLAG, R_(probe_mean), 0, 0},
    {"probe-normal", O_FLAG, R_(probe_along_normal), 0, 0},
    {"surface-smooth", O_DOUBLE, R_(surface_smooth_mm), 0, INFINITY},
    {"smooth", O_INT, R_(mesh_smooth_iterations), 0, 10000},
    {"probe", O_FLAG, R_(mesh_probe), 0, 0},
    {"undistorted", O_FLAG, R_(undistorted), 0, 0},
    {"background", O_FLOAT, R_(background), -INFINITY, INFINITY},
};
#undef R_

#define S_(f) offsetof(cr_synth_options, f)
static const opt_key synth_keys[] = {
    {"supersample", O_INT, S_(supersample), 1, 4},
    {"iso", O_DOUBLE, S_(iso), NAN, INFINITY},
    {"vessels", O_DOUBLE, S_(vessel_contrast), 0, INFINITY},
    {"sulci", O_DOUBLE, S_(sulcus_darkening), 0, INFINITY},
    {"specular", O_DOUBLE, S_(specular), 0, INFINITY},
    {"light-tilt", O_DOUBLE, S_(light_tilt_deg), 0, 80},
    {"illumination", O_DOUBLE, S_(illumination), 0, INFINITY},
    {"cast", O_DOUBLE, S_(colour_cast), 0, INFINITY},
    {"noise", O_DOUBLE, S_(noise_sigma), 0, INFINITY},
    {"blur", O_DOUBLE, S_(blur_px), 0, INFINITY},
    {"jpeg", O_INT, S_(jpeg_quality), 0, 100},
    {"opening", O_DOUBLE, S_(opening_mm), 0, INFINITY},
    {"occluders", O_INT, S_(n_occluders), 0, 4},
    {"seed", O_U64, S_(seed), 0, 18446744073709551615.0},
};
#undef S_

// Names are equal when they differ only in '-' against '_'.
static int name_equal(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_'))) return 0;
  return *a == *b;
}

static int parse_number(const char *what, const char *key, const char *s, double lo, double hi,
                        double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  while (isspace((unsigned char)*end)) end++;
  if (end == s || *end || errno == ERANGE)
    return cr_error(CR_EINVAL, "%s option %s: '%s' is not a number", what, key, s);
  if (isnan(v) && isnan(lo)) return *out = v, 0; // NaN means automatic for these keys
  if (!(v >= (isnan(lo) ? -INFINITY : lo) && v <= hi))
    return cr_error(CR_EINVAL, "%s option %s: %s is outside %g..%g", what, key, s,
                    isnan(lo) ? -INFINITY : lo, hi);
  *out = v;
  return 0;
}

static int parse_flag(const char *what, const char *key, const char *s, int *out) {
  if (!strcmp(s, "1") || !strcmp(s, "true")) return *out = 1, 0;
  if (!strcmp(s, "0") || !strcmp(s, "false")) return *out = 0, 0;
  return cr_error(CR_EINVAL, "%s option %s: '%s' is not 1/0 or true/false", what, key, s);
}

static void list_keys(const opt_key *keys, size_t n, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = 0;
  for (size_t i = 0; i < n && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", keys[i].name);
}

static int set_key(const char *what, const opt_key *keys, size_t n, void *opts, const char *key,
                   const char *value) {
  const opt_key *k = NULL;
  for (size_t i = 0; i < n && !k; i++)
    if (name_equal(keys[i].name, key)) k = &keys[i];
  if (!k) {
    char names[512];
    list_keys(keys, n, names, sizeof names);
    return cr_error(CR_EINVAL, "unknown %s option '%s' (known: %s)", what, key, names);
  }
  char *base = (char *)opts + k->off;
  double v, w[2];
  int rc, flag = 0;
  switch (k->kind) {
  case O_DOUBLE:
    if ((rc = parse_number(what, k->name, value, k->lo, k->hi, &v))) return rc;
    *(double *)base = v;
    return 0;
  case O_FLOAT:
    if ((rc = parse_number(what, k->name, value, k->lo, k->hi, &v))) return rc;
    *(float *)base = (float)v;
    return 0;
  case O_INT:
  case O_U64:
    if ((rc = parse_number(what, k->name, value, k->lo, k->hi, &v))) return rc;
    if (v != floor(v))
      return cr_error(CR_EINVAL, "%s option %s: %s is not a whole number", what, k->name, value);
    if (k->kind == O_INT)
      *(int *)base = (int)v;
    else
      *(uint64_t *)base = (uint64_t)v;
    return 0;
  case O_FLAG:
  case O_NOT_FLAG:
    if ((rc = parse_flag(what, k->name, value, &flag))) return rc;
    *(int *)base = k->kind == O_FLAG ? flag : !flag;
    return 0;
  case O_INTERP:
    if ((rc = parse_flag(what, k->name, value, &flag))) return rc;
    ((cr_render_options *)opts)->interp = flag ? CR_INTERP_NEAREST : CR_INTERP_LINEAR;
    return 0;
  case O_WINDOW: {
    cr_render_options *p = opts;
    const char *comma = strchr(value, ',');
    char a[64];
    size_t len = comma ? (size_t)(comma - value) : 0;
    if (!comma || len >= sizeof a)
      return cr_error(CR_EINVAL, "render option window: '%s' is not LO,HI", value);
    memcpy(a, value, len), a[len] = 0;
    if ((rc = parse_number(what, "window", a, -INFINITY, INFINITY, &w[0])) ||
        (rc = parse_number(what, "window", comma + 1, -INFINITY, INFINITY, &w[1])))
      return rc;
    if (!(w[1] > w[0])) return cr_error(CR_EINVAL, "render option window: needs LO < HI");
    p->windowed = 1, p->window_lo = (float)w[0], p->window_hi = (float)w[1];
    return 0;
  }
  case O_TF:
    if ((rc = cr_render_tf_parse(value, opts))) {
      cr_error_prefix("render option tf");
      return rc;
    }
    return 0;
  }
  return cr_error(CR_EINVAL, "%s option %s: not settable", what, key);
}

// Render options: the defaults of mode `mode` (NULL + error for an unknown mode).
cr_render_options *cr_py_render_options_new(const char *mode) {
  const cr_render_mode_type *t = cr_render_mode_find(mode);
  if (!t) return NULL;
  cr_render_options *p = malloc(sizeof *p);
  if (!p) return cr_error(CR_ENOMEM, "out of memory"), NULL;
  *p = cr_render_defaults(t);
  return p;
}

void cr_py_render_options_free(cr_render_options *p) {
  free(p);
}

// Sets a render option by the name of `camreg render`'s long option (step, nearest,
// window "LO,HI", iso, tf, lit, unlit, probe-depth, probe-mean, probe-normal,
// surface-smooth, smooth, probe, undistorted, background); flags take 1/0/true/false.
int cr_py_render_options_set(cr_render_options *p, const char *key, const char *value) {
  return set_key("render", render_keys, sizeof render_keys / sizeof render_keys[0], p, key, value);
}

// The CR_RENDER_OUT_* bits of a renderer's mode and whether it needs a volume.
unsigned cr_py_renderer_outputs(const cr_renderer *r) {
  return cr_renderer_options(r)->mode->outputs;
}

// cr_render, also returning the seconds the library spent in it (for the overhead
// benchmark: what the Python call adds is its wall time minus this).
int cr_py_render(cr_renderer *r, const cr_camera *cam, const cr_pose *cam_from_world,
                 const cr_render_out *out, double *seconds) {
  double t0 = omp_get_wtime();
  int rc = cr_render(r, cam, cam_from_world, out);
  if (seconds) *seconds = omp_get_wtime() - t0;
  return rc;
}

// cr_pose_from_rvec_tvec through a pointer (Python passes no struct by value).
void cr_py_pose_from_rvec_tvec(const double rvec[3], const double tvec[3], cr_pose *out) {
  *out = cr_pose_from_rvec_tvec(rvec, tvec);
}

// cr_camera_scaled through pointers.
void cr_py_camera_scaled(const cr_camera *cam, double scale, cr_camera *out) {
  *out = cr_camera_scaled(cam, scale);
}

// ---- registration method ----

// A method with cr_reg_method_defaults(); set keys with cr_reg_method_set.
cr_reg_method *cr_py_method_new(void) {
  cr_reg_method *m = malloc(sizeof *m);
  if (!m) return cr_error(CR_ENOMEM, "out of memory"), NULL;
  *m = cr_reg_method_defaults();
  return m;
}

void cr_py_method_free(cr_reg_method *m) {
  free(m);
}

// The metric of a method and its options (the metric keys of the method table), for
// cr_metric_new: Python's metrics take the same option names as `camreg register`.
const cr_metric_type *cr_py_method_metric(const cr_reg_method *m) {
  return m->metric;
}
const cr_metric_options *cr_py_method_metric_options(const cr_reg_method *m) {
  return &m->metric_opt;
}

// A mono registration exactly as `camreg register` runs it: the cost of `m` for one view
// (camera, photo, optional mask), cr_reg_register from `start` with the optional pivot
// (NULL: automatic), working distance (for prior-weight) and focus distance (0 = none)
// with its sigma. Fills *final and *report_json (JSON text of cr_reg_report_json with
// cr_reg_register_report_extra; free with cr_py_free).
int cr_py_register(const cr_reg_method *m, const cr_volume *vol, const cr_camera *cam,
                   const cr_image *photo, const cr_image *mask, const cr_pose *start,
                   const double *pivot, double prior_distance_mm, double focus_distance_mm,
                   double focus_sigma_mm, cr_pose *final, char **report_json) {
  *report_json = NULL;
  int rc = cr_reg_method_check(m);
  if (rc) return rc;
  if (focus_distance_mm != 0 && !(focus_distance_mm > 0))
    return cr_error(CR_EINVAL, "focus_distance %g: the focus is in front of the camera (> 0 mm)",
                    focus_distance_mm);
  if (!(focus_sigma_mm > 0)) return cr_error(CR_EINVAL, "focus_sigma must be > 0");
  if (m->prior_weight > 0 && !(prior_distance_mm > 0))
    return cr_error(CR_EINVAL, "prior_weight needs prior_distance > 0");
  if (photo->width != cam->width || photo->height != cam->height)
    return cr_error(CR_EINVAL, "photo is %dx%d but the camera is %dx%d", photo->width,
                    photo->height, cam->width, cam->height);
  if (mask && (mask->width != cam->width || mask->height != cam->height))
    return cr_error(CR_EINVAL, "mask is %dx%d but the camera is %dx%d", mask->width, mask->height,
                    cam->width, cam->height);
  cr_reg_register_options ro = cr_reg_register_defaults();
  if (pivot) ro.have_pivot = 1, memcpy(ro.pivot_world, pivot, sizeof ro.pivot_world);
  ro.prior_distance_mm = prior_distance_mm;
  ro.focus_distance_mm = focus_distance_mm;
  ro.focus_sigma_mm = focus_sigma_mm;
  cr_reg_view view = cr_reg_view_mono(cam, photo, mask);
  view.name = "photo";
  cr_reg_cost *cost;
  if ((rc = cr_status_of(cost = cr_reg_cost_new(m, vol, NULL, &view, 1)))) return rc;
  cr_reg_result res;
  rc = cr_reg_register(cost, m, start, &ro, &res);
  if (!rc) {
    *final = res.final;
    cJSON *extra = cr_reg_register_report_extra(cost, m, &ro, &res);
    cJSON *root = extra ? cr_reg_report_json(&res, extra) : NULL;
    *report_json = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root), cJSON_Delete(extra);
    if (!*report_json) rc = cr_error(CR_ENOMEM, "cannot format the registration report");
  }
  cr_reg_cost_free(cost);
  return rc;
}

// ---- synthetic photos ----

cr_synth_options *cr_py_synth_options_new(void) {
  cr_synth_options *p = malloc(sizeof *p);
  if (!p) return cr_error(CR_ENOMEM, "out of memory"), NULL;
  *p = cr_synth_defaults();
  return p;
}

void cr_py_synth_options_free(cr_synth_options *p) {
  free(p);
}

// Sets a synthesis option by the name of `camreg synth`'s long option (iso, opening,
// occluders, vessels, sulci, specular, illumination, cast, noise, blur, light-tilt, jpeg,
// seed) or supersample.
int cr_py_synth_options_set(cr_synth_options *p, const char *key, const char *value) {
  return set_key("synth", synth_keys, sizeof synth_keys / sizeof synth_keys[0], p, key, value);
}

// cr_synth_photo with the opening centred on `target` (NULL: cr_synth_default_target, as
// `camreg synth` without --target).
int cr_py_synth(const cr_volume *vol, const cr_camera *cam, const cr_pose *cam_from_world,
                const double *target, const cr_synth_options *p, cr_image *photo, cr_image *mask) {
  double t[3];
  int rc = cr_camera_validate(cam);
  if (rc) return rc;
  if (target)
    memcpy(t, target, sizeof t);
  else if ((rc = cr_synth_default_target(vol, cam, cam_from_world, p->iso, t)))
    return rc;
  return cr_synth_photo(vol, cam, cam_from_world, t, p, photo, mask);
}

// ---- experiments ----

// `camreg experiment run CONFIG -o DIR [--shard K/N] [--threads T] [--limit N]
// [--images N]` without the printing: stats[4] = total, resumed, run, failed of this shard;
// csv_path gets the results file.
int cr_py_experiment_run(const char *config, const char *out_dir, int shard_k, int shard_n,
                         int threads, long limit, long images, long stats[4], char *csv_path,
                         size_t cap) {
  if (shard_n < 1 || shard_k < 1 || shard_k > shard_n)
    return cr_error(CR_EINVAL, "shard %d/%d: expects K/N with 1 <= K <= N", shard_k, shard_n);
  if (threads < 0 || limit < 0 || images < 0)
    return cr_error(CR_EINVAL, "threads, limit and images must be >= 0");
  cr_exp_config *cfg = malloc(sizeof *cfg);
  cr_exp_image_options *img = calloc(1, sizeof *img);
  int rc = cfg && img ? 0 : cr_error(CR_ENOMEM, "out of memory");
  if (!rc) rc = cr_exp_config_load(config, cfg);
  if (!rc) {
    cr_exp_run_options ro = cr_exp_run_defaults();
    ro.shard_k = shard_k, ro.shard_n = shard_n, ro.threads = threads, ro.max_new = limit;
    if (images > 0) {
      snprintf(img->dir, sizeof img->dir, "%s", out_dir);
      img->n_images = images;
      ro.trial_ctx = img;
    }
    cr_exp_run_stats st;
    rc = cr_exp_run(cfg, out_dir, &ro, &st);
    if (!rc) {
      stats[0] = st.total, stats[1] = st.resumed, stats[2] = st.run, stats[3] = st.failed;
      snprintf(csv_path, cap, "%s", st.csv_path);
    }
  }
  free(cfg), free(img);
  return rc;
}
