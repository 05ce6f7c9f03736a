// STL (binary write; binary or ASCII read), Wavefront OBJ and legacy VTK polydata.
#include "mesh/mesh_io_formats.h"

#include "mesh/mesh_builder.h"
#include "mesh/mesh_io_buf.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- STL ----

int mio_write_stl(FILE *fp, const cr_mesh *m, const char *tag) {
  char header[80] = {0};
  snprintf(header, sizeof header, "camreg mesh %s mm", tag);
  fwrite(header, 1, 80, fp);
  uint32_t n = (uint32_t)m->n_triangles;
  fwrite(&n, 4, 1, fp);
  for (size_t t = 0; t < n; t++) {
    double p[3][3], e1[3], e2[3], nrm[3];
    for (int k = 0; k < 3; k++)
      for (int a = 0; a < 3; a++) p[k][a] = m->xyz[3 * (size_t)m->tri[3 * t + k] + a];
    cr_vec3_sub(e1, p[1], p[0]);
    cr_vec3_sub(e2, p[2], p[0]);
    cr_vec3_cross(nrm, e1, e2);
    cr_vec3_normalize(nrm);
    float rec[12];
    for (int a = 0; a < 3; a++) rec[a] = (float)nrm[a];
    for (int k = 0; k < 3; k++)
      for (int a = 0; a < 3; a++) rec[3 + 3 * k + a] = (float)p[k][a];
    uint16_t attr = 0;
    fwrite(rec, 4, 12, fp);
    fwrite(&attr, 2, 1, fp);
  }
  return 0;
}

typedef struct stl_corner {
  float p[3];
  int32_t idx; // corner number
} stl_corner;

static int cmp_corner(const void *a, const void *b) {
  const stl_corner *x = a, *y = b;
  for (int k = 0; k < 3; k++)
    if (x->p[k] != y->p[k]) return x->p[k] < y->p[k] ? -1 : 1;
  return x->idx - y->idx;
}

// Welds the 3 * nt corners (exactly equal coordinates share a vertex).
static int stl_weld(stl_corner *c, size_t nt, const char *path, cr_mesh **out) {
  size_t n = 3 * nt;
  if (n) qsort(c, n, sizeof *c, cmp_corner); // c is NULL for an empty file
  mio_builder mb = {0};
  mb.xyz = malloc(n * 3 * sizeof(float) + 1);
  mb.tri = malloc(n * sizeof(int32_t) + 1);
  if (!mb.xyz || !mb.tri) {
    mio_builder_free(&mb);
    return cr_error(CR_ENOMEM, "%s: out of memory", path);
  }
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || memcmp(c[i].p, c[i - 1].p, sizeof c[i].p)) {
      memcpy(mb.xyz + 3 * mb.nv, c[i].p, sizeof c[i].p);
      mb.nv++;
    }
    mb.tri[c[i].idx] = (int32_t)(mb.nv - 1);
  }
  mb.nt = mb.cap_t = nt;
  return mio_finish(&mb, path, out);
}

int mio_read_stl(mio_buf *b, cr_mesh **out, int *space) {
  size_t nt = 0;
  stl_corner *c = NULL;
  if (b->size >= 84) {
    uint32_t n;
    memcpy(&n, b->data + 80, 4);
    if ((size_t)n * 50 + 84 == b->size) nt = n;
  }
  if (nt || b->size == 84) { // binary
    char header[81];
    memcpy(header, b->data, 80);
    header[80] = 0;
    *space = mio_space_tag(header);
    c = malloc(3 * nt * sizeof *c + 1);
    if (!c) return cr_error(CR_ENOMEM, "%s: out of memory", b->path);
    for (size_t t = 0; t < nt; t++)
      for (int k = 0; k < 3; k++) {
        memcpy(c[3 * t + k].p, b->data + 84 + 50 * t + 12 + 12 * k, 12);
        c[3 * t + k].idx = (int32_t)(3 * t + k);
      }
  } else if (b->size >= 5 && !strncmp(b->data, "solid", 5)) { // ASCII
    char line[256], tok[64];
    mio_line(b, line, sizeof line);
    *space = mio_space_tag(line);
    size_t cap = 0, nc = 0;
    while (mio_token(b, tok, sizeof tok)) {
      if (strcmp(tok, "vertex")) continue;
      if (nc == cap) {
        cap = cap ? 2 * cap : 3072;
        stl_corner *p = realloc(c, cap * sizeof *c);
        if (!p) {
          free(c);
          return cr_error(CR_ENOMEM, "%s: out of memory", b->path);
        }
        c = p;
      }
      for (int a = 0; a < 3; a++) {
        double x;
        int rc = mio_number(b, &x, "an STL vertex coordinate");
        if (rc) {
          free(c);
          return rc;
        }
        c[nc].p[a] = (float)x;
      }
      c[nc].idx = (int32_t)nc;
      nc++;
    }
    if (nc % 3) {
      free(c);
      return cr_error(CR_EFORMAT, "%s: STL vertex count %zu is not a multiple of 3", b->path, nc);
    }
    nt = nc / 3;
  } else {
    return cr_error(CR_EFORMAT,
                    "%s: not an STL file (size does not match a binary STL, no 'solid')", b->path);
  }
  int rc = stl_weld(c, nt, b->path, out);
  free(c);
  return rc;
}

