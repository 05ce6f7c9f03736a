// camreg render -m label / camreg overlay: a label map projected through the camera onto
// the photo (render/labels.h), with the label images and a legend of what is visible.
#include "cli/labels.h"
#include "cli/common.h"

#include "core/atomic_file.h"
#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"
#include "render/labels.h"
#include "render/render.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LUTS 4

void cli_labels_usage(const char *cmd) {
  printf("usage: camreg %s --volume MRI.nii.gz --labels LABELS.nii.gz --camera cam.yml --pose "
         "pose.txt\n"
         "       %s--out overlay.png [--photo photo.png] [--lut TABLE]... [--label-image L.png]\n"
         "       %s[--below MM --deep-image D.png --deep-depth DD.nii.gz] [options]\n\n"
         "Projects a label map (a segmentation or an atlas, whole-number labels in the MRI's\n"
         "world space, any grid) through the registered camera onto the photo. The surface is\n"
         "the MRI's isosurface (the surface render's first hit, as `camreg render -m surface`);\n"
         "along each pixel ray the label map is sampled (nearest voxel) below the hit:\n"
         "  - the surface label: the first non-zero label within --surface-mm (default 2) below\n"
         "    the hit, filled in its colour (borders between labels darker);\n"
         "  - with --below MM: the first other label from --surface-mm to MM below the hit,\n"
         "    drawn as its contour, opaque just under the surface and fading to 25 %% at MM\n"
         "    (the depth cue).\n"
         "Colours and names come from lookup tables: --lut FILE (up to %d, merged in order):\n"
         "FreeSurfer LUT / 3D Slicer colour table lines 'index name r g b [a]', MRIcron atlas\n"
         "lists 'index name code' (names), or a 768-byte MRIcron .lut palette (colours).\n"
         "Without --lut, LABELS' own tables are used when they exist beside it (for\n"
         "aal.nii.gz: aal.nii.txt and aal.nii.lut, as mricron-data ships them); labels\n"
         "without a colour get a fixed one from their index. The visible labels are listed\n"
         "on stdout (index, name, pixels, colour).\n\n"
         "options:\n"
         "  -v, --volume FILE     the MRI (NIfTI) whose surface the camera sees\n"
         "      --labels FILE     label map (NIfTI), same world space as the MRI\n"
         "      --lut FILE        lookup table (repeatable)\n"
         "  -c, --camera FILE     OpenCV camera YAML\n"
         "  -p, --pose FILE       cam_from_world pose (e.g. camreg register's output)\n"
         "      --photo FILE      photo to draw on (the camera's size)%s\n"
         "      --mask FILE       labels only where this image (the camera's size) is non-zero:\n"
         "                        the craniotomy opening\n"
         "  -o, --out FILE        overlay image (8-bit RGB; the shaded surface render when no\n"
         "                        photo is given)\n"
         "      --label-image F   the surface label per pixel: .png 16-bit (labels <= 65535),\n"
         "                        .nii/.nii.gz (float, placed as the camera's image plane), .tif\n"
         "      --deep-image F    the deep label per pixel (with --below)\n"
         "      --deep-depth F    its distance below the surface, mm along the ray (NaN: none;\n"
         "                        .nii/.nii.gz or .tif)\n"
         "      --surface-mm MM   depth searched for the surface label (default 2)\n"
         "      --below MM        depth searched for deep structures (default 0: none)\n"
         "      --label-step MM   sampling step below the surface (default: a quarter voxel)\n"
         "      --alpha A         opacity of the surface labels' fill, 0..1 (default 0.45)\n"
         "      --iso LEVEL       MRI surface level (default: automatic, Otsu)\n"
         "      --surface-smooth MM  Gaussian sigma of the surface field (default 1)\n"
         "  -h, --help            this text\n",
         cmd, strcmp(cmd, "render") ? "               " : "-m label ",
         strcmp(cmd, "render") ? "               " : "         ", MAX_LUTS,
         strcmp(cmd, "render") ? " (required)" : "");
}

