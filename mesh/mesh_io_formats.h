// Private to mesh/: the readers and writers of the formats other than PLY
// (mesh_io_formats.c), called by the dispatch in mesh_io.c.
#ifndef CR_MESH_IO_FORMATS_H
#define CR_MESH_IO_FORMATS_H

#include "mesh/mesh.h"
#include "mesh/mesh_io_buf.h"

#include <stdio.h>

// `m` is already in the file's space.
int mio_write_stl(FILE *fp, const cr_mesh *m, const char *tag);
int mio_write_obj(FILE *fp, const cr_mesh *m, const char *tag);
int mio_write_vtk(FILE *fp, const cr_mesh *m, const char *tag);
int mio_read_stl(mio_buf *b, cr_mesh **out, int *space);
int mio_read_obj(mio_buf *b, cr_mesh **out, int *space);
int mio_read_vtk(mio_buf *b, cr_mesh **out, int *space);

#endif
