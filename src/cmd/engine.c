/* engine.c — torchshim-engine: the resolver the front end starts when a
 * command installs PyTorch packages, and torchshim's heavier commands.
 *
 *   torchshim-engine shim --result-fd N pip|conda NAME REAL -- ARGS...
 *       plan/resolve/rewrite ARGS for the real tool REAL and answer on fd N
 *       (protocol in shim/run.h). Any failure answers the original command.
 *   torchshim-engine install|resolve|doctor|mirrors|cache|init ...
 *
 * Not meant to be run by hand: `torchshim <command>` runs it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "msg.h"

static const struct engine_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
} engine_cmds[] = {
    { "shim", cmd_shim },
    { "cache", cmd_cache },
    { "resolve", cmd_resolve },
    { "install", cmd_install },
    { "doctor", cmd_doctor },
    { "mirrors", cmd_mirrors },
};

int main(int argc, char **argv)
{
    msg_init_from_env();
    if (argc < 2) {
        errorf("torchshim-engine is run by torchshim; try `torchshim help`");
        return 2;
    }
    for (size_t i = 0; i < sizeof engine_cmds / sizeof *engine_cmds; i++)
        if (!strcmp(argv[1], engine_cmds[i].name))
            return engine_cmds[i].fn(argc - 1, argv + 1);
    errorf("unknown engine command '%s'", argv[1]);
    return 2;
}
