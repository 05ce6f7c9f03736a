// Rigid poses. A cr_pose maps points of one frame into another; camreg names
// variables by the frames they link: `cam_from_world` maps world (RAS mm) points into
// the camera frame, x_cam = R * x_world + t, exactly OpenCV's rvec/tvec convention.
#ifndef CR_POSE_H
#define CR_POSE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_pose {
  double R[3][3]; // rotation (proper, det +1)
  double t[3];    // translation, mm
} cr_pose;

// The identity pose.
cr_pose cr_pose_identity(void);
// From / to OpenCV rvec (Rodrigues, rad) and tvec (mm).
cr_pose cr_pose_from_rvec_tvec(const double rvec[3], const double tvec[3]);
void cr_pose_to_rvec_tvec(const cr_pose *p, double rvec[3], double tvec[3]);
// Checks a pose given to a computation (renderers): R and t finite, R a rotation
// (|R^T R - I| < 1e-4, det > 0) and |t| <= 1e9 mm (further out, one mm is below the
// double resolution of the ray parameters). Returns 0 or CR_EINVAL naming the problem.
int cr_pose_check(const cr_pose *p);
// From / to a 4x4 homogeneous matrix (row-major). from_mat4 fails with CR_EINVAL if
// the 3x3 part is not a rotation within 1e-4 (it is then re-orthonormalized exactly)
// or the last row is not 0 0 0 1.
int cr_pose_from_mat4(cr_pose *out, const double M[4][4]);
void cr_pose_to_mat4(const cr_pose *p, double M[4][4]);

// a_from_c = a_from_b ∘ b_from_c.
cr_pose cr_pose_compose(const cr_pose *a_from_b, const cr_pose *b_from_c);
// b_from_a from a_from_b.
cr_pose cr_pose_inverse(const cr_pose *a_from_b);
// out = R x + t.
void cr_pose_apply(const cr_pose *p, const double x[3], double out[3]);
// Camera centre in world coordinates for a cam_from_world pose: -R^T t.
void cr_pose_camera_centre(const cr_pose *cam_from_world, double centre_world[3]);
// The camera moved forward by forward_mm along its optical axis (+z, the viewing
// direction; negative: back), turned as before: t_z - forward_mm.
cr_pose cr_pose_move_along_axis(const cr_pose *cam_from_world, double forward_mm);

// Builds the cam_from_world pose of a camera at `eye` (world mm) looking at `target`,
// with image "up" (-v direction) as close as possible to `up` (world). Fails with
// CR_EINVAL if eye == target or up is parallel to the viewing direction.
int cr_pose_look_at(cr_pose *cam_from_world, const double eye[3], const double target[3],
                    const double up[3]);

// Rotation angle (deg) and translation distance (mm) between two poses of the same
// camera: the relative pose a * b^-1.
void cr_pose_difference(const cr_pose *a, const cr_pose *b, double *angle_deg, double *dist_mm);

// Pose files: a text file whose first four non-comment lines are the 4x4
// cam_from_world matrix (so numpy.loadtxt reads it as 4x4), followed by comment lines
// "# rvec: a b c" and "# tvec: x y z" (OpenCV convention, rad and mm). Lines starting
// with '#' are comments. Reading checks the matrix is a rigid transform.
int cr_pose_read(const char *path, cr_pose *out);
// Writes atomically (temporary name, then rename). `comment` (may be NULL) is written
// as an extra leading comment line.
int cr_pose_write(const char *path, const cr_pose *p, const char *comment);

#ifdef __cplusplus
}
#endif
#endif
