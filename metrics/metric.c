// The metric interface: creation (fixed image, mask), evaluation checks, lookup,
// the cost convention and batch evaluation.
#include "metrics/internal.h"

#include <stdlib.h>
#include <string.h>

const cr_metric_type *const cr_metric_types[] = {
    &mx_ssd_type, &mx_ncc_type, &mx_lncc_type, &mx_mi_type,   &mx_nmi_type,  &mx_gc_type,
    &mx_gd_type,  &mx_pi_type,  &mx_ngf_type,  &mx_edge_type, &mx_dice_type, NULL};

const cr_metric_type *const cr_metric_ssd = &mx_ssd_type;
const cr_metric_type *const cr_metric_ncc = &mx_ncc_type;
const cr_metric_type *const cr_metric_lncc = &mx_lncc_type;
const cr_metric_type *const cr_metric_mi = &mx_mi_type;
const cr_metric_type *const cr_metric_nmi = &mx_nmi_type;
const cr_metric_type *const cr_metric_gc = &mx_gc_type;
const cr_metric_type *const cr_metric_gd = &mx_gd_type;
const cr_metric_type *const cr_metric_pi = &mx_pi_type;
const cr_metric_type *const cr_metric_ngf = &mx_ngf_type;
const cr_metric_type *const cr_metric_edge = &mx_edge_type;
const cr_metric_type *const cr_metric_dice = &mx_dice_type;

cr_metric_options cr_metric_defaults(void) {
  cr_metric_options o;
  memset(&o, 0, sizeof o);
  o.bins = 32;
  o.hist = CR_HIST_BSPLINE;
  o.lncc_radius_px = 4;
  o.pi_radius_px = 3;
  o.pi_sigma = 0;
  o.ngf_eta = 0.1;
  o.canny_low = 30;
  o.canny_high = 90;
  o.dice_threshold = 0.5;
  o.parallel_min_px = 1L << 17;
  return o;
}

const cr_metric_type *cr_metric_find(const char *name) {
  if (!name) return NULL;
  for (int i = 0; cr_metric_types[i]; i++)
    if (!strcmp(cr_metric_types[i]->name, name)) return cr_metric_types[i];
  return NULL;
}

static int check_options(const cr_metric_options *o) {
  if (o->bins < 4 || o->bins > 256)
    return cr_error(CR_EINVAL, "metric: bins must be 4..256 (got %d)", o->bins);
  if (o->hist != CR_HIST_BSPLINE && o->hist != CR_HIST_LINEAR)
    return cr_error(CR_EINVAL, "metric: unknown histogram kernel %d", (int)o->hist);
  if (o->lncc_radius_px < 1 || o->lncc_radius_px > 64)
    return cr_error(CR_EINVAL, "metric: lncc radius must be 1..64 px (got %d)", o->lncc_radius_px);
  if (o->pi_radius_px < 1 || o->pi_radius_px > 8)
    return cr_error(CR_EINVAL, "metric: pi radius must be 1..8 px (got %d)", o->pi_radius_px);
  if (!(o->ngf_eta > 0)) return cr_error(CR_EINVAL, "metric: ngf eta must be positive");
  if (!(o->canny_low >= 0 && o->canny_high >= o->canny_low))
    return cr_error(CR_EINVAL, "metric: Canny thresholds need 0 <= low <= high");
  if (o->parallel_min_px < 0) return cr_error(CR_EINVAL, "metric: parallel_min_px must be >= 0");
  if (!isfinite(o->dice_threshold) || !isfinite(o->pi_sigma))
    return cr_error(CR_EINVAL, "metric: dice threshold and pi sigma must be finite");
  return CR_OK;
}

// Copies the fixed image, builds the valid maps and the fixed range.
static int setup_fixed(cr_metric *m, const cr_image *fixed, const cr_image *mask) {
  int w = m->width, h = m->height;
  size_t n = (size_t)w * h;
  m->fixed = malloc(n * sizeof(float));
  m->valid = calloc(n, 1);
  m->valid3 = calloc(n, 1);
  m->cur = calloc(n, 1);
  m->cur3 = calloc(n, 1);
  m->row_sums = calloc((size_t)h * CR_METRIC_ROW_SUMS, sizeof(double));
  m->grey = cr_image_new(w, h, 1);
  if (!m->fixed || !m->valid || !m->valid3 || !m->cur || !m->cur3 || !m->row_sums || !m->grey)
    return cr_error(CR_ENOMEM, "metric: out of memory for a %dx%d image", w, h);
  float lo = INFINITY, hi = -INFINITY;
  long count = 0;
  for (int y = 0; y < h; y++) {
    const float *f = cr_image_row(fixed, y);
    const float *k = mask ? cr_image_row(mask, y) : NULL;
    for (int x = 0; x < w; x++) {
      size_t i = (size_t)y * w + x;
      int ok =
          isfinite(f[x]) &&
          (!k || (k[(size_t)x * mask->channels] != 0 && !isnan(k[(size_t)x * mask->channels])));
      m->valid[i] = (unsigned char)ok;
      m->fixed[i] = ok ? f[x] : 0.0f; // values outside the mask never reach a kernel
      if (ok) {
        count++;
        lo = f[x] < lo ? f[x] : lo;
        hi = f[x] > hi ? f[x] : hi;
      }
    }
  }
  if (!count)
    return cr_error(CR_EEMPTY, "metric: no valid pixel (mask empty or fixed image all NaN)");
  m->n_valid = count;
  m->fixed_min = lo, m->fixed_max = hi;
  for (int y = 1; y < h - 1; y++)
    for (int x = 1; x < w - 1; x++) {
      size_t i = (size_t)y * w + x;
      int ok = 1;
      for (int dy = -1; dy <= 1 && ok; dy++)
        for (int dx = -1; dx <= 1; dx++) ok &= m->valid[i + (long)dy * w + dx];
      m->valid3[i] = (unsigned char)ok;
    }
  return CR_OK;
}

