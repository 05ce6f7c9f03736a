// Experiment config files (libconfig): schema, defaults and errors with file:line:key.
#include "experiments/config.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/mat.h"
#include "experiments/trial.h"
#include "metrics/metric.h"

#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parse_ctx {
  const char *file;
  char dir[CR_EXP_PATH_MAX];
} parse_ctx;

// "FILE:LINE: key: reason" for setting s (line of s, or of its parent if s has none).
__attribute__((format(printf, 4, 5))) static int perr(const parse_ctx *p, const config_setting_t *s,
                                                      const char *key, const char *fmt, ...) {
  char reason[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  int line = 0;
  for (const config_setting_t *q = s; q && !line; q = config_setting_parent(q))
    line = (int)config_setting_source_line(q);
  return cr_error(CR_EINVAL, "%s:%d: %s: %s", p->file, line, key, reason);
}

// Rejects any member of `group` whose name is not in the NULL-terminated `allowed`.
static int check_keys(const parse_ctx *p, const config_setting_t *group, const char *prefix,
                      const char *const *allowed) {
  int n = config_setting_length(group);
  for (int i = 0; i < n; i++) {
    config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
    const char *name = config_setting_name(s);
    int ok = 0;
    for (const char *const *a = allowed; *a && !ok; a++) ok = name && !strcmp(name, *a);
    if (!ok) {
      char known[512] = "";
      for (const char *const *a = allowed; *a; a++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                 a == allowed ? "" : ", ", *a);
      return perr(p, s, name ? name : "?", "unknown key%s%s (known: %s)", prefix[0] ? " in " : "",
                  prefix, known);
    }
  }
  return 0;
}

static int is_number(const config_setting_t *s) {
  int t = config_setting_type(s);
  return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}
static double number_of(const config_setting_t *s) {
  int t = config_setting_type(s);
  return t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) : (double)config_setting_get_int64(s);
}

// Optional number key in [lo, hi]; absent leaves *out unchanged.
static int get_num(const parse_ctx *p, const config_setting_t *g, const char *pre, const char *key,
                   double lo, double hi, double *out) {
  config_setting_t *s = config_setting_get_member(g, key);
  if (!s) return 0;
  char full[128];
  snprintf(full, sizeof full, "%s%s", pre, key);
  if (!is_number(s)) return perr(p, s, full, "expects a number");
  double v = number_of(s);
  if (!isfinite(v) || v < lo || v > hi) return perr(p, s, full, "%g is outside %g..%g", v, lo, hi);
  *out = v;
  return 0;
}

static int get_int(const parse_ctx *p, const config_setting_t *g, const char *pre, const char *key,
                   long lo, long hi, int *out) {
  config_setting_t *s = config_setting_get_member(g, key);
  if (!s) return 0;
  char full[128];
  snprintf(full, sizeof full, "%s%s", pre, key);
  int t = config_setting_type(s);
  if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
    return perr(p, s, full, "expects a whole number");
  long long v = config_setting_get_int64(s);
  if (v < lo || v > hi) return perr(p, s, full, "%lld is outside %ld..%ld", v, lo, hi);
  *out = (int)v;
  return 0;
}

// Optional whole number in [lo, hi] that may exceed an int (a seed): written as an
// integer, or as a float with no fraction (1.0; 1.5 is an error, not 1).
static int get_whole(const parse_ctx *p, const config_setting_t *g, const char *pre,
                     const char *key, double lo, double hi, double *out) {
  double v = *out;
  int rc = get_num(p, g, pre, key, lo, hi, &v);
  if (rc) return rc;
  config_setting_t *s = config_setting_get_member(g, key);
  if (s && v != floor(v)) {
    char full[128];
    snprintf(full, sizeof full, "%s%s", pre, key);
    return perr(p, s, full, "%g is not a whole number", v);
  }
  *out = v;
  return 0;
}

