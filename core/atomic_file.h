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
  char tmp_path[4096]; // same folder, ".crtmp-XXXXXX-" + final base name (same extension)
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
// Lower-case comparison of the end of `path` with `suffix` (e.g. ".nii.gz").
int cr_path_has_suffix(const char *path, const char *suffix);

#ifdef __cplusplus
}
#endif
#endif
