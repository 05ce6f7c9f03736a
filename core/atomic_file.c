#include "core/atomic_file.h"

#include "core/error.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// ---- the registry of temporary files (for groups and for the signal handler) ----
// Fixed storage: the SIGINT/SIGTERM handler walks it without locking or allocating.
#define CR_ATOMIC_MAX 256
static char tmp_reg[CR_ATOMIC_MAX][4096];
static char final_reg[CR_ATOMIC_MAX][4096];
static volatile sig_atomic_t tmp_used[CR_ATOMIC_MAX];   // 1: a temporary file exists
static volatile sig_atomic_t tmp_parked[CR_ATOMIC_MAX]; // 1: committed, waiting for the group
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static int group_active;
// Inputs of the running group (device, inode), refused as outputs.
#define CR_INPUT_MAX 64
static dev_t in_dev[CR_INPUT_MAX];
static ino_t in_ino[CR_INPUT_MAX];
static int n_inputs;

static int reg_add(const char *tmp, const char *final) {
  pthread_mutex_lock(&reg_lock);
  int slot = -1;
  for (int i = 0; i < CR_ATOMIC_MAX && slot < 0; i++)
    if (!tmp_used[i]) slot = i;
  if (slot >= 0) {
    snprintf(tmp_reg[slot], sizeof tmp_reg[slot], "%s", tmp);
    snprintf(final_reg[slot], sizeof final_reg[slot], "%s", final);
    tmp_parked[slot] = 0;
    tmp_used[slot] = 1;
  }
  pthread_mutex_unlock(&reg_lock);
  return slot;
}

static void reg_remove(const char *tmp) {
  pthread_mutex_lock(&reg_lock);
  for (int i = 0; i < CR_ATOMIC_MAX; i++)
    if (tmp_used[i] && !strcmp(tmp_reg[i], tmp)) tmp_used[i] = 0;
  pthread_mutex_unlock(&reg_lock);
}

static void on_signal(int sig) {
  for (int i = 0; i < CR_ATOMIC_MAX; i++)
    if (tmp_used[i]) unlink(tmp_reg[i]); // async-signal-safe
  signal(sig, SIG_DFL);
  raise(sig);
}

void cr_atomic_install_signal_cleanup(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

void cr_atomic_group_begin(void) {
  pthread_mutex_lock(&reg_lock);
  group_active = 1;
  n_inputs = 0;
  pthread_mutex_unlock(&reg_lock);
}

int cr_atomic_group_end(int commit) {
  int rc = CR_OK;
  pthread_mutex_lock(&reg_lock);
  group_active = 0;
  n_inputs = 0;
  // A rename fails (the temporary names sit in the outputs' folders, so permissions match)
  // when a folder has the output's name: checked for all before any is renamed, so the
  // group is placed whole or not at all.
  for (int i = 0; commit && rc == CR_OK && i < CR_ATOMIC_MAX; i++) {
    struct stat st;
    if (tmp_used[i] && tmp_parked[i] && stat(final_reg[i], &st) == 0 && S_ISDIR(st.st_mode))
      rc = cr_error(CR_EIO, "%s: cannot write: a folder has this name", final_reg[i]);
  }
  for (int i = 0; i < CR_ATOMIC_MAX; i++) {
    if (!tmp_used[i] || !tmp_parked[i]) continue;
    if (commit && rc == CR_OK) {
      if (rename(tmp_reg[i], final_reg[i]) != 0)
        rc = cr_error(CR_EIO, "%s: cannot rename into place (%s)", final_reg[i], strerror(errno));
    }
    // After a failed rename the rest are removed: a half-renamed group is the lesser harm,
    // and the message names the output that could not be placed.
    if (!commit || rc != CR_OK) unlink(tmp_reg[i]);
    tmp_used[i] = 0;
  }
  pthread_mutex_unlock(&reg_lock);
  return rc;
}

void cr_atomic_note_input(const char *path) {
  struct stat st;
  if (!path || stat(path, &st) != 0) return;
  pthread_mutex_lock(&reg_lock);
  if (group_active && n_inputs < CR_INPUT_MAX) {
    in_dev[n_inputs] = st.st_dev;
    in_ino[n_inputs] = st.st_ino;
    n_inputs++;
  }
  pthread_mutex_unlock(&reg_lock);
}

static int is_input(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  int hit = 0;
  pthread_mutex_lock(&reg_lock);
  for (int i = 0; i < n_inputs; i++)
    if (in_dev[i] == st.st_dev && in_ino[i] == st.st_ino) hit = 1;
  pthread_mutex_unlock(&reg_lock);
  return hit;
}

// Removes the temporary files that killed camreg processes left in `dir` (their names
// carry the writer's process id; a process that no longer exists cannot finish them).
static void remove_stale(const char *dir) {
  DIR *d = opendir(*dir ? dir : ".");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    long pid;
    char rest[8];
    if (strncmp(e->d_name, ".crtmp-", 7) || sscanf(e->d_name + 7, "%ld-%7s", &pid, rest) != 2 ||
        pid <= 0 || pid == (long)getpid())
      continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char p[4096 + 256];
    snprintf(p, sizeof p, "%s%s", dir, e->d_name);
    unlink(p);
  }
  closedir(d);
}

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
  if (is_input(path))
    return cr_error(CR_EINVAL,
                    "%s: output path is also an input of this command (refused: it "
                    "would be overwritten)",
                    path);
  char dir[4096];
  snprintf(dir, sizeof dir, "%.*s", (int)dir_len, path);
  remove_stale(dir);
  snprintf(af->tmp_path, sizeof af->tmp_path, "%.*s.crtmp-%ld-XXXXXX-%s", (int)dir_len, path,
           (long)getpid(), base);
  int fd = mkstemps(af->tmp_path, (int)strlen(base) + 1);
  if (fd < 0) {
    int e = errno;
    af->tmp_path[0] = '\0';
    return cr_error(CR_EIO, "%s: cannot write (%s)", path, strerror(e));
  }
  reg_add(af->tmp_path, af->final_path);
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
  pthread_mutex_lock(&reg_lock);
  int parked = 0, nested = 0;
  // A write whose destination is another atomic write's temporary file (a command that
  // writes through a library writer into its own temporary name) is renamed at once;
  // only the outermost file waits for the group.
  for (int i = 0; i < CR_ATOMIC_MAX && !nested; i++)
    if (tmp_used[i] && !strcmp(tmp_reg[i], af->final_path)) nested = 1;
  if (group_active && !nested)
    for (int i = 0; i < CR_ATOMIC_MAX && !parked; i++)
      if (tmp_used[i] && !strcmp(tmp_reg[i], af->tmp_path)) tmp_parked[i] = parked = 1;
  pthread_mutex_unlock(&reg_lock);
  if (parked) { // renamed with the rest of the group by cr_atomic_group_end
    af->tmp_path[0] = '\0';
    return CR_OK;
  }
  reg_remove(af->tmp_path);
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
  if (af->tmp_path[0]) reg_remove(af->tmp_path), unlink(af->tmp_path), af->tmp_path[0] = '\0';
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
