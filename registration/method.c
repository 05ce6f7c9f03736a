// The registration method, its defaults and its key table (see method.h).
#include "registration/method.h"

#include "core/error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_reg_method cr_reg_method_defaults(void) {
  cr_reg_method m;
  memset(&m, 0, sizeof m);
  m.mode = &cr_render_mode_surface;
  m.iso = NAN;
  m.render_step_mm = 0;
  m.surface_smooth_mm = 1.0;
  m.probe_depth_mm = 3.0;
  // Shading by interpolated vertex normals shows the marching-cubes facets; 20 Taubin
  // iterations (still without shrinkage) registered a synthetic photo about as well as
  // the surface render, 5 left 1-2 deg of tilt.
  m.mesh_smooth_iterations = 20;
  m.prep = cr_reg_prep_defaults();
  // NGF (polarity-free edge directions) had its per-axis minima at the truth and beat
  // NCC and GC from 5 mm / 5 deg starts on phantom photos (bench-registration --landscape).
  m.metric = cr_metric_ngf;
  m.metric_opt = cr_metric_defaults();
  m.optimizer = cr_opt_nelder_mead;
  m.levels = 3;
  m.max_evals = 400;
  m.starts = 3;
  m.start_rot_deg = 5, m.start_trans_mm = 5;
  m.step_deg = 2, m.step_mm = 2;
  m.xtol = 0.01;
  m.fd_step = 0.25; // renders are not smooth below a fraction of a voxel
  m.seed = 1;
  // A 1 sigma focus error costs 0.001, a small fraction of the metric's range (NGF and
  // NCC costs span ~0.1-1): the focus distance jumps where the principal ray crosses a
  // sulcus, and a heavier prior traps the optimizer there (demo: 0.01 failed from a 2.4 mm
  // start, 56 % success; 0.001: 59 %, every start within 10 mm succeeded).
  m.focus_weight = 0.001;
  // The opening shows cortex everywhere, so a pose whose render misses part of it is
  // wrong however well the rest matches (depth.cfg, tracked: a pose 54 mm off that saw
  // a third of the second view's opening scored -1.42 against -1.28 near the truth).
  m.coverage = 1;
  // Photo consistency (README, depth section): on depth_global.cfg's first 24 stereo
  // samples, weight 0 / 1 / 3 / 10 gave median mTRE 0.49 / 0.26 / 0.32 / 0.41 mm (tiles of
  // 16 px; one global correlation instead of tiles: 0.39 at weight 1). Weight 1: the pair
  // counts as much as a view's metric, whose cost spans about 1.
  m.consistency_weight = 1;
  m.consistency_tile_px = 16;
  // Global stage (docs/design.md, "Global stage"): measured on capture.cfg, see README.
  m.global = 0;
  m.global_box_deg = 30, m.global_box_mm = 30;
  m.global_step_deg = 10, m.global_step_mm = 4;
  m.global_tilt_deg = 15; // rings at 15 and 30 deg: starts 15-20 mm off tilt up to 50 deg
  m.global_width = 48;
  // a 50 mm opening in a 30 deg photo spans 11-16 px of a 40 px view, too few to tell
  // the tilts apart (capture.cfg: no hypothesis came within 5 deg of the truth in 29 of
  // 38 failures); at 80 px 22-32. A microscope's opening fills its 40 px view (23-34 px).
  m.global_mask_px = 20;
  m.global_keep = 8;
  m.global_evals = 150;
  // Depth restarts (registration/global.c) at 4 mm: over 256 samples each they took the
  // success rate from 239 to 242 (capture_microscope.cfg), 242 to 244 (capture.cfg), 231
  // to 238 and 236 to 236 (the look-at configs) with lower medians, for ~1.3 s (README).
  m.global_depth_mm = 4;
  return m;
}

cr_render_options cr_reg_method_render_options(const cr_reg_method *m) {
  cr_render_options p = cr_render_defaults(m->mode);
  p.iso = m->iso;
  p.step_mm = m->render_step_mm;
  p.surface_smooth_mm = m->surface_smooth_mm;
  p.probe_depth_mm = m->probe_depth_mm;
  p.probe_mean = m->probe_mean;
  p.probe_along_normal = m->probe_normal;
  p.mesh_smooth_iterations = m->mesh_smooth_iterations;
  p.mesh_probe = m->mesh_probe;
  return p;
}

