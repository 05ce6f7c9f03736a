// The report items of a pipeline run (see cr_reg_register_report_extra in pipeline.h):
// one place builds them, so `camreg register` and the Python module report the same.
#include "registration/pipeline.h"

#include <cjson/cJSON.h>

// The method as a JSON object: every key with its value as cr_reg_method_set takes it.
static cJSON *method_json(const cr_reg_method *m) {
  cJSON *o = cJSON_CreateObject();
  for (int i = 0; o && i < cr_reg_method_key_count(); i++) {
    const char *name;
    char value[128];
    cr_reg_method_key_info(i, &name, NULL, NULL);
    if (!cr_reg_method_get(m, name, value, sizeof value)) cJSON_AddStringToObject(o, name, value);
  }
  return o;
}

cJSON *cr_reg_register_report_extra(cr_reg_cost *cost, const cr_reg_method *m,
                                    const cr_reg_register_options *ro, const cr_reg_result *res) {
  cJSON *extra = cJSON_CreateObject();
  if (!extra) return NULL;
  cJSON_AddStringToObject(extra, "metric", m->metric->name);
  cJSON_AddStringToObject(extra, "mode", m->mode->name);
  cJSON_AddItemToObject(extra, "method", method_json(m));
  double d0, d1, p1;
  if (ro && ro->focus_distance_mm > 0 && !cr_reg_cost_focus_penalty(cost, &res->start, &d0, &p1) &&
      !cr_reg_cost_focus_penalty(cost, &res->final, &d1, &p1)) {
    cJSON *f = cJSON_AddObjectToObject(extra, "focus");
    cJSON_AddNumberToObject(f, "reported_mm", ro->focus_distance_mm);
    cJSON_AddNumberToObject(f, "sigma_mm", ro->focus_sigma_mm);
    cJSON_AddNumberToObject(f, "start_mm", d0);
    cJSON_AddNumberToObject(f, "final_mm", d1);
    cJSON_AddNumberToObject(f, "final_penalty", p1);
  }
  if (ro && ro->have_light)
    cJSON_AddItemToObject(extra, "light_at", cJSON_CreateDoubleArray(ro->light_at, 3));
  return extra;
}
