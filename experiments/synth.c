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
  p.vessel_contrast = p.sulcus_darkening = p.specular = p.illumination = p.vignetting = 1;
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
  memset(f, 0, sizeof *f);
}

static int render_geometry(cr_renderer *r, const cr_camera *cam, const cr_pose *pose, frame *f) {
  memset(f, 0, sizeof *f);
  int rc = 0;
  f->shade = cr_image_new(cam->width, cam->height, 1);
  f->depth = cr_image_new(cam->width, cam->height, 1);
  f->xyz = cr_image_new(cam->width, cam->height, 3);
  f->normal = cr_image_new(cam->width, cam->height, 3);
  if (!f->shade || !f->depth || !f->xyz || !f->normal) rc = cr_error(CR_ENOMEM, "out of memory");
  cr_render_out out = {f->shade, f->depth, f->xyz, f->normal, NULL, NULL, NULL};
  if (!rc) rc = cr_render(r, cam, pose, &out);
  if (rc) frame_free(f);
  return rc;
}

// Mean of the volume 0..1.5 mm under the surface point X along the inward normal: the
// shallow sub-surface signal that shows pial vessels (T1-bright) over the grey matter.
static double subsurface(const cr_volume *vol, const float X[3], const float N[3]) {
  double sum = 0;
  for (int k = 0; k < 4; k++) {
    double d = 0.5 * k, p[3] = {X[0] - d * N[0], X[1] - d * N[1], X[2] - d * N[2]};
    sum += cr_volume_sample_linear(vol, p, 0);
  }
  return sum / 4;
}

// The signal's scale, fixed once for the scene from the reference view: its median and
// 99.5th percentile over the surface the reference camera sees.
static int signal_range(const cr_volume *vol, const frame *f, float *lo, float *hi) {
  int w = f->depth->width, h = f->depth->height, n = 0;
  float *vals = malloc(sizeof(float) * (size_t)w * h);
  if (!vals) return cr_error(CR_ENOMEM, "out of memory");
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float *X = cr_image_px(f->xyz, x, y), *N = cr_image_px(f->normal, x, y);
      if (!isnan(X[0])) vals[n++] = (float)subsurface(vol, X, N);
    }
  if (n == 0) {
    free(vals);
    return cr_error(CR_EEMPTY, "synthetic photo: view 0 sees no cortical surface");
  }
  qsort(vals, n, sizeof(float), cmp_float);
  *lo = vals[n / 2], *hi = vals[(int)(0.995 * (n - 1))];
  free(vals);
  return 0;
}

static double smoothstep(double a, double b, double x) {
  double t = (x - a) / (b - a);
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return t * t * (3 - 2 * t);
}

// Ambient occlusion (0..1) of the surface point X with outward normal N: the fraction of
// tissue among 16 volume samples 2 and 4 mm away over the hemisphere about N. High in a
// sulcus (the opposite bank is near), zero on a gyral crown. A function of the world point.
static double occlusion(const cr_volume *vol, double iso, const float X[3], const float N[3]) {
  double n[3] = {N[0], N[1], N[2]}, e1[3], e2[3], sum = 0;
  if (cr_vec3_normalize(n) == 0) return 0;
  cr_vec3_frame(n, e1, e2);
  static const double el[2] = {0.35, 0.9}; // elevations above the tangent plane (rad)
  for (int k = 0; k < 4; k++)
    for (int e = 0; e < 2; e++)
      for (int r = 1; r <= 2; r++) {
        double az = M_PI / 2 * k + M_PI / 4 * e, c = cos(el[e]), sn = sin(el[e]), p[3];
        for (int a = 0; a < 3; a++)
          p[a] = X[a] + 2.0 * r * (c * (cos(az) * e1[a] + sin(az) * e2[a]) + sn * n[a]);
        sum += smoothstep(0.7 * iso, 1.3 * iso, cr_volume_sample_linear(vol, p, 0));
      }
  return sum / 16;
}

