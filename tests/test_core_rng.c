// The random number generator: Philox4x32-10 known answers, the documented mapping of
// (seed, stream, draw) to blocks, determinism, stream independence, and the moments of
// the uniform, Gaussian, bounded-integer and unit-vector draws.
//
// Statistical bounds: every check compares a sample statistic with its exact expectation
// and allows 5 standard errors of that statistic for the sample size used (the standard
// error is written next to each bound). A correct generator exceeds 5 sigma with
// probability ~6e-7 per check, so the fixed seeds below pass; an implementation with a
// real defect (a wrong Box-Muller constant, a biased modulo, a 32-bit uniform) misses by
// far more. The draws are deterministic, so the outcome never flickers between runs.
#include "testutil.h"

#include "core/rng.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

// Random123 tests/kat_vectors, the three "philox4x32 10" lines: counter (4 words),
// key (2 words), expected output (4 words).
static const uint32_t kat[3][10] = {
    {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
    {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e,
     0xa20bc7c6, 0x6d5451fd},
    {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb,
     0x5001e420, 0x24126ea1},
};

static void test_philox_known_answers(void **state) {
  (void)state;
  for (int v = 0; v < 3; v++) {
    uint32_t out[4];
    cr_rng_philox4x32(out, &kat[v][0], &kat[v][4]);
    for (int w = 0; w < 4; w++) assert_int_equal(out[w], kat[v][6 + w]);
  }
}

// Draw i of (seed, stream) is half i % 2 of the block at counter (i / 2, stream), key seed.
static void test_draws_follow_the_counter_mapping(void **state) {
  (void)state;
  cr_rng r = cr_rng_make(0, 0);
  assert_true(cr_rng_u64(&r) == 0xe169c58d6627e8d5ull); // the first known answer
  assert_true(cr_rng_u64(&r) == 0x9b00dbd8bc57ac4cull);
  const uint64_t seed = 0x0123456789abcdefull, stream = 0xfedcba9876543210ull;
  r = cr_rng_make(seed, stream);
  for (uint64_t i = 0; i < 20; i++) {
    uint64_t b = i / 2;
    uint32_t ctr[4] = {(uint32_t)b, (uint32_t)(b >> 32), (uint32_t)stream,
                       (uint32_t)(stream >> 32)};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)}, w[4];
    cr_rng_philox4x32(w, ctr, key);
    uint64_t want = i % 2 ? w[2] | (uint64_t)w[3] << 32 : w[0] | (uint64_t)w[1] << 32;
    assert_true(cr_rng_u64(&r) == want);
  }
  assert_true(r.n == 20);
}

static void test_deterministic_and_replayable(void **state) {
  (void)state;
  cr_rng a = cr_rng_make(7, 3), b = cr_rng_make(7, 3);
  for (int i = 0; i < 5; i++) cr_rng_u64(&a), cr_rng_u64(&b);
  cr_rng saved = a; // a copy replays the rest (odd and even positions alike)
  for (int i = 0; i < 101; i++) {
    uint64_t x = cr_rng_u64(&a);
    assert_true(x == cr_rng_u64(&b));
    assert_true(x == cr_rng_u64(&saved));
  }
  // A split depends on (seed, stream, id), not on how far the parent has drawn.
  cr_rng fresh = cr_rng_make(7, 3);
  cr_rng s1 = cr_rng_split(&fresh, 42), s2 = cr_rng_split(&a, 42);
  assert_true(s1.seed == s2.seed && s1.stream == s2.stream && s1.n == 0);
  for (int i = 0; i < 10; i++) assert_true(cr_rng_u64(&s1) == cr_rng_u64(&s2));
}

// Pearson correlation of the uniforms of two generators over n draws.
static double correlation(cr_rng a, cr_rng b, int n) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (int i = 0; i < n; i++) {
    double x = cr_rng_uniform(&a), y = cr_rng_uniform(&b);
    sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y;
  }
  double cov = sab / n - sa / n * sb / n;
  return cov / sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
}

