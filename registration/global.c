// The global stage: grid search on coarse views, refinement of the best hypotheses, then
// the local pipeline from the best (see global.h).
#include "registration/global.h"

#include "registration/feature_hyp.h"

#include "core/error.h"
#include "core/mat.h"
#include "registration/param.h"
#include "registration/pyramid.h"
#include "registration/shift_search.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define DEG (M_PI / 180.0)
#define CR_REG_GLOBAL_MAX_THREADS 64 // threads the search and refinements use at most

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int cr_reg_global_level(int camera_width, int width) {
  int l = 0;
  while (l + 1 < CR_REG_MAX_LEVELS && ceil(camera_width * ldexp(1.0, -l)) > width) l++;
  return l;
}

// The reference view's mask at a level as the diameter of a disc of its area (px); the
// whole view without a mask.
static double mask_diameter_px(const cr_reg_cost *cost, int level) {
  return 2 * sqrt((double)cr_reg_cost_mask_pixels(cost, 0, level) / M_PI);
}

// The searched region, half-widths about the start (0 = not searched).
typedef struct box {
  double tilt_deg, roll_deg, trans_mm, depth_mm;
  double tilt_step, roll_step, trans_step, depth_step;
} box;

// A grid sample: its parameters about the pivot (registration/param.h) and its score.
typedef struct sample {
  double p[6];
  double score;
} sample;

// Grid values 0, +-step, +-2 step, ... within +-half (a full turn for roll: no duplicate
// of -180 and 180). Returns the count written to v (at most cap).
static int axis_values(double half, double step, int full_turn, double *v, int cap) {
  int n = 0;
  v[n++] = 0;
  if (!(half > 0) || !(step > 0)) return n;
  for (int k = 1; n + 2 <= cap; k++) {
    double x = k * step;
    if (x > half + 1e-9) break;
    if (full_turn && x >= 180 - 1e-9) {
      v[n++] = 180;
      break;
    }
    v[n++] = x, v[n++] = -x;
  }
  return n;
}

// Tilt directions: the optical axis, then rings every tilt_step up to tilt_deg with about
// 2 pi k directions on ring k (as many as keep neighbours a ring step apart).
static int tilt_values(const box *b, double (*t)[2], int cap) {
  int n = 0;
  t[n][0] = t[n][1] = 0, n++;
  if (!(b->tilt_step > 0) || !(b->tilt_deg > 0)) return n;
  for (int k = 1; k * b->tilt_step <= b->tilt_deg + 1e-9; k++) {
    int m = (int)lround(2 * M_PI * k);
    for (int j = 0; j < m && n < cap; j++) {
      double a = 2 * M_PI * (j + 0.5 * (k % 2)) / m;
      t[n][0] = k * b->tilt_step * cos(a), t[n][1] = k * b->tilt_step * sin(a), n++;
    }
  }
  return n;
}

// Parameters of a tilt (rotation about an axis in the image plane, deg components) after
// a roll about the optical axis (deg): the rotation vector of R_tilt * R_roll.
static void rotation_params(const double tilt[2], double roll_deg, double p[3]) {
  double rt[3] = {tilt[0] * DEG, tilt[1] * DEG, 0}, rr[3] = {0, 0, roll_deg * DEG};
  double Rt[3][3], Rr[3][3], R[3][3], w[3];
  cr_rotation_from_rvec(Rt, rt);
  cr_rotation_from_rvec(Rr, rr);
  cr_mat3_mul(R, (const double(*)[3])Rt, (const double(*)[3])Rr);
  cr_rvec_from_rotation(w, (const double(*)[3])R);
  for (int i = 0; i < 3; i++) p[i] = w[i] / DEG;
}

typedef struct search {
  cr_reg_cost *cost;
  cr_reg_cost *const *costs; // one per thread: costs[0] = cost, then its forks (work_threads)
  int threads;
  const cr_reg_register_options *ro;
  cr_reg_param par;
  int level;
  double focus_mm; // > 0: depth from the focus distance
} search;

// The pose of parameters p; with a focus distance, p[5] is first moved so that the
// principal ray meets the surface at the reported distance (one step is exact while the
// ray keeps hitting the same point, as a move along the optical axis does).
static int grid_pose(search *s, double p[6], cr_pose *pose) {
  *pose = cr_reg_param_to_pose(&s->par, p);
  if (!(s->focus_mm > 0)) return 0;
  double d;
  int rc = cr_reg_cost_focus_distance(s->cost, pose, &d);
  if (rc == CR_EEMPTY) return cr_error_clear(), 1; // nothing in focus: not a candidate
  if (rc) return rc;
  p[5] += s->focus_mm - d;
  *pose = cr_reg_param_to_pose(&s->par, p);
  return 0;
}

static int cmp_sample(const void *a, const void *b) {
  double x = ((const sample *)a)->score, y = ((const sample *)b)->score;
  return (x > y) - (x < y);
}

