// camreg bench-mesh: timings of marching cubes, clean-up and the mesh rasterizer on
// Colin27 (or the phantom when Colin27 is absent).
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/phantom.h"
#include "mesh/mesh.h"

#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char usage[] =
    "usage: camreg bench-mesh [options]\n\n"
    "Times marching cubes, largest component, Taubin smoothing, normals, the probe and the\n"
    "z-buffer rasterizer (median of repeats) and prints ms per call. Targets: marching\n"
    "cubes on Colin27 <= 1 s, rasterizing its cortex at 256x256 <= 3 ms.\n\n"
    "options:\n"
    "      --volume FILE   volume (default /usr/share/mricron/templates/ch2bet.nii.gz, else\n"
    "                      the phantom)\n"
    "      --iso VALUE     iso level (default 50; 300 for the phantom)\n"
    "      --size N        raster width and height (default 256)\n"
    "      --repeat N      raster repeats (default 50)\n"
    "      --smooth N      Taubin iterations before rastering (default 10)\n"
    "  -h, --help          this text\n";

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// Median and minimum wall time of `n` rasterizations, and the process CPU time per call
// (all threads; on a loaded machine the wall time is not the cost).
static int time_raster(cr_mesh_raster *r, const cr_mesh *m, const cr_camera *cam,
                       const cr_pose *pose, const cr_mesh_raster_options *o, int n, double *median,
                       double *best, double *cpu) {
  double *t = malloc(sizeof(double) * (size_t)n);
  if (!t) return cr_error(CR_ENOMEM, "bench: out of memory");
  clock_t c0 = clock();
  for (int i = 0; i < n; i++) {
    double t0 = now_ms();
    int rc = cr_mesh_rasterize(r, m, cam, pose, o);
    t[i] = now_ms() - t0;
    if (rc) {
      free(t);
      return rc;
    }
  }
  *cpu = (double)(clock() - c0) / CLOCKS_PER_SEC * 1e3 / n;
  qsort(t, (size_t)n, sizeof *t, cmp_d);
  *median = t[n / 2], *best = t[0];
  free(t);
  return 0;
}