// ---- the key table ----

typedef enum key_kind {
  K_INT,     // int at off, in [lo, hi]
  K_LONG,    // long at off, in [lo, hi]
  K_SEED,    // unsigned long at off, in [lo, hi]
  K_DOUBLE,  // double at off, in [lo, hi] (NaN allowed when lo is NaN: "auto")
  K_PAIR,    // two doubles at off and off2, each in [lo, hi]
  K_FLAG,    // int 0/1 at off; no value on the command line
  K_MODE,    // render mode by name
  K_METRIC,  // metric by name
  K_OPT,     // optimizer by name
  K_CHANNEL, // grey, r, g, b -> -1..2
  K_HIST,    // histogram kernel
  K_SAMPLER, // global stage sampler
} key_kind;

typedef struct key_def {
  const char *name, *arg, *help;
  key_kind kind;
  size_t off, off2;
  double lo, hi;
} key_def;

#define F(field) offsetof(cr_reg_method, field)
#define NONE 0, 0, 0
static const key_def keys[] = {
    {"mode", "M", "render mode (camreg render --help lists them)", K_MODE, F(mode), NONE},
    {"metric", "NAME", "similarity metric", K_METRIC, F(metric), NONE},
    {"optimizer", "NAME", "nelder-mead, powell, cmaes, bfgs", K_OPT, F(optimizer), NONE},
    {"levels", "N", "pyramid levels", K_INT, F(levels), 0, 1, 8},
    {"max-evals", "N", "budget per start at the coarsest level, halved per finer level", K_INT,
     F(max_evals), 0, 1, 1e7},
    {"starts", "N",
     "starts at the coarsest level (the start pose and seeded perturbations; "
     "the best continues)",
     K_INT, F(starts), 0, 1, 1000},
    {"start-spread", "D,MM", "perturbation of starts 2.., degrees and mm", K_PAIR, F(start_rot_deg),
     F(start_trans_mm), 0, 1e3},
    {"step", "D,MM", "initial optimizer step at full resolution, degrees and mm", K_PAIR,
     F(step_deg), F(step_mm), 1e-9, 1e3},
    {"xtol", "X", "stop on parameter change below X deg/mm", K_DOUBLE, F(xtol), 0, 1e-12, 1e3},
    {"fd-step", "F", "bfgs: finite-difference step, fraction of the step", K_DOUBLE, F(fd_step), 0,
     1e-6, 10},
    {"seed", "N", "starts' perturbations and stochastic optimizers", K_SEED, F(seed), 0, 0, 4e9},
    {"prior-weight", "W", "weight of (pivot depth - working distance)^2 in the cost, 0 = off",
     K_DOUBLE, F(prior_weight), 0, 0, 1e6},
    {"focus-weight", "W",
     "weight of ((focus distance - reported) / sigma)^2, with a focus distance", K_DOUBLE,
     F(focus_weight), 0, 0, 1e6},
    {"coverage", "0|1",
     "1: mask pixels the render misses count as unrelated in the similarity (see README)", K_INT,
     F(coverage), 0, 0, 1},
    {"consistency", "W",
     "two or more views: weight of the photo consistency of view 0 with each other view "
     "(1 - tile correlation of the photos at the surface points view 0's render sees), 0 = off",
     K_DOUBLE, F(consistency_weight), 0, 0, 1e6},
    {"warp", "N",
     "surface mode: each local run tries poses on the render of its start moved to them "
     "(not rendered), then again from a render at its result while the cost falls, at most "
     "N runs per level; 0 = every pose rendered",
     K_INT, F(warp_rounds), 0, 0, 100},
    {"consistency-tile", "PX", "photo consistency: tile side at full resolution", K_INT,
     F(consistency_tile_px), 0, 4, 4096},
    {"global", NULL, "global stage: coarse grid search in a box about the pivot, then refinement",
     K_FLAG, F(global), NONE},
    {"global-sampler", "S",
     "global: shift (one wide render per roll, tilt and depth, every in-plane shift scored "
     "at once) or grid (a render per grid pose)",
     K_SAMPLER, F(global_sampler), NONE},
    {"global-box", "D,MM", "global: half-width of the search box, degrees and mm", K_PAIR,
     F(global_box_deg), F(global_box_mm), 0, 180},
    {"global-step", "D,MM", "global: grid step of roll and of the in-plane translation", K_PAIR,
     F(global_step_deg), F(global_step_mm), 0.1, 180},
    {"global-tilt-step", "D", "global: tilt ring step in degrees, 0 = tilt left to refinement",
     K_DOUBLE, F(global_tilt_deg), 0, 0, 90},
    {"global-width", "PX", "global: width of the coarse views searched (32-64 px)", K_INT,
     F(global_width), 0, 8, 4096},
    {"global-mask-px", "PX",
     "global: search level finer than global-width until the mask's equivalent diameter "
     "reaches PX",
     K_DOUBLE, F(global_mask_px), 0, 0, 4096},
    {"global-keep", "K", "global: best grid hypotheses refined", K_INT, F(global_keep), 0, 1,
     CR_REG_GLOBAL_MAX_KEEP},
    {"global-evals", "N", "global: budget of each hypothesis' refinement on the coarse views",
     K_INT, F(global_evals), 0, 1, 1e6},
    {"global-depth-step", "MM",
     "global, one view: the winner restarted MM and 2 MM both ways along its optical axis "
     "at the level below the method's coarsest, the best continues; 0 = off",
     K_DOUBLE, F(global_depth_mm), 0, 0, 1e3},
    {"global-features", NULL,
     "global: add a hypothesis from AKAZE matches between the photo and the render at the "
     "start, by PnP + RANSAC",
     K_FLAG, F(global_features), NONE},
    {"channel", "C", "photo channel: grey, r, g, b", K_CHANNEL, F(prep.channel), NONE},
    {"clahe", "CLIP", "CLAHE clip limit, 0 = off", K_DOUBLE, F(prep.clahe_clip), 0, 0, 1e3},
    {"clahe-tiles", "N", "CLAHE tiles per side", K_INT, F(prep.clahe_tiles), 0, 1, 64},
    {"vesselness", NULL, "multi-scale Hessian vesselness on photo and render", K_FLAG,
     F(prep.vesselness), NONE},
    {"bright-vessels", NULL, "vessels brighter than their surround in the photo", K_FLAG,
     F(prep.bright_vessels), NONE},
    {"vessel-sigma", "MIN,MAX", "vesselness scales, px at full resolution", K_PAIR,
     F(prep.sigma_min_px), F(prep.sigma_max_px), 0.1, 100},
    {"vessel-scales", "N", "number of vesselness scales", K_INT, F(prep.n_sigma), 0, 1, 16},
    {"iso", "LEVEL", "surface level (nan = automatic, Otsu)", K_DOUBLE, F(iso), 0, NAN, 1e30},
    {"render-step", "MM", "ray sampling step, 0 = smallest voxel size", K_DOUBLE, F(render_step_mm),
     0, 0, 1e3},
    {"surface-smooth", "MM", "Gaussian sigma of the field whose isosurface is found", K_DOUBLE,
     F(surface_smooth_mm), 0, 0, 100},
    {"probe-depth", "MM", "probe shell thickness", K_DOUBLE, F(probe_depth_mm), 0, 0, 1e3},
    {"probe-mean", NULL, "probe: mean instead of max", K_FLAG, F(probe_mean), NONE},
    {"probe-normal", NULL, "probe: along the inward normal instead of the ray", K_FLAG,
     F(probe_normal), NONE},
    {"smooth", "N", "mesh mode: Taubin iterations of the cortex mesh", K_INT,
     F(mesh_smooth_iterations), 0, 0, 10000},
    {"mesh-probe", NULL, "mesh mode: shade by per-vertex probe scalars", K_FLAG, F(mesh_probe),
     NONE},
    {"bins", "N", "mi/nmi: histogram bins", K_INT, F(metric_opt.bins), 0, 4, 256},
    {"hist", "K", "mi/nmi: histogram kernel: bspline or linear", K_HIST, F(metric_opt.hist), NONE},
    {"lncc-radius", "PX", "lncc: window half-width", K_INT, F(metric_opt.lncc_radius_px), 0, 1, 64},
    {"pi-radius", "PX", "pi: neighbourhood radius", K_INT, F(metric_opt.pi_radius_px), 0, 1, 64},
    {"pi-sigma", "S", "pi: sigma in photo units, <= 0: 4% of the range", K_DOUBLE,
     F(metric_opt.pi_sigma), 0, -1e30, 1e30},
    {"ngf-eta", "ETA", "ngf: edge parameter, fraction of the mean gradient", K_DOUBLE,
     F(metric_opt.ngf_eta), 0, 0, 100},
    {"canny", "LO,HI", "edge: Canny thresholds on 0..255", K_PAIR, F(metric_opt.canny_low),
     F(metric_opt.canny_high), 0, 255},
    {"dice-threshold", "T", "dice: foreground where value > T", K_DOUBLE,
     F(metric_opt.dice_threshold), 0, -1e30, 1e30},
};
#undef F
#undef NONE
#define N_KEYS ((int)(sizeof keys / sizeof keys[0]))

