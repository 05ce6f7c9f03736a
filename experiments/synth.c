#include "experiments/synth.h"

#include "core/error.h"
#include "core/imgproc.h"
#include "core/mat.h"
#include "core/rng.h"
#include "render/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_synth_options cr_synth_defaults(void) {
  cr_synth_options p;
  memset(&p, 0, sizeof p);
  p.supersample = 2;
  p.iso = NAN;
  p.vessel_contrast = p.sulcus_darkening = p.specular = p.illumination = 1;
  p.light_tilt_deg = 5;
  p.colour_cast = 0.06;
  p.noise_sigma = 3;
  p.blur_px = 0.7;
  p.jpeg_quality = 92;
  p.opening_mm = 35;
  p.n_occluders = 1;
  p.seed = 1;
  return p;
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

// The geometry of one supersampled frame: depth, world xyz, normals from the
// isosurface renderer (its shading is not used: the appearance is this file's own).
typedef struct frame {
  cr_image *shade, *depth, *xyz, *normal;
} frame;

static void frame_free(frame *f) {
  cr_image_free(f->shade), cr_image_free(f->depth), cr_image_free(f->xyz), cr_image_free(f->normal);
}

static int render_geometry(const cr_volume *vol, const cr_camera *cam, const cr_pose *pose,
                           double iso, frame *f) {
  memset(f, 0, sizeof *f);
  cr_render_options rp = cr_render_defaults(&cr_render_mode_surface);
  rp.iso = iso;
  cr_renderer *r;
  int rc = cr_status_of(r = cr_renderer_new(vol, NULL, &rp));
  if (rc) return rc;
  f->shade = cr_image_new(cam->width, cam->height, 1);
  f->depth = cr_image_new(cam->width, cam->height, 1);
  f->xyz = cr_image_new(cam->width, cam->height, 3);
  f->normal = cr_image_new(cam->width, cam->height, 3);
  if (!f->shade || !f->depth || !f->xyz || !f->normal) rc = CR_ENOMEM;
  cr_render_out out = {f->shade, f->depth, f->xyz, f->normal, NULL, NULL};
  if (!rc) rc = cr_render(r, cam, pose, &out);
  cr_renderer_free(r);
  if (rc) frame_free(f);
  return rc;
}

// Mean of the volume 0..1.5 mm under the surface along the inward normal: the shallow
// sub-surface signal that shows pial vessels (T1-bright) over the grey matter.
static cr_image *subsurface_signal(const cr_volume *vol, const frame *f, float *lo, float *hi) {
  int w = f->depth->width, h = f->depth->height, n = 0;
  cr_image *s = cr_image_new(w, h, 1);
  float *vals = malloc(sizeof(float) * (size_t)w * h);
  if (!s || !vals) {
    cr_image_free(s), free(vals);
    return NULL;
  }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float *X = cr_image_px(f->xyz, x, y), *N = cr_image_px(f->normal, x, y);
      if (isnan(X[0])) continue;
      double sum = 0;
      for (int k = 0; k < 4; k++) {
        double d = 0.5 * k, p[3] = {X[0] - d * N[0], X[1] - d * N[1], X[2] - d * N[2]};
        sum += cr_volume_sample_linear(vol, p, 0);
      }
      cr_image_px(s, x, y)[0] = (float)(sum / 4);
      vals[n++] = (float)(sum / 4);
    }
  if (n == 0) {
    cr_image_free(s), free(vals);
    cr_error(CR_EEMPTY, "synthetic photo: the camera sees no cortical surface");
    return NULL;
  }
  qsort(vals, n, sizeof(float), cmp_float);
  *lo = vals[n / 2], *hi = vals[(int)(0.995 * (n - 1))];
  free(vals);
  return s;
}

static double smoothstep(double a, double b, double x) {
  double t = (x - a) / (b - a);
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return t * t * (3 - 2 * t);
}

typedef struct scene {
  double light_cam[3];      // unit direction towards the light, camera frame
  double gain[3];           // colour cast
  double falloff_centre[2]; // uneven illumination centre (px)
  double ellipse[5];        // opening: centre u, v, semi-axes a, b (px), angle (rad)
  double tools[4][5];       // occluders: tip u, v, direction angle, width px, shade
} scene;