// Optional array/list of exactly n numbers (n < 0: 2..-n numbers, count in *count).
static int get_vec(const parse_ctx *p, const config_setting_t *g, const char *pre, const char *key,
                   int n, double *out, int *count) {
  config_setting_t *s = config_setting_get_member(g, key);
  if (!s) return 0;
  char full[128];
  snprintf(full, sizeof full, "%s%s", pre, key);
  int len = config_setting_is_aggregate(s) ? config_setting_length(s) : -1;
  if (n >= 0 && len != n)
    return perr(p, s, full, "expects %d numbers like [1.0, 2.0%s]", n, n > 2 ? ", 3.0" : "");
  if (n < 0 && (len < 2 || len > -n)) return perr(p, s, full, "expects 2..%d numbers", -n);
  for (int i = 0; i < len; i++) {
    config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
    if (!is_number(e) || !isfinite(number_of(e)))
      return perr(p, s, full, "element %d is not a number", i + 1);
    out[i] = number_of(e);
  }
  if (count) *count = len;
  return 0;
}

static int get_str(const parse_ctx *p, const config_setting_t *g, const char *pre, const char *key,
                   char *out, size_t cap) {
  config_setting_t *s = config_setting_get_member(g, key);
  if (!s) return 0;
  char full[128];
  snprintf(full, sizeof full, "%s%s", pre, key);
  if (config_setting_type(s) != CONFIG_TYPE_STRING) return perr(p, s, full, "expects a \"string\"");
  const char *v = config_setting_get_string(s);
  if (strlen(v) >= cap) return perr(p, s, full, "too long (max %zu characters)", cap - 1);
  snprintf(out, cap, "%s", v);
  return 0;
}

// A file key: resolved against the config's folder and checked to exist.
static int get_file(const parse_ctx *p, const config_setting_t *g, const char *pre, const char *key,
                    char *out) {
  char raw[CR_EXP_PATH_MAX] = "";
  int rc = get_str(p, g, pre, key, raw, sizeof raw);
  if (rc || !raw[0]) return rc;
  if (raw[0] == '/' || !p->dir[0])
    snprintf(out, CR_EXP_PATH_MAX, "%s", raw);
  else if (snprintf(out, CR_EXP_PATH_MAX, "%s/%s", p->dir, raw) >= CR_EXP_PATH_MAX)
    return perr(p, config_setting_get_member(g, key), key, "path too long");
  if (!cr_file_exists(out)) {
    char full[128];
    snprintf(full, sizeof full, "%s%s", pre, key);
    return perr(p, config_setting_get_member(g, key), full, "file not found: %s", out);
  }
  return 0;
}

static const char *const volume_keys[] = {"file", "threshold", NULL};
static const char *const brain_keys[] = {"centre", "radii", NULL};
static const char *const camera_keys[] = {"file", "width", "height", "fov_deg", NULL};
static const char *const view_keys[] = {"distance_mm",   "axis",     "axis_cone_deg",
                                        "view_cone_deg", "roll_deg", "opening_mm",
                                        "targets",       NULL};
static const char *const photo_keys[] = {"vessel_contrast",
                                         "sulcus_darkening",
                                         "specular",
                                         "illumination",
                                         "vignetting",
                                         "colour_cast",
                                         "noise",
                                         "blur_px",
                                         "jpeg_quality",
                                         "distortion",
                                         "occluders",
                                         "supersample",
                                         NULL};
static const char *const start_keys[] = {"bins_mm",    "rotation_deg",     "translation_mm",
                                         "look_at_mm", "max_rotation_deg", NULL};
static const char *const top_keys[] = {"name",   "trial",      "volume",       "brain",   "camera",
                                       "views",  "photo",      "registration", "methods", "start",
                                       "trials", "success_mm", "seed",         NULL};

// A group member that must be a group (or absent: NULL with rc 0).
static int get_group(const parse_ctx *p, const config_setting_t *g, const char *key,
                     const char *const *allowed, config_setting_t **out) {
  *out = config_setting_get_member(g, key);
  if (!*out) return 0;
  if (!config_setting_is_group(*out)) return perr(p, *out, key, "expects a group { ... }");
  return check_keys(p, *out, key, allowed);
}

