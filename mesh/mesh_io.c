// Mesh files: dispatch by extension, LPS/RAS conversion and PLY.
//
// 3D Slicer (>= 4.11) writes model files in LPS with "SPACE=LPS" in the header comment
// and, reading, honours a "SPACE=RAS" / "SPACE=LPS" tag and assumes LPS without one.
// camreg writes LPS by default (with the tag), so every Slicer version and the other
// LPS tools place the mesh on the image; RAS can be asked for and is tagged.
#include "mesh/mesh_builder.h"
#include "mesh/mesh_io_buf.h"
#include "mesh/mesh_io_formats.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- PLY ----

typedef enum { P_I8, P_U8, P_I16, P_U16, P_I32, P_U32, P_F32, P_F64, P_BAD } ply_type;
static const char *ply_type_names[][2] = {
    {"char", "int8"}, {"uchar", "uint8"}, {"short", "int16"},   {"ushort", "uint16"},
    {"int", "int32"}, {"uint", "uint32"}, {"float", "float32"}, {"double", "float64"}};
static const int ply_type_size[] = {1, 1, 2, 2, 4, 4, 4, 8};

static ply_type ply_parse_type(const char *s) {
  for (int t = 0; t < P_BAD; t++)
    if (!strcmp(s, ply_type_names[t][0]) || !strcmp(s, ply_type_names[t][1])) return (ply_type)t;
  return P_BAD;
}

enum { PLY_MAXP = 32 };
typedef struct ply_elem {
  char name[64];
  long count;
  int np;
  ply_type type[PLY_MAXP], list_count[PLY_MAXP]; // list_count P_BAD: not a list
  char prop[PLY_MAXP][64];
} ply_elem;

typedef struct ply_reader {
  mio_buf *b;
  int format; // 0 ascii, 1 binary little endian, 2 binary big endian
} ply_reader;

static int ply_value(ply_reader *r, ply_type t, double *out) {
  if (r->format == 0) return mio_number(r->b, out, "a PLY value");
  int sz = ply_type_size[t];
  if (r->b->pos + (size_t)sz > r->b->size)
    return cr_error(CR_EFORMAT, "%s: truncated PLY data", r->b->path);
  unsigned char raw[8];
  memcpy(raw, r->b->data + r->b->pos, (size_t)sz);
  r->b->pos += (size_t)sz;
  if (r->format == 2)
    for (int i = 0; i < sz / 2; i++) {
      unsigned char s = raw[i];
      raw[i] = raw[sz - 1 - i], raw[sz - 1 - i] = s;
    }
  union {
    int8_t i8;
    uint8_t u8;
    int16_t i16;
    uint16_t u16;
    int32_t i32;
    uint32_t u32;
    float f;
    double d;
  } u;
  memcpy(&u, raw, (size_t)sz);
  switch (t) {
  case P_I8: *out = u.i8; break;
  case P_U8: *out = u.u8; break;
  case P_I16: *out = u.i16; break;
  case P_U16: *out = u.u16; break;
  case P_I32: *out = u.i32; break;
  case P_U32: *out = u.u32; break;
  case P_F32: *out = u.f; break;
  default: *out = u.d; break;
  }
  return 0;
}

