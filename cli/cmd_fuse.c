// camreg fuse: several scans of one object (different orientations and slice
// thicknesses) fused into one isotropic volume by super-resolution reconstruction; and
// --simulate, which cuts a volume into thick-slice scans for a reproducible example.
#include "cli/command.h"
#include "cli/common.h"
#include "core/error.h"
#include "core/volume.h"
#include "recon/fuse.h"

#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: camreg fuse -o OUT.nii.gz SCAN.nii.gz SCAN.nii.gz ... [options]\n"
    "       camreg fuse --simulate VOLUME -o PREFIX [--thickness MM] [--noise F] [--seed N]\n\n"
    "Fuses scans of one object, each in its own world placement (any orientation, thick\n"
    "or thin slices), into one isotropic volume by super-resolution reconstruction. Each\n"
    "scan voxel is modelled as the unknown volume seen through the voxel's point-spread\n"
    "function: a Gaussian of FWHM = slice thickness (the largest voxel spacing; times\n"
    "--slice-fwhm) along the slice axis, the voxel's box in-plane. Intensities are scaled\n"
    "to the first scan over their overlap. The volume minimizes the misfit to every scan\n"
    "plus lambda times its squared gradient (conjugate gradients), or comes from\n"
    "iterative back-projection, or is the plain average of the resampled scans.\n"
    "The output grid has world (RAS) axes and --spacing voxels (default: the finest scan\n"
    "voxel size), lined up with the first scan and covering all scans; or --like's grid.\n"
    "Working memory is printed before the run.\n\n"
    "--simulate cuts VOLUME into three scans with thick slices along each voxel axis\n"
    "(Gaussian slice profile of FWHM = thickness, noise = F times the volume's maximum):\n"
    "PREFIX_sag.nii.gz, PREFIX_cor.nii.gz, PREFIX_ax.nii.gz (slices across the i, j, k\n"
    "axes; named for a RAS-like volume).\n\n"
    "options:\n"
    "  -o, --out FILE        fused volume (.nii/.nii.gz, float), or the --simulate prefix\n"
    "      --spacing MM      output voxel size (default: the finest scan voxel size)\n"
    "      --like FILE       output on this volume's grid\n"
    "      --method M        cg (default), ibp or average\n"
    "      --lambda L        cg: weight of the gradient regularizer (default 0.01)\n"
    "      --iterations N    cg/ibp iterations at most (default 40)\n"
    "      --tolerance T     cg: stop when the residual fell by T (default 1e-4)\n"
    "      --slice-fwhm F    slice profile FWHM in slice spacings (default 1)\n"
    "      --no-match        do not scale intensities to the first scan\n"
    "      --check-alignment report each scan's residual rigid misalignment to the result\n"
    "      --compare FILE    also print the RMSE of the result against this volume\n"
    "                        (sampled at its voxels; for evaluation only)\n"
    "      --simulate FILE   make thick-slice scans of FILE instead (see above)\n"
    "      --thickness MM    --simulate: slice thickness (default 4)\n"
    "      --noise F         --simulate: noise std dev / maximum (default 0.01)\n"
    "      --seed N          --simulate: noise seed (default 1)\n"
    "  -h, --help            this text\n";

static int progress(void *ctx, int done, int total, double ratio) {
  (void)ctx, (void)ratio;
  cli_progress("fuse", done, total);
  return 0;
}

// RMSE of `vol` sampled at the voxel centres of `ref`, over all of ref's voxels and over
// those where ref is non-zero (the object in a skull-stripped or masked volume).
static void compare(const cr_volume *vol, const cr_volume *ref, double *rmse_all, double *rmse_fg) {
  double e_all = 0, e_fg = 0;
  long n_all = 0, n_fg = 0;
  for (int k = 0; k < ref->dim[2]; k++)
    for (int j = 0; j < ref->dim[1]; j++)
      for (int i = 0; i < ref->dim[0]; i++) {
        double ijk[3] = {i, j, k}, w[3];
        cr_volume_voxel_to_world(ref, ijk, w);
        float v = cr_volume_sample_linear(vol, w, 0.0f),
              r = ref->data[cr_volume_index(ref, i, j, k)];
        double d = (double)v - r;
        e_all += d * d, n_all++;
        if (r != 0) e_fg += d * d, n_fg++;
      }
  *rmse_all = sqrt(e_all / (n_all ? n_all : 1)), *rmse_fg = sqrt(e_fg / (n_fg ? n_fg : 1));
}

