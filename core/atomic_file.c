#include "core/atomic_file.h"

#include "core/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cr_atomic_begin(cr_atomic_file *af, const char *path, int open_stream) {
  memset(af, 0, sizeof *af);
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof af->final_path - 32)
    return cr_error(CR_EINVAL, "%s: output path empty or too long", path);
  memcpy(af->final_path, path, n + 1);
  const char *slash = strrchr(path, '/');
  size_t dir_len = slash ? (size_t)(slash - path + 1) : 0;
  const char *base = path + dir_len;
  if (*base == '\0') return cr_error(CR_EINVAL, "%s: output path names a folder", path);
  snprintf(af->tmp_path, sizeof af->tmp_path, "%.*s.crtmp-XXXXXX-%s", (int)dir_len, path, base);
  int fd = mkstemps(af->tmp_path, (int)strlen(base) + 1);
  if (fd < 0) {
    int e = errno;
    af->tmp_path[0] = '\0';
    return cr_error(CR_EIO, "%s: cannot write (%s)", path, strerror(e));
  }
  if (open_stream) {
    af->fp = fdopen(fd, "wb");
    if (!af->fp) {
      close(fd);
      cr_atomic_abort(af);
      return cr_error(CR_EIO, "%s: cannot open for writing", path);
    }
  } else {
    close(fd);
  }
  return CR_OK;
}

int cr_atomic_commit(cr_atomic_file *af) {
  if (af->fp) {
    int bad = ferror(af->fp);
    bad |= fflush(af->fp) != 0;
    bad |= fsync(fileno(af->fp)) != 0 && errno != EINVAL;
    bad |= fclose(af->fp) != 0;
    af->fp = NULL;
    if (bad) {
      cr_atomic_abort(af);
      return cr_error(CR_EIO, "%s: write failed (disk full?)", af->final_path);
    }
  }
  struct stat st;
  if (stat(af->tmp_path, &st) != 0 || st.st_size == 0) {
    cr_atomic_abort(af);
    return cr_error(CR_EIO, "%s: nothing was written", af->final_path);
  }
  // mkstemp creates 0600; outputs are ordinary files for the user's tools.
  mode_t mask = umask(0);
  umask(mask);
  chmod(af->tmp_path, 0666 & ~mask);
  if (rename(af->tmp_path, af->final_path) != 0) {
    int e = errno;
    cr_atomic_abort(af);
    return cr_error(CR_EIO, "%s: cannot rename into place (%s)", af->final_path, strerror(e));
  }
  af->tmp_path[0] = '\0';
  return CR_OK;
}

void cr_atomic_abort(cr_atomic_file *af) {
  if (af->fp) fclose(af->fp), af->fp = NULL;
  if (af->tmp_path[0]) unlink(af->tmp_path), af->tmp_path[0] = '\0';
}

int cr_file_exists(const char *path) {
  struct stat st;
  return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int cr_path_has_suffix(const char *path, const char *suffix) {
  size_t n = strlen(path), m = strlen(suffix);
  if (m > n) return 0;
  for (size_t i = 0; i < m; i++)
    if (tolower((unsigned char)path[n - m + i]) != tolower((unsigned char)suffix[i])) return 0;
  return 1;
}
