// The renderer's bricked volume copy (render/bricks.c) and its samplers give exactly the
// values of the plain trilinear sampler of the original grid, at random positions,
// on the grid's edges and on axes of size 1 and 2.
#include "testutil.h"

#include "core/rng.h"
#include "render/internal.h"

#include <math.h>

static void fill(cr_volume *v) {
  cr_rng rng = cr_rng_make(997, 0);
  for (size_t n = 0; n < cr_volume_count(v); n++)
    v->data[n] = (float)cr_rng_below(&rng, 997) * 0.25f - 40;
}

static void check_grid(int nx, int ny, int nz) {
  cr_volume *v = cr_volume_new(nx, ny, nz, NULL);
  assert_non_null(v);
  fill(v);
  vol_fast f;
  assert_int_equal(cr_vol_fast_make(&f, v), 0);
  cr_rng rng = cr_rng_make((uint64_t)nx << 32 | (uint64_t)ny << 16 | (uint64_t)nz, 0);
  for (int n = 0; n < 20000; n++) {
    double p[3];
    for (int a = 0; a < 3; a++) {
      // -0.5 .. dim - 0.5, with 1 in 8 samples exactly on a voxel centre and 1 in 16 on the
      // last centre (the box edge)
      uint64_t kind = cr_rng_below(&rng, 16);
      double u = cr_rng_uniform(&rng);
      p[a] = kind % 8 == 0 ? floor(u * v->dim[a]) : u * v->dim[a] - 0.5;
      if (kind == 1) p[a] = v->dim[a] - 1;
    }
    float want = cr_sample_linear(v, p[0], p[1], p[2]);
    assert_true(cr_sample_fast_d(&f, p[0], p[1], p[2]) == want);
    float wf = cr_sample_linear(v, (float)p[0], (float)p[1], (float)p[2]);
    assert_true(cr_sample_fast(&f, (float)p[0], (float)p[1], (float)p[2]) == wf);
    // The clamp-free sampler agrees wherever its cell is inside the grid.
    if (p[0] >= 0 && p[1] >= 0 && p[2] >= 0 && p[0] < f.ix + 1 && p[1] < f.iy + 1 &&
        p[2] < f.iz + 1 && (int)p[0] <= f.ix && (int)p[1] <= f.iy && (int)p[2] <= f.iz)
      assert_true(cr_sample_fast_nc(&f, (float)p[0], (float)p[1], (float)p[2]) == wf);
  }
  cr_vol_fast_free(&f);
  cr_volume_free(v);
}

static void test_bricked_equals_plain(void **state) {
  check_grid(37, 29, 23); // not a multiple of the brick size
  check_grid(16, 8, 24);  // exact multiples
  check_grid(9, 1, 17);   // an axis of size 1
  check_grid(2, 2, 2);    // a single cell
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_bricked_equals_plain)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
