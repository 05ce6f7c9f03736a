// Triangle meshes of the brain surface: extraction (marching cubes), clean-up (largest
// component, Taubin smoothing, normals), the cortex mesh of an MRI in one call, files (PLY, STL,
// OBJ, legacy VTK), a z-buffer rasterizer through the OpenCV camera model, a volume probe along the
// normals, photo texture and flat maps.
//
// Vertices are in world RAS+ millimetres (the frame of cr_volume). Triangles are wound
// counter-clockwise seen from outside: the face normal (b - a) x (c - a) points out of
// the object (towards lower intensities for an iso-surface of a bright object).
#ifndef CR_MESH_H
#define CR_MESH_H

#include "core/camera.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_mesh {
  int n_vertices, n_triangles;
  float *xyz;    // 3 per vertex, world RAS mm
  float *normal; // 3 per vertex (unit, outward) or NULL
  float *scalar; // 1 per vertex or NULL
  uint8_t *rgb;  // 3 per vertex (0..255) or NULL
  int32_t *tri;  // 3 vertex indices per triangle
} cr_mesh;

// ---- mesh.c: container and clean-up ----

// A mesh with room for nv vertices and nt triangles (xyz and tri allocated, contents
// zero; normal/scalar/rgb NULL). NULL (with an error) on bad sizes or lack of memory.
cr_mesh *cr_mesh_new(int n_vertices, int n_triangles);
// Releases the mesh; NULL is a no-op.
void cr_mesh_free(cr_mesh *m);
// A deep copy, or NULL on lack of memory.
cr_mesh *cr_mesh_clone(const cr_mesh *m);
// Allocates (zero) the optional per-vertex arrays if absent; CR_ENOMEM on failure.
int cr_mesh_alloc_normals(cr_mesh *m);
int cr_mesh_alloc_scalars(cr_mesh *m);
int cr_mesh_alloc_colours(cr_mesh *m);
// Checks every triangle index is in range; CR_EFORMAT naming the first bad triangle.
int cr_mesh_validate(const cr_mesh *m);
// Area-weighted vertex normals from the triangle winding (allocates m->normal).
int cr_mesh_compute_normals(cr_mesh *m);
// Total surface area (mm^2) and enclosed signed volume (mm^3; positive for a closed
// outward-wound mesh).
double cr_mesh_area(const cr_mesh *m);
double cr_mesh_volume(const cr_mesh *m);
// Number of edges used by a number of triangles other than 2 (0 for a closed
// edge-manifold mesh), and of edges used twice in the same direction (0 when the
// winding is consistent). Either pointer may be NULL. CR_ENOMEM on failure.
int cr_mesh_edge_check(const cr_mesh *m, long *open_or_nonmanifold, long *misoriented);
// Keeps only the connected component (through shared vertices) with the most
// triangles; unused vertices are dropped. *n_components (may be NULL) gets the count.
int cr_mesh_keep_largest_component(cr_mesh *m, int *n_components);
// Edge-connected components: triangles of area > min_area_mm2 that share an edge are in
// one component (triangles meeting only at a vertex are not; smaller triangles belong to
// none, label -1). label (may be NULL) gets one per triangle, 0..*n_components-1.
int cr_mesh_edge_components(const cr_mesh *m, double min_area_mm2, int32_t *label,
                            int *n_components);
