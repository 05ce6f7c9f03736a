// camreg flatmap: flatten the surface patch a camera sees into an image of known pixel
// size, and report the map's area and angle distortion.
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/pose.h"
#include "mesh/mesh.h"

#include <getopt.h>
#include <omp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: camreg flatmap -m MESH --camera CAM.yml --pose POSE.txt -o OUT [options]\n\n"
    "Takes the part of the mesh the camera sees (z-buffer, plus --band; with --mask only\n"
    "triangles that project into the mask), keeps its largest edge-connected piece,\n"
    "flattens it and paints it with the vertex colours (or scalars) into an image with\n"
    "square pixels of --pixel-mm. Methods: planar (projection along the view direction);\n"
    "lscm: the spectral conformal map (least-squares conformal energy, CHOLMOD sparse\n"
    "Cholesky) followed by local/global steps of the ARAP/ASAP hybrid of Liu et al. 2008\n"
    "with a small area weight --lambda (default 0.1): a conformal map of gyral crowns\n"
    "joined by narrow bridges shrinks some of them several times; the steps even out\n"
    "the scale at a small cost in angle (--lambda 0: the pure conformal map); arap: the\n"
    "same steps with rigid targets (lambda infinite: least area, more angle distortion).\n"
    "Prints the distortion (area-weighted means over triangles, s1 >= s2 the singular\n"
    "values of the triangle's map): area scale (flat/surface area), area distortion mean\n"
    "|ln(s1 s2 / area scale)|, angle distortion mean ln(s1/s2) (0 = conformal), the\n"
    "number of flipped triangles, the time, and the local/global steps done.\n\n"
    "options:\n"
    "  -m, --mesh FILE       mesh (.ply .stl .obj .vtk), e.g. from camreg texture\n"
    "      --camera FILE     OpenCV camera YAML\n"
    "      --pose FILE       cam_from_world pose\n"
    "  -o, --out FILE        image: .png (8-bit; scalars scaled to their range), .tif (float)\n"
    "                        or .nii/.nii.gz (float, pixel->flat mm in the header)\n"
    "      --method M        planar, lscm or arap (default planar)\n"
    "      --lambda L        lscm: area weight of the hybrid steps (default 0.1, 0 = pure\n"
    "                        conformal map, inf = arap)\n"
    "      --iterations N    lscm, arap: at most N local/global steps (default 100; each\n"
    "                        step lowers the energy; stops early when it no longer does;\n"
    "                        a step that would fold a triangle is shortened or refused)\n"
    "      --mask FILE       keep only triangles whose vertices project onto non-zero\n"
    "                        pixels of this image (the camera's size): the opening\n"
    "      --pixel-mm MM     pixel size (default 0.25)\n"
    "      --band MM         keep surface up to MM behind the visible surface (default 0.5:\n"
    "                        the visible surface; 20 also takes the sulcal walls)\n"
    "      --open MM         cut strips and necks narrower than about 2 MM (erode by MM\n"
    "                        in rings of triangles, keep the largest piece, grow it back;\n"
    "                        default 2.5, 0 = off): a conformal map would blow them up\n"
    "      --mesh-out FILE   also write the flattened patch (z = 0, flat mm, SPACE=RAS)\n"
    "  -h, --help            this text\n";

// Keeps the patch under the camera's view: triangles whose three vertices project into
// the image onto the surface (z-buffer hit) no deeper than band_mm behind it, so the
// visible surface comes with the sulcal walls beneath it but not the far side; then
// the largest connected piece.
static int keep_visible(cr_mesh *m, const cr_camera *cam, const cr_pose *pose, double band_mm,
                        const cr_image *mask, double open_mm, int *rings) {
  cr_mesh_raster *r = cr_mesh_raster_new(cam->width, cam->height);
  uint8_t *keep = calloc((size_t)m->n_triangles + 1, 1);
  cr_mesh_raster_options o = cr_mesh_raster_defaults();
  o.cull_backfaces = 0;
  int rc = !r || !keep ? CR_ENOMEM : cr_mesh_rasterize(r, m, cam, pose, &o);
  long n = 0;
  for (long t = 0; !rc && t < m->n_triangles; t++) {
    int ok = 1;
    for (int k = 0; k < 3 && ok; k++) {
      float p[3];
      cr_mesh_raster_vertex(r, m->tri[3 * t + k], p);
      long x = lround(p[0]), y = lround(p[1]);
      ok = p[2] > 0 && x >= 0 && y >= 0 && x < r->width && y < r->height;
      if (ok) {
        float z = r->depth[(size_t)y * r->width + x];
        ok = isfinite(z) && p[2] <= z + band_mm && (!mask || cr_mesh_mask_at(mask, p[0], p[1]));
      }
    }
    keep[t] = (uint8_t)ok;
    n += ok;
  }
  if (!rc && n == 0) rc = cr_error(CR_EEMPTY, "flatmap: the mesh is not visible from this camera");
  if (!rc) rc = cr_mesh_keep_triangles(m, keep);
  // Pieces that touch only at a vertex would turn freely in a conformal map.
  if (!rc) rc = cr_mesh_keep_largest_edge_component(m, 0, NULL);
  // The opening in rings of triangles: open_mm over the patch's mean edge length.
  double edge = 0;
  for (long t = 0; !rc && t < m->n_triangles; t++) {
    const float *a = m->xyz + 3 * (size_t)m->tri[3 * t],
                *b = m->xyz + 3 * (size_t)m->tri[3 * t + 1];
    edge += sqrt(pow(a[0] - b[0], 2) + pow(a[1] - b[1], 2) + pow(a[2] - b[2], 2)) / m->n_triangles;
  }
  *rings = edge > 0 ? (int)lround(fmin(100, open_mm / edge)) : 0;
  if (!rc && *rings > 0) rc = cr_mesh_keep_open_patch(m, *rings, NULL);
  cr_mesh_raster_free(r);
  free(keep);
  return rc;
}

