/* proto.h — the front-end/engine protocol.
 *
 * The front end runs the engine as a child with a pipe (shim/run.c); the
 * engine answers on the pipe's write end with NUL-terminated records, each a
 * type byte and a payload:
 *     A<word>        next word of the command to exec (the first is the
 *                    real tool's absolute path)
 *     S<NAME=VALUE>  set this variable for the real tool
 *     U<NAME>        unset this variable
 *     D              dry run: print the command instead of running it
 *     Q<code>        run nothing, exit with <code> (the engine said why)
 *     T<ms>          the engine's deadline: kill it and run the user's
 *                    command unchanged if no answer comes within <ms> of
 *                    this record; 0 = no deadline (it waits for the user).
 *                    Until the first T record the front end allows
 *                    PROTO_START_MS.
 * A complete answer is either a Q record, or at least one A record whose
 * first word is an absolute path. The engine exits 0 after a complete
 * answer; anything else is an engine failure, and the front end runs the
 * user's command unchanged.
 *
 * Environment changes travel as struct env_change, never as record text:
 * the wire format stays in proto.c. */
#ifndef TORCHSHIM_PROTO_H
#define TORCHSHIM_PROTO_H

#include <stddef.h>

#include "strv.h"

enum proto_rec {
    REC_ARG = 'A',
    REC_SETENV = 'S',
    REC_UNSETENV = 'U',
    REC_DRY_RUN = 'D',
    REC_QUIT = 'Q',
    REC_DEADLINE = 'T',
};

/* How long the engine may take before it announces its deadline. */
#define PROTO_START_MS 10000

/* An ordered list of environment changes for the real tool. */
struct env_changes {
    struct strv set;     /* "NAME=VALUE" or "NAME" (unset), in order */
    struct strv ops;     /* parallel: "S" or "U" (one letter each) */
};
#define ENV_CHANGES_INIT { STRV_INIT, STRV_INIT }

void env_changes_set(struct env_changes *e, const char *name, const char *value);
void env_changes_unset(struct env_changes *e, const char *name);
void env_changes_clear(struct env_changes *e);
/* Apply them to this process's environment (the front end, before exec). */
void env_changes_apply(const struct env_changes *e);

struct engine_answer {
    struct strv argv;          /* command to exec; empty if none */
    struct env_changes env;
    int dry_run;
    int quit;                  /* Q seen */
    int quit_code;
};

/* Parse the bytes read from the pipe. 0 with *ans filled when they form a
 * complete answer; -1 otherwise (torn record, unknown type, no command).
 * *ans must be zeroed (or cleared) before. */
int proto_parse(const char *buf, size_t len, struct engine_answer *ans);
void engine_answer_clear(struct engine_answer *ans);

/* Writing side, used by the engine: 0, or -1 with errno when FD fails. */
int proto_write_command(int fd, const struct strv *argv, const struct env_changes *env,
                        int dry_run);
int proto_write_quit(int fd, int code);
int proto_write_deadline(int fd, long long ms);

/* Scan the complete records at the start of BUF (the front end reads the
 * answer as it comes): *ms gets the value of the last deadline record among
 * them, and *found is set when there was one. Returns the bytes of complete
 * records (scan from there next time). */
size_t proto_scan_deadline(const char *buf, size_t len, long long *ms, int *found);

#endif
