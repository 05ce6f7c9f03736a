// The files of curved reslicing, shared by `camreg reslice --curve` and `camreg
// unreslice`: the slice transforms (JSON), one ITK transform per slice, and the
// displacement field.
#ifndef CR_CLI_CURVE_IO_H
#define CR_CLI_CURVE_IO_H

#include "render/curved.h"

// Writes every slice's world_from_pixel (RAS) and the straightened volume's
// voxel->world as JSON, atomically:
//   {"format": "camreg curve slices", "version": 1, "space": "RAS",
//    "width": W, "height": H, "spacing_mm": .., "step_mm": .., "length_mm": ..,
//    "straightened_world_from_voxel": [[4 numbers] x 4],
//    "slices": [{"index": k, "arc_mm": .., "world_from_pixel": [[4 numbers] x 4]}, ...]}
int cli_curve_write_json(const char *path, const cr_curve_slices *s);
// Reads such a file (CR_EFORMAT naming the file and the key on a malformed one).
int cli_curve_read_json(const char *path, cr_curve_slices **out);

// Writes DIR/slice_NNNN.tfm for every slice: an ITK AffineTransform (LPS, "from parent")
// that 3D Slicer loads as the transform placing the slice's own frame (origin at pixel
// (0, 0), x along u, y along v, mm, z along the curve) at its world place, as
// `register --tfm` does for a camera. DIR must exist.
int cli_curve_write_itk(const char *dir, const cr_curve_slices *s);

// Writes the displacement field that maps the straightened volume back onto the
// original: a float NIfTI (x, y, z, 1, 3) on the straightened grid. `dispvect` 0: intent
// NIFTI_INTENT_VECTOR (1007) with LPS vectors, as ITK's own writer stores a displacement
// field (every ITK version and 3D Slicer read it as-is); 1: NIFTI_INTENT_DISPVECT (1006)
// with RAS vectors, which ITK >= 5.4 converts to LPS on reading.
int cli_curve_write_field(const char *path, const cr_curve_slices *s, int dispvect);

#endif