static const char *const channel_names[] = {"grey", "r", "g", "b"};
static const struct {
  const char *name;
  cr_metric_hist value;
} hist_names[] = {{"bspline", CR_HIST_BSPLINE}, {"linear", CR_HIST_LINEAR}};
static const char *const sampler_names[] = {"shift", "grid"}; // CR_REG_SAMPLER_*

// '_' and '-' are the same in key names (configs write max_evals, the CLI --max-evals).
static int key_equal(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (*a != *b && !((*a == '_' || *a == '-') && (*b == '_' || *b == '-'))) return 0;
  return *a == *b;
}

static const key_def *find_key(const char *name) {
  for (int i = 0; i < N_KEYS; i++)
    if (key_equal(keys[i].name, name)) return &keys[i];
  return NULL;
}

int cr_reg_method_has_key(const char *key, int *takes_value) {
  const key_def *k = find_key(key);
  if (k && takes_value) *takes_value = k->kind != K_FLAG;
  return k != NULL;
}

static int parse_double(const key_def *k, const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  while (isspace((unsigned char)*end)) end++;
  if (end == s || *end || errno == ERANGE)
    return cr_error(CR_EINVAL, "%s: '%s' is not a number", k->name, s);
  if (isnan(v) && isnan(k->lo)) return *out = v, 0; // "nan" means automatic here
  double lo = isnan(k->lo) ? -INFINITY : k->lo;
  if (!(v >= lo && v <= k->hi))
    return cr_error(CR_EINVAL, "%s: %s is outside %g..%g", k->name, s,
                    isnan(k->lo) ? -INFINITY : k->lo, k->hi);
  *out = v;
  return 0;
}

