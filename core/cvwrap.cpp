// The only C++ translation unit of camreg: thin extern "C" wrappers over OpenCV 4.
// Every entry point catches cv::Exception (and std::exception) and reports it through
// the caller's error buffer; no OpenCV type leaves this file.
#include "core/cvwrap.h"

#include <opencv2/calib3d.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cfloat>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

void set_err(char *err, size_t errlen, const std::string &msg) {
  if (err && errlen) std::snprintf(err, errlen, "%s", msg.c_str());
}

// Keeps only the first line of OpenCV's multi-line exception text.
std::string cv_reason(const cv::Exception &e) {
  std::string m = e.err.empty() ? e.what() : e.err;
  size_t nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

#define CVW_TRY try {
#define CVW_CATCH                                                                          \
  }                                                                                        \
  catch (const cv::Exception &e) {                                                         \
    set_err(err, errlen, "OpenCV: " + cv_reason(e));                                       \
    return -1;                                                                             \
  }                                                                                        \
  catch (const std::exception &e) {                                                        \
    set_err(err, errlen, e.what());                                                        \
    return -1;                                                                             \
  }

cv::Mat wrap(const float *data, int w, int h, int c, size_t stride) {
  return cv::Mat(h, w, CV_32FC(c), const_cast<float *>(data), stride * sizeof(float));
}

cv::Mat to_u8(const float *src, int w, int h, size_t stride, double scale) {
  cv::Mat u8;
  wrap(src, w, h, 1, stride).convertTo(u8, CV_8U, scale);
  return u8;
}

} // namespace

