// Error reporting for camreg: status codes plus a thread-local message.
//
// Functions that can fail return an int status: 0 (CR_OK) on success, a negative
// cr_status code on failure. Constructors (cr_x_new) return the new object, or NULL on
// failure with the status in cr_last_status(). The failing function records a one-line
// message that names the file (if any) and the reason; cr_last_error() returns it.
// Library code never exits or aborts.
#ifndef CR_ERROR_H
#define CR_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cr_status {
  CR_OK = 0,
  CR_EIO = -1,          // file missing, unreadable or unwritable
  CR_EFORMAT = -2,      // file content malformed or truncated
  CR_EINVAL = -3,       // bad argument value
  CR_ENOMEM = -4,       // allocation failed
  CR_EUNSUPPORTED = -5, // valid input that camreg does not handle
  CR_ENUMERIC = -6,     // numerical failure (singular matrix, no convergence)
  CR_EEMPTY = -7,       // nothing to work on (no visible voxel, empty mask, ...)
} cr_status;

// Records a printf-style message for cr_last_error() and returns `code`, so that
// callers can write `return cr_error(CR_EIO, "%s: cannot open", path);`.
int cr_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// The message of the last failure on this thread ("" if none).
const char *cr_last_error(void);

// The status of the last failure on this thread: the code of the last cr_error or
// cr_error_status call (CR_ENOMEM when none recorded one, e.g. a failed allocation).
int cr_last_status(void);

// Records `code` as the last status without changing the message; returns it.
int cr_error_status(int code);

// 0 when a constructor returned an object, else cr_last_status(): lets a caller write
// `if ((rc = cr_status_of(r = cr_renderer_new(vol, NULL, &p)))) return rc;`.
static inline int cr_status_of(const void *object) {
  return object ? 0 : cr_last_status();
}

// Prefixes the current message with "context: " (for callers adding the file name).
void cr_error_prefix(const char *context);

// Warnings: input camreg accepts but whose meaning it had to assume (an ANALYZE header's
// orientation, ...). cr_warning formats the message and hands it to the handler: by
// default it is printed as "camreg: warning: <message>" on stderr; a program or test may
// install its own (NULL restores the default). Thread-safe as long as the handler is.
typedef void (*cr_warning_handler)(const char *message);
void cr_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cr_set_warning_handler(cr_warning_handler handler);
// Clears the message.
void cr_error_clear(void);

// A short name for a status code ("I/O error", ...).
const char *cr_status_name(int code);

// Switches off GSL's default abort-on-error handler; camreg checks GSL return codes.
// Called once at start-up by every program and test that uses GSL.
void cr_gsl_quiet(void);

#ifdef __cplusplus
}
#endif
#endif
