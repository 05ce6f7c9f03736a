// core's OpenCV wrapper: plain C declarations of the OpenCV functions core itself uses
// (opencv core, imgproc, imgcodecs: files and image processing). cvwrap.cpp wraps
// caller memory in cv::Mat without copying where it can, catches every cv::Exception
// and returns a status instead. No OpenCV type appears here. Only core/ and calib/ call
// these functions; other modules use the core functions built on them (image_io.h,
// imgproc.h, camera.h). The calib3d wrappers live with their only user, calib/cv_calib.h.
//
// Conventions: every function returns 0 on success, -1 on failure with a reason in
// `err` (a caller buffer of `errlen` bytes). Images are float32, interleaved, rows of
// `stride` floats; colour images are RGB(A) on the C side (BGR only inside OpenCV).
// Matrices are row-major doubles.
#ifndef CR_CVWRAP_H
#define CR_CVWRAP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- FileStorage (YAML / XML / JSON by the file extension) ----
typedef enum cvw_fs_type {
  CVW_FS_INT,
  CVW_FS_REAL,
  CVW_FS_STRING,
  CVW_FS_MATRIX,
  CVW_FS_OTHER, // cvw_fs_read only: a node of another kind
} cvw_fs_type;
typedef struct cvw_fs_entry {
  const char *name;
  cvw_fs_type type;
  int rows, cols;     // CVW_FS_MATRIX: written as an opencv-matrix of doubles
  const double *data; // CVW_FS_MATRIX
  int ival;           // CVW_FS_INT
  double rval;        // CVW_FS_REAL
  const char *sval;   // CVW_FS_STRING
} cvw_fs_entry;
// Writes the entries, in order, to `path` (which must keep the format's extension).
int cvw_fs_write(const char *path, const cvw_fs_entry *entries, int n, char *err, size_t errlen);
// One key read by cvw_fs_read: `name` is the input, the rest is filled. Scalars and
// strings by their node type; an opencv-matrix (any depth, converted to double) of at
// most 16 values as MATRIX; other nodes (sequences, maps) as found with type OTHER.
typedef struct cvw_fs_value {
  const char *name;
  int found;        // 1 if the key is present
  cvw_fs_type type; // CVW_FS_INT, _REAL, _STRING, _MATRIX or _OTHER
  int rows, cols;   // MATRIX
  double data[16];  // MATRIX, row-major
  double rval;      // INT and REAL: the number
  char sval[128];   // STRING (truncated to fit)
} cvw_fs_value;
// Reads the top-level keys named in values[0..n-1] from a FileStorage file. A missing
// key is not an error (found = 0); an unparsable file or a matrix of more than 16
// values is.
int cvw_fs_read(const char *path, cvw_fs_value *values, int n, char *err, size_t errlen);
// Reads the four camera keys. `dist` must hold 14 values; *ndist gets the count (0 if
// the key is absent).
int cvw_camera_read(const char *path, double K[9], double dist[14], int *ndist, int *width,
                    int *height, char *err, size_t errlen);

// ---- image files ----
// Reads any image OpenCV decodes, unchanged in depth: 8-bit (0..255), 16-bit
// (0..65535) and float files keep their values. *data is malloc'ed (caller frees),
// channels 1, 3 (RGB) or 4 (RGBA); *bits is 8, 16 or 32.
int cvw_image_read(const char *path, float **data, int *width, int *height, int *channels,
                   int *bits, char *err, size_t errlen);
// Writes with `bits` 8 or 16 (values rounded and saturated) or 32 (float; TIFF only).
// `jpeg_quality` 0 means OpenCV's default.
int cvw_image_write(const char *path, const float *data, int width, int height, int channels,
                    size_t stride, int bits, int jpeg_quality, char *err, size_t errlen);
// Encodes to JPEG in memory and decodes again (8-bit), in place: simulates compression.
int cvw_jpeg_roundtrip(float *data, int width, int height, int channels, size_t stride, int quality,
                       char *err, size_t errlen);

// ---- image processing on single-channel float images ----
// Canny edges: the image is mapped to 8 bits as v*scale (saturated), thresholds are in
// those 8-bit units. edges: w*h bytes, 255 on edges, 0 elsewhere.
int cvw_canny(const float *src, int width, int height, size_t stride, double scale, double low,
              double high, unsigned char *edges, char *err, size_t errlen);
// Euclidean distance (pixels, DIST_L2 with a 5x5 mask) from each pixel to the nearest
// pixel where `features` is non-zero. dist: w*h floats.
int cvw_distance_to_features(const unsigned char *features, int width, int height, float *dist,
                             char *err, size_t errlen);
// CLAHE: the image is mapped to 16 bits as v*scale, equalized with `clip` limit on
// tiles x tiles regions, and mapped back (divided by scale). dst may equal src.
int cvw_clahe(const float *src, int width, int height, size_t stride, double scale, double clip,
              int tiles, float *dst, char *err, size_t errlen);
// Gaussian blur with standard deviation sigma (pixels), any channel count; dst may
// equal src (same stride).
int cvw_gaussian_blur(const float *src, int width, int height, int channels, size_t stride,
                      double sigma, float *dst, char *err, size_t errlen);
// Area-average resize (INTER_AREA) to dst_w x dst_h; dst is tightly packed.
int cvw_resize_area(const float *src, int width, int height, int channels, size_t stride,
                    float *dst, int dst_w, int dst_h, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
