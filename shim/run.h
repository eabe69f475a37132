/* run.h — the last step: exec the real tool, or hand a command to the engine.
 *
 * Exec (run_exec):
 *   - execv(2) the real tool directly, never through a shell; the
 *     environment is preserved (plus any changes the engine asked for);
 *   - argv[0] is the tool's absolute path;
 *   - the recursion guard TORCHSHIM_GUARD is set to our pid. exec keeps the
 *     pid, so a shim that starts and finds TORCHSHIM_GUARD == getpid() was
 *     exec'd by a shim as "the real tool": a copy of itself. It stops with an
 *     error instead of looping. Any process the real tool starts has another
 *     pid, so nested legitimate calls are unaffected;
 *   - with TORCHSHIM_DRY_RUN=1 (or a dry-run record from the engine) print
 *     the command as one shell-quoted line on stdout and exit 0;
 *   - exit codes: the real tool's (it replaces us); 127 not found; 126 not
 *     executable.
 *
 * Engine protocol (run_engine): the front end runs the engine as a child with
 * a pipe; the engine writes NUL-terminated records to the pipe's fd:
 *     A<word>        next word of the command to exec (the first is the path)
 *     S<NAME=VALUE>  set this variable for the real tool
 *     U<NAME>        unset this variable
 *     D              dry run: print the command instead of running it
 *     Q<code>        run nothing, exit with <code> (the engine said why)
 * The engine exits 0 after a complete answer. Anything else (no answer, a
 * crash, a non-zero exit without Q) means the engine failed: the caller then
 * warns and runs the user's command unchanged. */
#ifndef TORCHSHIM_RUN_H
#define TORCHSHIM_RUN_H

#include <stddef.h>

#include "strv.h"

#define GUARD_VAR "TORCHSHIM_GUARD"

/* Did a shim exec us directly (see above)? Clears the variable either way. */
int run_guard_tripped(void);

/* Replace this process with argv (argv->v[0] is the absolute tool path).
 * Returns only on failure, with the exit code to use (126/127). */
int run_exec(const struct strv *argv, int dry_run);

struct engine_answer {
    struct strv argv;   /* command to exec; empty if none */
    struct strv env;    /* "SNAME=VALUE" / "UNAME" changes, in order */
    int dry_run;
    int quit;           /* Q seen */
    int quit_code;
};

/* Run ENGINE with ARGS (args.v[0] is the engine path) plus "--result-fd N"
 * inserted after args.v[1]. Returns 0 with *ans filled when the engine gave a
 * complete answer, -1 (after a warning saying why) otherwise. */
int run_engine(const struct strv *args, struct engine_answer *ans);
void engine_answer_clear(struct engine_answer *ans);

/* Apply the engine's environment changes to our environment. */
void run_apply_env(const struct strv *env);

/* Writing side of the protocol, used by the engine. */
struct result_writer {
    int fd;
};
void result_word(struct result_writer *w, char type, const char *s);
void result_command(struct result_writer *w, const struct strv *argv);

#endif
