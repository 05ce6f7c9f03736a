// NIfTI volumes: voxel->world by sform / qform / pixdim precedence, scaling, datatypes,
// round trips, a cross-check against nibabel, and bad input.
#include "testutil.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/mat.h"
#include "core/volume.h"

#include <math.h>
#include <nifti2_io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Writes a small 3-D (or 4-D) NIfTI with data value = i + 10 j + 100 k (+ 1000 t) in
// the given datatype; the caller sets the spatial header through `setup`.
static void write_test_nifti(const char *path, int datatype, int nt,
                             void (*setup)(nifti_image *nim), double slope, double inter) {
  int64_t dims[8] = {nt > 1 ? 4 : 3, 5, 4, 3, nt, 1, 1, 1};
  nifti_image *nim = nifti_make_new_nim(dims, datatype, 1);
  assert_non_null(nim);
  for (int64_t n = 0; n < nim->nvox; n++) {
    int i = n % 5, j = (n / 5) % 4, k = (n / 20) % 3, t = (int)(n / 60);
    double v = i + 10 * j + 100 * k + 1000 * t;
    if (datatype == DT_UINT8 || datatype == DT_INT8) v = i + 3 * j + 7 * k + 50 * t;
    switch (datatype) {
    case DT_UINT8: ((uint8_t *)nim->data)[n] = (uint8_t)v; break;
    case DT_INT8: ((int8_t *)nim->data)[n] = (int8_t)v; break;
    case DT_UINT16: ((uint16_t *)nim->data)[n] = (uint16_t)v; break;
    case DT_INT16: ((int16_t *)nim->data)[n] = (int16_t)(v - 200); break;
    case DT_UINT32: ((uint32_t *)nim->data)[n] = (uint32_t)v; break;
    case DT_INT32: ((int32_t *)nim->data)[n] = (int32_t)(v - 200); break;
    case DT_FLOAT32: ((float *)nim->data)[n] = (float)(v + 0.25); break;
    case DT_FLOAT64: ((double *)nim->data)[n] = v + 0.125; break;
    default: break;
    }
  }
  nim->scl_slope = slope, nim->scl_inter = inter;
  nim->qform_code = nim->sform_code = 0;
  if (setup) setup(nim);
  nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
  assert_int_equal(nifti_set_filenames(nim, path, 0, 1), 0);
  nifti_image_write(nim);
  nifti_image_free(nim);
}

// An oblique, anisotropic sform (rotation about an arbitrary axis times scaling).
static double sform_ref[4][4];
static void setup_sform(nifti_image *nim) {
  double rvec[3] = {0.3, -0.2, 0.5}, R[3][3];
  cr_rotation_from_rvec(R, rvec);
  double sp[3] = {1.5, 0.8, 2.0}, t[3] = {-12.5, 33.0, 7.25};
  cr_mat4_identity(sform_ref);
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) sform_ref[i][j] = R[i][j] * sp[j];
    sform_ref[i][3] = t[i];
  }
  nim->sform_code = NIFTI_XFORM_ALIGNED_ANAT;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) nim->sto_xyz.m[i][j] = sform_ref[i][j];
}

// qform with qfac = -1: the NIfTI formula, written out independently here.
static double qform_ref[4][4];
static void setup_qform_qfac(nifti_image *nim) {
  double b = 0.1, c = -0.3, d = 0.2, a = sqrt(1 - b * b - c * c - d * d);
  double R[3][3] = {{a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)},
                    {2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)},
                    {2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b}};
  double pix[3] = {1.2, 0.9, 2.5}, off[3] = {10, -20, 30}, qfac = -1;
  cr_mat4_identity(qform_ref);
  for (int i = 0; i < 3; i++) {
    qform_ref[i][0] = R[i][0] * pix[0];
    qform_ref[i][1] = R[i][1] * pix[1];
    qform_ref[i][2] = R[i][2] * pix[2] * qfac;
    qform_ref[i][3] = off[i];
  }
  nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->quatern_b = b, nim->quatern_c = c, nim->quatern_d = d;
  nim->qoffset_x = off[0], nim->qoffset_y = off[1], nim->qoffset_z = off[2];
  nim->qfac = qfac;
  nim->dx = nim->pixdim[1] = pix[0];
  nim->dy = nim->pixdim[2] = pix[1];
  nim->dz = nim->pixdim[3] = pix[2];
}

