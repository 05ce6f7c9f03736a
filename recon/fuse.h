// Super-resolution reconstruction ("fusion") of several scans of one object: each scan
// (a NIfTI volume in its own world placement, any orientation, thick or thin slices) is
// modelled as the unknown isotropic volume f seen through the scan's point-spread
// function and sampled at its voxel centres:
//
//   y_k = s_k A_k f + noise,   A_k: trilinear resampling of f at the scan's PSF samples,
//                              weighted by the PSF and summed per scan voxel.
//
// The PSF of a voxel is separable in the scan's voxel axes: along the slice axis (the
// axis with the largest spacing) a Gaussian whose FWHM is the slice thickness
// (slice_fwhm_factor times that spacing), along the others the voxel's box. s_k, the
// scan's intensity scale, is matched to scan 0 over their overlap. f minimizes
//
//   sum_k |y_k / s_k - A_k f|^2 + lambda |grad f|^2      (CG on the normal equations)
//
// or comes from Landweber iterations of the data term alone (iterative back-projection),
// or is the plain mean of the scans resampled trilinearly (the baseline). World = NIfTI
// RAS mm throughout.
#ifndef CR_RECON_FUSE_H
#define CR_RECON_FUSE_H

#include "core/volume.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CR_FUSE_MAX_SCANS 32

typedef enum cr_fuse_method {
  CR_FUSE_CG = 0,      // regularized least squares, conjugate gradients
  CR_FUSE_IBP = 1,     // iterative back-projection (Landweber on the data term)
  CR_FUSE_AVERAGE = 2, // mean of the scans resampled trilinearly (no PSF)
} cr_fuse_method;

typedef struct cr_fuse_options {
  double spacing_mm;        // output voxel size; <= 0: the smallest voxel size of the scans
  const cr_volume *grid;    // output on this volume's grid instead (borrowed; may be NULL)
  cr_fuse_method method;    // default CG
  double lambda;            // CG: weight of the squared-gradient regularizer (voxel units)
  int iterations;           // CG and IBP: maximum iterations
  double tolerance;         // CG: stop when the residual norm fell below tolerance * start
  int match_intensity;      // 1: scale each scan to scan 0 over their overlap
  double slice_fwhm_factor; // slice profile FWHM / slice spacing (1: FWHM = thickness)
  // Called after each iteration (done of total, may stop early); a non-zero return
  // aborts with CR_EINVAL. May be NULL. Called from the calling thread only.
  int (*progress)(void *ctx, int done, int total, double residual_ratio);
  void *progress_ctx;
} cr_fuse_options;

// Defaults: automatic spacing, CG, lambda 0.01, 40 iterations, tolerance 1e-4, matched
// intensities, FWHM = slice spacing.
cr_fuse_options cr_fuse_defaults(void);

typedef struct cr_fuse_scan_report {
  int slice_axis;       // the scan's voxel axis taken as the slice axis, -1: isotropic
  double slice_fwhm_mm; // FWHM of its Gaussian slice profile (0: box only)
  double scale;         // intensity scale s_k relative to scan 0 (1 for scan 0)
  double overlap;       // fraction of its voxel centres inside scan 0's box
  double used;          // fraction of its voxels in the data term (PSF inside the grid)
  double rms_residual;  // RMS of y_k / s_k - A_k f over the voxels used, after fusion
} cr_fuse_scan_report;

typedef struct cr_fuse_report {
  int dim[3];            // output grid
  double spacing_mm;     // output voxel size
  int iterations;        // iterations run
  double residual_ratio; // CG: final / initial residual norm (IBP, average: 0)
  size_t memory_bytes;   // working memory besides the scans and the output
  int n_scans;
  cr_fuse_scan_report scans[CR_FUSE_MAX_SCANS];
} cr_fuse_report;

// The output grid for these scans: world axes (RAS), isotropic voxels of opt->spacing_mm
// (or the smallest scan voxel size), a lattice through the centre of the first HR voxel
// in scan 0's first voxel (so an acquisition that subdivides scan 0 lines up), covering
// the union of the scans' boxes. Or opt->grid's grid. Fills dim, world_from_voxel and
// *memory_bytes (the working memory cr_fuse will need; may be NULL).
int cr_fuse_plan(const cr_volume *const *scans, int n_scans, const cr_fuse_options *opt, int dim[3],
                 double world_from_voxel[4][4], size_t *memory_bytes);

// Fuses n_scans (1..CR_FUSE_MAX_SCANS) scans into a new volume *out (NULL on failure).
// Errors: CR_EINVAL on bad options, non-finite or singular scan geometry, or a scan that
// does not overlap scan 0 (the message names the scan by its index); CR_ENOMEM.
// rep (may be NULL) gets the figures above. Deterministic for any thread count.
int cr_fuse(const cr_volume *const *scans, int n_scans, const cr_fuse_options *opt, cr_volume **out,
            cr_fuse_report *rep);

// A thick-slice scan simulated from `vol`: slices along voxel axis `axis` (0..2) of
// thickness thickness_mm (an integer multiple n of the voxel size along that axis), each
// the Gaussian-weighted mean (FWHM = thickness, the Gaussian integrated over each voxel
// of `vol`) centred on a block of n voxels, plus Gaussian noise of standard deviation
// noise_fraction * the volume's maximum (draws from core/rng.h, stream "fusesim" split
// by axis). The result keeps the other two axes (in order) as its i and j and has the
// slice axis as k; its header places it where it was cut from. *out NULL on failure.
int cr_fuse_simulate(const cr_volume *vol, int axis, double thickness_mm, double noise_fraction,
                     uint64_t seed, cr_volume **out);

typedef struct cr_fuse_alignment {
  double rotation_deg;          // angle of the rigid correction that best fits the scan to f
  double translation_mm[3];     // its translation (world, at the scan's centre)
  double mean_shift_mm;         // mean displacement of the scan's voxel centres under it
  double rms_before, rms_after; // RMS of y / s - A f before and after the correction
} cr_fuse_alignment;

// Rigid alignment check: for each scan, the rigid motion of the scan (about its centre)
// that best fits its voxels to the fused volume through its forward model (Nelder-Mead
// on a subsample of voxels), reported per scan in al[n_scans]. A scan that moved between
// acquisitions shows a mean shift above a fraction of a voxel. `scales` are the s_k of
// the fusion report (NULL: 1). CR_EINVAL if a scan does not overlap `fused`.
int cr_fuse_check_alignment(const cr_volume *const *scans, int n_scans, const double *scales,
                            const cr_volume *fused, const cr_fuse_options *opt,
                            cr_fuse_alignment *al);

#ifdef __cplusplus
}
#endif
#endif
