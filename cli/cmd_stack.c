// camreg stack: a NIfTI volume from a folder or list of 2-D images (sections, B-scans,
// exported slices), with colour-map inversion and interpolation between slices.
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/colormap.h"
#include "core/error.h"
#include "core/image.h"
#include "core/stack.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: camreg stack -o OUT.nii.gz [options] (FOLDER | IMAGE...)\n\n"
    "Stacks 2-D images (PNG, TIFF, JPEG; 8 or 16 bits; grey, or RGB that is grey or made\n"
    "with a colour map) into a volume: image columns along the first axis, rows along the\n"
    "second, the images along the third, in natural order of their file names (s2 before\n"
    "s10). RGB images must be grey (channels within 2 %) unless --colormap names the map\n"
    "that drew them. Slices between the images are interpolated. 16-bit input gives a 16-bit "
    "volume\n"
    "and 8-bit an 8-bit one (--bits 32 for float); a colour map gives float.\n\n"
    "options:\n"
    "  -o, --out FILE          .nii/.nii.gz\n"
    "      --pixel MM[,MM]     pixel size along columns (u) and rows (v) (default 1)\n"
    "      --slice-spacing MM  distance between consecutive images (default 1)\n"
    "      --positions FILE    instead: one position (mm) per image, in image order\n"
    "      --out-slice MM      output spacing along the slice axis (default: pixel u)\n"
    "      --origin X,Y,Z      world place of pixel (0,0) of the first image (default 0,0,0)\n"
    "      --orientation XYZ   world directions of u, v and the slice axis, one of R L A P S\n"
    "                          I each (default RAS; RPS: image up is anterior)\n"
    "      --interp NAME       nearest, linear (default), cubic, shape (masks and labels:\n"
    "                          signed-distance interpolation)\n"
    "      --colormap NAME     invert this map (gray, jet, parula, viridis): RGB -> scalar\n"
    "      --range LO,HI       scalar at the colour map's ends (default 0,1)\n"
    "      --crop X,Y,W,H      keep this rectangle of every image (plot axes, margins)\n"
    "      --bits 8|16|32      output type (default: the input's, see above)\n"
    "  -h, --help              this text\n";

static int has_image_ext(const char *name) {
  static const char *ext[] = {".png", ".tif", ".tiff", ".jpg", ".jpeg"};
  for (int i = 0; i < 5; i++)
    if (cr_path_has_suffix(name, ext[i])) return 1;
  return 0;
}

static int cmp_names(const void *a, const void *b) {
  return cr_natural_compare(*(char *const *)a, *(char *const *)b);
}

// The image paths of a folder (sorted naturally), malloc'ed.
static int list_folder(const char *dir, char ***out, int *n) {
  DIR *d = opendir(dir);
  if (!d) return cr_error(CR_EIO, "%s: cannot open folder (%s)", dir, strerror(errno));
  char **v = NULL;
  int cap = 0, k = 0, rc = 0;
  struct dirent *e;
  while ((e = readdir(d)) && !rc) {
    if (e->d_name[0] == '.' || !has_image_ext(e->d_name)) continue;
    if (k == cap) {
      char **nv = realloc(v, sizeof(char *) * (cap = cap ? 2 * cap : 64));
      if (!nv) {
        rc = cr_error(CR_ENOMEM, "out of memory");
        break;
      }
      v = nv;
    }
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    if (!(v[k] = malloc(len))) {
      rc = cr_error(CR_ENOMEM, "out of memory");
      break;
    }
    snprintf(v[k++], len, "%s/%s", dir, e->d_name);
  }
  closedir(d);
  if (!rc && k == 0) rc = cr_error(CR_EEMPTY, "%s: no .png, .tif or .jpg images", dir);
  if (rc) {
    for (int i = 0; i < k; i++) free(v[i]);
    free(v);
    return rc;
  }
  qsort(v, (size_t)k, sizeof *v, cmp_names);
  *out = v, *n = k;
  return 0;
}

static int axis_of(char c, double a[3]) {
  static const char *letters = "RLAPSI";
  const char *p = strchr(letters, toupper((unsigned char)c));
  if (!p || !c) return -1;
  int i = (int)(p - letters);
  a[0] = a[1] = a[2] = 0;
  a[i / 2] = i % 2 ? -1 : 1;
  return i / 2;
}