static void setup_pixdim_only(nifti_image *nim) {
  nim->dx = nim->pixdim[1] = 2.0;
  nim->dy = nim->pixdim[2] = 3.0;
  nim->dz = nim->pixdim[3] = 4.0;
}

// Both transforms set and different: the sform must win.
static void setup_both(nifti_image *nim) {
  setup_qform_qfac(nim);
  setup_sform(nim);
}

static void check_world(const cr_volume *vol, double A[4][4]) {
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < 4; j++)
      for (int i = 0; i < 5; i++) {
        double ijk[3] = {i, j, k}, got[3], want[3];
        cr_volume_voxel_to_world(vol, ijk, got);
        for (int r = 0; r < 3; r++) want[r] = A[r][0] * i + A[r][1] * j + A[r][2] * k + A[r][3];
        for (int r = 0; r < 3; r++) assert_near(got[r], want[r], 1e-4);
        double back[3];
        cr_volume_world_to_voxel(vol, got, back);
        assert_near(back[0], i, 1e-6);
        assert_near(back[1], j, 1e-6);
        assert_near(back[2], k, 1e-6);
      }
}

static void test_sform_only(void **state) {
  const char *p = cr_test_path("sform.nii.gz");
  write_test_nifti(p, DT_INT16, 1, setup_sform, 0, 0);
  cr_volume *vol;
  assert_int_equal(cr_volume_load(p, -1, &vol, NULL), 0);
  check_world(vol, sform_ref);
  assert_near(vol->spacing[0], 1.5, 1e-5);
  assert_near(vol->spacing[2], 2.0, 1e-5);
  cr_volume_free(vol);
}

static void test_qform_only_qfac_negative(void **state) {
  const char *p = cr_test_path("qform.nii");
  write_test_nifti(p, DT_INT16, 1, setup_qform_qfac, 0, 0);
  cr_volume *vol;
  assert_int_equal(cr_volume_load(p, -1, &vol, NULL), 0);
  check_world(vol, qform_ref);
  // qfac = -1 flips the third axis: the determinant is negative.
  double L[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) L[i][j] = vol->world_from_voxel[i][j];
  assert_true(cr_mat3_det(L) < 0);
  cr_volume_free(vol);
}

static void test_neither_uses_pixdim(void **state) {
  const char *p = cr_test_path("pixdim.nii");
  write_test_nifti(p, DT_INT16, 1, setup_pixdim_only, 0, 0);
  cr_volume *vol;
  assert_int_equal(cr_volume_load(p, -1, &vol, NULL), 0);
  double A[4][4] = {{2, 0, 0, 0}, {0, 3, 0, 0}, {0, 0, 4, 0}, {0, 0, 0, 1}};
  check_world(vol, A);
  cr_volume_free(vol);
}

static void test_sform_wins_over_qform(void **state) {
  const char *p = cr_test_path("both.nii");
  write_test_nifti(p, DT_INT16, 1, setup_both, 0, 0);
  cr_volume *vol;
  assert_int_equal(cr_volume_load(p, -1, &vol, NULL), 0);
  check_world(vol, sform_ref);
  cr_volume_free(vol);
}

static void test_scl_slope_and_datatypes(void **state) {
  const int types[] = {DT_UINT8,  DT_INT8,  DT_UINT16,  DT_INT16,
                       DT_UINT32, DT_INT32, DT_FLOAT32, DT_FLOAT64};
  for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
    const char *p = cr_test_path("dt.nii");
    write_test_nifti(p, types[t], 1, setup_sform, 2.5, -7);
    cr_volume *vol;
    assert_int_equal(cr_volume_load(p, -1, &vol, NULL), 0);
    for (int k = 0; k < 3; k++)
      for (int j = 0; j < 4; j++)
        for (int i = 0; i < 5; i++) {
          double v = i + 10 * j + 100 * k;
          if (types[t] == DT_UINT8 || types[t] == DT_INT8) v = i + 3 * j + 7 * k;
          if (types[t] == DT_INT16 || types[t] == DT_INT32) v -= 200;
          if (types[t] == DT_FLOAT32) v += 0.25;
          if (types[t] == DT_FLOAT64) v += 0.125;
          assert_near(vol->data[cr_volume_index(vol, i, j, k)], v * 2.5 - 7, 1e-4);
        }
    cr_volume_free(vol);
  }
  // Slope 0 means "no scaling" (NIfTI standard).
  const char *p = cr_test_path("noscale.nii");
  write_test_nifti(p, DT_INT16, 1, setup_sform, 0, 5);
  cr_volume *vol;
  assert_int_equal(cr_volume_load(p, -1, &vol, NULL), 0);
  assert_near(vol->data[cr_volume_index(vol, 1, 2, 0)], 21 - 200, 0);
  cr_volume_free(vol);
}