static int write_flat(const char *out, cr_image *img, const double origin[2], double px) {
  if (cr_path_has_suffix(out, ".nii") || cr_path_has_suffix(out, ".nii.gz")) {
    double M[4][4] = {{px, 0, 0, origin[0]}, {0, px, 0, origin[1]}, {0, 0, px, 0}, {0, 0, 0, 1}};
    return cr_image_write_nifti(out, img, M);
  }
  if (cr_path_has_suffix(out, ".tif") || cr_path_has_suffix(out, ".tiff"))
    return cr_image_write(out, img, 32);
  if (img->channels == 3) {
    for (int y = 0; y < img->height; y++)
      for (int x = 0; x < img->width * 3; x++)
        if (isnan(cr_image_row(img, y)[x])) cr_image_row(img, y)[x] = 0;
    return cr_image_write(out, img, 8);
  }
  float lo, hi;
  cr_image_minmax(img, &lo, &hi);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++)
      if (isnan(cr_image_row(img, y)[x])) cr_image_row(img, y)[x] = lo;
  return cr_image_write_preview(out, img, lo, hi);
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {
      {"mesh", required_argument, 0, 'm'},     {"camera", required_argument, 0, 'c'},
      {"pose", required_argument, 0, 'p'},     {"out", required_argument, 0, 'o'},
      {"method", required_argument, 0, 'M'},   {"pixel-mm", required_argument, 0, 'x'},
      {"mesh-out", required_argument, 0, 'w'}, {"band", required_argument, 0, 'b'},
      {"mask", required_argument, 0, 'k'},     {"open", required_argument, 0, 'r'},
      {"lambda", required_argument, 0, 'L'},   {"iterations", required_argument, 0, 'I'},
      {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
  const char *mesh_path = NULL, *cam_path = NULL, *pose_path = NULL, *out = NULL, *mesh_out = NULL,
             *mask_path = NULL;
  double px = 0.25, band = 0.5;
  double open_mm = 2.5;
  int rings = 0;
  cr_flat_options fo = cr_flat_defaults();
  cr_flat_method method = CR_FLAT_PLANAR;
  double lambda = 0.1;
  int lambda_set = 0;
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "m:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'm': mesh_path = optarg; break;
    case 'c': cam_path = optarg; break;
    case 'p': pose_path = optarg; break;
    case 'o': out = optarg; break;
    case 'w': mesh_out = optarg; break;
    case 'k': mask_path = optarg; break;
    case 'r':
      if ((rc = cli_parse_double("flatmap", "--open", optarg, &open_mm))) return rc;
      if (!(open_mm >= 0)) return cli_usage_error("flatmap", "--open must be >= 0 mm");
      break;
    case 'M':
      if (!strcmp(optarg, "planar"))
        method = CR_FLAT_PLANAR;
      else if (!strcmp(optarg, "lscm"))
        method = CR_FLAT_LSCM;
      else if (!strcmp(optarg, "arap"))
        method = CR_FLAT_ARAP;
      else
        return cli_usage_error("flatmap", "--method must be planar or lscm, not '%s'", optarg);
      break;
    case 'x':
      if ((rc = cli_parse_double("flatmap", "--pixel-mm", optarg, &px))) return rc;
      if (!(px > 0)) return cli_usage_error("flatmap", "--pixel-mm must be > 0");
      break;
    case 'b':
      if ((rc = cli_parse_double("flatmap", "--band", optarg, &band))) return rc;
      if (!(band > 0)) return cli_usage_error("flatmap", "--band must be > 0 mm");
      break;
    case 'L':
      if (!strcmp(optarg, "inf"))
        lambda = INFINITY;
      else if ((rc = cli_parse_double("flatmap", "--lambda", optarg, &lambda)))
        return rc;
      if (!(lambda >= 0)) return cli_usage_error("flatmap", "--lambda must be >= 0 or inf");
      lambda_set = 1;
      break;
    case 'I':
      if ((rc = cli_parse_int("flatmap", "--iterations", optarg, 0, 100000, &fo.arap_iterations)))
        return rc;
      break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("flatmap", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("flatmap", "unexpected argument '%s'", argv[optind]);
  if (!mesh_path || !cam_path || !pose_path || !out)
    return cli_usage_error("flatmap", "-m, --camera, --pose and -o are required");
  if (lambda_set && method != CR_FLAT_LSCM)
    return cli_usage_error("flatmap", "--lambda goes with --method lscm");
  // lscm = conformal map + hybrid steps (lambda 0: none); arap = rigid targets.
  fo.method = method == CR_FLAT_LSCM && lambda > 0 ? CR_FLAT_ARAP : method;
  fo.arap_lambda = method == CR_FLAT_ARAP ? INFINITY : lambda;
  cr_camera cam;
  cr_pose pose;
  if (cr_camera_read(cam_path, &cam) || cr_pose_read(pose_path, &pose)) return cli_fail_last();
  cr_mesh *m = NULL;
  double *uv = NULL, origin[2];
  cr_image *img = NULL, *mask = NULL;
  cr_flat_stats st;
  rc = mask_path ? cr_image_read(mask_path, &mask, NULL) : 0;
  if (!rc && mask && (mask->width != cam.width || mask->height != cam.height))
    rc = cr_error(CR_EINVAL, "%s: mask is %dx%d but the camera is %dx%d", mask_path, mask->width,
                  mask->height, cam.width, cam.height);
  if (!rc) rc = cr_mesh_read(mesh_path, &m, NULL);
  if (!rc) rc = keep_visible(m, &cam, &pose, band, mask, open_mm, &rings);
  if (!rc && !(uv = malloc(sizeof(double) * 2 * (size_t)m->n_vertices + 1))) rc = CR_ENOMEM;
  double t0 = omp_get_wtime();
  if (!rc) rc = cr_mesh_flatten_opt(m, &pose, &fo, uv, &st);
  double t_flat = omp_get_wtime() - t0;
  if (!rc) rc = cr_mesh_flat_image(m, uv, px, &img, origin);
  if (!rc) rc = write_flat(out, img, origin, px);
  if (!rc && mesh_out) {
    for (size_t v = 0; v < (size_t)m->n_vertices; v++)
      m->xyz[3 * v] = (float)uv[2 * v], m->xyz[3 * v + 1] = (float)uv[2 * v + 1],
                 m->xyz[3 * v + 2] = 0;
    free(m->normal), m->normal = NULL;
    rc = cr_mesh_write(mesh_out, m, CR_MESH_RAS, 0);
  }
  if (!rc) {
    char name[64];
    if (fo.method == CR_FLAT_ARAP && method == CR_FLAT_LSCM)
      snprintf(name, sizeof name, "lscm + hybrid (lambda %g)", fo.arap_lambda);
    else
      snprintf(name, sizeof name, "%s",
               method == CR_FLAT_PLANAR ? "planar"
               : method == CR_FLAT_LSCM ? "lscm"
                                        : "arap");
    printf("flatmap %s: %d vertices, %d triangles (opened by %d rings), %dx%d px of %g mm\n", name,
           st.n_vertices, st.n_triangles, rings, img->width, img->height, px);
    printf("area_scale %.4f area_distortion %.4f angle_distortion %.4f max_angle_ratio %.3f "
           "flipped %d time %.3f s steps %d%s\n",
           st.area_scale, st.area_distortion, st.angle_distortion, st.max_angle_ratio, st.n_flipped,
           t_flat, st.arap_iterations,
           st.arap_fold_stop ? " (steps shortened or stopped: they would fold triangles)" : "");
  }
  free(uv);
  cr_image_free(img);
  cr_image_free(mask);
  cr_mesh_free(m);
  if (rc == CR_ENOMEM && !cr_last_error()[0]) cr_error(CR_ENOMEM, "flatmap: out of memory");
  return rc ? cli_fail_last() : 0;
}

const cr_command cr_command_flatmap = {
    "flatmap", "flatten the visible surface into a map with distortion figures", run};
