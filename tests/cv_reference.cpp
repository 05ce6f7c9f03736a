// OpenCV reference calls for the tests (see cv_reference.h): thin extern "C" wrappers
// that catch every exception and report it through the caller's error buffer.
#include "cv_reference.h"

#include <opencv2/calib3d.hpp>
#include <opencv2/core.hpp>

#include "core/cv_guard.hpp"

#include <cstdio>
#include <string>

using cr_cv::set_err;
using cr_cv::wrap;

extern "C" {

int cvref_project_points(const double *X, int n, const double rvec[3], const double tvec[3],
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

int cvref_compose_rt(const double r1[3], const double t1[3], const double r2[3], const double t2[3],
                     double r3[3], double t3[3], char *err, size_t errlen) {
  CVW_TRY
  cv::Mat a(3, 1, CV_64F, const_cast<double *>(r1)), b(3, 1, CV_64F, const_cast<double *>(t1));
  cv::Mat c(3, 1, CV_64F, const_cast<double *>(r2)), d(3, 1, CV_64F, const_cast<double *>(t2));
  cv::Mat ro, to;
  cv::composeRT(a, b, c, d, ro, to);
  for (int i = 0; i < 3; i++) r3[i] = ro.at<double>(i), t3[i] = to.at<double>(i);
  return 0;
  CVW_CATCH
}

int cvref_undistort_points(const double *uv, int n, const double K[9], const double dist[5],
                           double *xn, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat in(n, 1, CV_64FC2, const_cast<double *>(uv)), out(n, 1, CV_64FC2, xn);
  cv::Mat Km(3, 3, CV_64F, const_cast<double *>(K)), D(1, 5, CV_64F, const_cast<double *>(dist));
  cv::undistortPoints(in, out, Km, D);
  return 0;
  CVW_CATCH
}

int cvref_undistort(const float *src, int width, int height, int channels, size_t stride,
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

} // extern "C"
