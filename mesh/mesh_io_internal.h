// Private helpers shared by the mesh readers and writers (not a public header).
#ifndef CR_MESH_IO_INTERNAL_H
#define CR_MESH_IO_INTERNAL_H

#include "mesh/mesh.h"

#include <stddef.h>
#include <stdio.h>

// A whole file in memory (NUL-terminated), and a cursor over it.
typedef struct mio_buf {
  const char *path;
  char *data;
  size_t size, pos;
} mio_buf;

int mio_slurp(const char *path, mio_buf *b);
// Next whitespace-separated token into tok (NUL-terminated, truncated to cap); 0 at end.
int mio_token(mio_buf *b, char *tok, size_t cap);
// Next token as a number; CR_EFORMAT (naming the file and `what`) if missing or bad.
int mio_number(mio_buf *b, double *out, const char *what);
// The rest of the current line (without newline) into line; 0 at end of file.
int mio_line(mio_buf *b, char *line, size_t cap);
// "SPACE=RAS" / "SPACE=LPS" in text: 1 / 0, or -1 if neither.
int mio_space_tag(const char *text);

// A growable mesh under construction (vertices, triangles from fans).
typedef struct mio_builder {
  float *xyz, *normal, *scalar;
  uint8_t *rgb;
  int32_t *tri;
  size_t nv, nt, cap_v, cap_t;
} mio_builder;
// Appends a triangle; CR_ENOMEM on failure.
int mio_add_tri(mio_builder *mb, int32_t a, int32_t b, int32_t c);
// Moves the builder's arrays into a new cr_mesh (checks indices); frees on failure.
int mio_finish(mio_builder *mb, const char *path, cr_mesh **out);
void mio_builder_free(mio_builder *mb);

// Formats other than PLY (mesh_io_formats.c). `m` is already in the file's space.
int mio_write_stl(FILE *fp, const cr_mesh *m, const char *tag);
int mio_write_obj(FILE *fp, const cr_mesh *m, const char *tag);
int mio_write_vtk(FILE *fp, const cr_mesh *m, const char *tag);
int mio_read_stl(mio_buf *b, cr_mesh **out, int *space);
int mio_read_obj(mio_buf *b, cr_mesh **out, int *space);
int mio_read_vtk(mio_buf *b, cr_mesh **out, int *space);

#endif
