// The volume renderer: rays from a calibrated camera (OpenCV pinhole with distortion)
// through every pixel centre into a volume in world space (RAS mm), clipped to the box
// of the voxel centres +- half a voxel and sampled every step_mm.
//
// Modes: DRR (line integral, intensity*mm), MIP, emission-absorption volume rendering
// with a piecewise-linear transfer function, isosurface first hit (shaded image,
// depth, world xyz, normal) and the surface probe (max or mean of the volume 0..d mm
// below the first hit). A cr_renderer is made once per (volume, params); it
// precomputes min/max bricks for empty-space skipping and caches the pixel rays of the
// last camera, so cr_render() allocates nothing for repeated frames of one camera.
// Every pixel is computed independently: results do not depend on the thread count.
#ifndef CR_RENDER_H
#define CR_RENDER_H
#include "core/camera.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum cr_render_mode {
  CR_RENDER_DRR = 0,
  CR_RENDER_MIP,
  CR_RENDER_VOLUME,
  CR_RENDER_SURFACE,
  CR_RENDER_PROBE,
} cr_render_mode;

typedef enum cr_render_interp { CR_INTERP_LINEAR = 0, CR_INTERP_NEAREST } cr_render_interp;

// One knot of a piecewise-linear transfer function: at volume value `value`, opacity
// per mm of ray (0..1, corrected for the step) and colour (grey: r = g = b).
typedef struct cr_tf_point {
  float value;
  float opacity;
  float rgb[3];
} cr_tf_point;

#define CR_TF_MAX 16

typedef struct cr_render_params {
  cr_render_mode mode;
  double step_mm;           // sampling step along the ray, mm (<= 0: half the smallest spacing)
  cr_render_interp interp;  // trilinear (default) or nearest
  int windowed;             // DRR/MIP: value -> clamp(v, lo, hi) - lo
  float window_lo, window_hi;
  int n_tf;                 // volume mode transfer function knots (sorted by value);
  cr_tf_point tf[CR_TF_MAX];// 0 knots: automatic ramp from the iso level to the max
  double iso;               // surface/probe level; NaN: automatic (Otsu)
  double surface_smooth_mm; // surface/probe: Gaussian sigma (mm) of the field whose
                            // isosurface is found (hit and normal); probe values come
                            // from the unsmoothed volume. Hides the voxel staircase of
                            // masked (skull-stripped) volumes. 0: none.
  double probe_depth_mm;    // probe shell thickness below the surface, mm
  int probe_mean;           // 0: max over the shell, 1: mean
  int probe_along_normal;   // 0: along the ray, 1: along the inward normal
  int lit;                  // volume/surface: headlight Lambert shading (1) or unlit (0)
  int undistorted;          // render the undistorted view (camera distortion ignored)
  float background;         // image value of pixels whose ray finds nothing
} cr_render_params;

// Defaults for a mode: step 0 (automatic), trilinear, no window, automatic TF and iso,
// surface smoothing 1 mm (surface and probe modes), probe 3 mm max along the ray, lit,
// distorted view, background 0.
cr_render_params cr_render_defaults(cr_render_mode mode);

// Mode names "drr", "mip", "volume", "surface", "probe" <-> enum. Parsing returns 0 or
// CR_EINVAL with a message.
int cr_render_mode_parse(const char *name, cr_render_mode *mode);
const char *cr_render_mode_name(cr_render_mode mode);

// Parses a transfer function "v:a:g,v:a:g,..." or "v:a:r:g:b,..." (value, opacity per
// mm, grey or colour) into params->tf. Returns 0 or CR_EINVAL with a reason.
int cr_render_tf_parse(const char *text, cr_render_params *params);

// Automatic iso level: Otsu's threshold on a 256-bin histogram of the volume.
float cr_render_auto_iso(const cr_volume *vol);

typedef struct cr_renderer cr_renderer;

// Creates a renderer for `vol` (borrowed: must outlive the renderer, and must not be
// modified while it is in use) and a copy of `params`. Precomputes min/max bricks and
// the automatic iso level / transfer function. NULL params means defaults for DRR.
int cr_renderer_new(cr_renderer **out, const cr_volume *vol, const cr_render_params *params);
// Releases the renderer; NULL is a no-op.
void cr_renderer_free(cr_renderer *r);
// The parameters in use (with automatic values resolved: step_mm, tf, and iso except in
// the DRR and MIP modes, which leave it as given).
const cr_render_params *cr_renderer_params(const cr_renderer *r);
// Samples taken by the last cr_render call (for benchmarks).
double cr_renderer_last_samples(const cr_renderer *r);

