// Private to core/ (nifti_io.c): the NIfTI header checks that run before libnifti reads a file.
// libnifti is lenient where nibabel is strict (a .nii without magic read as ANALYZE, vox_offset
// below the header moved to 352, zero pixdim turned into 1, a big-endian header refused
// by a raw dims check); camreg reads files as nibabel does and refuses the rest with a
// message naming the field.
#ifndef CR_NIFTI_CHECK_H
#define CR_NIFTI_CHECK_H
#include <stdint.h>

typedef struct cr_nifti_info {
  int version;       // 1 or 2
  int swapped;       // header in the other byte order
  int analyze;       // an ANALYZE 7.5 .hdr (no NIfTI magic)
  int64_t dim[8];    // dim[0] = number of dimensions
  int64_t n_volumes; // product of dims 4..7
} cr_nifti_info;

// Reads and checks the header of `path` (.nii, .nii.gz, .hdr/.img pair, gzip or not):
// sizeof_hdr (either byte order), magic against the extension, dims, datatype,
// vox_offset (finite, whole, past the header of a single file), the data size against
// the file's length (uncompressed) or the most a gzip stream of its size can hold (1032x),
// pixdim of the transform in use, finite sform/qform and scl_slope/scl_inter. 0, or
// CR_EIO / CR_EFORMAT / CR_EUNSUPPORTED naming the file and field. Warns (cr_warning)
// for an ANALYZE header.
int cr_nifti_check(const char *path, cr_nifti_info *info);
#endif
