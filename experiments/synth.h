// Synthetic intraoperative photos with a known pose, made by an appearance model that
// registration does not use (no inverse crime, docs/design.md): coloured tissue (pink
// cortex, sulci darkened by cavity occlusion, red/dark vessels from the volume's
// sub-surface signal), wet specular highlights from an off-axis light, uneven
// illumination and vignetting, a colour cast, an elliptical craniotomy opening with bone
// and drapes around it, instruments as occluders, rendered at 2x and downsampled, then
// blur, noise, and JPEG compression. The geometry (rays, lens distortion) is the
// camera's own, so the photo is seen exactly from the ground-truth pose.
#ifndef CR_SYNTH_H
#define CR_SYNTH_H

#include "core/camera.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Each effect has a strength; 0 switches it off, 1 is the realistic default.
typedef struct cr_synth_options {
  int supersample;         // render at this factor, then area-downsample (default 2)
  double iso;              // cortical surface level; NaN: automatic (Otsu)
  double vessel_contrast;  // vessel colouring from the sub-surface signal
  double sulcus_darkening; // cavity (ambient) occlusion of the sulci
  double specular;         // wet highlights
  double light_tilt_deg;   // angle between the light and the optical axis (a surgical
                           // microscope's illumination is near-coaxial: ~5 deg)
  double illumination;     // uneven light and vignetting
  double colour_cast;      // random per-channel gain (std dev of the gain)
  double noise_sigma;      // Gaussian noise, grey levels of 255
  double blur_px;          // Gaussian blur sigma, output pixels
  int jpeg_quality;        // 0: no compression, else 1..100
  double opening_mm;       // craniotomy radius (mm at the target depth); 0: no opening
  int n_occluders;         // instruments across the view
  uint64_t seed;           // all random choices
} cr_synth_options;

// Defaults: supersample 2, automatic iso, all strengths 1, light 5 deg off the optical
// axis in a random direction, colour cast 0.06, noise 3,
// blur 0.7 px, JPEG 92, opening radius 35 mm, 1 occluder, seed 1.
cr_synth_options cr_synth_defaults(void);

// Makes a photo of `vol` seen by `cam` at cam_from_world. `target_world` (mm) is the
// point the opening is centred on (typically the view's look-at point on the cortex).
// Outputs (caller-owned, camera-sized): photo 3 channels RGB 0..255; mask (may be NULL)
// 1 channel, 1 inside the opening where the cortex is seen unoccluded, else 0.
// Fails with CR_EINVAL on bad sizes or parameters, CR_EEMPTY if the cortex is not seen.
int cr_synth_photo(const cr_volume *vol, const cr_camera *cam, const cr_pose *cam_from_world,
                   const double target_world[3], const cr_synth_options *params, cr_image *photo,
                   cr_image *mask);

// The default centre of the opening for a view: the centroid of the cortex (surface
// render at `iso`, NaN = Otsu) seen in the central third of the image, every 2nd pixel.
// CR_EEMPTY when the centre of the view sees no surface. `camreg synth` and the Python
// module use it when no target is given.
int cr_synth_default_target(const cr_volume *vol, const cr_camera *cam,
                            const cr_pose *cam_from_world, double iso, double target_world[3]);

#ifdef __cplusplus
}
#endif
#endif
