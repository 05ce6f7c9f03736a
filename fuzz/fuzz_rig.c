// Fuzzes the stereo rig reader (cr_rig_read: OpenCV FileStorage YAML, XML or JSON by the
// first byte). A rig that reads must validate.
#include <stdlib.h>

#include "core/rig.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *names[] = {"f.yml", "f.yaml", "f.xml", "f.json"};
  cr_fuzz_quiet();
  if (size < 1) return 0;
  const char *p = cr_fuzz_write(names[data[0] % 4], data + 1, size - 1);
  cr_rig rig;
  if (p && cr_rig_read(p, &rig) == 0 && cr_rig_validate(&rig) != 0)
    abort(); // the reader accepted a rig that the rest of camreg refuses
  if (p) cr_fuzz_remove(names[data[0] % 4]);
  return 0;
}
