// NIfTI-1/2 volumes and float images through libnifti (libnifti2-dev).
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/image.h"
#include "core/mat.h"
#include "core/nifti_check.h"
#include "core/volume.h"

#include <nifti2_io.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *datatype_name(int dt) {
  switch (dt) {
  case DT_UINT8: return "uint8";
  case DT_INT8: return "int8";
  case DT_UINT16: return "uint16";
  case DT_INT16: return "int16";
  case DT_UINT32: return "uint32";
  case DT_INT32: return "int32";
  case DT_FLOAT32: return "float32";
  case DT_FLOAT64: return "float64";
  case DT_RGB24: return "RGB24";
  case DT_RGBA32: return "RGBA32";
  case DT_COMPLEX64: return "complex64";
  case DT_COMPLEX128: return "complex128";
  case DT_INT64: return "int64";
  case DT_UINT64: return "uint64";
  default: return "unknown";
  }
}

// Converts element `idx` of the raw buffer to double.
static inline double raw_value(const void *data, int dt, size_t idx) {
  switch (dt) {
  case DT_UINT8: return ((const uint8_t *)data)[idx];
  case DT_INT8: return ((const int8_t *)data)[idx];
  case DT_UINT16: return ((const uint16_t *)data)[idx];
  case DT_INT16: return ((const int16_t *)data)[idx];
  case DT_UINT32: return ((const uint32_t *)data)[idx];
  case DT_INT32: return ((const int32_t *)data)[idx];
  case DT_FLOAT32: return ((const float *)data)[idx];
  default: return ((const double *)data)[idx];
  }
}

static void dmat44_to_array(const nifti_dmat44 *m, double out[4][4]) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) out[i][j] = m->m[i][j];
}

// The voxel->world affine by nibabel's precedence: sform, then qform, then pixdim.
static void best_affine(const nifti_image *nim, double A[4][4]) {
  if (nim->sform_code > 0) {
    dmat44_to_array(&nim->sto_xyz, A);
  } else if (nim->qform_code > 0) {
    dmat44_to_array(&nim->qto_xyz, A);
  } else {
    // NIfTI "method 1": x = pixdim * index, no rotation, no offset.
    cr_mat4_identity(A);
    A[0][0] = nim->dx > 0 ? nim->dx : 1;
    A[1][1] = nim->dy > 0 ? nim->dy : 1;
    A[2][2] = nim->dz > 0 ? nim->dz : 1;
  }
}

// Reads volume `index` (n voxels) of the file's data in native byte order; NULL if the
// file is short. zlib reads plain and gzip files alike.
static void *read_volume_data(const nifti_image *nim, int index, size_t n) {
  size_t bytes = n * (size_t)nim->nbyper;
  unsigned char *buf = malloc(bytes ? bytes : 1);
  gzFile gz = buf ? gzopen(nim->iname, "rb") : NULL;
  int ok = gz != NULL;
  if (ok) gzbuffer(gz, 1 << 17);
  int64_t off = nim->iname_offset + (int64_t)index * (int64_t)bytes;
  ok = ok && gzseek(gz, (z_off_t)off, SEEK_SET) == (z_off_t)off;
  for (size_t done = 0; ok && done < bytes;) {
    size_t chunk = bytes - done > (1u << 30) ? (1u << 30) : bytes - done;
    int got = gzread(gz, buf + done, (unsigned)chunk);
    ok = got > 0;
    done += got > 0 ? (size_t)got : 0;
  }
  if (gz) gzclose(gz);
  if (!ok) {
    free(buf);
    return NULL;
  }
  if (nim->byteorder != nifti_short_order() && nim->swapsize > 1)
    nifti_swap_Nbytes(bytes / (size_t)nim->swapsize, nim->swapsize, buf);
  return buf;
}

