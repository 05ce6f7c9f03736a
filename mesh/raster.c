// Z-buffer rasterizer: vertices projected through the OpenCV camera (with distortion),
// triangles filled in the distorted image with perspective-correct barycentrics. The
// raster keeps, per pixel, the nearest triangle and its barycentrics (a visibility
// buffer); images are resolved from it afterwards.
#include "mesh/mesh.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

cr_mesh_raster *cr_mesh_raster_new(int width, int height) {
  if (width <= 0 || height <= 0 || width > 32768 || height > 32768) {
    cr_error(CR_EINVAL, "mesh raster: bad size %dx%d", width, height);
    return NULL;
  }
  cr_mesh_raster *r = calloc(1, sizeof *r);
  size_t n = (size_t)width * height;
  if (r) {
    r->width = width, r->height = height;
    r->depth = malloc(n * sizeof(float));
    r->tri = malloc(n * sizeof(int32_t));
    r->bary = malloc(2 * n * sizeof(float));
  }
  if (!r || !r->depth || !r->tri || !r->bary) {
    cr_mesh_raster_free(r);
    cr_error(CR_ENOMEM, "mesh raster: out of memory");
    return NULL;
  }
  return r;
}

void cr_mesh_raster_free(cr_mesh_raster *r) {
  if (!r) return;
  free(r->depth), free(r->tri), free(r->bary), free(r->proj);
  free(r->extra_depth), free(r->extra_tri), free(r->extra_bary);
  free(r);
}

cr_mesh_raster_opts cr_mesh_raster_defaults(void) {
  return (cr_mesh_raster_opts){.cull_backfaces = 1, .near_mm = 1.0};
}

// The camera model of cr_camera_project (OpenCV pinhole + k1 k2 p1 p2 k3) in float,
// written out so the loop vectorizes.
static void project_vertices(cr_mesh_raster *r, const cr_mesh *m, const cr_camera *cam,
                             const cr_pose *pose, double near_mm) {
  float *proj = r->proj;
  const float *xyz = m->xyz;
  int nv = m->n_vertices;
  float R[9], t[3], k1 = (float)cam->dist[0], k2 = (float)cam->dist[1], p1 = (float)cam->dist[2],
                    p2 = (float)cam->dist[3], k3 = (float)cam->dist[4];
  float fx = (float)cam->fx, fy = (float)cam->fy, cx = (float)cam->cx, cy = (float)cam->cy, zn = (float)near_mm;
  for (int i = 0; i < 9; i++) R[i] = (float)pose->R[i / 3][i % 3];
  for (int i = 0; i < 3; i++) t[i] = (float)pose->t[i];
#pragma omp parallel for schedule(static)
  for (int v = 0; v < nv; v++) {
    const float *p = xyz + 3 * (size_t)v;
    float X = R[0] * p[0] + R[1] * p[1] + R[2] * p[2] + t[0];
    float Y = R[3] * p[0] + R[4] * p[1] + R[5] * p[2] + t[1];
    float Z = R[6] * p[0] + R[7] * p[1] + R[8] * p[2] + t[2];
    float iz = 1.0f / Z, x = X * iz, y = Y * iz, r2 = x * x + y * y;
    float radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
    float xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
    float yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
    float *o = proj + 3 * (size_t)v;
    int ok = Z >= zn;
    o[0] = ok ? fx * xd + cx : 0, o[1] = ok ? fy * yd + cy : 0, o[2] = ok ? Z : -1;
  }
}

// Edge (a -> b) owns pixels exactly on it when it points "down" or, if horizontal,
// right; the neighbour triangle walks the shared edge the other way, so exactly one of
// the two covers a pixel centre lying on it.
static inline int edge_owns(double dx, double dy) { return dy > 0 || (dy == 0 && dx > 0); }

static inline float min3f(float a, float b, float c) {
  float m = a < b ? a : b;
  return m < c ? m : c;
}
static inline float max3f(float a, float b, float c) {
  float m = a > b ? a : b;
  return m > c ? m : c;
}
// ceil of a positive float that fits an int.
static inline int ceil_pos(float x) {
  int i = (int)x;
  return (float)i < x ? i + 1 : i;
}

