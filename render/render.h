// The renderer: images of a volume (or of its surface mesh) seen by a calibrated camera
// (OpenCV pinhole with distortion) at a pose, world RAS mm. One interface for every
// mode; the modes are rows of one table (cr_render_mode_type), so a new mode is a new
// row and its kernel, and an extension (a test, a plug-in) can add one at run time.
//
// Built-in modes. Ray modes cast a ray from the camera centre through every pixel centre
// into the volume, clipped to the box of the voxel centres +- half a voxel and sampled
// every step_mm: DRR (line integral, intensity*mm), MIP, emission-absorption volume
// rendering with a piecewise-linear transfer function, isosurface first hit (shaded
// image, depth, world xyz, normal) and the surface probe (max or mean of the volume
// 0..d mm below the first hit). The mesh mode rasterizes a triangle mesh (the cortex
// mesh built from the volume, or a given one) with a z-buffer through the same camera
// model: shading or per-vertex probe scalars, depth, xyz and normal.
//
// A cr_renderer is made once per (volume and/or mesh, params); it precomputes what its
// mode needs (min/max bricks for empty-space skipping; the mesh) and caches per-camera
// work (pixel rays; raster buffers) for the last 8 distinct cameras, so cr_render()
// allocates nothing for repeated frames of known cameras (a registration alternates
// views and pyramid levels on one renderer). Every pixel is computed independently:
// results do not depend on the thread count.
#ifndef CR_RENDER_H
#define CR_RENDER_H
#include "core/camera.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"