// Scores every grid pose; returns the samples sorted best first in *out (malloc'd).
static int grid_search(search *s, const box *b, sample **out, long *n_out,
                       cr_reg_global_result *g) {
  enum { CAP = 512 };
  double roll[CAP], tr[CAP], dz[CAP], (*tilt)[2] = malloc(CAP * sizeof *tilt);
  if (!tilt) return cr_error(CR_ENOMEM, "global search: out of memory");
  int nt = tilt_values(b, tilt, CAP);
  int nr = axis_values(b->roll_deg, b->roll_step, 1, roll, CAP);
  int nx = axis_values(b->trans_mm, b->trans_step, 0, tr, CAP);
  int nz = s->focus_mm > 0 ? 1 : axis_values(b->depth_mm, b->depth_step, 0, dz, CAP);
  if (s->focus_mm > 0) dz[0] = 0;
  long total = (long)nt * nr * nx * nx * nz, n = 0, done = 0;
  sample *smp = malloc((size_t)total * sizeof *smp);
  if (!smp) return free(tilt), cr_error(CR_ENOMEM, "global search: out of memory");
  int rc = 0;
  for (int it = 0; it < nt && !rc; it++)
    for (int ir = 0; ir < nr && !rc; ir++) {
      double rot[3];
      rotation_params(tilt[it], roll[ir], rot);
      for (int ix = 0; ix < nx && !rc; ix++)
        for (int iy = 0; iy < nx && !rc; iy++)
          for (int iz = 0; iz < nz && !rc; iz++, done++) {
            sample *q = &smp[n];
            double p[6] = {rot[0], rot[1], rot[2], tr[ix], tr[iy], dz[iz]};
            cr_pose pose;
            int skip = grid_pose(s, p, &pose);
            if (skip < 0) rc = skip;
            if (skip) continue;
            double c;
            if ((rc = cr_reg_cost_eval(s->level, &pose, s->cost, &c))) break;
            g->evals++;
            if (!(c < 1e9)) continue; // a wall: sees nothing in the mask
            memcpy(q->p, p, sizeof p), q->score = c, n++;
            if (s->ro->global_progress && done % 256 == 0)
              s->ro->global_progress(s->ro->progress_ctx, done, total);
          }
    }
  free(tilt);
  if (!rc && s->ro->global_progress) s->ro->global_progress(s->ro->progress_ctx, total, total);
  g->n_grid = total;
  if (!rc && n == 0)
    rc = cr_error(CR_EEMPTY,
                  "global search: no pose of the %ld-pose grid sees the volume in the "
                  "mask (with the focus distance in focus)",
                  total);
  if (rc) return free(smp), rc;
  qsort(smp, (size_t)n, sizeof *smp, cmp_sample); // ties keep no order; scores are exact
  *out = smp, *n_out = n;
  return 0;
}

// The best local maxima of one shift score map kept as samples.
#define SHIFT_KEEP 16

// The shift sampler (registration/shift_search.h): for every tilt, roll and depth of the
// grid one render of the reference view on a canvas wider than the search level's view
// by the box's in-plane translation at the pivot's depth, and the score of every in-plane
// shift at once; each map's best SHIFT_KEEP local maxima (within the box) become samples
// with the shift turned into the in-plane translation t = -shift Z / f. *start_out gets
// the start's own sample (no tilt, roll, depth change or shift).
// The part of the shift search one sample (a tilt, roll and depth) makes: its best local
// maxima of the shift scores into best[] (*nb of them); *rendered = 1 when it rendered.
// Returns < 0 on failure.
static int shift_sample(search *s, const box *b, const cr_camera *cam, cr_reg_shift_photo *ph,
                        const double tilt[2], double roll, double dz, sample *best, int *nb,
                        int *rendered, long *n_grid, sample *start_out) {
  *nb = 0, *rendered = 0;
  double p[6] = {0, 0, 0, 0, 0, dz};
  rotation_params(tilt, roll, p);
  cr_pose pose;
  int skip = grid_pose(s, p, &pose);
  if (skip) return skip < 0 ? skip : 0;
  const double z = s->par.pivot_cam[2] + p[5]; // the pivot's depth: turns keep it
  if (!(z > 0)) return 0;
  const int mx = (int)ceil(cam->fx * b->trans_mm / z), my = (int)ceil(cam->fy * b->trans_mm / z);
  if (mx > 4 * cam->width || my > 4 * cam->height) return 0; // the box dwarfs the view
  // the part of the wide canvas (the view widened by mx, my) the scores read
  int cx0, cy0;
  cr_camera wc = *cam;
  cr_reg_shift_canvas(ph, mx, my, &cx0, &cy0, &wc.width, &wc.height);
  wc.cx += mx - cx0, wc.cy += my - cy0;
  for (int d = 0; d < 5; d++) wc.dist[d] = 0; // coarse views: the distortion is sub-pixel
  const int nx = 2 * mx + 1, ny = 2 * my + 1;
  cr_image *wide = cr_image_new(wc.width, wc.height, 1);
  float *scores = malloc((size_t)nx * ny * sizeof *scores);
  int rc = wide && scores ? 0 : cr_error(CR_ENOMEM, "global search: out of memory");
  if (!rc) rc = cr_reg_cost_render_camera(s->cost, 0, &wc, &pose, wide);
  if (!rc) rc = cr_reg_shift_scores(ph, wide, mx, my, scores);
  cr_image_free(wide);
  if (rc) return free(scores), rc;
  *rendered = 1, *n_grid = (long)nx * ny;
  memcpy(start_out->p, p, sizeof p);
  start_out->score = -scores[my * nx + mx];
  // local maxima (3x3) within the box, best SHIFT_KEEP by insertion
  for (int y = 0; y < ny; y++)
    for (int x = 0; x < nx; x++) {
      const float v = scores[y * nx + x];
      int peak = v > 0;
      for (int yy = y - 1; yy <= y + 1 && peak; yy++)
        for (int xx = x - 1; xx <= x + 1 && peak; xx++)
          if ((xx != x || yy != y) && xx >= 0 && yy >= 0 && xx < nx && yy < ny &&
              (scores[yy * nx + xx] > v ||
               (scores[yy * nx + xx] == v && yy * nx + xx < y * nx + x)))
            peak = 0;
      const double tx = -(x - mx) * z / cam->fx, ty = -(y - my) * z / cam->fy;
      if (!peak || fabs(tx) > b->trans_mm + 1e-9 || fabs(ty) > b->trans_mm + 1e-9) continue;
      sample q = {{p[0], p[1], p[2], tx, ty, p[5]}, -v};
      int j = *nb < SHIFT_KEEP ? (*nb)++ : SHIFT_KEEP;
      if (j == SHIFT_KEEP && !(q.score < best[SHIFT_KEEP - 1].score)) continue;
      if (j == SHIFT_KEEP) j = SHIFT_KEEP - 1;
      for (; j > 0 && q.score < best[j - 1].score; j--) best[j] = best[j - 1];
      best[j] = q;
    }
  free(scores);
  return 0;
}