// Keeps the edge-connected component (cr_mesh_edge_components) with the largest area;
// triangles of area <= min_area_mm2 and unused vertices are dropped. *n_components (may
// be NULL) gets the count before. What a conformal flat map needs.
int cr_mesh_keep_largest_edge_component(cr_mesh *m, double min_area_mm2, int *n_components);
// Morphological opening of an open patch: erodes it by `rings` rings of triangles (those
// touching the boundary), keeps the largest edge-connected piece, dilates that back by
// `rings` rings inside the original patch and keeps the largest edge-connected piece.
// Cuts strips and necks narrower than about 2 * rings edges, which a conformal map would
// blow up or shrink. A patch thinner than that is opened by as many rings as leave some
// of it. *n_removed (may be NULL) gets the triangles dropped. CR_EEMPTY on an empty mesh.
int cr_mesh_keep_open_patch(cr_mesh *m, int rings, int *n_removed);
// Keeps the triangles with keep[t] != 0 and the vertices they use (attributes follow).
int cr_mesh_keep_triangles(cr_mesh *m, const uint8_t *keep);
// Taubin lambda/mu smoothing (umbrella operator, uniform weights): `iterations` pairs
// of a shrinking step (lambda > 0) and an inflating step (mu < -lambda). Typical
// lambda 0.5, mu -0.53 (pass-band k = 1/lambda + 1/mu ~ 0.1). Normals are recomputed
// if present.
int cr_mesh_smooth_taubin(cr_mesh *m, int iterations, double lambda, double mu);
// Vertex-clustering decimation: vertices in the same cube of `cell_mm` (a grid aligned
// with the bounding box) merge into their mean (attributes averaged, normals
// recomputed if present); triangles that collapse or repeat are dropped. Fast and
// good for rendering; the result may be non-manifold where thin parts collapse.
int cr_mesh_decimate_cluster(cr_mesh *m, double cell_mm);
// Applies an affine 4x4 (row-major) to the vertices; normals are transformed by the
// inverse transpose, and the winding is reversed when det < 0 so it stays outward.
int cr_mesh_transform(cr_mesh *m, const double M[4][4]);

// ---- marching_cubes.c ----

// Marching cubes on `vol` at `iso`: a voxel is inside when its value > iso. Vertices
// interpolated linearly on grid edges, welded (one vertex per grid edge), in world mm
// via world_from_voxel; triangles wound outward for any grid orientation (det < 0
// too). Face ambiguities are resolved the same way on both sides of every face
// (inside corners separated), so the mesh is closed wherever the surface does not
// leave the grid. Voxels outside the grid count as outside only when `close_border`
// is set (then the surface is closed at the grid boundary too). CR_EEMPTY if no
// surface crosses the grid.
int cr_mesh_marching_cubes(const cr_volume *vol, float iso, int close_border, cr_mesh **out);

// ---- mesh_io_*.c: files ----

typedef enum cr_mesh_space { CR_MESH_LPS = 0, CR_MESH_RAS = 1 } cr_mesh_space;
// Writes by the extension: .ply (binary little-endian, or ASCII with `ascii`), .stl
// (binary; geometry only), .obj (vertices, normals, colours as "v x y z r g b"), .vtk
// (legacy ASCII polydata with normals, scalars, colours). Coordinates are written in
// `space` and the file says so with "SPACE=LPS" / "SPACE=RAS" in its header comment,
// which 3D Slicer (>= 4.11) reads; Slicer assumes LPS when there is no tag, so LPS is
// the safe default. Atomic.
int cr_mesh_write(const char *path, const cr_mesh *m, cr_mesh_space space, int ascii);
// Reads any of these formats (PLY ascii / binary little- or big-endian; STL binary or
// ASCII) back into world RAS mm: a "SPACE=RAS" tag means RAS, otherwise LPS (as
// Slicer). Polygons are fan-triangulated. *space_found (may be NULL) gets the space.
int cr_mesh_read(const char *path, cr_mesh **out, cr_mesh_space *space_found);

// ---- raster.c: z-buffer rasterizer ----

// Per-pixel visibility buffer of one rendering: the nearest triangle, its camera depth
// and perspective-correct barycentric weights, from which images are resolved.
typedef struct cr_mesh_raster {
  int width, height;
  float *depth;     // z in the camera frame, mm; INFINITY where no triangle
  int32_t *tri;     // triangle index, -1 where none
  float *bary;      // 2 per pixel: weights of the triangle's 2nd and 3rd vertex
  int vtx_capacity; // vertices the workspaces below hold
  uint64_t *cell;   // workspace: 1 per vertex, pixel-centre cell keys of u (high) and v (low)
  struct cr_raster_vtx *vtx; // workspace: 1 per vertex (fixed-point u, v; z, 1/z: see raster.c)
  int n_extra;               // workspace: z-buffers of threads 1.. (thread 0 uses the above)
  float *extra_depth, *extra_bary;
  int32_t *extra_tri;
} cr_mesh_raster;