#include <math.h>
#ifdef __cplusplus
extern "C" {
#endif

struct cr_mesh;

typedef enum cr_render_interp { CR_INTERP_LINEAR = 0, CR_INTERP_NEAREST } cr_render_interp;

// One knot of a piecewise-linear transfer function: at volume value `value`, opacity
// per mm of ray (0..1, corrected for the step) and colour (grey: r = g = b).
typedef struct cr_tf_point {
  float value;
  float opacity;
  float rgb[3];
} cr_tf_point;

#define CR_TF_MAX 16

// A row of the mode table (defined below).
typedef struct cr_render_mode_type cr_render_mode_type;

typedef struct cr_render_options {
  const cr_render_mode_type *mode; // the mode (a row of the table: &cr_render_mode_drr, or
                                   // cr_render_mode_find("drr"))
  double step_mm;                  // sampling step along the ray, mm (<= 0: the smallest voxel
                                   // size); mesh mode: the probe step (<= 0: 0.25 mm)
  cr_render_interp interp;         // trilinear (default) or nearest
  int windowed;                    // DRR/MIP: value -> clamp(v, lo, hi) - lo
  float window_lo, window_hi;
  int n_tf;                   // volume mode transfer function knots (sorted by value);
  cr_tf_point tf[CR_TF_MAX];  // 0 knots: automatic ramp from the iso level to the max
  double iso;                 // surface/probe/volume/mesh level; NaN: automatic (Otsu)
  double surface_smooth_mm;   // surface/probe: Gaussian sigma (mm) of the field whose
                              // isosurface is found (hit and normal); probe values come
                              // from the unsmoothed volume. Hides the voxel staircase of
                              // masked (skull-stripped) volumes. 0: none.
  double probe_depth_mm;      // probe shell thickness below the surface, mm
  int probe_mean;             // 0: max over the shell, 1: mean
  int probe_along_normal;     // 0: along the ray, 1: along the inward normal (probe mode;
                              // the mesh probe is always along the normal)
  int lit;                    // volume/surface/mesh: headlight shading (1) or unlit (0)
  int undistorted;            // render the undistorted view (camera distortion ignored)
  float background;           // image value of pixels whose ray finds nothing
  int mesh_smooth_iterations; // mesh mode, mesh built from the volume: Taubin iterations
                              // (default 5)
  int mesh_probe;             // mesh mode: 1 = image is the per-vertex probe scalar
                              // (probe_depth_mm, probe_mean; computed from the volume if the
                              // mesh has no scalars), 0 = headlight shading |n.view| (1 when !lit)
} cr_render_options;

// Caller-owned outputs of one frame; each one may be NULL except `image`. All must be
// camera-sized. image: 1 channel (3 for colour in a mode with CR_RENDER_OUT_COLOUR).
// depth: 1 channel, z of the hit in the camera frame (mm). xyz: 3 channels, world mm of
// the hit. normal: 3 channels, unit outward surface normal (world, pointing to
// decreasing intensity). depth, xyz and normal only from a mode that makes them (its
// outputs bits); asking another mode is CR_EINVAL. Every mode writes the same miss
// values: image = background, depth 0, xyz and normal NaN.
typedef struct cr_render_out {
  cr_image *image;
  cr_image *depth;
  cr_image *xyz;
  cr_image *normal;
  // Optional, width*height bytes: pixels where it is 0 are not rendered and get the
  // miss values (background, depth 0, NaN xyz and normal). A registration renders only
  // the pixels its metric reads.
  const unsigned char *pixel_mask;
  // Optional, width*height bytes: 1 where the ray or raster found something (a surface
  // or mesh hit; for drr, mip and volume: the ray met the volume box), 0 on a miss or a
  // pixel left out by pixel_mask. Every mode fills it.
  unsigned char *hit;
  // Optional, 3 values: a point light at this position in the rendering camera's frame (mm),
  // e.g. the light on a stereo microscope's body seen from its second camera; lit shading is
  // then Lambert's n . (light - x) / |light - x|. NULL: the headlight, a light at the camera
  // centre (the default; the same as light_at = 0, 0, 0). Only modes with `point_light`
  // (surface) take it; CR_EINVAL for the others.
  const double *light_at;
} cr_render_out;

// Optional outputs a mode makes (bits of cr_render_mode_type.outputs).
#define CR_RENDER_OUT_DEPTH 1u
#define CR_RENDER_OUT_XYZ 2u
#define CR_RENDER_OUT_NORMAL 4u
#define CR_RENDER_OUT_COLOUR 8u // the image may have 3 channels

// A render mode: what cr_renderer_new and cr_render call. Built-in rows below; an
// extension fills one and registers it (cr_render_mode_register).
struct cr_render_mode_type {
  const char *name;    // "drr", "mip", "volume", "surface", "probe", "mesh"
  const char *summary; // one line for --help
  unsigned outputs;    // CR_RENDER_OUT_* bits
  int needs_volume;    // 1: cannot render from a mesh alone
  // Mode-specific defaults applied after the common ones (may be NULL).
  void (*defaults)(cr_render_options *p);
  // Validates *p, resolves automatic values in *p (step, iso, tf ...), allocates the
  // mode's state from the volume (may be NULL if !needs_volume and a mesh is given)
  // and/or the mesh (may be NULL). Both are borrowed for the state's life. Returns 0
  // or a negative status with a message; on failure *state is left NULL.
  int (*create)(void **state, const cr_volume *vol, const struct cr_mesh *mesh,
                cr_render_options *p);
  // Releases a state (NULL is a no-op).
  void (*destroy)(void *state);
  // One frame: fills out->image and every other output given (hit included) for
  // every pixel. out is already checked against the camera and the outputs bits, the
  // camera is valid and p is the renderer's (resolved) parameters.
  int (*render)(void *state, const cr_render_options *p, const cr_camera *cam,
                const cr_pose *cam_from_world, const cr_render_out *out);
  // Optional (NULL = not supported): world points of the visible surface, every
  // stride_px pixel, count and centroid, as cr_render_surface_points.
  int (*surface_points)(void *state, const cr_render_options *p, const cr_camera *cam,
                        const cr_pose *cam_from_world, int stride_px, double *xyz, int max_points,
                        int *n_points, double centroid[3]);
  int point_light; // 1: lit renders take a light elsewhere than the camera (cr_render_out.light_at)
  // Optional (NULL = not supported): a state for another thread that shares the
  // read-only parts of `state` (volume copies, empty-space structures) and owns its work
  // buffers (the camera cache). `destroy` releases it, before `state` goes. NULL with a
  // cr_error on failure.
  void *(*fork)(const void *state);
};

// The built-in modes (the first rows of the table, in this order).
extern const cr_render_mode_type cr_render_mode_drr, cr_render_mode_mip, cr_render_mode_volume,
    cr_render_mode_surface, cr_render_mode_probe, cr_render_mode_mesh;

// The mode called `name` among the built-in and registered modes; NULL (with a
// cr_error listing the known names) if there is none.
const cr_render_mode_type *cr_render_mode_find(const char *name);
// Adds a mode to the table (borrowed: it must outlive its use, typically a static
// const). CR_EINVAL for a duplicate name, a row without name, create, destroy or
// render, or a full table (32 modes). Not thread-safe: register at start-up.
int cr_render_mode_register(const cr_render_mode_type *type);
// Number of modes in the table (built-in + registered) and the i-th (0-based; NULL
// out of range), for --help lists.
int cr_render_mode_count(void);
const cr_render_mode_type *cr_render_mode_at(int i);

// Defaults for a mode (NULL: DRR): step 0 (automatic), trilinear, no window, automatic
// TF and iso, no surface smoothing, probe 3 mm max along the ray, lit, distorted view,
// background 0, mesh smoothing 5 Taubin iterations, mesh shading (no mesh probe); then
// mode->defaults (surface and probe: surface smoothing 1 mm).
cr_render_options cr_render_defaults(const cr_render_mode_type *mode);

// Parses a transfer function "v:a:g,v:a:g,..." or "v:a:r:g:b,..." (value, opacity per
// mm, grey or colour) into params->tf. Returns 0 or CR_EINVAL with a reason.
int cr_render_tf_parse(const char *text, cr_render_options *params);

// Automatic iso level: cr_volume_otsu_level (Otsu's threshold on a 256-bin histogram).
float cr_render_auto_iso(const cr_volume *vol);

typedef struct cr_renderer cr_renderer;

// Creates a renderer of params->mode (NULL params: DRR defaults) for `vol` and/or
// `mesh` (both borrowed: they must outlive the renderer and not change while it is in
// use) with a copy of the params. vol may be NULL for a mode with !needs_volume when a
// mesh is given; mesh may be NULL (the mesh mode then builds the cortex mesh from vol:
// marching cubes at iso (automatic: Otsu), largest component, mesh_smooth_iterations
// Taubin, normals, probe scalars if mesh_probe; ray modes ignore a mesh). Resolves the
// automatic values (see cr_renderer_options). CR_EINVAL on bad parameters or a missing
// input, CR_EEMPTY when the mesh mode finds no surface: NULL, with the status in
// cr_last_status() and the reason in cr_last_error().
cr_renderer *cr_renderer_new(const cr_volume *vol, const struct cr_mesh *mesh,
                             const cr_render_options *params);
// Releases the renderer; NULL is a no-op. Free a renderer's forks before it.
void cr_renderer_free(cr_renderer *r);
// A renderer for another thread: the same mode, parameters and renders as `r`, sharing
// its read-only set-up (volume copies, empty-space structures: nothing is rebuilt) with
// its own work buffers, so `r` and each fork may render at the same time on different
// threads (cr_render on one renderer is not re-entrant). `r` must outlive the fork. The
// ray modes fork; a mode without a fork (the mesh mode) gives NULL with CR_EINVAL.
cr_renderer *cr_renderer_fork(const cr_renderer *r);
// The parameters in use, with the automatic values the mode resolved: step_mm, tf, and
// iso (except in the DRR and MIP modes and the mesh mode given a mesh, which leave it
// as given).
const cr_render_options *cr_renderer_options(const cr_renderer *r);
// The surface mode's lit shading of a world point x with outward normal n (need not be
// unit) under a point light at `light` (world mm; the camera centre for the headlight):
// Lambert's n . (light - x) / (|n| |light - x|), 0 where negative, 1 where the normal is
// undefined, in float. (The renderer computes it in double from its hit; a warped render,
// registration/warp.h, shades its moved points with this.)
static inline float cr_render_surface_shade(const float n[3], const float x[3],
                                            const double light[3]) {
  const float l0 = (float)light[0] - x[0], l1 = (float)light[1] - x[1], l2 = (float)light[2] - x[2];
  const float nn = n[0] * n[0] + n[1] * n[1] + n[2] * n[2];
  const float c = (n[0] * l0 + n[1] * l1 + n[2] * l2) / sqrtf(nn * (l0 * l0 + l1 * l1 + l2 * l2));
  return c != c ? 1.0f : (c > 0 ? c : 0.0f);
}
// Samples taken by the last cr_render call (ray modes; 0 for the mesh mode; for
// benchmarks).
double cr_renderer_last_samples(const cr_renderer *r);

// Renders one frame seen by `cam` at pose cam_from_world. Per-camera work is cached for
// the last 8 distinct cameras; a new camera's is the only allocation. Fails with
// CR_EINVAL on a bad camera, an output of the wrong size or channels, or an output the
// mode does not make (the message names the mode and the output). Ray modes: OpenMP
// over 16x16 pixel tiles.
int cr_render(cr_renderer *r, const cr_camera *cam, const cr_pose *cam_from_world,
              const cr_render_out *out);

// The world points of the visible surface for a view (modes with surface points:
// surface, probe, mesh; CR_EINVAL otherwise), taking every `stride_px` pixel in u and v.
// Writes up to `max_points` points into xyz (3 per point; may be NULL), their count into
// *n_points and their centroid into centroid (may be NULL). Fails with CR_EEMPTY when no
// pixel sees the surface.
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
                      const double up[3], double spacing_mm, cr_render_interp interp, float outside,
                      cr_image *out, double world_from_pixel[4][4]);

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
