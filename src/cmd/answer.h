/* answer.h — the engine's side of the front-end protocol (proto.h):
 * send the command to exec, environment changes, or "run nothing". */
#ifndef TORCHSHIM_ANSWER_H
#define TORCHSHIM_ANSWER_H

#include "proto.h"
#include "strv.h"

struct answer {
    int fd;             /* the front end's pipe; -1 = print to stdout instead */
    int dry_run;
};

/* Send ARGV (argv[0] = absolute path of the real tool) and the environment
 * changes ENV (may be NULL). Returns the engine's exit status (0, or 1 when
 * the front end cannot be told). */
int answer_exec(const struct answer *a, const struct strv *argv, const struct env_changes *env);
/* Run the user's command unchanged: REAL + ARGS. */
int answer_original(const struct answer *a, const char *real, int argc, char *const *args);
/* Run nothing; the front end exits with CODE. */
int answer_quit(const struct answer *a, int code);

#endif
