/* cmd_shim.c — the front end's question: how should this pip/conda command
 * run? The pip or conda path (pip_run / conda_run), then the answer
 * (answer.h). Whatever fails (configuration, parsing, network, mirror)
 * answers the command unchanged with a warning: the shim never stands
 * between a user and their tool. Only "what you asked for does not exist"
 * (RUN_REFUSED) runs nothing.
 *
 *   torchshim-engine shim --result-fd N [--python-m] pip|conda NAME REAL -- ARGS...
 *
 * --python-m: REAL is a Python interpreter, the command `REAL -m pip ARGS`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "conda_run.h"
#include "msg.h"
#include "pip_run.h"
#include "proto.h"

enum { OPT_PYTHON_M = 100 };

static const struct optdef shim_opts[] = {
    { "python-m", 0, 0, OPT_PYTHON_M },
    OPTDEF_END,
};

/* The user's command, unchanged. */
static int original(const struct cmd_ctx *c, const char *real)
{
    if (!cmd_has(c, OPT_PYTHON_M))
        return answer_original(&c->ans, real, c->nrest, c->rest);
    struct strv cmd = STRV_INIT;
    strv_push(&cmd, real);
    strv_push(&cmd, "-m");
    strv_push(&cmd, "pip");
    strv_extend(&cmd, c->rest, (size_t)c->nrest);
    int r = answer_exec(&c->ans, &cmd, NULL);
    strv_clear(&cmd);
    return r;
}

static int answer(const struct cmd_ctx *c, const char *name, const char *real, enum run_outcome o,
                  struct run_result *res)
{
    cmd_say(&res->warnings, NULL);
    for (size_t i = 0; i < res->notes.n; i++)
        verbosef("%s: %s", name, res->notes.v[i]);
    switch (o) {
    case RUN_REWRITTEN: return answer_exec(&c->ans, &res->argv, &res->env);
    case RUN_REFUSED:
        cmd_say_error(res->error);
        return answer_quit(&c->ans, 1);
    case RUN_FAILED:
        warnf("%s: %s; running the command unchanged", name, res->error);
        break;
    case RUN_NO_MIRROR: notef("running the command unchanged"); break;
    case RUN_UNCHANGED: verbosef("%s: passing it through", name); break;
    }
    return original(c, real);
}

/* A prefetch may take longer than the announced deadline: the front end then
 * waits for as long as the download takes (the user sees its progress). */
static void lift_deadline(void *ctx)
{
    const struct cmd_ctx *c = ctx;
    proto_write_deadline(c->ans.fd, 0);
}

static int run(struct cmd_ctx *c)
{
    if (c->args.n != 3 || (strcmp(c->args.v[0], "pip") && strcmp(c->args.v[0], "conda")))
        return cmd_usage_error(c, "expected pip|conda NAME REAL -- ARGS");
    const char *mode = c->args.v[0], *name = c->args.v[1], *real = c->args.v[2];
    if (!c->have_cfg) {
        warnf("configuration: %s; running the command unchanged", c->cfg_err);
        return original(c, real);
    }
    struct run_result res = RUN_RESULT_INIT;
    struct pip_target t = { .python_m = cmd_has(c, OPT_PYTHON_M) };
    struct pip_run_opts po = {
        .target = &t, .prefetch = 1, .before_download = lift_deadline, .ctx = c,
    };
    struct conda_run_opts co = { .prefetch = 1, .before_download = lift_deadline, .ctx = c };
    enum run_outcome o = !strcmp(mode, "pip")
                             ? pip_run_with(&c->cfg, real, c->nrest, c->rest, &po, &res)
                             : conda_run_with(&c->cfg, real, c->nrest, c->rest, &co, &res);
    int r, signo = po.signo ? po.signo : co.signo;
    if (signo) {  /* interrupted while downloading: run nothing */
        cmd_say(&res.warnings, NULL);
        r = answer_quit(&c->ans, 128 + signo);
    } else {
        r = answer(c, name, real, o, &res);
    }
    run_result_free(&res);
    return r;
}

const struct engine_cmd cmd_shim = {
    "shim", run, CMD_CONFIG | CMD_SOFT_CONFIG | CMD_ANSWERS | CMD_NETWORK, shim_opts,
    "usage: torchshim-engine shim --result-fd N [--python-m] pip|conda NAME REAL -- ARGS...\n"
    "\n"
    "The front end's question, answered on descriptor N: how should this pip or\n"
    "conda command run? Not meant to be run by hand.\n",
};
