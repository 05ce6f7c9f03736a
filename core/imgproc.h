// Image processing built on OpenCV (through the wrapper) for the modules that may not
// call the wrapper themselves. Single-channel functions take 1-channel images.
#ifndef CR_IMGPROC_H
#define CR_IMGPROC_H

#include "core/camera.h"
#include "core/image.h"

#ifdef __cplusplus
extern "C" {
#endif

// Canny edges of a 1-channel image. The image is mapped to 8 bits as v*scale;
// thresholds are in those 8-bit units. edges: width*height bytes (255 edge, 0 not).
int cr_canny(const cr_image *img, double scale, double low, double high, unsigned char *edges);
// Euclidean distance (px) from each pixel to the nearest non-zero pixel of `features`
// (width*height bytes) into dist (width*height floats). Without features: +inf-like
// large values (OpenCV's behaviour).
int cr_distance_to_features(const unsigned char *features, int width, int height, float *dist);
// CLAHE on a 1-channel image in place (v*scale mapped to 16 bits).
int cr_clahe(cr_image *img, double scale, double clip, int tiles);
// Gaussian blur in place, sigma in pixels (any channel count).
int cr_gaussian_blur(cr_image *img, double sigma);
// Area-average downsampling (or resize) to a new image of dst_w x dst_h.
cr_image *cr_image_resize_area(const cr_image *img, int dst_w, int dst_h);
// Encodes as JPEG of the given quality and decodes again, in place (8-bit range).
int cr_jpeg_roundtrip(cr_image *img, int quality);

#ifdef __cplusplus
}
#endif
#endif
