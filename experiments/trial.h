// Trials: a trial is a pure function of (config, trial index, seed). Randomness comes
// from the counter-based generator of core/rng.h, keyed by (seed, sample, stream), so any
// shard split and any thread count draw exactly the same ground truths and start poses.
//
// Work unit t (the "trial" column of the CSV) is sample t / n_methods run with method
// t % n_methods: every method sees the same ground truth and start pose of a sample.
#ifndef CR_EXP_TRIAL_H
#define CR_EXP_TRIAL_H

#include <stdint.h>

#include "core/camera.h"
#include "core/pose.h"
#include "core/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CR_EXP_MAX_TARGETS 256

struct cr_exp_config;

// What all trials of an experiment share: the camera and the brain convexity, modelled
// as an axis-aligned ellipsoid (world mm). `volume` is the loaded MRI (NULL if none).
typedef struct cr_exp_scene {
  cr_camera camera;
  double centre[3], radii[3];
  cr_volume *volume;
  int surface_targets; // 1: targets are the volume's isosurface points seen at the ground
                       // truth (trial kind "registration"), 0: points on the ellipsoid
} cr_exp_scene;

// Builds the scene of a config: loads the volume (if any) and fits the ellipsoid to its
// voxels above volume_threshold by moments (radius = sqrt(5 variance) per world axis),
// unless the config gives `brain`; without both, the phantom's ellipsoid (centre 0,
// radii 65, 80, 58 mm). Free with cr_exp_scene_free. NULL on failure (a volume that
// cannot be loaded or fitted), with the reason in cr_last_error()/cr_last_status().
cr_exp_scene *cr_exp_scene_new(const struct cr_exp_config *cfg);
void cr_exp_scene_free(cr_exp_scene *scene);

// Ellipsoid fit by moments of the voxels > threshold (world mm). CR_EEMPTY if none.
int cr_exp_fit_ellipsoid(const cr_volume *vol, double threshold, double centre[3], double radii[3]);

// One trial's specification.
typedef struct cr_exp_trial {
  long index;                  // work unit (CSV "trial")
  long sample;                 // index / n_methods
  int method;                  // index % n_methods
  int bin;                     // start bin (-1 in range mode)
  double bin_lo_mm, bin_hi_mm; // the bin's edges (range mode: 2 mm bins of the drawn mTRE)
  cr_pose gt;                  // ground-truth cam_from_world
  cr_pose start;               // start pose
  double surface_point[3], surface_normal[3]; // centre of the opening on the cortex
  double pivot[3];                            // centroid of the targets
  int n_targets;
  double targets[CR_EXP_MAX_TARGETS][3]; // world mm, on the cortex inside the opening
  uint64_t method_seed;                  // seed for the method's own randomness (e.g. CMA-ES)
  uint64_t photo_seed; // seed of the synthetic photo (shared by the methods of a sample)
} cr_exp_trial;

// Draws trial `index` of `cfg` on `scene`: a point of the convexity whose direction
// from the centre lies within axis_cone_deg of axis; the camera at distance
// dist_min..dist_max from it along a direction within view_cone_deg of the outward
// normal, looking at it (cr_pose_look_at), rolled uniformly in roll_deg; targets on
// the ellipsoid within the opening (a sunflower pattern, radius opening_mm / 2) or, with
// scene->surface_targets, the isosurface points the renderer sees at the ground truth
// within opening_mm / 2 of the optical axis (evenly subsampled to n_targets; the
// ellipsoid targets are kept if fewer than 8 are seen); the
// start pose at the drawn initial mTRE (bins) or in the parameter ranges. CR_EINVAL if
// index is out of range or the drawing fails.
int cr_exp_trial_make(const struct cr_exp_config *cfg, const cr_exp_scene *scene, long index,
                      cr_exp_trial *trial);

// The pose at mTRE `mtre_mm` from gt in the 6-D direction u (registration/param.h
// parameters about `pivot`: degrees and mm), found by bisection on the scale.
int cr_exp_pose_at_mtre(const cr_pose *gt, const double pivot[3], const double u[6],
                        const double (*targets)[3], int n, double mtre_mm, cr_pose *out);

#ifdef __cplusplus
}
#endif
#endif