typedef struct zbuf {
  float *depth, *bary;
  int32_t *tri;
} zbuf;

static void raster_triangle(const cr_mesh_raster *r, zbuf zb, const cr_mesh *m, int32_t t, int cull) {
  const int32_t *id = m->tri + 3 * (size_t)t;
  const float *p0 = r->proj + 3 * (size_t)id[0], *p1 = r->proj + 3 * (size_t)id[1],
              *p2 = r->proj + 3 * (size_t)id[2];
  if (p0[2] <= 0 || p1[2] <= 0 || p2[2] <= 0) return;
  // Cheap float pre-cull of clearly back-facing triangles; the exact test follows.
  float af = (p1[0] - p0[0]) * (p2[1] - p0[1]) - (p1[1] - p0[1]) * (p2[0] - p0[0]);
  if (cull && af > 1e-3f) return;
  // Plain comparisons, not fminf/ceilf: those are library calls without -ffast-math.
  float vmin = min3f(p0[1], p1[1], p2[1]), vmax = max3f(p0[1], p1[1], p2[1]);
  float umin = min3f(p0[0], p1[0], p2[0]), umax = max3f(p0[0], p1[0], p2[0]);
  // Reject before any int conversion (also NaN); then the box of pixel centres.
  if (!(vmax >= 0.0f && vmin <= (float)(r->height - 1) && umax >= 0.0f && umin <= (float)(r->width - 1))) return;
  int ya = vmin <= 0.0f ? 0 : ceil_pos(vmin), yb = vmax >= (float)(r->height - 1) ? r->height - 1 : (int)vmax;
  int xa = umin <= 0.0f ? 0 : ceil_pos(umin), xb = umax >= (float)(r->width - 1) ? r->width - 1 : (int)umax;
  if (ya > yb || xa > xb) return; // no pixel centre inside the box (most tiny triangles)
  double u[3] = {p0[0], p1[0], p2[0]}, v[3] = {p0[1], p1[1], p2[1]}, z[3] = {p0[2], p1[2], p2[2]};
  double area = (u[1] - u[0]) * (v[2] - v[0]) - (v[1] - v[0]) * (u[2] - u[0]);
  if (area == 0 || (cull && area > 0)) return; // area < 0: facing the camera
  int i1 = 1, i2 = 2; // vertex order with positive area
  if (area < 0) i1 = 2, i2 = 1, area = -area;
  double inv_area = 1.0 / area, iz[3] = {1.0 / z[0], 1.0 / z[1], 1.0 / z[2]};
  int ord[3] = {0, i1, i2};
  double A[3], B[3], Cc[3], sgn[3];
  int own[3];
  for (int e = 0; e < 3; e++) {
    int a = ord[(e + 1) % 3], b = ord[(e + 2) % 3]; // edge a -> b, opposite ord[e]
    own[e] = edge_owns(u[b] - u[a], v[b] - v[a]);
    // Canonical direction (lower vertex id first): both triangles of the edge compute
    // bit-identical values, with opposite signs.
    int lo = id[a] < id[b] ? a : b, hi = lo == a ? b : a;
    sgn[e] = lo == a ? 1 : -1;
    A[e] = -(v[hi] - v[lo]), B[e] = u[hi] - u[lo], Cc[e] = -(A[e] * u[lo] + B[e] * v[lo]);
  }
  for (int y = ya; y <= yb; y++) {
    size_t row = (size_t)y * r->width;
    for (int x = xa; x <= xb; x++) {
      double w[3];
      int in = 1;
      for (int e = 0; e < 3 && in; e++) {
        w[e] = sgn[e] * (A[e] * x + B[e] * y + Cc[e]);
        in = w[e] > 0 || (w[e] == 0 && own[e]);
      }
      if (!in) continue;
      double l[3]; // screen barycentrics of the original vertices 0, 1, 2
      l[0] = w[0] * inv_area, l[i1] = w[1] * inv_area, l[i2] = w[2] * inv_area;
      double zd = 1.0 / (l[0] * iz[0] + l[1] * iz[1] + l[2] * iz[2]);
      float zz = (float)zd;
      size_t i = row + (size_t)x;
      if (zz > zb.depth[i] || (zz == zb.depth[i] && t > zb.tri[i])) continue;
      zb.depth[i] = zz, zb.tri[i] = t;
      zb.bary[2 * i] = (float)(l[1] * iz[1] * zd);
      zb.bary[2 * i + 1] = (float)(l[2] * iz[2] * zd);
    }
  }
}

