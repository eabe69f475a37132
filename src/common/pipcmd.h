/* pipcmd.h — pip's command line, as pip's optparse reads it: the general
 * options (valid before and after the subcommand) and the options of
 * install, download and wheel, from pip/_internal/cli/cmdoptions.py. */
#ifndef TORCHSHIM_PIPCMD_H
#define TORCHSHIM_PIPCMD_H

#include "cmdline.h"

enum pip_opt {
    PIP_OTHER = 0,
    PIP_INDEX_URL,       /* -i, --index-url */
    PIP_EXTRA_INDEX_URL, /* --extra-index-url */
    PIP_FIND_LINKS,      /* -f, --find-links */
    PIP_NO_INDEX,        /* --no-index */
    PIP_PRE,             /* --pre */
    PIP_REQUIREMENT,     /* -r, --requirement */
    PIP_CONSTRAINT,      /* -c, --constraint */
    PIP_EDITABLE,        /* -e, --editable */
    PIP_ISOLATED,        /* --isolated: ignore env vars and config files */
    PIP_PYTHON,          /* --python */
    PIP_PLATFORM,        /* --platform, --abi, --implementation: another target */
    PIP_PYTHON_VERSION,  /* --python-version */
    PIP_HELP,            /* -h */
};

/* Does SUBCMD install packages (install, download, wheel)? */
int pipcmd_installs(const char *subcmd);

/* pip's option for ID (PIP_INDEX_URL, ...). */
const struct optdef *pipcmd_option(int id);

int pipcmd_parse(int argc, char *const *argv, struct cmdline *out, char **err);

#endif