cr_metric *cr_metric_new(const cr_metric_type *type, const cr_image *fixed, const cr_image *mask,
                         const cr_metric_options *opt) {
  if (!type || !fixed) {
    cr_error(CR_EINVAL, "metric: no metric type or no fixed image");
    return NULL;
  }
  if (fixed->channels != 1) {
    cr_error(CR_EINVAL,
             "metric %s: the fixed image has %d channels; convert it to one "
             "(a channel or grey) first",
             type->name, fixed->channels);
    return NULL;
  }
  if (fixed->width < 3 || fixed->height < 3) {
    cr_error(CR_EINVAL, "metric %s: the fixed image is too small (%dx%d)", type->name, fixed->width,
             fixed->height);
    return NULL;
  }
  if (mask && (mask->width != fixed->width || mask->height != fixed->height)) {
    cr_error(CR_EINVAL, "metric %s: mask is %dx%d but the fixed image is %dx%d", type->name,
             mask->width, mask->height, fixed->width, fixed->height);
    return NULL;
  }
  cr_metric_options o = opt ? *opt : cr_metric_defaults();
  if (check_options(&o)) return NULL;
  cr_metric *m = calloc(1, sizeof *m);
  if (!m) {
    cr_error(CR_ENOMEM, "metric: out of memory");
    return NULL;
  }
  m->type = type;
  m->opt = o;
  m->width = fixed->width, m->height = fixed->height;
  m->par = (long)m->width * m->height >= o.parallel_min_px;
  if (setup_fixed(m, fixed, mask) || (type->create && type->create(m))) {
    cr_metric_free(m);
    return NULL;
  }
  return m;
}

void cr_metric_free(cr_metric *m) {
  if (!m) return;
  if (m->type && m->type->destroy) m->type->destroy(m);
  free(m->fixed);
  free(m->valid);
  free(m->valid3);
  free(m->cur);
  free(m->cur3);
  free(m->row_sums);
  cr_image_free(m->grey);
  free(m);
}

int cr_metric_eval(cr_metric *m, const cr_image *moving, double *value) {
  *value = NAN;
  if (!moving || moving->channels != 1 || moving->width != m->width || moving->height != m->height)
    return cr_error(CR_EINVAL, "metric %s: the moving image must be 1-channel %dx%d (got %dx%dx%d)",
                    m->type->name, m->width, m->height, moving ? moving->width : 0,
                    moving ? moving->height : 0, moving ? moving->channels : 0);
  return m->type->eval(m, moving, value);
}

int cr_metric_eval_channel(cr_metric *m, const cr_image *moving, int channel, const float *weights,
                           double *value) {
  *value = NAN;
  if (!moving || moving->channels == 1) return cr_metric_eval(m, moving, value);
  int nc = moving->channels;
  if (channel >= nc || channel < -1)
    return cr_error(CR_EINVAL, "metric %s: channel %d requested from a %d-channel image",
                    m->type->name, channel, nc);
  if (moving->width != m->width || moving->height != m->height)
    return cr_metric_eval(m, moving, value); // reports the size mismatch
  static const float bt601[3] = {0.299f, 0.587f, 0.114f};
  const float *wt = weights ? weights : bt601;
  int c = channel >= 0 ? channel : nc < 3 ? 0 : -1; // grey + alpha: the grey channel
  for (int y = 0; y < m->height; y++) {
    const float *s = cr_image_row(moving, y);
    float *d = cr_image_row(m->grey, y);
    for (int x = 0; x < m->width; x++, s += nc)
      d[x] = c >= 0 ? s[c] : wt[0] * s[0] + wt[1] * s[1] + wt[2] * s[2];
  }
  return cr_metric_eval(m, m->grey, value);
}

