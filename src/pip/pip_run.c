/* pip_run.c — see pip_run.h. */
#include "pip_run.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "pipfetch.h"
#include "pipjob.h"
#include "resolve_pip.h"
#include "rewrite_pip.h"

/* The job's messages become the result's. */
static void hand_over(struct pip_job *job, struct run_result *res)
{
    strv_extend(&res->warnings, job->warnings.v, job->warnings.n);
    strv_extend(&res->notes, job->notes.v, job->notes.n);
    res->env = job->env;
    memset(&job->env, 0, sizeof job->env);
}

static enum run_outcome resolve(struct pip_job *job, const struct pip_target *t,
                                struct run_result *res)
{
    const char *variant = t && t->variant ? t->variant : job->variant;
    if (!variant[0] || (job->variant_conflict && !(t && t->variant))) {
        strv_push(&res->notes, job->variant_conflict
                                   ? "two different variants are named: pins left to pip"
                                   : "no variant named (cpu, cu121, ...): pins left to pip");
        return RUN_REWRITTEN;
    }
    switch (resolve_pip(job, variant, t ? t->python : NULL, t ? t->subdir : NULL)) {
    case RESOLVE_OK: return RUN_REWRITTEN;
    case RESOLVE_NO_MIRROR: return RUN_NO_MIRROR;
    case RESOLVE_NONE_FITS: break;
    }
    res->error = job->error;
    job->error = NULL;
    return RUN_REFUSED;
}

/* After resolution: prefetch (when asked) and hand the wheels out. RUN_REFUSED
 * after an interruption (nothing is to run), else O unchanged. */
static enum run_outcome after_resolve(struct pip_job *job, struct pip_run_opts *o,
                                      struct run_result *res)
{
    if (o->wheels) {
        pipfetch_collect(job, 1, o->wheels);
        pipfetch_more_mirrors(job, o->wheels);
    }
    if (!o->prefetch)
        return RUN_REWRITTEN;
    struct pipfetch_hooks hooks = { o->before_download, o->ctx };
    if (pipfetch_run(job, &hooks, &o->signo) != PIPFETCH_INTERRUPTED)
        return RUN_REWRITTEN;
    res->error = xstrdup("interrupted while prefetching: nothing runs; the download resumes "
                         "next time");
    return RUN_REFUSED;
}

enum run_outcome pip_run_with(const struct config *cfg, const char *real_pip, int argc,
                              char *const *args, struct pip_run_opts *o,
                              struct run_result *res)
{
    struct pip_run_opts none = { 0 };
    if (!o)
        o = &none;
    const struct pip_target *t = o->target;
    struct pip_job job;
    char *err = NULL;
    enum run_outcome r;
    o->signo = 0;
    if (pip_job_init(&job, cfg, real_pip, argc, args, &err)) {
        res->error = err;
        pip_job_free(&job);
        return RUN_FAILED;
    }
    if (!pip_job_is_pytorch(&job) && !(t && t->plan)) {
        strv_push(&res->notes, "installs no PyTorch package");
        pip_job_free(&job);
        return RUN_UNCHANGED;
    }
    job.python_m = t && t->python_m;
    r = resolve(&job, t, res);
    if (r == RUN_REWRITTEN && pip_job_rewrite_sources(&job, &err)) {
        res->error = err;
        r = RUN_FAILED;
    }
    if (r == RUN_REWRITTEN)
        r = after_resolve(&job, o, res);
    if (r == RUN_REWRITTEN && pip_job_emit(&job, real_pip, &res->argv, &err)) {
        res->error = err;
        r = RUN_FAILED;
    }
    hand_over(&job, res);
    pip_job_free(&job);
    return r;
}

enum run_outcome pip_run(const struct config *cfg, const char *real_pip, int argc,
                         char *const *args, const struct pip_target *t, struct run_result *res)
{
    struct pip_run_opts o = { .target = t };
    return pip_run_with(cfg, real_pip, argc, args, &o, res);
}