static int ply_header(mio_buf *b, ply_elem *el, int *nel, int *format, int *space) {
  char line[512], word[64], a[64], c[64], d[64], f5[64];
  if (!mio_line(b, line, sizeof line) || strcmp(line, "ply"))
    return cr_error(CR_EFORMAT, "%s: not a PLY file (first line is not 'ply')", b->path);
  *nel = 0, *format = -1;
  while (mio_line(b, line, sizeof line)) {
    if (!strncmp(line, "comment", 7) || !strncmp(line, "obj_info", 8)) {
      if (mio_space_tag(line) >= 0) *space = mio_space_tag(line);
      continue;
    }
    if (!strcmp(line, "end_header")) {
      if (*format < 0) return cr_error(CR_EFORMAT, "%s: PLY header without format", b->path);
      return 0;
    }
    int n = sscanf(line, "%63s %63s %63s %63s %63s", word, a, c, d, f5);
    if (n >= 2 && !strcmp(word, "format")) {
      *format = !strcmp(a, "ascii")                  ? 0
                : !strcmp(a, "binary_little_endian") ? 1
                : !strcmp(a, "binary_big_endian")    ? 2
                                                     : -1;
      if (*format < 0) return cr_error(CR_EFORMAT, "%s: unknown PLY format '%s'", b->path, a);
    } else if (n == 3 && !strcmp(word, "element")) {
      if (*nel == 8) return cr_error(CR_EUNSUPPORTED, "%s: too many PLY elements", b->path);
      ply_elem *e = &el[(*nel)++];
      memset(e, 0, sizeof *e);
      snprintf(e->name, sizeof e->name, "%s", a);
      char *end;
      e->count = strtol(c, &end, 10);
      if (*end || e->count < 0 || e->count > INT32_MAX / 3)
        return cr_error(CR_EFORMAT, "%s: bad PLY element count '%s'", b->path, c);
    } else if (n >= 3 && !strcmp(word, "property")) {
      if (!*nel) return cr_error(CR_EFORMAT, "%s: PLY property before any element", b->path);
      ply_elem *e = &el[*nel - 1];
      if (e->np == PLY_MAXP)
        return cr_error(CR_EUNSUPPORTED, "%s: too many PLY properties", b->path);
      int list = !strcmp(a, "list");
      if (list && n < 5) return cr_error(CR_EFORMAT, "%s: bad PLY list property", b->path);
      e->list_count[e->np] = list ? ply_parse_type(c) : P_BAD;
      e->type[e->np] = ply_parse_type(list ? d : a);
      snprintf(e->prop[e->np], 64, "%s", list ? f5 : c);
      if (e->type[e->np] == P_BAD || (list && e->list_count[e->np] == P_BAD))
        return cr_error(CR_EFORMAT, "%s: unknown PLY type in '%s'", b->path, line);
      e->np++;
    } else {
      return cr_error(CR_EFORMAT, "%s: bad PLY header line '%s'", b->path, line);
    }
  }
  return cr_error(CR_EFORMAT, "%s: PLY header without end_header", b->path);
}

static int ply_prop_slot(const char *name) {
  static const char *names[] = {"x",   "y",     "z",    "nx",     "ny",      "nz",
                                "red", "green", "blue", "scalar", "quality", "intensity"};
  for (int i = 0; i < 12; i++)
    if (!strcmp(name, names[i])) return i < 9 ? i : 9;
  return -1;
}

static int ply_read_vertices(ply_reader *r, const ply_elem *e, mio_builder *mb) {
  int slot[PLY_MAXP], have[10] = {0};
  for (int p = 0; p < e->np; p++) {
    slot[p] = e->list_count[p] == P_BAD ? ply_prop_slot(e->prop[p]) : -1;
    if (slot[p] >= 0) have[slot[p]] = 1;
  }
  if (!have[0] || !have[1] || !have[2])
    return cr_error(CR_EFORMAT, "%s: PLY vertices without x, y, z", r->b->path);
  size_t n = (size_t)e->count;
  if (n > r->b->size) // every vertex takes at least a byte: refuse absurd counts early
    return cr_error(CR_EFORMAT, "%s: %zu PLY vertices cannot fit in the file", r->b->path, n);
  mb->nv = n;
  mb->xyz = malloc(n * 3 * sizeof(float) + 1);
  if (have[3] && have[4] && have[5]) mb->normal = malloc(n * 3 * sizeof(float) + 1);
  if (have[6] && have[7] && have[8]) mb->rgb = malloc(n * 3 + 1);
  if (have[9]) mb->scalar = malloc(n * sizeof(float) + 1);
  if (!mb->xyz || (have[3] && !mb->normal) || (have[6] && !mb->rgb) || (have[9] && !mb->scalar))
    return cr_error(CR_ENOMEM, "%s: out of memory", r->b->path);
  for (size_t v = 0; v < n; v++)
    for (int p = 0; p < e->np; p++) {
      double x, cnt;
      int rc;
      if (e->list_count[p] != P_BAD) { // a list property we do not use: skip it
        if ((rc = ply_value(r, (ply_type)e->list_count[p], &cnt))) return rc;
        if (!(cnt >= 0 && cnt <= 1e6))
          return cr_error(CR_EFORMAT, "%s: a list property of %g values", r->b->path, cnt);
        for (long i = 0; i < (long)cnt; i++)
          if ((rc = ply_value(r, e->type[p], &x))) return rc;
        continue;
      }
      if ((rc = ply_value(r, e->type[p], &x))) return rc;
      int s = slot[p];
      if (s >= 0 && s < 3)
        mb->xyz[3 * v + s] = (float)x;
      else if (s >= 3 && s < 6 && mb->normal)
        mb->normal[3 * v + s - 3] = (float)x;
      else if (s >= 6 && s < 9 && mb->rgb)
        mb->rgb[3 * v + s - 6] = (uint8_t)fmin(255, fmax(0, x));
      else if (s == 9)
        mb->scalar[v] = (float)x;
    }
  return 0;
}

