// Private to recon/: the forward model of one scan (its PSF samples on a fine grid in
// the scan's voxel frame, and where they fall on the output grid).
#ifndef CR_RECON_INTERNAL_H
#define CR_RECON_INTERNAL_H

#include "core/volume.h"

#include <stddef.h>

// Per axis of the fine grid: for fine index p, the scan voxels m (and tap weights) whose
// PSF sample p is (p = m r + j), as CSR lists.
typedef struct fz_axis_list {
  int *start; // nf + 1
  int *m;
  float *w;
} fz_axis_list;

typedef struct fz_model {
  const cr_volume *scan;
  int n[3];                  // scan dims
  int r[3], T[3];            // PSF samples per voxel spacing, taps per axis
  int nf[3];                 // fine grid dims: (n - 1) r + T
  float *w[3];               // tap weights per axis (sum 1)
  fz_axis_list list[3];      // adjoint lists
  double hr_from_fine[3][4]; // continuous output-grid index of fine point p
  int chunk;                 // fine k-slices per chunk of the adjoint's scatter
  // Grid-aligned case (each fine axis runs along one output axis in steps of +-1 voxel,
  // as for scans reformatted from one grid): the trilinear weights are the same for
  // every sample, so only the corners with non-zero weight are visited.
  int aligned;
  long step[3];   // output-array index step per fine step along each fine axis
  int hr_axis[3]; // output axis each fine axis runs along, and its sign
  int sign[3];
  double base[3]; // floor of the output index of fine point 0 per output axis
  int ncorner;    // corners with non-zero weight
  long corner_off[8];
  float corner_w[8];
  int corner_hi[8][3]; // 1 where the corner is the +1 neighbour along that output axis
  int slice_axis;      // -1: isotropic
  double fwhm_mm;      // Gaussian slice profile (0: none)
} fz_model;

// Sets up the model of `scan` against the output grid `hr` (its geometry only). motion
// (may be NULL) moves the scan rigidly in world: world_from_voxel' = motion * W.
int fz_model_init(fz_model *m, const cr_volume *scan, const cr_volume *hr, double fwhm_factor);
void fz_model_set_motion(fz_model *m, const cr_volume *hr, const double motion[4][4]);
void fz_model_free(fz_model *m);
static inline size_t fz_fine_count(const fz_model *m) {
  return (size_t)m->nf[0] * m->nf[1] * m->nf[2];
}
// y = A f (scan voxel count values); `fine` is scratch of fz_fine_count floats.
void fz_forward(const fz_model *m, const cr_volume *hr, float *fine, float *y);
// hr->data += A^T y; `fine` is scratch of fz_fine_count floats.
void fz_adjoint_add(const fz_model *m, const float *y, float *fine, cr_volume *hr);
// Whether the PSF of scan voxel (i, j, k) lies within half a voxel of the output grid's
// outer voxel centres (D: its dims): only such voxels enter the data term.
int fz_voxel_valid(const fz_model *m, const int *D, int i, int j, int k);
// (A f) at scan voxel (i, j, k) alone; NaN if the voxel is not valid.
double fz_sample_voxel(const fz_model *m, const cr_volume *hr, int i, int j, int k);
// Sum of a[i] * b[i] over n values in a fixed order of blocks (thread-count independent).
double fz_dot(const float *a, const float *b, size_t n);

#endif