static void draw_scene(const cr_synth_options *p, const cr_camera *cam, const cr_pose *pose,
                       const double target[3], cr_rng *rng, scene *s) {
  double tilt = p->light_tilt_deg * M_PI / 180 * (0.8 + 0.4 * cr_rng_uniform(rng));
  double az = 2 * M_PI * cr_rng_uniform(rng);
  s->light_cam[0] = sin(tilt) * cos(az), s->light_cam[1] = sin(tilt) * sin(az);
  s->light_cam[2] = -cos(tilt); // towards the camera side
  for (int c = 0; c < 3; c++) s->gain[c] = 1 + p->colour_cast * cr_rng_gaussian(rng);
  s->falloff_centre[0] = cam->width * (0.3 + 0.4 * cr_rng_uniform(rng));
  s->falloff_centre[1] = cam->height * (0.3 + 0.4 * cr_rng_uniform(rng));
  double tc[3], uv[2] = {cam->cx, cam->cy};
  cr_pose_apply(pose, target, tc);
  double depth = tc[2] > 1 ? tc[2] : 1;
  cr_camera_project(cam, tc, uv);
  double r_px = p->opening_mm * cam->fx / depth;
  s->ellipse[0] = uv[0], s->ellipse[1] = uv[1];
  s->ellipse[2] = r_px * (1.0 + 0.25 * cr_rng_uniform(rng));
  s->ellipse[3] = r_px * (0.75 + 0.25 * cr_rng_uniform(rng));
  s->ellipse[4] = M_PI * cr_rng_uniform(rng);
  int nt = p->n_occluders < 4 ? p->n_occluders : 4;
  for (int t = 0; t < nt; t++) {
    double ang = 2 * M_PI * cr_rng_uniform(rng), reach = 0.2 + 0.5 * cr_rng_uniform(rng);
    s->tools[t][0] = uv[0] + reach * r_px * cos(ang);
    s->tools[t][1] = uv[1] + reach * r_px * sin(ang);
    s->tools[t][2] = ang + (cr_rng_uniform(rng) - 0.5); // shaft leaves the opening outwards
    s->tools[t][3] = (0.04 + 0.04 * cr_rng_uniform(rng)) * cam->width;
    s->tools[t][4] = 0.55 + 0.3 * cr_rng_uniform(rng);
  }
}

// Signed ellipse coordinate: < 1 inside the opening.
static double ellipse_r(const scene *s, double u, double v) {
  double du = u - s->ellipse[0], dv = v - s->ellipse[1], c = cos(s->ellipse[4]),
         sn = sin(s->ellipse[4]);
  double a = (c * du + sn * dv) / s->ellipse[2], b = (-sn * du + c * dv) / s->ellipse[3];
  return sqrt(a * a + b * b);
}

// Occluder coverage (0..1) and its shade at (u, v): a shaft from the tip outwards.
static double tool_cover(const scene *s, int nt, double u, double v, double *shade) {
  for (int t = 0; t < nt; t++) {
    double du = u - s->tools[t][0], dv = v - s->tools[t][1];
    double along = du * cos(s->tools[t][2]) + dv * sin(s->tools[t][2]);
    double across = -du * sin(s->tools[t][2]) + dv * cos(s->tools[t][2]);
    double half = 0.5 * s->tools[t][3];
    if (along > 0 && fabs(across) < half) {
      *shade =
          s->tools[t][4] * (0.75 + 0.25 * cos(M_PI * across / half * 0.5)); // metallic roll-off
      return 1;
    }
  }
  return 0;
}

