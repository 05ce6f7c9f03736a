// A plain main for the fuzz harnesses (no libFuzzer): runs LLVMFuzzerTestOneInput once on
// every file named on the command line, or in a folder named there (not recursive). The
// CI builds it with gcc's ASan/UBSan (CAMREG_SANITIZE) and replays the seed corpus and the
// crash regressions of each harness: a crash fixed once stays fixed.
#include "fuzz/fuzz_common.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    fclose(f);
    free(buf);
    return 1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, (size_t)n);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  int bad = 0, runs = 0;
  cr_fuzz_quiet();
  for (int a = 1; a < argc; a++) {
    struct stat st;
    if (stat(argv[a], &st) != 0) continue; // an absent folder (no regressions yet) is not an error
    if (!S_ISDIR(st.st_mode)) {
      bad |= run_file(argv[a]);
      runs++;
      continue;
    }
    DIR *d = opendir(argv[a]);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", argv[a], e->d_name);
      if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
        fprintf(stderr, "replay: %s\n", p);
        bad |= run_file(p);
        runs++;
      }
    }
    if (d) closedir(d);
  }
  printf("replayed %d inputs\n", runs);
  return bad || runs == 0;
}
