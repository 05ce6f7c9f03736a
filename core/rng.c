// Philox4x32-10 and the draws built on it (see rng.h).
#include "core/rng.h"

#include <math.h>

// Multipliers and Weyl key increments of Philox4x32 (Salmon et al. 2011; Random123's
// PHILOX_M4x32_0/1 and PHILOX_W32_0/1).
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

// The key of the split hash: the seed xor the first hex digits of pi.
#define SPLIT_KEY_XOR 0x85A308D3243F6A88ull

void cr_rng_philox4x32(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; round++) {
    if (round > 0) k0 += PHILOX_W0, k1 += PHILOX_W1; // the key schedule bumps between rounds
    uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c0 = n0, c1 = (uint32_t)p1, c2 = n2, c3 = (uint32_t)p0;
  }
  out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

static void block_of(uint64_t seed, uint64_t stream, uint64_t index, uint64_t out[2]) {
  uint32_t ctr[4] = {(uint32_t)index, (uint32_t)(index >> 32), (uint32_t)stream,
                     (uint32_t)(stream >> 32)};
  uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)}, w[4];
  cr_rng_philox4x32(w, ctr, key);
  out[0] = w[0] | (uint64_t)w[1] << 32;
  out[1] = w[2] | (uint64_t)w[3] << 32;
}

cr_rng cr_rng_make(uint64_t seed, uint64_t stream) {
  cr_rng r = {seed, stream, 0, {0, 0}};
  return r;
}

cr_rng cr_rng_split(const cr_rng *parent, uint64_t id) {
  uint64_t h[2];
  block_of(parent->seed ^ SPLIT_KEY_XOR, parent->stream, id, h);
  return cr_rng_make(parent->seed, h[0]);
}

uint64_t cr_rng_u64(cr_rng *r) {
  uint64_t i = r->n++;
  if (i & 1) return r->block[1];
  block_of(r->seed, r->stream, i >> 1, r->block);
  return r->block[0];
}

double cr_rng_uniform(cr_rng *r) {
  return (double)(cr_rng_u64(r) >> 11) * 0x1.0p-53;
}

double cr_rng_uniform_range(cr_rng *r, double lo, double hi) {
  double v = lo + (hi - lo) * cr_rng_uniform(r);
  return v < hi || !(lo < hi) ? v : nextafter(hi, lo);
}

double cr_rng_gaussian(cr_rng *r) {
  double u1 = 1.0 - cr_rng_uniform(r), u2 = cr_rng_uniform(r); // u1 in (0, 1]: log is finite
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint64_t cr_rng_below(cr_rng *r, uint64_t n) {
  if (n == 0) return 0;
  // 2^64 mod n values at the bottom would be hit once more than the others: reject them.
  uint64_t floor_ok = (0 - n) % n, x;
  do x = cr_rng_u64(r);
  while (x < floor_ok);
  return x % n;
}

void cr_rng_unit_vector(cr_rng *r, double out[3]) {
  double z = 2.0 * cr_rng_uniform(r) - 1.0, phi = 2.0 * M_PI * cr_rng_uniform(r);
  double s = sqrt(fmax(0.0, 1.0 - z * z));
  out[0] = s * cos(phi), out[1] = s * sin(phi), out[2] = z;
}
