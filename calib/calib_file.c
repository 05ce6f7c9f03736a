// The calibration file, the synthetic chessboard renderer and the per-view error plot.
#include "calib/chessboard.h"

#include "core/error.h"
#include "core/filestorage.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// OpenCV's CALIB_* values, as the sample writes them in `flags`.
static int opencv_flags(int flags) {
  int f = 0;
  if (flags & CR_CALIB_FIX_ASPECT) f |= 2;    // CALIB_FIX_ASPECT_RATIO
  if (flags & CR_CALIB_FIX_PRINCIPAL) f |= 4; // CALIB_FIX_PRINCIPAL_POINT
  if (flags & CR_CALIB_ZERO_TANGENT) f |= 8;  // CALIB_ZERO_TANGENT_DIST
  if (flags & CR_CALIB_FIX_K3) f |= 128;      // CALIB_FIX_K3
  return f;
}

static char *join_names(const cr_calib_views *v, const cr_calib_result *r) {
  size_t len = 1;
  for (int i = 0; i < v->n; i++)
    if (r->view_used[i]) len += strlen(v->names[i] ? v->names[i] : "") + 1;
  char *s = calloc(len, 1);
  if (!s) return NULL;
  for (int i = 0; i < v->n; i++) {
    if (!r->view_used[i]) continue;
    if (*s) strcat(s, ";");
    strcat(s, v->names[i] ? v->names[i] : "");
  }
  return s;
}

int cr_calib_write(const char *path, const cr_calib_views *v, const cr_calib_options *opt,
                   const cr_calib_result *r) {
  int nu = r->n_used;
  double *pv = malloc(sizeof(double) * (nu > 0 ? nu : 1));
  double *ex = malloc(sizeof(double) * 6 * (nu > 0 ? nu : 1));
  char *names = join_names(v, r);
  if (!pv || !ex || !names) {
    free(pv), free(ex), free(names);
    return cr_error(CR_ENOMEM, "%s: out of memory", path);
  }
  for (int i = 0, a = 0; i < v->n; i++) {
    if (!r->view_used[i]) continue;
    pv[a] = r->view_rms[i];
    cr_pose_to_rvec_tvec(&r->cam_from_board[i], ex + 6 * a, ex + 6 * a + 3);
    a++;
  }
  const cr_camera *c = &r->cam;
  double K[9] = {c->fx, 0, c->cx, 0, c->fy, c->cy, 0, 0, 1};
  double kstd[4] = {r->std_dev[0], r->std_dev[1], r->std_dev[2], r->std_dev[3]};
  char when[64];
  time_t now = time(NULL);
  struct tm tmv;
  strftime(when, sizeof when, "%a %b %d %H:%M:%S %Y", localtime_r(&now, &tmv));
  cvw_fs_entry e[24];
  int n = 0;
#define ENT(...) e[n++] = (cvw_fs_entry){__VA_ARGS__}
  ENT("calibration_time", CVW_FS_STRING, 0, 0, NULL, 0, 0, when);
  ENT("nr_of_frames", CVW_FS_INT, 0, 0, NULL, nu, 0, NULL);
  ENT("nframes", CVW_FS_INT, 0, 0, NULL, nu, 0, NULL);
  ENT("image_width", CVW_FS_INT, 0, 0, NULL, v->width, 0, NULL);
  ENT("image_height", CVW_FS_INT, 0, 0, NULL, v->height, 0, NULL);
  ENT("board_width", CVW_FS_INT, 0, 0, NULL, v->cols, 0, NULL);
  ENT("board_height", CVW_FS_INT, 0, 0, NULL, v->rows, 0, NULL);
  ENT("square_size", CVW_FS_REAL, 0, 0, NULL, 0, opt->square_mm, NULL);
  if (opt->flags & CR_CALIB_FIX_ASPECT)
    ENT("aspectRatio", CVW_FS_REAL, 0, 0, NULL, 0, opt->aspect, NULL);
  ENT("flags", CVW_FS_INT, 0, 0, NULL, opencv_flags(opt->flags), 0, NULL);
  ENT("camera_matrix", CVW_FS_MATRIX, 3, 3, K, 0, 0, NULL);
  ENT("distortion_coefficients", CVW_FS_MATRIX, 5, 1, c->dist, 0, 0, NULL);
  ENT("camera_matrix_std_dev", CVW_FS_MATRIX, 4, 1, kstd, 0, 0, NULL);
  ENT("distortion_coefficients_std_dev", CVW_FS_MATRIX, 5, 1, r->std_dev + 4, 0, 0, NULL);
  ENT("avg_reprojection_error", CVW_FS_REAL, 0, 0, NULL, 0, r->rms, NULL);
  ENT("avg_reprojection_error_all", CVW_FS_REAL, 0, 0, NULL, 0, r->rms_all, NULL);
  ENT("inlier_corners", CVW_FS_INT, 0, 0, NULL, r->corners_used, 0, NULL);
  ENT("total_corners", CVW_FS_INT, 0, 0, NULL, r->corners_total, 0, NULL);
  ENT("per_view_reprojection_errors", CVW_FS_MATRIX, nu, 1, pv, 0, 0, NULL);
  ENT("extrinsic_parameters", CVW_FS_MATRIX, nu, 6, ex, 0, 0, NULL);
  ENT("image_files", CVW_FS_STRING, 0, 0, NULL, 0, 0, names);
#undef ENT
  int rc = cr_fs_write(path, e, n);
  free(pv), free(ex), free(names);
  return rc;
}

