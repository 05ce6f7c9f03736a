// camreg bench-render: ms per frame and samples per second of every render mode.
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/phantom.h"
#include "render/render.h"

#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: camreg bench-render [--volume V.nii.gz] [--frames N] [--modes LIST]\n\n"
    "Times every render mode at 128^2, 256^2 and 512^2 pixels (30 deg field of view, the\n"
    "volume filling the view from the anterior side, the pose turning 0.5 deg per frame)\n"
    "and prints wall ms per frame, samples per second, samples per frame and CPU ms per\n"
    "frame summed over threads (useful on a loaded machine). Default volume: Colin27 ch2bet from\n"
    "datasets/data/colin27 or /usr/share/mricron/templates, else the phantom.\n\n"
    "options:\n"
    "      --volume FILE   NIfTI volume\n"
    "      --frames N      frames per measurement (default 20)\n"
    "      --modes LIST    comma-separated render modes, any of the table (camreg render\n"
    "                      --help lists them; default drr,mip,volume,surface,probe)\n"
    "  -h, --help          this text\n";

static cr_volume *load_default(const char **name) {
  static const char *paths[] = {"datasets/data/colin27/ch2bet.nii.gz",
                                "/usr/share/mricron/templates/ch2bet.nii.gz"};
  cr_volume *v = NULL;
  for (int i = 0; i < 2; i++)
    if (cr_file_exists(paths[i]) && !cr_volume_load(paths[i], -1, &v, NULL)) {
      *name = paths[i];
      return v;
    }
  cr_phantom_options p = cr_phantom_defaults();
  *name = "phantom (default grid)";
  return cr_phantom_make(&p, &v) ? NULL : v;
}

static int bench_mode(const cr_volume *vol, const cr_render_mode_type *mode, int frames) {
  cr_render_options p = cr_render_defaults(mode);
  cr_renderer *r;
  double t0 = omp_get_wtime();
  if (cr_status_of(r = cr_renderer_new(vol, NULL, &p))) return -1;
  double setup_ms = 1e3 * (omp_get_wtime() - t0);
  double lo[3], hi[3], c[3], up[3] = {0, 0, 1}, axis[3] = {0, 0, 1};
  cr_volume_world_bounds(vol, lo, hi);
  for (int a = 0; a < 3; a++) c[a] = 0.5 * (lo[a] + hi[a]);
  double eye[3] = {c[0], c[1] + 1.9 * (hi[1] - lo[1]), c[2] + 0.3 * (hi[2] - lo[2])};
  cr_pose P0;
  cr_pose_look_at(&P0, eye, c, up);
  static const int sizes[3] = {128, 256, 512};
  for (int s = 0; s < 3; s++) {
    cr_camera cam = cr_camera_from_fov(sizes[s], sizes[s], 30);
    cr_image *img = cr_image_new(sizes[s], sizes[s], 1),
             *depth = cr_image_new(sizes[s], sizes[s], 1);
    if (!img || !depth) return -1;
    // the depth map too where the mode makes one (surface, probe, mesh)
    cr_render_out out = {
        img, mode->outputs & CR_RENDER_OUT_DEPTH ? depth : NULL, NULL, NULL, NULL, NULL, NULL};
    if (cr_render(r, &cam, &P0, &out)) return -1; // rays for this camera
    double samples = 0;
    clock_t cpu0 = clock();
    t0 = omp_get_wtime();
    for (int f = 0; f < frames; f++) {
      cr_pose P = cr_render_orbit_pose(&P0, c, axis, 0.5 * f);
      if (cr_render(r, &cam, &P, &out)) return -1;
      samples += cr_renderer_last_samples(r);
    }
    double sec = omp_get_wtime() - t0, cpu = (double)(clock() - cpu0) / CLOCKS_PER_SEC;
    printf("%-8s %4dx%-4d %8.2f ms/frame %8.1f Msamples/s %7.0f ksamples/frame %8.2f cpu-ms/frame"
           "  (setup %.0f ms)\n",
           mode->name, sizes[s], sizes[s], 1e3 * sec / frames, samples / sec * 1e-6,
           samples / frames * 1e-3, 1e3 * cpu / frames, setup_ms);
    cr_image_free(img);
    cr_image_free(depth);
  }
  cr_renderer_free(r);
  return 0;
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"volume", required_argument, 0, 'v'},
                                       {"frames", required_argument, 0, 'f'},
                                       {"modes", required_argument, 0, 'm'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *vpath = NULL, *modes = "drr,mip,volume,surface,probe";
  int frames = 20, c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'v': vpath = optarg; break;
    case 'f':
      if ((rc = cli_parse_int("bench-render", "--frames", optarg, 1, 100000, &frames))) return rc;
      break;
    case 'm': modes = optarg; break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("bench-render", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return cli_usage_error("bench-render", "unexpected argument '%s'", argv[optind]);
  const cr_render_mode_type *list[8];
  int n = 0;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", modes);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (n == 8 || !(list[n] = cr_render_mode_find(tok)))
      return cli_usage_error("bench-render", "--modes: bad mode '%s'", tok);
    n++;
  }
  cr_volume *vol = NULL;
  const char *name = vpath;
  if (vpath ? cr_volume_load(vpath, -1, &vol, NULL) : !(vol = load_default(&name)))
    return cli_fail_last();
  printf("volume %s: %dx%dx%d, %.3g x %.3g x %.3g mm; %d threads, %d frames each\n", name,
         vol->dim[0], vol->dim[1], vol->dim[2], vol->spacing[0], vol->spacing[1], vol->spacing[2],
         omp_get_max_threads(), frames);
  for (int i = 0; i < n; i++)
    if (bench_mode(vol, list[i], frames)) {
      cr_volume_free(vol);
      return cli_fail_last();
    }
  cr_volume_free(vol);
  return 0;
}

const cr_command cr_command_bench_render = {
    "bench-render", "benchmark the renderer (ms/frame per mode and size)", run};
