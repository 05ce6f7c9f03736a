// Shared helpers of the fuzz harnesses (fuzz/fuzz_*.c). camreg's readers take paths, so
// a harness writes the fuzzer's bytes to a file in a private temporary folder (made once
// per process, removed at exit) under a name whose extension picks the format, then calls
// the reader. The same harness source builds two ways: with libFuzzer (CAMREG_FUZZ=ON,
// clang) and with fuzz/replay_main.c, a plain main that replays corpus and regression
// files (the CI's gcc ASan build).
#ifndef CR_FUZZ_COMMON_H
#define CR_FUZZ_COMMON_H
#include <stddef.h>
#include <stdint.h>

// The path of `name` in this process's temporary folder ("" on failure).
const char *cr_fuzz_path(const char *name);
// Writes `size` bytes to cr_fuzz_path(name) and returns that path (NULL on failure).
const char *cr_fuzz_write(const char *name, const uint8_t *data, size_t size);
// Removes cr_fuzz_path(name) (no error if absent).
void cr_fuzz_remove(const char *name);
// Pins OpenMP to one thread (the fuzzers share a 2-core machine; one thread also keeps
// a report's stack trace simple).
void cr_fuzz_quiet(void);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