// What belongs to the scene, drawn once from the reference camera and shared by every view.
typedef struct tool {
  double tip[3], axis[3]; // world mm; the shaft runs from the tip along axis (unit)
  double radius_mm, shade;
} tool;

typedef struct scene {
  cr_pose ref;           // reference cam_from_world
  double target_ref[3];  // opening centre in the reference camera frame
  double light_cam[3];   // unit direction towards the light in its camera's frame
  double gain[3];        // colour cast
  double spot_ref[2];    // centre of the light spot (reference frame x, y, mm)
  double spot_radius_mm; // where the spot's falloff reaches its full strength
  double ellipse[3];     // opening: semi-axes a, b (mm) and angle (rad) in the reference
                         // camera's x-y plane about target_ref
  int n_tools;
  tool tools[4];
  float lo, hi; // vessel signal range
  double iso;
} scene;

static void draw_scene(const cr_synth_options *p, const cr_camera *cam, const cr_pose *pose,
                       const double target[3], cr_rng *rng, scene *s) {
  s->ref = *pose;
  double tilt = p->light_tilt_deg * M_PI / 180 * (0.8 + 0.4 * cr_rng_uniform(rng));
  double az = 2 * M_PI * cr_rng_uniform(rng);
  s->light_cam[0] = sin(tilt) * cos(az), s->light_cam[1] = sin(tilt) * sin(az);
  s->light_cam[2] = -cos(tilt); // camera side
  for (int c = 0; c < 3; c++) s->gain[c] = 1 + p->colour_cast * cr_rng_gaussian(rng);
  cr_pose_apply(pose, target, s->target_ref);
  double depth = s->target_ref[2] > 1 ? s->target_ref[2] : 1, mm_per_px = depth / cam->fx;
  // The spot's centre: a random point of the central 40 % of the reference image.
  double su = cam->width * (0.3 + 0.4 * cr_rng_uniform(rng)),
         sv = cam->height * (0.3 + 0.4 * cr_rng_uniform(rng));
  s->spot_ref[0] = s->target_ref[0] + (su - cam->cx) * mm_per_px;
  s->spot_ref[1] = s->target_ref[1] + (sv - cam->cy) * mm_per_px;
  s->spot_radius_mm = 0.6 * hypot(cam->width, cam->height) * mm_per_px;
  s->ellipse[0] = p->opening_mm * (1.0 + 0.25 * cr_rng_uniform(rng));
  s->ellipse[1] = p->opening_mm * (0.75 + 0.25 * cr_rng_uniform(rng));
  s->ellipse[2] = M_PI * cr_rng_uniform(rng);
  s->n_tools = p->n_occluders < 4 ? p->n_occluders : 4;
  for (int t = 0; t < s->n_tools; t++) {
    // A shaft whose tip hovers 2-8 mm above the opening, leaving it outwards and upwards.
    double ang = 2 * M_PI * cr_rng_uniform(rng), reach = 0.2 + 0.5 * cr_rng_uniform(rng);
    double dir = ang + (cr_rng_uniform(rng) - 0.5), rise = (0.25 + 0.4 * cr_rng_uniform(rng));
    double tip[3] = {s->target_ref[0] + reach * p->opening_mm * cos(ang),
                     s->target_ref[1] + reach * p->opening_mm * sin(ang),
                     s->target_ref[2] - 2 - 6 * cr_rng_uniform(rng)};
    double axis[3] = {cos(rise) * cos(dir), cos(rise) * sin(dir), -sin(rise)};
    s->tools[t].radius_mm = 0.5 * (0.04 + 0.04 * cr_rng_uniform(rng)) * cam->width * mm_per_px;
    s->tools[t].shade = 0.55 + 0.3 * cr_rng_uniform(rng);
    double tw[3];
    cr_vec3_sub(tw, tip, pose->t);
    cr_mat3_apply_transpose(s->tools[t].tip, pose->R, tw);
    cr_mat3_apply_transpose(s->tools[t].axis, pose->R, axis);
  }
}

