/* plan.c — see plan.h. */
#include "plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "resolve_conda.h"
#include "resolve_pip.h"
#include "rewrite_conda.h"
#include "rewrite_pip.h"
#include "urlmap.h"

int plan_set_backend(struct plan *p, const char *b)
{
    if (!strcmp(b, "cpu") || (!strncmp(b, "cu", 2) && strlen(b) >= 4 &&
                              strspn(b + 2, "0123456789") == strlen(b + 2)) ||
        (!strncmp(b, "rocm", 4) && urlmap_valid_variant(b))) {
        snprintf(p->backend, sizeof p->backend, "%s", b);
        return 0;
    }
    return -1;
}

int plan_cuda_version(const char *variant, char *out, size_t n)
{
    if (strncmp(variant, "cu", 2))
        return -1;
    const char *d = variant + 2;
    size_t len = strlen(d);
    if (len < 3 || strspn(d, "0123456789") != len)
        return -1;
    snprintf(out, n, "%.*s.%c", (int)(len - 1), d, d[len - 1]);
    return 0;
}

static int plan_conda(const struct plan *p, const struct config *cfg, const char *tool_path,
                      int nspecs, char **specs, struct strv *out)
{
    struct strv args = STRV_INIT;
    strv_push(&args, "install");
    strv_extend(&args, specs, (size_t)nspecs);
    strv_push(&args, "-c");
    strv_push(&args, "pytorch");
    strv_extend(&args, p->extra.v, p->extra.n);
    struct conda_job job;
    char *err = NULL;
    int r = 1;
    if (conda_job_init(&job, cfg, (int)args.n, args.v, &err)) {
        errorf("%s", err);
        free(err);
        goto out;
    }
    char cuda[16];
    struct conda_target t = { p->subdir, p->python, { CONDASELECT_UNKNOWN, NULL, 0 } };
    if (!strcmp(p->backend, "cpu")) {
        t.variant.kind = CONDASELECT_CPU;
    } else if (plan_cuda_version(p->backend, cuda, sizeof cuda) == 0) {
        t.variant.kind = CONDASELECT_CUDA;
        t.variant.cuda = cuda;
        t.variant.cuda_is_max = p->cuda_is_max;
    } else if (p->backend[0]) {
        errorf("the pytorch conda channel has no %s builds: use --tool pip", p->backend);
        goto out;
    }
    switch (resolve_conda(&job, &t)) {
    case RESOLVE_OK: break;
    case RESOLVE_NO_MIRROR: errorf("no conda mirror could be reached"); goto out;
    case RESOLVE_NONE_FITS: goto out;
    }
    conda_job_rewrite_channels(&job);
    conda_job_emit(&job, tool_path, out);
    for (size_t i = 0; i < job.notes.n; i++)
        verbosef("%s", job.notes.v[i]);
    r = 0;
out:
    conda_job_free(&job);
    strv_clear(&args);
    return r;
}

static int plan_pip(const struct plan *p, const struct config *cfg, const char *tool_path,
                    int nspecs, char **specs, struct strv *out)
{
    struct strv args = STRV_INIT;
    strv_push(&args, "install");
    strv_extend(&args, specs, (size_t)nspecs);
    if (p->backend[0]) {
        strv_push(&args, "--index-url");
        strv_pushf(&args, "https://download.pytorch.org/whl/%s", p->backend);
    }
    strv_extend(&args, p->extra.v, p->extra.n);
    struct pip_job job;
    char *err = NULL;
    int r = 1;
    if (pip_job_init(&job, cfg, tool_path, (int)args.n, args.v, &err)) {
        errorf("%s", err);
        free(err);
        goto out;
    }
    switch (resolve_pip(&job, p->backend, p->python, p->subdir)) {
    case RESOLVE_OK: break;
    case RESOLVE_NO_MIRROR: errorf("no wheels mirror could be reached"); goto out;
    case RESOLVE_NONE_FITS: goto out;
    }
    if (pip_job_rewrite_sources(&job, &err) || pip_job_emit(&job, tool_path, out, &err)) {
        errorf("%s", err);
        free(err);
        goto out;
    }
    for (size_t i = 0; i < job.notes.n; i++)
        verbosef("%s", job.notes.v[i]);
    r = 0;
out:
    pip_job_free(&job);
    strv_clear(&args);
    return r;
}

int plan_command(const struct plan *p, const struct config *cfg, const char *tool_path,
                 int nspecs, char **specs, struct strv *out)
{
    return p->tool == TOOL_CONDA ? plan_conda(p, cfg, tool_path, nspecs, specs, out)
                                 : plan_pip(p, cfg, tool_path, nspecs, specs, out);
}
