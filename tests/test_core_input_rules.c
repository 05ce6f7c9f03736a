// The input rules of issue 17 (README "Input rules"): every bad file of the list
// is refused with a message naming the file and the field, odd but valid files (big-endian
// NIfTI, ANALYZE pairs, NaN voxels, long comments) read as nibabel / numpy read them.
#include "testutil.h"

#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"

#include <math.h>
#include <nifti2_io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// A 5x4x3 NIfTI-1 (.nii) of the datatype with values i + 10 j + 100 k, method-1
// geometry (pixdim 2 mm) unless `setup` changes the header.
static const char *write_nii(const char *name, int datatype, void (*setup)(nifti_image *)) {
  const char *path = cr_test_path(name);
  int64_t dims[8] = {3, 5, 4, 3, 1, 1, 1, 1};
  nifti_image *nim = nifti_make_new_nim(dims, datatype, 1);
  assert_non_null(nim);
  for (int64_t n = 0; n < nim->nvox; n++) {
    double v = n % 5 + 10 * ((n / 5) % 4) + 100 * (n / 20);
    if (datatype == DT_FLOAT64) ((double *)nim->data)[n] = v;
    if (datatype == DT_FLOAT32) ((float *)nim->data)[n] = (float)v;
    if (datatype == DT_INT16) ((int16_t *)nim->data)[n] = (int16_t)v;
  }
  nim->qform_code = nim->sform_code = 0;
  nim->dx = nim->dy = nim->dz = nim->pixdim[1] = nim->pixdim[2] = nim->pixdim[3] = 2;
  nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
  if (setup) setup(nim);
  assert_int_equal(nifti_set_filenames(nim, path, 0, 1), 0);
  nifti_image_write(nim);
  nifti_image_free(nim);
  return path;
}

// Overwrites `n` bytes at `offset` of the file.
static void patch(const char *path, long offset, const void *bytes, size_t n) {
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  fseek(f, offset, SEEK_SET);
  assert_int_equal(fwrite(bytes, 1, n, f), n);
  fclose(f);
}
static void patch_f32(const char *path, long offset, float v) {
  patch(path, offset, &v, 4);
}
static void patch_i16(const char *path, long offset, short v) {
  patch(path, offset, &v, 2);
}

// Loads `path`, expects `status` and a message holding `text`.
static void expect_load(const char *path, int status, const char *text) {
  cr_volume *v = NULL;
  int rc = cr_volume_load(path, -1, &v, NULL);
  if (rc != status || !strstr(cr_last_error(), text))
    print_error("%s: status %d, message '%s'; expected %d and '%s'\n", path, rc, cr_last_error(),
                status, text);
  assert_int_equal(rc, status);
  assert_non_null(strstr(cr_last_error(), text));
  assert_null(v);
}

static void test_nifti_value_overflow(void **state) {
  // float64 voxel (2, 1, 0) = 1e300 (was a SEGV in cr_render_auto_iso).
  const char *p = write_nii("huge.nii", DT_FLOAT64, NULL);
  double big = 1e300;
  patch(p, 352 + 8 * (2 + 5 * 1), &big, 8);
  expect_load(p, CR_EFORMAT, "voxel (2, 1, 0) = 1e+300");
  expect_load(p, CR_EFORMAT, "is not a finite float32 value");
  // scl_slope 1e38 on int16 values up to 234.
  p = write_nii("slope.nii", DT_INT16, NULL);
  patch_f32(p, 112, 1e38f);
  expect_load(p, CR_EFORMAT, "after scl_slope 1e+38");
  patch_f32(p, 112, INFINITY);
  expect_load(p, CR_EFORMAT, "scl_slope = inf is not finite");
}

static void test_nifti_pixdim(void **state) {
  const char *p = write_nii("pixdim.nii", DT_FLOAT32, NULL);
  patch_f32(p, 80, 0);
  expect_load(p, CR_EFORMAT, "pixdim[1] = 0 is not a voxel size");
  patch_f32(p, 80, 2);
  patch_f32(p, 84, NAN);
  expect_load(p, CR_EFORMAT, "pixdim[2] = nan is not a voxel size");
  patch_f32(p, 84, 2);
  patch_f32(p, 88, -1);
  expect_load(p, CR_EFORMAT, "pixdim[3] = -1 is not a voxel size");
  patch_f32(p, 88, INFINITY);
  expect_load(p, CR_EFORMAT, "pixdim[3] = inf is not a voxel size");
  patch_f32(p, 88, 1e-38f);
  expect_load(p, CR_EFORMAT, "voxel size 1e-38 mm along axis 3 is out of range");
  patch_f32(p, 88, 2);
  cr_volume *v;
  assert_int_equal(cr_volume_load(p, -1, &v, NULL), 0);
  assert_near(v->spacing[2], 2, 0);
  cr_volume_free(v);
}