// Room for `n` extra thread z-buffers.
static int reserve_extra(cr_mesh_raster *r, int n) {
  if (n <= r->n_extra) return 0;
  size_t px = (size_t)r->width * r->height * (size_t)n;
  float *d = realloc(r->extra_depth, px * sizeof(float)), *b = d ? realloc(r->extra_bary, 2 * px * sizeof(float)) : NULL;
  if (d) r->extra_depth = d;
  if (b) r->extra_bary = b;
  int32_t *t = b ? realloc(r->extra_tri, px * sizeof(int32_t)) : NULL;
  if (t) r->extra_tri = t;
  if (!d || !b || !t) return cr_error(CR_ENOMEM, "mesh raster: out of memory for thread buffers");
  r->n_extra = n;
  return 0;
}

static zbuf buffer_of(const cr_mesh_raster *r, int k) {
  if (k == 0) return (zbuf){r->depth, r->bary, r->tri};
  size_t off = (size_t)r->width * r->height * (size_t)(k - 1);
  return (zbuf){r->extra_depth + off, r->extra_bary + 2 * off, r->extra_tri + off};
}

int cr_mesh_rasterize(cr_mesh_raster *r, const cr_mesh *m, const cr_camera *cam,
                      const cr_pose *cam_from_world, const cr_mesh_raster_opts *opts) {
  cr_mesh_raster_opts o = opts ? *opts : cr_mesh_raster_defaults();
  if (cam->width != r->width || cam->height != r->height)
    return cr_error(CR_EINVAL, "mesh raster: raster %dx%d but camera %dx%d", r->width, r->height,
                    cam->width, cam->height);
  if (!(o.near_mm > 0)) return cr_error(CR_EINVAL, "mesh raster: near plane must be > 0 mm");
  int rc = cr_camera_validate(cam);
  if (rc) return rc;
  if (r->proj_capacity < m->n_vertices) {
    float *p = realloc(r->proj, ((size_t)m->n_vertices * 3 + 1) * sizeof(float));
    if (!p) return cr_error(CR_ENOMEM, "mesh raster: out of memory for %d vertices", m->n_vertices);
    r->proj = p, r->proj_capacity = m->n_vertices;
  }
  int max_threads = 1;
#ifdef _OPENMP
  max_threads = omp_get_max_threads();
#endif
  if (max_threads > 64) max_threads = 64;
  // Below ~8k triangles per thread, threads cost more than they save.
  if (m->n_triangles < 8192 * max_threads) max_threads = 1 + m->n_triangles / 8192;
  if (max_threads > 64) max_threads = 64;
  if ((rc = reserve_extra(r, max_threads - 1))) return rc;
  project_vertices(r, m, cam, cam_from_world, o.near_mm);
  int nt = m->n_triangles, used = 1;
  long npx = (long)r->width * r->height;
#pragma omp parallel num_threads(max_threads)
  {
    int nth = 1, me = 0;
#ifdef _OPENMP
    nth = omp_get_num_threads(), me = omp_get_thread_num();
#endif
#pragma omp single
    used = nth;
    zbuf zb = buffer_of(r, me);
    for (long i = 0; i < npx; i++) zb.depth[i] = INFINITY, zb.tri[i] = -1;
    int32_t t0 = (int32_t)((long)nt * me / nth), t1 = (int32_t)((long)nt * (me + 1) / nth);
    for (int32_t t = t0; t < t1; t++) raster_triangle(r, zb, m, t, o.cull_backfaces);
  }
  if (used > 1) {
#pragma omp parallel for schedule(static)
    for (long i = 0; i < npx; i++)
      for (int k = 1; k < used; k++) {
        zbuf zb = buffer_of(r, k);
        float d = zb.depth[i];
        if (d < r->depth[i] || (d == r->depth[i] && zb.tri[i] >= 0 && zb.tri[i] < r->tri[i])) {
          r->depth[i] = d, r->tri[i] = zb.tri[i];
          r->bary[2 * i] = zb.bary[2 * i], r->bary[2 * i + 1] = zb.bary[2 * i + 1];
        }
      }
  }
  return 0;
}

