// Fuzzes the ITK transform readers (cr_reg_itk_read_affine, cr_reg_itk_read_camera:
// Slicer's .tfm / .txt linear transforms).
#include "registration/itk_transform.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cr_fuzz_quiet();
  const char *p = cr_fuzz_write("f.tfm", data, size);
  if (!p) return 0;
  double M[4][4], R[4][4];
  cr_pose pose;
  if (cr_reg_itk_read_affine(p, M) == 0) cr_reg_itk_slicer_to_parent(M, R);
  cr_reg_itk_read_camera(p, &pose);
  return 0;
}
