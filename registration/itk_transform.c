// ITK transform files (see itk_transform.h).
#include "registration/itk_transform.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/mat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// F * A * F with F = diag(-1, -1, 1, 1): the same map in the other of RAS / LPS.
static void flip_lps(double out[4][4], const double A[4][4]) {
  static const double f[4] = {-1, -1, 1, 1};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) out[i][j] = f[i] * A[i][j] * f[j];
}

int cr_reg_itk_write_affine(const char *path, const double M[4][4]) {
  cr_atomic_file af;
  int rc = cr_atomic_begin(&af, path, 1);
  if (rc) return rc;
  fprintf(af.fp, "#Insight Transform File V1.0\n#Transform 0\n"
                 "Transform: AffineTransform_double_3_3\nParameters:");
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) fprintf(af.fp, " %.17g", M[i][j] + 0.0); // + 0.0: no "-0"
  for (int i = 0; i < 3; i++) fprintf(af.fp, " %.17g", M[i][3] + 0.0);
  fprintf(af.fp, "\nFixedParameters: 0 0 0\n");
  return cr_atomic_commit(&af);
}

// Parses up to `max` numbers after "key:" into v; returns the count, -1 on junk.
static int parse_numbers(const char *s, double *v, int max) {
  int n = 0;
  for (;;) {
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '\0' || *s == '\n' || *s == '\r') return n;
    char *end;
    double d = strtod(s, &end);
    if (end == s || n >= max) return -1;
    v[n++] = d;
    s = end;
  }
}

typedef struct itk_text {
  int header, type_ok, np, nf;
  double p[12], f[3];
} itk_text;

static int parse_line(const char *path, int lineno, const char *line, itk_text *t) {
  if (lineno == 1) {
    t->header = strncmp(line, "#Insight Transform File V1.0", 28) == 0;
    return t->header ? 0
                     : cr_error(CR_EFORMAT,
                                "%s: not an ITK transform file "
                                "(no '#Insight Transform File V1.0' header)",
                                path);
  }
  if (line[0] == '#') return 0;
  if (strncmp(line, "Transform:", 10) == 0) {
    if (t->type_ok) return 1; // the next transform: only the first one is read
    char type[128] = "";
    sscanf(line + 10, "%127s", type);
    static const char *ok[] = {"AffineTransform_double_3_3", "AffineTransform_float_3_3",
                               "MatrixOffsetTransformBase_double_3_3",
                               "MatrixOffsetTransformBase_float_3_3"};
    for (int i = 0; i < 4; i++) t->type_ok |= strcmp(type, ok[i]) == 0;
    return t->type_ok ? 0
                      : cr_error(CR_EUNSUPPORTED,
                                 "%s:%d: transform type '%s' not supported "
                                 "(affine 3-D transforms only)",
                                 path, lineno, type);
  }
  if (strncmp(line, "Parameters:", 11) == 0) {
    t->np = parse_numbers(line + 11, t->p, 12);
    if (t->np != 12)
      return cr_error(CR_EFORMAT, "%s:%d: Parameters needs 12 numbers", path, lineno);
  } else if (strncmp(line, "FixedParameters:", 16) == 0) {
    t->nf = parse_numbers(line + 16, t->f, 3);
    if (t->nf != 3)
      return cr_error(CR_EFORMAT, "%s:%d: FixedParameters needs 3 numbers", path, lineno);
  }
  return 0;
}

int cr_reg_itk_read_affine(const char *path, double M[4][4]) {
  cr_atomic_note_input(path); // a command may not write over what it reads
  FILE *fp = fopen(path, "r");
  if (!fp) return cr_error(CR_EIO, "%s: cannot open transform file", path);
  itk_text t;
  memset(&t, 0, sizeof t);
  char line[4096];
  int lineno = 0, rc = 0;
  while (fgets(line, sizeof line, fp)) {
    if ((rc = parse_line(path, ++lineno, line, &t))) break;
  }
  fclose(fp);
  if (rc < 0) return rc;
  if (!t.header) return cr_error(CR_EFORMAT, "%s: empty transform file", path);
  if (!t.type_ok || t.np != 12)
    return cr_error(CR_EFORMAT, "%s: no affine transform with Parameters found", path);
  cr_mat4_identity(M);
  for (int i = 0; i < 3; i++) {
    double ac = 0;
    for (int j = 0; j < 3; j++) M[i][j] = t.p[3 * i + j], ac += M[i][j] * t.f[j];
    M[i][3] = t.p[9 + i] + t.f[i] - ac; // offset of y = A (x - c) + c + t
  }
  return 0;
}

int cr_reg_itk_write_camera(const char *path, const cr_pose *cam_from_world) {
  double C[4][4], M[4][4];
  cr_pose_to_mat4(cam_from_world, C);
  flip_lps(M, (const double(*)[4])C);
  return cr_reg_itk_write_affine(path, (const double(*)[4])M);
}

int cr_reg_itk_read_camera(const char *path, cr_pose *cam_from_world) {
  double M[4][4], C[4][4];
  int rc = cr_reg_itk_read_affine(path, M);
  if (rc) return rc;
  flip_lps(C, (const double(*)[4])M);
  if (cr_pose_from_mat4(cam_from_world, (const double(*)[4])C))
    return cr_error(CR_EFORMAT, "%s: the transform is not rigid (not a camera pose)", path);
  return 0;
}

int cr_reg_itk_slicer_to_parent(const double M_lps[4][4], double out[4][4]) {
  double A[4][4];
  flip_lps(A, M_lps);
  if (cr_mat4_affine_inverse(out, (const double(*)[4])A))
    return cr_error(CR_ENUMERIC, "ITK transform: singular matrix");
  return 0;
}