static int parse_volume(const parse_ctx *p, const config_setting_t *root, cr_exp_config *c) {
  config_setting_t *s = config_setting_get_member(root, "volume");
  if (!s) return 0;
  if (config_setting_type(s) == CONFIG_TYPE_STRING)
    return get_file(p, root, "", "volume", c->volume_path);
  int rc = get_group(p, root, "volume", volume_keys, &s);
  if (!rc && !config_setting_get_member(s, "file")) rc = perr(p, s, "volume.file", "missing");
  if (!rc) rc = get_file(p, s, "volume.", "file", c->volume_path);
  if (!rc) rc = get_num(p, s, "volume.", "threshold", -1e30, 1e30, &c->volume_threshold);
  return rc;
}

static int parse_camera(const parse_ctx *p, const config_setting_t *root, cr_exp_config *c) {
  config_setting_t *g;
  int rc = get_group(p, root, "camera", camera_keys, &g);
  if (rc || !g) return rc;
  if ((rc = get_file(p, g, "camera.", "file", c->camera_path))) return rc;
  if (c->camera_path[0]) {
    if (config_setting_get_member(g, "width") || config_setting_get_member(g, "fov_deg"))
      return perr(p, g, "camera", "give either file or width/height/fov_deg, not both");
    if (cr_camera_read(c->camera_path, &c->camera))
      return perr(p, config_setting_get_member(g, "file"), "camera.file", "%s", cr_last_error());
    return 0;
  }
  int w = c->camera.width, h = c->camera.height;
  double fov = 40;
  if ((rc = get_int(p, g, "camera.", "width", 8, 16384, &w)) ||
      (rc = get_int(p, g, "camera.", "height", 8, 16384, &h)) ||
      (rc = get_num(p, g, "camera.", "fov_deg", 1, 170, &fov)))
    return rc;
  c->camera = cr_camera_from_fov(w, h, fov);
  return 0;
}

static int parse_views(const parse_ctx *p, const config_setting_t *root, cr_exp_config *c) {
  config_setting_t *g;
  int rc = get_group(p, root, "views", view_keys, &g);
  if (rc || !g) return rc;
  double d[2] = {c->dist_min_mm, c->dist_max_mm}, r[2] = {c->roll_min_deg, c->roll_max_deg};
  if ((rc = get_vec(p, g, "views.", "distance_mm", 2, d, NULL)) ||
      (rc = get_vec(p, g, "views.", "axis", 3, c->axis, NULL)) ||
      (rc = get_num(p, g, "views.", "axis_cone_deg", 0, 90, &c->axis_cone_deg)) ||
      (rc = get_num(p, g, "views.", "view_cone_deg", 0, 80, &c->view_cone_deg)) ||
      (rc = get_vec(p, g, "views.", "roll_deg", 2, r, NULL)) ||
      (rc = get_num(p, g, "views.", "opening_mm", 1, 300, &c->opening_mm)) ||
      (rc = get_int(p, g, "views.", "targets", 1, CR_EXP_MAX_TARGETS, &c->n_targets)))
    return rc;
  if (!(d[0] > 0 && d[1] >= d[0]))
    return perr(p, config_setting_get_member(g, "distance_mm"), "views.distance_mm",
                "expects [min, max] with 0 < min <= max");
  if (r[1] < r[0])
    return perr(p, config_setting_get_member(g, "roll_deg"), "views.roll_deg",
                "expects [min, max] with min <= max");
  if (cr_vec3_normalize(c->axis) == 0)
    return perr(p, config_setting_get_member(g, "axis"), "views.axis", "must not be zero");
  c->dist_min_mm = d[0], c->dist_max_mm = d[1], c->roll_min_deg = r[0], c->roll_max_deg = r[1];
  return 0;
}

