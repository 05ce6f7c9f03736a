// Fuzzes the mesh reader (cr_mesh_read): PLY (ASCII, binary either endianness), STL
// (ASCII, binary), OBJ and legacy VTK; the first byte picks the extension. A mesh that
// reads must pass cr_mesh_validate (the renderer's precondition).
#include <stdlib.h>

#include "mesh/mesh.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *names[] = {"f.ply", "f.stl", "f.obj", "f.vtk"};
  cr_fuzz_quiet();
  if (size < 1) return 0;
  int kind = data[0] % 4;
  const char *p = cr_fuzz_write(names[kind], data + 1, size - 1);
  cr_mesh *m = NULL;
  if (p && cr_mesh_read(p, &m, NULL) == 0 && cr_mesh_validate(m) != 0) abort();
  cr_mesh_free(m);
  cr_fuzz_remove(names[kind]);
  return 0;
}
