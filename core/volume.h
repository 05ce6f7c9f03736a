// Scalar volumes in world space. Voxel (i, j, k), with voxel centres at integer
// indices, maps to world RAS+ millimetres by world_from_voxel (the NIfTI sform/qform).
// Data are float32, x (i) fastest: data[i + nx * (j + ny * k)].
#ifndef CR_VOLUME_H
#define CR_VOLUME_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_volume {
  int dim[3];                    // nx, ny, nz
  double spacing[3];             // mm: lengths of the columns of world_from_voxel
  double world_from_voxel[4][4]; // row-major affine
  double voxel_from_world[4][4]; // its inverse
  float *data;
} cr_volume;

// A zero-filled volume. world_from_voxel NULL means identity (1 mm, at the origin).
// NULL (with an error) on bad size, singular matrix or lack of memory.
cr_volume *cr_volume_new(int nx, int ny, int nz, const double world_from_voxel[4][4]);
// Releases the volume; NULL is a no-op.
void cr_volume_free(cr_volume *vol);
// Replaces the voxel->world matrix (recomputes the inverse and spacing).
int cr_volume_set_affine(cr_volume *vol, const double world_from_voxel[4][4]);

static inline size_t cr_volume_index(const cr_volume *v, int i, int j, int k) {
  return (size_t)i + (size_t)v->dim[0] * ((size_t)j + (size_t)v->dim[1] * (size_t)k);
}
static inline size_t cr_volume_count(const cr_volume *v) {
  return (size_t)v->dim[0] * v->dim[1] * v->dim[2];
}

// World (mm) <-> continuous voxel index.
void cr_volume_voxel_to_world(const cr_volume *vol, const double ijk[3], double xyz[3]);
void cr_volume_world_to_voxel(const cr_volume *vol, const double xyz[3], double ijk[3]);

// Trilinear interpolation at a continuous voxel index. Inside the box spanned by the
// voxel centres it interpolates; up to half a voxel beyond, it extends the edge value;
// further away it returns `outside`. Exact at voxel centres and on linear fields.
float cr_volume_sample_linear_ijk(const cr_volume *vol, double i, double j, double k,
                                  float outside);
// Nearest-neighbour sample at a continuous voxel index (same domain as above).
float cr_volume_sample_nearest_ijk(const cr_volume *vol, double i, double j, double k,
                                   float outside);
// The same at a world point (mm).
float cr_volume_sample_linear(const cr_volume *vol, const double xyz[3], float outside);
float cr_volume_sample_nearest(const cr_volume *vol, const double xyz[3], float outside);

// Minimum and maximum value (NaN and infinite values ignored).
void cr_volume_minmax(const cr_volume *vol, float *min, float *max);
// Otsu's threshold on a 256-bin histogram of the values between min and max (NaN and inf
// ignored): the level that best separates the volume into two classes (for an MRI, the
// brain from the background). The minimum when the volume is constant.
float cr_volume_otsu_level(const cr_volume *vol);
// Refuses (CR_EINVAL, naming `path`) a volume with no finite voxel or whose finite voxels
// all have one value: nothing to render or register (a registration on it would return
// its start pose with a perfect cost). Rendering and registration commands call it.
int cr_volume_check_contrast(const cr_volume *vol, const char *path);
// Checks the voxel-to-world affine for computations that walk the grid in world mm
// (renderers): finite, voxel sizes 1e-5..1e5 mm and origin |x| <= 1e7 mm (the NIfTI
// reader's ranges), and voxel axes not nearly parallel (|det| >= 1e-3 x the product of
// the voxel sizes: a near-singular affine makes world-to-voxel lose all precision).
// Returns 0 or CR_EINVAL with a message prefixed by `path` when not NULL.
int cr_volume_check_geometry(const cr_volume *vol, const char *path);
// World bounding box of the voxel grid, from the outer faces of the edge voxels
// (centres +- half a voxel), as lo[3], hi[3] in mm.
void cr_volume_world_bounds(const cr_volume *vol, double lo[3], double hi[3]);
// World bounding box of the voxel centres.
void cr_volume_centre_bounds(const cr_volume *vol, double lo[3], double hi[3]);
// Orientation code of the voxel axes, e.g. "RAS", "LPI", or "oblique" when an axis is
// more than 1e-4 rad off the nearest world axis. `code` must hold 8 chars.
void cr_volume_orientation(const cr_volume *vol, char code[8]);

// Loads a NIfTI-1 or NIfTI-2 file (.nii, .nii.gz, .hdr/.img) through libnifti as float:
// sform if sform_code > 0, else qform if qform_code > 0, else diag(pixdim) (NIfTI
// method 1); scl_slope/scl_inter applied (slope 0 or non-finite: no scaling). A 4-D
// file needs `volume_index` >= 0 (use -1 for 3-D files). Datatypes u8 i8 u16 i16 u32
// i32 f32 f64; others (RGB, complex, ...) are refused. *datatype_name (may be NULL)
// gets a static string like "int16".
int cr_volume_load(const char *path, int volume_index, cr_volume **out, const char **datatype_name);
// The number of 3-D volumes in a NIfTI file (the product of dims 4..7: time points,
// vector components such as the 3 channels of a camreg xyz map). Reads the header only.
int cr_volume_file_count(const char *path, long *n_volumes);

// Saves as float32 NIfTI-1 (.nii or .nii.gz) with sform and qform both set (code 1,
// scanner) to world_from_voxel, so 3D Slicer, ITK and nibabel place it identically.
// Written atomically.
int cr_volume_save(const char *path, const cr_volume *vol);

// Saves as NIfTI-1 like cr_volume_save, with `bits` 32 (float32), 16 (uint16) or 8
// (uint8): values are rounded; one that is not finite or does not fit the type is
// CR_EINVAL (nothing written). Keeps 16-bit data 16-bit.
int cr_volume_save_as(const char *path, const cr_volume *vol, int bits);

// Saves a vector field on grid's voxels (grid's dims and voxel->world; its data are not
// used) as a float32 NIfTI-1 of dims (nx, ny, nz, 1, nc) with `intent_code` (1006
// NIFTI_INTENT_DISPVECT, 1007 NIFTI_INTENT_VECTOR, ...). `planar` holds nc * count
// floats, component-major (all of component 0, then 1, ...), x fastest. The values are
// written as given: the caller chooses their frame.
int cr_volume_save_vectors(const char *path, const cr_volume *grid, const float *planar, int nc,
                           int intent_code, const char *descrip);

#ifdef __cplusplus
}
#endif
#endif