static void setup_sform(nifti_image *nim) {
  nim->sform_code = 1;
  nifti_dmat44 m = {{{2, 0, 0, -4}, {0, 2, 0, -3}, {0, 0, 2, -2}, {0, 0, 0, 1}}};
  nim->sto_xyz = m;
}

static void test_nifti_sform(void **state) {
  const char *p = write_nii("sform.nii", DT_FLOAT32, setup_sform);
  cr_volume *v;
  assert_int_equal(cr_volume_load(p, -1, &v, NULL), 0);
  assert_near(v->world_from_voxel[0][3], -4, 0);
  cr_volume_free(v);
  patch_f32(p, 280, INFINITY); // srow_x[0]
  expect_load(p, CR_EFORMAT, "srow_x[0] = inf is not finite (sform)");
  patch_f32(p, 280, 1e-38f);
  expect_load(p, CR_EFORMAT, "voxel size 1e-38 mm along axis 1 is out of range (1e-5..1e5 mm)");
  patch_f32(p, 280, 2);
  patch_f32(p, 312 + 12, NAN); // srow_z[3]
  expect_load(p, CR_EFORMAT, "srow_z[3] = nan is not finite");
}

static void test_nifti_vox_offset(void **state) {
  const char *p = write_nii("off.nii", DT_FLOAT32, NULL);
  patch_f32(p, 108, 3e9f);
  expect_load(p, CR_EFORMAT, "bytes of data at offset 3000000000");
  patch_f32(p, 108, NAN);
  expect_load(p, CR_EFORMAT, "vox_offset = nan is not a valid data offset");
  patch_f32(p, 108, -1);
  expect_load(p, CR_EFORMAT, "vox_offset = -1 is not a valid data offset");
  patch_f32(p, 108, 100);
  expect_load(p, CR_EFORMAT,
              "vox_offset = 100 is not a valid data offset (a whole number of "
              "bytes, at least 352)");
  patch_f32(p, 108, 352.5f);
  expect_load(p, CR_EFORMAT, "vox_offset = 352.5");
}

static void test_nifti_size_before_allocation(void **state) {
  // A header claiming 30000^3 voxels on a 1 kB file: refused from the file size, before
  // libnifti allocates 108 TB.
  const char *p = write_nii("bomb.nii", DT_FLOAT32, NULL);
  for (int d = 1; d <= 3; d++) patch_i16(p, 40 + 2 * d, 30000);
  expect_load(p, CR_EFORMAT, "the header describes 108000000000000 bytes of data");
  // The same in a gzip file: more than 1032x its size cannot be in it.
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s.gz'", p, p);
  assert_int_equal(system(cmd), 0);
  char gz[4200];
  snprintf(gz, sizeof gz, "%s.gz", p);
  expect_load(gz, CR_EFORMAT, "cannot hold more than");
}

static void test_nifti_magic(void **state) {
  const char *p = write_nii("magic.nii", DT_FLOAT32, NULL);
  patch(p, 344, "xyz", 4);
  expect_load(p, CR_EFORMAT, "bad NIfTI magic \"xyz\" for a single file (expected \"n+1\")");
  patch(p, 344, "\0\0\0", 4); // an ANALYZE header inside a .nii: nibabel refuses it too
  expect_load(p, CR_EFORMAT, "bad NIfTI magic");
}

static char warned[1024];
static void catch_warning(const char *msg) {
  snprintf(warned, sizeof warned, "%s", msg);
}

static void setup_analyze(nifti_image *nim) {
  nim->nifti_type = NIFTI_FTYPE_ANALYZE;
}

