// Fuzzes the landmark readers: 3-D points from .mrk.json, .fcsv and CSV, 2-D points from
// CSV (the first byte picks), then pairs a file with itself as cr_landmarks_match does for
// a pnp or dlt run. Every point read must be finite.
#include <math.h>
#include <stdlib.h>

#include "calib/landmarks.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *names[] = {"f.mrk.json", "f.fcsv", "f.csv", "f2.csv"};
  cr_fuzz_quiet();
  if (size < 1) return 0;
  int kind = data[0] % 4;
  const char *p = cr_fuzz_write(names[kind], data + 1, size - 1);
  if (!p) return 0;
  cr_landmarks *l = NULL;
  int rc = kind == 3 ? cr_landmarks_read2d(p, &l) : cr_landmarks_read3d(p, &l);
  if (rc == 0) {
    for (int i = 0; i < l->n * l->dim; i++)
      if (!isfinite(l->p[i])) abort();
    double *X = NULL, *uv = NULL;
    int n = 0;
    if (l->dim == 3) {
      cr_landmarks *l2 = NULL;
      // The same file as 2-D points when it parses as such: exercises label pairing.
      if (kind == 2 && cr_landmarks_read2d(p, &l2) == 0 &&
          cr_landmarks_match(l, l2, &X, &uv, &n) == 0) {
        free(X);
        free(uv);
      }
      cr_landmarks_free(l2);
    }
  }
  cr_landmarks_free(l);
  cr_fuzz_remove(names[kind]);
  return 0;
}