static void test_4d_needs_index(void **state) {
  const char *p = cr_test_path("four.nii.gz");
  write_test_nifti(p, DT_INT16, 2, setup_sform, 0, 0);
  cr_volume *vol = NULL;
  assert_int_equal(cr_volume_load(p, -1, &vol, NULL), CR_EINVAL);
  assert_null(vol);
  assert_non_null(strstr(cr_last_error(), "four.nii.gz"));
  assert_non_null(strstr(cr_last_error(), "4-D"));
  assert_int_equal(cr_volume_load(p, 1, &vol, NULL), 0);
  assert_near(vol->data[cr_volume_index(vol, 1, 1, 1)], 1 + 10 + 100 + 1000 - 200, 0);
  cr_volume_free(vol);
  assert_int_equal(cr_volume_load(p, 2, &vol, NULL), CR_EINVAL);
}

static void test_rgb_refused(void **state) {
  const char *p = cr_test_path("rgb.nii");
  write_test_nifti(p, DT_RGB24, 1, setup_sform, 0, 0);
  cr_volume *vol = NULL;
  assert_int_equal(cr_volume_load(p, -1, &vol, NULL), CR_EUNSUPPORTED);
  assert_non_null(strstr(cr_last_error(), "RGB24"));
  assert_non_null(strstr(cr_last_error(), "rgb.nii"));
}

static void test_save_round_trip_sform_equals_qform(void **state) {
  static nifti_image scratch_header;
  setup_sform(&scratch_header); // fills sform_ref
  cr_volume *vol = cr_volume_new(7, 5, 4, (const double(*)[4])sform_ref);
  assert_non_null(vol);
  for (size_t n = 0; n < cr_volume_count(vol); n++) vol->data[n] = (float)(n * 0.5 - 3);
  const char *p = cr_test_path("saved.nii.gz");
  assert_int_equal(cr_volume_save(p, vol), 0);
  cr_volume *back;
  assert_int_equal(cr_volume_load(p, -1, &back, NULL), 0);
  assert_memory_equal(back->dim, vol->dim, sizeof vol->dim);
  for (size_t n = 0; n < cr_volume_count(vol); n++) assert_true(back->data[n] == vol->data[n]);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) assert_near(back->world_from_voxel[i][j], sform_ref[i][j], 1e-5);
  // The header holds the same transform as sform and qform, both with code 1.
  nifti_image *nim = nifti_image_read(p, 0);
  assert_non_null(nim);
  assert_int_equal(nim->sform_code, 1);
  assert_int_equal(nim->qform_code, 1);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++) assert_near(nim->qto_xyz.m[i][j], nim->sto_xyz.m[i][j], 1e-4);
  nifti_image_free(nim);
  cr_volume_free(vol);
  cr_volume_free(back);
}