typedef struct label_args {
  const char *volume, *labels, *camera, *pose, *photo, *mask, *out, *label_image, *deep_image,
      *deep_depth, *lut[MAX_LUTS];
  int n_lut;
  cr_label_options lo;
  double alpha, iso, smooth;
  int have_smooth;
} label_args;

static int parse(const char *cmd, int argc, char **argv, label_args *a) {
  static const struct option opts[] = {{"volume", required_argument, 0, 'v'},
                                       {"labels", required_argument, 0, 'L'},
                                       {"lut", required_argument, 0, 'T'},
                                       {"camera", required_argument, 0, 'c'},
                                       {"pose", required_argument, 0, 'p'},
                                       {"photo", required_argument, 0, 'P'},
                                       {"mask", required_argument, 0, 'K'},
                                       {"out", required_argument, 0, 'o'},
                                       {"label-image", required_argument, 0, 'I'},
                                       {"deep-image", required_argument, 0, 'D'},
                                       {"deep-depth", required_argument, 0, 'Z'},
                                       {"surface-mm", required_argument, 0, 's'},
                                       {"below", required_argument, 0, 'b'},
                                       {"label-step", required_argument, 0, 'S'},
                                       {"alpha", required_argument, 0, 'a'},
                                       {"iso", required_argument, 0, 'i'},
                                       {"surface-smooth", required_argument, 0, 'G'},
                                       {"mode", required_argument, 0, 'm'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  memset(a, 0, sizeof *a);
  a->lo = cr_label_defaults();
  a->alpha = cr_label_draw_defaults().fill_alpha;
  a->iso = NAN;
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "v:c:p:o:m:h", opts, NULL)) != -1) {
    switch (c) {
    case 'v': a->volume = optarg; break;
    case 'L': a->labels = optarg; break;
    case 'T':
      if (a->n_lut == MAX_LUTS) return cli_usage_error(cmd, "at most %d --lut files", MAX_LUTS);
      a->lut[a->n_lut++] = optarg;
      break;
    case 'c': a->camera = optarg; break;
    case 'p': a->pose = optarg; break;
    case 'P': a->photo = optarg; break;
    case 'K': a->mask = optarg; break;
    case 'o': a->out = optarg; break;
    case 'I': a->label_image = optarg; break;
    case 'D': a->deep_image = optarg; break;
    case 'Z': a->deep_depth = optarg; break;
    case 'm':
      if (strcmp(optarg, "label")) return cli_usage_error(cmd, "--mode must be label here");
      break;
    case 's':
      if ((rc = cli_parse_double(cmd, "--surface-mm", optarg, &a->lo.surface_mm))) return rc;
      break;
    case 'b':
      if ((rc = cli_parse_double(cmd, "--below", optarg, &a->lo.below_mm))) return rc;
      break;
    case 'S':
      if ((rc = cli_parse_double(cmd, "--label-step", optarg, &a->lo.step_mm))) return rc;
      break;
    case 'a':
      if ((rc = cli_parse_double(cmd, "--alpha", optarg, &a->alpha))) return rc;
      break;
    case 'i':
      if ((rc = cli_parse_double(cmd, "--iso", optarg, &a->iso))) return rc;
      break;
    case 'G':
      if ((rc = cli_parse_double(cmd, "--surface-smooth", optarg, &a->smooth))) return rc;
      a->have_smooth = 1;
      break;
    case 'h': cli_labels_usage(cmd); return -1;
    default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
  if (!a->volume || !a->labels || !a->camera || !a->pose || !a->out)
    return cli_usage_error(cmd, "--volume, --labels, --camera, --pose and --out are required");
  if (!(a->lo.surface_mm >= 0 && a->lo.surface_mm <= 100))
    return cli_usage_error(cmd, "--surface-mm must be in 0..100");
  if (!(a->lo.below_mm >= 0 && a->lo.below_mm <= 200))
    return cli_usage_error(cmd, "--below must be in 0..200");
  if (a->lo.below_mm > 0 && a->lo.below_mm < a->lo.surface_mm)
    return cli_usage_error(cmd, "--below %g is less than --surface-mm %g", a->lo.below_mm,
                           a->lo.surface_mm);
  if ((a->deep_image || a->deep_depth) && !(a->lo.below_mm > 0))
    return cli_usage_error(cmd, "--deep-image and --deep-depth need --below MM");
  if (a->lo.step_mm < 0) return cli_usage_error(cmd, "--label-step must be positive");
  if (!(a->alpha >= 0 && a->alpha <= 1)) return cli_usage_error(cmd, "--alpha must be in 0..1");
  if (a->have_smooth && !(a->smooth >= 0))
    return cli_usage_error(cmd, "--surface-smooth must be >= 0");
  if (!cr_path_has_suffix(a->out, ".png") && !cr_path_has_suffix(a->out, ".jpg") &&
      !cr_path_has_suffix(a->out, ".tif"))
    return cli_usage_error(cmd, "--out %s: the overlay is a .png, .jpg or .tif image", a->out);
  const char *imgs[3] = {a->label_image, a->deep_image, a->deep_depth};
  for (int i = 0; i < 3; i++)
    if (imgs[i] && !cr_path_has_suffix(imgs[i], ".nii") &&
        !cr_path_has_suffix(imgs[i], ".nii.gz") && !cr_path_has_suffix(imgs[i], ".tif") &&
        !cr_path_has_suffix(imgs[i], ".tiff") && (i == 2 || !cr_path_has_suffix(imgs[i], ".png")))
      return cli_usage_error(cmd, "%s: label images are .png (16-bit), .nii, .nii.gz or .tif%s",
                             imgs[i], i == 2 ? " (depths: not .png)" : "");
  return 0;
}

// The label map's own tables beside it (MRIcron's naming: aal.nii.gz -> aal.nii.txt,
// aal.nii.lut), read into t; their number.
static int beside_tables(const char *labels, cr_label_table *t, int *rc) {
  char stem[4096], path[4200];
  snprintf(stem, sizeof stem, "%s", labels);
  size_t n = strlen(stem);
  if (n > 3 && !strcmp(stem + n - 3, ".gz")) stem[n -= 3] = 0;
  int found = 0;
  const char *ext[2] = {".txt", ".lut"};
  for (int k = 0; k < 2 && !*rc; k++) {
    snprintf(path, sizeof path, "%s%s", stem, ext[k]);
    if (!cr_file_exists(path)) continue;
    if ((*rc = cr_label_table_read(t, path))) break;
    fprintf(stderr, "label table %s\n", path);
    found++;
  }
  return found;
}

static int write_label_image(const char *path, const cr_image *img, const cr_camera *cam,
                             const cr_pose *P, double plane_mm) {
  if (cr_path_has_suffix(path, ".png")) {
    float mn, mx;
    cr_image_minmax(img, &mn, &mx);
    if (mx > 65535)
      return cr_error(CR_EINVAL, "%s: label %g does not fit a 16-bit PNG (write .nii.gz)", path,
                      (double)mx);
    return cr_image_write(path, img, 16);
  }
  return cr_render_write(path, img, cam, P, plane_mm, NULL);
}

typedef struct seen {
  long index, pixels;
  double min_mm; // deep labels: shallowest depth below the surface
} seen;

static int by_pixels(const void *x, const void *y) {
  const seen *a = x, *b = y;
  return (a->pixels < b->pixels) - (a->pixels > b->pixels);
}

// Counts the labels of img (deep: with their shallowest depth), sorted by pixels.
static int count_labels(const cr_image *img, const cr_image *mm, seen **out, int *n_out) {
  int n = 0, cap = 0;
  seen *s = NULL;
  for (int v = 0; v < img->height; v++)
    for (int u = 0; u < img->width; u++) {
      long l = (long)cr_image_px(img, u, v)[0];
      if (!l) continue;
      int k = 0;
      while (k < n && s[k].index != l) k++;
      if (k == n) {
        if (n == cap) {
          seen *t = realloc(s, (size_t)(cap = cap ? 2 * cap : 32) * sizeof *t);
          if (!t) return free(s), cr_error(CR_ENOMEM, "out of memory");
          s = t;
        }
        s[n++] = (seen){l, 0, INFINITY};
      }
      s[k].pixels++;
      if (mm) s[k].min_mm = fmin(s[k].min_mm, cr_image_px(mm, u, v)[0]);
    }
  if (n) qsort(s, (size_t)n, sizeof *s, by_pixels);
  *out = s, *n_out = n;
  return 0;
}

static void print_legend(const char *what, const seen *s, int n, const cr_label_table *t) {
  printf("%s labels visible: %d\n", what, n);
  for (int k = 0; k < n; k++) {
    const cr_label_entry *e = cr_label_table_find(t, s[k].index);
    unsigned char c[3];
    cr_label_table_colour(t, s[k].index, c);
    printf("  %6ld  %-28s %8ld px  #%02x%02x%02x", s[k].index, e && e->name[0] ? e->name : "-",
           s[k].pixels, c[0], c[1], c[2]);
    if (isfinite(s[k].min_mm)) printf("  from %.1f mm below the surface", s[k].min_mm);
    printf("\n");
  }
}

static int cmp_float(const void *x, const void *y) {
  float a = *(const float *)x, b = *(const float *)y;
  return (a > b) - (a < b);
}

// Median camera depth of the hit pixels (100 mm if none: only places a NIfTI header).
static double median_depth(const cr_image *depth) {
  size_t n = 0, N = (size_t)depth->width * depth->height;
  float *dv = malloc(N * sizeof *dv);
  if (!dv) return 100;
  for (size_t i = 0; i < N; i++)
    if (depth->data[i] > 0) dv[n++] = depth->data[i];
  double m = 100;
  if (n) {
    qsort(dv, n, sizeof *dv, cmp_float);
    m = dv[n / 2];
  }
  free(dv);
  return m;
}

int cli_labels_run(const char *cmd, int argc, char **argv, int need_photo) {
  label_args a;
  int rc = parse(cmd, argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  if (need_photo && !a.photo)
    return cli_usage_error(cmd, "--photo is required (camreg render -m label draws without one)");
  cr_camera cam;
  cr_pose P;
  cr_volume *vol = NULL, *lab = NULL;
  cr_label_table *table = NULL;
  cr_renderer *r = NULL;
  cr_image *photo = NULL, *mask = NULL, *shade = NULL, *xyz = NULL, *depth = NULL, *S = NULL,
           *D = NULL, *Dmm = NULL, *rgb = NULL;
  seen *ss = NULL, *sd = NULL;
  int n_ss = 0, n_sd = 0, bits = 8;
  if (cr_camera_read(a.camera, &cam) || cr_pose_read(a.pose, &P)) return cli_fail_last();
  if (a.photo) {
    if (cr_image_read(a.photo, &photo, &bits)) goto fail;
    if (photo->width != cam.width || photo->height != cam.height) {
      rc = cli_fail(cmd, "%s: the photo is %dx%d, the camera %s %dx%d", a.photo, photo->width,
                    photo->height, a.camera, cam.width, cam.height);
      goto done;
    }
    if (bits == 16)
      for (size_t i = 0; i < (size_t)photo->width * photo->height * photo->channels; i++)
        photo->data[i] /= 257.0f;
  }
  if (a.mask) {
    if (cr_image_read(a.mask, &mask, NULL)) goto fail;
    if (mask->width != cam.width || mask->height != cam.height) {
      rc = cli_fail(cmd, "%s: the mask is %dx%d, the camera %s %dx%d", a.mask, mask->width,
                    mask->height, a.camera, cam.width, cam.height);
      goto done;
    }
  }
  if (cr_volume_load(a.volume, -1, &vol, NULL)) goto fail;
  if (cr_volume_load(a.labels, -1, &lab, NULL)) goto fail;
  if (cr_label_volume_check(lab)) {
    cr_error_prefix(a.labels);
    goto fail;
  }
  if (!(table = cr_label_table_new())) goto fail;
  for (int i = 0; i < a.n_lut; i++)
    if (cr_label_table_read(table, a.lut[i])) goto fail;
  if (!a.n_lut) {
    int trc = 0;
    if (!beside_tables(a.labels, table, &trc) && !trc)
      fprintf(stderr, "no label table beside %s: colours from the label indices\n", a.labels);
    if (trc) goto fail;
  }
  cr_render_options ro = cr_render_defaults(&cr_render_mode_surface);
  ro.iso = a.iso;
  if (a.have_smooth) ro.surface_smooth_mm = a.smooth;
  if (cr_status_of(r = cr_renderer_new(vol, NULL, &ro))) {
    cr_error_prefix(a.volume);
    goto fail;
  }
  const int W = cam.width, H = cam.height;
  if (!(shade = cr_image_new(W, H, 1)) || !(xyz = cr_image_new(W, H, 3)) ||
      !(depth = cr_image_new(W, H, 1)) || !(S = cr_image_new(W, H, 1)) ||
      !(rgb = cr_image_new(W, H, 3)))
    goto fail;
  if (a.lo.below_mm > 0 && (!(D = cr_image_new(W, H, 1)) || !(Dmm = cr_image_new(W, H, 1))))
    goto fail;
  cr_render_out out = {.image = shade, .depth = depth, .xyz = xyz};
  if (cr_render(r, &cam, &P, &out)) goto fail;
  cr_label_out lo = {S, D, Dmm};
  if (cr_label_project(lab, &P, xyz, &a.lo, &lo)) goto fail;
  for (int v = 0; mask && v < H; v++) // outside the mask: no labels
    for (int u = 0; u < W; u++)
      if (cr_image_px(mask, u, v)[0] == 0) {
        cr_image_px(S, u, v)[0] = 0;
        if (D) cr_image_px(D, u, v)[0] = 0, cr_image_px(Dmm, u, v)[0] = NAN;
      }
  if (!photo) // no photo: the shaded surface render, on mid-grey where nothing is hit
    for (size_t i = 0; i < (size_t)W * H; i++)
      shade->data[i] = depth->data[i] > 0 ? 40.0f + 200.0f * shade->data[i] : 20.0f;
  cr_label_draw_options dop = cr_label_draw_defaults();
  dop.fill_alpha = a.alpha, dop.surface_mm = a.lo.surface_mm, dop.below_mm = a.lo.below_mm;
  if (cr_label_draw(photo ? photo : shade, &lo, table, &dop, rgb)) goto fail;
  // the image plane of NIfTI outputs at the median hit depth (the surface seen)
  double plane = median_depth(depth);
  if (cr_image_write(a.out, rgb, 8)) goto fail;
  fprintf(stderr, "wrote %s\n", a.out);
  if (a.label_image && write_label_image(a.label_image, S, &cam, &P, plane)) goto fail;
  if (a.deep_image && write_label_image(a.deep_image, D, &cam, &P, plane)) goto fail;
  if (a.deep_depth && cr_render_write(a.deep_depth, Dmm, &cam, &P, plane, NULL)) goto fail;
  if (count_labels(S, NULL, &ss, &n_ss)) goto fail;
  long n_hit = 0, n_lab = 0;
  for (size_t i = 0; i < (size_t)W * H; i++)
    if (!mask || mask->data[i * (size_t)mask->channels] != 0)
      n_hit += depth->data[i] > 0, n_lab += S->data[i] != 0;
  printf("%ld of %ld pixels that see the surface%s have a label within %g mm below it\n", n_lab,
         n_hit, mask ? " inside the mask" : "", a.lo.surface_mm);
  print_legend("surface", ss, n_ss, table);
  if (D) {
    if (count_labels(D, Dmm, &sd, &n_sd)) goto fail;
    print_legend("deep", sd, n_sd, table);
  }
  rc = 0;
  goto done;
fail:
  rc = cli_fail_last();
done:
  free(ss), free(sd);
  cr_image_free(photo), cr_image_free(mask), cr_image_free(shade), cr_image_free(xyz),
      cr_image_free(depth);
  cr_image_free(S), cr_image_free(D), cr_image_free(Dmm), cr_image_free(rgb);
  cr_renderer_free(r);
  cr_label_table_free(table);
  cr_volume_free(lab);
  cr_volume_free(vol);
  return rc;
}
