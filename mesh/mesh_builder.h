// Private to mesh/: a growable mesh under construction, for the readers (mesh_io.c,
// mesh_io_formats.c): vertices, triangles from fans, then a validated cr_mesh.
#ifndef CR_MESH_BUILDER_H
#define CR_MESH_BUILDER_H

#include "mesh/mesh.h"

#include <stddef.h>
#include <stdint.h>

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

#endif
