// The phantom scene of the registration acceptance tests (test_accept_registration,
// test_registration_global): the phantom at 1.5 mm voxels, a 192^2 camera with barrel
// distortion 230 mm above it looking down at `target`, and the synthetic photo and mask of
// experiments/synth.c from there. Header-only: the tests that include it link experiments.
#ifndef CR_TEST_PHANTOM_SCENE_H
#define CR_TEST_PHANTOM_SCENE_H

#include "core/camera.h"
#include "core/image.h"
#include "core/phantom.h"
#include "core/pose.h"
#include "experiments/synth.h"

static inline int cr_test_phantom_scene(const double target[3], cr_phantom_options *pp,
                                        cr_volume **vol, cr_camera *cam, cr_pose *truth,
                                        cr_image **photo, cr_image **mask) {
  *pp = cr_phantom_defaults();
  pp->dim[0] = 104, pp->dim[1] = 124, pp->dim[2] = 96; // 1.5 mm voxels
  pp->spacing_mm[0] = pp->spacing_mm[1] = pp->spacing_mm[2] = 1.5;
  if (cr_phantom_make(pp, vol)) return -1;
  *cam = (cr_camera){192, 192, 360, 360, 95.5, 95.5, {-0.05, 0, 0, 0, 0}};
  double eye[3] = {target[0], target[1], 230}, up[3] = {0, 1, 0};
  cr_pose_look_at(truth, eye, target, up);
  *photo = cr_image_new(192, 192, 3), *mask = cr_image_new(192, 192, 1);
  cr_synth_options sp = cr_synth_defaults();
  return cr_synth_photo(*vol, cam, truth, target, &sp, *photo, *mask);
}

#endif