// One image as the single-channel slice the stack needs.
static int to_slice(const char *path, const cr_colormap *map, const double range[2],
                    const int crop[4], cr_image **out, int *bits) {
  cr_image *img = NULL;
  int rc = cr_image_read(path, &img, bits);
  if (rc) return rc;
  if (crop[2] > 0) {
    if (crop[0] + crop[2] > img->width || crop[1] + crop[3] > img->height) {
      rc = cr_error(CR_EINVAL, "%s: --crop %d,%d,%d,%d lies outside the %d x %d image", path,
                    crop[0], crop[1], crop[2], crop[3], img->width, img->height);
      cr_image_free(img);
      return rc;
    }
    cr_image v = cr_image_view(img, crop[0], crop[1], crop[2], crop[3]);
    cr_image *c = cr_image_clone(&v);
    cr_image_free(img);
    if (!(img = c)) return cr_last_status();
  }
  cr_image *s = NULL;
  if (map) {
    double worst;
    s = cr_colormap_to_scalar(img, map, *bits == 16 ? 65535 : 255, range[0], range[1], &worst);
    if (s && worst > 0.1)
      fprintf(stderr, "camreg stack: warning: %s has colours %.2f away from the %s map\n", path,
              worst, map->name);
  } else if (img->channels >= 3) {
    // Grey saved as RGB; JPEG compression lets the channels differ by a few levels.
    const float tol = 0.02f * (*bits == 16 ? 65535 : 255);
    for (int y = 0; y < img->height && !rc; y++)
      for (int x = 0; x < img->width && !rc; x++) {
        const float *p = cr_image_px(img, x, y);
        if (fabsf(p[0] - p[1]) > tol || fabsf(p[1] - p[2]) > tol || fabsf(p[0] - p[2]) > tol)
          rc = cr_error(CR_EINVAL,
                        "%s: a colour image (pixel %d,%d is not grey): give --colormap NAME", path,
                        x, y);
      }
    if (!rc) s = cr_image_to_grey(img, -1, NULL); // BT.601 weights: exact when R = G = B
  } else {
    s = cr_image_to_grey(img, 0, NULL);
  }
  cr_image_free(img);
  if (rc) return rc;
  if (!s) return cr_last_status();
  *out = s;
  return 0;
}