static void test_analyze_pair_warns(void **state) {
  const char *p = write_nii("an.hdr", DT_FLOAT32, setup_analyze);
  warned[0] = 0;
  cr_set_warning_handler(catch_warning);
  cr_volume *v;
  assert_int_equal(cr_volume_load(p, -1, &v, NULL), 0);
  cr_set_warning_handler(NULL);
  assert_non_null(strstr(warned, "ANALYZE 7.5 header (no NIfTI magic): orientation is assumed"));
  assert_int_equal(v->dim[0], 5);
  assert_near(v->spacing[0], 2, 0);
  assert_near(v->data[1 + 5 * 2], 21, 0);
  cr_volume_free(v);
}

// Byte-swaps the numeric fields of a NIfTI-1 header and the float32 data: the file a
// big-endian machine writes, which nibabel reads.
static void make_big_endian(const char *path) {
  static const int f4[] = {0, 32, 56, 60, 64, 108, 112, 116, 124, 128, 132, 136, 140, 144};
  static const int f2[] = {36, 68, 70, 72, 74, 120, 252, 254};
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  unsigned char b[352 + 60 * 4];
  assert_int_equal(fread(b, 1, sizeof b, f), sizeof b);
  fclose(f);
  unsigned char t;
#define SWAP4(o)                                                                                   \
  (t = b[o], b[o] = b[o + 3], b[o + 3] = t, t = b[o + 1], b[o + 1] = b[o + 2], b[o + 2] = t)
#define SWAP2(o) (t = b[o], b[o] = b[o + 1], b[o + 1] = t)
  for (size_t i = 0; i < sizeof f4 / sizeof *f4; i++) SWAP4(f4[i]);
  for (size_t i = 0; i < sizeof f2 / sizeof *f2; i++) SWAP2(f2[i]);
  for (int d = 0; d < 8; d++) SWAP2(40 + 2 * d), SWAP4(76 + 4 * d);
  for (int o = 256; o < 328; o += 4) SWAP4(o);
  for (int o = 352; o < (int)sizeof b; o += 4) SWAP4(o);
  f = fopen(path, "wb");
  fwrite(b, 1, sizeof b, f);
  fclose(f);
}

static void test_nifti_big_endian(void **state) {
  const char *le = write_nii("le.nii", DT_FLOAT32, setup_sform);
  const char *be = write_nii("be.nii", DT_FLOAT32, setup_sform);
  make_big_endian(be);
  cr_volume *a, *b;
  assert_int_equal(cr_volume_load(le, -1, &a, NULL), 0);
  assert_int_equal(cr_volume_load(be, -1, &b, NULL), 0);
  for (int i = 0; i < 3; i++) assert_int_equal(a->dim[i], b->dim[i]);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      assert_near(a->world_from_voxel[i][j], b->world_from_voxel[i][j], 0);
  assert_memory_equal(a->data, b->data, sizeof(float) * cr_volume_count(a));
  cr_volume_free(a);
  cr_volume_free(b);
}

static void test_nifti_nan_kept(void **state) {
  const char *p = write_nii("nan.nii", DT_FLOAT32, NULL);
  patch_f32(p, 352 + 4 * 7, NAN);
  patch_f32(p, 352 + 4 * 59, NAN); // the maximum (234) becomes NaN
  cr_volume *v;
  assert_int_equal(cr_volume_load(p, -1, &v, NULL), 0);
  assert_true(isnan(v->data[7]));
  float lo, hi;
  cr_volume_minmax(v, &lo, &hi);
  assert_near(lo, 0, 0);
  assert_near(hi, 233, 0);
  float iso = cr_volume_otsu_level(v);
  assert_true(iso > 0 && iso < 233);
  cr_volume_free(v);
}

