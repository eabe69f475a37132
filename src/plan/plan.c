/* plan.c — see plan.h. */
#include "plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conda_run.h"
#include "condaroute.h"
#include "msg.h"
#include "pip_run.h"
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

/* The variant into T: cpu, or CUDA up to the backend's version (the
 * newest the driver runs when detected). -1 for a backend conda lacks. */
static int conda_variant(const struct plan *p, struct conda_target *t, char *cuda, size_t n,
                         struct run_result *res)
{
    if (!strcmp(p->backend, "cpu")) {
        t->variant.kind = CONDASELECT_CPU;
    } else if (plan_cuda_version(p->backend, cuda, n) == 0) {
        t->variant.kind = CONDASELECT_CUDA;
        t->variant.cuda = cuda;
        t->variant.cuda_is_max = p->cuda_is_max;
    } else if (p->backend[0]) {
        res->error = xasprintf("the conda channels have no %s builds: use --tool pip",
                               p->backend);
        return -1;
    }
    return 0;
}

/* The pytorch channel for releases it has (up to 2.5.1), conda-forge for
 * the newer ones (condaroute.h): "install SPECS -c pytorch|conda-forge". */
static enum run_outcome plan_conda(const struct plan *p, const struct config *cfg,
                                   const char *tool_path, int nspecs, char **specs,
                                   struct run_result *res)
{
    char cuda[16];
    struct conda_target t = { p->subdir, p->python, { CONDASELECT_UNKNOWN, NULL, 0 }, 1, 0 };
    if (conda_variant(p, &t, cuda, sizeof cuda, res) < 0)
        return RUN_REFUSED;
    t.forge = conda_route_for(cfg, specs, (size_t)nspecs) == CONDA_ROUTE_FORGE;
    if (t.forge && t.variant.kind == CONDASELECT_UNKNOWN)
        t.variant.kind = CONDASELECT_CPU;   /* conda-forge's pytorch-cpu */
    struct strv args = STRV_INIT;
    strv_push(&args, "install");
    strv_extend(&args, specs, (size_t)nspecs);
    strv_push(&args, "-c");
    strv_push(&args, t.forge ? "conda-forge" : "pytorch");
    strv_extend(&args, p->extra.v, p->extra.n);
    enum run_outcome o = conda_run(cfg, tool_path, (int)args.n, args.v, &t, 1, res);
    strv_clear(&args);
    return o;
}

static enum run_outcome plan_pip(const struct plan *p, const struct config *cfg,
                                 const char *tool_path, int nspecs, char **specs,
                                 struct run_result *res)
{
    struct strv args = STRV_INIT;
    strv_push(&args, "install");
    strv_extend(&args, specs, (size_t)nspecs);
    if (p->backend[0]) {
        strv_push(&args, "--index-url");
        strv_pushf(&args, "https://download.pytorch.org/whl/%s", p->backend);
    }
    strv_extend(&args, p->extra.v, p->extra.n);
    struct pip_target t = { p->backend[0] ? p->backend : NULL, p->python, p->subdir, 1, 0 };
    enum run_outcome o = pip_run(cfg, tool_path, (int)args.n, args.v, &t, res);
    strv_clear(&args);
    return o;
}

enum run_outcome plan_command(const struct plan *p, const struct config *cfg,
                              const char *tool_path, int nspecs, char **specs,
                              struct run_result *res)
{
    return p->tool == TOOL_CONDA ? plan_conda(p, cfg, tool_path, nspecs, specs, res)
                                 : plan_pip(p, cfg, tool_path, nspecs, specs, res);
}
