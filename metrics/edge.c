// Edge distance: the symmetric mean chamfer distance (px) between the Canny edges of
// the fixed and the moving image,
//   edge = ( mean over moving edges of d_F + mean over fixed edges of d_M ) / 2,
// d_X the Euclidean distance transform of X's edges (OpenCV through core/imgproc.h).
// Each image is mapped to 0..255 by its min..max over the valid pixels, invalid pixels
// are filled with 0 before Canny, and only edge pixels whose 3x3 neighbourhood is valid
// count (so the content outside the mask never matters). Distances are capped at the
// image diagonal, which is also the value when one side has no edge. 0 at M = F;
// smaller is better. Unlike the other metrics, each evaluation runs Canny and a distance
// transform inside OpenCV (which allocates), and redoes the fixed side when the moving
// image has NaNs inside the mask.
#include "core/imgproc.h"
#include "metrics/internal.h"

#include <stdlib.h>

typedef struct edge_state {
  cr_image *norm;         // workspace: image mapped to 0..255, 0 outside the region
  unsigned char *fe, *me; // fixed / moving edges in the 3x3-valid region
  float *fd, *md;         // distance to the fixed / moving edges
  unsigned char *fe_cur;  // fixed edges for a region reduced by moving NaNs
  float *fd_cur;
  long nfe;  // fixed edges counted (precomputed region)
  float cap; // image diagonal
} edge_state;

// Canny of src (row stride `stride`) over `region`, kept where region3, then the
// distance transform. *count gets the number of edge pixels.
static int edges_and_distance(const cr_metric *m, edge_state *s, const float *src, size_t stride,
                              const unsigned char *region, const unsigned char *region3,
                              unsigned char *edges, float *dist, long *count) {
  int w = m->width, h = m->height;
  float lo = INFINITY, hi = -INFINITY;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (region[(size_t)y * w + x]) {
        float v = src[(size_t)y * stride + x];
        lo = v < lo ? v : lo, hi = v > hi ? v : hi;
      }
  float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
  for (int y = 0; y < h; y++) {
    float *d = cr_image_row(s->norm, y);
    for (int x = 0; x < w; x++)
      d[x] = region[(size_t)y * w + x] ? (src[(size_t)y * stride + x] - lo) * scale : 0.0f;
  }
  int rc = cr_canny(s->norm, 1.0, m->opt.canny_low, m->opt.canny_high, edges);
  if (rc) return rc;
  long n = 0;
  for (size_t i = 0; i < (size_t)w * h; i++) {
    edges[i] = region3[i] && edges[i] ? 255 : 0;
    n += edges[i] != 0;
  }
  *count = n;
  return cr_distance_to_features(edges, w, h, dist);
}

static int edge_create(cr_metric *m) {
  edge_state *s = calloc(1, sizeof *s);
  if (!s) return cr_error(CR_ENOMEM, "metric edge: out of memory");
  m->state = s;
  size_t n = (size_t)m->width * m->height;
  s->norm = cr_image_new(m->width, m->height, 1);
  s->fe = malloc(n), s->me = malloc(n), s->fe_cur = malloc(n);
  s->fd = malloc(n * sizeof(float)), s->md = malloc(n * sizeof(float));
  s->fd_cur = malloc(n * sizeof(float));
  if (!s->norm || !s->fe || !s->me || !s->fe_cur || !s->fd || !s->md || !s->fd_cur)
    return cr_error(CR_ENOMEM, "metric edge: out of memory");
  s->cap = (float)hypot(m->width, m->height);
  return edges_and_distance(m, s, m->fixed, (size_t)m->width, m->valid, m->valid3, s->fe, s->fd,
                            &s->nfe);
}

static void edge_destroy(cr_metric *m) {
  edge_state *s = m->state;
  if (!s) return;
  cr_image_free(s->norm);
  free(s->fe), free(s->me), free(s->fe_cur), free(s->fd), free(s->md), free(s->fd_cur);
  free(s);
}

// Mean of dist over the set pixels of edges, capped; cap when there are none.
static double mean_distance(const unsigned char *edges, const float *dist, size_t n, float cap) {
  double acc = 0;
  long cnt = 0;
  for (size_t i = 0; i < n; i++)
    if (edges[i]) acc += dist[i] < cap ? dist[i] : cap, cnt++;
  return cnt ? acc / (double)cnt : cap;
}

static int edge_eval(cr_metric *m, const cr_image *moving, double *value) {
  long n = mx_current_valid(m, moving);
  if (!n) return cr_error(CR_EEMPTY, "metric edge: no valid pixel");
  mx_current_valid3(m);
  edge_state *s = m->state;
  const unsigned char *fe = s->fe;
  const float *fd = s->fd;
  long cnt;
  int rc;
  if (n != m->n_valid) { // NaNs in the moving image shrink the region: redo the fixed side
    rc = edges_and_distance(m, s, m->fixed, (size_t)m->width, m->cur, m->cur3, s->fe_cur, s->fd_cur,
                            &cnt);
    if (rc) return rc;
    fe = s->fe_cur, fd = s->fd_cur;
  }
  rc = edges_and_distance(m, s, moving->data, moving->stride, m->cur, m->cur3, s->me, s->md, &cnt);
  if (rc) return rc;
  size_t np = (size_t)m->width * m->height;
  *value = 0.5 * (mean_distance(s->me, fd, np, s->cap) + mean_distance(fe, s->md, np, s->cap));
  return CR_OK;
}

const cr_metric_type mx_edge_type = {"edge",    "symmetric chamfer distance of Canny edges (px)",
                                     0,         edge_create,
                                     edge_eval, edge_destroy};