double cr_metric_cost(const cr_metric_type *type, double value) {
  return type->larger_is_better ? -value : value;
}

int cr_metric_eval_cost(cr_metric *m, const cr_image *moving, double *cost) {
  int rc = cr_metric_eval(m, moving, cost);
  *cost = cr_metric_cost(m->type, *cost);
  return rc;
}

int cr_metric_eval_many(cr_metric *m, const cr_image *const *moving, int n, double *values) {
  for (int i = 0; i < n; i++) {
    int rc = cr_metric_eval_channel(m, moving[i], -1, NULL, &values[i]);
    if (rc) return rc;
  }
  return CR_OK;
}

int cr_metric_eval_generated(cr_metric *m, int n, int (*make)(void *ctx, int i, cr_image **img),
                             void (*release)(void *ctx, cr_image *img), void *ctx, double *values) {
  for (int i = 0; i < n; i++) {
    cr_image *img = NULL;
    int rc = make(ctx, i, &img);
    if (rc) return rc;
    rc = cr_metric_eval_channel(m, img, -1, NULL, &values[i]);
    if (release) release(ctx, img);
    if (rc == CR_EEMPTY) continue; // nothing visible: NaN, keep going
    if (rc) return rc;
  }
  return CR_OK;
}

int cr_metric_best_index(const cr_metric_type *type, const double *values, int n) {
  int best = -1;
  for (int i = 0; i < n; i++) {
    if (isnan(values[i])) continue;
    if (best < 0 || (type->larger_is_better ? values[i] > values[best] : values[i] < values[best]))
      best = i;
  }
  return best;
}

long mx_current_valid(cr_metric *m, const cr_image *moving) {
  int w = m->width, h = m->height;
  double *rs = m->row_sums;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    const float *mv = cr_image_row(moving, y);
    const unsigned char *v = m->valid + (size_t)y * w;
    unsigned char *c = m->cur + (size_t)y * w;
    long cnt = 0;
    for (int x = 0; x < w; x++) {
      c[x] = (unsigned char)(v[x] && isfinite(mv[x]));
      cnt += c[x];
    }
    rs[(size_t)y * CR_METRIC_ROW_SUMS] = (double)cnt;
  }
  long total = 0;
  for (int y = 0; y < h; y++) total += (long)rs[(size_t)y * CR_METRIC_ROW_SUMS];
  return total;
}

long mx_current_valid3(cr_metric *m) {
  int w = m->width, h = m->height;
  double *rs = m->row_sums;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    unsigned char *c3 = m->cur3 + (size_t)y * w;
    long cnt = 0;
    if (y == 0 || y == h - 1) {
      memset(c3, 0, (size_t)w);
    } else {
      const unsigned char *a = m->cur + (size_t)(y - 1) * w, *b = a + w, *c = b + w;
      c3[0] = c3[w - 1] = 0;
      for (int x = 1; x < w - 1; x++) {
        int ok =
            a[x - 1] & a[x] & a[x + 1] & b[x - 1] & b[x] & b[x + 1] & c[x - 1] & c[x] & c[x + 1];
        c3[x] = (unsigned char)ok;
        cnt += ok;
      }
    }
    rs[(size_t)y * CR_METRIC_ROW_SUMS] = (double)cnt;
  }
  long total = 0;
  for (int y = 0; y < h; y++) total += (long)rs[(size_t)y * CR_METRIC_ROW_SUMS];
  return total;
}

void mx_reduce_rows(const cr_metric *m, int k, double *out) {
  for (int j = 0; j < k; j++) out[j] = 0;
  for (int y = 0; y < m->height; y++)
    for (int j = 0; j < k; j++) out[j] += m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS + j];
}

void mx_moving_range(const cr_metric *m, const cr_image *moving, float *lo, float *hi) {
  int w = m->width, h = m->height;
  double *rs = m->row_sums;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    const float *mv = cr_image_row(moving, y);
    const unsigned char *c = m->cur + (size_t)y * w;
    float l = INFINITY, u = -INFINITY;
    for (int x = 0; x < w; x++) {
      float v = c[x] ? mv[x] : l;
      l = v < l ? v : l;
      v = c[x] ? mv[x] : u;
      u = v > u ? v : u;
    }
    rs[(size_t)y * CR_METRIC_ROW_SUMS] = l, rs[(size_t)y * CR_METRIC_ROW_SUMS + 1] = u;
  }
  float l = INFINITY, u = -INFINITY;
  for (int y = 0; y < h; y++) {
    float a = (float)rs[(size_t)y * CR_METRIC_ROW_SUMS],
          b = (float)rs[(size_t)y * CR_METRIC_ROW_SUMS + 1];
    l = a < l ? a : l, u = b > u ? b : u;
  }
  if (l > u) l = u = 0;
  *lo = l, *hi = u;
}