// Elliptic radius of a world point in the opening (< 1 inside), and its reference-frame
// offset from the spot's centre (mm).
static double ellipse_r(const scene *s, const double X[3], double *spot_mm) {
  double xr[3];
  cr_pose_apply(&s->ref, X, xr);
  double du = xr[0] - s->target_ref[0], dv = xr[1] - s->target_ref[1];
  double c = cos(s->ellipse[2]), sn = sin(s->ellipse[2]);
  double a = (c * du + sn * dv) / s->ellipse[0], b = (-sn * du + c * dv) / s->ellipse[1];
  *spot_mm = hypot(xr[0] - s->spot_ref[0], xr[1] - s->spot_ref[1]);
  return sqrt(a * a + b * b);
}

// Instrument coverage of the ray from C along unit d whose surface hit lies at distance
// hit_mm (INFINITY: none): 1 and the shade if a shaft is nearer than the surface.
static int tool_cover(const scene *s, const double C[3], const double d[3], double hit_mm,
                      double *shade) {
  for (int t = 0; t < s->n_tools; t++) {
    const tool *T = &s->tools[t];
    double w0[3];
    cr_vec3_sub(w0, C, T->tip);
    double b = cr_vec3_dot(d, T->axis), dd = cr_vec3_dot(d, w0), e = cr_vec3_dot(T->axis, w0);
    double den = 1 - b * b;
    if (den < 1e-9) continue; // ray along the shaft
    double sr = (b * e - dd) / den, sa = (e - b * dd) / den, q[3];
    for (int a = 0; a < 3; a++) q[a] = w0[a] + sr * d[a] - sa * T->axis[a];
    double dist = cr_vec3_norm(q);
    if (dist < T->radius_mm && sa > 0 && sr > 0 && sr < hit_mm) {
      *shade = T->shade * (0.75 + 0.25 * cos(M_PI / 2 * dist / T->radius_mm)); // metallic roll-off
      return 1;
    }
  }
  return 0;
}

// World-space texture of bone and drapes (mm).
static double cloth(const double X[3]) {
  return 0.9 + 0.1 * sin(0.6 * X[0] + 0.35 * X[1]) * sin(0.45 * X[2] - 0.3 * X[0]);
}

