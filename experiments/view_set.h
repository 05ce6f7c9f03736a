// View sets of an experiment method: which cameras see the scene of a trial besides the
// reference camera (the one whose pose is registered and evaluated). Every view of a trial
// is synthesized from the same scene at the same ground truth; a method receives each
// view's photo, camera and cam_from_ref (the rig's or tracker's calibration, which a user
// has), never the ground truth.
#ifndef CR_EXP_VIEW_SET_H
#define CR_EXP_VIEW_SET_H

#include "core/pose.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cr_exp_view_kind {
  CR_EXP_VIEWS_MONO = 0,    // the reference camera alone
  CR_EXP_VIEWS_STEREO = 1,  // a stereo microscope: a second camera baseline_mm along the
                            // reference camera's +x, toed in so that both optical axes meet
                            // converge_mm in front of the reference camera
  CR_EXP_VIEWS_TRACKED = 2, // a tracked microscope moved once: the same camera rotated by
                            // angle_deg about the reference camera's y axis through the point
                            // it looks at (the focus distance, re-aimed within aim_sigma_mm)
} cr_exp_view_kind;

typedef struct cr_exp_view_set {
  cr_exp_view_kind kind;
  double baseline_mm;  // stereo (25)
  double converge_mm;  // stereo: where the axes meet (0: the middle of views.distance_mm)
  double angle_deg;    // tracked (30)
  double aim_sigma_mm; // tracked: how far along the reference axis the point the microscope
                       // is turned about lies from the true focus point (10, N(0, sigma))
  double weight;       // weight of the second view's metric cost (the reference's is 1)
} cr_exp_view_set;

// Mono, with the defaults of the other kinds' parameters.
cr_exp_view_set cr_exp_view_set_defaults(void);

// "mono", "stereo", "tracked" -> kind; CR_EINVAL naming the known ones otherwise.
int cr_exp_view_kind_parse(const char *name, cr_exp_view_kind *kind);
const char *cr_exp_view_kind_name(cr_exp_view_kind kind);

// The second camera of a stereo rig: right_from_left (x_right = R x_left + T, mm), for a
// rig with its right camera baseline_mm along the left camera's +x, turned about its y axis
// towards the left optical axis so that the two axes meet converge_mm in front of the left
// camera (converge_mm <= 0 or infinite: parallel axes).
cr_pose cr_exp_stereo_right_from_left(double baseline_mm, double converge_mm);

// A camera turned by angle_deg about the y axis of the reference camera through the point
// (0, 0, pivot_depth_mm) of the reference frame: its cam_from_ref. It looks at that point
// when the reference camera does. Positive angles move it towards the reference's -x.
cr_pose cr_exp_turned_from_ref(double angle_deg, double pivot_depth_mm);

#ifdef __cplusplus
}
#endif
#endif
