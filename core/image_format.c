// The image formats camreg reads (README "File formats": PNG, JPEG, TIFF; BMP and PNM for
// masks and simple tools), told from their signatures, and the image size read from the
// header where it is at a fixed place or one marker scan away, before any decoding.
#include "core/image_format.h"

#include "core/error.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static unsigned long be16(const unsigned char *p) {
  return (unsigned long)p[0] << 8 | p[1];
}
static unsigned long be32(const unsigned char *p) {
  return be16(p) << 16 | be16(p + 2);
}
static long le32s(const unsigned char *p) {
  unsigned long u =
      p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
  return u >= 0x80000000UL ? (long)u - 0x100000000L : (long)u;
}

// JPEG: the largest width and height of the start-of-frame markers (SOF0..SOF15 but
// DHT C4, JPG C8, DAC CC) before the first scan, walking the segments from the file start.
// 0 if there is none.
static int jpeg_size(FILE *f, unsigned long *w, unsigned long *h) {
  unsigned char s[9]; // FF m, length, precision, height, width
  long at = 2;
  int found = 0;
  for (int seg = 0; seg < 1000; seg++) {
    if (fseek(f, at, SEEK_SET) || fread(s, 1, 4, f) != 4 || s[0] != 0xff) return found;
    const unsigned m = s[1];
    if (m == 0xff) { // fill byte
      at++;
      continue;
    }
    if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
      if (fread(s + 4, 1, 5, f) != 5) return 0;
      if (be16(s + 5) > *h) *h = be16(s + 5);
      if (be16(s + 7) > *w) *w = be16(s + 7);
      found = 1;
    }
    if (m == 0xd9 || m == 0xda) return found; // end of image, start of scan
    at += 2 + (long)be16(s + 2);
  }
  return found;
}

// TIFF: ImageWidth (256) and ImageLength (257) of the first directory (the page OpenCV
// reads), SHORT or LONG, in the file's byte order (the largest, if a tag is repeated).
// 0 if either is missing.
static int tiff_size(FILE *f, int little, unsigned long *w, unsigned long *h) {
  unsigned char b[12];
#define TIFF16(p) (little ? (unsigned long)(p)[0] | (unsigned long)(p)[1] << 8 : be16(p))
#define TIFF32(p) (little ? TIFF16(p) | TIFF16((p) + 2) << 16 : be32(p))
  if (fseek(f, 4, SEEK_SET) || fread(b, 1, 4, f) != 4) return 0;
  const unsigned long ifd = TIFF32(b);
  if (ifd > 0x7fffffffUL || fseek(f, (long)ifd, SEEK_SET) || fread(b, 1, 2, f) != 2) return 0;
  const unsigned long n = TIFF16(b);
  int have = 0;
  for (unsigned long e = 0; e < n && e < 4096; e++) {
    if (fread(b, 1, 12, f) != 12) return 0;
    const unsigned long tag = TIFF16(b), type = TIFF16(b + 2);
    if (tag != 256 && tag != 257) continue;
    const unsigned long v = type == 3 ? TIFF16(b + 8) : type == 4 ? TIFF32(b + 8) : ULONG_MAX;
    unsigned long *dst = tag == 256 ? w : h;
    if (v > *dst) *dst = v;
    have |= tag == 256 ? 1 : 2;
  }
#undef TIFF16
#undef TIFF32
  return have == 3;
}

static int is_space(int c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// PNM: width and height read exactly as OpenCV's PxM decoder reads them (ReadNumber in
// grfmt_pxm.cpp): blanks and '#' comments (to CR or LF) before a number, any other
// character there is an error, and the one character after a number is consumed
// whatever it is ("888+888887" is 888 and 888887). 0 if it cannot be read.
static int pnm_size(const unsigned char *b, size_t n, unsigned long *w, unsigned long *h) {
  size_t i = 2;
  unsigned long v[2];
#define NEXT(c)                                                                                    \
  do {                                                                                             \
    if (i >= n) return 0;                                                                          \
    (c) = b[i++];                                                                                  \
  } while (0)
  for (int k = 0; k < 2; k++) {
    int c;
    NEXT(c);
    while (!(c >= '0' && c <= '9')) {
      if (c == '#') {
        do NEXT(c);
        while (c != '\n' && c != '\r');
        NEXT(c);
      } else if (is_space(c)) {
        while (is_space(c)) NEXT(c);
      } else {
        return 0;
      }
    }
    v[k] = 0;
    do {
      v[k] = v[k] * 10 + (unsigned long)(c - '0');
      if (v[k] > 0x7fffffffUL) return 0; // OpenCV: "result is too large"
      if (i >= n) break;
      c = b[i++];
    } while (c >= '0' && c <= '9');
  }
#undef NEXT
  *w = v[0], *h = v[1];
  return 1;
}

int cr_image_check_format(const char *path, const char **format) {
  FILE *f = fopen(path, "rb");
  if (!f) return cr_error(CR_EIO, "%s: cannot open", path);
  unsigned char b[4096];
  const size_t n = fread(b, 1, sizeof b, f);
  unsigned long w = 0, h = 0;
  int sized = 0, rc = CR_OK;
  const char *fmt = NULL;
  // The signatures are those OpenCV's decoders check (grfmt_*.cpp), so that cv::imread
  // picks the decoder of the format found here and no other (a "P62" file was no PNM to
  // OpenCV, and went on to the DICOM decoder).
  if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) {
    fmt = "PNG";
    if (n >= 24 && !memcmp(b + 12, "IHDR", 4)) w = be32(b + 16), h = be32(b + 20), sized = 1;
  } else if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) {
    fmt = "JPEG";
    sized = jpeg_size(f, &w, &h);
  } else if (n >= 8 && (!memcmp(b, "II*\0", 4) || !memcmp(b, "MM\0*", 4))) {
    fmt = "TIFF";
    sized = tiff_size(f, b[0] == 'I', &w, &h);
  } else if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
    fmt = "BMP";
    if (le32s(b + 14) == 12) { // OS/2 core header: 16-bit sizes
      w = b[18] | (unsigned long)b[19] << 8, h = b[20] | (unsigned long)b[21] << 8;
    } else {
      long sw = le32s(b + 18), sh = le32s(b + 22); // negative height: top-down rows
      w = (unsigned long)(sw < 0 ? -sw : sw), h = (unsigned long)(sh < 0 ? -sh : sh);
    }
    sized = 1;
  } else if (n >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' && is_space(b[2])) {
    fmt = "PNM";
    sized = pnm_size(b, n, &w, &h);
  }
  fclose(f);
  if (!fmt) {
    char head[64] = "";
    for (size_t i = 0; i < n && i < 8; i++) snprintf(head + 3 * i, 4, " %02x", b[i]);
    return cr_error(CR_EFORMAT,
                    "%s: not a PNG, JPEG, TIFF, BMP or PNM (PBM/PGM/PPM) image (the file "
                    "begins with bytes%s)",
                    path, n ? head : " -: it is empty");
  }
  if (!sized)
    rc = cr_error(CR_EFORMAT, "%s: %s header: cannot read the image size (corrupt or truncated)",
                  path, fmt);
  else if ((double)w * (double)h > (double)CR_IMAGE_MAX_PIXELS)
    rc = cr_error(CR_EFORMAT,
                  "%s: %s header says %lu x %lu pixels: larger than camreg reads "
                  "(at most 1e8 pixels)",
                  path, fmt, w, h);
  if (format) *format = fmt;
  return rc;
}
