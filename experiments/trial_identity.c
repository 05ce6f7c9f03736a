// Trial kind "identity": returns the start pose without work (the runner's own test).
#include "experiments/trial_kinds.h"

int cr_exp_trial_identity(const cr_exp_config *cfg, const cr_exp_scene *scene,
                          const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out) {
  out->final = trial->start;
  out->evals = 0;
  return 0;
}
