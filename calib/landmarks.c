// Landmark files: Slicer markups (.mrk.json), legacy .fcsv and CSV (see landmarks.h).
#include "calib/landmarks.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cr_landmarks_free(cr_landmarks *l) {
  if (!l) return;
  if (l->label)
    for (int i = 0; i < l->n; i++) free(l->label[i]);
  free(l->label);
  free(l->p);
  free(l);
}

// Appends one point; the arrays grow by doubling (cap in *cap).
static int push(cr_landmarks *l, int *cap, const double *p, const char *label) {
  if (l->n == *cap) {
    int nc = *cap ? 2 * *cap : 16;
    double *np = realloc(l->p, sizeof(double) * l->dim * nc);
    if (np) l->p = np;
    char **nl = realloc(l->label, sizeof(char *) * nc);
    if (nl) l->label = nl;
    if (!np || !nl) return cr_error(CR_ENOMEM, "out of memory for landmarks");
    *cap = nc;
  }
  memcpy(l->p + (size_t)l->n * l->dim, p, sizeof(double) * l->dim);
  l->label[l->n] = strdup(label ? label : "");
  if (!l->label[l->n]) return cr_error(CR_ENOMEM, "out of memory for landmarks");
  l->n++;
  return 0;
}

static void finish_labels(cr_landmarks *l) {
  l->has_labels = l->n > 0;
  for (int i = 0; i < l->n; i++)
    if (!l->label[i][0]) l->has_labels = 0;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  if (n >= 2 && s[0] == '"' && s[n - 1] == '"') s[n - 1] = 0, s++;
  return s;
}

// Splits a line in place at ',', ';' or tabs (whitespace if none); returns the count.
static int split(char *line, char **f, int maxf) {
  const char *seps = strpbrk(line, ",;\t") ? ",;\t" : " ";
  int n = 0;
  char *s = line;
  while (n < maxf) {
    size_t k = strcspn(s, seps);
    int last = s[k] == 0;
    s[k] = 0;
    f[n++] = trim(s);
    if (last) break;
    s += k + 1;
    if (seps[0] == ' ')
      while (*s == ' ') s++;
  }
  return n;
}

static int parse_num(const char *s, double *v) {
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return end != s && *end == 0 && errno != ERANGE && isfinite(*v);
}

static int find_col(char **f, int nf, const char *a, const char *b) {
  for (int i = 0; i < nf; i++)
    if (!strcasecmp(f[i], a) || (b && !strcasecmp(f[i], b))) return i;
  return -1;
}

// CSV and fcsv: `fcsv` selects Slicer's column layout and CoordinateSystem header.
static int read_table(const char *path, int dim, int fcsv, cr_landmarks *l) {
  FILE *fp = fopen(path, "r");
  if (!fp) return cr_error(CR_EIO, "%s: cannot open (%s)", path, strerror(errno));
  char line[4096], *f[64];
  int cap = 0, lineno = 0, rc = 0, lps = 0, header_done = 0;
  int col[3] = {0, 1, 2}, lab = -1;
  if (fcsv) col[0] = 1, col[1] = 2, col[2] = 3, lab = 11;
  while (!rc && fgets(line, sizeof line, fp)) {
    lineno++;
    char *s = trim(line);
    if (!*s) continue;
    if (*s == '#') {
      char *cs = strstr(s, "CoordinateSystem");
      // .fcsv: "# CoordinateSystem = 1" or "= LPS"; a CSV may say so in a comment too.
      if (cs && dim == 3 && (strstr(cs, "1") || strstr(cs, "LPS"))) lps = 1;
      if (fcsv && (cs = strstr(s, "columns")) && (cs = strchr(cs, '='))) {
        int nf = split(cs + 1, f, 64), x = find_col(f, nf, "x", NULL);
        if (x >= 0)
          col[0] = x, col[1] = find_col(f, nf, "y", NULL), col[2] = find_col(f, nf, "z", NULL);
        lab = find_col(f, nf, "label", NULL);
      }
      continue;
    }
    int nf = split(s, f, 64);
    if (!fcsv && !header_done) {
      header_done = 1;
      double tmp;
      int numeric = 1;
      for (int i = nf - dim; i < nf; i++) numeric &= i >= 0 && parse_num(f[i], &tmp);
      if (!numeric) { // a header row: columns by name, else by position
        int a = find_col(f, nf, dim == 3 ? "x" : "u", NULL),
            b = find_col(f, nf, dim == 3 ? "y" : "v", NULL);
        int c = dim == 3 ? find_col(f, nf, "z", NULL) : 0;
        if (a >= 0 && b >= 0 && c >= 0)
          col[0] = a, col[1] = b, col[2] = c;
        else
          for (int k = 0; k < dim; k++) col[k] = nf - dim + k;
        lab = find_col(f, nf, "label", "name");
        if (lab < 0 && nf == dim + 1) lab = 0;
        continue;
      }
      if (nf == dim + 1)
        lab = 0, col[0] = 1, col[1] = 2, col[2] = 3;
      else if (nf != dim) {
        rc = cr_error(CR_EFORMAT,
                      "%s:%d: expected %d numbers (or a label and %d numbers), got %d fields", path,
                      lineno, dim, dim, nf);
        break;
      }
    }
    double p[3];
    for (int k = 0; k < dim && !rc; k++)
      if (col[k] < 0 || col[k] >= nf || !parse_num(f[col[k]], &p[k]))
        rc = cr_error(CR_EFORMAT, "%s:%d: coordinate %d is missing or not a number", path, lineno,
                      k + 1);
    if (rc) break;
    if (lps) p[0] = -p[0], p[1] = -p[1];
    const char *label = lab >= 0 && lab < nf ? f[lab] : "";
    if (fcsv && !*label && nf > 0) label = f[0];
    rc = push(l, &cap, p, label);
  }
  fclose(fp);
  return rc;
}

