#include "registration/levels.h"

#include "core/error.h"

#include <math.h>
#include <string.h>

cr_reg_prep_options cr_reg_level_prep(const cr_reg_prep_options *p, int level) {
  cr_reg_prep_options o = *p;
  double s = ldexp(1.0, -level);
  o.sigma_min_px = fmax(0.5, p->sigma_min_px * s);
  o.sigma_max_px = fmax(o.sigma_min_px, p->sigma_max_px * s);
  return o;
}

int cr_reg_levels_build(cr_reg_levels *lv, const cr_camera *camera, const cr_image *photo,
                        const cr_image *mask, int levels, const cr_reg_prep_options *prep,
                        const cr_metric_type *metric, const cr_metric_options *metric_opt) {
  memset(lv, 0, sizeof *lv);
  lv->levels = levels;
  cr_reg_pyramid *pyr = NULL;
  int rc = cr_reg_pyramid_build(camera, photo, mask, levels, &pyr);
  if (rc) return rc;
  for (int l = 0; l < levels && !rc; l++) {
    lv->cam[l] = pyr->camera[l];
    cr_reg_prep_options po = cr_reg_level_prep(prep, l);
    if (pyr->mask[l]) { // area fractions: inside where at least half of the pixel is
      lv->mask[l] = pyr->mask[l], pyr->mask[l] = NULL;
      for (int y = 0; y < lv->mask[l]->height; y++)
        for (int x = 0; x < lv->mask[l]->width; x++) {
          float *m = cr_image_px(lv->mask[l], x, y);
          *m = *m >= 0.5f;
        }
    }
    if ((rc = cr_reg_prepare(pyr->photo[l], lv->mask[l], &po, &lv->photo[l]))) break;
    if (!(lv->render[l] = cr_image_new(lv->cam[l].width, lv->cam[l].height, 1)))
      rc = CR_ENOMEM;
    else if (!(lv->metric[l] = cr_metric_new(metric, lv->photo[l], lv->mask[l], metric_opt)))
      rc = CR_EINVAL;
  }
  cr_reg_pyramid_free(pyr);
  if (rc) cr_reg_levels_free(lv);
  return rc;
}

void cr_reg_levels_free(cr_reg_levels *lv) {
  for (int l = 0; l < CR_REG_MAX_LEVELS; l++) {
    cr_image_free(lv->photo[l]), cr_image_free(lv->mask[l]), cr_image_free(lv->render[l]);
    cr_metric_free(lv->metric[l]);
    lv->photo[l] = lv->mask[l] = lv->render[l] = NULL;
    lv->metric[l] = NULL;
  }
}
