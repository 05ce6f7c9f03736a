// Atomic writing of OpenCV FileStorage files (YAML, XML or JSON by extension).
#ifndef CR_FILESTORAGE_H
#define CR_FILESTORAGE_H

#include "core/cvwrap.h"

#ifdef __cplusplus
extern "C" {
#endif

// Writes the entries in order through cv::FileStorage to a temporary name, then
// renames it to `path`. CR_EIO with the file name on failure; no partial file remains.
int cr_fs_write(const char *path, const cvw_fs_entry *entries, int n);

// Checks the raw text of a FileStorage file before OpenCV's parser sees it (OpenCV 4.6
// crashes on some inputs the fuzzer found): at most 1 MB of valid UTF-8 text without
// control characters (tab, CR, LF allowed), beginning with "%YAML", "<?xml" (a closed
// declaration) or "{" as OpenCV's format detection needs. 0, or CR_EIO / CR_EFORMAT
// naming the file (and the line).
int cr_fs_check_text(const char *path);

#ifdef __cplusplus
}
#endif
#endif
