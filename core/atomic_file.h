// Atomic output files: write to a temporary name beside the destination, then rename.
// A failed or interrupted write never leaves a partial file under the final name.
#ifndef CR_ATOMIC_FILE_H
#define CR_ATOMIC_FILE_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_atomic_file {
  char final_path[4096];
  char tmp_path[4096]; // same folder, ".crtmp-PID-XXXXXX-" + final base name (same extension)
  FILE *fp;            // open for writing when begin was asked for a stream, else NULL
} cr_atomic_file;

// Creates the temporary file. With `open_stream` the caller writes through af->fp;
// without it the file is created empty and closed, for libraries that open the path
// themselves (OpenCV, libnifti) and choose the format by the extension, which the
// temporary name keeps. Fails with CR_EIO naming `path` if the folder is not writable.
int cr_atomic_begin(cr_atomic_file *af, const char *path, int open_stream);
// Closes the stream (if any), checks it for write errors and renames the temporary
// file to the final name. On failure the temporary file is removed.
int cr_atomic_commit(cr_atomic_file *af);
// Closes and removes the temporary file. Safe to call after a failed commit.
void cr_atomic_abort(cr_atomic_file *af);

// True if `path` names an existing regular file.
int cr_file_exists(const char *path);

// Outputs committed together (every camreg command but `experiment` runs in one group):
// between cr_atomic_group_begin and cr_atomic_group_end, cr_atomic_commit checks and
// keeps the temporary file instead of renaming it; cr_atomic_group_end(1) renames them
// all, cr_atomic_group_end(0) removes them all, so a command that fails half-way leaves
// none of its outputs. Inside a group, cr_atomic_note_input records a file the command
// reads (the readers call it) and cr_atomic_begin refuses that file as an output.
// cr_atomic_begin also removes temporary files left in the output's folder by camreg
// processes that no longer exist (killed with SIGKILL); by hand: find DIR -name '.crtmp-*'
// -delete while no camreg runs. Not for library callers that read their outputs back.
void cr_atomic_group_begin(void);
int cr_atomic_group_end(int commit);
void cr_atomic_note_input(const char *path);
// Removes every temporary file (in a group or being written) on SIGINT, SIGTERM and
// SIGHUP, then dies of the signal as before. The command-line front end installs it.
void cr_atomic_install_signal_cleanup(void);
// Lower-case comparison of the end of `path` with `suffix` (e.g. ".nii.gz").
int cr_path_has_suffix(const char *path, const char *suffix);

#ifdef __cplusplus
}
#endif
#endif
