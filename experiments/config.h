// Experiment configs: a libconfig text file (comments with # or //) describing the
// volume, the camera, how ground-truth views are drawn, photo synthesis, the methods
// (registration settings) to compare, the start poses, the number of trials, the
// success threshold and the seed. The full schema with defaults is in
// experiments/configs/README.md; every optional key has a default.
//
// Errors name the file, the line and the key: "demo.cfg:12: views.distance_mm: expects
// two numbers min < max". Unknown keys are errors (a typo never silently falls back to
// a default). Relative file names are relative to the config file's folder.
#ifndef CR_EXP_CONFIG_H
#define CR_EXP_CONFIG_H

#include <stdint.h>

#include "core/camera.h"
#include "experiments/view_set.h"
#include "registration/method.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CR_EXP_MAX_METHODS 16
#define CR_EXP_MAX_BINS 32
#define CR_EXP_PATH_MAX 4096
#define CR_EXP_NAME_MAX 48

// One registration method to compare (a row of the summary table): a name and the
// registration method (registration/method.h), whose keys a config's method group sets
// by the same names as camreg register's options (max_evals = 500; or max-evals).
typedef struct cr_exp_method {
  char name[CR_EXP_NAME_MAX]; // label in the CSV and the summary (no commas)
  cr_reg_method reg;          // render mode, preparation, metric, optimizer, schedule, priors
  double focus_sigma_mm;      // the focus prior (registration/focus.h): < 0 off; else the
                              // method gets the focus distance at the true pose + N(0, sigma)
                              // with this sigma, as a microscope reports it (weight: the
                              // method's focus_weight)
  int has_light;              // 1: key light_at_mm given: every view lit by one point light
  double light_at[3];         // at this position, reference camera frame (mm): what the user
                              // knows of the rig, e.g. a stereo microscope's light on its body
                              // at the reference camera, [0.0, 0.0, 0.0]
  cr_exp_view_set views;      // the cameras that see each trial (view_set.h): keys view_set,
                              // baseline_mm, converge_mm, view_angle_deg, aim_sigma_mm,
                              // view_weight of the method group
} cr_exp_method;

// Photo synthesis strengths (0 = effect off, 1 = realistic); read by the appearance-model
// hook (experiments/synth.h: cr_synth_options has the same meanings).
typedef struct cr_exp_photo {
  double vessel_contrast;  // vessel colouring from the sub-surface signal
  double sulcus_darkening; // cavity occlusion of the sulci
  double specular;         // wet highlights
  double illumination;     // uneven illumination
  double vignetting;       // vignetting
  double colour_cast;      // std dev of a random per-channel gain
  double noise;            // Gaussian noise sigma, grey levels of 255
  double blur_px;          // Gaussian blur sigma, pixels
  int jpeg_quality;        // 1..100; 0 = no JPEG round trip
  double distortion;       // scale of the camera's lens distortion applied (0..)
  int occluders;           // number of random instruments
  int supersample;         // render at this factor, then downsample (1..4)
} cr_exp_photo;

typedef enum cr_exp_start_mode {
  CR_EXP_START_BINS = 0,   // initial mTRE drawn uniformly inside bins_mm[b]..bins_mm[b+1]
  CR_EXP_START_RANGES = 1, // each rotation (deg) / translation (mm) parameter uniform in +-range
  CR_EXP_START_LOOK_AT = 2 // no start pose: a look-at point within look_at_mm of the viewed point
                           // and the focus distance (registration/global.h)
} cr_exp_start_mode;

typedef struct cr_exp_config {
  char path[CR_EXP_PATH_MAX]; // the config file
  char name[CR_EXP_NAME_MAX]; // experiment name (default: file base name)
  char trial_kind[16];        // "synthetic" (default), "identity", "registration"
  // volume (optional): the MRI; the brain convexity is fitted to voxels > threshold
  char volume_path[CR_EXP_PATH_MAX]; // "" = none (the phantom ellipsoid is used)
  double volume_threshold;           // default 10
  // brain ellipsoid (optional; overrides the fit): centre and semi-axes, world mm
  int has_brain;
  double brain_centre[3], brain_radii[3];
  // camera: from a file, or width/height/fov_deg (default 640x480, 40 deg)
  char camera_path[CR_EXP_PATH_MAX];
  cr_camera camera;
  // ground-truth views
  double dist_min_mm, dist_max_mm;   // camera distance from the cortex (150..300)
  double axis[3];                    // unit: direction from the brain centre (0,0,1)
  double axis_cone_deg;              // surface points within this cone about axis (40)
  double view_cone_deg;              // view direction within this cone about -normal (15)
  double roll_min_deg, roll_max_deg; // roll about the optical axis (-180..180)
  double opening_mm;                 // craniotomy diameter (40)
  int n_targets;                     // mTRE target points (64, <= CR_EXP_MAX_TARGETS)
  cr_exp_photo photo;
  // methods: the "registration" group gives defaults, "methods" a list of overrides
  int n_methods;
  cr_exp_method methods[CR_EXP_MAX_METHODS];
  // start poses
  cr_exp_start_mode start_mode;
  int n_bins; // bins: n_bins + 1 edges in bins_mm
  double bins_mm[CR_EXP_MAX_BINS + 1];
  double max_rotation_deg; // bins: a start turned more than this from the truth is drawn
                           // again (0: any rotation)
  double rot_range_deg, trans_range_mm;
  double look_at_mm; // look-at mode: the clicked point's distance from the viewed point (at most)
  int n_trials;      // samples; each sample runs every method (default 20)
  double success_mm; // success threshold on final mTRE (default 2)
  uint64_t seed;     // default 1
  uint64_t hash;     // FNV-1a of the config file's bytes
} cr_exp_config;

// Every default (a valid config without a volume: the phantom ellipsoid,
// one method "default").
cr_exp_config cr_exp_config_defaults(void);

// Reads and validates a config file. On error returns CR_EIO (unreadable), CR_EFORMAT
// (syntax) or CR_EINVAL (unknown key, bad value, missing referenced file) with the
// message "FILE:LINE: key: reason"; *cfg is then unspecified.
int cr_exp_config_load(const char *path, cr_exp_config *cfg);

// Total work units: n_trials * n_methods (trial index t = sample * n_methods + method).
long cr_exp_config_units(const cr_exp_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