// ---- OBJ ----

int mio_write_obj(FILE *fp, const cr_mesh *m, const char *tag) {
  fprintf(fp, "# %s\n# camreg mesh, millimetres\n", tag);
  for (size_t v = 0; v < (size_t)m->n_vertices; v++) {
    fprintf(fp, "v %.9g %.9g %.9g", m->xyz[3 * v], m->xyz[3 * v + 1], m->xyz[3 * v + 2]);
    if (m->rgb)
      fprintf(fp, " %.6g %.6g %.6g", m->rgb[3 * v] / 255.0, m->rgb[3 * v + 1] / 255.0,
              m->rgb[3 * v + 2] / 255.0);
    fputc('\n', fp);
  }
  for (size_t v = 0; m->normal && v < (size_t)m->n_vertices; v++)
    fprintf(fp, "vn %.7g %.7g %.7g\n", m->normal[3 * v], m->normal[3 * v + 1],
            m->normal[3 * v + 2]);
  for (size_t t = 0; t < (size_t)m->n_triangles; t++) {
    int32_t *q = m->tri + 3 * t;
    if (m->normal)
      fprintf(fp, "f %d//%d %d//%d %d//%d\n", q[0] + 1, q[0] + 1, q[1] + 1, q[1] + 1, q[2] + 1,
              q[2] + 1);
    else
      fprintf(fp, "f %d %d %d\n", q[0] + 1, q[1] + 1, q[2] + 1);
  }
  return 0;
}

static int grow_floats(float **p, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 3072;
  while (c < need) c *= 2;
  float *q = realloc(*p, c * sizeof *q);
  if (!q) return CR_ENOMEM;
  *p = q, *cap = c;
  return 0;
}

// "i", "i/t", "i/t/n", "i//n" (1-based, negative = relative) -> vertex and normal index.
static int obj_corner(const char *tok, size_t nv, size_t nn, long *vi, long *ni) {
  char *end;
  long v = strtol(tok, &end, 10), n = 0;
  if (end == tok || v == 0) return -1;
  if (*end == '/') {
    const char *s = strchr(end + 1, '/');
    if (s) n = strtol(s + 1, NULL, 10);
  }
  *vi = v < 0 ? (long)nv + v : v - 1;
  *ni = n < 0 ? (long)nn + n : n - 1;
  return *vi >= 0 && *vi < (long)nv ? 0 : -1;
}