static int parse_photo(const parse_ctx *p, const config_setting_t *root, cr_exp_photo *ph) {
  config_setting_t *g;
  int rc = get_group(p, root, "photo", photo_keys, &g);
  if (rc || !g) return rc;
  if ((rc = get_num(p, g, "photo.", "vessel_contrast", 0, 10, &ph->vessel_contrast)) ||
      (rc = get_num(p, g, "photo.", "sulcus_darkening", 0, 10, &ph->sulcus_darkening)) ||
      (rc = get_num(p, g, "photo.", "specular", 0, 10, &ph->specular)) ||
      (rc = get_num(p, g, "photo.", "illumination", 0, 10, &ph->illumination)) ||
      (rc = get_num(p, g, "photo.", "vignetting", 0, 10, &ph->vignetting)) ||
      (rc = get_num(p, g, "photo.", "colour_cast", 0, 10, &ph->colour_cast)) ||
      (rc = get_num(p, g, "photo.", "noise", 0, 255, &ph->noise)) ||
      (rc = get_num(p, g, "photo.", "blur_px", 0, 100, &ph->blur_px)) ||
      (rc = get_int(p, g, "photo.", "jpeg_quality", 0, 100, &ph->jpeg_quality)) ||
      (rc = get_num(p, g, "photo.", "distortion", 0, 10, &ph->distortion)) ||
      (rc = get_int(p, g, "photo.", "occluders", 0, 32, &ph->occluders)) ||
      (rc = get_int(p, g, "photo.", "supersample", 1, 4, &ph->supersample)))
    return rc;
  return 0;
}

// A setting's value as the text cr_reg_method_set takes: numbers exactly ("%.17g"),
// strings as they are, booleans as 1/0, arrays of numbers comma-separated.
static int setting_text(const config_setting_t *s, char *buf, size_t cap) {
  switch (config_setting_type(s)) {
  case CONFIG_TYPE_INT:
  case CONFIG_TYPE_INT64: snprintf(buf, cap, "%lld", config_setting_get_int64(s)); return 0;
  case CONFIG_TYPE_FLOAT: snprintf(buf, cap, "%.17g", config_setting_get_float(s)); return 0;
  case CONFIG_TYPE_BOOL: snprintf(buf, cap, "%d", config_setting_get_bool(s)); return 0;
  case CONFIG_TYPE_STRING: snprintf(buf, cap, "%s", config_setting_get_string(s)); return 0;
  case CONFIG_TYPE_ARRAY:
  case CONFIG_TYPE_LIST:
    buf[0] = 0;
    for (int i = 0; i < config_setting_length(s); i++) {
      const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
      size_t n = strlen(buf);
      if (!is_number(e)) return -1;
      snprintf(buf + n, cap - n, "%s%.17g", i ? "," : "", number_of(e));
    }
    return 0;
  default: return -1;
  }
}

// The experiment's keys of a method group that choose its view set (view_set.h).
static const char *const view_set_keys[] = {
    "view_set",     "baseline_mm", "converge_mm", "view_angle_deg",
    "aim_sigma_mm", "view_weight", NULL};

static int is_view_key(const char *key) {
  for (const char *const *k = view_set_keys; *k; k++)
    if (!strcmp(key, *k)) return 1;
  return 0;
}

static int parse_view_set(const parse_ctx *p, const config_setting_t *g, const char *pre,
                          cr_exp_view_set *v) {
  char name[16] = "", full[96];
  int rc;
  if ((rc = get_str(p, g, pre, "view_set", name, sizeof name)) ||
      (rc = get_num(p, g, pre, "baseline_mm", 0.1, 1000, &v->baseline_mm)) ||
      (rc = get_num(p, g, pre, "converge_mm", 0, 1e5, &v->converge_mm)) ||
      (rc = get_num(p, g, pre, "view_angle_deg", -90, 90, &v->angle_deg)) ||
      (rc = get_num(p, g, pre, "aim_sigma_mm", 0, 1000, &v->aim_sigma_mm)) ||
      (rc = get_num(p, g, pre, "view_weight", 1e-6, 1e6, &v->weight)))
    return rc;
  snprintf(full, sizeof full, "%sview_set", pre);
  if (name[0] && cr_exp_view_kind_parse(name, &v->kind))
    return perr(p, config_setting_get_member(g, "view_set"), full, "%s", cr_last_error());
  return 0;
}