static int parse_whole(const key_def *k, const char *s, double *out) {
  int rc = parse_double(k, s, out);
  if (!rc && *out != floor(*out))
    return cr_error(CR_EINVAL, "%s: %s is not a whole number", k->name, s);
  return rc;
}

static int parse_flag(const key_def *k, const char *s, int *out) {
  if (!strcmp(s, "1") || !strcmp(s, "true")) return *out = 1, 0;
  if (!strcmp(s, "0") || !strcmp(s, "false")) return *out = 0, 0;
  return cr_error(CR_EINVAL, "%s: '%s' is not 1/0 or true/false", k->name, s);
}

static int parse_pair(const key_def *k, const char *s, double v[2]) {
  const char *comma = strchr(s, ',');
  if (!comma || strchr(comma + 1, ','))
    return cr_error(CR_EINVAL, "%s: '%s' is not two numbers A,B", k->name, s);
  char a[64];
  size_t n = (size_t)(comma - s);
  if (n >= sizeof a) return cr_error(CR_EINVAL, "%s: '%s' is too long", k->name, s);
  memcpy(a, s, n), a[n] = 0;
  int rc = parse_double(k, a, &v[0]);
  return rc ? rc : parse_double(k, comma + 1, &v[1]);
}

static int set_named(const key_def *k, cr_reg_method *m, const char *s) {
  char *base = (char *)m + k->off;
  switch (k->kind) {
  case K_MODE: {
    const cr_render_mode_type *t = cr_render_mode_find(s);
    if (!t) {
      char why[512]; // cr_last_error() is the buffer cr_error writes: copy it first
      snprintf(why, sizeof why, "%s", cr_last_error());
      return cr_error(CR_EINVAL, "%s: %s", k->name, why);
    }
    *(const cr_render_mode_type **)base = t;
    return 0;
  }
  case K_METRIC: {
    const cr_metric_type *t = cr_metric_find(s);
    if (t) return *(const cr_metric_type **)base = t, 0;
    char names[256] = "";
    for (int i = 0; cr_metric_types[i]; i++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
               cr_metric_types[i]->name);
    return cr_error(CR_EINVAL, "%s: unknown metric '%s' (known: %s)", k->name, s, names);
  }
  case K_OPT: {
    const cr_opt_type *t = cr_opt_lookup(s);
    if (!t)
      return cr_error(CR_EINVAL, "%s: unknown optimizer '%s' (known: %s)", k->name, s,
                      cr_opt_names());
    *(const cr_opt_type **)base = t;
    return 0;
  }
  case K_CHANNEL:
    for (int i = 0; i < 4; i++)
      if (!strcmp(s, channel_names[i])) return *(int *)base = i - 1, 0;
    return cr_error(CR_EINVAL, "%s: '%s': use grey, r, g or b", k->name, s);
  case K_HIST:
    for (size_t i = 0; i < sizeof hist_names / sizeof hist_names[0]; i++)
      if (!strcmp(s, hist_names[i].name)) return *(cr_metric_hist *)base = hist_names[i].value, 0;
    return cr_error(CR_EINVAL, "%s: '%s': use bspline or linear", k->name, s);
  case K_SAMPLER:
    for (int i = 0; i < 2; i++)
      if (!strcmp(s, sampler_names[i])) return *(int *)base = i, 0;
    return cr_error(CR_EINVAL, "%s: '%s': use shift or grid", k->name, s);
  default: return cr_error(CR_EINVAL, "%s: internal: not a named key", k->name);
  }
}