// Threads for the stage's independent pieces of work: all outside a parallel region (one
// registration on the machine: a 40-80 px render is too small to share among threads, a
// piece of work is not), one inside (an experiment's trials fill the cores already).
// costs[0] = cost, costs[1..] its forks (cr_reg_cost_fork), made once for the whole stage;
// a render mode without fork (mesh) gets fewer threads. Free costs[1..] after.
static int work_threads(cr_reg_cost *cost, cr_reg_cost **costs) {
  int nt = 1;
#ifdef _OPENMP
  if (!omp_in_parallel()) nt = omp_get_max_threads();
#endif
  if (nt > CR_REG_GLOBAL_MAX_THREADS) nt = CR_REG_GLOBAL_MAX_THREADS;
  if (nt < 1) nt = 1;
  costs[0] = cost;
  for (int t = 1; t < nt; t++)
    if (!(costs[t] = cr_reg_cost_fork(cost))) {
      cr_error_clear(); // no fork (mesh mode) or no memory for one: fewer threads
      nt = t;
    }
  return nt;
}

// The first failure by index among pieces of work run side by side: what a sequential
// loop, which stops there, would report.
typedef struct first_failure {
  long index; // LONG_MAX: none
  int status;
  char message[256];
} first_failure;

static void note_failure(first_failure *f, long i, int status) {
#pragma omp critical(cr_reg_global_failure)
  if (i < f->index) {
    f->index = i, f->status = status;
    snprintf(f->message, sizeof f->message, "%s", cr_last_error());
  }
}

static int failure_status(const first_failure *f) {
  return f->index == LONG_MAX ? 0 : cr_error(f->status, "%s", f->message);
}

// Runs work(ctx, i, t) for i < n on `threads` threads, t the thread's index into the stage's
// costs. With one thread there is no parallel construct at all (inside one, even of one
// thread, every render's own team is made anew) and t = 0 (the caller's thread number,
// an experiment trial's, is not ours).
static void side_by_side(int threads, long n, void (*work)(void *ctx, long i, int t), void *ctx) {
  if (threads > 1) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (long i = 0; i < n; i++) {
      int t = 0;
#ifdef _OPENMP
      t = omp_get_thread_num();
#endif
      work(ctx, i, t);
    }
  } else {
    for (long i = 0; i < n; i++) work(ctx, i, 0);
  }
}

// The shift search's state shared by its samples: the grid's axes, one search (its cost)
// and shift workspace per thread, every sample's slots, the start's score, the first
// failure and the progress count.
typedef struct shift_run {
  const box *b;
  const cr_camera *cam;
  const double (*tilt)[2], *roll, *dz;
  int nr, nz;
  long total;
  search *ss;
  cr_reg_shift_photo **ph;
  sample *smp; // SHIFT_KEEP slots per sample
  int *nb;     // maxima kept per sample
  long *grid;  // shifts scored per sample (0: not rendered)
  sample *start_out;
  int rendered0; // sample 0 (the start's) rendered
  long done;
  first_failure fail;
} shift_run;

// Sample i of the shift search on thread t; progress from thread 0.
static void shift_one(void *ctx, long i, int t) {
  shift_run *r = ctx;
  const int it = (int)(i / ((long)r->nr * r->nz)), ir = (int)(i / r->nz % r->nr),
            iz = (int)(i % r->nz);
  int rendered = 0;
  sample start;
  const int st =
      shift_sample(&r->ss[t], r->b, r->cam, r->ph[t], r->tilt[it], r->roll[ir], r->dz[iz],
                   r->smp + i * SHIFT_KEEP, &r->nb[i], &rendered, &r->grid[i], &start);
  if (st) note_failure(&r->fail, i, st);
  if (i == 0 && rendered) *r->start_out = start, r->rendered0 = 1;
  long d;
#pragma omp atomic capture
  d = ++r->done;
  const search *s = &r->ss[t];
  if (t == 0 && s->ro->global_progress && d % 16 == 0)
    s->ro->global_progress(s->ro->progress_ctx, d, r->total);
}

