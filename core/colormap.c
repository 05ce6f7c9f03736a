// Named colour maps and nearest-colour inversion (core/colormap.h).
#include "core/colormap.h"

#include "core/error.h"

#include <math.h>
#include <strings.h>

// Control colours. viridis: matplotlib's table (CC0, van der Walt and Smith 2015);
// parula: MATLAB R2014b's 256-entry table; both sampled at entries 0, 8, ..., 248, 255.
static const float viridis_rgb[][3] = {
    {0.267004f, 0.0048743f, 0.3294152f},  // 0
    {0.2770184f, 0.0503444f, 0.3757145f}, // 8
    {0.2823274f, 0.0949555f, 0.4173309f}, // 16
    {0.2828839f, 0.1359201f, 0.4534273f}, // 24
    {0.2788262f, 0.1754902f, 0.4833965f}, // 32
    {0.2705947f, 0.214069f, 0.5070524f},  // 40
    {0.2589645f, 0.2515369f, 0.5247361f}, // 48
    {0.2449721f, 0.2876755f, 0.5372602f}, // 56
    {0.2297393f, 0.3223613f, 0.5457063f}, // 64
    {0.2142976f, 0.3556191f, 0.5511844f}, // 72
    {0.1994295f, 0.3876068f, 0.5546421f}, // 80
    {0.1855559f, 0.4185704f, 0.5567529f}, // 88
    {0.1727188f, 0.4487906f, 0.5578853f}, // 96
    {0.1606647f, 0.4785396f, 0.5581147f}, // 104
    {0.1490392f, 0.5080514f, 0.5572505f}, // 112
    {0.1377705f, 0.5374921f, 0.5549063f}, // 120
    {0.1275677f, 0.5669489f, 0.5505555f}, // 128
    {0.120565f, 0.5964219f, 0.5436106f},  // 136
    {0.1206382f, 0.6258283f, 0.5334883f}, // 144
    {0.132268f, 0.6550136f, 0.5196609f},  // 152
    {0.1578515f, 0.6837653f, 0.5016857f}, // 160
    {0.1965706f, 0.7118267f, 0.4792211f}, // 168
    {0.2460697f, 0.7389097f, 0.4520241f}, // 176
    {0.304148f, 0.7647043f, 0.4199435f},  // 184
    {0.3692142f, 0.7888879f, 0.3829144f}, // 192
    {0.4401369f, 0.8111384f, 0.3409673f}, // 200
    {0.5159918f, 0.8311578f, 0.2942789f}, // 208
    {0.5958393f, 0.8487172f, 0.2433288f}, // 216
    {0.6784887f, 0.8637421f, 0.1895033f}, // 224
    {0.7623734f, 0.8764239f, 0.1370645f}, // 232
    {0.8455606f, 0.8873224f, 0.0997022f}, // 240
    {0.9261058f, 0.8973298f, 0.1040707f}, // 248
    {0.9932479f, 0.9061566f, 0.1439362f}, // 255
};
static const float viridis_t[] = {
    0 / 255.0f,   8 / 255.0f,   16 / 255.0f,  24 / 255.0f,  32 / 255.0f,  40 / 255.0f,
    48 / 255.0f,  56 / 255.0f,  64 / 255.0f,  72 / 255.0f,  80 / 255.0f,  88 / 255.0f,
    96 / 255.0f,  104 / 255.0f, 112 / 255.0f, 120 / 255.0f, 128 / 255.0f, 136 / 255.0f,
    144 / 255.0f, 152 / 255.0f, 160 / 255.0f, 168 / 255.0f, 176 / 255.0f, 184 / 255.0f,
    192 / 255.0f, 200 / 255.0f, 208 / 255.0f, 216 / 255.0f, 224 / 255.0f, 232 / 255.0f,
    240 / 255.0f, 248 / 255.0f, 255 / 255.0f};
static const float parula_rgb[][3] = {
    {0.2081f, 0.1663f, 0.5292f}, // 0
    {0.2123f, 0.2132f, 0.6258f}, // 8
    {0.1968f, 0.2632f, 0.7255f}, // 16
    {0.1295f, 0.3217f, 0.8269f}, // 24
    {0.0136f, 0.3853f, 0.8815f}, // 32
    {0.0148f, 0.4246f, 0.8793f}, // 40
    {0.0477f, 0.4564f, 0.8652f}, // 48
    {0.071f, 0.4862f, 0.8481f},  // 56
    {0.0795f, 0.5169f, 0.8324f}, // 64
    {0.0668f, 0.5527f, 0.8243f}, // 72
    {0.0372f, 0.5922f, 0.8209f}, // 80
    {0.0243f, 0.625f, 0.8066f},  // 88
    {0.0227f, 0.6503f, 0.781f},  // 96
    {0.0338f, 0.6712f, 0.749f},  // 104
    {0.0755f, 0.6899f, 0.7126f}, // 112
    {0.1335f, 0.7069f, 0.6723f}, // 120
    {0.2033f, 0.7223f, 0.6281f}, // 128
    {0.2845f, 0.7354f, 0.5809f}, // 136
    {0.3753f, 0.7446f, 0.5339f}, // 144
    {0.4672f, 0.7487f, 0.4924f}, // 152
    {0.5519f, 0.7489f, 0.4571f}, // 160
    {0.629f, 0.7465f, 0.4261f},  // 168
    {0.7004f, 0.7424f, 0.3976f}, // 176
    {0.7679f, 0.7372f, 0.3706f}, // 184
    {0.8325f, 0.7315f, 0.3438f}, // 192
    {0.8954f, 0.7266f, 0.3156f}, // 200
    {0.9567f, 0.7273f, 0.2808f}, // 208
    {0.9973f, 0.7524f, 0.231f},  // 216
    {0.9933f, 0.7931f, 0.1905f}, // 224
    {0.9759f, 0.8337f, 0.1583f}, // 232
    {0.9611f, 0.8774f, 0.1258f}, // 240
    {0.961f, 0.9296f, 0.0897f},  // 248
    {0.9763f, 0.9831f, 0.0538f}, // 255
};
static const float parula_t[] = {
    0 / 255.0f,   8 / 255.0f,   16 / 255.0f,  24 / 255.0f,  32 / 255.0f,  40 / 255.0f,
    48 / 255.0f,  56 / 255.0f,  64 / 255.0f,  72 / 255.0f,  80 / 255.0f,  88 / 255.0f,
    96 / 255.0f,  104 / 255.0f, 112 / 255.0f, 120 / 255.0f, 128 / 255.0f, 136 / 255.0f,
    144 / 255.0f, 152 / 255.0f, 160 / 255.0f, 168 / 255.0f, 176 / 255.0f, 184 / 255.0f,
    192 / 255.0f, 200 / 255.0f, 208 / 255.0f, 216 / 255.0f, 224 / 255.0f, 232 / 255.0f,
    240 / 255.0f, 248 / 255.0f, 255 / 255.0f};