// Colour of board point (bx, by) in squares (corner (0,0) at the origin).
static float board_value(double bx, double by, int cols, int rows) {
  if (bx < -2 || by < -2 || bx >= cols + 1 || by >= rows + 1) return 128.0f;
  if (bx < -1 || by < -1 || bx >= cols || by >= rows) return 220.0f;
  long s = (long)floor(bx) + (long)floor(by);
  return (s % 2 == 0) ? 30.0f : 220.0f;
}

int cr_calib_render_board(const cr_camera *cam, const cr_pose *cam_from_board, int cols, int rows,
                          double square_mm, int ss, cr_image **out) {
  *out = NULL;
  if (cr_camera_validate(cam)) return CR_EINVAL;
  if (ss < 1 || ss > 16 || !(square_mm > 0))
    return cr_error(CR_EINVAL, "render board: supersampling 1..16 and square > 0 required");
  int W = cam->width, H = cam->height;
  // Undistorted rays at the pixel corners; within a pixel the map is bilinear.
  double *map = malloc(sizeof(double) * 2 * (W + 1) * (H + 1));
  cr_image *img = cr_image_new(W, H, 1);
  if (!map || !img) {
    free(map), cr_image_free(img);
    return cr_error(CR_ENOMEM, "render board: out of memory");
  }
  for (int y = 0; y <= H; y++)
    for (int x = 0; x <= W; x++) {
      double ray[3];
      cr_camera_pixel_ray(cam, x - 0.5, y - 0.5, ray);
      map[2 * ((size_t)y * (W + 1) + x)] = ray[0];
      map[2 * ((size_t)y * (W + 1) + x) + 1] = ray[1];
    }
  const double(*R)[3] = cam_from_board->R;
  const double *t = cam_from_board->t;
  double n3[3] = {R[0][2], R[1][2], R[2][2]}; // board normal in the camera frame
  double nt = cr_vec3_dot(n3, t);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const double *m00 = map + 2 * ((size_t)y * (W + 1) + x), *m01 = m00 + 2;
      const double *m10 = m00 + 2 * (W + 1), *m11 = m10 + 2;
      double acc = 0;
      for (int sy = 0; sy < ss; sy++)
        for (int sx = 0; sx < ss; sx++) {
          double fx = (sx + 0.5) / ss, fy = (sy + 0.5) / ss, d[3], p[3], b[3];
          for (int k = 0; k < 2; k++)
            d[k] = (1 - fy) * ((1 - fx) * m00[k] + fx * m01[k]) +
                   fy * ((1 - fx) * m10[k] + fx * m11[k]);
          d[2] = 1;
          double den = cr_vec3_dot(n3, d), lam = den != 0 ? nt / den : -1;
          if (!(lam > 0)) {
            acc += 128.0;
            continue;
          }
          for (int k = 0; k < 3; k++) p[k] = lam * d[k] - t[k];
          cr_mat3_apply_transpose(b, R, p);
          acc += board_value(b[0] / square_mm, b[1] / square_mm, cols, rows);
        }
      cr_image_px(img, x, y)[0] = (float)(acc / (ss * ss));
    }
  free(map);
  *out = img;
  return 0;
}

static void fill_rect(cr_image *img, int x0, int y0, int x1, int y1, const float rgb[3]) {
  for (int y = y0 < 0 ? 0 : y0; y < y1 && y < img->height; y++)
    for (int x = x0 < 0 ? 0 : x0; x < x1 && x < img->width; x++)
      memcpy(cr_image_px(img, x, y), rgb, sizeof(float) * 3);
}

int cr_calib_plot_errors(const cr_calib_views *v, const cr_calib_result *r, cr_image **out) {
  int bw = 24, gap = 8, H = 240, margin = 20;
  int W = 2 * margin + v->n * (bw + gap);
  cr_image *img = cr_image_new(W, H, 3);
  if (!img) return CR_ENOMEM;
  cr_image_fill(img, 255.0f);
  double top = 0;
  for (int i = 0; i < v->n; i++) {
    double e = r->view_used[i] ? r->view_rms[i] : r->view_rms_all[i];
    if (e > top) top = e;
  }
  if (top <= 0) top = 1;
  const float blue[3] = {40, 90, 200}, red[3] = {210, 50, 40}, black[3] = {0, 0, 0};
  int base = H - margin;
  fill_rect(img, margin / 2, base, W - margin / 2, base + 1, black);
  for (int i = 0; i < v->n; i++) {
    if (!v->found[i]) continue;
    double e = r->view_used[i] ? r->view_rms[i] : r->view_rms_all[i];
    int h = (int)lround(e / top * (H - 2 * margin));
    int x0 = margin + i * (bw + gap);
    fill_rect(img, x0, base - h, x0 + bw, base, r->view_used[i] ? blue : red);
  }
  // A grey line at the final RMS.
  const float grey[3] = {120, 120, 120};
  int yr = base - (int)lround(r->rms / top * (H - 2 * margin));
  fill_rect(img, margin / 2, yr, W - margin / 2, yr + 1, grey);
  *out = img;
  return 0;
}