// Neighbouring seeds, streams and split ids give unrelated sequences: no shared 64-bit
// value among the first draws (a chance coincidence has probability ~1e-13) and no
// correlation (standard error of r for independent samples: 1 / sqrt(n)).
static void test_streams_are_independent(void **state) {
  (void)state;
  cr_rng base = cr_rng_make(1, 5), child = cr_rng_split(&base, 0);
  // Seed + 1, stream + 1, two sub-streams, and a split of a split.
  cr_rng g[6] = {base,  cr_rng_make(2, 5),      cr_rng_make(1, 6),
                 child, cr_rng_split(&base, 1), cr_rng_split(&child, 0)};
  enum { M = 256 };
  static uint64_t v[6][M];
  for (int s = 0; s < 6; s++) {
    cr_rng r = g[s];
    for (int i = 0; i < M; i++) v[s][i] = cr_rng_u64(&r);
  }
  for (int s = 0; s < 6; s++)
    for (int t = s + 1; t < 6; t++) {
      assert_true(g[s].seed != g[t].seed || g[s].stream != g[t].stream);
      for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) assert_true(v[s][i] != v[t][j]);
    }
  const int n = 200000;
  for (int s = 0; s < 6; s++)
    for (int t = s + 1; t < 6; t++) {
      double c = correlation(g[s], g[t], n);
      if (fabs(c) > 5 / sqrt(n)) print_error("streams %d, %d: correlation %g\n", s, t, c);
      assert_true(fabs(c) <= 5 / sqrt(n));
    }
  // Draw-to-draw correlation within one stream (lag 1).
  cr_rng lag = g[0];
  cr_rng_u64(&lag);
  assert_true(fabs(correlation(g[0], lag, n)) <= 5 / sqrt(n));
}

static void test_uniform_moments_and_range(void **state) {
  (void)state;
  const int n = 1000000;
  cr_rng r = cr_rng_make(2024, 1);
  double s = 0, s2 = 0, lo = 1, hi = 0;
  long odd = 0;
  for (int i = 0; i < n; i++) {
    double u = cr_rng_uniform(&r);
    assert_true(u >= 0 && u < 1);
    double k = ldexp(u, 53);
    assert_true(k == floor(k)); // a multiple of 2^-53
    odd += fmod(k, 2) == 1;     // the 53rd bit is used
    s += u, s2 += (u - 0.5) * (u - 0.5);
    lo = fmin(lo, u), hi = fmax(hi, u);
  }
  assert_near(s / n, 0.5, 5 * sqrt(1.0 / 12 / n));        // sd of U: 1/sqrt(12)
  assert_near(s2 / n, 1.0 / 12, 5 * sqrt(1.0 / 180 / n)); // Var((U - 1/2)^2) = 1/80 - 1/144
  assert_near((double)odd / n, 0.5, 5 * sqrt(0.25 / n));
  assert_true(lo < 20.0 / n && hi > 1 - 20.0 / n); // P(min > 20/n) = e^-20
  // 64 equal bins of the uniform: chi-square with 63 degrees of freedom.
  long bins[64] = {0};
  for (int i = 0; i < n; i++) bins[(int)(cr_rng_uniform(&r) * 64)]++;
  double chi2 = 0, e = n / 64.0;
  for (int b = 0; b < 64; b++) chi2 += (bins[b] - e) * (bins[b] - e) / e;
  assert_true(chi2 < gsl_cdf_chisq_Qinv(1e-6, 63));
}

static void test_uniform_range_stays_below_hi(void **state) {
  (void)state;
  cr_rng r = cr_rng_make(5, 5);
  for (int i = 0; i < 10000; i++) {
    double v = cr_rng_uniform_range(&r, -3.0, 7.5);
    assert_true(v >= -3.0 && v < 7.5);
  }
  // One ulp wide: lo + ulp * u rounds up to hi for half the draws; they must step back.
  double lo = 1.0, hi = nextafter(1.0, 2.0);
  for (int i = 0; i < 1000; i++) assert_true(cr_rng_uniform_range(&r, lo, hi) == lo);
  assert_true(cr_rng_uniform_range(&r, 4.0, 4.0) == 4.0);
}

// Moments of N(0,1): mean 0, variance 1 (Var(Z^2) = 2), skewness 0 (sd sqrt(6/n)),
// kurtosis 3 (sd sqrt(24/n)), and the two-sided 3-sigma tail 0.0026998 (binomial sd).
static void test_gaussian_moments(void **state) {
  (void)state;
  const int n = 1000000;
  cr_rng r = cr_rng_make(99, 2);
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0, tail = 0, worst = 0;
  for (int i = 0; i < n; i++) {
    double z = cr_rng_gaussian(&r);
    s1 += z, s2 += z * z, s3 += z * z * z, s4 += z * z * z * z;
    tail += fabs(z) > 3;
    worst = fmax(worst, fabs(z));
  }
  assert_true(r.n == 2ull * n); // exactly two draws per call
  double m = s1 / n, v = s2 / n, skew = s3 / n / pow(v, 1.5), kurt = s4 / n / (v * v);
  print_message("gaussian: mean %.5f var %.5f skew %.5f kurtosis %.5f tail %.6f max %.2f\n", m, v,
                skew, kurt, tail / n, worst);
  assert_near(m, 0.0, 5 / sqrt(n));
  assert_near(v, 1.0, 5 * sqrt(2.0 / n));
  assert_near(skew, 0.0, 5 * sqrt(6.0 / n));
  assert_near(kurt, 3.0, 5 * sqrt(24.0 / n));
  const double p3 = 2 * gsl_cdf_ugaussian_Q(3.0);
  assert_near(tail / n, p3, 5 * sqrt(p3 * (1 - p3) / n));
  assert_true(worst < 8.58);
}

