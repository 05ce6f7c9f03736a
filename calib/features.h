// Feature correspondences between two images of one scene taken differently (a photo of
// the cortex and a render of the MRI): keypoints and descriptors matched by OpenCV, for
// pose hypotheses (registration/feature_hyp.h).
#ifndef CR_CALIB_FEATURES_H
#define CR_CALIB_FEATURES_H

#include "core/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_calib_feature_options {
  double threshold; // AKAZE detector response threshold (lower: more keypoints)
  double ratio;     // Lowe's ratio test: nearest descriptor closer than ratio x the second
  int max_matches;  // at most this many pairs
} cr_calib_feature_options;

// AKAZE threshold 0.0005 (a 320 x 240 photo's opening of ~100 px gives 150-500
// keypoints), ratio 0.85, 2000 matches.
cr_calib_feature_options cr_calib_feature_defaults(void);

// Matches keypoints of `a` to keypoints of `b` (one channel each, NaN = no data; masks
// may be NULL, non-zero = use, the size of their image). Each image is mapped to 8 bits
// between its 1st and 99th percentile over the pixels used, then CLAHE-equalized; AKAZE
// keypoints and binary descriptors; brute-force Hamming matches kept by the ratio test.
// *pa, *pb (malloc'ed, 2 * *n doubles each, the caller frees them) get the pixel
// positions of the pairs in a and b (pixel centres at integers, as OpenCV). *n may be 0.
// CR_EINVAL for bad images or options, CR_ENOMEM, CR_ENUMERIC for an OpenCV failure.
int cr_calib_feature_matches(const cr_image *a, const cr_image *amask, const cr_image *b,
                             const cr_image *bmask, const cr_calib_feature_options *o, double **pa,
                             double **pb, int *n);

#ifdef __cplusplus
}
#endif
#endif