static int bench(cr_volume *vol, double iso, int size, int repeat, int smooth) {
  cr_mesh *m = NULL;
  double t0 = now_ms(), mc_ms[3];
  for (int k = 0; k < 3; k++) {
    cr_mesh_free(m);
    m = NULL;
    t0 = now_ms();
    if (cr_mesh_marching_cubes(vol, (float)iso, 0, &m)) return cli_fail_last();
    mc_ms[k] = now_ms() - t0;
  }
  qsort(mc_ms, 3, sizeof(double), cmp_d);
  printf("marching_cubes       %9.1f ms  (%dx%dx%d voxels, iso %g: %d vertices, %d triangles)\n",
         mc_ms[1], vol->dim[0], vol->dim[1], vol->dim[2], iso, m->n_vertices, m->n_triangles);
  int ncomp = 0;
  t0 = now_ms();
  int rc = cr_mesh_keep_largest_component(m, &ncomp);
  printf("largest_component    %9.1f ms  (%d components; kept %d triangles)\n", now_ms() - t0,
         ncomp, m->n_triangles);
  t0 = now_ms();
  if (!rc) rc = cr_mesh_smooth_taubin(m, smooth, 0.5, -0.53);
  printf("taubin x%-3d          %9.1f ms\n", smooth, now_ms() - t0);
  t0 = now_ms();
  if (!rc) rc = cr_mesh_compute_normals(m);
  printf("normals              %9.1f ms\n", now_ms() - t0);
  t0 = now_ms();
  if (!rc) rc = cr_mesh_probe(m, vol, 3.0, 0.5, CR_PROBE_MAX);
  printf("probe max 0..3 mm    %9.1f ms  (7 samples per vertex)\n", now_ms() - t0);
  if (rc) {
    cr_mesh_free(m);
    return cli_fail_last();
  }
  // A lateral view of the whole brain filling the image.
  double lo[3], hi[3], c[3], eye[3], up[3] = {0, 0, 1};
  cr_volume_world_bounds(vol, lo, hi);
  for (int a = 0; a < 3; a++) c[a] = 0.5 * (lo[a] + hi[a]);
  eye[0] = c[0] - 400, eye[1] = c[1] - 120, eye[2] = c[2] + 150;
  cr_pose pose;
  cr_camera cam = cr_camera_from_fov(size, size, 28);
  cam.dist[0] = -0.1;
  cr_pose_look_at(&pose, eye, c, up);
  cr_mesh_raster *r = cr_mesh_raster_new(size, size);
  cr_image *shade = cr_image_new(size, size, 1);
  if (!r || !shade) {
    cr_mesh_free(m);
    return cli_fail_last();
  }
  cr_mesh_raster_options o = cr_mesh_raster_defaults();
  double med = 0, best = 0, cpu = 0;
  for (int cull = 1; cull >= 0 && !rc; cull--) {
    o.cull_backfaces = cull;
    rc = time_raster(r, m, &cam, &pose, &o, repeat, &med, &best, &cpu);
    printf("raster %dx%d %-7s %9.2f ms  (median of %d, best %.2f, cpu %.2f ms/call; %d threads)\n",
           size, size, cull ? "cull" : "no-cull", med, repeat, best, cpu, omp_get_max_threads());
  }
  // The same view of decimated copies (vertex clustering): fewer, pixel-sized triangles.
  for (int k = 0; k < 2 && !rc; k++) {
    double cell = k ? 2.0 : 1.5;
    cr_mesh *d = cr_mesh_clone(m);
    if (!d) break;
    t0 = now_ms();
    rc = cr_mesh_decimate_cluster(d, cell);
    double dec_ms = now_ms() - t0;
    o.cull_backfaces = 1;
    if (!rc) rc = time_raster(r, d, &cam, &pose, &o, repeat, &med, &best, &cpu);
    printf("raster decimated %.1f mm %6.2f ms  (%d triangles; decimation %.1f ms; best %.2f, cpu "
           "%.2f)\n",
           cell, med, d->n_triangles, dec_ms, best, cpu);
    cr_mesh_free(d);
  }
  if (!rc) rc = cr_mesh_rasterize(r, m, &cam, &pose, &o);
  long covered = rc ? 0 : cr_mesh_raster_hit_mask(r, NULL);
  t0 = now_ms();
  if (!rc) rc = cr_mesh_raster_resolve(r, m, &pose, shade, NULL, NULL, NULL);
  printf("resolve shade        %9.2f ms  (%ld pixels on the mesh)\n", now_ms() - t0, covered);
  cr_mesh_raster_free(r);
  cr_image_free(shade);
  cr_mesh_free(m);
  return rc ? cli_fail_last() : 0;
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {
      {"volume", required_argument, 0, 'v'}, {"iso", required_argument, 0, 'i'},
      {"size", required_argument, 0, 's'},   {"repeat", required_argument, 0, 'r'},
      {"smooth", required_argument, 0, 'S'}, {"scalar", no_argument, 0, 'c'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  const char *path = NULL;
  double iso = 50;
  int have_iso = 0, size = 256, repeat = 50, smooth = 10, scalar = 0, c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'v': path = optarg; break;
    case 'i':
      if ((rc = cli_parse_double("bench-mesh", "--iso", optarg, &iso))) return rc;
      have_iso = 1;
      break;
    case 's':
      if ((rc = cli_parse_int("bench-mesh", "--size", optarg, 16, 8192, &size))) return rc;
      break;
    case 'r':
      if ((rc = cli_parse_int("bench-mesh", "--repeat", optarg, 1, 100000, &repeat))) return rc;
      break;
    case 'S':
      if ((rc = cli_parse_int("bench-mesh", "--smooth", optarg, 0, 1000, &smooth))) return rc;
      break;
    case 'c': scalar = 1; break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("bench-mesh", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("bench-mesh", "unexpected argument '%s'", argv[optind]);
  static const char colin[] = "/usr/share/mricron/templates/ch2bet.nii.gz";
  if (!path && cr_file_exists(colin)) path = colin;
  cr_volume *vol = NULL;
  if (path) {
    if (cr_volume_load(path, -1, &vol, NULL)) return cli_fail_last();
    printf("volume %s\n", path);
  } else {
    cr_phantom_options p = cr_phantom_defaults();
    if (cr_phantom_make(&p, &vol)) return cli_fail_last();
    if (!have_iso) iso = 300;
    printf("volume: phantom (Colin27 not found)\n");
  }
  int simd = cr_mesh_raster_set_simd(!scalar);
  printf("rasterizer: %s\n", simd     ? "AVX2 kernel"
                             : scalar ? "scalar path (--scalar)"
                                      : "scalar path (no AVX2 on this CPU)");
  rc = bench(vol, iso, size, repeat, smooth);
  cr_volume_free(vol);
  return rc;
}

const cr_command cr_command_bench_mesh = {"bench-mesh",
                                          "time marching cubes and the mesh rasterizer", run};
