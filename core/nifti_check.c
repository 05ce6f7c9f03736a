// See nifti_check.h.
#include "core/nifti_check.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

typedef struct raw {
  unsigned char b[540];
  int swapped;
} raw;

static void get(const raw *h, int off, void *out, int n) {
  unsigned char t[8];
  memcpy(t, h->b + off, (size_t)n);
  if (h->swapped)
    for (int i = 0; i < n / 2; i++) {
      unsigned char c = t[i];
      t[i] = t[n - 1 - i], t[n - 1 - i] = c;
    }
  memcpy(out, t, (size_t)n);
}
static int32_t i32(const raw *h, int off) {
  int32_t v;
  get(h, off, &v, 4);
  return v;
}
static int16_t i16(const raw *h, int off) {
  int16_t v;
  get(h, off, &v, 2);
  return v;
}
static int64_t i64(const raw *h, int off) {
  int64_t v;
  get(h, off, &v, 8);
  return v;
}
static double f32(const raw *h, int off) {
  float v;
  get(h, off, &v, 4);
  return v;
}
static double f64(const raw *h, int off) {
  double v;
  get(h, off, &v, 8);
  return v;
}
// A header field: float in NIfTI-1, double in NIfTI-2.
static double real(const raw *h, int version, int off1, int off2) {
  return version == 1 ? f32(h, off1) : f64(h, off2);
}

// Bytes per voxel of a NIfTI datatype; 0 if it is not one.
static int datatype_bytes(int dt) {
  switch (dt) {
  case 2:
  case 256: return 1; // uint8, int8
  case 4:
  case 512: return 2; // int16, uint16
  case 8:
  case 16:
  case 768: return 4;  // int32, float32, uint32
  case 2304: return 4; // RGBA32
  case 128: return 3;  // RGB24
  case 32:
  case 64:
  case 1024:
  case 1280: return 8; // complex64, float64, int64, uint64
  case 1536:
  case 1792: return 16; // float128, complex128
  case 2048: return 32; // complex256
  default: return 0;
  }
}

static int ends(const char *p, const char *s) {
  return cr_path_has_suffix(p, s);
}

// The header file and data file of `path` (a pair's .img and .hdr name each other).
static void pair_names(const char *path, char *hdr, char *img, size_t n, int *is_pair) {
  snprintf(hdr, n, "%s", path);
  snprintf(img, n, "%s", path);
  *is_pair = 0;
  const char *exts[4][2] = {{".hdr", ".img"}, {".hdr.gz", ".img.gz"}};
  for (int e = 0; e < 2; e++)
    for (int side = 0; side < 2; side++)
      if (ends(path, exts[e][side])) {
        size_t base = strlen(path) - strlen(exts[e][side]);
        snprintf(hdr, n, "%.*s%s", (int)base, path, exts[e][0]);
        snprintf(img, n, "%.*s%s", (int)base, path, exts[e][1]);
        *is_pair = 1;
      }
}

