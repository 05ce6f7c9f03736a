// The mesh under construction of the readers (see mesh_builder.h).
#include "mesh/mesh_builder.h"

#include "core/error.h"

#include <stdlib.h>
#include <string.h>

int mio_add_tri(mio_builder *mb, int32_t a, int32_t b, int32_t c) {
  if (mb->nt == mb->cap_t) {
    size_t cap = mb->cap_t ? 2 * mb->cap_t : 1024;
    int32_t *p = realloc(mb->tri, cap * 3 * sizeof *p);
    if (!p) return cr_error(CR_ENOMEM, "mesh file: out of memory");
    mb->tri = p, mb->cap_t = cap;
  }
  int32_t *t = mb->tri + 3 * mb->nt++;
  t[0] = a, t[1] = b, t[2] = c;
  return 0;
}

void mio_builder_free(mio_builder *mb) {
  free(mb->xyz), free(mb->normal), free(mb->scalar), free(mb->rgb), free(mb->tri);
  memset(mb, 0, sizeof *mb);
}

int mio_finish(mio_builder *mb, const char *path, cr_mesh **out) {
  cr_mesh *m = calloc(1, sizeof *m);
  if (!m) {
    mio_builder_free(mb);
    return cr_error(CR_ENOMEM, "%s: out of memory", path);
  }
  if (mb->nv > INT32_MAX / 3 || mb->nt > INT32_MAX / 3) {
    free(m);
    mio_builder_free(mb);
    return cr_error(CR_EUNSUPPORTED, "%s: mesh too large", path);
  }
  m->n_vertices = (int)mb->nv, m->n_triangles = (int)mb->nt;
  m->xyz = mb->xyz ? mb->xyz : calloc(1, sizeof(float));
  m->tri = mb->tri ? mb->tri : calloc(1, sizeof(int32_t));
  m->normal = mb->normal, m->scalar = mb->scalar, m->rgb = mb->rgb;
  memset(mb, 0, sizeof *mb);
  if (!m->xyz || !m->tri) {
    cr_mesh_free(m);
    return cr_error(CR_ENOMEM, "%s: out of memory", path);
  }
  int rc = cr_mesh_validate(m);
  if (rc) {
    cr_error_prefix(path);
    cr_mesh_free(m);
    return rc;
  }
  *out = m;
  return 0;
}