static char *slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) free(buf), buf = NULL;
  if (buf) buf[n] = 0;
  fclose(fp);
  return buf;
}

static int read_markups_json(const char *path, cr_landmarks *l) {
  char *text = slurp(path);
  if (!text) return cr_error(CR_EIO, "%s: cannot read (%s)", path, strerror(errno));
  cJSON *root = cJSON_Parse(text);
  free(text);
  if (!root) return cr_error(CR_EFORMAT, "%s: not valid JSON", path);
  int rc = 0, cap = 0;
  cJSON *marks = cJSON_GetObjectItemCaseSensitive(root, "markups"), *m;
  if (!cJSON_IsArray(marks))
    rc = cr_error(CR_EFORMAT, "%s: no \"markups\" array (not a Slicer markups file)", path);
  cJSON_ArrayForEach(m, marks) {
    if (rc) break;
    cJSON *cs = cJSON_GetObjectItemCaseSensitive(m, "coordinateSystem");
    int lps = cJSON_IsString(cs) && !strcasecmp(cs->valuestring, "LPS");
    if (cJSON_IsString(cs) && !lps && strcasecmp(cs->valuestring, "RAS")) {
      rc = cr_error(CR_EFORMAT, "%s: unknown coordinateSystem \"%s\" (LPS or RAS)", path,
                    cs->valuestring);
      break;
    }
    cJSON *pts = cJSON_GetObjectItemCaseSensitive(m, "controlPoints"), *cp;
    cJSON_ArrayForEach(cp, pts) {
      cJSON *st = cJSON_GetObjectItemCaseSensitive(cp, "positionStatus");
      if (cJSON_IsString(st) && !strcmp(st->valuestring, "undefined")) continue;
      cJSON *pos = cJSON_GetObjectItemCaseSensitive(cp, "position");
      if (!cJSON_IsArray(pos) || cJSON_GetArraySize(pos) != 3) {
        rc = cr_error(CR_EFORMAT, "%s: control point %d has no 3-value position", path, l->n + 1);
        break;
      }
      double p[3];
      for (int k = 0; k < 3; k++) p[k] = cJSON_GetNumberValue(cJSON_GetArrayItem(pos, k));
      if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2])) {
        rc =
            cr_error(CR_EFORMAT, "%s: control point %d has a non-numeric position", path, l->n + 1);
        break;
      }
      if (lps) p[0] = -p[0], p[1] = -p[1];
      cJSON *lb = cJSON_GetObjectItemCaseSensitive(cp, "label");
      if ((rc = push(l, &cap, p, cJSON_IsString(lb) ? lb->valuestring : ""))) break;
    }
  }
  cJSON_Delete(root);
  return rc;
}

static int read_any(const char *path, int dim, cr_landmarks **out) {
  cr_atomic_note_input(path); // a command may not write over what it reads
  *out = NULL;
  cr_landmarks *l = calloc(1, sizeof *l);
  if (!l) return cr_error(CR_ENOMEM, "out of memory");
  l->dim = dim;
  int rc;
  if (!cr_file_exists(path))
    rc = cr_error(CR_EIO, "%s: file not found", path);
  else if (dim == 3 && cr_path_has_suffix(path, ".json"))
    rc = read_markups_json(path, l);
  else
    rc = read_table(path, dim, dim == 3 && cr_path_has_suffix(path, ".fcsv"), l);
  if (!rc && l->n == 0) rc = cr_error(CR_EEMPTY, "%s: no defined points", path);
  if (rc) {
    cr_landmarks_free(l);
    return rc;
  }
  finish_labels(l);
  *out = l;
  return 0;
}

int cr_landmarks_read3d(const char *path, cr_landmarks **out) {
  return read_any(path, 3, out);
}
int cr_landmarks_read2d(const char *path, cr_landmarks **out) {
  return read_any(path, 2, out);
}

int cr_landmarks_match(const cr_landmarks *a, const cr_landmarks *b, double **X, double **uv,
                       int *n) {
  *X = *uv = NULL;
  *n = 0;
  if (a->n != b->n)
    return cr_error(CR_EINVAL, "%d 3-D points but %d 2-D points: the counts must match", a->n,
                    b->n);
  double *x = malloc(sizeof(double) * 3 * a->n), *u = malloc(sizeof(double) * 2 * a->n);
  if (!x || !u) {
    free(x), free(u);
    return cr_error(CR_ENOMEM, "out of memory");
  }
  int by_label = a->has_labels && b->has_labels;
  for (int i = 0; by_label && i < a->n; i++)
    for (int k = 0; k < i; k++)
      if (!strcmp(a->label[i], a->label[k])) {
        free(x), free(u);
        return cr_error(CR_EINVAL, "3-D label \"%s\" appears twice", a->label[i]);
      }
  for (int i = 0; i < a->n; i++) {
    int j = i;
    if (by_label) {
      j = -1;
      for (int k = 0; k < b->n; k++)
        if (!strcmp(a->label[i], b->label[k])) {
          if (j >= 0) {
            free(x), free(u);
            return cr_error(CR_EINVAL, "2-D label \"%s\" appears twice", b->label[k]);
          }
          j = k;
        }
      if (j < 0) {
        free(x), free(u);
        return cr_error(CR_EINVAL, "3-D label \"%s\" has no 2-D point with that label",
                        a->label[i]);
      }
    }
    memcpy(x + 3 * i, a->p + 3 * i, sizeof(double) * 3);
    memcpy(u + 2 * i, b->p + 2 * j, sizeof(double) * 2);
  }
  *X = x, *uv = u, *n = a->n;
  return 0;
}
