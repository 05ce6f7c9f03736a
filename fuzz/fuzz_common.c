// See fuzz_common.h.
#include "fuzz/fuzz_common.h"

#include <dirent.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[512];

// Removes the folder's files, then the folder (it holds only files we wrote).
static void remove_dir(void) {
  if (!g_dir[0]) return;
  DIR *d = opendir(g_dir);
  if (d) {
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
      unlink(p);
    }
    closedir(d);
  }
  rmdir(g_dir);
}

static int ensure_dir(void) {
  if (g_dir[0]) return 0;
  // /dev/shm keeps the many small writes off the disk when it exists.
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  const char *env = getenv("CAMREG_FUZZ_TMP");
  if (env && *env) base = env;
  snprintf(g_dir, sizeof g_dir, "%s/camreg-fuzz-XXXXXX", base);
  if (!mkdtemp(g_dir)) {
    g_dir[0] = 0;
    return -1;
  }
  atexit(remove_dir);
  return 0;
}

const char *cr_fuzz_path(const char *name) {
  static char p[1024];
  if (ensure_dir()) return "";
  snprintf(p, sizeof p, "%s/%s", g_dir, name);
  return p;
}

const char *cr_fuzz_write(const char *name, const uint8_t *data, size_t size) {
  const char *p = cr_fuzz_path(name);
  if (!*p) return NULL;
  FILE *f = fopen(p, "wb");
  if (!f) return NULL;
  if (size && fwrite(data, 1, size, f) != size) {
    fclose(f);
    return NULL;
  }
  if (fclose(f)) return NULL;
  return p;
}

void cr_fuzz_remove(const char *name) {
  const char *p = cr_fuzz_path(name);
  if (*p) unlink(p);
}

void cr_fuzz_quiet(void) {
  static int done;
  if (done) return;
  done = 1;
  omp_set_num_threads(1);
}
