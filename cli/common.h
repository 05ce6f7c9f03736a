// Helpers shared by the subcommands: argument parsing with clear errors, failure
// messages, and a progress line for long runs.
#ifndef CR_CLI_COMMON_H
#define CR_CLI_COMMON_H

#include <getopt.h>
#include <stdio.h>

#include "registration/method.h"

// Prints "camreg: <message of cr_last_error()>" to stderr and returns exit status 1.
int cli_fail_last(void);
// Prints "camreg <cmd>: <formatted message>" to stderr and returns 1.
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Prints "see 'camreg <cmd> --help'" after a usage error and returns 2.
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// Strict number parsing: the whole string must be a finite number in range.
// Return 0 on success, else print a usage error naming the option and return 2.
int cli_parse_double(const char *cmd, const char *opt, const char *s, double *out);
int cli_parse_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out);
// A list of n comma-separated numbers, e.g. "0,0,1".
int cli_parse_doubles(const char *cmd, const char *opt, const char *s, int n, double *out);

// Splits an option argument of the form KEY=VALUE[,KEY=VALUE...] (camreg register's --view
// camera=c.yml,photo=p.png) into values[k] for the NULL-terminated `keys`; absent keys stay
// NULL. The values point into buf (a copy of s, cap bytes). A usage error naming the option
// for an item without '=', an unknown or repeated key, or an empty value.
int cli_parse_spec(const char *cmd, const char *opt, const char *s, const char *const *keys,
                   const char **values, char *buf, size_t cap);

// A progress line on stderr, redrawn in place on a terminal, and printed every 10%
// otherwise. `label` like "render"; done/total counts.
void cli_progress(const char *label, long done, long total);

// Registration-method keys as command-line options (registration/method.h): every key
// becomes --KEY (with an argument unless it is a flag) whose getopt `val` is
// CLI_METHOD_OPT + the key's index. cli_method_options appends them to `opts`, which holds
// `n` options and room for `cap`, and terminates the array; it returns the new count.
#define CLI_METHOD_OPT 1000
int cli_method_options(struct option *opts, int n, int cap);
// Applies a method option parsed by getopt_long (val >= CLI_METHOD_OPT): 0, or a usage
// error naming the option (returns 2).
int cli_method_apply(const char *cmd, cr_reg_method *m, int val, const char *arg);

#endif
