/* conda_run.c — see conda_run.h. */
#include "conda_run.h"

#include <stdlib.h>

#include "conda_env.h"
#include "condajob.h"
#include "resolve_forge.h"
#include "rewrite_conda.h"

enum run_outcome conda_run(const struct config *cfg, const char *real, int argc,
                           char *const *args, const struct conda_target *t, int plan,
                           struct run_result *res)
{
    static const struct conda_target none = { NULL, NULL, { CONDASELECT_UNKNOWN, NULL, 0 }, 0,
                                              0 };
    struct conda_target target = t ? *t : none;
    target.plan = plan;
    if (conda_env_applies(argc, args))
        return conda_env_run(cfg, real, argc, args, &target, res);
    struct conda_job job;
    char *err = NULL;
    enum run_outcome o = RUN_REWRITTEN;
    if (conda_job_init(&job, cfg, argc, args, &err)) {
        res->error = err;
        conda_job_free(&job);
        return RUN_FAILED;
    }
    if (!conda_job_is_pytorch(&job) && !plan) {
        strv_push(&res->notes, "installs no PyTorch package");
        conda_job_free(&job);
        return RUN_UNCHANGED;
    }
    conda_job_read_channels(&job, real);
    switch (target.forge ? resolve_forge(&job, &target) : resolve_conda(&job, &target)) {
    case RESOLVE_OK:
        conda_job_apply_pins(&job);
        conda_job_rewrite_channels(&job);
        conda_job_emit(&job, real, &res->argv);
        break;
    case RESOLVE_NO_MIRROR: o = RUN_NO_MIRROR; break;
    case RESOLVE_NONE_FITS:
        res->error = job.error;
        job.error = NULL;
        o = RUN_REFUSED;
        break;
    }
    strv_extend(&res->warnings, job.warnings.v, job.warnings.n);
    strv_extend(&res->notes, job.notes.v, job.notes.n);
    conda_job_free(&job);
    return o;
}
