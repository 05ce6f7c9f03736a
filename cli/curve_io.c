// Files of curved reslicing (cli/curve_io.h).
#include "cli/curve_io.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/pose.h"
#include "registration/itk_transform.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_mat(FILE *fp, const double M[4][4]) {
  fputc('[', fp);
  for (int i = 0; i < 4; i++)
    fprintf(fp, "%s[%.17g, %.17g, %.17g, %.17g]", i ? ", " : "", M[i][0] + 0.0, M[i][1] + 0.0,
            M[i][2] + 0.0, M[i][3] + 0.0);
  fputc(']', fp);
}

int cli_curve_write_json(const char *path, const cr_curve_slices *s) {
  cr_atomic_file af;
  int rc = cr_atomic_begin(&af, path, 1);
  if (rc) return rc;
  FILE *fp = af.fp;
  fprintf(fp,
          "{\"format\": \"camreg curve slices\", \"version\": 1, \"space\": \"RAS\",\n"
          " \"width\": %d, \"height\": %d, \"spacing_mm\": %.17g, \"step_mm\": %.17g, "
          "\"length_mm\": %.17g,\n \"straightened_world_from_voxel\": ",
          s->width, s->height, s->spacing_mm, s->step_mm, s->length_mm);
  put_mat(fp, (const double(*)[4])s->world_from_pixel[0]);
  fprintf(fp, ",\n \"slices\": [\n");
  for (int k = 0; k < s->n; k++) {
    fprintf(fp, "  {\"index\": %d, \"arc_mm\": %.17g, \"world_from_pixel\": ", k, s->arc_mm[k]);
    put_mat(fp, (const double(*)[4])s->world_from_pixel[k]);
    fprintf(fp, "}%s\n", k + 1 < s->n ? "," : "");
  }
  fprintf(fp, " ]\n}\n");
  return cr_atomic_commit(&af);
}

static int get_mat(const cJSON *m, double M[4][4]) {
  if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) != 4) return -1;
  for (int i = 0; i < 4; i++) {
    const cJSON *r = cJSON_GetArrayItem(m, i);
    if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 4) return -1;
    for (int j = 0; j < 4; j++) {
      const cJSON *v = cJSON_GetArrayItem(r, j);
      if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return -1;
      M[i][j] = v->valuedouble;
    }
  }
  return 0;
}

int cli_curve_read_json(const char *path, cr_curve_slices **out) {
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) return cr_error(CR_EIO, "%s: cannot open (%s)", path, strerror(errno));
  fseek(fp, 0, SEEK_END);
  long len = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
  int ok = text && fread(text, 1, (size_t)len, fp) == (size_t)len;
  fclose(fp);
  if (!ok) {
    free(text);
    return cr_error(CR_EIO, "%s: cannot read", path);
  }
  text[len] = 0;
  cJSON *root = cJSON_Parse(text);
  free(text);
  if (!root) return cr_error(CR_EFORMAT, "%s: not valid JSON", path);
  int rc = 0;
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format"),
              *w = cJSON_GetObjectItemCaseSensitive(root, "width"),
              *h = cJSON_GetObjectItemCaseSensitive(root, "height"),
              *sl = cJSON_GetObjectItemCaseSensitive(root, "slices");
  int n = cJSON_IsArray(sl) ? cJSON_GetArraySize(sl) : 0;
  double(*M)[4][4] = NULL;
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "camreg curve slices"))
    rc = cr_error(CR_EFORMAT, "%s: not a camreg curve slices file (\"format\")", path);
  else if (!cJSON_IsNumber(w) || !cJSON_IsNumber(h) || w->valueint < 1 || h->valueint < 1)
    rc = cr_error(CR_EFORMAT, "%s: \"width\"/\"height\" missing or not positive", path);
  else if (n < 2)
    rc = cr_error(CR_EFORMAT, "%s: \"slices\" holds %d slice(s), at least 2 needed", path, n);
  else if (!(M = malloc(sizeof *M * (size_t)n)))
    rc = cr_error(CR_ENOMEM, "%s: out of memory", path);
  for (int k = 0; !rc && k < n; k++)
    if (get_mat(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sl, k), "world_from_pixel"),
                M[k]))
      rc = cr_error(CR_EFORMAT, "%s: slice %d: \"world_from_pixel\" is not a 4x4 matrix", path, k);
  if (!rc) {
    *out = cr_curve_slices_new(n, w->valueint, h->valueint, (const double(*)[4][4])M);
    if (!*out) rc = cr_last_status();
  }
  free(M);
  cJSON_Delete(root);
  return rc;
}

int cli_curve_write_itk(const char *dir, const cr_curve_slices *s) {
  for (int k = 0; k < s->n; k++) {
    const double(*M)[4] = (const double(*)[4])s->world_from_pixel[k];
    // world_from_slice = [R | o] with R's columns the unit u, v and tangent directions.
    double R[3][3], o[3], len[3] = {s->spacing_mm, s->spacing_mm, s->step_mm};
    for (int a = 0; a < 3; a++) {
      o[a] = M[a][3];
      for (int b = 0; b < 3; b++) R[a][b] = M[a][b] / len[b];
    }
    cr_pose slice_from_world;
    for (int a = 0; a < 3; a++) {
      slice_from_world.t[a] = 0;
      for (int b = 0; b < 3; b++) slice_from_world.R[a][b] = R[b][a];
    }
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) slice_from_world.t[a] -= R[b][a] * o[b];
    char path[4096];
    if (snprintf(path, sizeof path, "%s/slice_%04d.tfm", dir, k) >= (int)sizeof path)
      return cr_error(CR_EINVAL, "%s: folder name too long", dir);
    int rc = cr_reg_itk_write_camera(path, &slice_from_world);
    if (rc) return rc;
  }
  return 0;
}

int cli_curve_write_field(const char *path, const cr_curve_slices *s, int dispvect) {
  const size_t count = (size_t)s->width * s->height * s->n;
  float *d = malloc(sizeof(float) * 3 * count);
  cr_volume *grid = cr_volume_new(1, 1, 1, (const double(*)[4])s->world_from_pixel[0]);
  if (!d || !grid) {
    free(d), cr_volume_free(grid);
    return cr_error(CR_ENOMEM, "%s: out of memory", path);
  }
  cr_curve_displacement(s, d);
  if (!dispvect) // RAS -> LPS: negate x and y
    for (size_t i = 0; i < 2 * count; i++) d[i] = -d[i];
  grid->dim[0] = s->width, grid->dim[1] = s->height, grid->dim[2] = s->n; // header only
  int rc = cr_volume_save_vectors(path, grid, d, 3, dispvect ? 1006 : 1007,
                                  dispvect ? "camreg displacement RAS" : "camreg displacement LPS");
  grid->dim[0] = grid->dim[1] = grid->dim[2] = 1;
  cr_volume_free(grid);
  free(d);
  return rc;
}
