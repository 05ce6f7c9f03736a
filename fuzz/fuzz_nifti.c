// Fuzzes the NIfTI reader (cr_volume_load) on .nii files, on .hdr/.img pairs (the first
// 348 bytes are the header) and on .nii.gz files: either the fuzzed bytes gzip-compressed
// (a valid stream of a fuzzed file) or the bytes themselves (a broken stream). The first
// input byte chooses; the second picks the volume index (-1 or 0..2).
#include <stdlib.h>
#include <zlib.h>

#include "core/error.h"
#include "core/volume.h"
#include "fuzz/fuzz_common.h"

static void load(const char *path, int index) {
  cr_volume *v = NULL;
  long n = 0;
  cr_volume_file_count(path, &n);
  if (cr_volume_load(path, index, &v, NULL) == 0) {
    float lo, hi;
    cr_volume_minmax(v, &lo, &hi);
    (void)cr_volume_otsu_level(v);
  }
  cr_volume_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cr_fuzz_quiet();
  if (size < 2) return 0;
  int kind = data[0] % 4, index = (int)(data[1] % 4) - 1;
  data += 2;
  size -= 2;
  if (kind == 0) {
    const char *p = cr_fuzz_write("f.nii", data, size);
    if (p) load(p, index);
  } else if (kind == 1) {
    size_t h = size < 348 ? size : 348;
    cr_fuzz_write("f.img", data + h, size - h);
    const char *p = cr_fuzz_write("f.hdr", data, h);
    if (p) load(p, index);
    cr_fuzz_remove("f.img");
  } else if (kind == 2) {
    uLongf n = compressBound((uLong)size) + 32;
    Bytef *z = malloc(n);
    z_stream s = {0};
    // windowBits 15 + 16: a gzip wrapper, as .nii.gz files have.
    if (z && deflateInit2(&s, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
      s.next_in = (Bytef *)data;
      s.avail_in = (uInt)size;
      s.next_out = z;
      s.avail_out = (uInt)n;
      if (deflate(&s, Z_FINISH) == Z_STREAM_END) {
        const char *p = cr_fuzz_write("f.nii.gz", z, s.total_out);
        if (p) load(p, index);
      }
      deflateEnd(&s);
    }
    free(z);
  } else {
    const char *p = cr_fuzz_write("f.nii.gz", data, size);
    if (p) load(p, index);
  }
  return 0;
}
