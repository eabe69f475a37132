/* conda_run.h — the conda path from a command line to the command to run:
 * analyse (condajob, the channels the tool will read: condachan), exact
 * build strings from the channel's repodata (resolve_conda; conda-forge's
 * for plans that take its route: resolve_forge), channels to mirrors and
 * emit (rewrite_conda). Environment files (conda env create|update -f,
 * micromamba create -f FILE.yml) go through conda_env.h. Used by the shim
 * (a user's conda/mamba/micromamba command) and by plans. */
#ifndef TORCHSHIM_CONDA_RUN_H
#define TORCHSHIM_CONDA_RUN_H

#include "config.h"
#include "outcome.h"
#include "resolve_conda.h"

/* REAL + ARGS (the tool's arguments, without the program name); T: the
 * platform, Python and variant to resolve for (NULL: from the command and
 * this machine). PLAN: a plan, not a user's command (never RUN_UNCHANGED).
 * Fills RES (release with run_result_free). */
enum run_outcome conda_run(const struct config *cfg, const char *real, int argc,
                           char *const *args, const struct conda_target *t, int plan,
                           struct run_result *res);

#endif