static int shift_search(search *s, const box *b, const cr_reg_method *m, sample **out, long *n_out,
                        sample *start_out, int *have_start, cr_reg_global_result *g) {
  enum { CAP = 512 };
  const cr_camera *cam = cr_reg_cost_camera(s->cost, 0, s->level);
  double eta = m->metric_opt.ngf_eta > 0 ? m->metric_opt.ngf_eta : 0.1;
  double roll[CAP], dz[CAP], (*tilt)[2] = malloc(CAP * sizeof *tilt);
  int nt = tilt ? tilt_values(b, tilt, CAP) : 0;
  int nr = axis_values(b->roll_deg, b->roll_step, 1, roll, CAP);
  int nz = s->focus_mm > 0 ? 1 : axis_values(b->depth_mm, b->depth_step, 0, dz, CAP);
  if (s->focus_mm > 0) dz[0] = 0;
  const long total = (long)nt * nr * nz;
  // every sample's maxima in its own slots (compacted in sample order after: the order a
  // sequential loop gives, whatever thread made them)
  sample *smp = tilt ? malloc((size_t)total * SHIFT_KEEP * sizeof *smp) : NULL;
  int *nb = smp ? calloc((size_t)total, sizeof *nb) : NULL;
  long *grid = nb ? calloc((size_t)total, sizeof *grid) : NULL;
  search ss[CR_REG_GLOBAL_MAX_THREADS];
  cr_reg_shift_photo *ph[CR_REG_GLOBAL_MAX_THREADS] = {NULL};
  const int threads = grid && total < s->threads ? (int)total : (grid ? s->threads : 1);
  int rc = grid ? 0 : cr_error(CR_ENOMEM, "global search: out of memory");
  for (int t = 0; t < threads && !rc; t++) {
    ss[t] = *s, ss[t].cost = s->costs[t];
    rc = cr_status_of(ph[t] = cr_reg_shift_photo_new(cr_reg_cost_photo(s->cost, 0, s->level),
                                                     cr_reg_cost_mask(s->cost, 0, s->level), eta));
  }
  shift_run run = {.b = b,
                   .cam = cam,
                   .tilt = (const double(*)[2])tilt,
                   .roll = roll,
                   .dz = dz,
                   .nr = nr,
                   .nz = nz,
                   .total = total,
                   .ss = ss,
                   .ph = ph,
                   .smp = smp,
                   .nb = nb,
                   .grid = grid,
                   .start_out = start_out,
                   .fail = {.index = LONG_MAX}};
  if (!rc) side_by_side(threads, total, shift_one, &run);
  for (int t = 0; t < threads; t++) cr_reg_shift_photo_free(ph[t]);
  free(tilt);
  long n = 0;
  if (!rc) rc = failure_status(&run.fail);
  for (long i = 0; i < total && !rc; i++) {
    g->evals += grid[i] > 0, g->n_grid += grid[i];
    memmove(smp + n, smp + i * SHIFT_KEEP, (size_t)nb[i] * sizeof *smp), n += nb[i];
  }
  *have_start = !rc && run.rendered0;
  free(nb), free(grid);
  if (!rc && s->ro->global_progress) s->ro->global_progress(s->ro->progress_ctx, total, total);
  if (!rc && n == 0)
    rc = cr_error(CR_EEMPTY,
                  "global search: no pose of the %ld searched sees the volume in the mask "
                  "(with the focus distance in focus)",
                  total);
  if (rc) return free(smp), rc;
  qsort(smp, (size_t)n, sizeof *smp, cmp_sample);
  *out = smp, *n_out = n;
  return 0;
}

// Keeps up to k samples: the start first (a start from a navigation system is often
// right, and a coarse view can rank a wrong pose above it), then the best samples, each
// at least one grid step from every one kept before (in the parameters: degrees and mm).
static int keep_distinct(const sample *start, const sample *smp, long n, const box *b, int k,
                         sample *kept) {
  double sep = fmax(b->trans_step, 1.0);
  int m = 0;
  if (start) kept[m++] = *start;
  for (long i = 0; i < n && m < k; i++) {
    int close = 0;
    for (int j = 0; j < m && !close; j++) {
      double d2 = 0;
      for (int a = 0; a < 6; a++) d2 += pow(smp[i].p[a] - kept[j].p[a], 2);
      close = d2 < sep * sep;
    }
    if (!close) kept[m++] = smp[i];
  }
  return m;
}

// The cost at level + offset: runs cr_reg_run's single level on a coarser view.
typedef struct shifted {
  cr_reg_cost *cost;
  int offset;
} shifted;

static int shifted_cost(int level, const cr_pose *pose, void *ctx, double *cost) {
  const shifted *s = ctx;
  return cr_reg_cost_eval(level + s->offset, pose, s->cost, cost);
}

static int shifted_linearize(int level, const cr_pose *pose, void *ctx) {
  const shifted *s = ctx;
  return cr_reg_cost_linearize(level + s->offset, pose, s->cost);
}

// One local run at `level` from `from` with `evals`: the loop's options scaled to the level.
static int refine_at(cr_reg_cost *cost, const cr_reg_options *base, int level, int evals,
                     const cr_pose *from, cr_reg_result *r) {
  cr_reg_options o = *base;
  const double s = ldexp(1.0, level);
  o.levels = 1, o.starts = 1, o.max_evals = evals;
  o.step_deg *= s, o.step_mm *= s, o.xtol *= s;
  o.progress = NULL;
  shifted sh = {cost, level};
  o.linearize = shifted_linearize;
  return cr_reg_run(cr_reg_cost_camera(cost, 0, 0), from, shifted_cost, &sh, &o, r);
}

// One refine_many run: from[k] at `level` with `evals` into r[k].
typedef struct refine_run {
  const search *s;
  const cr_reg_options *base;
  int level, evals;
  const cr_pose *from;
  cr_reg_result *r;
  first_failure fail;
} refine_run;

static void refine_one(void *ctx, long k, int t) {
  refine_run *q = ctx;
  const int st = refine_at(q->s->costs[t], q->base, q->level, q->evals, &q->from[k], &q->r[k]);
  if (st) note_failure(&q->fail, k, st);
}