int mio_read_obj(mio_buf *b, cr_mesh **out, int *space) {
  mio_builder mb = {0};
  float *vn = NULL, *col = NULL;
  size_t cap_v = 0, cap_n = 0, cap_c = 0, cap_nrm = 0, nn = 0, ncol = 0, line_no = 0;
  char line[4096];
  int rc = 0;
  while (!rc && mio_line(b, line, sizeof line)) {
    line_no++;
    if (line[0] == '#' && *space < 0) *space = mio_space_tag(line);
    double x[6];
    int k = 0;
    if (!strncmp(line, "v ", 2)) {
      k = sscanf(line + 2, "%lf %lf %lf %lf %lf %lf", x, x + 1, x + 2, x + 3, x + 4, x + 5);
      if (k < 3)
        rc = cr_error(CR_EFORMAT, "%s:%zu: bad vertex line", b->path, line_no);
      else if (grow_floats(&mb.xyz, &cap_v, 3 * mb.nv + 3) ||
               (k == 6 && grow_floats(&col, &cap_c, 3 * mb.nv + 3)))
        rc = cr_error(CR_ENOMEM, "%s: out of memory", b->path);
      else {
        for (int a = 0; a < 3; a++) mb.xyz[3 * mb.nv + a] = (float)x[a];
        if (k == 6 && ncol == mb.nv) {
          for (int a = 0; a < 3; a++) col[3 * ncol + a] = (float)x[3 + a];
          ncol++;
        }
        mb.nv++;
      }
    } else if (!strncmp(line, "vn ", 3)) {
      if (sscanf(line + 3, "%lf %lf %lf", x, x + 1, x + 2) != 3)
        rc = cr_error(CR_EFORMAT, "%s:%zu: bad normal line", b->path, line_no);
      else if (grow_floats(&vn, &cap_n, 3 * nn + 3))
        rc = cr_error(CR_ENOMEM, "%s: out of memory", b->path);
      else
        for (int a = 0; a < 3; a++) vn[3 * nn + a] = (float)x[a];
      nn++;
    } else if (!strncmp(line, "f ", 2)) {
      long first = -1, prev = -1, vi = -1, ni = -1;
      int n = 0;
      for (char *tok = strtok(line + 2, " \t"); tok && !rc; tok = strtok(NULL, " \t"), n++) {
        if (obj_corner(tok, mb.nv, nn, &vi, &ni))
          rc = cr_error(CR_EFORMAT, "%s:%zu: bad face corner '%s'", b->path, line_no, tok);
        if (rc) break;
        if (ni >= 0 && ni < (long)nn) {
          size_t old = cap_nrm;
          if (grow_floats(&mb.normal, &cap_nrm, 3 * mb.nv))
            rc = cr_error(CR_ENOMEM, "%s: out of memory", b->path);
          else {
            memset(mb.normal + old, 0, (cap_nrm - old) * sizeof(float));
            memcpy(mb.normal + 3 * vi, vn + 3 * ni, 3 * sizeof(float));
          }
        }
        if (n == 0)
          first = vi;
        else if (n >= 2)
          rc = mio_add_tri(&mb, (int32_t)first, (int32_t)prev, (int32_t)vi);
        prev = vi;
      }
    }
  }
  if (!rc && mb.nv && ncol == mb.nv) {
    mb.rgb = malloc(3 * mb.nv);
    if (!mb.rgb) rc = cr_error(CR_ENOMEM, "%s: out of memory", b->path);
    for (size_t i = 0; !rc && i < 3 * mb.nv; i++)
      mb.rgb[i] = (uint8_t)lround(fmin(1, fmax(0, col[i])) * 255);
  }
  free(vn), free(col);
  if (!rc && !mb.nv) rc = cr_error(CR_EFORMAT, "%s: no vertices (not an OBJ file?)", b->path);
  if (rc) {
    mio_builder_free(&mb);
    return rc;
  }
  return mio_finish(&mb, b->path, out);
}

// ---- legacy VTK polydata (ASCII) ----

