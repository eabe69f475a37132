/* cmd_resolve.c — torchshim resolve: print the exact command an install
 * would run, without running it.
 *
 *   torchshim resolve [--tool conda|pip] [--platform SUBDIR] [--python X.Y]
 *                     [--backend cpu|cuXYZ|rocmX.Y] SPEC...
 *
 * conda: `conda install SPEC... -c pytorch` resolved against the conda mirror
 *        (pytorch-cuda / cpuonly added for the backend, -c nvidia with it);
 * pip:   `pip install SPEC... --index-url download.pytorch.org/whl/<backend>`
 *        resolved against the wheels mirror. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "msg.h"
#include "plan.h"

enum { OPT_TOOL = 100, OPT_PLATFORM, OPT_PYTHON, OPT_BACKEND };

static const struct optdef resolve_opts[] = {
    { "tool", 0, 1, OPT_TOOL },
    { "platform", 0, 1, OPT_PLATFORM },
    { "python", 0, 1, OPT_PYTHON },
    { "backend", 0, 1, OPT_BACKEND },
    OPTDEF_END,
};

static int run(struct cmd_ctx *c)
{
    struct plan p = PLAN_INIT;
    const char *tool = cmd_opt(c, OPT_TOOL), *backend = cmd_opt(c, OPT_BACKEND);
    p.tool = tool && !strcmp(tool, "pip") ? TOOL_PIP : TOOL_CONDA;
    if (tool && strcmp(tool, "pip") && strcmp(tool, "conda"))
        return cmd_usage_error(c, "--tool %s: pip or conda", tool);
    if (backend && plan_set_backend(&p, backend))
        return cmd_usage_error(c, "--backend %s: cpu, cuXYZ or rocmX.Y", backend);
    p.subdir = cmd_opt(c, OPT_PLATFORM);
    p.python = cmd_opt(c, OPT_PYTHON);
    strv_extend(&p.extra, c->rest, (size_t)c->nrest);
    if (!c->args.n)
        return cmd_usage_error(c, "name the packages (e.g. pytorch torchvision)");
    struct run_result res = RUN_RESULT_INIT;
    enum run_outcome o = plan_command(&p, &c->cfg, p.tool == TOOL_PIP ? "pip" : "conda",
                                      (int)c->args.n, c->args.v, &res);
    int r = cmd_plan_said(&res, o);
    if (r == 0)
        r = answer_exec(&c->ans, &res.argv, NULL);
    run_result_free(&res);
    strv_clear(&p.extra);
    return r;
}

const struct engine_cmd cmd_resolve = {
    "resolve", run, CMD_CONFIG, resolve_opts,
    "usage: torchshim resolve [--tool conda|pip] [--platform SUBDIR] [--python X.Y]\n"
    "                         [--backend cpu|cuXYZ|rocmX.Y] SPEC... [-- TOOL OPTIONS]\n"
    "\n"
    "Print the exact command an install of SPEC would run, resolved on the\n"
    "mirrors, without running it.\n"
    "\n"
    "  --tool conda|pip    conda (default): conda install SPEC -c pytorch;\n"
    "                      pip: pip install SPEC --index-url .../whl/BACKEND\n"
    "  --platform SUBDIR   another platform (linux-64, win-64, osx-arm64, ...)\n"
    "  --python X.Y        the target Python (default: the environment's)\n"
    "  --backend VARIANT   cpu, cu121, rocm6.1, ...\n",
};
