// Shared test helpers: cmocka, a scratch folder, dataset lookup and small fixtures.
#ifndef CR_TESTUTIL_H
#define CR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/phantom.h"
#include "core/volume.h"

// Exit code that ctest reports as SKIPPED (SKIP_RETURN_CODE).
#define CR_TEST_SKIP 77

// A fresh scratch folder for this test process (under the build tree, or /tmp), removed
// with its content at exit. Returns the path of `name` inside it (static buffer ring).
const char *cr_test_path(const char *name);
// The scratch folder itself.
const char *cr_test_dir(void);

// Path of a file of a downloaded dataset (datasets/data/<rel>) if it exists, else NULL.
const char *cr_test_dataset(const char *rel);

// Runs a shell command (via system), returns its exit status (-1 if it did not run).
int cr_test_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// Path of the camreg executable under test (from CAMREG_EXE).
const char *cr_test_camreg(void);

// A small phantom (2.5 mm voxels, 64x76x60) with the given orientation and oblique angle.
cr_volume *cr_test_small_phantom(const char *orientation, double oblique_deg);
// Signed distance to a sphere (radius r mm, centre c world mm; positive inside) on an n^3
// grid of h mm voxels centred on c: its 0 iso-surface is the sphere (marching cubes).
cr_volume *cr_test_sphere_sdf(const double c[3], double r, int n, double h);

// Asserts |a - b| <= tol with a readable message.
#define assert_near(a, b, tol)                                                                     \
  do {                                                                                             \
    double a_ = (a), b_ = (b), t_ = (tol);                                                         \
    if (!(fabs(a_ - b_) <= t_)) {                                                                  \
      print_error("%s = %.10g, %s = %.10g, |diff| %.3g > %.3g\n", #a, a_, #b, b_, fabs(a_ - b_),   \
                  t_);                                                                             \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

#endif
