// Pose parametrization for optimization (docs/design.md): six numbers about a pivot.
//
// Convention (camera frame perturbation). Given a reference pose cam_from_world_ref and a
// pivot P (world mm), let Pc = cam_from_world_ref(P) be the pivot in the reference camera
// frame. The parameters p = (w0, w1, w2, t0, t1, t2) define a rigid motion E of the
// reference camera frame:
//   E(x_cam) = R(w) (x_cam - Pc) + Pc + t,   with w = (w0,w1,w2) * pi/180 (rad), t in mm,
// and cam_from_world(p) = E ∘ cam_from_world_ref, i.e. x_cam = E(R_ref x_world + t_ref).
// So the rotation vector is expressed in the REFERENCE CAMERA frame (not the world frame)
// and turns the scene about the pivot; t0, t1 move the scene in the image plane and t2
// along the optical axis (the weakly observed depth). Units: 1 unit = 1 degree for the
// rotation, 1 unit = 1 mm for the translation (docs/design.md: 1 mm ~ 1 degree).
// Properties: p = 0 gives the reference pose; a pure rotation (t = 0) leaves the
// pivot's camera coordinates unchanged.
#ifndef CR_REG_PARAM_H
#define CR_REG_PARAM_H

#include "core/camera.h"
#include "core/pose.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CR_REG_NPARAM 6

typedef struct cr_reg_param {
  cr_pose cam_from_world_ref; // the pose at p = 0
  double pivot_world[3];      // P, world mm
  double pivot_cam[3];        // Pc = cam_from_world_ref(P), derived
} cr_reg_param;

// Sets up a parametrization about `pivot_world` for the reference pose.
void cr_reg_param_init(cr_reg_param *par, const cr_pose *cam_from_world_ref,
                       const double pivot_world[3]);

// cam_from_world for the parameters p[6] (degrees, mm).
cr_pose cr_reg_param_to_pose(const cr_reg_param *par, const double p[CR_REG_NPARAM]);

// The parameters p[6] of a pose (exact inverse of cr_reg_param_to_pose for rotations of
// the relative motion below 180 degrees).
void cr_reg_param_from_pose(const cr_reg_param *par, const cr_pose *cam_from_world,
                            double p[CR_REG_NPARAM]);

// Splits the change from pose `a` to pose `b` (both cam_from_world) at the pivot (world
// mm) as seen by camera `cam` at pose `a`: `inplane_px` is the distance in pixels
// between the pivot's projections by a and b (pinhole, no distortion, fx/fy of `cam`),
// `along_mm` the signed change of the pivot's depth z_cam (b minus a; positive = the
// scene moved away from the camera). Either output may be NULL. Fails with CR_EINVAL if
// the pivot is not in front of either camera.
int cr_reg_pose_change_split(const cr_camera *cam, const cr_pose *a, const cr_pose *b,
                             const double pivot_world[3], double *inplane_px, double *along_mm);

// Mean target registration error (mm): mean over the n points X (world) of
// |a(X) - b(X)|. 0 for n = 0.
double cr_reg_mtre(const cr_pose *a, const cr_pose *b, const double (*points)[3], int n);

#ifdef __cplusplus
}
#endif
#endif