extern "C" {

int cvw_fs_write(const char *path, const cvw_fs_entry *e, int n, char *err, size_t errlen) {
  CVW_TRY
  cv::FileStorage fs(path, cv::FileStorage::WRITE);
  if (!fs.isOpened()) {
    set_err(err, errlen, "cannot open for writing");
    return -1;
  }
  for (int i = 0; i < n; i++) {
    switch (e[i].type) {
    case CVW_FS_INT: fs << e[i].name << e[i].ival; break;
    case CVW_FS_REAL: fs << e[i].name << e[i].rval; break;
    case CVW_FS_STRING: fs << e[i].name << std::string(e[i].sval ? e[i].sval : ""); break;
    case CVW_FS_MATRIX:
      fs << e[i].name
         << cv::Mat(e[i].rows, e[i].cols, CV_64F, const_cast<double *>(e[i].data)).clone();
      break;
    }
  }
  fs.release();
  return 0;
  CVW_CATCH
}

int cvw_camera_read(const char *path, double K[9], double dist[14], int *ndist, int *width,
                    int *height, char *err, size_t errlen) {
  CVW_TRY
  cv::FileStorage fs(path, cv::FileStorage::READ);
  if (!fs.isOpened()) {
    set_err(err, errlen, "cannot parse as OpenCV FileStorage (YAML/XML/JSON)");
    return -1;
  }
  cv::FileNode kn = fs["camera_matrix"];
  if (kn.empty()) {
    set_err(err, errlen, "missing key camera_matrix");
    return -1;
  }
  cv::Mat Km;
  kn >> Km;
  if (Km.rows != 3 || Km.cols != 3) {
    set_err(err, errlen, "camera_matrix is not 3x3");
    return -1;
  }
  Km.convertTo(Km, CV_64F);
  for (int i = 0; i < 9; i++) K[i] = Km.at<double>(i / 3, i % 3);
  *ndist = 0;
  cv::FileNode dn = fs["distortion_coefficients"];
  if (!dn.empty()) {
    cv::Mat D;
    dn >> D;
    if (!D.empty()) {
      if (D.total() > 14 || (D.rows != 1 && D.cols != 1)) {
        set_err(err, errlen, "distortion_coefficients is not a vector of at most 14 values");
        return -1;
      }
      D.convertTo(D, CV_64F);
      D = D.reshape(1, 1);
      *ndist = (int)D.total();
      for (int i = 0; i < *ndist; i++) dist[i] = D.at<double>(0, i);
    }
  }
  cv::FileNode wn = fs["image_width"], hn = fs["image_height"];
  if (wn.empty() || hn.empty() || !wn.isInt() || !hn.isInt()) {
    set_err(err, errlen, "missing or non-integer image_width / image_height");
    return -1;
  }
  *width = (int)wn;
  *height = (int)hn;
  return 0;
  CVW_CATCH
}

int cvw_image_read(const char *path, float **data, int *width, int *height, int *channels,
                   int *bits, char *err, size_t errlen) {
  *data = nullptr;
  CVW_TRY
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (m.empty()) {
    set_err(err, errlen, "cannot decode as an image");
    return -1;
  }
  int c = m.channels();
  if (c != 1 && c != 3 && c != 4) {
    set_err(err, errlen, "unsupported channel count " + std::to_string(c));
    return -1;
  }
  switch (m.depth()) {
  case CV_8U: case CV_8S: *bits = 8; break;
  case CV_16U: case CV_16S: *bits = 16; break;
  default: *bits = 32; break;
  }
  if (c == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  if (c == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2RGBA);
  float *buf = static_cast<float *>(std::malloc(sizeof(float) * m.total() * c));
  if (!buf) {
    set_err(err, errlen, "out of memory");
    return -1;
  }
  cv::Mat out(m.rows, m.cols, CV_32FC(c), buf);
  m.convertTo(out, CV_32F);
  *data = buf;
  *width = m.cols;
  *height = m.rows;
  *channels = c;
  return 0;
  CVW_CATCH
}

int cvw_image_write(const char *path, const float *data, int width, int height, int channels,
                    size_t stride, int bits, int jpeg_quality, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat src = wrap(data, width, height, channels, stride), m;
  int depth = bits == 8 ? CV_8U : bits == 16 ? CV_16U : CV_32F;
  src.convertTo(m, depth); // rounds and saturates
  if (channels == 3) cv::cvtColor(m, m, cv::COLOR_RGB2BGR);
  if (channels == 4) cv::cvtColor(m, m, cv::COLOR_RGBA2BGRA);
  std::vector<int> params;
  if (jpeg_quality > 0) params = {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
  // OpenCV's TIFF writer stores 3-channel float as lossy LogLuv by default: ask for no
  // compression so float images round-trip exactly.
  if (bits == 32) params = {cv::IMWRITE_TIFF_COMPRESSION, 1};
  if (!cv::imwrite(path, m, params)) {
    set_err(err, errlen, "OpenCV could not write this format/depth");
    return -1;
  }
  return 0;
  CVW_CATCH
}

int cvw_jpeg_roundtrip(float *data, int width, int height, int channels, size_t stride,
                       int quality, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat m = wrap(data, width, height, channels, stride), u8;
  m.convertTo(u8, CV_8U);
  std::vector<uchar> buf;
  cv::imencode(".jpg", u8, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  cv::Mat dec = cv::imdecode(buf, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  if (dec.empty() || dec.channels() != channels) {
    set_err(err, errlen, "JPEG round trip failed");
    return -1;
  }
  dec.convertTo(m, CV_32F);
  return 0;
  CVW_CATCH
}

int cvw_project_points(const double *X, int n, const double rvec[3], const double tvec[3],
                       const double K[9], const double dist[5], double *uv, char *err,
                       size_t errlen) {
  CVW_TRY
  cv::Mat obj(n, 1, CV_64FC3, const_cast<double *>(X));
  cv::Mat r(3, 1, CV_64F, const_cast<double *>(rvec)), t(3, 1, CV_64F, const_cast<double *>(tvec));
  cv::Mat Km(3, 3, CV_64F, const_cast<double *>(K)), D(1, 5, CV_64F, const_cast<double *>(dist));
  cv::Mat out(n, 1, CV_64FC2, uv);
  cv::projectPoints(obj, r, t, Km, D, out);
  return 0;
  CVW_CATCH
}

int cvw_optimal_new_camera(const double K[9], const double dist[5], int width, int height,
                           double alpha, double newK[9], char *err, size_t errlen) {
  CVW_TRY
  cv::Mat Km(3, 3, CV_64F, const_cast<double *>(K)), D(1, 5, CV_64F, const_cast<double *>(dist));
  cv::Mat N = cv::getOptimalNewCameraMatrix(Km, D, cv::Size(width, height), alpha);
  N.convertTo(N, CV_64F);
  for (int i = 0; i < 9; i++) newK[i] = N.at<double>(i / 3, i % 3);
  return 0;
  CVW_CATCH
}

int cvw_undistort(const float *src, int width, int height, int channels, size_t stride,
                  const double K[9], const double dist[5], const double newK[9], float *dst,
                  char *err, size_t errlen) {
  CVW_TRY
  cv::Mat Km(3, 3, CV_64F, const_cast<double *>(K)), D(1, 5, CV_64F, const_cast<double *>(dist));
  cv::Mat N(3, 3, CV_64F, const_cast<double *>(newK));
  cv::Mat out(height, width, CV_32FC(channels), dst);
  cv::undistort(wrap(src, width, height, channels, stride), out, Km, D, N);
  return 0;
  CVW_CATCH
}

int cvw_undistort_points(const double *uv, int n, const double K[9], const double dist[5],
                         double *xn, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat in(n, 1, CV_64FC2, const_cast<double *>(uv)), out(n, 1, CV_64FC2, xn);
  cv::Mat Km(3, 3, CV_64F, const_cast<double *>(K)), D(1, 5, CV_64F, const_cast<double *>(dist));
  cv::undistortPoints(in, out, Km, D);
  return 0;
  CVW_CATCH
}

int cvw_canny(const float *src, int width, int height, size_t stride, double scale, double low,
              double high, unsigned char *edges, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat out(height, width, CV_8U, edges);
  cv::Canny(to_u8(src, width, height, stride, scale), out, low, high, 3, true);
  return 0;
  CVW_CATCH
}

int cvw_distance_to_features(const unsigned char *features, int width, int height, float *dist,
                             char *err, size_t errlen) {
  CVW_TRY
  // distanceTransform measures the distance to the nearest zero pixel: invert.
  cv::Mat f(height, width, CV_8U, const_cast<unsigned char *>(features)), inv;
  cv::compare(f, 0, inv, cv::CMP_EQ);
  cv::Mat out(height, width, CV_32F, dist);
  cv::distanceTransform(inv, out, cv::DIST_L2, cv::DIST_MASK_5);
  return 0;
  CVW_CATCH
}

int cvw_clahe(const float *src, int width, int height, size_t stride, double scale, double clip,
              int tiles, float *dst, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat u16, eq;
  wrap(src, width, height, 1, stride).convertTo(u16, CV_16U, scale);
  cv::Ptr<cv::CLAHE> clahe = cv::createCLAHE(clip, cv::Size(tiles, tiles));
  clahe->apply(u16, eq);
  cv::Mat out = wrap(dst, width, height, 1, stride);
  eq.convertTo(out, CV_32F, 1.0 / scale);
  return 0;
  CVW_CATCH
}

int cvw_gaussian_blur(const float *src, int width, int height, int channels, size_t stride,
                      double sigma, float *dst, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat out = wrap(dst, width, height, channels, stride);
  cv::GaussianBlur(wrap(src, width, height, channels, stride), out, cv::Size(0, 0), sigma, sigma,
                   cv::BORDER_REFLECT);
  return 0;
  CVW_CATCH
}

int cvw_resize_area(const float *src, int width, int height, int channels, size_t stride,
                    float *dst, int dst_w, int dst_h, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat out(dst_h, dst_w, CV_32FC(channels), dst);
  cv::resize(wrap(src, width, height, channels, stride), out, cv::Size(dst_w, dst_h), 0, 0,
             cv::INTER_AREA);
  return 0;
  CVW_CATCH
}

int cvw_find_chessboard(const float *grey, int width, int height, size_t stride, double scale,
                        int cols, int rows, double *corners, int *found, char *err,
                        size_t errlen) {
  CVW_TRY
  cv::Mat u8 = to_u8(grey, width, height, stride, scale), small = u8;
  // Large photos: detect on a copy of at most 1600 px (findChessboardCorners slows down
  // badly with size), then refine at full resolution.
  double f = 1600.0 / std::max(width, height);
  if (f < 1) cv::resize(u8, small, cv::Size(), f, f, cv::INTER_AREA);
  else f = 1;
  std::vector<cv::Point2f> pts;
  *found = cv::findChessboardCorners(small, cv::Size(cols, rows), pts,
                                     cv::CALIB_CB_ADAPTIVE_THRESH | cv::CALIB_CB_NORMALIZE_IMAGE |
                                         cv::CALIB_CB_FAST_CHECK);
  if (*found) {
    double d = 1e30; // smallest spacing of neighbouring corners, full-resolution pixels
    for (auto &p : pts) p = cv::Point2f((float)((p.x + 0.5) / f - 0.5), (float)((p.y + 0.5) / f - 0.5));
    for (int r = 0; r < rows; r++)
      for (int c = 0; c + 1 < cols; c++) d = std::min(d, (double)cv::norm(pts[r * cols + c + 1] - pts[r * cols + c]));
    for (int r = 0; r + 1 < rows; r++)
      for (int c = 0; c < cols; c++) d = std::min(d, (double)cv::norm(pts[(r + 1) * cols + c] - pts[r * cols + c]));
    // The sample's 11 px half-window, smaller when squares are small (the window must
    // not reach the neighbouring corners).
    int half = std::max(2, std::min(11, (int)(0.4 * d)));
    if (f < 1) half = std::max(half, std::min((int)(0.4 * d), (int)std::ceil(3 / f)));
    cv::cornerSubPix(u8, pts, cv::Size(half, half), cv::Size(-1, -1),
                     cv::TermCriteria(cv::TermCriteria::EPS + cv::TermCriteria::COUNT, 30, 0.01));
    for (size_t i = 0; i < pts.size(); i++) corners[2 * i] = pts[i].x, corners[2 * i + 1] = pts[i].y;
  }
  return 0;
  CVW_CATCH
}

int cvw_draw_chessboard(float *rgb, int width, int height, size_t stride, int cols, int rows,
                        const double *corners, int found, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat u8;
  wrap(rgb, width, height, 3, stride).convertTo(u8, CV_8U);
  cv::cvtColor(u8, u8, cv::COLOR_RGB2BGR);
  std::vector<cv::Point2f> pts(cols * rows);
  for (int i = 0; i < cols * rows; i++) pts[i] = cv::Point2f((float)corners[2 * i], (float)corners[2 * i + 1]);
  cv::drawChessboardCorners(u8, cv::Size(cols, rows), pts, found != 0);
  cv::cvtColor(u8, u8, cv::COLOR_BGR2RGB);
  cv::Mat out = wrap(rgb, width, height, 3, stride);
  u8.convertTo(out, CV_32F);
  return 0;
  CVW_CATCH
}

int cvw_calibrate(int n_views, const int *n_points, const double *object_points,
                  const double *image_points, int width, int height, int flags, double K[9],
                  double dist[5], double *rvecs, double *tvecs, double std_intrinsics[18],
                  double *per_view_rms, double *rms, char *err, size_t errlen) {
  CVW_TRY
  std::vector<std::vector<cv::Point3f>> obj(n_views);
  std::vector<std::vector<cv::Point2f>> img(n_views);
  size_t k = 0;
  for (int v = 0; v < n_views; v++) {
    for (int i = 0; i < n_points[v]; i++, k++) {
      obj[v].emplace_back((float)object_points[3 * k], (float)object_points[3 * k + 1],
                          (float)object_points[3 * k + 2]);
      img[v].emplace_back((float)image_points[2 * k], (float)image_points[2 * k + 1]);
    }
  }
  int cvflags = 0;
  if (flags & CVW_CALIB_FIX_ASPECT) cvflags |= cv::CALIB_FIX_ASPECT_RATIO;
  if (flags & CVW_CALIB_ZERO_TANGENT) cvflags |= cv::CALIB_ZERO_TANGENT_DIST;
  if (flags & CVW_CALIB_FIX_K3) cvflags |= cv::CALIB_FIX_K3;
  if (flags & CVW_CALIB_USE_GUESS) cvflags |= cv::CALIB_USE_INTRINSIC_GUESS;
  if (flags & CVW_CALIB_FIX_PRINCIPAL) cvflags |= cv::CALIB_FIX_PRINCIPAL_POINT;
  cv::Mat Km(3, 3, CV_64F), D(1, 5, CV_64F);
  for (int i = 0; i < 9; i++) Km.at<double>(i / 3, i % 3) = K[i];
  for (int i = 0; i < 5; i++) D.at<double>(0, i) = dist[i];
  std::vector<cv::Mat> rv, tv;
  cv::Mat sdi, sde, pve;
  *rms = cv::calibrateCamera(obj, img, cv::Size(width, height), Km, D, rv, tv, sdi, sde, pve,
                             cvflags,
                             cv::TermCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, 100,
                                              DBL_EPSILON));
  for (int i = 0; i < 9; i++) K[i] = Km.at<double>(i / 3, i % 3);
  D = D.reshape(1, 1);
  for (int i = 0; i < 5; i++) dist[i] = i < (int)D.total() ? D.at<double>(0, i) : 0;
  for (int v = 0; v < n_views; v++)
    for (int j = 0; j < 3; j++) {
      rvecs[3 * v + j] = rv[v].at<double>(j);
      tvecs[3 * v + j] = tv[v].at<double>(j);
    }
  for (int i = 0; i < 18; i++) std_intrinsics[i] = i < (int)sdi.total() ? sdi.at<double>(i) : 0;
  for (int v = 0; v < n_views; v++) per_view_rms[v] = pve.at<double>(v);
  return 0;
  CVW_CATCH
}

int cvw_solve_pnp(const double *X, const double *uv, int n, const double K[9],
                  const double dist[5], double ransac_px, double rvec[3], double tvec[3],
                  unsigned char *inliers, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat obj(n, 1, CV_64FC3, const_cast<double *>(X)), img(n, 1, CV_64FC2, const_cast<double *>(uv));
  cv::Mat Km(3, 3, CV_64F, const_cast<double *>(K)), D(1, 5, CV_64F, const_cast<double *>(dist));
  // Own result matrices: solvePnPRansac reallocates its outputs, so wrapping the
  // caller's arrays would silently lose the result.
  cv::Mat r, t;
  std::vector<int> idx;
  bool ok;
  if (ransac_px > 0) {
    ok = cv::solvePnPRansac(obj, img, Km, D, r, t, false, 1000, (float)ransac_px, 0.999, idx,
                            cv::SOLVEPNP_AP3P); // minimal 4-point samples
  } else {
    // SQPnP: globally optimal for any n >= 3, planar or not (EPnP is unstable for n < 6).
    ok = cv::solvePnP(obj, img, Km, D, r, t, false, cv::SOLVEPNP_SQPNP);
    for (int i = 0; i < n; i++) idx.push_back(i);
  }
  if (!ok || idx.size() < 4) {
    set_err(err, errlen, "solvePnP found no pose");
    return -1;
  }
  cv::Mat obj_in((int)idx.size(), 1, CV_64FC3), img_in((int)idx.size(), 1, CV_64FC2);
  for (size_t i = 0; i < idx.size(); i++) {
    obj_in.at<cv::Vec3d>((int)i) = obj.at<cv::Vec3d>(idx[i]);
    img_in.at<cv::Vec2d>((int)i) = img.at<cv::Vec2d>(idx[i]);
  }
  r.convertTo(r, CV_64F);
  t.convertTo(t, CV_64F);
  r = r.reshape(1, 3), t = t.reshape(1, 3);
  cv::solvePnPRefineLM(obj_in, img_in, Km, D, r, t);
  for (int j = 0; j < 3; j++) rvec[j] = r.at<double>(j), tvec[j] = t.at<double>(j);
  if (inliers) {
    std::memset(inliers, 0, n);
    for (int i : idx) inliers[i] = 1;
  }
  return 0;
  CVW_CATCH
}

} // extern "C"