int mio_write_vtk(FILE *fp, const cr_mesh *m, const char *tag) {
  size_t nv = (size_t)m->n_vertices, nt = (size_t)m->n_triangles;
  fprintf(fp, "# vtk DataFile Version 4.2\ncamreg mesh %s\nASCII\nDATASET POLYDATA\n", tag);
  fprintf(fp, "POINTS %zu float\n", nv);
  for (size_t v = 0; v < nv; v++)
    fprintf(fp, "%.9g %.9g %.9g\n", m->xyz[3 * v], m->xyz[3 * v + 1], m->xyz[3 * v + 2]);
  fprintf(fp, "POLYGONS %zu %zu\n", nt, 4 * nt);
  for (size_t t = 0; t < nt; t++)
    fprintf(fp, "3 %d %d %d\n", m->tri[3 * t], m->tri[3 * t + 1], m->tri[3 * t + 2]);
  if (!m->normal && !m->scalar && !m->rgb) return 0;
  fprintf(fp, "POINT_DATA %zu\n", nv);
  if (m->normal) {
    fputs("NORMALS Normals float\n", fp);
    for (size_t v = 0; v < nv; v++)
      fprintf(fp, "%.7g %.7g %.7g\n", m->normal[3 * v], m->normal[3 * v + 1], m->normal[3 * v + 2]);
  }
  if (m->scalar) {
    fputs("SCALARS scalar float 1\nLOOKUP_TABLE default\n", fp);
    for (size_t v = 0; v < nv; v++) fprintf(fp, "%.9g\n", m->scalar[v]);
  }
  if (m->rgb) {
    fputs("COLOR_SCALARS rgb 3\n", fp);
    for (size_t v = 0; v < nv; v++)
      fprintf(fp, "%.6g %.6g %.6g\n", m->rgb[3 * v] / 255.0, m->rgb[3 * v + 1] / 255.0,
              m->rgb[3 * v + 2] / 255.0);
  }
  return 0;
}

static int vtk_floats(mio_buf *b, float **dst, size_t n, const char *what) {
  *dst = malloc(n * sizeof(float) + 1);
  if (!*dst) return cr_error(CR_ENOMEM, "%s: out of memory", b->path);
  for (size_t i = 0; i < n; i++) {
    double x;
    int rc = mio_number(b, &x, what);
    if (rc) return rc;
    (*dst)[i] = (float)x;
  }
  return 0;
}

static int vtk_polygons(mio_buf *b, mio_builder *mb) {
  double n, size;
  int rc;
  if ((rc = mio_number(b, &n, "the polygon count")) ||
      (rc = mio_number(b, &size, "the polygon list size")))
    return rc;
  if (!(n >= 0 && n <= (double)b->size)) // each polygon takes at least 2 bytes
    return cr_error(CR_EFORMAT, "%s: bad polygon count %g", b->path, n);
  for (long p = 0; p < (long)n; p++) {
    double cnt, x;
    if ((rc = mio_number(b, &cnt, "a polygon size"))) return rc;
    if (cnt < 0 || cnt > 1000) return cr_error(CR_EFORMAT, "%s: bad polygon size %g", b->path, cnt);
    int32_t first = 0, prev = 0;
    for (int i = 0; i < (int)cnt; i++) {
      if ((rc = mio_number(b, &x, "a polygon index"))) return rc;
      if (x < 0 || x >= (double)mb->nv)
        return cr_error(CR_EFORMAT, "%s: polygon %ld uses point %g of %zu", b->path, p, x, mb->nv);
      if (i == 0)
        first = (int32_t)x;
      else if (i >= 2 && (rc = mio_add_tri(mb, first, prev, (int32_t)x)))
        return rc;
      prev = (int32_t)x;
    }
  }
  return 0;
}

// POINT_DATA sections: NORMALS, SCALARS (1 component), COLOR_SCALARS (3 components).
static int vtk_point_data(mio_buf *b, mio_builder *mb, const char *kw) {
  char name[128], type[64], tok[64];
  int rc = 0;
  if (!mio_token(b, name, sizeof name) || !mio_token(b, type, sizeof type))
    return cr_error(CR_EFORMAT, "%s: truncated %s header", b->path, kw);
  size_t nv = mb->nv;
  if (!strcmp(kw, "NORMALS")) {
    free(mb->normal), mb->normal = NULL;
    return vtk_floats(b, &mb->normal, 3 * nv, "a normal");
  }
  if (!strcmp(kw, "COLOR_SCALARS")) {
    float *c = NULL;
    int ncomp = atoi(type);
    if (ncomp != 3)
      return cr_error(CR_EUNSUPPORTED, "%s: COLOR_SCALARS with %d components", b->path, ncomp);
    if ((rc = vtk_floats(b, &c, 3 * nv, "a colour"))) {
      free(c);
      return rc;
    }
    free(mb->rgb);
    mb->rgb = malloc(3 * nv + 1);
    for (size_t i = 0; mb->rgb && i < 3 * nv; i++)
      mb->rgb[i] = (uint8_t)lround(fmin(1, fmax(0, c[i])) * 255);
    free(c);
    return mb->rgb ? 0 : cr_error(CR_ENOMEM, "%s: out of memory", b->path);
  }
  // SCALARS name type [ncomp] then LOOKUP_TABLE name.
  size_t save = b->pos;
  int ncomp = 1;
  if (mio_token(b, tok, sizeof tok) && strcmp(tok, "LOOKUP_TABLE"))
    ncomp = atoi(tok);
  else
    b->pos = save;
  if (ncomp != 1)
    return cr_error(CR_EUNSUPPORTED, "%s: SCALARS with %d components", b->path, ncomp);
  if (!mio_token(b, tok, sizeof tok) || strcmp(tok, "LOOKUP_TABLE") ||
      !mio_token(b, tok, sizeof tok))
    return cr_error(CR_EFORMAT, "%s: SCALARS without LOOKUP_TABLE", b->path);
  free(mb->scalar), mb->scalar = NULL;
  return vtk_floats(b, &mb->scalar, nv, "a scalar");
}