static void shade_pixels(const cr_synth_options *p, const cr_volume *vol, const cr_camera *cam,
                         const cr_pose *pose, const cr_pose *body, const frame *f, const scene *s,
                         cr_image *rgb, cr_image *mask) {
  const double cortex[3] = {0.86, 0.52, 0.47}, vessel[3] = {0.50, 0.07, 0.10};
  const double bone[3] = {0.85, 0.80, 0.66}, drape[3] = {0.16, 0.42, 0.45};
  double C[3], ref_axis[3], ref_c[3], zr[3] = {0, 0, 1};
  cr_pose_camera_centre(pose, C);
  cr_pose_camera_centre(&s->ref, ref_c);
  cr_mat3_apply_transpose(ref_axis, s->ref.R, zr);
  double rmax = hypot(cam->width, cam->height) * 0.6, light[3];
  cr_mat3_apply_transpose(light, body->R, s->light_cam); // the light rides on `body`
  for (int y = 0; y < cam->height; y++)
    for (int x = 0; x < cam->width; x++) {
      double col[3], rc_[3], d[3], X[3], spot_mm, tshade;
      cr_camera_pixel_ray(cam, x, y, rc_);
      cr_mat3_apply_transpose(d, pose->R, rc_);
      double len = cr_vec3_normalize(d);
      const float *Xf = cr_image_px(f->xyz, x, y), *Nf = cr_image_px(f->normal, x, y);
      int hit = !isnan(Xf[0]);
      double hit_mm = hit ? cr_image_px(f->depth, x, y)[0] * len : INFINITY;
      if (hit) {
        for (int a = 0; a < 3; a++) X[a] = Xf[a];
      } else {
        // A miss (a gap beyond the cortex): the place where the ray crosses the opening's
        // plane stands in for its world point.
        double den = cr_vec3_dot(d, ref_axis), w[3];
        cr_vec3_sub(w, ref_c, C);
        double sp = fabs(den) > 1e-9 ? (cr_vec3_dot(w, ref_axis) + s->target_ref[2]) / den : 0;
        for (int a = 0; a < 3; a++) X[a] = C[a] + sp * d[a];
      }
      double er = ellipse_r(s, X, &spot_mm);
      if (p->opening_mm <= 0) er = 0;
      int open = er < 1 && hit;
      if (open) {
        double nw[3] = {Nf[0], Nf[1], Nf[2]};
        double v = (subsurface(vol, Xf, Nf) - s->lo) / (s->hi > s->lo ? s->hi - s->lo : 1);
        double wv = p->vessel_contrast * smoothstep(0.35, 0.85, v);
        if (wv > 1) wv = 1;
        double cav =
            p->sulcus_darkening > 0 ? smoothstep(0.05, 0.45, occlusion(vol, s->iso, Xf, Nf)) : 0;
        double occl = 1 - 0.6 * p->sulcus_darkening * cav;
        // Blinn-Phong: the light on the microscope body, the viewer along -d.
        double lam = fmax(0, cr_vec3_dot(nw, light));
        double half[3] = {light[0] - d[0], light[1] - d[1], light[2] - d[2]};
        cr_vec3_normalize(half);
        double spec = p->specular * 0.8 * pow(fmax(0, cr_vec3_dot(nw, half)), 80);
        for (int c = 0; c < 3; c++)
          col[c] = ((1 - wv) * cortex[c] + wv * vessel[c]) * occl * (0.35 + 0.65 * lam) + spec;
      } else {
        // Bone rim just outside the opening, drapes beyond; missed rays inside: dark cavity.
        const double *base = er < 1.25 ? bone : drape;
        for (int c = 0; c < 3; c++) col[c] = er < 1 ? 0.08 : base[c] * cloth(X);
      }
      int cover = s->n_tools ? tool_cover(s, C, d, hit_mm, &tshade) : 0;
      if (cover)
        for (int c = 0; c < 3; c++) col[c] = tshade;
      double ds = spot_mm / s->spot_radius_mm, dv = hypot(x - cam->cx, y - cam->cy) / rmax;
      double lum = (1 - p->illumination * 0.3 * ds * ds) * (1 - p->vignetting * 0.2 * dv * dv);
      for (int c = 0; c < 3; c++)
        cr_image_px(rgb, x, y)[c] = (float)(255 * col[c] * s->gain[c] * lum);
      if (mask) cr_image_px(mask, x, y)[0] = (open && !cover) ? 1.0f : 0.0f;
    }
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

static int check_args(const cr_synth_view *views, int n, const cr_synth_options *p,
                      cr_image *const *photos, cr_image *const *masks) {
  if (n < 1 || n > CR_SYNTH_MAX_VIEWS)
    return cr_error(CR_EINVAL, "synthetic photo: %d views (1..%d)", n, CR_SYNTH_MAX_VIEWS);
  for (int v = 0; v < n; v++) {
    const cr_camera *cam = &views[v].camera;
    const cr_image *ph = photos[v], *mk = masks ? masks[v] : NULL;
    if (!ph || ph->width != cam->width || ph->height != cam->height || ph->channels != 3 ||
        (mk && (mk->width != cam->width || mk->height != cam->height || mk->channels != 1)))
      return cr_error(CR_EINVAL,
                      "synthetic photo: view %d: output images must be %dx%d (RGB and 1-channel "
                      "mask)",
                      v, cam->width, cam->height);
  }
  if (p->supersample < 1 || p->supersample > 4 || p->noise_sigma < 0 || p->blur_px < 0 ||
      p->jpeg_quality < 0 || p->jpeg_quality > 100 || p->opening_mm < 0 || p->n_occluders < 0 ||
      p->vignetting < 0 || p->illumination < 0 ||
      !(p->light_tilt_deg >= 0 && p->light_tilt_deg < 80))
    return cr_error(CR_EINVAL, "synthetic photo: a parameter is out of range");
  return 0;
}

// One view: geometry at the supersampled camera, shading, then the camera's own effects.
static int one_view(const cr_volume *vol, cr_renderer *r, const cr_synth_view *view, int v,
                    const cr_synth_options *p, scene *s, const cr_rng *root, cr_image *photo,
                    cr_image *mask) {
  cr_camera big = cr_camera_scaled(&view->camera, p->supersample);
  frame f;
  int rc = render_geometry(r, &big, &view->cam_from_world, &f);
  if (rc) return rc;
  if (v == 0) rc = signal_range(vol, &f, &s->lo, &s->hi);
  int seen = 0;
  for (int y = 0; y < big.height && !seen && !rc; y++)
    for (int x = 0; x < big.width && !seen; x++) seen = !isnan(cr_image_px(f.xyz, x, y)[0]);
  if (!rc && !seen)
    rc = cr_error(CR_EEMPTY, "synthetic photo: view %d sees no cortical surface", v);
  cr_image *rgb = rc ? NULL : cr_image_new(big.width, big.height, 3),
           *bmask = rc ? NULL : cr_image_new(big.width, big.height, 1);
  if (!rc && (!rgb || !bmask)) rc = cr_error(CR_ENOMEM, "out of memory");
  if (!rc) {
    // The noise of view v: sub-stream 1 + v (view 0's is the mono photo's).
    cr_rng noise_rng = cr_rng_split(root, 1 + (uint64_t)v);
    const cr_pose *body = view->own_light ? &view->cam_from_world : &s->ref;
    shade_pixels(p, vol, &big, &view->cam_from_world, body, &f, s, rgb, bmask);
    rc = finish_photo(p, rgb, bmask, &noise_rng, photo, mask);
  }
  cr_image_free(rgb), cr_image_free(bmask);
  frame_free(&f);
  return rc;
}

int cr_synth_photos(const cr_volume *vol, const cr_synth_view *views, int n_views,
                    const double target_world[3], const cr_synth_options *p,
                    cr_image *const *photos, cr_image *const *masks) {
  int rc = check_args(views, n_views, p, photos, masks);
  if (rc) return rc;
  cr_render_options rp = cr_render_defaults(&cr_render_mode_surface);
  rp.iso = p->iso;
  cr_renderer *r;
  if ((rc = cr_status_of(r = cr_renderer_new(vol, NULL, &rp)))) return rc;
  // Sub-streams: 0 the scene (light, cast, opening, instruments), 1 + v the pixel noise of
  // view v, so the noise does not change with the number of instruments.
  cr_rng rng = cr_rng_make(p->seed, 0x73796e7468ull /* "synth" */);
  cr_rng scene_rng = cr_rng_split(&rng, 0);
  scene s;
  memset(&s, 0, sizeof s);
  s.iso = isfinite(p->iso) ? p->iso : cr_render_auto_iso(vol);
  cr_camera big0 = cr_camera_scaled(&views[0].camera, p->supersample);
  draw_scene(p, &big0, &views[0].cam_from_world, target_world, &scene_rng, &s);
  for (int v = 0; v < n_views && !rc; v++)
    rc = one_view(vol, r, &views[v], v, p, &s, &rng, photos[v], masks ? masks[v] : NULL);
  cr_renderer_free(r);
  return rc;
}

int cr_synth_photo(const cr_volume *vol, const cr_camera *cam, const cr_pose *cam_from_world,
                   const double target_world[3], const cr_synth_options *p, cr_image *photo,
                   cr_image *mask) {
  cr_synth_view view = {*cam, *cam_from_world, 0};
  return cr_synth_photos(vol, &view, 1, target_world, p, &photo, mask ? &mask : NULL);
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
