// The table of trial kinds (see trial_kinds.h).
#include "experiments/trial_kinds.h"

#include "core/error.h"

#include <string.h>

static const struct {
  const char *name;
  cr_exp_trial_fn fn;
} kinds[] = {
    {"identity", cr_exp_trial_identity},
    {"synthetic", cr_exp_trial_synthetic},
    {"registration", cr_exp_trial_registration},
};

int cr_exp_trial_lookup(const char *kind, cr_exp_trial_fn *fn) {
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (!strcmp(kind, kinds[i].name)) return *fn = kinds[i].fn, 0;
  return cr_error(CR_EINVAL, "unknown trial kind '%s' (identity, synthetic, registration)", kind);
}
