// Mesh files in memory: reading a whole file, tokens, numbers, lines (see mesh_io_buf.h).
#include "mesh/mesh_io_buf.h"

#include "core/error.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mio_slurp(const char *path, mio_buf *b) {
  memset(b, 0, sizeof *b);
  b->path = path;
  FILE *fp = fopen(path, "rb");
  if (!fp) return cr_error(CR_EIO, "%s: cannot open", path);
  long n = -1;
  if (fseek(fp, 0, SEEK_END) == 0) n = ftell(fp);
  if (n < 0 || fseek(fp, 0, SEEK_SET) != 0) {
    fclose(fp);
    return cr_error(CR_EIO, "%s: cannot read", path);
  }
  b->data = malloc((size_t)n + 1);
  if (!b->data) {
    fclose(fp);
    return cr_error(CR_ENOMEM, "%s: out of memory", path);
  }
  size_t got = fread(b->data, 1, (size_t)n, fp);
  fclose(fp);
  if (got != (size_t)n) {
    free(b->data);
    b->data = NULL;
    return cr_error(CR_EIO, "%s: read error", path);
  }
  b->data[n] = 0;
  b->size = (size_t)n;
  return 0;
}

int mio_token(mio_buf *b, char *tok, size_t cap) {
  while (b->pos < b->size && isspace((unsigned char)b->data[b->pos])) b->pos++;
  if (b->pos >= b->size) return 0;
  size_t n = 0;
  while (b->pos < b->size && !isspace((unsigned char)b->data[b->pos])) {
    if (n + 1 < cap) tok[n++] = b->data[b->pos];
    b->pos++;
  }
  tok[n] = 0;
  return 1;
}

int mio_number(mio_buf *b, double *out, const char *what) {
  char tok[64], *end;
  if (!mio_token(b, tok, sizeof tok))
    return cr_error(CR_EFORMAT, "%s: truncated (expected %s)", b->path, what);
  *out = strtod(tok, &end);
  if (*end || end == tok || !isfinite(*out))
    return cr_error(CR_EFORMAT, "%s: bad number '%s' for %s", b->path, tok, what);
  return 0;
}

int mio_line(mio_buf *b, char *line, size_t cap) {
  if (b->pos >= b->size) return 0;
  size_t n = 0;
  while (b->pos < b->size && b->data[b->pos] != '\n') {
    if (n + 1 < cap && b->data[b->pos] != '\r') line[n++] = b->data[b->pos];
    b->pos++;
  }
  if (b->pos < b->size) b->pos++;
  line[n] = 0;
  return 1;
}

int mio_space_tag(const char *text) {
  if (strstr(text, "SPACE=RAS")) return 1;
  if (strstr(text, "SPACE=LPS")) return 0;
  return -1;
}