int cr_nifti_check(const char *path, cr_nifti_info *info) {
  memset(info, 0, sizeof *info);
  char hdr_path[4096], img_path[4096];
  int is_pair;
  pair_names(path, hdr_path, img_path, sizeof hdr_path, &is_pair);
  gzFile gz = gzopen(hdr_path, "rb");
  if (!gz) return cr_error(CR_EIO, "%s: cannot open", hdr_path);
  raw h = {{0}, 0};
  int got = gzread(gz, h.b, sizeof h.b);
  gzclose(gz);
  if (got < 4) return cr_error(CR_EFORMAT, "%s: too short for a NIfTI header", hdr_path);
  int32_t size = i32(&h, 0);
  int version = 0;
  for (int s = 0; s < 2 && !version; s++) {
    h.swapped = s;
    size = i32(&h, 0);
    version = size == 348 ? 1 : size == 540 ? 2 : 0;
  }
  if (!version) {
    h.swapped = 0;
    return cr_error(CR_EFORMAT,
                    "%s: not a NIfTI-1/NIfTI-2 file (sizeof_hdr = %d, expected 348 or 540)",
                    hdr_path, (int)i32(&h, 0));
  }
  if (got < size)
    return cr_error(CR_EFORMAT, "%s: header truncated (%d of %d bytes)", hdr_path, got, (int)size);
  info->version = version;
  info->swapped = h.swapped;
  // Magic: a single file says n+1 / n+2; a pair ni1 / ni2; an ANALYZE 7.5 .hdr nothing.
  const unsigned char *magic = version == 1 ? h.b + 344 : h.b + 4;
  int single = magic[0] == 'n' && magic[1] == '+' && magic[3] == 0;
  int paired = magic[0] == 'n' && magic[1] == 'i' && magic[3] == 0;
  int good = (single || paired) && magic[2] == '0' + version;
  if (!is_pair && !(good && single))
    return cr_error(CR_EFORMAT,
                    "%s: bad NIfTI magic \"%.3s\" for a single file (expected \"n+%d\"); an "
                    "ANALYZE or paired header belongs in a .hdr/.img pair",
                    path, (const char *)magic, version);
  if (is_pair && !(good && paired)) {
    if (version == 2 || (magic[0] && magic[0] != ' '))
      if (good && single)
        return cr_error(CR_EFORMAT, "%s: magic \"n+%d\" is a single-file header in a .hdr file",
                        hdr_path, version);
    info->analyze = 1;
    cr_warning("%s: ANALYZE 7.5 header (no NIfTI magic): orientation is assumed (voxel sizes "
               "only, no sform/qform; axes taken as RAS)",
               hdr_path);
  }
  // Dimensions.
  for (int d = 0; d < 8; d++)
    info->dim[d] = version == 1 ? i16(&h, 40 + 2 * d) : i64(&h, 16 + 8 * d);
  if (info->dim[0] < 1 || info->dim[0] > 7)
    return cr_error(CR_EFORMAT, "%s: dim[0] = %lld is not a number of dimensions (1..7)", path,
                    (long long)info->dim[0]);
  double nvox = 1;
  info->n_volumes = 1;
  for (int d = 1; d <= info->dim[0]; d++) {
    if (info->dim[d] < 1)
      return cr_error(CR_EFORMAT, "%s: dim[%d] = %lld (zero-sized or negative)", path, d,
                      (long long)info->dim[d]);
    nvox *= (double)info->dim[d];
    if (d >= 4)
      info->n_volumes *= info->dim[d] > (int64_t)1 << 40 ? (int64_t)1 << 40 : info->dim[d];
  }
  int dt = version == 1 ? i16(&h, 70) : i16(&h, 12);
  int nb = datatype_bytes(dt);
  if (!nb) return cr_error(CR_EFORMAT, "%s: datatype = %d is not a NIfTI datatype", path, dt);
  // vox_offset and the data size against the file.
  double off = version == 1 ? f32(&h, 108) : (double)i64(&h, 168);
  int min_off = is_pair ? 0 : size + 4;
  if (!isfinite(off) || off != floor(off) || off < min_off || off > 1e15)
    return cr_error(CR_EFORMAT,
                    "%s: vox_offset = %g is not a valid data offset (a whole number of bytes, at "
                    "least %d)",
                    path, off, min_off);
  struct stat st;
  if (stat(img_path, &st) != 0) return cr_error(CR_EIO, "%s: data file not found", img_path);
  double need = off + nvox * nb, have = (double)st.st_size;
  int gzipped = ends(img_path, ".gz");
  // A gzip stream expands at most ~1032x (deflate's limit): a header promising more data
  // than that is corrupt, refused before libnifti allocates the buffer.
  if (gzipped) have = have * 1032.0 + 4096;
  if (need > have)
    return cr_error(CR_EFORMAT,
                    "%s: the header describes %.0f bytes of data at offset %.0f; the file %s %.0f "
                    "bytes (truncated or corrupt header)",
                    img_path, nvox * nb, off, gzipped ? "cannot hold more than" : "has", have);
  // Scaling.
  double slope = real(&h, version, 112, 176), inter = real(&h, version, 116, 184);
  if (isinf(slope)) return cr_error(CR_EFORMAT, "%s: scl_slope = %g is not finite", path, slope);
  if (isinf(inter)) return cr_error(CR_EFORMAT, "%s: scl_inter = %g is not finite", path, inter);
  // The transform in use (nibabel's precedence: sform, qform, pixdim) must be finite.
  int qcode = version == 1 ? i16(&h, 252) : i32(&h, 344);
  int scode = version == 1 ? i16(&h, 254) : i32(&h, 348);
  static const char *axis = "xyz";
  if (scode > 0 && !info->analyze) {
    for (int r = 0; r < 3; r++)
      for (int c = 0; c < 4; c++) {
        double v = real(&h, version, 280 + 16 * r + 4 * c, 400 + 32 * r + 8 * c);
        if (!isfinite(v))
          return cr_error(CR_EFORMAT, "%s: srow_%c[%d] = %g is not finite (sform)", path, axis[r],
                          c, v);
      }
    return CR_OK;
  }
  for (int d = 1; d <= 3; d++) {
    double p = real(&h, version, 76 + 4 * d, 104 + 8 * d);
    if (d > info->dim[0] && !(p > 0 && isfinite(p))) continue; // an absent axis: 1 mm
    if (!isfinite(p) || p == 0 || (p < 0 && (qcode <= 0 || info->analyze)))
      return cr_error(CR_EFORMAT, "%s: pixdim[%d] = %g is not a voxel size (finite and %s)", path,
                      d, p, qcode > 0 && !info->analyze ? "non-zero" : "positive");
  }
  if (qcode > 0 && !info->analyze) {
    const char *qn[6] = {"quatern_b", "quatern_c", "quatern_d",
                         "qoffset_x", "qoffset_y", "qoffset_z"};
    for (int i = 0; i < 6; i++) {
      double v = real(&h, version, 256 + 4 * i, 352 + 8 * i);
      if (!isfinite(v))
        return cr_error(CR_EFORMAT, "%s: %s = %g is not finite (qform)", path, qn[i], v);
    }
  }
  return CR_OK;
}