static int read_positions(const char *path, int n, double *pos) {
  FILE *fp = fopen(path, "r");
  if (!fp) return cr_error(CR_EIO, "%s: cannot open (%s)", path, strerror(errno));
  int k = 0, line = 0, rc = 0;
  char buf[256];
  while (!rc && fgets(buf, sizeof buf, fp)) {
    line++;
    char *s = buf, *end;
    while (isspace((unsigned char)*s)) s++;
    if (!*s || *s == '#') continue;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end)) end++;
    if (end == s || *end || !isfinite(v))
      rc = cr_error(CR_EFORMAT, "%s:%d: not a number", path, line);
    else if (k >= n)
      rc = cr_error(CR_EFORMAT, "%s: more positions than the %d images", path, n);
    else
      pos[k++] = v;
  }
  fclose(fp);
  if (!rc && k != n) rc = cr_error(CR_EFORMAT, "%s: %d positions for %d images", path, k, n);
  return rc;
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                       {"pixel", required_argument, 0, 'p'},
                                       {"slice-spacing", required_argument, 0, 's'},
                                       {"positions", required_argument, 0, 'P'},
                                       {"out-slice", required_argument, 0, 'z'},
                                       {"origin", required_argument, 0, 'g'},
                                       {"orientation", required_argument, 0, 'r'},
                                       {"interp", required_argument, 0, 'i'},
                                       {"colormap", required_argument, 0, 'c'},
                                       {"range", required_argument, 0, 'R'},
                                       {"crop", required_argument, 0, 'C'},
                                       {"bits", required_argument, 0, 'b'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *out = NULL, *posfile = NULL, *orient = "RAS";
  const cr_colormap *map = NULL;
  cr_stack_options so = cr_stack_defaults();
  double gap = 1, range[2] = {0, 1}, tmp[4];
  int crop[4] = {0, 0, 0, 0}, bits = 0, c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': out = optarg; break;
    case 'p':
      if (strchr(optarg, ',')) {
        if ((rc = cli_parse_doubles("stack", "--pixel", optarg, 2, so.pixel_mm))) return rc;
      } else {
        if ((rc = cli_parse_double("stack", "--pixel", optarg, &so.pixel_mm[0]))) return rc;
        so.pixel_mm[1] = so.pixel_mm[0];
      }
      if (!(so.pixel_mm[0] > 0 && so.pixel_mm[1] > 0))
        return cli_usage_error("stack", "--pixel must be positive");
      break;
    case 's':
      if ((rc = cli_parse_double("stack", "--slice-spacing", optarg, &gap))) return rc;
      if (!(gap > 0)) return cli_usage_error("stack", "--slice-spacing must be positive");
      break;
    case 'P': posfile = optarg; break;
    case 'z':
      if ((rc = cli_parse_double("stack", "--out-slice", optarg, &so.slice_mm))) return rc;
      if (!(so.slice_mm > 0)) return cli_usage_error("stack", "--out-slice must be positive");
      break;
    case 'g':
      if ((rc = cli_parse_doubles("stack", "--origin", optarg, 3, so.origin))) return rc;
      break;
    case 'r': orient = optarg; break;
    case 'i':
      if (cr_stack_interp_parse(optarg, &so.interp))
        return cli_usage_error("stack", "%s", cr_last_error());
      break;
    case 'c':
      if (!(map = cr_colormap_find(optarg))) return cli_usage_error("stack", "%s", cr_last_error());
      break;
    case 'R':
      if ((rc = cli_parse_doubles("stack", "--range", optarg, 2, range))) return rc;
      break;
    case 'C':
      if ((rc = cli_parse_doubles("stack", "--crop", optarg, 4, tmp))) return rc;
      for (int k = 0; k < 4; k++) {
        if (tmp[k] != (int)tmp[k] || tmp[k] < 0 || (k >= 2 && tmp[k] < 1))
          return cli_usage_error("stack", "--crop X,Y,W,H takes whole numbers, W and H >= 1");
        crop[k] = (int)tmp[k];
      }
      break;
    case 'b':
      if ((rc = cli_parse_int("stack", "--bits", optarg, 8, 32, &bits))) return rc;
      if (bits != 8 && bits != 16 && bits != 32)
        return cli_usage_error("stack", "--bits is 8, 16 or 32");
      break;
    case 'h': fputs(usage, stdout); return 0;
    default: return cli_usage_error("stack", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (!out) return cli_usage_error("stack", "--out is required");
  if (!cr_path_has_suffix(out, ".nii") && !cr_path_has_suffix(out, ".nii.gz"))
    return cli_usage_error("stack", "--out must end in .nii or .nii.gz");
  if (optind >= argc) return cli_usage_error("stack", "give a folder or the images");
  int used[3] = {0, 0, 0};
  if (strlen(orient) != 3) return cli_usage_error("stack", "--orientation takes three letters");
  for (int a = 0; a < 3; a++) {
    int ax = axis_of(orient[a], so.axes[a]);
    if (ax < 0 || used[ax]++)
      return cli_usage_error("stack", "--orientation '%s': one of R/L, A/P, S/I each", orient);
  }
  // The file list: one folder, or the images as given (then sorted naturally too).
  char **files = NULL;
  int n = 0;
  struct stat st;
  if (argc - optind == 1 && stat(argv[optind], &st) == 0 && S_ISDIR(st.st_mode)) {
    if (list_folder(argv[optind], &files, &n)) return cli_fail_last();
  } else {
    n = argc - optind;
    files = calloc((size_t)n, sizeof *files);
    if (!files) return cli_fail("stack", "out of memory");
    for (int i = 0; i < n; i++) files[i] = strdup(argv[optind + i]);
    qsort(files, (size_t)n, sizeof *files, cmp_names);
  }
  cr_image **sl = calloc((size_t)n, sizeof *sl);
  double *pos = malloc(sizeof(double) * n);
  int all16 = 1, all8 = 1;
  rc = !sl || !pos ? cr_error(CR_ENOMEM, "out of memory") : 0;
  if (!rc && posfile) rc = read_positions(posfile, n, pos);
  for (int i = 0; i < n && !rc && !posfile; i++) pos[i] = i * gap;
  for (int i = 0; i < n && !rc; i++) {
    int b = 0;
    rc = to_slice(files[i], map, range, crop, &sl[i], &b);
    all16 &= b == 16, all8 &= b == 8;
    if (!rc && i > 0 && (sl[i]->width != sl[0]->width || sl[i]->height != sl[0]->height))
      rc = cr_error(CR_EINVAL, "%s is %d x %d but %s is %d x %d: all images must have one size",
                    files[i], sl[i]->width, sl[i]->height, files[0], sl[0]->width, sl[0]->height);
    cli_progress("read", i + 1, n);
  }
  cr_volume *vol = NULL;
  if (!rc) rc = cr_stack_build((const cr_image *const *)sl, n, pos, &so, &vol);
  if (!rc && !bits) {
    float lo, hi;
    cr_volume_minmax(vol, &lo, &hi);
    bits = map ? 32 : all16 ? 16 : all8 ? 8 : 32;
    if (so.interp == CR_STACK_SHAPE) bits = hi <= 255 ? 8 : 16;
  }
  if (!rc) rc = cr_volume_save_as(out, vol, bits);
  if (!rc)
    fprintf(stderr, "wrote %s (%d x %d x %d, %g x %g x %g mm, %d-bit; %d images, %s)\n", out,
            vol->dim[0], vol->dim[1], vol->dim[2], vol->spacing[0], vol->spacing[1],
            vol->spacing[2], bits, n,
            (const char *[]){"nearest", "linear", "cubic", "shape"}[so.interp]);
  cr_volume_free(vol);
  for (int i = 0; i < n; i++) {
    if (sl) cr_image_free(sl[i]);
    free(files[i]);
  }
  free(sl), free(pos), free(files);
  return rc ? cli_fail_last() : 0;
}

const cr_command cr_command_stack = {"stack", "a NIfTI volume from a folder or list of 2-D images",
                                     run};