// Reads the method group g over *m (which holds the defaults): name, focus_sigma_mm,
// light_at_mm and the view-set keys are the experiment's; every other key is a registration-method
// key (method.h).
static int parse_method(const parse_ctx *p, const config_setting_t *g, const char *pre,
                        cr_exp_method *m) {
  int rc;
  char full[96], value[512];
  if ((rc = get_str(p, g, pre, "name", m->name, sizeof m->name)) ||
      (rc = get_num(p, g, pre, "focus_sigma_mm", -1, 1000, &m->focus_sigma_mm)) ||
      (rc = parse_view_set(p, g, pre, &m->views)) ||
      (rc = get_vec(p, g, pre, "light_at_mm", 3, m->light_at, NULL)))
    return rc;
  if (config_setting_get_member(g, "light_at_mm")) m->has_light = 1;
  if (m->focus_sigma_mm == 0) {
    snprintf(full, sizeof full, "%sfocus_sigma_mm", pre);
    return perr(p, config_setting_get_member(g, "focus_sigma_mm"), full,
                "must be > 0 (a focus distance with its error) or < 0 (none)");
  }
  for (int i = 0; i < config_setting_length(g); i++) {
    config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
    const char *key = config_setting_name(s);
    if (!key || !strcmp(key, "name") || !strcmp(key, "focus_sigma_mm") ||
        !strcmp(key, "light_at_mm") || is_view_key(key))
      continue;
    snprintf(full, sizeof full, "%s%s", pre, key);
    if (!strcmp(key, "restarts"))
      return perr(p, s, full, "unknown key: write starts = restarts + 1 (the start pose counts)");
    if (!cr_reg_method_has_key(key, NULL))
      return perr(
          p, s, full,
          "unknown key (method keys are camreg register's options: camreg register --help)");
    if (setting_text(s, value, sizeof value))
      return perr(p, s, full, "expects a number, a string or numbers [a, b]");
    if (cr_reg_method_set(&m->reg, key, value)) return perr(p, s, full, "%s", cr_last_error());
  }
  snprintf(full, sizeof full, "%sname", pre);
  if (strpbrk(m->name, ",\"\n") || !m->name[0])
    return perr(p, g, full, "must be non-empty without commas or quotes");
  snprintf(full, sizeof full, "%s", pre[0] ? pre : "method");
  if (cr_reg_method_check(&m->reg)) return perr(p, g, full, "%s", cr_last_error());
  return 0;
}

static int parse_methods(const parse_ctx *p, const config_setting_t *root, cr_exp_config *c) {
  config_setting_t *g = config_setting_get_member(root, "registration");
  if (g) {
    if (!config_setting_is_group(g)) return perr(p, g, "registration", "expects a group { ... }");
    int rc = parse_method(p, g, "registration.", &c->methods[0]);
    if (rc) return rc;
  }
  config_setting_t *list = config_setting_get_member(root, "methods");
  if (!list) return 0;
  int n = config_setting_is_aggregate(list) ? config_setting_length(list) : -1;
  if (n < 1 || n > CR_EXP_MAX_METHODS)
    return perr(p, list, "methods", "expects a list ( {...}, {...} ) of 1..%d groups",
                CR_EXP_MAX_METHODS);
  cr_exp_method base = c->methods[0];
  for (int i = 0; i < n; i++) {
    config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
    char pre[32];
    snprintf(pre, sizeof pre, "methods[%d].", i);
    if (!config_setting_is_group(e)) return perr(p, e, pre, "expects a group { ... }");
    c->methods[i] = base;
    snprintf(c->methods[i].name, sizeof c->methods[i].name, "method%d", i + 1);
    int rc = parse_method(p, e, pre, &c->methods[i]);
    if (rc) return rc;
    for (int j = 0; j < i; j++)
      if (!strcmp(c->methods[j].name, c->methods[i].name))
        return perr(p, e, pre, "duplicate method name '%s'", c->methods[i].name);
  }
  c->n_methods = n;
  return 0;
}

