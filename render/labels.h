// Labels on the photo: a label map (a segmentation or an atlas, integer values in the
// MRI's world space, any grid) projected through a registered camera.
//
// The projection is a pass over a surface render's world xyz (any mode with the xyz
// output: surface, probe, mesh), not a row of the render-mode table, because it reads a
// second volume. The surface is that of the intensity volume, the one the camera sees
// and the registration aligned; the label map's own boundary is not used, so a deep
// structure (a tumour) never shows through the cortex as if it were on it. For each
// pixel whose ray hits the surface, the label map is sampled (nearest voxel) along the
// same ray below the hit:
//   - the surface label: the first non-zero label within surface_mm below the hit
//     (an atlas's boundary and the iso surface differ by a voxel or two);
//   - the deep label: the first non-zero label other than the surface label between
//     surface_mm and below_mm below the hit, with its distance below the hit (mm along
//     the ray): structures under the surface, drawn as contours with a depth cue.
#ifndef CR_RENDER_LABELS_H
#define CR_RENDER_LABELS_H

#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---- Label tables: index -> name and colour --------------------------------------

typedef struct cr_label_entry {
  long index;
  char name[64];
  unsigned char rgb[3];
  int has_rgb; // 0: the colour is cr_label_table_colour's fallback
} cr_label_entry;

typedef struct cr_label_table {
  cr_label_entry *entries; // sorted by index
  int n, cap;
} cr_label_table;

// An empty table (NULL with a message on allocation failure).
cr_label_table *cr_label_table_new(void);
// Releases a table; NULL is a no-op.
void cr_label_table_free(cr_label_table *t);
// Reads a lookup table into t, merging with what it holds (a later file's names and
// colours replace an earlier file's for the same index). Formats, by content:
//   - text, one label per line, '#' comments: "index name [r g b [a]]" with r g b in
//     0..255: FreeSurfer's LUT, 3D Slicer's colour table (.ctbl/.txt), ITK-SNAP's label
//     description is not this format; a line "index name code" (MRIcron's atlas .txt,
//     e.g. aal.nii.txt) sets the name only;
//   - a 768-byte binary palette (MRIcron's .lut: 256 red, 256 green, 256 blue bytes)
//     colours indices 0..255 that already have an entry, or all 1..255 if the table is
//     empty.
// CR_EIO if the file cannot be read, CR_EFORMAT naming the file and line otherwise.
int cr_label_table_read(cr_label_table *t, const char *path);
// The entry of a label index, or NULL.
const cr_label_entry *cr_label_table_find(const cr_label_table *t, long index);
// The colour of a label: the table's, else a fixed saturated colour from the index.
void cr_label_table_colour(const cr_label_table *t, long index, unsigned char rgb[3]);

// ---- Projection ------------------------------------------------------------------

typedef struct cr_label_options {
  double surface_mm; // depth below the hit searched for the surface label (default 2)
  double below_mm;   // depth below the hit searched for deep labels (default 0 = none;
                     // must be >= surface_mm when > 0)
  double step_mm;    // sampling step along the ray (<= 0: a quarter of the smallest
                     // voxel of the label map); the last sample is exactly at the limit
} cr_label_options;

// Defaults: surface 2 mm, no deep labels, automatic step.
cr_label_options cr_label_defaults(void);

// Caller-owned, 1-channel outputs of the xyz image's size; all but `surface` may be NULL.
typedef struct cr_label_out {
  cr_image *surface; // the surface label (0: none or no hit)
  cr_image *deep;    // the deep label (0: none)
  cr_image *deep_mm; // its distance below the hit, mm along the ray (NaN: none)
} cr_label_out;

// Checks that a volume is a label map: every value a whole number in 0..2^24.
// CR_EFORMAT naming the first offending voxel and its value.
int cr_label_volume_check(const cr_volume *labels);

// Projects `labels` for a view: xyz is the world xyz (3 channels, NaN where the ray
// missed) of a surface render at cam_from_world. Fills every output for every pixel.
// CR_EINVAL on bad sizes or options. OpenMP over rows; no allocation.
int cr_label_project(const cr_volume *labels, const cr_pose *cam_from_world, const cr_image *xyz,
                     const cr_label_options *opt, const cr_label_out *out);

// ---- Drawing ---------------------------------------------------------------------

typedef struct cr_label_draw_options {
  double fill_alpha;           // opacity of the surface labels' fill (default 0.45)
  double surface_mm, below_mm; // the projection's, for the depth cue of deep contours
} cr_label_draw_options;

// Defaults: fill 0.45, surface 2 mm, no deep labels.
cr_label_draw_options cr_label_draw_defaults(void);

// Draws the labels over `background` (the photo, or a render: 1 or 3 channels, 0..255)
// into rgb (3 channels, same size): surface labels filled in their colour at fill_alpha
// with the borders between labels drawn opaque and darker; deep labels as their region's
// contour, opaque at surface_mm and fading to 25 % at below_mm (the depth cue).
// CR_EINVAL on sizes that differ.
int cr_label_draw(const cr_image *background, const cr_label_out *labels, const cr_label_table *t,
                  const cr_label_draw_options *opt, cr_image *rgb);

#ifdef __cplusplus
}
#endif
#endif