static void resolve_pixel(const cr_mesh_raster *r, const cr_mesh *m, const double centre[3], size_t i,
                          cr_image *shade, cr_image *depth, cr_image *xyz, cr_image *attr, int x, int y) {
  int32_t t = r->tri[i];
  if (t < 0) {
    if (shade) cr_image_px(shade, x, y)[0] = 0;
    if (depth) cr_image_px(depth, x, y)[0] = NAN;
    for (int c = 0; xyz && c < 3; c++) cr_image_px(xyz, x, y)[c] = NAN;
    for (int c = 0; attr && c < attr->channels; c++) cr_image_px(attr, x, y)[c] = NAN;
    return;
  }
  const int32_t *id = m->tri + 3 * (size_t)t;
  double b[3] = {1.0 - r->bary[2 * i] - r->bary[2 * i + 1], r->bary[2 * i], r->bary[2 * i + 1]};
  double p[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++)
    for (int a = 0; a < 3; a++) p[a] += b[k] * m->xyz[3 * (size_t)id[k] + a];
  if (depth) cr_image_px(depth, x, y)[0] = r->depth[i];
  for (int a = 0; xyz && a < 3; a++) cr_image_px(xyz, x, y)[a] = (float)p[a];
  if (attr) {
    float *o = cr_image_px(attr, x, y);
    for (int c = 0; c < attr->channels; c++) {
      double s = 0;
      for (int k = 0; k < 3; k++)
        s += b[k] * (attr->channels == 1 ? m->scalar[id[k]] : m->rgb[3 * (size_t)id[k] + c]);
      o[c] = (float)s;
    }
  }
  if (shade) {
    double n[3] = {0, 0, 0}, d[3];
    if (m->normal) {
      for (int k = 0; k < 3; k++)
        for (int a = 0; a < 3; a++) n[a] += b[k] * m->normal[3 * (size_t)id[k] + a];
    } else {
      double q[3][3], e1[3], e2[3];
      for (int k = 0; k < 3; k++)
        for (int a = 0; a < 3; a++) q[k][a] = m->xyz[3 * (size_t)id[k] + a];
      cr_vec3_sub(e1, q[1], q[0]), cr_vec3_sub(e2, q[2], q[0]);
      cr_vec3_cross(n, e1, e2);
    }
    cr_vec3_normalize(n);
    cr_vec3_sub(d, p, centre);
    cr_vec3_normalize(d);
    cr_image_px(shade, x, y)[0] = (float)fabs(cr_vec3_dot(n, d));
  }
}

static int check_image(const cr_image *img, const cr_mesh_raster *r, int channels, const char *what) {
  if (!img) return 0;
  if (img->width != r->width || img->height != r->height || img->channels != channels)
    return cr_error(CR_EINVAL, "mesh raster: %s image must be %dx%d with %d channel(s)", what,
                    r->width, r->height, channels);
  return 0;
}

int cr_mesh_raster_resolve(const cr_mesh_raster *r, const cr_mesh *m, const cr_pose *cam_from_world,
                           cr_image *shade, cr_image *depth, cr_image *xyz, cr_image *attr) {
  int rc;
  if ((rc = check_image(shade, r, 1, "shade")) || (rc = check_image(depth, r, 1, "depth")) ||
      (rc = check_image(xyz, r, 3, "xyz")))
    return rc;
  if (attr) {
    if (attr->channels == 1 && !m->scalar) return cr_error(CR_EINVAL, "mesh raster: the mesh has no scalars");
    if (attr->channels == 3 && !m->rgb) return cr_error(CR_EINVAL, "mesh raster: the mesh has no colours");
    if ((rc = check_image(attr, r, attr->channels == 3 ? 3 : 1, "attribute"))) return rc;
  }
  double centre[3];
  cr_pose_camera_centre(cam_from_world, centre);
  int w = r->width, h = r->height;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      resolve_pixel(r, m, centre, (size_t)y * w + x, shade, depth, xyz, attr, x, y);
  return 0;
}