static int ply_read_faces(ply_reader *r, const ply_elem *e, mio_builder *mb) {
  for (long f = 0; f < e->count; f++)
    for (int p = 0; p < e->np; p++) {
      double x, cnt;
      int rc;
      if (e->list_count[p] == P_BAD) {
        if ((rc = ply_value(r, e->type[p], &x))) return rc;
        continue;
      }
      if ((rc = ply_value(r, (ply_type)e->list_count[p], &cnt))) return rc;
      int use = !strcmp(e->prop[p], "vertex_indices") || !strcmp(e->prop[p], "vertex_index");
      if (!(cnt >= 0 && cnt <= 1000)) // NaN too (a float list count)
        return cr_error(CR_EFORMAT, "%s: bad PLY face size %g", r->b->path, cnt);
      int32_t first = 0, prev = 0;
      for (int i = 0; i < (int)cnt; i++) {
        if ((rc = ply_value(r, e->type[p], &x))) return rc;
        if (!use) continue;
        if (!(x >= 0 && x < (double)mb->nv))
          return cr_error(CR_EFORMAT, "%s: PLY face %ld uses vertex %g of %zu", r->b->path, f, x,
                          mb->nv);
        int32_t id = (int32_t)x;
        if (i == 0)
          first = id;
        else if (i >= 2 && (rc = mio_add_tri(mb, first, prev, id)))
          return rc;
        prev = id;
      }
    }
  return 0;
}

static int read_ply(mio_buf *b, cr_mesh **out, int *space) {
  ply_elem el[8];
  int nel = 0, rc;
  ply_reader r = {b, 0};
  if ((rc = ply_header(b, el, &nel, &r.format, space))) return rc;
  mio_builder mb = {0};
  int seen_vertex = 0;
  for (int i = 0; i < nel && !rc; i++) {
    if (!strcmp(el[i].name, "vertex")) {
      if (seen_vertex) {
        rc = cr_error(CR_EFORMAT, "%s: two PLY vertex elements", b->path);
        break;
      }
      rc = ply_read_vertices(&r, &el[i], &mb);
      seen_vertex = 1;
    } else if (!strcmp(el[i].name, "face")) {
      if (!seen_vertex)
        rc = cr_error(CR_EUNSUPPORTED, "%s: PLY faces before vertices", b->path);
      else
        rc = ply_read_faces(&r, &el[i], &mb);
    } else {
      break; // elements after the mesh (edges, materials) are ignored
    }
  }
  if (!rc && !seen_vertex) rc = cr_error(CR_EFORMAT, "%s: PLY without vertices", b->path);
  if (rc) {
    mio_builder_free(&mb);
    return rc;
  }
  return mio_finish(&mb, b->path, out);
}

static void put_f32(FILE *fp, float x) {
  fwrite(&x, 4, 1, fp);
}