int mio_read_vtk(mio_buf *b, cr_mesh **out, int *space) {
  char line[512], tok[64];
  if (!mio_line(b, line, sizeof line) || strncmp(line, "# vtk DataFile", 14))
    return cr_error(CR_EFORMAT, "%s: not a legacy VTK file", b->path);
  mio_line(b, line, sizeof line);
  *space = mio_space_tag(line);
  if (!mio_line(b, line, sizeof line) || strncmp(line, "ASCII", 5))
    return cr_error(CR_EUNSUPPORTED, "%s: only ASCII legacy VTK is read", b->path);
  mio_builder mb = {0};
  int rc = 0, have_points = 0;
  while (!rc && mio_token(b, tok, sizeof tok)) {
    if (!strcmp(tok, "DATASET")) {
      if (!mio_token(b, tok, sizeof tok) || strcmp(tok, "POLYDATA"))
        rc = cr_error(CR_EUNSUPPORTED, "%s: VTK dataset '%s' is not POLYDATA", b->path, tok);
    } else if (!strcmp(tok, "POINTS")) {
      double n;
      if (!(rc = mio_number(b, &n, "the point count"))) {
        if (n < 0 || n > INT32_MAX / 3 || n * 6 > (double)b->size)
          rc = cr_error(CR_EFORMAT, "%s: bad point count %g", b->path, n);
        else if (!mio_token(b, tok, sizeof tok))
          rc = cr_error(CR_EFORMAT, "%s: truncated", b->path);
        else {
          mb.nv = (size_t)n;
          free(mb.xyz), mb.xyz = NULL;
          rc = vtk_floats(b, &mb.xyz, 3 * mb.nv, "a point coordinate");
          have_points = 1;
        }
      }
    } else if (!strcmp(tok, "POLYGONS")) {
      rc = have_points ? vtk_polygons(b, &mb)
                       : cr_error(CR_EFORMAT, "%s: POLYGONS before POINTS", b->path);
    } else if (!strcmp(tok, "POINT_DATA")) {
      double n;
      if (!(rc = mio_number(b, &n, "the POINT_DATA count")) && n != (double)mb.nv)
        rc = cr_error(CR_EFORMAT, "%s: POINT_DATA %g for %zu points", b->path, n, mb.nv);
    } else if (!strcmp(tok, "NORMALS") || !strcmp(tok, "SCALARS") ||
               !strcmp(tok, "COLOR_SCALARS")) {
      rc = vtk_point_data(b, &mb, tok);
    } else if (!strcmp(tok, "METADATA")) {
      break; // trailing information (written by VTK 9) is not needed
    } else {
      rc = cr_error(CR_EUNSUPPORTED, "%s: VTK section '%s' is not read by camreg", b->path, tok);
    }
  }
  if (!rc && !have_points) rc = cr_error(CR_EFORMAT, "%s: VTK file without POINTS", b->path);
  if (rc) {
    mio_builder_free(&mb);
    return rc;
  }
  return mio_finish(&mb, b->path, out);
}