// Refines from[k] (k < n) at `level` with `evals` each into r[k], side by side: one cost
// per thread, `cost` and its forks (cr_reg_cost_fork). Each run is the one a sequential
// loop gives (a cost's value does not depend on the thread that evaluates it), so the
// results do not depend on the number of threads (work_threads).
static int refine_many(const search *s, const cr_reg_options *base, int level, int evals, int n,
                       const cr_pose *from, cr_reg_result *r) {
  refine_run q = {s, base, level, evals, from, r, {.index = LONG_MAX}};
  side_by_side(n < s->threads ? n : s->threads, n, refine_one, &q);
  return failure_status(&q.fail);
}

static box box_of(const cr_reg_method *m, const cr_reg_register_options *ro, int focus) {
  box b;
  memset(&b, 0, sizeof b);
  if (ro->look_at) {
    b.tilt_deg = ro->look_at_cone_deg, b.roll_deg = 180, b.trans_mm = ro->look_at_mm;
    // rings at most global_tilt_deg apart, the last one on the cone
    const double step = m->global_tilt_deg > 0 ? m->global_tilt_deg : ro->look_at_cone_deg / 2;
    b.tilt_step =
        ro->look_at_cone_deg > 0 ? ro->look_at_cone_deg / ceil(ro->look_at_cone_deg / step) : step;
  } else {
    b.tilt_deg = m->global_box_deg, b.roll_deg = m->global_box_deg, b.trans_mm = m->global_box_mm;
    b.tilt_step = m->global_tilt_deg;
  }
  b.roll_step = m->global_step_deg, b.trans_step = m->global_step_mm;
  // Depth has a broad basin (+-20 mm on the demo): three times the in-plane step. The
  // shift sampler's coarse views need less: 20 mm off at 250 mm scales a 40 px view by 8 %,
  // under 2 px at its edge, which its refinement removes.
  b.depth_mm = focus ? 0 : (ro->look_at ? 0 : m->global_box_mm);
  b.depth_step = m->global_sampler == CR_REG_SAMPLER_SHIFT ? 20 : 3 * m->global_step_mm;
  return b;
}

// Depth restarts (global_depth_mm = s > 0; 4 mm by default): one narrow-field view holds
// depth only weakly, and a local optimizer that reaches the method's coarsest level at the
// wrong depth can stay there: moving along the optical axis changes the view's scale by a
// fraction of a pixel per mm, and the turn that keeps the view's centre must change with it
// (capture_microscope.cfg: from starts 5-15 mm off, two winners ended 4 and 12 mm off in
// depth, in-plane under 1 mm, while the truth cost 0.01-0.03 less at every level). So the
// winner `from`, moved along its optical axis by 0, -s, +s, -2s, +2s (s = 4 mm is half the
// coarsest level's initial simplex step with the defaults), runs at `level`, the next finer
// level, side by side with half the method's budget each, and the lowest cost continues (the
// first of equal costs: the unmoved one) to the levels below with a quarter. The unmoved run
// is the run the stage makes at that level without restarts. At the next finer level rather
// than the coarsest: there a view's scale shows depth twice as finely (README, capture
// section: 242 against 240 of 256 on capture_microscope.cfg).
static int depth_restarts(const search *s, const cr_reg_options *base, const cr_reg_method *m,
                          int level, const cr_pose *from, long evals_before,
                          cr_reg_global_result *g, cr_reg_result *best) {
  cr_pose moved[CR_REG_DEPTH_RESTARTS];
  cr_reg_result runs[CR_REG_DEPTH_RESTARTS];
  const int n = CR_REG_DEPTH_RESTARTS;
  for (int i = 0; i < n; i++) { // 0, -s, +s, -2s, +2s (+: forward)
    g->depth_mm[i] = (i % 2 ? -1 : 1) * ((i + 1) / 2) * m->global_depth_mm;
    moved[i] = cr_pose_move_along_axis(from, g->depth_mm[i]);
  }
  const int budget = m->max_evals / 2 > 0 ? m->max_evals / 2 : 1;
  int rc = refine_many(s, base, level, budget, n, moved, runs);
  if (rc) return rc;
  int w = 0;
  long evals = 0;
  for (int i = 0; i < n; i++) {
    g->depth_cost[i] = runs[i].cost, g->depth_evals[i] = runs[i].evals;
    evals += runs[i].evals;
    if (runs[i].cost < runs[w].cost) w = i;
    if (s->ro->progress)
      s->ro->progress(s->ro->progress_ctx, level, i, (int)(evals_before + evals), runs[i].cost);
  }
  g->n_depth = n, g->depth_level = level, g->depth_winner = w;
  *best = runs[w];
  best->evals = (int)evals;
  return 0;
}