// ---- camera files ----
static const char *write_text(const char *name, const char *text) {
  const char *p = cr_test_path(name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return p;
}

static const char *camera_yaml(const char *name, const char *width, const char *dt, const char *K,
                               const char *dist) {
  char text[2048];
  snprintf(text, sizeof text,
           "%%YAML:1.0\n---\nimage_width: %s\nimage_height: 48\n"
           "camera_matrix: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: %s\n   data: [ %s ]\n"
           "distortion_coefficients: !!opencv-matrix\n   rows: 5\n   cols: 1\n   dt: d\n"
           "   data: [ %s ]\n",
           width, dt, K, dist);
  return write_text(name, text);
}

static void expect_camera(const char *path, const char *text) {
  cr_camera cam;
  int rc = cr_camera_read(path, &cam);
  if (rc == 0 || !strstr(cr_last_error(), text))
    print_error("%s: status %d, message '%s'; expected '%s'\n", path, rc, cr_last_error(), text);
  assert_int_not_equal(rc, 0);
  assert_non_null(strstr(cr_last_error(), text));
  assert_non_null(strstr(cr_last_error(), path));
}

static void test_camera_rules(void **state) {
  const char *K = "100., 0., 31.5, 0., 100., 23.5, 0., 0., 1.", *D = "0., 0., 0., 0., 0.";
  cr_camera cam;
  assert_int_equal(cr_camera_read(camera_yaml("ok.yml", "64", "d", K, D), &cam), 0);
  // dt "2d": a two-channel matrix (was a stack overflow in cvw_camera_read)
  expect_camera(camera_yaml("dt2.yml", "64", "\"2d\"", K, D),
                "camera_matrix: dt \"2d\" is not a single-channel element type");
  expect_camera(camera_yaml("dt64.yml", "64", "\"64d\"", K, D), "dt \"64d\"");
  expect_camera(camera_yaml("wide.yml", "99999999999", "d", K, D),
                "image_width = 99999999999 is out of range (1..100000)");
  expect_camera(camera_yaml("k1.yml", "64", "d", K, "1e6, 0., 0., 0., 0."),
                "camera distortion k1 = 1e+06 is out of range");
  expect_camera(camera_yaml("cx.yml", "64", "d", "100., 0., 1e308, 0., 100., 23.5, 0., 0., 1.", D),
                "camera cx = 1e+308 px is more than 10 image widths from the image");
  expect_camera(camera_yaml("fy.yml", "64", "d", "100., 0., 31.5, 0., 1e-300, 23.5, 0., 0., 1.", D),
                "camera fy = 1e-300 px is out of range (1e-3..1e8)");
  expect_camera(write_text("rows.yml", "%YAML:1.0\n---\nimage_width: 64\nimage_height: 48\n"
                                       "camera_matrix: !!opencv-matrix\n   rows: 100000\n"
                                       "   cols: 100000\n   dt: d\n   data: [ 1 ]\n"),
                "camera_matrix: 100000x100000 is not a size it can have");
  expect_camera(write_text("syntax.yml", "%YAML:1.0\n---\nimage_width: [ 3\n"),
                "syntax.yml:4:1: not a well-formed YAML document: did not find expected ',' or "
                "']'");
  // Well-formed YAML that OpenCV's parser refuses: its message, without "OpenCV".
  expect_camera(write_text("syntax2.yml", "%YAML:1.0\n---\nimage_width: 5s\n"),
                "syntax error: not a valid OpenCV FileStorage file");
}

// Camera text before OpenCV's parser (fuzz finding: a control byte before "<?xml" and
// 0xff bytes crashed OpenCV's XML parser).
static void test_camera_text_rules(void **state) {
  const char *xml = "<?xml version=\"1.0\"?>\n<opencv_storage>\n<image_width>64</image_width>\n"
                    "</opencv_storage>\n";
  char text[512];
  snprintf(text, sizeof text, "\x02%s", xml);
  expect_camera(write_text("ctl.xml", text), "ctl.xml:1: control character 0x02 (byte 0)");
  snprintf(text, sizeof text, "%s<data>\xff\xff</data>\n", xml);
  expect_camera(write_text("ff.xml", text), "ff.xml:5: byte 0xff (byte ");
  expect_camera(write_text("ff.xml", text), "is not valid UTF-8: not a text file");
  expect_camera(write_text("overlong.yml", "%YAML:1.0\n# \xc0\xaf\n"), "byte 0xc0");
  expect_camera(write_text("blank.yml", "\n%YAML:1.0\nimage_width: 64\n"),
                "blank.yml: not an OpenCV FileStorage file: it must begin with \"%YAML\" (YAML), "
                "\"<?xml\" (XML) or \"{\" (JSON)");
  expect_camera(write_text("bom.yml", "\xef\xbb\xbf%YAML:1.0\nimage_width: 64\n"),
                "bom.yml: begins with a UTF-8 byte order mark");
  // Malformed YAML that made OpenCV's parser loop forever (fuzz timeout-fb09544), and an
  // anchor, which OpenCV does not read: refused by the libyaml check before OpenCV.
  expect_camera(write_text("loop.yml", "%YAML:1.0\n---\n# A 33\n   t: d\n  91e-300s\n"),
                "loop.yml:5:3: not a well-formed YAML document: did not find expected");
  expect_camera(write_text("anchor.yml", "%YAML:1.0\n---\nimage_width: &w 64\n"),
                "anchor.yml:3: YAML anchors (&name) and aliases (*name) are not read");
  // A document that is one multi-line scalar, not a mapping (OpenCV looped on it: fuzz
  // timeout 0ca66937 of the rig reader).
  expect_camera(write_text("scalar.yml", "%YAML:1.013\n   d   :3\n a13\n -2age_"),
                "scalar.yml:2: the document is not a mapping of keys");
  // UTF-8 text (a comment in French) passes the check and reads.
  const char *K = "100., 0., 31.5, 0., 100., 23.5, 0., 0., 1.", *D = "0., 0., 0., 0., 0.";
  const char *ok = camera_yaml("utf8.yml", "64", "d", K, D);
  FILE *f = fopen(ok, "a");
  assert_non_null(f);
  fputs("# caméra étalonnée\tà 25 °C\r\n", f);
  fclose(f);
  cr_camera cam;
  assert_int_equal(cr_camera_read(ok, &cam), 0);
}

// ---- image files ----
static const char *write_bytes(const char *name, const void *bytes, size_t n) {
  const char *p = cr_test_path(name);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, n, f), n);
  fclose(f);
  return p;
}

