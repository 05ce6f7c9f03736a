// Camera pose from correspondences with known intrinsics (see landmarks.h).
#include "calib/landmarks.h"

#include "calib/cv_calib.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>

double cr_calib_reprojection(const double *X, const double *uv, int n, const cr_camera *cam,
                             const cr_pose *cam_from_world, double *err_px) {
  double ss = 0;
  for (int i = 0; i < n; i++) {
    double xc[3], p[2], e = 1e6;
    cr_pose_apply(cam_from_world, X + 3 * i, xc);
    if (cr_camera_project(cam, xc, p) == 0) e = hypot(p[0] - uv[2 * i], p[1] - uv[2 * i + 1]);
    if (err_px) err_px[i] = e;
    ss += e * e;
  }
  return n > 0 ? sqrt(ss / n) : 0;
}

int cr_calib_pnp(const double *X, const double *uv, int n, const cr_camera *cam, double ransac_px,
                 cr_pose *cam_from_world, double *err_px, unsigned char *inliers, double *rms_px) {
  if (n < 4) return cr_error(CR_EINVAL, "PnP needs at least 4 correspondences, got %d", n);
  int rc = cr_camera_validate(cam);
  if (rc) return rc;
  unsigned char *in = malloc(n);
  double *err = malloc(sizeof(double) * n);
  if (!in || !err) {
    free(in), free(err);
    return cr_error(CR_ENOMEM, "out of memory");
  }
  double K[9] = {cam->fx, 0, cam->cx, 0, cam->fy, cam->cy, 0, 0, 1}, rvec[3] = {0}, tvec[3] = {0};
  char msg[512];
  if (cvw_solve_pnp(X, uv, n, K, cam->dist, ransac_px, rvec, tvec, in, msg, sizeof msg)) {
    rc = cr_error(CR_ENUMERIC, "PnP failed: %s", msg);
    goto done;
  }
  *cam_from_world = cr_pose_from_rvec_tvec(rvec, tvec);
  cr_calib_reprojection(X, uv, n, cam, cam_from_world, err);
  double ss = 0;
  int m = 0;
  for (int i = 0; i < n; i++)
    if (in[i]) {
      if (err[i] >= 1e6) {
        rc = cr_error(CR_ENUMERIC, "PnP: point %d lies behind the camera in the solution", i + 1);
        goto done;
      }
      ss += err[i] * err[i], m++;
    }
  *rms_px = m ? sqrt(ss / m) : 0;
  if (err_px)
    for (int i = 0; i < n; i++) err_px[i] = err[i];
  if (inliers)
    for (int i = 0; i < n; i++) inliers[i] = in[i];
done:
  free(in), free(err);
  return rc;
}