static int global_register(cr_reg_cost *cost, cr_reg_cost *const *costs, int threads,
                           const cr_reg_method *m, const cr_pose *start,
                           const cr_reg_register_options *ro, cr_reg_global_result *g_out,
                           cr_reg_result *res) {
  const double t0 = now_s();
  cr_reg_global_result gl, *g = g_out ? g_out : &gl;
  memset(g, 0, sizeof *g);
  memset(res, 0, sizeof *res);
  search s;
  memset(&s, 0, sizeof s);
  s.cost = cost, s.ro = ro, s.costs = costs, s.threads = threads;
  const cr_camera *cam0 = cr_reg_cost_camera(cost, 0, 0);
  s.level = cr_reg_global_level(cam0->width, m->global_width);
  if (s.level > cr_reg_cost_levels(cost) - 1) s.level = cr_reg_cost_levels(cost) - 1;
  while (s.level > 0 && mask_diameter_px(cost, s.level) < m->global_mask_px) s.level--;
  double unused;
  s.focus_mm =
      ro->focus_distance_mm > 0 && !cr_reg_cost_focus_penalty(cost, start, &unused, &unused)
          ? ro->focus_distance_mm
          : 0;
  if (ro->look_at && !(s.focus_mm > 0))
    return cr_error(CR_EINVAL, "look-at registration needs the focus distance");
  box b = box_of(m, ro, s.focus_mm > 0);
  if (!(b.tilt_deg > 0 || b.roll_deg > 0 || b.trans_mm > 0 || b.depth_mm > 0))
    return cr_error(CR_EINVAL, "global search: the search box is empty");
  cr_reg_param_init(&s.par, start, ro->pivot_world);
  const cr_camera *cg = cr_reg_cost_camera(cost, 0, s.level);
  g->level = s.level, g->width = cg->width, g->height = cg->height;
  g->box_tilt_deg = b.tilt_step > 0 ? b.tilt_deg : 0, g->box_roll_deg = b.roll_deg;
  g->box_mm = b.trans_mm, g->box_depth_mm = b.depth_mm;
  g->look_at = ro->look_at;
  if (ro->look_at) memcpy(g->look_at_world, ro->pivot_world, sizeof g->look_at_world);

  // 1. search
  sample *smp = NULL, kept[CR_REG_GLOBAL_MAX_KEEP], start_sample;
  long n = 0;
  int have_start = 0;
  int rc = m->global_sampler == CR_REG_SAMPLER_GRID
               ? grid_search(&s, &b, &smp, &n, g)
               : shift_search(&s, &b, m, &smp, &n, &start_sample, &have_start, g);
  if (rc) return rc;
  g->seconds_search = now_s() - t0;
  // the start's own sample (in the grid: every grid axis has 0); not with a look-at
  // point, whose start is only the centre of the search
  const sample *start_smp = have_start && !ro->look_at ? &start_sample : NULL;
  for (long i = 0; i < n && !ro->look_at && !start_smp; i++)
    if (smp[i].p[0] == 0 && smp[i].p[1] == 0 && smp[i].p[2] == 0 && smp[i].p[3] == 0 &&
        smp[i].p[4] == 0 && (s.focus_mm > 0 || smp[i].p[5] == 0))
      start_smp = &smp[i];
  g->n = keep_distinct(start_smp, smp, n, &b, m->global_keep, kept);
  g->start_kept = start_smp != NULL;
  free(smp);
  // a hypothesis from feature correspondences at the start (or look-at start)
  int feat = -1;
  if (m->global_features) {
    cr_reg_feature_result fr;
    if ((rc = cr_reg_feature_hypothesis(cost, start, ro->pivot_world, b.trans_mm, 10, &fr)))
      return rc;
    g->feature_matches = fr.matches, g->feature_inliers = fr.inliers;
    double score;
    if (fr.found && (rc = cr_reg_cost_eval(s.level, &fr.pose, cost, &score))) return rc;
    if (fr.found && score < 1e9) {
      feat = g->n < CR_REG_GLOBAL_MAX_KEEP ? g->n++ : g->n - 1;
      cr_reg_param_from_pose(&s.par, &fr.pose, kept[feat].p);
      kept[feat].score = score;
    }
  }

  // 2. refinement of each hypothesis on the coarse views
  const double t1 = now_s();
  cr_reg_options base = cr_reg_method_loop_options(m, ro);
  cr_pose from[CR_REG_GLOBAL_MAX_KEEP];
  cr_reg_result runs[CR_REG_GLOBAL_MAX_KEEP];
  for (int k = 0; k < g->n; k++) {
    cr_reg_global_hypothesis *h = &g->hyp[k];
    // a shifted sample's principal ray meets another point: its depth again from the focus
    if (m->global_sampler == CR_REG_SAMPLER_SHIFT && k != feat &&
        grid_pose(&s, kept[k].p, &h->grid) < 0)
      return cr_last_status();
    h->grid = cr_reg_param_to_pose(&s.par, kept[k].p);
    h->score = kept[k].score;
    h->features = k == feat;
    h->level_cost = NAN;
    from[k] = h->grid;
  }
  if ((rc = refine_many(&s, &base, s.level, m->global_evals, g->n, from, runs))) return rc;
  for (int k = 0; k < g->n; k++) {
    g->evals += runs[k].evals;
    g->hyp[k].refined = runs[k].final, g->hyp[k].refined_cost = runs[k].cost;
  }
  g->seconds_refine = now_s() - t1;

  // 3. the best `starts` refined hypotheses at the method's coarsest level; the best
  // continues through the finer levels
  int order[CR_REG_GLOBAL_MAX_KEEP];
  for (int k = 0; k < g->n; k++) order[k] = k;
  for (int i = 1; i < g->n; i++) // insertion sort by refined cost (stable: deterministic)
    for (int j = i; j > 0 && g->hyp[order[j]].refined_cost < g->hyp[order[j - 1]].refined_cost;
         j--) {
      int t = order[j];
      order[j] = order[j - 1], order[j - 1] = t;
    }
  const int top = m->levels - 1;
  int n_run = g->n < m->starts ? g->n : m->starts;
  if (g->start_kept) { // the start (hypothesis 0) always runs: in the last slot if not better
    int j = 0;
    while (order[j] != 0) j++;
    if (j >= n_run) { // shift order[n_run - 1 .. j - 1] one back over the start's entry
      memmove(order + n_run, order + n_run - 1, (size_t)(j - n_run + 1) * sizeof *order);
      order[n_run - 1] = 0;
    }
  }
  if (feat >= 0) { // the feature hypothesis always runs too: it may come from outside the box
    int j = 0;
    while (order[j] != feat) j++;
    if (j >= n_run) order[j] = order[n_run], order[n_run++] = feat;
  }
  const double t2 = now_s();
  cr_reg_result best, r;
  double best_cost = INFINITY;
  long top_evals = 0;
  memset(&best, 0, sizeof best);
  for (int i = 0; i < n_run; i++) from[i] = g->hyp[order[i]].refined;
  if ((rc = refine_many(&s, &base, top, m->max_evals, n_run, from, runs))) return rc;
  for (int i = 0; i < n_run; i++) { // in order: the first of equal costs wins, as in a loop
    cr_reg_global_hypothesis *h = &g->hyp[order[i]];
    r = runs[i];
    top_evals += r.evals;
    h->level_cost = r.cost;
    if (r.cost < best_cost) best_cost = r.cost, best = r, g->winner = order[i];
    if (ro->progress) ro->progress(ro->progress_ctx, top, i, (int)(g->evals + top_evals), r.cost);
  }
  const double t3 = now_s();
  // 4. depth restarts at the next finer level (one view), then the levels below it
  cr_reg_result depth;
  memset(&depth, 0, sizeof depth);
  const int dlevel = top > 0 ? top - 1 : 0;
  if (m->global_depth_mm > 0 && cr_reg_cost_n_views(cost) == 1) {
    if ((rc = depth_restarts(&s, &base, m, dlevel, &best.final, g->evals + top_evals, g, &depth)))
      return rc;
  }
  const double t4 = now_s();
  const int fine_levels = g->n_depth ? dlevel : top; // how many levels are left to run
  cr_reg_result fine;
  memset(&fine, 0, sizeof fine);
  if (fine_levels > 0) {
    base.levels = fine_levels, base.starts = 1;
    base.linearize = cr_reg_cost_linearize, base.warp_coarsest = 1; // they start close
    const int div = g->n_depth ? 4 : 2; // after the restarts: a quarter each
    base.max_evals = m->max_evals / div > 0 ? m->max_evals / div : 1;
    if ((rc = cr_reg_run(cam0, g->n_depth ? &depth.final : &best.final, cr_reg_cost_eval, cost,
                         &base, &fine)))
      return rc;
  }
  // The result: the search level (grid and refinements), the method's coarsest level (the
  // hypotheses' runs) and the finer levels, from the real start.
  *res = best;
  cr_reg_level_stats *st = &res->level[0];
  const cr_camera *ct = cr_reg_cost_camera(cost, 0, top);
  res->level[1] = *st; // the winner's run at the method's coarsest level
  res->level[1].level = top, res->level[1].width = ct->width, res->level[1].height = ct->height;
  res->level[1].evals = (int)top_evals, res->level[1].seconds = t3 - t2;
  st->level = g->level, st->width = g->width, st->height = g->height;
  st->evals = (int)g->evals, st->seconds = t2 - t0;
  st->cost = g->hyp[order[0]].refined_cost;
  res->nlevels = 2;
  if (g->n_depth) { // the depth restarts: a level of their own (the next finer one)
    cr_reg_level_stats *d = &res->level[res->nlevels++];
    const cr_camera *cd = cr_reg_cost_camera(cost, 0, dlevel);
    memset(d, 0, sizeof *d);
    d->level = dlevel, d->width = cd->width, d->height = cd->height;
    d->evals = depth.evals, d->seconds = t4 - t3, d->cost = depth.cost;
    res->final = depth.final, res->cost = depth.cost, res->prior_penalty = depth.prior_penalty;
  }
  for (int i = 0; i < fine.nlevels && res->nlevels < CR_REG_MAX_LEVELS; i++)
    res->level[res->nlevels++] = fine.level[i];
  if (fine_levels > 0)
    res->final = fine.final, res->cost = fine.cost, res->prior_penalty = fine.prior_penalty;
  res->evals = (int)(g->evals + top_evals + depth.evals + fine.evals);
  res->seconds = now_s() - t0;
  res->start = *start;
  res->best_start = g->winner;
  if (cr_reg_pose_change_split(cam0, &res->start, &res->final, res->pivot_world, &res->inplane_px,
                               &res->along_mm))
    cr_error_clear(), res->inplane_px = res->along_mm = NAN;
  return 0;
}

