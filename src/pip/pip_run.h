/* pip_run.h — the pip path from a command line to the command to run:
 * analyse (pipjob), resolve exact pins on the wheels mirror (resolve_pip),
 * rewrite sources and emit (rewrite_pip). Used by the shim (a user's pip
 * command) and by plans (torchshim resolve / install). */
#ifndef TORCHSHIM_PIP_RUN_H
#define TORCHSHIM_PIP_RUN_H

#include "config.h"
#include "outcome.h"

struct pip_target {
    const char *variant;   /* "cu121"; NULL: the variant the command names */
    const char *python;    /* "3.12"; NULL: the real pip's interpreter */
    const char *subdir;    /* conda-style platform ("win-64"); NULL: this machine */
    int plan;              /* a plan, not a user's command: resolve even without a
                              variant named, and RUN_UNCHANGED never happens */
    int python_m;          /* REAL_PIP is a Python interpreter, run as `REAL -m pip` */
};

/* REAL_PIP + ARGS (pip's arguments, without the program name). Fills RES
 * (release with run_result_free). */
enum run_outcome pip_run(const struct config *cfg, const char *real_pip, int argc,
                         char *const *args, const struct pip_target *t, struct run_result *res);

#endif
