#include "cli/common.h"

#include "core/error.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_fail_last(void) {
  fprintf(stderr, "camreg: %s\n", cr_last_error()[0] ? cr_last_error() : "unknown error");
  return 1;
}

int cli_fail(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "camreg %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "camreg %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nsee 'camreg %s --help'\n", cmd);
  va_end(ap);
  return 2;
}

int cli_parse_double(const char *cmd, const char *opt, const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
    return cli_usage_error(cmd, "%s expects a number, got '%s'", opt, s);
  *out = v;
  return 0;
}

int cli_parse_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi)
    return cli_usage_error(cmd, "%s expects a whole number from %d to %d, got '%s'", opt, lo, hi,
                           s);
  *out = (int)v;
  return 0;
}

int cli_parse_doubles(const char *cmd, const char *opt, const char *s, int n, double *out) {
  const char *p = s;
  for (int i = 0; i < n; i++) {
    char *end;
    errno = 0;
    out[i] = strtod(p, &end);
    if (end == p || errno == ERANGE || !isfinite(out[i]))
      return cli_usage_error(cmd, "%s expects %d comma-separated numbers, got '%s'", opt, n, s);
    p = end;
    if (i < n - 1) {
      if (*p != ',')
        return cli_usage_error(cmd, "%s expects %d comma-separated numbers, got '%s'", opt, n, s);
      p++;
    }
  }
  if (*p != '\0')
    return cli_usage_error(cmd, "%s expects %d comma-separated numbers, got '%s'", opt, n, s);
  return 0;
}

void cli_progress(const char *label, long done, long total) {
  static int tty = -1;
  static long last_decile = -1;
  if (tty < 0) tty = isatty(STDERR_FILENO);
  if (total <= 0) return;
  if (tty) {
    fprintf(stderr, "\r%s: %ld/%ld (%3.0f%%)%s", label, done, total, 100.0 * done / total,
            done >= total ? "\n" : "");
    fflush(stderr);
    return;
  }
  long decile = 10 * done / total;
  if (done == 0) last_decile = -1;
  if (decile != last_decile) {
    last_decile = decile;
    fprintf(stderr, "%s: %ld/%ld (%3.0f%%)\n", label, done, total, 100.0 * done / total);
  }
}

int cli_method_options(struct option *opts, int n, int cap) {
  for (int i = 0; i < cr_reg_method_key_count() && n < cap - 1; i++, n++) {
    const char *name, *arg;
    cr_reg_method_key_info(i, &name, &arg, NULL);
    opts[n] =
        (struct option){name, arg ? required_argument : no_argument, NULL, CLI_METHOD_OPT + i};
  }
  opts[n] = (struct option){0, 0, 0, 0};
  return n;
}

int cli_method_apply(const char *cmd, cr_reg_method *m, int val, const char *arg) {
  const char *name, *hint;
  cr_reg_method_key_info(val - CLI_METHOD_OPT, &name, &hint, NULL);
  if (!name) return cli_usage_error(cmd, "internal: unknown method option %d", val);
  if (cr_reg_method_set(m, name, hint ? arg : "1"))
    return cli_usage_error(cmd, "--%s", cr_last_error());
  return 0;
}

int cli_parse_spec(const char *cmd, const char *opt, const char *s, const char *const *keys,
                   const char **values, char *buf, size_t cap) {
  int n_keys = 0;
  while (keys[n_keys]) values[n_keys++] = NULL;
  if (strlen(s) >= cap) return cli_usage_error(cmd, "%s: argument too long", opt);
  memcpy(buf, s, strlen(s) + 1);
  for (char *item = buf, *next; item; item = next) {
    next = strchr(item, ',');
    if (next) *next++ = 0;
    char *eq = strchr(item, '=');
    if (!eq) return cli_usage_error(cmd, "%s: '%s' is not KEY=VALUE", opt, item);
    *eq = 0;
    int k = 0;
    while (k < n_keys && strcmp(item, keys[k])) k++;
    if (k == n_keys) {
      char known[256] = "";
      for (int i = 0; i < n_keys; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 keys[i]);
      return cli_usage_error(cmd, "%s: unknown key '%s' (known: %s)", opt, item, known);
    }
    if (values[k]) return cli_usage_error(cmd, "%s: key '%s' given twice", opt, item);
    if (!eq[1]) return cli_usage_error(cmd, "%s: key '%s' has no value", opt, item);
    values[k] = eq + 1;
  }
  return 0;
}
