// Fuzzes the image reader (cr_image_read, OpenCV's decoders behind camreg's wrapper) and
// the grey conversion. The first byte picks the extension.
#include "core/image.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *names[] = {"f.png", "f.jpg", "f.tif", "f.pgm",
                                "f.ppm", "f.bmp", "f.exr", "f.nii"};
  cr_fuzz_quiet();
  if (size < 1) return 0;
  const char *p = cr_fuzz_write(names[data[0] % 8], data + 1, size - 1);
  cr_image *img = NULL, *grey = NULL;
  int bits = 0;
  if (p && cr_image_read(p, &img, &bits) == 0) {
    float lo, hi;
    cr_image_minmax(img, &lo, &hi);
    grey = cr_image_to_grey(img, -1, NULL);
  }
  cr_image_free(grey);
  cr_image_free(img);
  if (p) cr_fuzz_remove(names[data[0] % 8]);
  return 0;
}