static void shade_pixels(const cr_synth_options *p, const cr_camera *cam, const cr_pose *pose,
                         const frame *f, const cr_image *sig, float lo, float hi,
                         const cr_image *cavity, const scene *s, cr_image *rgb, cr_image *mask) {
  const double cortex[3] = {0.86, 0.52, 0.47}, vessel[3] = {0.50, 0.07, 0.10};
  const double bone[3] = {0.85, 0.80, 0.66}, drape[3] = {0.16, 0.42, 0.45};
  double rmax = hypot(cam->width, cam->height) * 0.6;
  int nt = p->n_occluders < 4 ? p->n_occluders : 4;
  for (int y = 0; y < cam->height; y++)
    for (int x = 0; x < cam->width; x++) {
      double col[3], er = p->opening_mm > 0 ? ellipse_r(s, x, y) : 0, tshade;
      const float *X = cr_image_px(f->xyz, x, y);
      int hit = !isnan(X[0]), open = er < 1 && hit;
      if (open) {
        double nw[3] = {cr_image_px(f->normal, x, y)[0], cr_image_px(f->normal, x, y)[1],
                        cr_image_px(f->normal, x, y)[2]},
               nc[3];
        cr_mat3_apply(nc, pose->R, nw);
        double v = (cr_image_px(sig, x, y)[0] - lo) / (hi > lo ? hi - lo : 1);
        double wv = p->vessel_contrast * smoothstep(0.35, 0.85, v);
        if (wv > 1) wv = 1;
        double occl = 1 - 0.6 * p->sulcus_darkening * cr_image_px(cavity, x, y)[0];
        // Blinn-Phong with the light towards light_cam and the viewer towards -ray.
        double lam = fmax(0, cr_vec3_dot(nc, s->light_cam));
        double ray[3];
        cr_camera_pixel_ray(cam, x, y, ray);
        cr_vec3_normalize(ray);
        double half[3] = {s->light_cam[0] - ray[0], s->light_cam[1] - ray[1],
                          s->light_cam[2] - ray[2]};
        cr_vec3_normalize(half);
        double spec = p->specular * 0.8 * pow(fmax(0, cr_vec3_dot(nc, half)), 80);
        for (int c = 0; c < 3; c++)
          col[c] = ((1 - wv) * cortex[c] + wv * vessel[c]) * occl * (0.35 + 0.65 * lam) + spec;
      } else {
        // Bone rim just outside the opening, drapes beyond; missed rays inside: dark cavity.
        const double *base = er < 1.25 ? bone : drape;
        double tex = 0.9 + 0.1 * sin(0.05 * x + 0.03 * y) * sin(0.04 * y - 0.02 * x);
        for (int c = 0; c < 3; c++) col[c] = er < 1 ? 0.08 : base[c] * tex;
      }
      double cover = nt ? tool_cover(s, nt, x, y, &tshade) : 0;
      if (cover > 0)
        for (int c = 0; c < 3; c++) col[c] = tshade;
      double dr = hypot(x - s->falloff_centre[0], y - s->falloff_centre[1]) / rmax;
      double light = 1 - p->illumination * 0.45 * dr * dr;
      for (int c = 0; c < 3; c++)
        cr_image_px(rgb, x, y)[c] = (float)(255 * col[c] * s->gain[c] * light);
      if (mask) cr_image_px(mask, x, y)[0] = (open && cover == 0) ? 1.0f : 0.0f;
    }
}

// Cavity term (0..1): how far a hit lies behind the smoothed surface, i.e. inside a sulcus.
static cr_image *cavity_map(const frame *f, double sigma_px) {
  cr_image *smooth = cr_image_clone(f->depth),
           *cav = cr_image_new(f->depth->width, f->depth->height, 1);
  if (!smooth || !cav) {
    cr_image_free(smooth), cr_image_free(cav);
    return NULL;
  }
  float lo, hi;
  cr_image_minmax(f->depth, &lo, &hi);
  for (int y = 0; y < smooth->height; y++)
    for (int x = 0; x < smooth->width; x++)
      if (cr_image_px(f->depth, x, y)[0] <= 0) cr_image_px(smooth, x, y)[0] = hi;
  cr_gaussian_blur(smooth, sigma_px);
  for (int y = 0; y < cav->height; y++)
    for (int x = 0; x < cav->width; x++) {
      float d = cr_image_px(f->depth, x, y)[0];
      double c = d > 0 ? (d - cr_image_px(smooth, x, y)[0]) / 4.0 : 0;
      cr_image_px(cav, x, y)[0] = (float)(c < 0 ? 0 : c > 1 ? 1 : c);
    }
  cr_image_free(smooth);
  return cav;
}

