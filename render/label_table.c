// Label lookup tables: FreeSurfer / Slicer colour tables, MRIcron's atlas name lists and
// binary palettes, merged into one sorted index -> (name, colour) table.
#include "render/labels.h"

#include "core/error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cr_label_table *cr_label_table_new(void) {
  cr_label_table *t = calloc(1, sizeof *t);
  if (!t) cr_error(CR_ENOMEM, "out of memory");
  return t;
}

void cr_label_table_free(cr_label_table *t) {
  if (!t) return;
  free(t->entries);
  free(t);
}

static long find_pos(const cr_label_table *t, long index) { // first entry >= index
  long lo = 0, hi = t->n;
  while (lo < hi) {
    long mid = (lo + hi) / 2;
    if (t->entries[mid].index < index)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

const cr_label_entry *cr_label_table_find(const cr_label_table *t, long index) {
  if (!t || !t->n) return NULL;
  long p = find_pos(t, index);
  return p < t->n && t->entries[p].index == index ? &t->entries[p] : NULL;
}

// The entry of index, inserted (empty) if missing; NULL on allocation failure.
static cr_label_entry *entry(cr_label_table *t, long index) {
  long p = find_pos(t, index);
  if (p < t->n && t->entries[p].index == index) return &t->entries[p];
  if (t->n == t->cap) {
    int cap = t->cap ? 2 * t->cap : 64;
    cr_label_entry *e = realloc(t->entries, (size_t)cap * sizeof *e);
    if (!e) return NULL;
    t->entries = e, t->cap = cap;
  }
  memmove(t->entries + p + 1, t->entries + p, (size_t)(t->n - p) * sizeof *t->entries);
  t->n++;
  cr_label_entry *e = &t->entries[p];
  memset(e, 0, sizeof *e);
  e->index = index;
  return e;
}

void cr_label_table_colour(const cr_label_table *t, long index, unsigned char rgb[3]) {
  const cr_label_entry *e = cr_label_table_find(t, index);
  if (e && e->has_rgb) {
    memcpy(rgb, e->rgb, 3);
    return;
  }
  // golden-ratio hue steps: neighbouring indices get distant hues; full saturation
  double h = fmod((double)labs(index) * 0.618033988749895, 1.0) * 6, f = h - floor(h);
  double c[6][3] = {{1, f, 0}, {1 - f, 1, 0}, {0, 1, f}, {0, 1 - f, 1}, {f, 0, 1}, {1, 0, 1 - f}};
  const double *q = c[(int)h % 6];
  for (int k = 0; k < 3; k++) rgb[k] = (unsigned char)lround(40 + 215 * q[k]);
}

static int parse_int_tok(const char *s, long *v) {
  char *end;
  errno = 0;
  *v = strtol(s, &end, 10);
  return end != s && !*end && !errno ? 0 : -1;
}

// "index name [r g b [a]]" or "index name [anything]" lines.
static int read_text(cr_label_table *t, const char *path, FILE *f) {
  char line[1024];
  int ln = 0;
  while (fgets(line, sizeof line, f)) {
    ln++;
    if (!strchr(line, '\n') && !feof(f))
      return cr_error(CR_EFORMAT, "%s:%d: line too long", path, ln);
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char *tok[8];
    int n = 0;
    for (char *p = strtok(line, " \t\r\n"); p && n < 8; p = strtok(NULL, " \t\r\n")) tok[n++] = p;
    if (n == 0) continue;
    long index, c[4];
    if (n < 2 || parse_int_tok(tok[0], &index) || index < 0)
      return cr_error(CR_EFORMAT, "%s:%d: expected 'index name [r g b [a]]'", path, ln);
    cr_label_entry *e = entry(t, index);
    if (!e) return cr_error(CR_ENOMEM, "out of memory");
    snprintf(e->name, sizeof e->name, "%s", tok[1]);
    int colours = n >= 5 && n <= 6;
    for (int k = 0; colours && k < n - 2; k++)
      colours = !parse_int_tok(tok[2 + k], &c[k]) && c[k] >= 0 && c[k] <= 255;
    if (colours) {
      for (int k = 0; k < 3; k++) e->rgb[k] = (unsigned char)c[k];
      e->has_rgb = 1;
    } else if (n >= 5) {
      long v;
      // a line with colour columns that are not all 0..255 is an error, not a name
      if (!parse_int_tok(tok[2], &v) && !parse_int_tok(tok[3], &v) && !parse_int_tok(tok[4], &v))
        return cr_error(CR_EFORMAT, "%s:%d: colour values must be 0..255", path, ln);
    }
  }
  return ferror(f) ? cr_error(CR_EIO, "%s: read error", path) : 0;
}

int cr_label_table_read(cr_label_table *t, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return cr_error(CR_EIO, "%s: cannot open the label table", path);
  unsigned char buf[769];
  size_t n = fread(buf, 1, sizeof buf, f);
  int binary = 0;
  for (size_t i = 0; i < n; i++)
    binary |= buf[i] == 0 || (buf[i] < 32 && !isspace(buf[i])) || buf[i] > 126;
  int rc;
  if (binary && n == 768) { // MRIcron palette: planar R, G, B
    int empty = t->n == 0;
    rc = 0;
    for (long i = 1; i < 256 && !rc; i++) {
      cr_label_entry *e = empty ? entry(t, i) : (cr_label_entry *)cr_label_table_find(t, i);
      if (empty && !e) rc = cr_error(CR_ENOMEM, "out of memory");
      if (!e) continue;
      e->rgb[0] = buf[i], e->rgb[1] = buf[256 + i], e->rgb[2] = buf[512 + i], e->has_rgb = 1;
    }
  } else if (binary) {
    rc = cr_error(CR_EFORMAT,
                  "%s: neither a text label table nor a 768-byte MRIcron palette (%zu%s bytes)",
                  path, n, n == sizeof buf ? "+" : "");
  } else {
    rewind(f);
    rc = read_text(t, path, f);
  }
  fclose(f);
  return rc;
}