cr_mesh_raster *cr_mesh_raster_new(int width, int height);
void cr_mesh_raster_free(cr_mesh_raster *r);

typedef struct cr_mesh_raster_options {
  int cull_backfaces; // skip triangles facing away (closed outward meshes only)
  double near_mm;     // triangles with a vertex nearer than this are skipped (> 0)
} cr_mesh_raster_options;
cr_mesh_raster_options cr_mesh_raster_defaults(void); // cull on, near 1 mm

// Rasterizes `m` (a valid mesh: see cr_mesh_validate; the meshes of the reader and of
// marching cubes are) through `cam` (lens distortion applied to the vertices; triangles are
// straight in the distorted image) at pose cam_from_world. The raster size must be the
// camera's. Pixels are covered when their centre is inside (top-left fill rule on
// vertices snapped to 1/4096 px, with exact integer edge functions, so shared edges are
// covered exactly once). OpenMP: threads draw batches of triangles into their own
// z-buffers, then the buffers are merged; the result does not depend on the thread
// count (ties in depth go to the lower index). The projection is the same model as
// cr_camera_project, evaluated in float.
int cr_mesh_rasterize(cr_mesh_raster *r, const cr_mesh *m, const cr_camera *cam,
                      const cr_pose *cam_from_world, const cr_mesh_raster_options *opts);
// The rasterizer draws most triangles of a dense mesh with an AVX2 kernel when the CPU
// has AVX2 (checked at run time), bit-identical to its scalar path.
// cr_mesh_raster_set_simd(0) selects the scalar path for the whole process, (1) the
// kernel again if the CPU has it (not thread-safe: call it before rasterizing; tests and
// benchmarks compare the two). Returns whether the kernel is used from now on.
int cr_mesh_raster_set_simd(int enable);
// Where vertex v of the mesh last rasterized with r lands: u, v in pixels (as the
// rasterizer used them: snapped to 1/4096 px, within +-2^17 px) and z, its camera
// depth in mm; z <= 0 (and u = v = 0) when it is nearer than the near plane.
void cr_mesh_raster_vertex(const cr_mesh_raster *r, int v, float uvz[3]);
// The pixels a raster covers: hit[i] = 1 where a triangle covers pixel i (row-major,
// width*height bytes), else 0. hit may be NULL. Returns the number of covered pixels.
long cr_mesh_raster_hit_mask(const cr_mesh_raster *r, unsigned char *hit);

// What cr_mesh_raster_resolve_all writes; every output may be NULL, images must match
// the raster's size. Values are perspective-correct interpolations over the triangle
// that covers the pixel; a pixel no triangle covers (or that pixel_mask leaves out)
// gets the miss values.
typedef struct cr_mesh_raster_outputs {
  cr_image *shade;    // 1 ch: headlight |n . view| (n as in `normal`)
  cr_image *attr;     // 1 ch: vertex scalars (the mesh must have them); 3 ch: vertex colours 0..255
  cr_image *depth;    // 1 ch: z in the camera frame, mm
  cr_image *xyz;      // 3 ch: world mm; NaN on a miss
  cr_image *normal;   // 3 ch: unit outward normal (world): the interpolated vertex normals, or
                      // the face normal of a mesh without normals; NaN on a miss
  unsigned char *hit; // width*height bytes: 1 on the mesh, 0 on a miss
  const unsigned char *pixel_mask; // optional, width*height: pixels where it is 0 are misses
  float miss_shade, miss_attr, miss_depth; // values of shade, attr and depth on a miss
} cr_mesh_raster_outputs;

// Resolves every requested output of a raster of `m` (seen at cam_from_world) in one
// pass. CR_EINVAL on an image of the wrong size or channels, or attr without the vertex
// scalars or colours it needs.
int cr_mesh_raster_resolve_all(const cr_mesh_raster *r, const cr_mesh *m,
                               const cr_pose *cam_from_world, const cr_mesh_raster_outputs *out);