int cr_reg_method_set(cr_reg_method *m, const char *key, const char *value) {
  const key_def *k = find_key(key);
  if (!k) return cr_error(CR_EINVAL, "unknown method key '%s'", key);
  if (!value) return cr_error(CR_EINVAL, "%s: needs a value", k->name);
  char *base = (char *)m + k->off;
  double v, p[2];
  int rc = 0;
  switch (k->kind) {
  case K_INT:
    if (!(rc = parse_whole(k, value, &v))) *(int *)base = (int)v;
    break;
  case K_LONG:
    if (!(rc = parse_whole(k, value, &v))) *(long *)base = (long)v;
    break;
  case K_SEED:
    if (!(rc = parse_whole(k, value, &v))) *(unsigned long *)base = (unsigned long)v;
    break;
  case K_DOUBLE:
    if (!(rc = parse_double(k, value, &v))) *(double *)base = v;
    break;
  case K_PAIR:
    if (!(rc = parse_pair(k, value, p)))
      *(double *)base = p[0], *(double *)((char *)m + k->off2) = p[1];
    break;
  case K_FLAG: rc = parse_flag(k, value, (int *)base); break;
  default: rc = set_named(k, m, value);
  }
  return rc;
}

int cr_reg_method_get(const cr_reg_method *m, const char *key, char *buf, size_t cap) {
  const key_def *k = find_key(key);
  if (!k) return cr_error(CR_EINVAL, "unknown method key '%s'", key);
  const char *base = (const char *)m + k->off;
  switch (k->kind) {
  case K_INT: snprintf(buf, cap, "%d", *(const int *)base); break;
  case K_LONG: snprintf(buf, cap, "%ld", *(const long *)base); break;
  case K_SEED: snprintf(buf, cap, "%lu", *(const unsigned long *)base); break;
  case K_DOUBLE: snprintf(buf, cap, "%.17g", *(const double *)base); break;
  case K_PAIR:
    snprintf(buf, cap, "%.17g,%.17g", *(const double *)base,
             *(const double *)((const char *)m + k->off2));
    break;
  case K_FLAG: snprintf(buf, cap, "%d", *(const int *)base); break;
  case K_MODE: snprintf(buf, cap, "%s", (*(const cr_render_mode_type *const *)base)->name); break;
  case K_METRIC: snprintf(buf, cap, "%s", (*(const cr_metric_type *const *)base)->name); break;
  case K_OPT: snprintf(buf, cap, "%s", (*(const cr_opt_type *const *)base)->name); break;
  case K_CHANNEL: {
    int c = *(const int *)base;
    snprintf(buf, cap, "%s", c >= -1 && c <= 2 ? channel_names[c + 1] : "?");
    break;
  }
  case K_HIST: {
    const char *name = "?";
    for (size_t i = 0; i < sizeof hist_names / sizeof hist_names[0]; i++)
      if (hist_names[i].value == *(const cr_metric_hist *)base) name = hist_names[i].name;
    snprintf(buf, cap, "%s", name);
    break;
  }
  case K_SAMPLER: {
    int i = *(const int *)base;
    snprintf(buf, cap, "%s", i >= 0 && i < 2 ? sampler_names[i] : "?");
    break;
  }
  }
  return 0;
}

