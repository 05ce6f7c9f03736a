// Scores of every in-plane shift of a render against a photo at once: the sampler of the
// global stage (registration/global.h, docs/design.md "Global stage").
//
// A narrow-field camera (a microscope's 16 degrees) moved across its optical axis sees
// nearly the same image shifted: a translation t (mm, camera frame) moves the image of a
// surface at depth Z by f t / Z pixels, up to the parallax of the relief (+-10 mm of
// cortex at 250 mm: 4 % of the shift). So one render on a canvas wider than the photo
// by the searched shifts replaces a render per in-plane grid pose: the score of shift
// (dx, dy) compares photo pixel x with canvas pixel x + (mx + dx, my + dy).
//
// The score is normalized gradient fields with the coverage rule of the registration cost
// (registration/cost.h): (1/n) sum over the n photo pixels whose 3x3 neighbourhood is in
// the mask of (f(x) . m(x'))^2, f = gF / sqrt(|gF|^2 + eF^2), m likewise for the render
// (e = eta * mean gradient magnitude of each image), m = 0 where the render's 3x3
// neighbourhood misses the surface. In [0, 1]; larger is better. Sobel gradients / 8.
#ifndef CR_REG_SHIFT_SEARCH_H
#define CR_REG_SHIFT_SEARCH_H

#include "core/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_reg_shift_photo cr_reg_shift_photo;

// The photo side, computed once: `photo` one channel, `mask` photo-sized (non-zero =
// inside) or NULL, `eta` the NGF edge parameter (> 0). NULL with cr_last_error() set:
// sizes differ, or no pixel with its 3x3 neighbourhood inside the mask (CR_EEMPTY).
cr_reg_shift_photo *cr_reg_shift_photo_new(const cr_image *photo, const cr_image *mask, double eta);
void cr_reg_shift_photo_free(cr_reg_shift_photo *p);

// The part of the full canvas (w + 2 mx) x (h + 2 my) that the scores read: the
// bounding box of the photo pixels that count, widened by the shifts and by the 1 px of
// the render's Sobel. *x0, *y0 its corner in the full canvas, *width x *height its size.
// Rendering only this part (a camera whose principal point moves by -x0, -y0) gives the
// same scores: a small opening in a wide photo needs a fraction of the canvas.
void cr_reg_shift_canvas(const cr_reg_shift_photo *p, int mx, int my, int *x0, int *y0, int *width,
                         int *height);

// scores[(dy + my) * (2 mx + 1) + (dx + mx)] for dx in -mx..mx, dy in -my..my: the score of
// the photo against `canvas`, a one-channel render (NaN = miss) of the part of the full
// canvas that cr_reg_shift_canvas gives (its size), the full canvas being the
// (w + 2 mx) x (h + 2 my) render, w x h the photo's, whose pixel (mx, my) + x shows what
// photo pixel x would see unshifted. The render's edge parameter is eta times its mean
// gradient magnitude over `canvas`. Threads over shifts; the result does not depend on
// their number.
int cr_reg_shift_scores(cr_reg_shift_photo *p, const cr_image *canvas, int mx, int my,
                        float *scores);

#ifdef __cplusplus
}
#endif
#endif
