// A procedural brain-like phantom with known geometry, defined analytically in world
// coordinates (RAS mm), so that the same anatomy lands at the same world place
// whatever the voxel grid: size, spacing, axis order, flips or an oblique rotation.
//
// Anatomy (T1-like intensities): an ellipsoidal brain whose surface is folded into
// gyri and narrow sulci (CSF-dark), a grey-matter ribbon over white matter, and bright
// vessels lying on the cortical surface.
#ifndef CR_PHANTOM_H
#define CR_PHANTOM_H

#include "core/volume.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_phantom_options {
  int dim[3];             // voxels
  double spacing_mm[3];   // voxel size
  char orientation[4];    // voxel axis directions, e.g. "RAS", "LPI", "ASL"
  double oblique_deg;     // extra rotation of the grid about (1,1,1), degrees
  double centre_mm[3];    // world point at the centre of the grid and the brain
  double radius_mm[3];    // brain semi-axes (x: left-right, y: anterior, z: superior)
  double fold_depth_mm;   // depth of the sulci (0: smooth ellipsoid)
  double gm_thickness_mm; // grey-matter ribbon
  int n_folds;            // number of sinusoidal folding waves
  int n_vessels;          // surface vessels
  double vessel_radius_mm;
  uint64_t seed;                         // folds and vessel paths
  float wm, gm, csf, vessel, background; // intensities
} cr_phantom_options;

// Defaults: 96 x 112 x 96 voxels of 1.75 mm, RAS, centred at the origin, brain semi-axes
// 65 x 80 x 58 mm, sulci 8 mm deep, 3 mm grey matter, 20 folding waves, 14 vessels of
// 0.9 mm radius, intensities WM 800, GM 500, CSF 120, vessels 1000, background 0.
cr_phantom_options cr_phantom_defaults(void);

// The voxel->world matrix of the phantom grid (orientation, oblique rotation, spacing,
// centred at centre_mm). Fails with CR_EINVAL on a bad orientation code.
int cr_phantom_affine(const cr_phantom_options *p, double world_from_voxel[4][4]);

// The analytic phantom intensity at a world point (with 1-voxel-wide smooth edges
// of width `blur_mm` so that sampling does not alias; 0 gives hard edges).
float cr_phantom_value(const cr_phantom_options *p, const double xyz[3], double blur_mm);

// Signed distance (mm, approximate, positive outside) from a world point to the
// folded cortical surface (the outer grey-matter boundary).
double cr_phantom_surface_distance(const cr_phantom_options *p, const double xyz[3]);

// Makes the phantom volume. Fails with CR_EINVAL on bad parameters.
int cr_phantom_make(const cr_phantom_options *p, cr_volume **out);

#ifdef __cplusplus
}
#endif
#endif
