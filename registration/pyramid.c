// Camera and image pyramid (see pyramid.h).
#include "registration/pyramid.h"

#include "core/error.h"
#include "core/imgproc.h"

#include <math.h>
#include <stdlib.h>

cr_camera cr_reg_level_camera(const cr_camera *camera, int level) {
  return level <= 0 ? *camera : cr_camera_scaled(camera, ldexp(1.0, -level));
}

void cr_reg_pyramid_free(cr_reg_pyramid *pyr) {
  if (!pyr) return;
  for (int l = 0; l < CR_REG_MAX_LEVELS; l++) {
    cr_image_free(pyr->photo[l]);
    cr_image_free(pyr->mask[l]);
  }
  free(pyr);
}

static cr_image *binary_mask(const cr_image *mask) {
  cr_image *m = cr_image_new(mask->width, mask->height, 1);
  if (!m) return NULL;
  for (int y = 0; y < mask->height; y++)
    for (int x = 0; x < mask->width; x++) *cr_image_px(m, x, y) = *cr_image_px(mask, x, y) != 0;
  return m;
}

static int check_inputs(const cr_camera *camera, const cr_image *photo, const cr_image *mask,
                        int levels) {
  int rc = cr_camera_validate(camera);
  if (rc) return rc;
  if (levels < 1 || levels > CR_REG_MAX_LEVELS)
    return cr_error(CR_EINVAL, "pyramid: levels %d not in 1..%d", levels, CR_REG_MAX_LEVELS);
  if (!photo || photo->width != camera->width || photo->height != camera->height)
    return cr_error(CR_EINVAL, "photo size %dx%d does not match the camera's %dx%d",
                    photo ? photo->width : 0, photo ? photo->height : 0, camera->width,
                    camera->height);
  if (mask && (mask->width != camera->width || mask->height != camera->height))
    return cr_error(CR_EINVAL, "mask size %dx%d does not match the camera's %dx%d", mask->width,
                    mask->height, camera->width, camera->height);
  if (mask && mask->channels != 1)
    return cr_error(CR_EINVAL, "mask has %d channels, expected 1", mask->channels);
  if (mask) {
    int any = 0;
    for (int y = 0; y < mask->height && !any; y++)
      for (int x = 0; x < mask->width && !any; x++) any = *cr_image_px(mask, x, y) != 0;
    if (!any) return cr_error(CR_EEMPTY, "mask is empty (no non-zero pixel)");
  }
  cr_camera top = cr_reg_level_camera(camera, levels - 1);
  if (top.width < 4 || top.height < 4)
    return cr_error(CR_EINVAL, "pyramid: %d levels make a %dx%d top level (< 4x4)", levels,
                    top.width, top.height);
  return 0;
}

int cr_reg_pyramid_build(const cr_camera *camera, const cr_image *photo, const cr_image *mask,
                         int levels, cr_reg_pyramid **out) {
  *out = NULL;
  int rc = check_inputs(camera, photo, mask, levels);
  if (rc) return rc;
  cr_reg_pyramid *p = calloc(1, sizeof *p);
  if (!p) return cr_error(CR_ENOMEM, "pyramid: out of memory");
  p->levels = levels;
  for (int l = 0; l < levels; l++) {
    p->camera[l] = cr_reg_level_camera(camera, l);
    int w = p->camera[l].width, h = p->camera[l].height;
    // Each level from the full-resolution image, so sizes follow the cameras exactly.
    p->photo[l] = l == 0 ? cr_image_clone(photo) : cr_image_resize_area(photo, w, h);
    if (mask) p->mask[l] = l == 0 ? binary_mask(mask) : cr_image_resize_area(p->mask[0], w, h);
    if (!p->photo[l] || (mask && !p->mask[l])) {
      cr_reg_pyramid_free(p);
      return cr_error(CR_ENOMEM, "pyramid: cannot make level %d (%dx%d)", l, w, h);
    }
  }
  *out = p;
  return 0;
}
