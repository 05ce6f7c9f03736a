// Running a registration from a method (see pipeline.h).
#include "registration/pipeline.h"

#include "core/error.h"
#include "registration/global.h"

#include <string.h>

cr_reg_register_options cr_reg_register_defaults(void) {
  cr_reg_register_options o;
  memset(&o, 0, sizeof o);
  o.look_at_mm = 5, o.look_at_cone_deg = 40;
  return o;
}

cr_reg_options cr_reg_method_loop_options(const cr_reg_method *m,
                                          const cr_reg_register_options *ro) {
  cr_reg_options o = cr_reg_defaults();
  o.optimizer = m->optimizer;
  o.levels = m->levels;
  o.step_deg = m->step_deg, o.step_mm = m->step_mm;
  o.xtol = m->xtol;
  o.max_evals = m->max_evals;
  o.starts = m->starts;
  o.start_rot_deg = m->start_rot_deg, o.start_trans_mm = m->start_trans_mm;
  o.seed = m->seed;
  o.fd_step = m->fd_step;
  o.prior_weight = m->prior_weight;
  o.warp_rounds = m->warp_rounds;
  if (ro) {
    memcpy(o.pivot_world, ro->pivot_world, sizeof o.pivot_world);
    o.prior_distance_mm = ro->prior_distance_mm;
    o.progress = ro->progress, o.progress_ctx = ro->progress_ctx;
  }
  return o;
}

int cr_reg_register(cr_reg_cost *cost, const cr_reg_method *m, const cr_pose *start,
                    const cr_reg_register_options *ro_in, cr_reg_result *res) {
  cr_reg_register_options ro = ro_in ? *ro_in : cr_reg_register_defaults();
  int rc = 0;
  if (ro.focus_distance_mm != 0 &&
      (rc = cr_reg_cost_set_focus(cost, ro.focus_distance_mm, ro.focus_sigma_mm)))
    return rc;
  if (ro.have_light && (rc = cr_reg_cost_set_light(cost, ro.light_at))) return rc;
  if (ro.look_at && !ro.have_pivot)
    return cr_error(CR_EINVAL, "look-at registration: the look-at point (pivot) is not given");
  if (!ro.have_pivot && (rc = cr_reg_cost_pivot(cost, start, ro.pivot_world))) return rc;
  for (int v = 0; v < cr_reg_cost_n_views(cost); v++) {
    long n_valid = 0;
    if ((rc = cr_reg_cost_render(cost, v, 0, start, NULL, &n_valid))) return rc;
    if (n_valid == 0)
      return cr_error(CR_EEMPTY,
                      "view %d: the start pose sees no part of the volume inside the mask", v);
  }
  if (m->global || ro.look_at) return cr_reg_global_register(cost, m, start, &ro, ro.global, res);
  cr_reg_options o = cr_reg_method_loop_options(m, &ro);
  o.linearize = cr_reg_cost_linearize;
  return cr_reg_run(cr_reg_cost_camera(cost, 0, 0), start, cr_reg_cost_eval, cost, &o, res);
}
