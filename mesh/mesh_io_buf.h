// Private to mesh/: a whole mesh file in memory and a cursor over it, for the readers
// (mesh_io.c, mesh_io_formats.c).
#ifndef CR_MESH_IO_BUF_H
#define CR_MESH_IO_BUF_H

#include <stddef.h>

// The file (NUL-terminated) and the cursor.
typedef struct mio_buf {
  const char *path;
  char *data;
  size_t size, pos;
} mio_buf;

// Reads the file at path into b (b->data malloc'ed: the caller frees it); CR_EIO or
// CR_ENOMEM naming the file on failure.
int mio_slurp(const char *path, mio_buf *b);
// Next whitespace-separated token into tok (NUL-terminated, truncated to cap); 0 at end.
int mio_token(mio_buf *b, char *tok, size_t cap);
// Next token as a number; CR_EFORMAT (naming the file and `what`) if missing or bad.
int mio_number(mio_buf *b, double *out, const char *what);
// The rest of the current line (without newline) into line; 0 at end of file.
int mio_line(mio_buf *b, char *line, size_t cap);
// "SPACE=RAS" / "SPACE=LPS" in text: 1 / 0, or -1 if neither.
int mio_space_tag(const char *text);

#endif
