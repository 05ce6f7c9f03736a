#include "core/error.h"

#include <gsl/gsl_errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CR_ERROR_LEN 1024
static _Thread_local char last_error[CR_ERROR_LEN];
static _Thread_local int last_status;

int cr_error(int code, const char *fmt, ...) {
  last_status = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return code;
}

static cr_warning_handler warning_handler;

void cr_set_warning_handler(cr_warning_handler handler) {
  warning_handler = handler;
}

void cr_warning(const char *fmt, ...) {
  char msg[CR_ERROR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (warning_handler)
    warning_handler(msg);
  else
    fprintf(stderr, "camreg: warning: %s\n", msg);
}

const char *cr_last_error(void) {
  return last_error;
}

int cr_last_status(void) {
  return last_status < 0 ? last_status : CR_ENOMEM;
}

int cr_error_status(int code) {
  return last_status = code;
}

void cr_error_prefix(const char *context) {
  char tmp[CR_ERROR_LEN];
  size_t n = strlen(context);
  if (n > CR_ERROR_LEN / 2) n = CR_ERROR_LEN / 2;
  memcpy(tmp, context, n);
  tmp[n++] = ':', tmp[n++] = ' ';
  size_t m = strlen(last_error);
  if (m > CR_ERROR_LEN - 1 - n) m = CR_ERROR_LEN - 1 - n;
  memcpy(tmp + n, last_error, m);
  tmp[n + m] = '\0';
  memcpy(last_error, tmp, sizeof tmp);
}

void cr_error_clear(void) {
  last_error[0] = '\0', last_status = 0;
}

const char *cr_status_name(int code) {
  switch (code) {
  case CR_OK: return "ok";
  case CR_EIO: return "I/O error";
  case CR_EFORMAT: return "bad file format";
  case CR_EINVAL: return "invalid argument";
  case CR_ENOMEM: return "out of memory";
  case CR_EUNSUPPORTED: return "unsupported";
  case CR_ENUMERIC: return "numerical failure";
  case CR_EEMPTY: return "empty input";
  default: return "unknown error";
  }
}

void cr_gsl_quiet(void) {
  gsl_set_error_handler_off();
}