// Cross-check with nibabel, an independent NIfTI reader: the affine and one voxel.
static void test_nibabel_agrees(void **state) {
  if (cr_test_system("/usr/bin/python3 -c 'import nibabel' 2>/dev/null") != 0) {
    print_message("nibabel not installed: cross-check skipped\n");
    skip();
  }
  const char *files[3] = {cr_test_path("nb_s.nii"), cr_test_path("nb_q.nii"),
                          cr_test_path("nb_both.nii")};
  write_test_nifti(files[0], DT_INT16, 1, setup_sform, 1.5, 2);
  write_test_nifti(files[1], DT_INT16, 1, setup_qform_qfac, 1.5, 2);
  write_test_nifti(files[2], DT_INT16, 1, setup_both, 1.5, 2);
  for (int f = 0; f < 3; f++) {
    const char *out = cr_test_path("nb.txt");
    int rc = cr_test_system(
        "/usr/bin/python3 -c \"import nibabel as nb, numpy as np; i = nb.load('%s'); "
        "a = i.affine; d = np.asarray(i.dataobj, dtype=float); "
        "print(' '.join('%%.9g' %% x for x in list(a.ravel()) + [d[3,2,1], d[0,1,2]]))\" > %s",
        files[f], out);
    assert_int_equal(rc, 0);
    FILE *fp = fopen(out, "r");
    double nb[18];
    for (int i = 0; i < 18; i++) assert_int_equal(fscanf(fp, "%lf", &nb[i]), 1);
    fclose(fp);
    cr_volume *vol;
    assert_int_equal(cr_volume_load(files[f], -1, &vol, NULL), 0);
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) assert_near(vol->world_from_voxel[i][j], nb[4 * i + j], 1e-5);
    assert_near(vol->data[cr_volume_index(vol, 3, 2, 1)], nb[16], 1e-4);
    assert_near(vol->data[cr_volume_index(vol, 0, 1, 2)], nb[17], 1e-4);
    cr_volume_free(vol);
  }
}

static void test_bad_input(void **state) {
  cr_volume *vol = NULL;
  assert_int_equal(cr_volume_load(cr_test_path("missing.nii.gz"), -1, &vol, NULL), CR_EIO);
  assert_non_null(strstr(cr_last_error(), "missing.nii.gz"));
  // A text file named .nii.
  const char *txt = cr_test_path("text.nii");
  FILE *f = fopen(txt, "w");
  fputs("this is not a NIfTI file\n", f);
  fclose(f);
  assert_int_equal(cr_volume_load(txt, -1, &vol, NULL), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "text.nii"));
  // A truncated .nii.gz: header intact, data cut short.
  const char *full = cr_test_path("full.nii.gz"), *cut = cr_test_path("cut.nii.gz");
  write_test_nifti(full, DT_FLOAT64, 2, setup_sform, 0, 0);
  assert_int_equal(
      cr_test_system("head -c $(( $(stat -c %%s '%s') * 6 / 10 )) '%s' > '%s'", full, full, cut),
      0);
  assert_int_not_equal(cr_volume_load(cut, 0, &vol, NULL), 0);
  assert_null(vol);
  assert_non_null(strstr(cr_last_error(), "cut.nii.gz"));
  // A zero-sized dimension: patch dim[3] (bytes 44-45 of a NIfTI-1 header) to 0.
  const char *zero = cr_test_path("zero.nii");
  write_test_nifti(zero, DT_INT16, 1, setup_sform, 0, 0);
  f = fopen(zero, "r+b");
  short z = 0;
  fseek(f, 40 + 2 * 3, SEEK_SET);
  fwrite(&z, 2, 1, f);
  fclose(f);
  assert_int_not_equal(cr_volume_load(zero, -1, &vol, NULL), 0);
  assert_null(vol);
  assert_non_null(strstr(cr_last_error(), "zero.nii"));
  // Unwritable output: a clear error and no file.
  cr_volume *v = cr_volume_new(2, 2, 2, NULL);
  assert_int_equal(cr_volume_save("/nonexistent-dir/out.nii.gz", v), CR_EIO);
  assert_non_null(strstr(cr_last_error(), "/nonexistent-dir/out.nii.gz"));
  assert_int_equal(cr_volume_save(cr_test_path("wrong.ext"), v), CR_EINVAL);
  assert_false(cr_file_exists(cr_test_path("wrong.ext")));
  cr_volume_free(v);
  // No temporary files were left behind in the scratch folder.
  assert_int_equal(cr_test_system("ls -a '%s' | grep -q crtmp", cr_test_dir()), 1);
}

int main(void) {
  nifti_set_debug_level(0);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sform_only),
      cmocka_unit_test(test_qform_only_qfac_negative),
      cmocka_unit_test(test_neither_uses_pixdim),
      cmocka_unit_test(test_sform_wins_over_qform),
      cmocka_unit_test(test_scl_slope_and_datatypes),
      cmocka_unit_test(test_4d_needs_index),
      cmocka_unit_test(test_rgb_refused),
      cmocka_unit_test(test_save_round_trip_sform_equals_qform),
      cmocka_unit_test(test_nibabel_agrees),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