int cr_volume_load(const char *path, int volume_index, cr_volume **out, const char **dtname) {
  cr_atomic_note_input(path); // a command may not write over what it reads
  *out = NULL;
  if (!cr_file_exists(path)) return cr_error(CR_EIO, "%s: volume file not found", path);
  nifti_set_debug_level(0);
  cr_nifti_info info;
  int rc = cr_nifti_check(path, &info);
  if (rc) return rc;
  nifti_image *nim = nifti_image_read(path, 0);
  if (!nim) return cr_error(CR_EFORMAT, "%s: not a readable NIfTI-1/NIfTI-2 file", path);
  if (dtname) *dtname = datatype_name(nim->datatype);
  switch (nim->datatype) {
  case DT_UINT8:
  case DT_INT8:
  case DT_UINT16:
  case DT_INT16:
  case DT_UINT32:
  case DT_INT32:
  case DT_FLOAT32:
  case DT_FLOAT64: break;
  default:
    rc = cr_error(
        CR_EUNSUPPORTED,
        "%s: datatype %s (%d) is not supported (scalar u8 i8 u16 i16 u32 i32 f32 f64 only)", path,
        datatype_name(nim->datatype), nim->datatype);
    goto done;
  }
  int64_t nx = nim->nx, ny = nim->ny, nz = nim->dim[0] >= 3 ? nim->nz : 1;
  if (nim->dim[0] < 1 || nx < 1 || ny < 1 || nz < 1) {
    rc = cr_error(CR_EFORMAT, "%s: zero-sized dimension (%lld x %lld x %lld)", path, (long long)nx,
                  (long long)ny, (long long)nz);
    goto done;
  }
  if (nx > INT32_MAX || ny > INT32_MAX || nz > INT32_MAX) {
    rc = cr_error(CR_EUNSUPPORTED, "%s: dimensions too large", path);
    goto done;
  }
  int64_t nvol = 1;
  for (int d = 4; d <= nim->dim[0] && d <= 7; d++) nvol *= nim->dim[d] > 0 ? nim->dim[d] : 1;
  if (nvol > 1 && volume_index < 0) {
    rc = cr_error(CR_EINVAL, "%s: file holds %lld volumes (4-D); choose one with a volume index",
                  path, (long long)nvol);
    goto done;
  }
  if (volume_index >= nvol) {
    rc = cr_error(CR_EINVAL, "%s: volume index %d out of range (file holds %lld)", path,
                  volume_index, (long long)nvol);
    goto done;
  }
  if (volume_index < 0) volume_index = 0;
  double A[4][4];
  best_affine(nim, A);
  // Voxel sizes and position in a range any scanner or resampling gives: a size of
  // 1e-38 mm or an offset of 1e30 mm is a corrupt header, and would overflow the
  // renderer's and smoother's index arithmetic.
  for (int c = 0; c < 3; c++) {
    double len = sqrt(A[0][c] * A[0][c] + A[1][c] * A[1][c] + A[2][c] * A[2][c]);
    if (!(len >= 1e-5 && len <= 1e5)) {
      rc = cr_error(CR_EFORMAT, "%s: voxel size %g mm along axis %d is out of range (1e-5..1e5 mm)",
                    path, len, c + 1);
      goto done;
    }
    if (!(fabs(A[c][3]) <= 1e7)) {
      rc = cr_error(CR_EFORMAT, "%s: origin %g mm (axis %d) is out of range (|x| <= 1e7 mm)", path,
                    A[c][3], c + 1);
      goto done;
    }
  }
  cr_volume *vol = cr_volume_new((int)nx, (int)ny, (int)nz, (const double(*)[4])A);
  if (!vol) {
    cr_error_prefix(path);
    rc = CR_EINVAL;
    goto done;
  }
  // The data of the one volume asked for, read here rather than by nifti_image_load:
  // libnifti reads every volume of a 4-D file and silently turns NaN and inf into 0.
  size_t n = (size_t)nx * ny * nz;
  void *raw = read_volume_data(nim, volume_index, n);
  if (!raw) {
    rc = cr_error(CR_EFORMAT, "%s: image data truncated or unreadable", nim->iname);
    cr_volume_free(vol);
    goto done;
  }
  double slope = nim->scl_slope, inter = nim->scl_inter;
  int scale = slope != 0 && isfinite(slope);
  if (!isfinite(inter)) inter = 0;
  for (size_t i = 0; i < n; i++) {
    double v = raw_value(raw, nim->datatype, i);
    v = scale ? v * slope + inter : v;
    // NaN stays NaN (missing data; renderers, histograms and metrics skip it). A value
    // float32 cannot hold (inf, or 1e300 in a float64 file) has no meaning here.
    if (isinf(v) || fabs(v) > FLT_MAX) {
      size_t k = i / ((size_t)nx * ny), j = (i / nx) % ny;
      rc = cr_error(CR_EFORMAT,
                    "%s: voxel (%zu, %zu, %zu) = %g (after scl_slope %g, scl_inter %g) is not a "
                    "finite float32 value",
                    path, i % nx, j, k, v, scale ? slope : 1.0, scale ? inter : 0.0);
      cr_volume_free(vol);
      free(raw);
      goto done;
    }
    vol->data[i] = (float)v;
  }
  free(raw);
  *out = vol;
done:
  nifti_image_free(nim);
  return rc;
}