static void expect_image(const char *path, const char *text) {
  cr_image *img = NULL;
  int rc = cr_image_read(path, &img, NULL);
  if (rc == 0 || !strstr(cr_last_error(), text))
    print_error("%s: status %d, message '%s'; expected '%s'\n", path, rc, cr_last_error(), text);
  assert_int_equal(rc, CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), text));
  assert_non_null(strstr(cr_last_error(), path));
  assert_null(img);
}

// Fuzz findings: a file with "DICM" at byte 128 went to OpenCV's DICOM decoder (GDCM),
// which aborts; a 26-byte PPM header claiming 2883 x 288888 pixels made OpenCV allocate
// 2.5 GB. Formats are told from their signature, sizes read from headers first.
static void test_image_rules(void **state) {
  unsigned char dicm[132] = {0};
  memcpy(dicm + 128, "DICM", 4);
  expect_image(write_bytes("scan.png", dicm, sizeof dicm),
               "not a PNG, JPEG, TIFF, BMP or PNM (PBM/PGM/PPM) image (the file begins with "
               "bytes 00 00 00 00 00 00 00 00)");
  expect_image(write_bytes("empty.png", "", 0), "it is empty");
  const char ppm[] = "P3\n 2883\n 288888\n2\n25 55\n";
  expect_image(write_bytes("huge.ppm", ppm, sizeof ppm - 1),
               "huge.ppm: PNM header says 2883 x 288888 pixels: larger than camreg reads (at "
               "most 1e8 pixels)");
  unsigned char png[33] = {0x89, 'P', 'N',  'G',  '\r', '\n', 0x1a, '\n', 0,    0,
                           0,    13,  'I',  'H',  'D',  'R',  0,    0,    0x4e, 0x20,
                           0,    0,   0x4e, 0x21, 8,    0,    0,    0,    0}; // 20000x20001
  expect_image(write_bytes("huge.png", png, sizeof png), "PNG header says 20000 x 20001 pixels");
  // JPEG: an APP0 segment, then a baseline frame header of 65535 x 65535
  unsigned char jpg[] = {0xff, 0xd8, 0xff, 0xe0, 0,    4, 0, 0,    0xff, 0xc0, 0,   11,
                         8,    0xff, 0xff, 0xff, 0xff, 1, 1, 0x11, 0,    0xff, 0xd9};
  expect_image(write_bytes("huge.jpg", jpg, sizeof jpg), "JPEG header says 65535 x 65535 pixels");
  unsigned char bmp[54] = {
      'B',         'M',         [14] = 40,   [18] = 0x10, [19] = 0x27,
      [22] = 0xf0, [23] = 0xd8, [24] = 0xff, [25] = 0xff}; // 10000 x -10000 (top-down): 1e8 is
                                                           // allowed
  bmp[18] = 0x11;                                          // 10001 wide: over
  expect_image(write_bytes("huge.bmp", bmp, sizeof bmp), "BMP header says 10001 x 10000 pixels");
  // TIFF, big-endian, ImageWidth LONG 20000 and ImageLength SHORT 20000 in directory 0
  unsigned char tif[8 + 2 + 24 + 4] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 2};
  const unsigned char e0[12] = {1, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0x4e, 0x20},
                      e1[12] = {1, 1, 0, 3, 0, 0, 0, 1, 0x4e, 0x20, 0, 0};
  memcpy(tif + 10, e0, 12);
  memcpy(tif + 22, e1, 12);
  expect_image(write_bytes("huge.tif", tif, sizeof tif), "TIFF header says 20000 x 20000 pixels");
  // Lane B findings: "P62" is no PNM to OpenCV (a blank must follow "Pn"), which then
  // tried its DICOM decoder (abort); OpenCV reads "888+888887" as 888 and 888887.
  expect_image(write_bytes("p62.pgm", "P62\n# :\n", 8), "p62.pgm: not a PNG, JPEG");
  expect_image(write_bytes("plus.ppm", "P6\n\n888+888887\n28+88888", 24),
               "PNM header says 888 x 888887 pixels");
  expect_image(write_bytes("sig.png", png, 8), "sig.png: PNG header: cannot read the image size");
  expect_image(write_bytes("trunc.pgm", "P5\n4 4\n255\n\1\2", 13),
               "cannot decode (corrupt or truncated) (as a PNM image)");
  // A small PGM with a comment reads.
  const char pgm[] = "P5\n# made by hand\n3 2\n255\n\1\2\3\4\5\6";
  cr_image *img = NULL;
  assert_int_equal(cr_image_read(write_bytes("ok.pgm", pgm, sizeof pgm - 1), &img, NULL), 0);
  assert_int_equal(img->width, 3);
  assert_int_equal(img->height, 2);
  assert_true(img->data[5] == 6.0f);
  cr_image_free(img);
}

