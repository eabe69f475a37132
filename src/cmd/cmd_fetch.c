/* cmd_fetch.c — torchshim fetch: resolve like `torchshim resolve --tool
 * pip` and download the pinned wheels (all of them, whatever their size:
 * prefetch.h, several connections, resumable, verified) into a directory,
 * printing their paths; for machines without network, which then run
 * `pip install` on the files.
 *
 *   torchshim fetch [--dest DIR] [--backend cpu|cuXYZ|rocmX.Y] [--python X.Y]
 *                   [--platform SUBDIR] [--quiet] PKG... [-- PIP OPTIONS]
 *
 * Exit status: 0 every wheel is in DIR and verified; 1 not (said why);
 * 2 usage; 128 + signal when interrupted (the part files stay in DIR: the
 * same command resumes them). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fetchcfg.h"
#include "fileio.h"
#include "findtool.h"
#include "msg.h"
#include "pip_run.h"
#include "pipfetch.h"
#include "plan.h"
#include "prefetch.h"

enum { OPT_DEST = 100, OPT_BACKEND, OPT_PYTHON, OPT_PLATFORM, OPT_QUIET };

static const struct optdef fetch_opts[] = {
    { "dest", 'd', 1, OPT_DEST },
    { "backend", 0, 1, OPT_BACKEND },
    { "python", 0, 1, OPT_PYTHON },
    { "platform", 0, 1, OPT_PLATFORM },
    { "quiet", 'q', 0, OPT_QUIET },
    OPTDEF_END,
};

/* The pip whose Python the wheels are for, as the shim would find it (never
 * torchshim itself); "pip" when --python names the Python. NULL after
 * saying why. */
static char *real_pip(const struct plan *p)
{
    struct self_id self;
    char *real = NULL, *err = NULL;
    if (p->python)
        return xstrdup("pip");
    self_identify_path(&self, getenv("TORCHSHIM_FRONT"));
    if (findtool_locate("pip", MODE_PIP, &self, NULL, &real, &err) == 0)
        return real;
    errorf("%s (or name the Python: --python X.Y)", err);
    free(err);
    return NULL;
}

/* Resolve the packages as `pip install PKG... --index-url
 * download.pytorch.org/whl/BACKEND` would be (plan.c's pip plan) and take
 * the pinned wheels. 0, or the exit status after saying why. */
static int resolve_wheels(struct cmd_ctx *c, const struct plan *p, struct pipfetch_wheels *w)
{
    struct strv args = STRV_INIT;
    strv_push(&args, "install");
    strv_extend(&args, c->args.v, c->args.n);
    if (p->backend[0]) {
        strv_push(&args, "--index-url");
        strv_pushf(&args, "https://download.pytorch.org/whl/%s", p->backend);
    }
    strv_extend(&args, c->rest, (size_t)c->nrest);
    struct pip_target t = {
        .variant = p->backend[0] ? p->backend : NULL, .python = p->python, .subdir = p->subdir, .plan = 1,
    };
    struct pip_run_opts o = { .target = &t, .wheels = w };
    struct run_result res = RUN_RESULT_INIT;
    char *pip = real_pip(p);
    int r = 1;
    if (pip)
        r = cmd_plan_said(&res, pip_run_with(&c->cfg, pip, (int)args.n, args.v, &o, &res));
    free(pip);
    run_result_free(&res);
    strv_clear(&args);
    if (r == 0 && !w->n) {
        errorf("no wheel was pinned: name the variant (--backend cpu, cu121, ...) or an exact "
               "build (torch==2.3.1+cu121)");
        r = 1;
    }
    return r;
}

/* DIR made absolute (created if missing); malloc'd, or NULL after saying why. */
static char *dest_dir(const char *dir)
{
    char *err = NULL, abs[PATH_MAX];
    if (mkdir_p(dir, 0755, &err)) {
        errorf("%s", err);
        free(err);
        return NULL;
    }
    if (!realpath(dir, abs)) {
        errorf("%s: cannot resolve the path", dir);
        return NULL;
    }
    return xstrdup(abs);
}