int cr_volume_file_count(const char *path, long *n_volumes) {
  *n_volumes = 0;
  if (!cr_file_exists(path)) return cr_error(CR_EIO, "%s: volume file not found", path);
  nifti_set_debug_level(0);
  cr_nifti_info info;
  int rc = cr_nifti_check(path, &info);
  if (rc) return rc;
  nifti_image *nim = nifti_image_read(path, 0);
  if (!nim) return cr_error(CR_EFORMAT, "%s: not a readable NIfTI-1/NIfTI-2 file", path);
  long n = 1;
  for (int d = 4; d <= nim->dim[0] && d <= 7; d++) n *= nim->dim[d] > 0 ? (long)nim->dim[d] : 1;
  nifti_image_free(nim);
  *n_volumes = n;
  return CR_OK;
}

// Fills the spatial header of `nim` from world_from_voxel: sform and qform (code 1).
static void set_header_affine(nifti_image *nim, const double A[4][4]) {
  nifti_dmat44 m;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) m.m[i][j] = A[i][j];
  nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->sto_xyz = m;
  nim->sto_ijk = nifti_dmat44_inverse(m);
  double qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac;
  nifti_dmat44_to_quatern(m, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac);
  nim->quatern_b = qb, nim->quatern_c = qc, nim->quatern_d = qd;
  nim->qoffset_x = qx, nim->qoffset_y = qy, nim->qoffset_z = qz;
  nim->qfac = qfac;
  nim->dx = nim->pixdim[1] = dx;
  nim->dy = nim->pixdim[2] = dy;
  nim->dz = nim->pixdim[3] = dz;
  nim->qto_xyz = nifti_quatern_to_dmat44(qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac);
  nim->qto_ijk = nifti_dmat44_inverse(nim->qto_xyz);
  // A qform holds rotation x scaling only: with shear it cannot match the sform, and
  // two disagreeing transforms would place the file differently in different tools.
  double worst = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++) worst = fmax(worst, fabs(nim->qto_xyz.m[i][j] - A[i][j]));
  nim->qform_code = worst < 1e-4 ? NIFTI_XFORM_SCANNER_ANAT : NIFTI_XFORM_UNKNOWN;
  nim->xyz_units = NIFTI_UNITS_MM;
}

