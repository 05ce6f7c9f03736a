// camreg bench-fuse: the fusion acceptance run. A volume is cut into three orthogonal
// thick-slice scans (Gaussian slice profile, noise); each scan alone resampled, the plain
// average, iterative back-projection and the regularized reconstruction are compared to
// the volume (RMSE) and their cortex meshes to its mesh (mean surface distance).
#include "cli/command.h"
#include "cli/common.h"
#include "core/error.h"
#include "core/volume.h"
#include "mesh/mesh.h"
#include "recon/fuse.h"

#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: camreg bench-fuse [options]\n\n"
    "Cuts the volume into three scans with thick slices along its three voxel axes\n"
    "(camreg fuse --simulate), then rebuilds it on its own grid from each scan alone\n"
    "(trilinear), from the plain average, by iterative back-projection and by camreg\n"
    "fuse's default reconstruction. Prints per method the time, the RMSE against the\n"
    "volume (all voxels; non-zero voxels, i.e. the brain of a skull-stripped MRI), the\n"
    "ratio to the best single scan, and the mean surface distance of its cortex mesh\n"
    "(camreg mesh's defaults, the original's iso level) to the volume's. Targets\n"
    "(issue 16): ratio <= 0.45, a mesh closer than any single scan's, <= 20 s.\n\n"
    "options:\n"
    "      --volume FILE   (default datasets/data/colin27/ch2bet.nii.gz)\n"
    "      --crop I,J,K,NI,NJ,NK  use this block of voxels only (fast checks)\n"
    "      --thickness MM  slice thickness (default 4)\n"
    "      --noise F       noise std dev / maximum (default 0.01)\n"
    "      --seed N        noise seed (default 1)\n"
    "      --ibp-iterations N  (default 20)\n"
    "      --lambda L      (default: camreg fuse's)\n"
    "      --no-mesh       skip the meshes\n"
    "  -h, --help          this text\n";

typedef struct row {
  const char *name;
  double time_s, rmse_all, rmse_obj, dist;
} row;

static void rmse(const cr_volume *v, const cr_volume *ref, double *all, double *obj) {
  double ea = 0, eo = 0;
  size_t n = cr_volume_count(ref), no = 0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)v->data[i] - ref->data[i];
    ea += d * d;
    if (ref->data[i] != 0) eo += d * d, no++;
  }
  *all = sqrt(ea / n), *obj = sqrt(eo / (no ? no : 1));
}