int cr_reg_method_check(const cr_reg_method *m) {
  if (!m->mode || !m->metric || !m->optimizer)
    return cr_error(CR_EINVAL, "method: render mode, metric and optimizer must be set");
  if (m->prep.vesselness && !(m->prep.sigma_max_px >= m->prep.sigma_min_px))
    return cr_error(CR_EINVAL, "vessel-sigma: MIN must not exceed MAX");
  if (!(m->metric_opt.canny_high >= m->metric_opt.canny_low))
    return cr_error(CR_EINVAL, "canny: LO must not exceed HI");
  if (m->global && !(m->global_box_deg > 0) && !(m->global_box_mm > 0))
    return cr_error(CR_EINVAL, "global-box %g,%g: the search box is empty", m->global_box_deg,
                    m->global_box_mm);
  if (m->warp_rounds > 0 && !cr_reg_method_warps(m))
    return cr_error(CR_EINVAL, "warp %d: needs the surface mode without vesselness (mode %s%s)",
                    m->warp_rounds, m->mode->name, m->prep.vesselness ? ", vesselness" : "");
  return 0;
}

int cr_reg_method_warps(const cr_reg_method *m) {
  return strcmp(m->mode->name, "surface") == 0 && !m->prep.vesselness;
}

int cr_reg_method_key_count(void) {
  return N_KEYS;
}

void cr_reg_method_key_info(int i, const char **name, const char **arg, const char **help) {
  const key_def *k = i >= 0 && i < N_KEYS ? &keys[i] : NULL;
  if (name) *name = k ? k->name : NULL;
  if (arg) *arg = k ? k->arg : NULL;
  if (help) *help = k ? k->help : NULL;
}

// "      --opt ARG               text", the text wrapped at 100 columns under itself.
static void print_wrapped(FILE *f, const char *opt, const char *text) {
  enum { INDENT = 31, WIDTH = 100 };
  int col = fprintf(f, "      %-24s", opt);
  const char *p = text;
  while (*p) {
    size_t word = strcspn(p, " ");
    if (col + 1 + (int)word > WIDTH && col > INDENT) col = fprintf(f, "\n%*s", INDENT - 1, "") - 1;
    col += fprintf(f, " %.*s", (int)word, p);
    p += word;
    while (*p == ' ') p++;
  }
  fputc('\n', f);
}

void cr_reg_method_print_help(FILE *f) {
  const cr_reg_method d = cr_reg_method_defaults();
  for (int i = 0; i < N_KEYS; i++) {
    char opt[64], def[96];
    snprintf(opt, sizeof opt, "--%s%s%s", keys[i].name, keys[i].arg ? " " : "",
             keys[i].arg ? keys[i].arg : "");
    cr_reg_method_get(&d, keys[i].name, def, sizeof def);
    // %.17g is exact for the file round trip; the help shows the short form
    if (keys[i].kind == K_DOUBLE)
      snprintf(def, sizeof def, "%g", *(const double *)((const char *)&d + keys[i].off));
    if (keys[i].kind == K_PAIR)
      snprintf(def, sizeof def, "%g,%g", *(const double *)((const char *)&d + keys[i].off),
               *(const double *)((const char *)&d + keys[i].off2));
    if (keys[i].kind == K_FLAG)
      snprintf(def, sizeof def, "%s",
               *(const int *)((const char *)&d + keys[i].off) ? "on" : "off");
    char text[512];
    snprintf(text, sizeof text, "%s (default %s)", keys[i].help, def);
    print_wrapped(f, opt, text);
  }
}
