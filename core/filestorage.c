#include "core/filestorage.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <stdio.h>
#include <string.h>

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

// What OpenCV's FileStorage parsers cannot be given safely (OpenCV 4.6 reads past the end
// of a truncated XML declaration and stops at NUL bytes): checked on the raw text first.
int cr_fs_check_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return cr_error(CR_EIO, "%s: cannot open", path);
  static _Thread_local char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  int more = fgetc(f) != EOF;
  fclose(f);
  if (more) return cr_error(CR_EFORMAT, "%s: over 1 MB: not a camera or rig file", path);
  if (memchr(buf, 0, n))
    return cr_error(CR_EFORMAT, "%s: binary data (NUL bytes): not a YAML/XML/JSON file", path);
  size_t i = 0;
  while (i < n && strchr(" \t\r\n", buf[i])) i++;
  if (n - i >= 5 && !memcmp(buf + i, "<?xml", 5)) {
    const char *end = NULL;
    for (size_t k = i; k + 1 < n && !end; k++)
      if (buf[k] == '?' && buf[k + 1] == '>') end = buf + k;
    if (!end) return cr_error(CR_EFORMAT, "%s: XML declaration not closed (\"?>\")", path);
  }
  return CR_OK;
}
