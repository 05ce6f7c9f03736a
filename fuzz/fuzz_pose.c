// Fuzzes the pose file reader (cr_pose_read). A pose that reads must be finite and rigid.
#include <math.h>
#include <stdlib.h>

#include "core/pose.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cr_fuzz_quiet();
  const char *p = cr_fuzz_write("pose.txt", data, size);
  cr_pose pose;
  if (p && cr_pose_read(p, &pose) == 0) {
    for (int i = 0; i < 3; i++) {
      if (!isfinite(pose.t[i])) abort();
      for (int j = 0; j < 3; j++)
        if (!isfinite(pose.R[i][j])) abort();
    }
  }
  return 0;
}