static int parse_start(const parse_ctx *p, const config_setting_t *root, cr_exp_config *c) {
  config_setting_t *g;
  int rc = get_group(p, root, "start", start_keys, &g);
  if (rc || !g) return rc;
  config_setting_t *bins = config_setting_get_member(g, "bins_mm");
  int has_rot = config_setting_get_member(g, "rotation_deg") != NULL;
  int has_tr = config_setting_get_member(g, "translation_mm") != NULL;
  int has_look = config_setting_get_member(g, "look_at_mm") != NULL;
  if (!!bins + (has_rot || has_tr) + has_look > 1)
    return perr(p, g, "start",
                "give one of bins_mm, rotation_deg/translation_mm or look_at_mm, not several");
  if (config_setting_get_member(g, "max_rotation_deg") && !bins)
    return perr(p, config_setting_get_member(g, "max_rotation_deg"), "start.max_rotation_deg",
                "applies to bins_mm starts only");
  if (has_look) {
    c->start_mode = CR_EXP_START_LOOK_AT;
    c->n_bins = 1, c->bins_mm[0] = 0;
    if ((rc = get_num(p, g, "start.", "look_at_mm", 0, 50, &c->look_at_mm))) return rc;
    c->bins_mm[1] = c->look_at_mm;
  } else if (bins) {
    int n = 0;
    if ((rc = get_vec(p, g, "start.", "bins_mm", -(CR_EXP_MAX_BINS + 1), c->bins_mm, &n)))
      return rc;
    for (int i = 0; i < n; i++)
      if (c->bins_mm[i] < 0 || (i && c->bins_mm[i] <= c->bins_mm[i - 1]))
        return perr(p, bins, "start.bins_mm", "edges must be >= 0 and increasing");
    c->n_bins = n - 1;
    c->start_mode = CR_EXP_START_BINS;
    if (config_setting_get_member(g, "max_rotation_deg") &&
        (rc = get_num(p, g, "start.", "max_rotation_deg", 1, 180, &c->max_rotation_deg)))
      return rc;
  } else if (has_rot || has_tr) {
    c->start_mode = CR_EXP_START_RANGES;
    if ((rc = get_num(p, g, "start.", "rotation_deg", 0, 90, &c->rot_range_deg)) ||
        (rc = get_num(p, g, "start.", "translation_mm", 0, 500, &c->trans_range_mm)))
      return rc;
  }
  return 0;
}

static int parse_root(const parse_ctx *p, const config_setting_t *root, cr_exp_config *c) {
  int rc;
  double seed = (double)c->seed;
  if ((rc = check_keys(p, root, "", top_keys)) ||
      (rc = get_str(p, root, "", "name", c->name, sizeof c->name)) ||
      (rc = get_str(p, root, "", "trial", c->trial_kind, sizeof c->trial_kind)) ||
      (rc = parse_volume(p, root, c)) || (rc = parse_camera(p, root, c)) ||
      (rc = parse_views(p, root, c)) || (rc = parse_photo(p, root, &c->photo)) ||
      (rc = parse_methods(p, root, c)) || (rc = parse_start(p, root, c)) ||
      (rc = get_int(p, root, "", "trials", 1, 10000000, &c->n_trials)) ||
      (rc = get_num(p, root, "", "success_mm", 1e-6, 1e6, &c->success_mm)) ||
      (rc = get_whole(p, root, "", "seed", 0, 9007199254740991.0, &seed)))
    return rc;
  c->seed = (uint64_t)seed;
  config_setting_t *b;
  if ((rc = get_group(p, root, "brain", brain_keys, &b))) return rc;
  if (b) {
    if ((rc = get_vec(p, b, "brain.", "centre", 3, c->brain_centre, NULL)) ||
        (rc = get_vec(p, b, "brain.", "radii", 3, c->brain_radii, NULL)))
      return rc;
    for (int a = 0; a < 3; a++)
      if (!(c->brain_radii[a] > 0)) return perr(p, b, "brain.radii", "must be positive");
    c->has_brain = 1;
  }
  if (strcmp(c->trial_kind, "synthetic") && strcmp(c->trial_kind, "identity") &&
      strcmp(c->trial_kind, "registration"))
    return perr(p, config_setting_get_member(root, "trial"), "trial",
                "unknown trial kind '%s' (synthetic, identity, registration)", c->trial_kind);
  return 0;
}

