// JSON report of a registration (see cr_reg_report_write in register.h).
#include "core/atomic_file.h"
#include "core/error.h"
#include "registration/register.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

static cJSON *pose_json(const cr_pose *p) {
  cJSON *o = cJSON_CreateObject(), *m = cJSON_AddArrayToObject(o, "matrix");
  double M[4][4], rvec[3], tvec[3];
  cr_pose_to_mat4(p, M);
  for (int i = 0; i < 4; i++) cJSON_AddItemToArray(m, cJSON_CreateDoubleArray(M[i], 4));
  cr_pose_to_rvec_tvec(p, rvec, tvec);
  cJSON_AddItemToObject(o, "rvec", cJSON_CreateDoubleArray(rvec, 3));
  cJSON_AddItemToObject(o, "tvec", cJSON_CreateDoubleArray(tvec, 3));
  return o;
}

// cJSON prints NaN/inf as null, which is what JSON readers expect.
cJSON *cr_reg_report_json(const cr_reg_result *r, const cJSON *extra) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "optimizer", r->optimizer);
  cJSON_AddNumberToObject(root, "final_cost", r->cost);
  cJSON_AddNumberToObject(root, "prior_penalty", r->prior_penalty);
  cJSON_AddNumberToObject(root, "evaluations", r->evals);
  cJSON_AddNumberToObject(root, "seconds", r->seconds);
  cJSON *levels = cJSON_AddArrayToObject(root, "levels");
  for (int i = 0; i < r->nlevels; i++) {
    const cr_reg_level_stats *s = &r->level[i];
    cJSON *l = cJSON_CreateObject();
    cJSON_AddNumberToObject(l, "level", s->level);
    cJSON_AddNumberToObject(l, "width", s->width);
    cJSON_AddNumberToObject(l, "height", s->height);
    cJSON_AddNumberToObject(l, "evaluations", s->evals);
    cJSON_AddNumberToObject(l, "seconds", s->seconds);
    cJSON_AddNumberToObject(l, "cost", s->cost);
    cJSON_AddItemToArray(levels, l);
  }
  cJSON_AddItemToObject(root, "start_pose", pose_json(&r->start));
  cJSON_AddItemToObject(root, "final_pose", pose_json(&r->final));
  cJSON_AddNumberToObject(root, "best_start", r->best_start);
  cJSON_AddItemToObject(root, "pivot", cJSON_CreateDoubleArray(r->pivot_world, 3));
  cJSON *ch = cJSON_AddObjectToObject(root, "pose_change");
  cJSON_AddNumberToObject(ch, "inplane_px", r->inplane_px);
  cJSON_AddNumberToObject(ch, "along_axis_mm", r->along_mm);
  for (const cJSON *it = extra ? extra->child : NULL; it; it = it->next)
    if (it->string) cJSON_AddItemToObject(root, it->string, cJSON_Duplicate(it, 1));
  return root;
}

int cr_reg_report_write(const char *path, const cr_reg_result *res, const cJSON *extra) {
  cJSON *root = cr_reg_report_json(res, extra);
  char *text = root ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!text) return cr_error(CR_ENOMEM, "%s: cannot format the report", path);
  cr_atomic_file af;
  int rc = cr_atomic_begin(&af, path, 1);
  if (!rc) {
    fputs(text, af.fp);
    fputc('\n', af.fp);
    rc = cr_atomic_commit(&af);
  }
  free(text);
  return rc;
}
