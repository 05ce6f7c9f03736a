// Image files through the OpenCV wrapper, written atomically.
#include "core/atomic_file.h"
#include "core/cvwrap.h"
#include "core/error.h"
#include "core/image.h"
#include "core/image_format.h"

#include <math.h>
#include <stdlib.h>

int cr_image_read(const char *path, cr_image **out, int *bits) {
  cr_atomic_note_input(path); // a command may not write over what it reads
  *out = NULL;
  if (!cr_file_exists(path)) return cr_error(CR_EIO, "%s: image file not found", path);
  const char *format;
  int rc = cr_image_check_format(path, &format);
  if (rc) return rc;
  float *data;
  int w, h, c, b;
  char err[512];
  if (cvw_image_read(path, &data, &w, &h, &c, &b, err, sizeof err))
    return cr_error(CR_EFORMAT, "%s: %s (as a %s image)", path, err, format);
  cr_image *img = malloc(sizeof *img);
  if (!img) {
    free(data);
    return cr_error(CR_ENOMEM, "%s: out of memory", path);
  }
  *img = (cr_image){w, h, c, (size_t)w * c, data, 1};
  *out = img;
  if (bits) *bits = b;
  return CR_OK;
}

int cr_image_write(const char *path, const cr_image *img, int bits) {
  if (cr_path_has_suffix(path, ".nii") || cr_path_has_suffix(path, ".nii.gz"))
    return cr_image_write_nifti(path, img, NULL);
  if (bits != 8 && bits != 16 && bits != 32)
    return cr_error(CR_EINVAL, "%s: bit depth %d (expected 8, 16 or 32)", path, bits);
  if (bits == 32 && !(cr_path_has_suffix(path, ".tif") || cr_path_has_suffix(path, ".tiff")))
    return cr_error(CR_EINVAL, "%s: float (32-bit) images need a .tif/.tiff or .nii name", path);
  if (bits == 16 && (cr_path_has_suffix(path, ".jpg") || cr_path_has_suffix(path, ".jpeg")))
    return cr_error(CR_EINVAL, "%s: JPEG holds 8 bits only; use .png or .tif for 16", path);
  cr_atomic_file af;
  int rc = cr_atomic_begin(&af, path, 0);
  if (rc) return rc;
  char err[512];
  if (cvw_image_write(af.tmp_path, img->data, img->width, img->height, img->channels, img->stride,
                      bits, 0, err, sizeof err)) {
    cr_atomic_abort(&af);
    return cr_error(CR_EIO, "%s: %s", path, err);
  }
  return cr_atomic_commit(&af);
}

int cr_image_write_preview(const char *path, const cr_image *img, float lo, float hi) {
  if (lo == hi) cr_image_minmax(img, &lo, &hi);
  float scale = hi > lo ? 255.0f / (hi - lo) : 0;
  cr_image *tmp = cr_image_clone(img);
  if (!tmp) return CR_ENOMEM;
  for (int y = 0; y < tmp->height; y++) {
    float *r = cr_image_row(tmp, y);
    for (int i = 0; i < tmp->width * tmp->channels; i++)
      r[i] = isfinite(r[i]) ? (r[i] - lo) * scale : 0;
  }
  int rc = cr_image_write(path, tmp, 8);
  cr_image_free(tmp);
  return rc;
}
