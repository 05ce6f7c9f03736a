// Private to core/ (image_io.c): the image formats camreg reads, told from the first bytes
// of the file before OpenCV sees it. cv::imread hands any file to whichever of its
// decoders claims the signature (GDCM for DICOM, OpenEXR, HDR, JPEG 2000, WebP ...),
// some of which abort on bad input, and sizes a 2-D array from a header's claim alone.
#ifndef CR_IMAGE_FORMAT_H
#define CR_IMAGE_FORMAT_H

// The largest image camreg decodes, in pixels (10000 x 10000). OpenCV's own bound,
// OPENCV_IO_MAX_IMAGE_PIXELS (2^30), is read when libopencv_imgcodecs loads, before any
// camreg code runs, so camreg reads the size from the header itself.
#define CR_IMAGE_MAX_PIXELS 100000000L

// Checks the file is a PNG, JPEG, TIFF, BMP or PNM (PBM/PGM/PPM) image by the signature
// OpenCV's decoder of that format checks (so cv::imread picks that decoder) and that the
// size in its header can be read and is at most CR_IMAGE_MAX_PIXELS.
// Sets *format to the format's name. 0, or CR_EIO / CR_EFORMAT naming the file.
int cr_image_check_format(const char *path, const char **format);

#endif
