/* condacmd.h — conda, mamba and micromamba command lines (argparse):
 * install, create, update/upgrade and their options; env create/update. */
#ifndef TORCHSHIM_CONDACMD_H
#define TORCHSHIM_CONDACMD_H

#include "cmdline.h"

enum conda_opt {
    CONDA_OTHER = 0,
    CONDA_CHANNEL,           /* -c, --channel */
    CONDA_OVERRIDE_CHANNELS, /* --override-channels */
    CONDA_NAME,              /* -n, --name */
    CONDA_PREFIX,            /* -p, --prefix */
    CONDA_SUBDIR,            /* --subdir, --platform */
    CONDA_FILE,              /* --file (micromamba: -f) */
    CONDA_DRY_RUN,           /* -d, --dry-run */
    CONDA_HELP,              /* -h */
};

/* install, create, update, upgrade */
int condacmd_installs(const char *subcmd);

const struct optdef *condacmd_option(int id);

int condacmd_parse(int argc, char *const *argv, struct cmdline *out, char **err);

/* The words after `conda env` / `mamba env`: "create|update [options]"
 * (the first word is the subcommand; -f/--file, -n, -p, --prune, ...). */
int condacmd_parse_env(int argc, char *const *argv, struct cmdline *out, char **err);

#endif
