// Float images: row-major, interleaved channels (1-4; colour is RGB(A)), `stride`
// floats between row starts. An image made by cr_image_new owns its pixels; a view
// made by cr_image_view borrows them and must not outlive its parent.
#ifndef CR_IMAGE_H
#define CR_IMAGE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_image {
  int width, height, channels;
  size_t stride; // floats between the starts of consecutive rows (>= width*channels)
  float *data;
  int owns_data; // 1 if cr_image_free releases data
} cr_image;

// A zero-filled image, tightly packed. NULL (with an error message) on failure.
cr_image *cr_image_new(int width, int height, int channels);
// A deep copy (tightly packed).
cr_image *cr_image_clone(const cr_image *src);
// Releases the image (and its pixels if owned); NULL is a no-op.
void cr_image_free(cr_image *img);
// A non-owning view of the rectangle (x, y, w, h) of img, clipped to the image.
cr_image cr_image_view(const cr_image *img, int x, int y, int w, int h);

static inline float *cr_image_row(const cr_image *img, int y) {
  return img->data + (size_t)y * img->stride;
}
static inline float *cr_image_px(const cr_image *img, int x, int y) {
  return img->data + (size_t)y * img->stride + (size_t)x * img->channels;
}

// Sets every channel of every pixel to v.
void cr_image_fill(cr_image *img, float v);
// Bilinear sample of channel c at (u, v) (pixel centres at integers); `outside` when
// (u, v) is more than half a pixel outside the image (edge pixels extend by half).
float cr_image_sample(const cr_image *img, double u, double v, int c, float outside);
// Minimum and maximum over all channels (NaN ignored).
void cr_image_minmax(const cr_image *img, float *min, float *max);
// A single-channel image: channel `c` (0-based), or, with c = -1, the grey value
// 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as OpenCV) of an RGB(A) image, or with
// `weights` (3 values) a weighted sum. Single-channel input is copied.
cr_image *cr_image_to_grey(const cr_image *img, int c, const float *weights);

// Reads a PNG (8/16-bit), JPEG, TIFF (any depth, float too), ... through OpenCV. Values
// are kept as stored (0..255, 0..65535, or float). *bits (may be NULL) gets 8, 16, 32.
int cr_image_read(const char *path, cr_image **out, int *bits);
// Writes atomically. bits 8 or 16 (rounded, saturated) for PNG/JPEG/TIFF, 32 (float)
// for TIFF; a path ending in .nii or .nii.gz writes a float NIfTI (see
// cr_image_write_nifti, with the identity pixel->world mapping).
int cr_image_write(const char *path, const cr_image *img, int bits);
// Writes a float NIfTI image (nx = width, ny = height, nz = 1, channels as a vector
// intent in the 5th dimension) whose sform/qform is world_from_pixel (4x4, row-major,
// pixel (u, v, 0) -> world mm). NULL means the identity (1 mm pixels at the origin).
int cr_image_write_nifti(const char *path, const cr_image *img,
                         const double world_from_pixel[4][4]);
// Writes an 8-bit quick-look PNG of one channel (or of RGB) linearly mapped from
// [lo, hi] to [0, 255]; lo == hi picks the image's own range.
int cr_image_write_preview(const char *path, const cr_image *img, float lo, float hi);

#ifdef __cplusplus
}
#endif
#endif