static int write_ply(FILE *fp, const cr_mesh *m, const char *tag, int ascii) {
  fprintf(fp, "ply\nformat %s 1.0\ncomment %s\ncomment camreg mesh, millimetres\n",
          ascii ? "ascii" : "binary_little_endian", tag);
  fprintf(fp, "element vertex %d\nproperty float x\nproperty float y\nproperty float z\n",
          m->n_vertices);
  if (m->normal) fputs("property float nx\nproperty float ny\nproperty float nz\n", fp);
  if (m->scalar) fputs("property float scalar\n", fp);
  if (m->rgb) fputs("property uchar red\nproperty uchar green\nproperty uchar blue\n", fp);
  fprintf(fp, "element face %d\nproperty list uchar int vertex_indices\nend_header\n",
          m->n_triangles);
  for (size_t v = 0; v < (size_t)m->n_vertices; v++) {
    float f[7];
    int nf = 0;
    for (int a = 0; a < 3; a++) f[nf++] = m->xyz[3 * v + a];
    for (int a = 0; a < 3 && m->normal; a++) f[nf++] = m->normal[3 * v + a];
    if (m->scalar) f[nf++] = m->scalar[v];
    for (int a = 0; a < nf; a++) {
      if (ascii)
        fprintf(fp, a ? " %.9g" : "%.9g", f[a]);
      else
        put_f32(fp, f[a]);
    }
    if (m->rgb) {
      if (ascii)
        fprintf(fp, " %d %d %d", m->rgb[3 * v], m->rgb[3 * v + 1], m->rgb[3 * v + 2]);
      else
        fwrite(m->rgb + 3 * v, 1, 3, fp);
    }
    if (ascii) fputc('\n', fp);
  }
  for (size_t t = 0; t < (size_t)m->n_triangles; t++) {
    if (ascii) {
      fprintf(fp, "3 %d %d %d\n", m->tri[3 * t], m->tri[3 * t + 1], m->tri[3 * t + 2]);
    } else {
      fputc(3, fp);
      fwrite(m->tri + 3 * t, 4, 3, fp);
    }
  }
  return 0;
}

// ---- dispatch ----

static int host_little_endian(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

// The file format of a mesh path by its extension: 0 PLY, 1 STL, 2 OBJ, 3 VTK, or
// CR_EINVAL with a message naming the path.
static int mesh_format(const char *path) {
  static const char *const ext[] = {".ply", ".stl", ".obj", ".vtk"};
  for (int i = 0; i < 4; i++)
    if (cr_path_has_suffix(path, ext[i])) return i;
  return cr_error(CR_EINVAL, "%s: unknown mesh extension (use .ply .stl .obj .vtk)", path);
}

static const double ras_lps[4][4] = {{-1, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};

int cr_mesh_write(const char *path, const cr_mesh *m, cr_mesh_space space, int ascii) {
  int fmt = mesh_format(path);
  if (fmt < 0) return fmt;
  if (!host_little_endian()) return cr_error(CR_EUNSUPPORTED, "%s: big-endian host", path);
  int rc = cr_mesh_validate(m);
  if (rc) return rc;
  cr_mesh *c = cr_mesh_clone(m);
  if (!c) return CR_ENOMEM;
  if (space == CR_MESH_LPS) cr_mesh_transform(c, ras_lps); // a rotation: winding unchanged
  const char *tag = space == CR_MESH_LPS ? "SPACE=LPS" : "SPACE=RAS";
  cr_atomic_file af;
  if ((rc = cr_atomic_begin(&af, path, 1))) {
    cr_mesh_free(c);
    return rc;
  }
  switch (fmt) {
  case 0: rc = write_ply(af.fp, c, tag, ascii); break;
  case 1: rc = mio_write_stl(af.fp, c, tag); break;
  case 2: rc = mio_write_obj(af.fp, c, tag); break;
  default: rc = mio_write_vtk(af.fp, c, tag); break;
  }
  cr_mesh_free(c);
  if (rc) {
    cr_atomic_abort(&af);
    return rc;
  }
  return cr_atomic_commit(&af);
}

int cr_mesh_read(const char *path, cr_mesh **out, cr_mesh_space *space_found) {
  cr_atomic_note_input(path); // a command may not write over what it reads
  *out = NULL;
  int fmt = mesh_format(path);
  if (fmt < 0) return fmt;
  mio_buf b;
  int rc = mio_slurp(path, &b), space = -1;
  if (rc) return rc;
  cr_mesh *m = NULL;
  switch (fmt) {
  case 0: rc = read_ply(&b, &m, &space); break;
  case 1: rc = mio_read_stl(&b, &m, &space); break;
  case 2: rc = mio_read_obj(&b, &m, &space); break;
  default: rc = mio_read_vtk(&b, &m, &space); break;
  }
  free(b.data);
  if (rc) return rc;
  if (space != 1) cr_mesh_transform(m, ras_lps); // no tag: LPS, as Slicer assumes
  if (space_found) *space_found = space == 1 ? CR_MESH_RAS : CR_MESH_LPS;
  *out = m;
  return 0;
}
