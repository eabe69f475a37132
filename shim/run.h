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
 * Engine (run_engine): the engine runs as a child and answers on a pipe in
 * the protocol of proto.h. No complete answer (a crash, a non-zero exit
 * without a quit record) means the engine failed: the caller then
 * warns and runs the user's command unchanged. An interrupt (SIGINT, SIGTERM,
 * SIGHUP) while the engine works is the user's: the front end waits for the
 * engine (which saves a download's progress and stops), then dies of the same
 * signal and runs nothing. */
#ifndef TORCHSHIM_RUN_H
#define TORCHSHIM_RUN_H

#include <stddef.h>

#include "proto.h"
#include "strv.h"

#define GUARD_VAR "TORCHSHIM_GUARD"

/* Did a shim exec us directly (see above)? Clears the variable either way. */
int run_guard_tripped(void);

/* Replace this process with argv (argv->v[0] is the absolute tool path).
 * Returns only on failure, with the exit code to use (126/127). */
int run_exec(const struct strv *argv, int dry_run);

/* Run ENGINE with ARGS (args.v[0] is the engine path) plus "--result-fd N"
 * inserted after args.v[1]. Returns 0 with *ans filled when the engine gave a
 * complete answer, -1 (after a warning saying why) otherwise. */
int run_engine(const struct strv *args, struct engine_answer *ans);

#endif
