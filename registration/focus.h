// The focus distance, as a surgical microscope reports it (docs/design.md, "Focus
// distance"): the distance in mm from the camera centre to the first surface hit along
// the principal ray (through pixel (cx, cy)); where that ray misses, the median over the
// hits of a 15 x 15 grid of rays covering the central 10% of the image width. It is the
// only depth information a mono registration may receive, and the registration cost
// turns it into a prior (registration/cost.h, cr_reg_cost_set_focus).
#ifndef CR_REG_FOCUS_H
#define CR_REG_FOCUS_H

#include "core/camera.h"
#include "core/pose.h"
#include "render/render.h"

#ifdef __cplusplus
extern "C" {
#endif

// The focus distance of `camera` at cam_from_world, found by `surface`, a renderer whose
// mode writes world xyz (surface, probe, mesh). CR_EEMPTY when neither the principal ray
// nor the central window sees the surface; CR_EINVAL for a renderer without xyz output.
int cr_reg_focus_distance(cr_renderer *surface, const cr_camera *camera,
                          const cr_pose *cam_from_world, double *distance_mm);

#ifdef __cplusplus
}
#endif
#endif