// Resolves images from a raster of `m` (each may be NULL; sizes must match the raster):
// shade (1 ch: headlight |n . view| with interpolated normals, 0 background), depth
// (1 ch, mm, NaN background), xyz (3 ch world mm, NaN background), attr (1 ch: vertex
// scalars, 3 ch: vertex colours 0..255; NaN background). Perspective-correct. The same as
// cr_mesh_raster_resolve_all with those misses.
int cr_mesh_raster_resolve(const cr_mesh_raster *r, const cr_mesh *m, const cr_pose *cam_from_world,
                           cr_image *shade, cr_image *depth, cr_image *xyz, cr_image *attr);

// ---- probe_texture.c ----

typedef enum cr_mesh_probe_mode { CR_PROBE_MAX = 0, CR_PROBE_MEAN = 1 } cr_mesh_probe_mode;
// Per-vertex scalar: the max or mean of the volume sampled (trilinear) along the inward
// normal from 0 to depth_mm in steps of step_mm (computes normals if absent). Samples
// up to one voxel beyond the volume's footprint (voxel centres +- half a voxel) take the
// value on its boundary; samples further out are ignored; a vertex with none gets NaN.
int cr_mesh_probe(cr_mesh *m, const cr_volume *vol, double depth_mm, double step_mm,
                  cr_mesh_probe_mode mode);
// Colours every vertex visible in `photo` (RGB or grey; values 0..255) taken by `cam`
// at cam_from_world: visible when it projects inside the image and its depth is within
// tol_mm of the z-buffer there. Visible vertices get the bilinear photo colour; others
// keep their colour (grey 128 if the mesh had none). *n_visible may be NULL.
int cr_mesh_texture(cr_mesh *m, const cr_image *photo, const cr_camera *cam,
                    const cr_pose *cam_from_world, double tol_mm, int *n_visible);
// The same, colouring only vertices whose projection's nearest pixel is non-zero in
// channel 0 of `mask` (the photo's size; NULL = every pixel): bone, drapes and
// instruments outside the mask leave the mesh as it was. *n_visible counts coloured ones.
int cr_mesh_texture_masked(cr_mesh *m, const cr_image *photo, const cr_image *mask,
                           const cr_camera *cam, const cr_pose *cam_from_world, double tol_mm,
                           int *n_visible);
// Whether image point (x, y) (pixels, centres at integers) falls on a non-zero pixel of
// channel 0 of `mask` (nearest pixel; 0 outside the image).
int cr_mesh_mask_at(const cr_image *mask, double x, double y);

// ---- cortex.c: the cortex mesh of a brain MRI ----

typedef struct cr_mesh_cortex_options {
  double iso;                    // marching-cubes level; NaN = cr_volume_otsu_level (automatic)
  int smooth_iterations;         // Taubin iterations (lambda 0.5, mu -0.53); 0 = none
  double probe_depth_mm;         // per-vertex probe along the inward normal; 0 = none
  double probe_step_mm;          // probe sampling step (> 0)
  cr_mesh_probe_mode probe_mode; // max or mean over the probe
} cr_mesh_cortex_options;

// Defaults: automatic iso, 5 Taubin iterations, probe max over 0..3 mm in 0.25 mm steps.
cr_mesh_cortex_options cr_mesh_cortex_defaults(void);

// The cortex mesh of `vol`: marching cubes at the iso level (voxels outside the grid
// count as outside, so the mesh is closed), the largest connected component, Taubin
// smoothing, vertex normals and (if probe_depth_mm > 0) probe scalars in m->scalar.
// NULL opt means the defaults. *iso_used (may be NULL) gets the level. A new mesh in
// *out (NULL on failure). CR_EEMPTY when no surface crosses the volume at that level,
// CR_EINVAL on bad options.
int cr_mesh_build_cortex(const cr_volume *vol, const cr_mesh_cortex_options *opt, cr_mesh **out,
                         double *iso_used);

// ---- distance.c ----

