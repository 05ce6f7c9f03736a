// Photo (and render) preparation for registration: one grey channel, CLAHE, optional
// multi-scale Hessian vesselness (Frangi), normalization to [0, 1] inside a mask.
// Apply the same options to the photo and to every render so both look alike.
#ifndef CR_REG_PREPARE_H
#define CR_REG_PREPARE_H

#include "core/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_reg_prep_options {
  int channel;       // -1 = grey (BT.601), 0/1/2 = R/G/B (1 = green shows vessels best);
                     // ignored for 1-channel images
  double clahe_clip; // CLAHE clip limit; 0 = no CLAHE
  int clahe_tiles;   // CLAHE tiles per side (default 8)
  int vesselness;    // 1 = replace the image by its vesselness
  double sigma_min_px, sigma_max_px; // vesselness scales (default 1.5 .. 4 px)
  int n_sigma;                       // number of scales, geometric (default 3)
  int bright_vessels; // 1 = bright vessels on dark, 0 = dark vessels (photos) (default 0)
  int normalize;      // 1 = map [min, max] inside the mask to [0, 1] (default 1)
} cr_reg_prep_options;

// Defaults: green channel, CLAHE clip 2 with 8 tiles, no vesselness, normalize.
cr_reg_prep_options cr_reg_prep_defaults(void);

// Frangi vesselness (Frangi et al., MICCAI 1998) of a 1-channel image into `out` (same
// size, 1 channel, values in [0, 1)): for each scale s the image is blurred with sigma s,
// the Hessian taken by finite differences and scaled by s^2, and with eigenvalues
// |l1| <= |l2|: V = exp(-Rb^2 / 2 beta^2) (1 - exp(-S^2 / 2 c^2)) G, Rb = l1 / l2,
// S = |(l1, l2)|, beta = 0.5, c = 0.1 * (max - min of the input), V = 0 unless l2 < 0
// (bright) or l2 > 0 (dark). G = exp(-(s |grad| / (s^2 |l2|))^2 / (2 * 0.25^2)) is an
// edge suppression term (not in Frangi's paper): at a step edge the scaled gradient is
// as large as the curvature, on a vessel's centre line it vanishes. The result is the
// maximum over the scales.
int cr_reg_vesselness(const cr_image *img, double sigma_min_px, double sigma_max_px, int n_sigma,
                      int bright, cr_image *out);

// Prepares an image (any channel count): channel choice, CLAHE (on the image scaled to
// [0, 1] by its range), vesselness, normalization inside `mask` (1 channel, same size,
// non-zero = inside; NULL = everywhere; pixels outside are set to 0). A new 1-channel
// image in *out. CR_EINVAL for a channel the image lacks or a mask of another size,
// CR_EEMPTY for an empty mask.
int cr_reg_prepare(const cr_image *img, const cr_image *mask, const cr_reg_prep_options *opt,
                   cr_image **out);

#ifdef __cplusplus
}
#endif
#endif