// below(n): a chi-square over the n values (bound at p = 1e-6), and a large n where a
// plain x % n would favour the lowest third of the values with probability 1/2.
static void test_below_is_unbiased(void **state) {
  (void)state;
  cr_rng r = cr_rng_make(31337, 4);
  const uint64_t sizes[3] = {6, 7, 10};
  for (int k = 0; k < 3; k++) {
    const uint64_t m = sizes[k];
    const int n = 700000;
    long count[10] = {0};
    for (int i = 0; i < n; i++) {
      uint64_t x = cr_rng_below(&r, m);
      assert_true(x < m);
      count[x]++;
    }
    double chi2 = 0, e = (double)n / m;
    for (uint64_t b = 0; b < m; b++) chi2 += (count[b] - e) * (count[b] - e) / e;
    double bound = gsl_cdf_chisq_Qinv(1e-6, (double)m - 1);
    print_message("below(%d): chi2 %.2f (bound %.2f)\n", (int)m, chi2, bound);
    assert_true(chi2 < bound);
  }
  const uint64_t big = 3ull << 62; // 2^64 mod big = 2^62: a quarter of all draws is rejected
  const int n = 100000;
  long low = 0;
  uint64_t n0 = r.n;
  for (int i = 0; i < n; i++) low += cr_rng_below(&r, big) < (1ull << 62);
  assert_near((double)low / n, 1.0 / 3, 5 * sqrt(2.0 / 9 / n));
  // Draws per call: geometric with acceptance 3/4, mean 4/3, variance (1/4) / (3/4)^2.
  assert_near((double)(r.n - n0) / n, 4.0 / 3, 5 * sqrt(0.25 / 0.5625 / n));
  // Degenerate sizes: 1 always gives 0; 0 gives 0 and draws nothing.
  for (int i = 0; i < 10; i++) assert_true(cr_rng_below(&r, 1) == 0);
  uint64_t before = r.n;
  assert_true(cr_rng_below(&r, 0) == 0 && r.n == before);
}

// Uniform on the sphere: unit length, each coordinate mean 0 and E[x^2] = 1/3
// (Var(x^2) = 1/5 - 1/9 = 4/45), a hemisphere count binomial(1/2).
static void test_unit_vector_uniform(void **state) {
  (void)state;
  const int n = 300000;
  cr_rng r = cr_rng_make(8, 8);
  double s[3] = {0, 0, 0}, s2[3] = {0, 0, 0};
  long up = 0;
  for (int i = 0; i < n; i++) {
    double d[3];
    cr_rng_unit_vector(&r, d);
    assert_near(d[0] * d[0] + d[1] * d[1] + d[2] * d[2], 1.0, 1e-12);
    for (int a = 0; a < 3; a++) s[a] += d[a], s2[a] += d[a] * d[a];
    up += d[0] + d[1] + d[2] > 0; // a hemisphere not aligned with the construction's axes
  }
  assert_true(r.n == 2ull * n);
  for (int a = 0; a < 3; a++) {
    assert_near(s[a] / n, 0.0, 5 * sqrt(1.0 / 3 / n));
    assert_near(s2[a] / n, 1.0 / 3, 5 * sqrt(4.0 / 45 / n));
  }
  assert_near((double)up / n, 0.5, 5 * sqrt(0.25 / n));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_philox_known_answers),
      cmocka_unit_test(test_draws_follow_the_counter_mapping),
      cmocka_unit_test(test_deterministic_and_replayable),
      cmocka_unit_test(test_streams_are_independent),
      cmocka_unit_test(test_uniform_moments_and_range),
      cmocka_unit_test(test_uniform_range_stays_below_hi),
      cmocka_unit_test(test_gaussian_moments),
      cmocka_unit_test(test_below_is_unbiased),
      cmocka_unit_test(test_unit_vector_uniform),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
