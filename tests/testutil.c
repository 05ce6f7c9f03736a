#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char scratch[PATH_MAX];

static void remove_scratch(void) {
  if (scratch[0] && !getenv("CAMREG_KEEP_TEST_FILES")) {
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", scratch);
  }
}

const char *cr_test_dir(void) {
  if (!scratch[0]) {
    const char *base = getenv("CAMREG_BINARY_DIR");
    snprintf(scratch, sizeof scratch, "%s/test-scratch-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(scratch)) {
      snprintf(scratch, sizeof scratch, "/tmp/camreg-test-XXXXXX");
      if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        exit(1);
      }
    }
    atexit(remove_scratch);
  }
  return scratch;
}

const char *cr_test_path(const char *name) {
  static char ring[8][PATH_MAX];
  static int next;
  char *p = ring[next++ % 8];
  snprintf(p, PATH_MAX, "%s/%s", cr_test_dir(), name);
  return p;
}

const char *cr_test_dataset(const char *rel) {
  static char ring[4][PATH_MAX];
  static int next;
  char *p = ring[next++ % 4];
  const char *src = getenv("CAMREG_SOURCE_DIR");
  snprintf(p, PATH_MAX, "%s/datasets/data/%s", src ? src : ".", rel);
  struct stat st;
  return stat(p, &st) == 0 ? p : NULL;
}

int cr_test_system(const char *fmt, ...) {
  char cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int rc = system(cmd);
  if (rc == -1) return -1;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

const char *cr_test_camreg(void) {
  const char *e = getenv("CAMREG_EXE");
  return e ? e : "camreg";
}

cr_volume *cr_test_small_phantom(const char *orientation, double oblique_deg) {
  cr_phantom_options p = cr_phantom_defaults();
  p.dim[0] = 64, p.dim[1] = 76, p.dim[2] = 60;
  p.spacing_mm[0] = p.spacing_mm[1] = p.spacing_mm[2] = 2.5;
  snprintf(p.orientation, sizeof p.orientation, "%s", orientation);
  p.oblique_deg = oblique_deg;
  cr_volume *v = NULL;
  if (cr_phantom_make(&p, &v)) fprintf(stderr, "phantom: %s\n", cr_last_error());
  return v;
}

cr_volume *cr_test_sphere_sdf(const double c[3], double r, int n, double h) {
  double M[4][4];
  cr_mat4_identity(M);
  for (int a = 0; a < 3; a++) M[a][a] = h, M[a][3] = c[a] - 0.5 * (n - 1) * h;
  cr_volume *v = cr_volume_new(n, n, n, M);
  for (int k = 0; v && k < n; k++)
    for (int j = 0; j < n; j++)
      for (int i = 0; i < n; i++) {
        double ijk[3] = {i, j, k}, w[3], d[3];
        cr_volume_voxel_to_world(v, ijk, w);
        cr_vec3_sub(d, w, c);
        v->data[cr_volume_index(v, i, j, k)] = (float)(r - cr_vec3_norm(d));
      }
  return v;
}
