/* conda_run.c — see conda_run.h. */
#include "conda_run.h"

#include <stdlib.h>

#include "conda_env.h"
#include "condafetch.h"
#include "condajob.h"
#include "msg.h"
#include "resolve_forge.h"
#include "rewrite_conda.h"

/* After the rewrite: prefetch (when asked). RUN_REFUSED after an
 * interruption (nothing is to run), else RUN_REWRITTEN. */
static enum run_outcome after_rewrite(struct conda_job *job, const char *real,
                                      const struct conda_pkgfiles *files,
                                      struct conda_run_opts *o, struct run_result *res)
{
    if (!o->prefetch)
        return RUN_REWRITTEN;
    struct condafetch_hooks hooks = { o->before_download, o->ctx };
    if (condafetch_run(job, real, files, &hooks, &o->signo) != CONDAFETCH_INTERRUPTED)
        return RUN_REWRITTEN;
    res->error = xstrdup("interrupted while prefetching: nothing runs; the download resumes "
                         "next time");
    return RUN_REFUSED;
}

/* Resolve, rewrite, prefetch and emit JOB. */
static enum run_outcome run_job(struct conda_job *job, const char *real,
                                const struct conda_target *target, struct conda_run_opts *o,
                                struct run_result *res)
{
    struct conda_pkgfiles files = { 0 };
    enum run_outcome r = RUN_REWRITTEN;
    conda_job_read_channels(job, real);
    switch (target->forge ? resolve_forge(job, target) : resolve_conda_files(job, target, &files)) {
    case RESOLVE_OK:
        conda_job_apply_pins(job);
        conda_job_rewrite_channels(job);
        r = after_rewrite(job, real, &files, o, res);
        if (r == RUN_REWRITTEN)
            conda_job_emit(job, real, &res->argv);
        break;
    case RESOLVE_NO_MIRROR: r = RUN_NO_MIRROR; break;
    case RESOLVE_NONE_FITS:
        res->error = job->error;
        job->error = NULL;
        r = RUN_REFUSED;
        break;
    }
    conda_pkgfiles_free(&files);
    return r;
}

enum run_outcome conda_run_with(const struct config *cfg, const char *real, int argc,
                                char *const *args, struct conda_run_opts *o,
                                struct run_result *res)
{
    static const struct conda_target none = { NULL, NULL, { CONDASELECT_UNKNOWN, NULL, 0 }, 0,
                                              0 };
    struct conda_run_opts no_opts = { 0 };
    if (!o)
        o = &no_opts;
    o->signo = 0;
    struct conda_target target = o->target ? *o->target : none;
    target.plan = o->plan;
    if (conda_env_applies(argc, args))
        return conda_env_run(cfg, real, argc, args, &target, res);
    struct conda_job job;
    char *err = NULL;
    if (conda_job_init(&job, cfg, argc, args, &err)) {
        res->error = err;
        conda_job_free(&job);
        return RUN_FAILED;
    }
    if (!conda_job_is_pytorch(&job) && !o->plan) {
        strv_push(&res->notes, "installs no PyTorch package");
        conda_job_free(&job);
        return RUN_UNCHANGED;
    }
    enum run_outcome r = run_job(&job, real, &target, o, res);
    strv_extend(&res->warnings, job.warnings.v, job.warnings.n);
    strv_extend(&res->notes, job.notes.v, job.notes.n);
    conda_job_free(&job);
    return r;
}

enum run_outcome conda_run(const struct config *cfg, const char *real, int argc,
                           char *const *args, const struct conda_target *t, int plan,
                           struct run_result *res)
{
    struct conda_run_opts o = { .target = t, .plan = plan };
    return conda_run_with(cfg, real, argc, args, &o, res);
}