// Writes a NIfTI-1 of dims (nx, ny, nz, 1, nc) from planar float data, atomically, as
// float32 (bits 32) or as unsigned integers (bits 8 or 16: values rounded, and an error
// if any lies outside the type's range or is not finite). nc > 1 gets `intent`.
static int write_nifti(const char *path, const float *planar, int nx, int ny, int nz, int nc,
                       const double A[4][4], const char *descrip, int intent, int bits) {
  if (!(cr_path_has_suffix(path, ".nii") || cr_path_has_suffix(path, ".nii.gz")))
    return cr_error(CR_EINVAL, "%s: NIfTI output must end in .nii or .nii.gz", path);
  const size_t count = (size_t)nx * ny * nz * nc;
  void *ints = NULL;
  if (bits == 8 || bits == 16) {
    const double top = bits == 8 ? 255 : 65535;
    ints = malloc(count * (bits / 8));
    if (!ints) return cr_error(CR_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < count; i++) {
      double v = nearbyint(planar[i]);
      if (!(v >= 0 && v <= top)) {
        free(ints);
        return cr_error(CR_EINVAL,
                        "%s: value %g does not fit %d-bit unsigned integers (use 32 bits, float)",
                        path, (double)planar[i], bits);
      }
      if (bits == 8)
        ((uint8_t *)ints)[i] = (uint8_t)v;
      else
        ((uint16_t *)ints)[i] = (uint16_t)v;
    }
  } else if (bits != 32) {
    return cr_error(CR_EINVAL, "%s: NIfTI bit depth %d (8, 16 or 32)", path, bits);
  }
  cr_atomic_file af;
  int rc = cr_atomic_begin(&af, path, 0);
  if (rc) {
    free(ints);
    return rc;
  }
  int64_t dims[8] = {nc > 1 ? 5 : 3, nx, ny, nz, 1, nc, 1, 1};
  nifti_set_debug_level(0);
  nifti_image *nim = nifti_make_new_nim(dims,
                                        bits == 8    ? DT_UINT8
                                        : bits == 16 ? DT_UINT16
                                                     : DT_FLOAT32,
                                        0);
  if (!nim) {
    free(ints);
    cr_atomic_abort(&af);
    return cr_error(CR_ENOMEM, "%s: cannot create NIfTI header", path);
  }
  nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
  if (nc > 1) nim->intent_code = intent;
  set_header_affine(nim, A);
  snprintf(nim->descrip, sizeof nim->descrip, "%s", descrip);
  if (nifti_set_filenames(nim, af.tmp_path, 0, 1) != 0) {
    nifti_image_free(nim);
    free(ints);
    cr_atomic_abort(&af);
    return cr_error(CR_EIO, "%s: bad NIfTI file name", path);
  }
  nim->data = ints ? ints : (void *)planar; // borrowed: detached again before nifti_image_free
  znzFile fp = nifti_image_write_hdr_img(nim, 3, "wb"); // 3: write data, leave open
  int ok = !znz_isnull(fp);
  if (ok) znzclose(fp);
  nim->data = NULL;
  nifti_image_free(nim);
  free(ints);
  if (!ok) {
    cr_atomic_abort(&af);
    return cr_error(CR_EIO, "%s: writing NIfTI failed", path);
  }
  return cr_atomic_commit(&af);
}

static int write_float_nifti(const char *path, const float *planar, int nx, int ny, int nz, int nc,
                             const double A[4][4], const char *descrip) {
  return write_nifti(path, planar, nx, ny, nz, nc, A, descrip, NIFTI_INTENT_VECTOR, 32);
}

int cr_volume_save_as(const char *path, const cr_volume *vol, int bits) {
  return write_nifti(path, vol->data, vol->dim[0], vol->dim[1], vol->dim[2], 1,
                     vol->world_from_voxel, "camreg volume", 0, bits);
}

int cr_volume_save_vectors(const char *path, const cr_volume *grid, const float *planar, int nc,
                           int intent_code, const char *descrip) {
  if (nc < 2 || nc > 16) return cr_error(CR_EINVAL, "%s: %d vector components", path, nc);
  return write_nifti(path, planar, grid->dim[0], grid->dim[1], grid->dim[2], nc,
                     grid->world_from_voxel, descrip ? descrip : "camreg vectors", intent_code, 32);
}

int cr_volume_save(const char *path, const cr_volume *vol) {
  return write_float_nifti(path, vol->data, vol->dim[0], vol->dim[1], vol->dim[2], 1,
                           vol->world_from_voxel, "camreg volume");
}

int cr_image_write_nifti(const char *path, const cr_image *img,
                         const double world_from_pixel[4][4]) {
  double I[4][4];
  cr_mat4_identity(I);
  const int w = img->width, h = img->height, c = img->channels;
  float *planar = malloc(sizeof(float) * (size_t)w * h * c);
  if (!planar) return cr_error(CR_ENOMEM, "%s: out of memory", path);
  for (int y = 0; y < h; y++) {
    const float *r = cr_image_row(img, y);
    for (int x = 0; x < w; x++)
      for (int ch = 0; ch < c; ch++) planar[(size_t)ch * w * h + (size_t)y * w + x] = r[x * c + ch];
  }
  int rc = write_float_nifti(path, planar, w, h, 1, c,
                             world_from_pixel ? world_from_pixel : (const double(*)[4])I,
                             "camreg image");
  free(planar);
  return rc;
}