int cr_reg_look_at_start(const cr_volume *vol, double iso, const double x[3], double distance_mm,
                         cr_pose *start, double normal[3]) {
  if (!vol) return cr_error(CR_EINVAL, "look-at: needs the volume");
  if (!(distance_mm > 0) || !isfinite(distance_mm))
    return cr_error(CR_EINVAL, "look-at: the focus distance %g mm must be > 0", distance_mm);
  double ijk[3];
  cr_volume_world_to_voxel(vol, x, ijk);
  for (int a = 0; a < 3; a++)
    if (!(ijk[a] >= -0.5 && ijk[a] <= vol->dim[a] - 0.5))
      return cr_error(CR_EINVAL, "look-at point (%g, %g, %g) mm is outside the volume", x[0], x[1],
                      x[2]);
  // Gradient of the volume smoothed by a Gaussian of sigma 6 mm (the brain's hull, not a
  // sulcus wall): sum of w(r) I(x + r) r over a 2 mm grid within 3 sigma; and whether
  // the iso level is crossed within 10 mm.
  const double sigma = 6, h = 2, near = 10;
  double grad[3] = {0, 0, 0}, lo = INFINITY, hi = -INFINITY;
  const int k = (int)ceil(3 * sigma / h);
  for (int dz = -k; dz <= k; dz++)
    for (int dy = -k; dy <= k; dy++)
      for (int dx = -k; dx <= k; dx++) {
        double r[3] = {dx * h, dy * h, dz * h}, p[3], r2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
        if (r2 > 9 * sigma * sigma) continue;
        for (int a = 0; a < 3; a++) p[a] = x[a] + r[a];
        double v = cr_volume_sample_linear(vol, p, 0.0f), w = exp(-0.5 * r2 / (sigma * sigma));
        for (int a = 0; a < 3; a++) grad[a] += w * v * r[a];
        if (r2 <= near * near) lo = fmin(lo, v), hi = fmax(hi, v);
      }
  if (!(lo < iso && hi > iso))
    return cr_error(CR_EINVAL,
                    "look-at point (%g, %g, %g) mm is on no surface: no iso level %g within %g mm",
                    x[0], x[1], x[2], iso, near);
  double g = cr_vec3_norm(grad);
  if (!(g > 0))
    return cr_error(CR_EINVAL, "look-at point (%g, %g, %g) mm: no surface normal", x[0], x[1],
                    x[2]);
  double eye[3], up[3] = {0, 0, 1};
  for (int a = 0; a < 3; a++) normal[a] = -grad[a] / g, eye[a] = x[a] + distance_mm * normal[a];
  if (fabs(normal[2]) > 0.9) up[0] = 1, up[2] = 0; // any roll: the search turns it
  return cr_pose_look_at(start, eye, x, up);
}

