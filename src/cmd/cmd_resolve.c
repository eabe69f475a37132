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

#include "answer.h"
#include "commands.h"
#include "config.h"
#include "msg.h"
#include "plan.h"
#include "resolve_conda.h"
#include "resolve_pip.h"

static int usage(void)
{
    errorf("usage: torchshim resolve [--tool conda|pip] [--platform SUBDIR] [--python X.Y] "
           "[--backend cpu|cuXYZ|rocmX.Y] SPEC...");
    return 2;
}

int cmd_resolve(int argc, char **argv)
{
    struct plan p = PLAN_INIT;
    p.tool = TOOL_CONDA;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!v)
            return usage();
        if (!strcmp(a, "--tool")) {
            if (!strcmp(v, "pip"))
                p.tool = TOOL_PIP;
            else if (!strcmp(v, "conda"))
                p.tool = TOOL_CONDA;
            else
                return usage();
        } else if (!strcmp(a, "--platform")) {
            p.subdir = v;
        } else if (!strcmp(a, "--python")) {
            p.python = v;
        } else if (!strcmp(a, "--backend")) {
            if (plan_set_backend(&p, v))
                return usage();
        } else {
            return usage();
        }
        i++;
    }
    if (i >= argc)
        return usage();

    struct config cfg;
    char *err = NULL;
    if (config_load(&cfg, &err)) {
        errorf("configuration: %s", err);
        free(err);
        config_free(&cfg);
        return 1;
    }
    struct strv out = STRV_INIT;
    int r = plan_command(&p, &cfg, p.tool == TOOL_PIP ? "pip" : "conda", argc - i, argv + i, &out);
    if (r == 0) {
        struct answer ans = { -1, 0 };
        answer_exec(&ans, &out, NULL);
    }
    strv_clear(&out);
    config_free(&cfg);
    return r;
}