// MATLAB's jet is piecewise linear with corners at 1/8, 3/8, 5/8 and 7/8.
static const float jet_rgb[][3] = {{0, 0, 0.5f}, {0, 0, 1}, {0, 1, 1},
                                   {1, 1, 0},    {1, 0, 0}, {0.5f, 0, 0}};
static const float jet_t[] = {0, 0.125f, 0.375f, 0.625f, 0.875f, 1};
static const float gray_rgb[][3] = {{0, 0, 0}, {1, 1, 1}};
static const float gray_t[] = {0, 1};

#define ROW(name)                                                                                  \
  { #name, (int)(sizeof name##_t / sizeof name##_t[0]), name##_t, name##_rgb }
static const cr_colormap maps[] = {ROW(gray), ROW(jet), ROW(parula), ROW(viridis)};

const char *cr_colormap_names(void) {
  return "gray, jet, parula, viridis";
}

const cr_colormap *cr_colormap_find(const char *name) {
  for (size_t i = 0; name && i < sizeof maps / sizeof maps[0]; i++)
    if (!strcasecmp(name, maps[i].name) || (!strcasecmp(name, "grey") && i == 0)) return &maps[i];
  cr_error(CR_EINVAL, "unknown colour map \"%s\" (known: %s)", name ? name : "",
           cr_colormap_names());
  return NULL;
}

void cr_colormap_apply(const cr_colormap *m, double t, double rgb[3]) {
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  int i = 0;
  while (i + 2 < m->n && t > m->t[i + 1]) i++;
  double f = (t - m->t[i]) / (m->t[i + 1] - m->t[i]);
  for (int c = 0; c < 3; c++) rgb[c] = m->rgb[i][c] + f * (m->rgb[i + 1][c] - m->rgb[i][c]);
}

double cr_colormap_invert(const cr_colormap *m, const double rgb[3], double *dist) {
  double best = INFINITY, bt = 0;
  for (int i = 0; i + 1 < m->n; i++) {
    double d[3], e[3], dd = 0, de = 0;
    for (int c = 0; c < 3; c++) {
      d[c] = m->rgb[i + 1][c] - m->rgb[i][c];
      e[c] = rgb[c] - m->rgb[i][c];
      dd += d[c] * d[c], de += d[c] * e[c];
    }
    double f = dd > 0 ? de / dd : 0;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    double r2 = 0;
    for (int c = 0; c < 3; c++) r2 += (e[c] - f * d[c]) * (e[c] - f * d[c]);
    if (r2 < best) best = r2, bt = m->t[i] + f * (m->t[i + 1] - m->t[i]);
  }
  if (dist) *dist = sqrt(best);
  return bt;
}

cr_image *cr_colormap_to_scalar(const cr_image *img, const cr_colormap *m, double full_scale,
                                double lo, double hi, double *max_dist) {
  if (img->channels < 3) {
    cr_error(CR_EINVAL, "colour map %s: the image has %d channel(s), not RGB", m->name,
             img->channels);
    return NULL;
  }
  if (!(full_scale > 0)) {
    cr_error(CR_EINVAL, "colour map %s: full scale must be positive", m->name);
    return NULL;
  }
  cr_image *out = cr_image_new(img->width, img->height, 1);
  if (!out) return NULL;
  double worst = 0;
#pragma omp parallel for schedule(static) reduction(max : worst)
  for (int y = 0; y < img->height; y++) {
    float *o = cr_image_row(out, y);
    for (int x = 0; x < img->width; x++) {
      const float *p = cr_image_px(img, x, y);
      double rgb[3] = {p[0] / full_scale, p[1] / full_scale, p[2] / full_scale}, d;
      double t = cr_colormap_invert(m, rgb, &d);
      o[x] = (float)(lo + t * (hi - lo));
      worst = fmax(worst, d);
    }
  }
  if (max_dist) *max_dist = worst;
  return out;
}