// ---- pose files ----
static void test_pose_rules(void **state) {
  char *text = malloc(4096);
  memset(text, 'x', 4000);
  text[0] = '#';
  strcpy(text + 4000, "\n1 0 0 0\n0 -1 0 -20\n0 0 -1 250\n0 0 0 1\n");
  cr_pose p;
  // A comment over 1023 characters (it broke a valid file).
  assert_int_equal(cr_pose_read(write_text("long.txt", text), &p), 0);
  assert_near(p.t[2], 250, 0);
  free(text);
  // A row split across two lines: the matrix is one row per line.
  const char *path = write_text("split.txt", "1 0\n0 0\n0 -1 0 -20\n0 0 -1 250\n0 0 0 1\n");
  assert_int_equal(cr_pose_read(path, &p), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "split.txt:1: row 1, column 3: not a number"));
  path = write_text("nan.txt", "1 0 0 0\n0 -1 nan -20\n0 0 -1 250\n0 0 0 1\n");
  assert_int_equal(cr_pose_read(path, &p), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "nan.txt:2: row 2, column 3: not a finite double"));
  path = write_text("five.txt", "1 0 0 0\n0 -1 0 -20\n0 0 -1 250\n0 0 0 1\n0 0 0 1\n");
  assert_int_equal(cr_pose_read(path, &p), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "five.txt:5: more than 4 rows"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nifti_value_overflow),
      cmocka_unit_test(test_nifti_pixdim),
      cmocka_unit_test(test_nifti_sform),
      cmocka_unit_test(test_nifti_vox_offset),
      cmocka_unit_test(test_nifti_size_before_allocation),
      cmocka_unit_test(test_nifti_magic),
      cmocka_unit_test(test_analyze_pair_warns),
      cmocka_unit_test(test_nifti_big_endian),
      cmocka_unit_test(test_nifti_nan_kept),
      cmocka_unit_test(test_camera_rules),
      cmocka_unit_test(test_camera_text_rules),
      cmocka_unit_test(test_image_rules),
      cmocka_unit_test(test_pose_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
