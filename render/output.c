// Writing rendered images at full precision: float NIfTI placed as the camera's image
// plane, 16-bit PNG with a printed value mapping, or float TIFF.
#include "render/render.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <math.h>

int cr_render_output_check(const char *path) {
  if (cr_path_has_suffix(path, ".nii") || cr_path_has_suffix(path, ".nii.gz") ||
      cr_path_has_suffix(path, ".png") || cr_path_has_suffix(path, ".tif") ||
      cr_path_has_suffix(path, ".tiff"))
    return 0;
  return cr_error(CR_EINVAL, "%s: unsupported output type (use .nii, .nii.gz, .png, .tif)", path);
}

int cr_render_write(const char *path, const cr_image *img, const cr_camera *cam,
                    const cr_pose *cam_from_world, double plane_depth_mm, double png_map[2]) {
  int rc = cr_render_output_check(path);
  if (rc) return rc;
  if (png_map) png_map[0] = 0, png_map[1] = 1;
  if (cr_path_has_suffix(path, ".nii") || cr_path_has_suffix(path, ".nii.gz")) {
    double M[4][4];
    cr_render_image_plane(cam, cam_from_world, plane_depth_mm, M);
    return cr_image_write_nifti(path, img, M);
  }
  if (!cr_path_has_suffix(path, ".png")) return cr_image_write(path, img, 32);
  float lo, hi;
  cr_image_minmax(img, &lo, &hi);
  if (!(lo < 0)) lo = 0;
  if (!(hi > lo)) hi = lo + 1;
  double scale = 65535.0 / ((double)hi - lo);
  cr_image *tmp = cr_image_clone(img);
  if (!tmp) return CR_ENOMEM;
  for (int y = 0; y < tmp->height; y++) {
    float *r = cr_image_row(tmp, y);
    for (int i = 0; i < tmp->width * tmp->channels; i++)
      r[i] = isfinite(r[i]) ? (float)((r[i] - lo) * scale) : 0;
  }
  rc = cr_image_write(path, tmp, 16);
  cr_image_free(tmp);
  if (png_map) png_map[0] = lo, png_map[1] = 1.0 / scale;
  return rc;
}
