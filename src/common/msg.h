/* msg.h — every message torchshim prints on stderr goes through here.
 *
 *   errorf  "torchshim: error: ..."    something failed
 *   warnf   "torchshim: warning: ..."  something failed, we carry on
 *   notef   "torchshim: ..."           said always (plans, fallbacks)
 *   verbosef "torchshim: ..."          said only with TORCHSHIM_VERBOSE=1 / -v
 *   die     errorf + exit(code)
 *
 * A trailing newline is added. Messages are written with one write(2) so
 * lines from concurrent processes do not interleave. */
#ifndef TORCHSHIM_MSG_H
#define TORCHSHIM_MSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdnoreturn.h>

extern int msg_verbose;

void msg_init_from_env(void);
void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void verbosef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Allocation that cannot fail: out of memory is fatal (exit 70). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Store a formatted message in *err (when err is not NULL); returns -1, so
 * library code can `return seterr(err, "...", ...);`. */
int seterr(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* TORCHSHIM_TIMING=1: one "timing: WHAT=N.Nms" line on stderr (tracing,
 * like verbosef). timing_now() is a monotonic clock in seconds. */
void timing_note(const char *what, double seconds);
double timing_now(void);

/* Does the environment variable say yes ("1", "true", "yes", "on")? */
int env_true(const char *name);

#endif