static int finish_photo(const cr_synth_options *p, cr_image *big, cr_image *big_mask, cr_rng *rng,
                        cr_image *photo, cr_image *mask) {
  cr_image *small = cr_image_resize_area(big, photo->width, photo->height);
  if (!small) return CR_ENOMEM;
  int rc = cr_gaussian_blur(small, p->blur_px);
  for (int y = 0; y < small->height; y++)
    for (int i = 0; i < small->width * 3; i++) {
      float v = cr_image_row(small, y)[i] + (float)(p->noise_sigma * cr_rng_gaussian(rng));
      cr_image_row(small, y)[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  if (!rc && p->jpeg_quality > 0) rc = cr_jpeg_roundtrip(small, p->jpeg_quality);
  for (int y = 0; y < photo->height && !rc; y++)
    memcpy(cr_image_row(photo, y), cr_image_row(small, y), sizeof(float) * 3 * photo->width);
  cr_image_free(small);
  if (!rc && mask) {
    cr_image *m = cr_image_resize_area(big_mask, mask->width, mask->height);
    if (!m) return CR_ENOMEM;
    for (int y = 0; y < mask->height; y++)
      for (int x = 0; x < mask->width; x++)
        cr_image_px(mask, x, y)[0] = cr_image_px(m, x, y)[0] > 0.99f ? 1.0f : 0.0f;
    cr_image_free(m);
  }
  return rc;
}

int cr_synth_photo(const cr_volume *vol, const cr_camera *cam, const cr_pose *cam_from_world,
                   const double target_world[3], const cr_synth_options *p, cr_image *photo,
                   cr_image *mask) {
  if (photo->width != cam->width || photo->height != cam->height || photo->channels != 3 ||
      (mask && (mask->width != cam->width || mask->height != cam->height || mask->channels != 1)))
    return cr_error(CR_EINVAL,
                    "synthetic photo: output images must be %dx%d (RGB and 1-channel mask)",
                    cam->width, cam->height);
  if (p->supersample < 1 || p->supersample > 4 || p->noise_sigma < 0 || p->blur_px < 0 ||
      p->jpeg_quality < 0 || p->jpeg_quality > 100 || p->opening_mm < 0 || p->n_occluders < 0 ||
      !(p->light_tilt_deg >= 0 && p->light_tilt_deg < 80))
    return cr_error(CR_EINVAL, "synthetic photo: a parameter is out of range");
  cr_camera big = cr_camera_scaled(cam, p->supersample);
  frame f;
  int rc = render_geometry(vol, &big, cam_from_world, p->iso, &f);
  if (rc) return rc;
  float lo = 0, hi = 1;
  cr_image *sig = subsurface_signal(vol, &f, &lo, &hi);
  cr_image *cav = sig ? cavity_map(&f, 6.0 * p->supersample) : NULL;
  cr_image *rgb = cr_image_new(big.width, big.height, 3),
           *bmask = cr_image_new(big.width, big.height, 1);
  if (!sig || !cav || !rgb || !bmask) {
    rc = sig ? CR_ENOMEM : CR_EEMPTY;
  } else {
    // Sub-streams: 0 the scene (light, cast, opening, instruments), 1 the pixel noise, so
    // the noise does not change with the number of instruments.
    cr_rng rng = cr_rng_make(p->seed, 0x73796e7468ull /* "synth" */);
    cr_rng scene_rng = cr_rng_split(&rng, 0), noise_rng = cr_rng_split(&rng, 1);
    scene s;
    draw_scene(p, &big, cam_from_world, target_world, &scene_rng, &s);
    shade_pixels(p, &big, cam_from_world, &f, sig, lo, hi, cav, &s, rgb, bmask);
    rc = finish_photo(p, rgb, bmask, &noise_rng, photo, mask);
  }
  cr_image_free(sig), cr_image_free(cav), cr_image_free(rgb), cr_image_free(bmask);
  frame_free(&f);
  return rc;
}

int cr_synth_default_target(const cr_volume *vol, const cr_camera *cam,
                            const cr_pose *cam_from_world, double iso, double target_world[3]) {
  cr_render_options rp = cr_render_defaults(&cr_render_mode_surface);
  rp.iso = iso;
  cr_renderer *r;
  int rc = cr_status_of(r = cr_renderer_new(vol, NULL, &rp));
  if (rc) return rc;
  cr_camera centre = *cam;
  // A camera that sees only the middle third: crop by shifting the principal point.
  centre.width = cam->width / 3 > 0 ? cam->width / 3 : 1;
  centre.height = cam->height / 3 > 0 ? cam->height / 3 : 1;
  centre.cx -= cam->width / 3, centre.cy -= cam->height / 3;
  int n;
  rc = cr_render_surface_points(r, &centre, cam_from_world, 2, NULL, 0, &n, target_world);
  cr_renderer_free(r);
  return rc;
}
