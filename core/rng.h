// Random numbers: camreg's one generator family. Every random draw in camreg (photo
// synthesis, ground truths and start poses of trials, registration restarts, CMA-ES, the
// phantom's anatomy, test data) comes from here.
//
// Algorithm: Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as
// easy as 1, 2, 3", SC'11; the Random123 library), a counter-based generator: the
// output block is a keyed bijection of a 128-bit counter, out = Philox_key(counter),
// ten rounds of 32x32->64-bit multiplications and xors. Why Philox and not a hash of the
// counter such as splitmix64: it is a published, studied design (passes TestU01's
// BigCrush with a safety margin of three rounds) with published known-answer vectors, so
// tests can check this implementation bit for bit; its 64-bit key and 128-bit counter
// hold a seed, a stream and a position without any ad-hoc mixing; and each block is a
// pure function of (key, counter), so draws need no allocation, no hidden state and no
// sequential warm-up (unlike mt19937's 2.5 KB state).
//
// Mapping: key = the 64-bit seed (word 0 = low half); counter = (block index low, high,
// stream low, high). Draw i of a generator (64 bits) is half i % 2 of block i / 2:
// words 0 | 1 << 32 for the first half, 2 | 3 << 32 for the second. So the i-th draw of
// cr_rng_make(seed, stream) is a pure function of (seed, stream, i).
//
// Streams: cr_rng_make(seed, s) for different s are disjoint counter ranges.
// cr_rng_split(parent, id) derives the sub-stream Philox_key'(id, parent's stream) (first
// 64 bits), key' = the seed xor 0x85A308D3243F6A88 (digits of pi: the split's hash is a
// different keyed bijection than the draws); the child depends on (seed, parent stream,
// id) only, not on how much the parent has drawn. Two distinct derived streams coincide
// with probability 2^-64 per pair. Call sites choose a stream tag of their own (an
// ASCII word, e.g. 0x7068616e746f6d "phantom") so that two modules fed the same seed draw
// different numbers.
//
// A cr_rng is a plain value (40 bytes): thread-safe by construction, copy it to replay
// the draws from a point; never shared between threads unless copied.
#ifndef CR_RNG_H
#define CR_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_rng {
  uint64_t seed;     // Philox key
  uint64_t stream;   // counter words 2, 3
  uint64_t n;        // 64-bit draws made so far
  uint64_t block[2]; // block n / 2 once its first half is drawn (n odd)
} cr_rng;

// The generator for (seed, stream), at draw 0.
cr_rng cr_rng_make(uint64_t seed, uint64_t stream);

// The sub-stream `id` of `parent` (same seed, derived stream, at draw 0); see above.
// Depends on the parent's seed and stream only, not on its position.
cr_rng cr_rng_split(const cr_rng *parent, uint64_t id);

// The next 64 uniform random bits.
uint64_t cr_rng_u64(cr_rng *r);

// Uniform in [0, 1): the top 53 bits of one draw times 2^-53 (every multiple of 2^-53).
double cr_rng_uniform(cr_rng *r);

// Uniform in [lo, hi) for lo < hi (lo + (hi - lo) u, stepped below hi if rounding
// reaches it); lo when lo == hi. One draw.
double cr_rng_uniform_range(cr_rng *r, double lo, double hi);

// Standard normal (mean 0, variance 1) by Box-Muller, the cosine branch only:
// sqrt(-2 ln(1 - u1)) cos(2 pi u2), exactly two draws per call (no cached second
// value, so the position after k calls is known). |value| <= 8.58 (u1 = 2^-53 at most
// ln 2^53 away): a tail of probability 1e-17 is cut.
double cr_rng_gaussian(cr_rng *r);

// Uniform integer in [0, n) without bias: draws x until x >= 2^64 mod n and returns
// x mod n (fewer than 2 draws on average for any n, 1 draw for n a power of two).
// n == 0 returns 0 without drawing.
uint64_t cr_rng_below(cr_rng *r, uint64_t n);

// A unit vector uniform on the sphere (Archimedes: z uniform in [-1, 1), azimuth uniform
// in [0, 2 pi)); exactly two draws.
void cr_rng_unit_vector(cr_rng *r, double out[3]);

// The Philox4x32-10 block function itself, as Random123's philox4x32(ctr, key): out =
// Philox_key(ctr). For known-answer tests and for callers that index blocks directly.
void cr_rng_philox4x32(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]);

#ifdef __cplusplus
}
#endif
#endif