typedef struct cr_mesh_distance {
  double mean_a_to_b, mean_b_to_a; // mean over the vertices of one of the distance to the other
  double mean;                     // symmetric mean surface distance: the average of the two
  double rms;                      // root of the mean of the squared distances, both ways
  double max_a_to_b, max_b_to_a, hausdorff; // maxima (the Hausdorff distance of the vertices)
} cr_mesh_distance;
// Distances between two surfaces (mm): from every vertex of one to the nearest point on a
// triangle of the other, both ways. CR_EEMPTY if a mesh is empty.
int cr_mesh_surface_distance(const cr_mesh *a, const cr_mesh *b, cr_mesh_distance *out);

// ---- flatmap.c ----

typedef enum cr_flat_method {
  CR_FLAT_PLANAR = 0, // projection onto the camera's x-y axes
  CR_FLAT_LSCM = 1,   // spectral conformal map
  CR_FLAT_ARAP = 2    // the conformal map, then local/global steps (ARAP or hybrid)
} cr_flat_method;
typedef struct cr_flat_options {
  cr_flat_method method;
  double arap_lambda;  // CR_FLAT_ARAP: scale term weight (INFINITY: ARAP, 0: conformal)
  int arap_iterations; // CR_FLAT_ARAP: at most this many local/global steps
} cr_flat_options;
typedef struct cr_flat_stats {
  double area_scale;       // total flat area / total surface area
  double area_distortion;  // area-weighted mean |ln(local area ratio / area_scale)|
  double angle_distortion; // area-weighted mean |ln(sigma1 / sigma2)| (0: conformal)
  double max_angle_ratio;  // max sigma1 / sigma2 over triangles
  int n_vertices, n_triangles;
  int iterations;      // 0: LSCM is solved directly (kept for callers of the former CG)
  int converged;       // 1 when the map was computed
  int n_flipped;       // non-degenerate triangles whose flat orientation differs from the map's
  int arap_iterations; // local/global steps done (CR_FLAT_ARAP)
  int arap_fold_stop;  // 1: a step was shortened or refused because it folded a triangle
} cr_flat_stats;
// Defaults: planar, lambda INFINITY (ARAP), 100 iterations.
cr_flat_options cr_flat_defaults(void);
// Flattens the mesh (a patch of any shape: holes and ragged boundaries are fine) into
// uv (2 per vertex, mm): planar projection onto the camera's x-y axes (along the view
// direction); LSCM: the spectral conformal map (least-squares conformal energy of Levy
// et al. 2002 with the free boundary of Mullen et al. 2008, CHOLMOD sparse Cholesky);
// ARAP: that map, then local/global steps (Liu et al. 2008) of the ARAP (lambda
// INFINITY) or ARAP/ASAP hybrid energy (lambda > 0; 0 = no steps) with the stiffness
// matrix factored once, stopping before a step that would fold a triangle. Every
// non-planar map is then scaled to the total surface area and turned onto the planar
// map. LSCM/ARAP need one edge-connected piece (CR_EINVAL otherwise: pieces joined only
// at a vertex would turn freely; see cr_mesh_keep_largest_edge_component). Vertices used
// by no non-degenerate triangle get the planar position. Deterministic, independent of
// the thread count.
int cr_mesh_flatten(const cr_mesh *m, const cr_pose *cam_from_world, cr_flat_method method,
                    double *uv, cr_flat_stats *stats);
// Same with options (NULL: cr_flat_defaults()). CR_FLAT_ARAP: see flatmap.c's arap_refine.
int cr_mesh_flatten_opt(const cr_mesh *m, const cr_pose *cam_from_world, const cr_flat_options *opt,
                        double *uv, cr_flat_stats *stats);
// Distortion statistics of a given flat map (fills all fields but iterations).
void cr_mesh_flat_stats(const cr_mesh *m, const double *uv, cr_flat_stats *stats);
// Paints the flat map into an image with `pixel_mm` pixels: vertex colours (3 ch) if
// the mesh has them, else scalars, else 1 (coverage); NaN where no triangle. The image
// is allocated (at most 8192 pixels a side, CR_EINVAL beyond); uv_origin[2] (may be
// NULL) gets the flat coordinate (mm) of pixel (0,0).
int cr_mesh_flat_image(const cr_mesh *m, const double *uv, double pixel_mm, cr_image **out,
                       double uv_origin[2]);

#ifdef __cplusplus
}
#endif
#endif
