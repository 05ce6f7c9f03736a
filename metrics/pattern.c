#include "metrics/pattern.h"

#include <math.h>

// The pattern at normalized coordinates (x, y) in about [-1, 1].
static double pattern_value(double x, double y) {
  double r = sqrt(x * x + y * y);
  double inside = 1.0 / (1.0 + exp((r - 0.8) / 0.02)); // soft disc edge
  double v = 0.55 + 0.15 * exp(-((x - 0.3) * (x - 0.3) + (y + 0.2) * (y + 0.2)) / 0.05) -
             0.12 * exp(-((x + 0.35) * (x + 0.35) + (y - 0.25) * (y - 0.25)) / 0.08) +
             0.06 * sin(11.0 * x + 3.0 * y) * cos(7.0 * y - 2.0 * x);
  // two dark curved "sulci" and a bright "vessel"
  double s1 = y - 0.3 * sin(3.0 * x) - 0.1, s2 = x + 0.25 * cos(4.0 * y) + 0.2;
  double vs = y + 0.5 * x * x - 0.45;
  v -= 0.25 * exp(-s1 * s1 / 0.0015) + 0.2 * exp(-s2 * s2 / 0.001);
  v += 0.3 * exp(-vs * vs / 0.0008);
  return inside * v;
}

cr_image *cr_metrics_pattern(int w, int h, double tx_px, double ty_px, double angle_rad,
                             double scale) {
  cr_image *img = cr_image_new(w, h, 1);
  if (!img) return NULL;
  double cx = 0.5 * (w - 1), cy = 0.5 * (h - 1), half = 0.5 * (w < h ? w : h);
  double c = cos(angle_rad), s = sin(angle_rad);
  for (int y = 0; y < h; y++) {
    float *row = cr_image_row(img, y);
    for (int x = 0; x < w; x++) {
      // Invert the motion: content point p maps to c + scale R p + t.
      double u = x - cx - tx_px, v = y - cy - ty_px;
      double pu = (c * u + s * v) / scale, pv = (-s * u + c * v) / scale;
      row[x] = (float)pattern_value(pu / half, pv / half);
    }
  }
  return img;
}