static int download(struct cmd_ctx *c, struct pipfetch_wheels *w, const char *dir)
{
    struct prefetch_item *items = xcalloc(w->n, sizeof *items);
    char **dests = xcalloc(w->n, sizeof *dests), *err = NULL;
    int allow_http = 0, signo = 0, r = 0;
    for (size_t i = 0; i < w->n; i++) {
        dests[i] = xasprintf("%s/%s", dir, w->v[i].filename);
        items[i] = (struct prefetch_item){ .urls = (const char *const *)w->v[i].urls.v,
                                           .nurls = w->v[i].urls.n, .dest = dests[i],
                                           .size = w->v[i].size, .sha256 = w->v[i].sha256 };
        for (size_t k = 0; k < w->v[i].urls.n; k++)
            allow_http |= !strncmp(w->v[i].urls.v[k], "http:", 5);
    }
    struct fetch_opts fo;
    fetch_opts_from_config(&fo, &c->cfg, allow_http);
    struct prefetch_opts po = { .connections = c->cfg.prefetch_connections, .fetch = &fo,
                                .progress = 1, .quiet = cmd_has(c, OPT_QUIET) };
    int st = prefetch_files(items, w->n, &po, &signo, &err);
    for (size_t i = 0; i < w->n; i++) {
        if (items[i].ok)
            printf("%s\n", items[i].dest);
        else if (st != PREFETCH_INTERRUPTED)
            errorf("%s: %s", w->v[i].filename, items[i].error ? items[i].error : "?");
        prefetch_item_clear(&items[i]);
        free(dests[i]);
    }
    if (st == PREFETCH_INTERRUPTED) {
        errorf("interrupted: the part files in %s resume when the same command runs again", dir);
        r = 128 + signo;
    } else if (st != PREFETCH_OK) {
        r = 1;
    } else if (!cmd_has(c, OPT_QUIET)) {
        notef("%zu wheel(s) in %s: pip install %s/*.whl (torchshim fetch --help: offline)", w->n,
              dir, dir);
    }
    free(err);
    free(items);
    free(dests);
    return fflush(stdout) && !r ? 1 : r;
}

static int run(struct cmd_ctx *c)
{
    struct plan p = PLAN_INIT;
    const char *backend = cmd_opt(c, OPT_BACKEND), *d = cmd_opt(c, OPT_DEST);
    if (backend && plan_set_backend(&p, backend))
        return cmd_usage_error(c, "--backend %s: cpu, cuXYZ or rocmX.Y", backend);
    if (!c->args.n)
        return cmd_usage_error(c, "name the packages (e.g. torch torchvision)");
    p.python = cmd_opt(c, OPT_PYTHON);
    p.subdir = cmd_opt(c, OPT_PLATFORM);
    struct pipfetch_wheels w = { 0 };
    int r = resolve_wheels(c, &p, &w);
    char *dir = r ? NULL : dest_dir(d && *d ? d : ".");
    if (!r)
        r = dir ? download(c, &w, dir) : 1;
    free(dir);
    pipfetch_wheels_free(&w);
    return r;
}

const struct engine_cmd cmd_fetch = {
    "fetch", run, CMD_CONFIG, fetch_opts,
    "usage: torchshim fetch [--dest DIR] [--backend cpu|cuXYZ|rocmX.Y] [--python X.Y]\n"
    "                       [--platform SUBDIR] [--quiet] PKG... [-- PIP OPTIONS]\n"
    "\n"
    "Resolve PKG as `torchshim resolve --tool pip` does and download the pinned\n"
    "PyTorch wheels (all of them, whatever their size) into DIR: several\n"
    "connections per file, across the configured wheels mirrors, checked against\n"
    "the listing's sha256. Prints each file's path. Interrupted, the same command\n"
    "resumes; a file already in DIR and verified is not downloaded again.\n"
    "\n"
    "  --dest DIR          where the wheels go (default: the current directory)\n"
    "  --backend VARIANT   cpu, cu121, rocm6.1, ...\n"
    "  --python X.Y        the target Python (default: the one pip runs)\n"
    "  --platform SUBDIR   another platform (linux-64, win-64, osx-arm64, ...)\n"
    "  --quiet, -q         no progress line\n"
    "\n"
    "For a machine without network: the PyTorch wheels come from here; their\n"
    "dependencies (filelock, sympy, nvidia-* ...) from `pip download`:\n"
    "  torchshim fetch --dest wheels --backend cu121 torch torchvision\n"
    "  pip download -d wheels wheels/*.whl        # the dependencies, beside them\n"
    "then, offline:\n"
    "  pip install --no-index --find-links wheels wheels/torch-*.whl wheels/torchvision-*.whl\n"
    "(or simply `pip install wheels/*.whl` where the dependencies are installed).\n",
};