cr_exp_config cr_exp_config_defaults(void) {
  cr_exp_config cfg, *c = &cfg;
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "experiment");
  snprintf(c->trial_kind, sizeof c->trial_kind, "synthetic");
  c->volume_threshold = 10;
  c->camera = cr_camera_from_fov(640, 480, 40);
  c->dist_min_mm = 150, c->dist_max_mm = 300;
  c->axis[2] = 1;
  c->axis_cone_deg = 40, c->view_cone_deg = 15;
  c->roll_min_deg = -180, c->roll_max_deg = 180;
  c->opening_mm = 40;
  c->n_targets = 64;
  c->photo = (cr_exp_photo){.vessel_contrast = 1,
                            .sulcus_darkening = 1,
                            .specular = 1,
                            .illumination = 1,
                            .vignetting = 1,
                            .colour_cast = 0.06,
                            .noise = 3,
                            .blur_px = 0.7,
                            .jpeg_quality = 92,
                            .distortion = 1,
                            .occluders = 1,
                            .supersample = 2};
  c->n_methods = 1;
  snprintf(c->methods[0].name, sizeof c->methods[0].name, "default");
  c->methods[0].reg = cr_reg_method_defaults();
  c->methods[0].focus_sigma_mm = -1;
  c->methods[0].views = cr_exp_view_set_defaults();
  c->start_mode = CR_EXP_START_BINS;
  c->n_bins = 4;
  for (int i = 0; i <= 4; i++) c->bins_mm[i] = 5.0 * i;
  c->rot_range_deg = 10, c->trans_range_mm = 10;
  c->n_trials = 20;
  c->success_mm = 2;
  c->seed = 1;
  return cfg;
}

static int hash_file(const char *path, uint64_t *out) {
  FILE *f = fopen(path, "rb");
  if (!f) return cr_error(CR_EIO, "%s: cannot open config file", path);
  uint64_t h = 1469598103934665603ull;
  int ch;
  while ((ch = getc(f)) != EOF) h = (h ^ (uint64_t)(unsigned char)ch) * 1099511628211ull;
  fclose(f);
  *out = h;
  return 0;
}

int cr_exp_config_load(const char *path, cr_exp_config *cfg) {
  *cfg = cr_exp_config_defaults();
  if (strlen(path) >= sizeof cfg->path) return cr_error(CR_EINVAL, "%s: path too long", path);
  int rc = hash_file(path, &cfg->hash);
  if (rc) return rc;
  snprintf(cfg->path, sizeof cfg->path, "%s", path);
  parse_ctx p = {.file = path};
  snprintf(p.dir, sizeof p.dir, "%s", path);
  char *slash = strrchr(p.dir, '/');
  if (slash)
    *slash = 0;
  else
    p.dir[0] = 0;
  const char *base = slash ? path + (slash - p.dir) + 1 : path;
  snprintf(cfg->name, sizeof cfg->name, "%.*s", (int)strcspn(base, "."), base);
  config_t lc;
  config_init(&lc);
  if (!config_read_file(&lc, path)) {
    rc = cr_error(CR_EFORMAT, "%s:%d: syntax: %s",
                  config_error_file(&lc) ? config_error_file(&lc) : path, config_error_line(&lc),
                  config_error_text(&lc));
  } else {
    rc = parse_root(&p, config_root_setting(&lc), cfg);
  }
  config_destroy(&lc);
  return rc;
}

long cr_exp_config_units(const cr_exp_config *cfg) {
  return (long)cfg->n_trials * cfg->n_methods;
}
