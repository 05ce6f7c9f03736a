#include "core/filestorage.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

int cr_fs_write(const char *path, const cvw_fs_entry *entries, int n) {
  if (!(cr_path_has_suffix(path, ".yml") || cr_path_has_suffix(path, ".yaml") ||
        cr_path_has_suffix(path, ".xml") || cr_path_has_suffix(path, ".json")))
    return cr_error(CR_EINVAL, "%s: camera files must end in .yml, .yaml, .xml or .json", path);
  cr_atomic_file af;
  int rc = cr_atomic_begin(&af, path, 0);
  if (rc) return rc;
  char err[512];
  if (cvw_fs_write(af.tmp_path, entries, n, err, sizeof err)) {
    cr_atomic_abort(&af);
    return cr_error(CR_EIO, "%s: %s", path, err);
  }
  return cr_atomic_commit(&af);
}

// Length of the UTF-8 sequence at p (n bytes left): 1..4, or 0 if it is not valid UTF-8
// (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, truncated).
static int utf8_length(const unsigned char *p, size_t n) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  int len;
  unsigned lo = 0x80, hi = 0xbf; // the range of the second byte
  if (c >= 0xc2 && c <= 0xdf)
    len = 2;
  else if (c >= 0xe0 && c <= 0xef)
    len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
  else
    return 0;
  if ((size_t)len > n || p[1] < lo || p[1] > hi) return 0;
  for (int k = 2; k < len; k++)
    if (p[k] < 0x80 || p[k] > 0xbf) return 0;
  return len;
}

// OpenCV's YAML parser is a hand-written subset that loops forever on some malformed
// documents (fuzz finding timeout-fb09544: "   t: d" above the less indented "  91e-300"),
// so a YAML camera or rig file must first be a well-formed YAML document to libyaml.
// OpenCV's header line "%YAML:1.0" is not YAML syntax: the document is checked from the
// next line on. Returns 0, or the libyaml error as a message naming file, line and column.
static int check_yaml_document(const char *path, const char *buf, size_t n) {
  const char *body = memchr(buf, '\n', n);
  if (!body) return CR_OK; // the header alone: OpenCV finds no keys, the reader says which
  body++;
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return cr_error(CR_ENOMEM, "%s: out of memory", path);
  yaml_parser_set_input_string(&parser, (const unsigned char *)body, n - (size_t)(body - buf));
  int rc = CR_OK, done = 0, root_seen = 0;
  while (!done && rc == CR_OK) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      rc = cr_error(CR_EFORMAT, "%s:%lu:%lu: not a well-formed YAML document: %s%s%s", path,
                    (unsigned long)parser.problem_mark.line + 2,
                    (unsigned long)parser.problem_mark.column + 1,
                    parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
                    parser.context ? parser.context : "");
      break;
    }
    const int anchored = (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.anchor) ||
                         (ev.type == YAML_SEQUENCE_START_EVENT && ev.data.sequence_start.anchor) ||
                         (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.anchor);
    if (ev.type == YAML_ALIAS_EVENT || anchored)
      rc = cr_error(CR_EFORMAT,
                    "%s:%lu: YAML anchors (&name) and aliases (*name) are not read by OpenCV's "
                    "FileStorage: write the value itself",
                    path, (unsigned long)ev.start_mark.line + 2);
    // Camera and rig files are a mapping of keys; OpenCV looped forever on a document that
    // was one multi-line scalar (fuzz timeouts 0ca66937, ba386238 of the rig reader).
    if (rc == CR_OK && !root_seen &&
        (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
         ev.type == YAML_ALIAS_EVENT))
      rc = cr_error(CR_EFORMAT,
                    "%s:%lu: the document is not a mapping of keys (\"image_width: 640\", ...)",
                    path, (unsigned long)ev.start_mark.line + 2);
    if (ev.type == YAML_MAPPING_START_EVENT) root_seen = 1;
    done = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  return rc;
}

// What OpenCV's FileStorage parsers cannot be given safely (OpenCV 4.6 reads past the end
// of a truncated XML declaration, stops at NUL bytes, and crashed in its XML parser on a
// file with a control byte before "<?xml" and 0xff bytes): checked on the raw text first.
// OpenCV itself decides the format from the first bytes, without skipping blanks.
int cr_fs_check_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return cr_error(CR_EIO, "%s: cannot open", path);
  static _Thread_local char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  int more = fgetc(f) != EOF;
  fclose(f);
  if (more) return cr_error(CR_EFORMAT, "%s: over 1 MB: not a camera or rig file", path);
  if (memchr(buf, 0, n))
    return cr_error(CR_EFORMAT, "%s: binary data (NUL bytes): not a YAML/XML/JSON file", path);
  const unsigned char *u = (const unsigned char *)buf;
  long line = 1;
  for (size_t i = 0; i < n;) {
    if (u[i] < 0x20 && u[i] != '\t' && u[i] != '\r' && u[i] != '\n')
      return cr_error(CR_EFORMAT,
                      "%s:%ld: control character 0x%02x (byte %zu): not a text file (camera "
                      "and rig files are YAML/XML/JSON text)",
                      path, line, u[i], i);
    if (u[i] == 0x7f)
      return cr_error(CR_EFORMAT, "%s:%ld: control character 0x7f (byte %zu): not a text file",
                      path, line, i);
    const int len = utf8_length(u + i, n - i);
    if (!len)
      return cr_error(CR_EFORMAT,
                      "%s:%ld: byte 0x%02x (byte %zu) is not valid UTF-8: not a text file", path,
                      line, u[i], i);
    line += u[i] == '\n';
    i += (size_t)len;
  }
  if (n >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
    return cr_error(CR_EFORMAT,
                    "%s: begins with a UTF-8 byte order mark, which OpenCV's reader does not "
                    "accept (save the file without it)",
                    path);
  if (!(n >= 5 && !memcmp(buf, "%YAML", 5)) && !(n >= 5 && !memcmp(buf, "<?xml", 5)) &&
      !(n >= 1 && buf[0] == '{'))
    return cr_error(CR_EFORMAT,
                    "%s: not an OpenCV FileStorage file: it must begin with \"%%YAML\" (YAML), "
                    "\"<?xml\" (XML) or \"{\" (JSON), with nothing before",
                    path);
  if (!memcmp(buf, "%YAML", 5) && check_yaml_document(path, buf, n)) return cr_last_status();
  if (!memcmp(buf, "<?xml", 5)) {
    const char *end = NULL;
    for (size_t k = 0; k + 1 < n && !end; k++)
      if (buf[k] == '?' && buf[k + 1] == '>') end = buf + k;
    if (!end) return cr_error(CR_EFORMAT, "%s: XML declaration not closed (\"?>\")", path);
  }
  return CR_OK;
}