static cr_volume *crop(const cr_volume *v, const int c[6]) {
  for (int a = 0; a < 3; a++)
    if (c[a] < 0 || c[3 + a] < 2 || c[a] + c[3 + a] > v->dim[a]) {
      cr_error(CR_EINVAL, "bench-fuse: --crop block outside the volume");
      return NULL;
    }
  double W[4][4], o[3], ijk[3] = {c[0], c[1], c[2]};
  memcpy(W, v->world_from_voxel, sizeof W);
  cr_volume_voxel_to_world(v, ijk, o);
  for (int a = 0; a < 3; a++) W[a][3] = o[a];
  cr_volume *out = cr_volume_new(c[3], c[4], c[5], W);
  if (!out) return NULL;
  for (int k = 0; k < c[5]; k++)
    for (int j = 0; j < c[4]; j++)
      for (int i = 0; i < c[3]; i++)
        out->data[cr_volume_index(out, i, j, k)] =
            v->data[cr_volume_index(v, i + c[0], j + c[1], k + c[2])];
  return out;
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"volume", required_argument, 0, 'v'},
                                       {"crop", required_argument, 0, 'c'},
                                       {"thickness", required_argument, 0, 't'},
                                       {"noise", required_argument, 0, 'n'},
                                       {"seed", required_argument, 0, 's'},
                                       {"ibp-iterations", required_argument, 0, 'i'},
                                       {"lambda", required_argument, 0, 'l'},
                                       {"no-mesh", no_argument, 0, 'M'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *path = "datasets/data/colin27/ch2bet.nii.gz";
  double thickness = 4, noise = 0.01, cropd[6];
  int seed = 1, ibp_it = 20, do_mesh = 1, has_crop = 0, c, rc;
  cr_fuse_options fo = cr_fuse_defaults();
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'v': path = optarg; break;
    case 'c':
      if ((rc = cli_parse_doubles("bench-fuse", "--crop", optarg, 6, cropd))) return rc;
      has_crop = 1;
      break;
    case 't':
      if ((rc = cli_parse_double("bench-fuse", "--thickness", optarg, &thickness))) return rc;
      break;
    case 'n':
      if ((rc = cli_parse_double("bench-fuse", "--noise", optarg, &noise))) return rc;
      break;
    case 's':
      if ((rc = cli_parse_int("bench-fuse", "--seed", optarg, 0, 2147483647, &seed))) return rc;
      break;
    case 'i':
      if ((rc = cli_parse_int("bench-fuse", "--ibp-iterations", optarg, 1, 10000, &ibp_it)))
        return rc;
      break;
    case 'l':
      if ((rc = cli_parse_double("bench-fuse", "--lambda", optarg, &fo.lambda))) return rc;
      break;
    case 'M': do_mesh = 0; break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("bench-fuse", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("bench-fuse", "unexpected argument '%s'", argv[optind]);
  cr_volume *full = NULL, *vol = NULL, *scan[3] = {0}, *out = NULL;
  cr_mesh *ref_mesh = NULL;
  row rows[6];
  int nrow = 0;
  if ((rc = cr_volume_load(path, -1, &full, NULL))) {
    cr_error_prefix(path);
    return cli_fail_last();
  }
  if (has_crop) {
    int ci[6];
    for (int a = 0; a < 6; a++) ci[a] = (int)lround(cropd[a]);
    vol = crop(full, ci);
    cr_volume_free(full);
    if (!vol) return cli_fail_last();
  } else {
    vol = full;
  }
  double t0 = omp_get_wtime();
  for (int a = 0; !rc && a < 3; a++)
    rc = cr_fuse_simulate(vol, a, thickness, noise, (uint64_t)seed, &scan[a]);
  printf("bench-fuse: %s %dx%dx%d, three scans of %g mm slices, noise %g (%.2f s), %d threads\n",
         path, vol->dim[0], vol->dim[1], vol->dim[2], thickness, noise, omp_get_wtime() - t0,
         omp_get_max_threads());
  double iso = NAN;
  cr_mesh_cortex_options mo = cr_mesh_cortex_defaults();
  mo.probe_depth_mm = 0;
  if (!rc && do_mesh) rc = cr_mesh_build_cortex(vol, &mo, &ref_mesh, &iso);
  mo.iso = iso;
  static const char *names[] = {"scan i (sagittal) alone", "scan j (coronal) alone",
                                "scan k (axial) alone",    "average of the three",
                                "back-projection (ibp)",   "fuse (cg, default)"};
  for (int m = 0; !rc && m < 6; m++) {
    cr_fuse_options o = fo;
    o.grid = vol;
    const cr_volume *in[3] = {scan[0], scan[1], scan[2]};
    int n = 3;
    if (m < 3) in[0] = scan[m], n = 1, o.method = CR_FUSE_AVERAGE;
    if (m == 3) o.method = CR_FUSE_AVERAGE;
    if (m == 4) o.method = CR_FUSE_IBP, o.iterations = ibp_it;
    cr_fuse_report rep;
    t0 = omp_get_wtime();
    if ((rc = cr_fuse(in, n, &o, &out, &rep))) break;
    row *r = &rows[nrow++];
    r->name = names[m], r->time_s = omp_get_wtime() - t0, r->dist = NAN;
    rmse(out, vol, &r->rmse_all, &r->rmse_obj);
    if (m == 5)
      printf("fuse: %d iterations, residual %.2e, working memory %.0f MB\n", rep.iterations,
             rep.residual_ratio, rep.memory_bytes / 1048576.0);
    if (do_mesh) {
      cr_mesh *mesh = NULL;
      cr_mesh_distance d;
      if ((rc = cr_mesh_build_cortex(out, &mo, &mesh, NULL))) break;
      rc = cr_mesh_surface_distance(mesh, ref_mesh, &d);
      r->dist = d.mean;
      cr_mesh_free(mesh);
    }
    cr_volume_free(out), out = NULL;
  }
  if (!rc) {
    double best = INFINITY, best_all = INFINITY, best_dist = INFINITY;
    for (int i = 0; i < 3; i++)
      best = fmin(best, rows[i].rmse_obj), best_all = fmin(best_all, rows[i].rmse_all),
      best_dist = fmin(best_dist, rows[i].dist);
    printf("%-26s %8s %10s %10s %8s %8s %10s\n", "method", "time s", "rmse all", "rmse obj",
           "ratio", "(all)", "mesh mm");
    for (int i = 0; i < nrow; i++)
      printf("%-26s %8.2f %10.3f %10.3f %8.3f %8.3f %10.3f\n", rows[i].name, rows[i].time_s,
             rows[i].rmse_all, rows[i].rmse_obj, rows[i].rmse_obj / best,
             rows[i].rmse_all / best_all, rows[i].dist);
    const row *f = &rows[5];
    printf("targets: ratio %.3f <= 0.45 %s; mesh %.3f mm < best single %.3f mm %s; time %.2f s <= "
           "20 %s\n",
           f->rmse_obj / best, f->rmse_obj / best <= 0.45 ? "ok" : "MISSED", f->dist, best_dist,
           !do_mesh              ? "(no mesh)"
           : f->dist < best_dist ? "ok"
                                 : "MISSED",
           f->time_s, f->time_s <= 20 ? "ok" : "MISSED");
  }
  for (int a = 0; a < 3; a++) cr_volume_free(scan[a]);
  cr_volume_free(vol), cr_volume_free(out);
  cr_mesh_free(ref_mesh);
  return rc ? cli_fail_last() : 0;
}

const cr_command cr_command_bench_fuse = {
    "bench-fuse", "fusion benchmark: three thick-slice scans of a volume rebuilt and compared",
    run};
