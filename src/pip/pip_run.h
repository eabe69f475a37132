/* pip_run.h — the pip path from a command line to the command to run:
 * analyse (pipjob), resolve exact pins on the wheels mirror (resolve_pip),
 * rewrite sources, prefetch the big wheels (pipfetch: only when asked, see
 * struct pip_run_opts) and emit (rewrite_pip). Used by the shim (a user's
 * pip command), by plans (torchshim resolve / install) and by torchshim
 * fetch (the pinned wheels, not a command). */
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

struct pipfetch_wheels;

/* How one run goes beyond resolving (every field may be left 0). */
struct pip_run_opts {
    const struct pip_target *target;   /* NULL: the user's command, this machine */
    int prefetch;              /* prefetch per [prefetch] (pipfetch.h): the shim */
    /* called once before a prefetch download starts, which may take longer
     * than the front end's deadline allows: the shim lifts it there */
    void (*before_download)(void *ctx);
    void *ctx;
    struct pipfetch_wheels *wheels;    /* out when not NULL: every pinned wheel
                                          (file name, URLs on the configured
                                          mirrors, sha256), for torchshim fetch */
    int signo;                 /* out: the signal that interrupted the prefetch
                                  (then RUN_REFUSED: run nothing; the caller
                                  exits 128 + signo), else 0 */
};

/* REAL_PIP + ARGS (pip's arguments, without the program name). Fills RES
 * (release with run_result_free). O may be NULL: no prefetch. */
enum run_outcome pip_run_with(const struct config *cfg, const char *real_pip, int argc,
                              char *const *args, struct pip_run_opts *o,
                              struct run_result *res);

/* pip_run_with with only a target (no prefetch): plans, environment files. */
enum run_outcome pip_run(const struct config *cfg, const char *real_pip, int argc,
                         char *const *args, const struct pip_target *t, struct run_result *res);

#endif
