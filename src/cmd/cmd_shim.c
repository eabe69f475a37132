/* cmd_shim.c — the front end's question: how should this pip/conda command
 * run? Plan, resolve and rewrite, then answer (answer.h). Whatever fails
 * (configuration, parsing, network, mirror) answers the command unchanged
 * with a warning: the shim never stands between a user and their tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "commands.h"
#include "config.h"
#include "msg.h"
#include "rewrite_conda.h"
#include "resolve_conda.h"
#include "resolve_pip.h"
#include "rewrite_pip.h"

static void say_notes(const struct strv *notes)
{
    for (size_t i = 0; i < notes->n; i++)
        verbosef("%s", notes->v[i]);
}

static int shim_pip(const struct answer *ans, const struct config *cfg, const char *name,
                    const char *real, int argc, char **args)
{
    struct pip_job job;
    char *err = NULL;
    int r;
    if (pip_job_init(&job, cfg, real, argc, args, &err)) {
        warnf("%s: %s; running the command unchanged", name, err);
        goto original;
    }
    if (!pip_job_is_pytorch(&job)) {
        verbosef("%s: installs no PyTorch package; passing it through", name);
        goto original;
    }
    if (job.variant[0] && !job.variant_conflict) {
        switch (resolve_pip(&job, NULL, NULL, NULL)) {
        case RESOLVE_OK: break;
        case RESOLVE_NO_MIRROR: goto original;  /* announced */
        case RESOLVE_NONE_FITS:
            pip_job_free(&job);
            return answer_quit(ans, 1);
        }
    }
    struct strv out = STRV_INIT;
    if (pip_job_rewrite_sources(&job, &err) || pip_job_emit(&job, real, &out, &err)) {
        warnf("%s: %s; running the command unchanged", name, err);
        strv_clear(&out);
        goto original;
    }
    say_notes(&job.notes);
    r = answer_exec(ans, &out, &job.env);
    strv_clear(&out);
    pip_job_free(&job);
    return r;
original:
    free(err);
    pip_job_free(&job);
    return answer_original(ans, real, argc, args);
}

static int shim_conda(const struct answer *ans, const struct config *cfg, const char *name,
                      const char *real, int argc, char **args)
{
    struct conda_job job;
    char *err = NULL;
    int r;
    if (conda_job_init(&job, cfg, argc, args, &err)) {
        warnf("%s: %s; running the command unchanged", name, err);
        goto original;
    }
    if (!conda_job_is_pytorch(&job)) {
        verbosef("%s: installs no PyTorch package; passing it through", name);
        goto original;
    }
    struct conda_target t = { NULL, NULL, { CONDASELECT_UNKNOWN, NULL, 0 } };
    switch (resolve_conda(&job, &t)) {
    case RESOLVE_OK: break;
    case RESOLVE_NO_MIRROR: goto original;  /* announced */
    case RESOLVE_NONE_FITS:
        conda_job_free(&job);
        return answer_quit(ans, 1);
    }
    struct strv out = STRV_INIT;
    conda_job_rewrite_channels(&job);
    conda_job_emit(&job, real, &out);
    say_notes(&job.notes);
    r = answer_exec(ans, &out, NULL);
    strv_clear(&out);
    conda_job_free(&job);
    return r;
original:
    free(err);
    conda_job_free(&job);
    return answer_original(ans, real, argc, args);
}

int cmd_shim(int argc, char **argv)
{
    /* shim --result-fd N MODE NAME REAL -- ARGS... */
    struct answer ans = { -1, 0 };
    int i = 1;
    if (i + 1 < argc && !strcmp(argv[i], "--result-fd")) {
        ans.fd = atoi(argv[i + 1]);
        i += 2;
    }
    if (argc - i < 4 || strcmp(argv[i + 3], "--")) {
        errorf("usage: torchshim-engine shim [--result-fd N] pip|conda NAME REAL -- ARGS...");
        return 2;
    }
    const char *mode = argv[i], *name = argv[i + 1], *real = argv[i + 2];
    int nargs = argc - (i + 4);
    char **args = argv + i + 4;

    struct config cfg;
    char *err = NULL;
    if (config_load(&cfg, &err)) {
        warnf("configuration: %s; running the command unchanged", err);
        free(err);
        config_free(&cfg);
        return answer_original(&ans, real, nargs, args);
    }
    int r = !strcmp(mode, "pip") ? shim_pip(&ans, &cfg, name, real, nargs, args)
                                 : shim_conda(&ans, &cfg, name, real, nargs, args);
    config_free(&cfg);
    return r;
}