// Caller-owned outputs of one frame; each one may be NULL except `image`. All must be
// camera-sized. image: 1 channel (volume mode also accepts 3 for colour). depth:
// 1 channel, z of the hit in the camera frame (mm), 0 on a miss. xyz: 3 channels,
// world mm of the hit, NaN on a miss. normal: 3 channels, unit outward surface normal
// (world, pointing to decreasing intensity), NaN on a miss. depth/xyz/normal are filled
// in the surface and probe modes only (left untouched otherwise).
typedef struct cr_render_out {
  cr_image *image;
  cr_image *depth;
  cr_image *xyz;
  cr_image *normal;
  // Optional, width*height bytes: pixels where it is 0 are not rendered and get the
  // miss values (background, depth 0, NaN xyz and normal). A registration renders only
  // the pixels its metric reads.
  const unsigned char *pixel_mask;
} cr_render_out;

// Renders one frame seen by `cam` at pose cam_from_world. Recomputes the cached rays
// only if the camera differs from the previous call (this is the only allocation).
// Fails with CR_EINVAL on a bad camera or output size. OpenMP over 16x16 pixel tiles.
int cr_render(cr_renderer *r, const cr_camera *cam, const cr_pose *cam_from_world,
              const cr_render_out *out);

// The world points of the visible isosurface (the renderer must be in surface or probe
// mode; CR_EINVAL otherwise) for a view, taking every `stride_px`
// pixel in u and v. Writes up to `max_points` points into xyz (3 per point; may be
// NULL), their count into *n_points and their centroid into centroid (may be NULL).
// Fails with CR_EEMPTY when no pixel sees the surface.
int cr_render_surface_points(cr_renderer *r, const cr_camera *cam, const cr_pose *cam_from_world,
                             int stride_px, double *xyz, int max_points, int *n_points,
                             double centroid[3]);

// The NIfTI world_from_pixel matrix that places an image of `cam` at pose
// cam_from_world as its image plane at depth `depth_mm`: pixel (u, v, 0) -> the world
// point at camera z = depth_mm on the undistorted ray through (u, v); the third column
// is the viewing direction scaled by the pixel size at that depth.
void cr_render_image_plane(const cr_camera *cam, const cr_pose *cam_from_world, double depth_mm,
                           double world_from_pixel[4][4]);

// Pixel size (mm) at camera depth `depth_mm`: depth / fx and depth / fy.
void cr_render_pixel_size(const cr_camera *cam, double depth_mm, double size_mm[2]);

// Resamples `vol` on a plane: centre (world mm), unit normal, `up` (projected onto the
// plane), width x height pixels of spacing_mm. Image axes: v runs along -up, u along
// (-up) x normal, so a viewer looking along `normal` sees the slice like a camera.
// Fills `out` (1 channel, width x height, caller-owned), pixels outside the volume get
// `outside`, and world_from_pixel (may be NULL). CR_EINVAL on bad geometry or size.
int cr_render_reslice(const cr_volume *vol, const double centre[3], const double normal[3],
                      const double up[3], double spacing_mm, cr_render_interp interp,
                      float outside, cr_image *out, double world_from_pixel[4][4]);

// The cam_from_world pose of a camera that starts at `start` and turns by `angle_deg`
// (right-handed) about the world axis `axis` through `pivot` (a turntable orbit step):
// the camera centre moves on a circle about the axis and keeps looking the same way
// relative to the pivot.
cr_pose cr_render_orbit_pose(const cr_pose *start, const double pivot[3], const double axis[3],
                             double angle_deg);

// Checks that `path` has an output type cr_render_write knows (0 or CR_EINVAL).
int cr_render_output_check(const char *path);

// Writes a rendered image (any channels) at full precision, atomically, by extension:
// .nii/.nii.gz float NIfTI whose header is cr_render_image_plane(cam, pose,
// plane_depth_mm); .tif/.tiff 32-bit float; .png 16-bit with value = png_map[0] +
// png_map[1] * stored (non-finite values stored as 0). png_map may be NULL.
int cr_render_write(const char *path, const cr_image *img, const cr_camera *cam,
                    const cr_pose *cam_from_world, double plane_depth_mm, double png_map[2]);

#ifdef __cplusplus
}
#endif
#endif
