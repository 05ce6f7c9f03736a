// calib's thin extern "C" wrappers over OpenCV 4 calib3d (and the imgproc calls that
// belong to them). Every entry point catches cv::Exception (and std::exception) and
// reports it through the caller's error buffer; no OpenCV type leaves this file.
#include "calib/cv_calib.h"

#include <opencv2/calib3d.hpp>
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include "core/cv_guard.hpp"

#include <cfloat>
#include <cstdio>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using cr_cv::set_err;
using cr_cv::to_u8;
using cr_cv::wrap;

extern "C" {

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

int cvw_find_chessboard(const float *grey, int width, int height, size_t stride, double scale,
                        int cols, int rows, double *corners, int *found, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat u8 = to_u8(grey, width, height, stride, scale), small = u8;
  // Large photos: detect on a copy of at most 1600 px (findChessboardCorners slows down
  // badly with size), then refine at full resolution.
  double f = 1600.0 / std::max(width, height);
  if (f < 1)
    cv::resize(u8, small, cv::Size(), f, f, cv::INTER_AREA);
  else
    f = 1;
  std::vector<cv::Point2f> pts;
  *found = cv::findChessboardCorners(small, cv::Size(cols, rows), pts,
                                     cv::CALIB_CB_ADAPTIVE_THRESH | cv::CALIB_CB_NORMALIZE_IMAGE |
                                         cv::CALIB_CB_FAST_CHECK);
  if (*found) {
    double d = 1e30; // smallest spacing of neighbouring corners, full-resolution pixels
    for (auto &p : pts)
      p = cv::Point2f((float)((p.x + 0.5) / f - 0.5), (float)((p.y + 0.5) / f - 0.5));
    for (int r = 0; r < rows; r++)
      for (int c = 0; c + 1 < cols; c++)
        d = std::min(d, (double)cv::norm(pts[r * cols + c + 1] - pts[r * cols + c]));
    for (int r = 0; r + 1 < rows; r++)
      for (int c = 0; c < cols; c++)
        d = std::min(d, (double)cv::norm(pts[(r + 1) * cols + c] - pts[r * cols + c]));
    // The sample's 11 px half-window, smaller when squares are small (the window must
    // not reach the neighbouring corners).
    int half = std::max(2, std::min(11, (int)(0.4 * d)));
    if (f < 1) half = std::max(half, std::min((int)(0.4 * d), (int)std::ceil(3 / f)));
    cv::cornerSubPix(u8, pts, cv::Size(half, half), cv::Size(-1, -1),
                     cv::TermCriteria(cv::TermCriteria::EPS + cv::TermCriteria::COUNT, 30, 0.01));
    for (size_t i = 0; i < pts.size(); i++)
      corners[2 * i] = pts[i].x, corners[2 * i + 1] = pts[i].y;
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
  for (int i = 0; i < cols * rows; i++)
    pts[i] = cv::Point2f((float)corners[2 * i], (float)corners[2 * i + 1]);
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
  *rms = cv::calibrateCamera(
      obj, img, cv::Size(width, height), Km, D, rv, tv, sdi, sde, pve, cvflags,
      cv::TermCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, 100, DBL_EPSILON));
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

int cvw_stereo_calibrate(int n_views, const int *n_points, const double *object_points,
                         const double *image_points1, const double *image_points2, int width,
                         int height, const double K1[9], const double dist1[5], const double K2[9],
                         const double dist2[5], double R[9], double T[3], double *per_view_rms,
                         double *rms, char *err, size_t errlen) {
  CVW_TRY
  // Float points, as cvw_calibrate gives calibrateCamera: the same corners in both.
  std::vector<std::vector<cv::Point3f>> obj(n_views);
  std::vector<std::vector<cv::Point2f>> img1(n_views), img2(n_views);
  size_t k = 0;
  for (int v = 0; v < n_views; v++) {
    for (int i = 0; i < n_points[v]; i++, k++) {
      obj[v].emplace_back((float)object_points[3 * k], (float)object_points[3 * k + 1],
                          (float)object_points[3 * k + 2]);
      img1[v].emplace_back((float)image_points1[2 * k], (float)image_points1[2 * k + 1]);
      img2[v].emplace_back((float)image_points2[2 * k], (float)image_points2[2 * k + 1]);
    }
  }
  cv::Mat Km1(3, 3, CV_64F), Km2(3, 3, CV_64F), D1(1, 5, CV_64F), D2(1, 5, CV_64F);
  for (int i = 0; i < 9; i++)
    Km1.at<double>(i / 3, i % 3) = K1[i], Km2.at<double>(i / 3, i % 3) = K2[i];
  for (int i = 0; i < 5; i++) D1.at<double>(0, i) = dist1[i], D2.at<double>(0, i) = dist2[i];
  cv::Mat Rm, Tm, E, F, pve;
  *rms = cv::stereoCalibrate(
      obj, img1, img2, Km1, D1, Km2, D2, cv::Size(width, height), Rm, Tm, E, F, pve,
      cv::CALIB_FIX_INTRINSIC,
      cv::TermCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, 100, DBL_EPSILON));
  Rm.convertTo(Rm, CV_64F);
  Tm.convertTo(Tm, CV_64F);
  pve.convertTo(pve, CV_64F);
  for (int i = 0; i < 9; i++) R[i] = Rm.at<double>(i / 3, i % 3);
  for (int i = 0; i < 3; i++) T[i] = Tm.at<double>(i);
  for (int v = 0; v < n_views; v++)
    per_view_rms[2 * v] = pve.at<double>(v, 0), per_view_rms[2 * v + 1] = pve.at<double>(v, 1);
  return 0;
  CVW_CATCH
}

int cvw_solve_pnp(const double *X, const double *uv, int n, const double K[9], const double dist[5],
                  double ransac_px, double rvec[3], double tvec[3], unsigned char *inliers,
                  char *err, size_t errlen) {
  CVW_TRY
  cv::Mat obj(n, 1, CV_64FC3, const_cast<double *>(X)),
      img(n, 1, CV_64FC2, const_cast<double *>(uv));
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

int cvw_feature_matches(const unsigned char *a, const unsigned char *amask, int aw, int ah,
                        const unsigned char *b, const unsigned char *bmask, int bw, int bh,
                        double threshold, double ratio, int cap, double *pa, double *pb, int *n,
                        char *err, size_t errlen) {
  CVW_TRY
  *n = 0;
  cv::Mat A = cv::Mat(ah, aw, CV_8U, const_cast<unsigned char *>(a)).clone(),
          Am(ah, aw, CV_8U, const_cast<unsigned char *>(amask));
  cv::Mat B = cv::Mat(bh, bw, CV_8U, const_cast<unsigned char *>(b)).clone(),
          Bm(bh, bw, CV_8U, const_cast<unsigned char *>(bmask));
  // local contrast first: a photo's shading and a render's differ in their large-scale
  // brightness, the sulci and gyri they share are local
  cv::Ptr<cv::CLAHE> clahe = cv::createCLAHE(2.0, cv::Size(8, 8));
  clahe->apply(A, A);
  clahe->apply(B, B);
  cv::Ptr<cv::AKAZE> akaze = cv::AKAZE::create();
  akaze->setThreshold(threshold);
  std::vector<cv::KeyPoint> ka, kb;
  cv::Mat da, db;
  akaze->detectAndCompute(A, Am, ka, da);
  akaze->detectAndCompute(B, Bm, kb, db);
  if (ka.size() < 2 || kb.size() < 2) return 0;
  std::vector<std::vector<cv::DMatch>> knn;
  cv::BFMatcher(cv::NORM_HAMMING).knnMatch(da, db, knn, 2);
  for (const auto &m : knn) {
    if (m.size() < 2 || !(m[0].distance < ratio * m[1].distance) || *n >= cap) continue;
    const cv::Point2f &p = ka[m[0].queryIdx].pt, &q = kb[m[0].trainIdx].pt;
    pa[2 * *n] = p.x, pa[2 * *n + 1] = p.y, pb[2 * *n] = q.x, pb[2 * *n + 1] = q.y;
    (*n)++;
  }
  return 0;
  CVW_CATCH
}

} // extern "C"