static int simulate(const char *in, const char *prefix, double thickness, double noise, long seed) {
  cr_volume *vol = NULL, *s[3] = {NULL, NULL, NULL};
  const char *name[3] = {"sag", "cor", "ax"};
  char path[3][4096];
  int rc = cr_volume_load(in, -1, &vol, NULL);
  if (rc) cr_error_prefix(in);
  for (int a = 0; !rc && a < 3; a++) {
    rc = cr_fuse_simulate(vol, a, thickness, noise, (uint64_t)seed, &s[a]);
    if (rc) cr_error_prefix(in);
    snprintf(path[a], sizeof path[a], "%s_%s.nii.gz", prefix, name[a]);
  }
  // All three or none: the command's atomic output group (cli.c, core/atomic_file.h)
  // places the files together only when the command succeeds.
  for (int a = 0; !rc && a < 3; a++) {
    if ((rc = cr_volume_save(path[a], s[a]))) break;
    printf("wrote %s: %dx%dx%d, %g x %g x %g mm\n", path[a], s[a]->dim[0], s[a]->dim[1],
           s[a]->dim[2], s[a]->spacing[0], s[a]->spacing[1], s[a]->spacing[2]);
  }
  for (int a = 0; a < 3; a++) cr_volume_free(s[a]);
  cr_volume_free(vol);
  return rc ? cli_fail_last() : 0;
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                       {"spacing", required_argument, 0, 's'},
                                       {"like", required_argument, 0, 'L'},
                                       {"method", required_argument, 0, 'M'},
                                       {"lambda", required_argument, 0, 'l'},
                                       {"iterations", required_argument, 0, 'n'},
                                       {"tolerance", required_argument, 0, 't'},
                                       {"slice-fwhm", required_argument, 0, 'f'},
                                       {"no-match", no_argument, 0, 'N'},
                                       {"check-alignment", no_argument, 0, 'a'},
                                       {"compare", required_argument, 0, 'c'},
                                       {"simulate", required_argument, 0, 'S'},
                                       {"thickness", required_argument, 0, 'T'},
                                       {"noise", required_argument, 0, 'z'},
                                       {"seed", required_argument, 0, 'r'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  cr_fuse_options o = cr_fuse_defaults();
  const char *out = NULL, *like = NULL, *cmp = NULL, *sim = NULL;
  double thickness = 4, noise = 0.01;
  int check = 0, c, rc, seed = 1;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': out = optarg; break;
    case 's':
      if ((rc = cli_parse_double("fuse", "--spacing", optarg, &o.spacing_mm))) return rc;
      if (!(o.spacing_mm >= 0.01 && o.spacing_mm < 1000))
        return cli_usage_error("fuse", "--spacing must be 0.01..1000 mm");
      break;
    case 'L': like = optarg; break;
    case 'M':
      if (!strcmp(optarg, "cg"))
        o.method = CR_FUSE_CG;
      else if (!strcmp(optarg, "ibp"))
        o.method = CR_FUSE_IBP;
      else if (!strcmp(optarg, "average"))
        o.method = CR_FUSE_AVERAGE;
      else
        return cli_usage_error("fuse", "--method must be cg, ibp or average, not '%s'", optarg);
      break;
    case 'l':
      if ((rc = cli_parse_double("fuse", "--lambda", optarg, &o.lambda))) return rc;
      if (!(o.lambda >= 0)) return cli_usage_error("fuse", "--lambda must be >= 0");
      break;
    case 'n':
      if ((rc = cli_parse_int("fuse", "--iterations", optarg, 0, 100000, &o.iterations))) return rc;
      break;
    case 't':
      if ((rc = cli_parse_double("fuse", "--tolerance", optarg, &o.tolerance))) return rc;
      if (!(o.tolerance >= 0)) return cli_usage_error("fuse", "--tolerance must be >= 0");
      break;
    case 'f':
      if ((rc = cli_parse_double("fuse", "--slice-fwhm", optarg, &o.slice_fwhm_factor))) return rc;
      if (!(o.slice_fwhm_factor > 0 && o.slice_fwhm_factor < 100))
        return cli_usage_error("fuse", "--slice-fwhm must be in (0, 100)");
      break;
    case 'N': o.match_intensity = 0; break;
    case 'a': check = 1; break;
    case 'c': cmp = optarg; break;
    case 'S': sim = optarg; break;
    case 'T':
      if ((rc = cli_parse_double("fuse", "--thickness", optarg, &thickness))) return rc;
      if (!(thickness > 0)) return cli_usage_error("fuse", "--thickness must be > 0 mm");
      break;
    case 'z':
      if ((rc = cli_parse_double("fuse", "--noise", optarg, &noise))) return rc;
      if (!(noise >= 0 && noise < 10)) return cli_usage_error("fuse", "--noise must be 0..10");
      break;
    case 'r':
      if ((rc = cli_parse_int("fuse", "--seed", optarg, 0, 2147483647, &seed))) return rc;
      break;
    case 'h': fputs(usage, stdout); return 0;
    default: return cli_usage_error("fuse", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (!out) return cli_usage_error("fuse", "-o is required");
  if (sim) {
    if (optind < argc)
      return cli_usage_error("fuse", "--simulate takes no scans ('%s')", argv[optind]);
    return simulate(sim, out, thickness, noise, seed);
  }
  int n = argc - optind;
  if (n < 1) return cli_usage_error("fuse", "give at least one scan");
  if (n > CR_FUSE_MAX_SCANS) return cli_usage_error("fuse", "at most %d scans", CR_FUSE_MAX_SCANS);
  cr_volume *scans[CR_FUSE_MAX_SCANS] = {0}, *grid = NULL, *ref = NULL, *fused = NULL;
  rc = 0;
  for (int k = 0; k < n && !rc; k++)
    if ((rc = cr_volume_load(argv[optind + k], -1, &scans[k], NULL)))
      cr_error_prefix(argv[optind + k]);
  if (!rc && like && (rc = cr_volume_load(like, -1, &grid, NULL))) cr_error_prefix(like);
  if (!rc && cmp && (rc = cr_volume_load(cmp, -1, &ref, NULL))) cr_error_prefix(cmp);
  o.grid = grid;
  int dim[3];
  double W[4][4];
  size_t mem = 0;
  if (!rc) {
    rc = cr_fuse_plan((const cr_volume *const *)scans, n, &o, dim, W, &mem);
    // Name the scan the library's message refers to by its file.
    if (rc) {
      const char *msg = cr_last_error(), *p = strstr(msg, "scan ");
      int idx = p ? atoi(p + 5) : 0;
      if (idx >= 1 && idx <= n) cr_error_prefix(argv[optind + idx - 1]);
    }
  }
  if (!rc) {
    const char *mname[] = {"cg", "ibp", "average"};
    fprintf(stderr,
            "fuse: %d scans -> %dx%dx%d voxels of %g mm (%s), working memory %.0f MB, %d threads\n",
            n, dim[0], dim[1], dim[2],
            sqrt(W[0][0] * W[0][0] + W[1][0] * W[1][0] + W[2][0] * W[2][0]), mname[o.method],
            mem / 1048576.0, omp_get_max_threads());
    o.progress = progress;
  }
  cr_fuse_report rep;
  double t0 = omp_get_wtime();
  if (!rc) {
    rc = cr_fuse((const cr_volume *const *)scans, n, &o, &fused, &rep);
    if (rc) {
      const char *msg = cr_last_error(), *p = strstr(msg, "scan ");
      int idx = p ? atoi(p + 5) : 0;
      if (idx >= 1 && idx <= n) cr_error_prefix(argv[optind + idx - 1]);
    }
  }
  double t_fuse = omp_get_wtime() - t0;
  if (!rc) rc = cr_volume_save(out, fused);
  if (!rc) {
    printf("fused %d scans into %s: %dx%dx%d at %g mm, %d iterations (residual %.2e), %.2f s\n", n,
           out, rep.dim[0], rep.dim[1], rep.dim[2], rep.spacing_mm, rep.iterations,
           rep.residual_ratio, t_fuse);
    for (int k = 0; k < n; k++) {
      const cr_fuse_scan_report *s = &rep.scans[k];
      printf("  scan %d %s: slice axis %d, profile FWHM %.2f mm, scale %.4f, overlap %.1f %%, "
             "rms misfit %.4g\n",
             k + 1, argv[optind + k], s->slice_axis, s->slice_fwhm_mm, s->scale, 100 * s->overlap,
             s->rms_residual);
    }
  }
  if (!rc && check) {
    cr_fuse_alignment al[CR_FUSE_MAX_SCANS];
    double scales[CR_FUSE_MAX_SCANS];
    for (int k = 0; k < n; k++) scales[k] = rep.scans[k].scale;
    rc = cr_fuse_check_alignment((const cr_volume *const *)scans, n, scales, fused, &o, al);
    for (int k = 0; !rc && k < n; k++)
      printf("  alignment scan %d: mean shift %.3f mm (rotation %.3f deg, translation %.3f %.3f "
             "%.3f mm), rms misfit %.4g -> %.4g\n",
             k + 1, al[k].mean_shift_mm, al[k].rotation_deg, al[k].translation_mm[0],
             al[k].translation_mm[1], al[k].translation_mm[2], al[k].rms_before, al[k].rms_after);
  }
  if (!rc && ref) {
    double all, fg;
    compare(fused, ref, &all, &fg);
    printf("rmse against %s: %.4f (all voxels), %.4f (non-zero voxels)\n", cmp, all, fg);
  }
  for (int k = 0; k < n; k++) cr_volume_free(scans[k]);
  cr_volume_free(grid), cr_volume_free(ref), cr_volume_free(fused);
  return rc ? cli_fail_last() : 0;
}

const cr_command cr_command_fuse = {
    "fuse", "fuse scans of one object into one high-resolution volume (super-resolution)", run};
