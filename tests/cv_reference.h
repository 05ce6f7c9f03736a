// OpenCV as an independent reference for the tests (tests/cv_reference.cpp, library
// cr_cvref; not part of any module): the OpenCV calls that tests compare camreg's own
// geometry with. Plain C; 0 on success, -1 on failure with a reason in `err` (a caller
// buffer of `errlen` bytes). Matrices are row-major doubles.
#ifndef CR_TEST_CV_REFERENCE_H
#define CR_TEST_CV_REFERENCE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// cv::projectPoints of n world points X (n x 3) with pose rvec/tvec, K and 5 dist.
int cvref_project_points(const double *X, int n, const double rvec[3], const double tvec[3],
                         const double K[9], const double dist[5], double *uv, char *err,
                         size_t errlen);
// cv::composeRT: the pose (r3, t3) = (r2, t2) ∘ (r1, t1), i.e. x -> R2 (R1 x + t1) + t2.
int cvref_compose_rt(const double r1[3], const double t1[3], const double r2[3], const double t2[3],
                     double r3[3], double t3[3], char *err, size_t errlen);
// cv::undistortPoints: n distorted pixels -> n normalized coordinates (x/z, y/z).
int cvref_undistort_points(const double *uv, int n, const double K[9], const double dist[5],
                           double *xn, char *err, size_t errlen);
// cv::undistort of a float image (rows of `stride` floats) with camera K/dist into an
// image of the same size seen by newK (bilinear, border 0); dst is tightly packed.
int cvref_undistort(const float *src, int width, int height, int channels, size_t stride,
                    const double K[9], const double dist[5], const double newK[9], float *dst,
                    char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
