// Fuzzes the experiment config reader (cr_exp_config_load, libconfig syntax) and the
// work-unit count of a config that loads.
#include "experiments/config.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cr_fuzz_quiet();
  const char *p = cr_fuzz_write("f.cfg", data, size);
  cr_exp_config cfg;
  if (p && cr_exp_config_load(p, &cfg) == 0) (void)cr_exp_config_units(&cfg);
  return 0;
}