static cJSON *pose_json(const cr_pose *p) {
  double rvec[3], tvec[3];
  cr_pose_to_rvec_tvec(p, rvec, tvec);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "rvec", cJSON_CreateDoubleArray(rvec, 3));
  cJSON_AddItemToObject(o, "tvec", cJSON_CreateDoubleArray(tvec, 3));
  return o;
}

int cr_reg_global_register(cr_reg_cost *cost, const cr_reg_method *m, const cr_pose *start,
                           const cr_reg_register_options *ro, cr_reg_global_result *g_out,
                           cr_reg_result *res) {
  cr_reg_cost *costs[CR_REG_GLOBAL_MAX_THREADS];
  const int threads = work_threads(cost, costs); // the forks, once for the whole stage
  const int rc = global_register(cost, costs, threads, m, start, ro, g_out, res);
  for (int t = 1; t < threads; t++) cr_reg_cost_free(costs[t]);
  return rc;
}

cJSON *cr_reg_global_json(const cr_reg_global_result *g) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "level", g->level);
  cJSON_AddNumberToObject(o, "width", g->width);
  cJSON_AddNumberToObject(o, "height", g->height);
  cJSON_AddNumberToObject(o, "grid_poses", (double)g->n_grid);
  cJSON_AddNumberToObject(o, "evaluations", (double)g->evals);
  cJSON_AddNumberToObject(o, "seconds_search", g->seconds_search);
  cJSON_AddNumberToObject(o, "seconds_refine", g->seconds_refine);
  cJSON *b = cJSON_AddObjectToObject(o, "box");
  cJSON_AddNumberToObject(b, "tilt_deg", g->box_tilt_deg);
  cJSON_AddNumberToObject(b, "roll_deg", g->box_roll_deg);
  cJSON_AddNumberToObject(b, "inplane_mm", g->box_mm);
  cJSON_AddNumberToObject(b, "depth_mm", g->box_depth_mm);
  if (g->look_at) {
    cJSON *l = cJSON_AddObjectToObject(o, "look_at");
    cJSON_AddItemToObject(l, "point", cJSON_CreateDoubleArray(g->look_at_world, 3));
  }
  cJSON_AddNumberToObject(o, "feature_matches", g->feature_matches);
  cJSON_AddNumberToObject(o, "feature_inliers", g->feature_inliers);
  cJSON_AddNumberToObject(o, "winner", g->winner);
  if (g->n_depth) {
    cJSON *d = cJSON_AddObjectToObject(o, "depth_restarts");
    cJSON_AddNumberToObject(d, "level", g->depth_level);
    cJSON *runs = cJSON_AddArrayToObject(d, "runs");
    for (int i = 0; i < g->n_depth; i++) {
      cJSON *j = cJSON_CreateObject();
      cJSON_AddNumberToObject(j, "forward_mm", g->depth_mm[i]);
      cJSON_AddNumberToObject(j, "cost", g->depth_cost[i]);
      cJSON_AddNumberToObject(j, "evaluations", g->depth_evals[i]);
      cJSON_AddBoolToObject(j, "winner", i == g->depth_winner);
      cJSON_AddItemToArray(runs, j);
    }
  }
  cJSON *hs = cJSON_AddArrayToObject(o, "hypotheses");
  for (int k = 0; k < g->n; k++) {
    const cr_reg_global_hypothesis *h = &g->hyp[k];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "index", k);
    cJSON_AddBoolToObject(j, "start", k == 0 && g->start_kept);
    cJSON_AddBoolToObject(j, "features", h->features);
    cJSON_AddNumberToObject(j, "score", h->score);
    cJSON_AddItemToObject(j, "grid_pose", pose_json(&h->grid));
    cJSON_AddNumberToObject(j, "refined_cost", h->refined_cost);
    cJSON_AddItemToObject(j, "refined_pose", pose_json(&h->refined));
    cJSON_AddNumberToObject(j, "level_cost", h->level_cost); // NaN prints as null
    cJSON_AddBoolToObject(j, "winner", k == g->winner);
    cJSON_AddItemToArray(hs, j);
  }
  return o;
}
