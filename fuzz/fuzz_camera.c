// Fuzzes the camera file reader (cr_camera_read: OpenCV FileStorage YAML, XML or JSON).
// The first byte picks the extension. A camera that reads must validate.
#include <stdlib.h>

#include "core/camera.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *names[] = {"f.yml", "f.yaml", "f.xml", "f.json"};
  cr_fuzz_quiet();
  if (size < 1) return 0;
  const char *p = cr_fuzz_write(names[data[0] % 4], data + 1, size - 1);
  cr_camera cam;
  if (p && cr_camera_read(p, &cam) == 0 && cr_camera_validate(&cam) != 0)
    abort(); // the reader accepted a camera that the rest of camreg refuses
  return 0;
}
