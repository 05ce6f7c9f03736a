#include "core/filestorage.h"

#include "core/atomic_file.h"
#include "core/error.h"

int cr_fs_write(const char *path, const cvw_fs_entry *entries, int n) {
  if (!(cr_path_has_suffix(path, ".yml") || cr_path_has_suffix(path, ".yaml") ||
        cr_path_has_suffix(path, ".xml") || cr_path_has_suffix(path, ".json")))
    return cr_error(CR_EINVAL, "%s: camera files must end in .yml, .yaml, .xml or .json", path);
  cr_atomic_file af;
  int rc = cr_atomic_begin(&af, path, 0);
  if (rc) return rc;
  char err[512];
  if (cvw_fs_write(af.tmp_path, entries, n, err, sizeof err)) {
    cr_atomic_abort(&af);
    return cr_error(CR_EIO, "%s: %s", path, err);
  }
  return cr_atomic_commit(&af);
}
