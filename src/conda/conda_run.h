/* conda_run.h — the conda path from a command line to the command to run:
 * analyse (condajob, the channels the tool will read: condachan), exact
 * build strings from the channel's repodata (resolve_conda; conda-forge's
 * for plans that take its route: resolve_forge), channels to mirrors,
 * prefetch the big package files into the tool's package cache (condafetch:
 * only when asked, see struct conda_run_opts) and emit (rewrite_conda).
 * Environment files (conda env create|update -f,
 * micromamba create -f FILE.yml) go through conda_env.h. Used by the shim
 * (a user's conda/mamba/micromamba command) and by plans. */
#ifndef TORCHSHIM_CONDA_RUN_H
#define TORCHSHIM_CONDA_RUN_H

#include "config.h"
#include "outcome.h"
#include "resolve_conda.h"

/* How one run goes beyond resolving (every field may be left 0). */
struct conda_run_opts {
    const struct conda_target *target;   /* NULL: from the command and this machine */
    int plan;                  /* a plan, not a user's command (never RUN_UNCHANGED) */
    int prefetch;              /* prefetch per [prefetch] (condafetch.h): the shim */
    /* called once before a prefetch download starts, which may take longer
     * than the front end's deadline allows: the shim lifts it there */
    void (*before_download)(void *ctx);
    void *ctx;
    int signo;                 /* out: the signal that interrupted the prefetch
                                  (then RUN_REFUSED: run nothing; the caller
                                  exits 128 + signo), else 0 */
};

/* REAL + ARGS (the tool's arguments, without the program name). Fills RES
 * (release with run_result_free). O may be NULL: no prefetch. Environment
 * files (conda_env.h) are never prefetched. */
enum run_outcome conda_run_with(const struct config *cfg, const char *real, int argc,
                                char *const *args, struct conda_run_opts *o,
                                struct run_result *res);

/* REAL + ARGS (the tool's arguments, without the program name); T: the
 * platform, Python and variant to resolve for (NULL: from the command and
 * this machine). PLAN: a plan, not a user's command (never RUN_UNCHANGED).
 * Fills RES (release with run_result_free). */
enum run_outcome conda_run(const struct config *cfg, const char *real, int argc,
                           char *const *args, const struct conda_target *t, int plan,
                           struct run_result *res);

#endif
