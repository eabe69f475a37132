/* condacmd.c — see condacmd.h. */
#include "condacmd.h"

#include <string.h>

#define V 1

/* Before the subcommand: conda's top-level flags; micromamba's root options. */
static const struct optdef conda_global[] = {
    { "help", 'h', 0, CONDA_HELP },
    { "version", 'V', 0, CONDA_OTHER },
    { "root-prefix", 'r', V, CONDA_OTHER },  /* micromamba */
    { "rc-file", 0, V, CONDA_OTHER },        /* micromamba */
    { "no-rc", 0, 0, CONDA_OTHER },
    { "no-env", 0, 0, CONDA_OTHER },
    { "log-level", 0, V, CONDA_OTHER },
    { "debug", 0, 0, CONDA_OTHER },
    { "no-plugins", 0, 0, CONDA_OTHER },
    OPTDEF_END,
};

/* conda install/create/update (conda/cli/helpers.py) with mamba and
 * micromamba's additions. */
static const struct optdef conda_install[] = {
    { "channel", 'c', V, CONDA_CHANNEL },
    { "override-channels", 0, 0, CONDA_OVERRIDE_CHANNELS },
    { "use-local", 0, 0, CONDA_OTHER },
    { "strict-channel-priority", 0, 0, CONDA_OTHER },
    { "no-channel-priority", 0, 0, CONDA_OTHER },
    { "channel-priority", 0, V, CONDA_OTHER },  /* micromamba */
    { "name", 'n', V, CONDA_NAME },
    { "prefix", 'p', V, CONDA_PREFIX },
    { "subdir", 0, V, CONDA_SUBDIR },
    { "platform", 0, V, CONDA_SUBDIR },
    { "file", 'f', V, CONDA_FILE },
    { "yes", 'y', 0, CONDA_OTHER },
    { "dry-run", 'd', 0, CONDA_DRY_RUN },
    { "quiet", 'q', 0, CONDA_OTHER },
    { "verbose", 'v', 0, CONDA_OTHER },
    { "json", 0, 0, CONDA_OTHER },
    { "offline", 0, 0, CONDA_OTHER },
    { "insecure", 'k', 0, CONDA_OTHER },
    { "use-index-cache", 'C', 0, CONDA_OTHER },
    { "repodata-fn", 0, V, CONDA_OTHER },
    { "experimental", 0, V, CONDA_OTHER },
    { "solver", 0, V, CONDA_OTHER },
    { "no-lock", 0, 0, CONDA_OTHER },
    { "console", 0, V, CONDA_OTHER },
    { "no-deps", 0, 0, CONDA_OTHER },
    { "only-deps", 0, 0, CONDA_OTHER },
    { "no-pin", 0, 0, CONDA_OTHER },
    { "copy", 0, 0, CONDA_OTHER },
    { "clobber", 0, 0, CONDA_OTHER },
    { "mkdir", 'm', 0, CONDA_OTHER },
    { "freeze-installed", 0, 0, CONDA_OTHER },
    { "no-update-deps", 0, 0, CONDA_OTHER },
    { "update-deps", 0, 0, CONDA_OTHER },
    { "satisfied-skip-solve", 'S', 0, CONDA_OTHER },
    { "update-all", 0, 0, CONDA_OTHER },
    { "all", 0, 0, CONDA_OTHER },
    { "update-specs", 0, 0, CONDA_OTHER },
    { "force-reinstall", 0, 0, CONDA_OTHER },
    { "download-only", 0, 0, CONDA_OTHER },
    { "show-channel-urls", 0, 0, CONDA_OTHER },
    { "no-shortcuts", 0, 0, CONDA_OTHER },
    { "shortcuts-only", 0, V, CONDA_OTHER },
    { "clone", 0, V, CONDA_OTHER },
    { "no-default-packages", 0, 0, CONDA_OTHER },
    { "dev", 0, 0, CONDA_OTHER },
    { "revision", 0, V, CONDA_OTHER },
    { "allow-downgrade", 0, 0, CONDA_OTHER },      /* micromamba */
    { "allow-uninstall", 0, 0, CONDA_OTHER },      /* micromamba */
    { "no-allow-uninstall", 0, 0, CONDA_OTHER },   /* micromamba */
    { "relocate-prefix", 0, V, CONDA_OTHER },      /* micromamba */
    { "category", 0, V, CONDA_OTHER },             /* micromamba */
    { "retry-clean-cache", 0, 0, CONDA_OTHER },    /* micromamba */
    { "trusted", 0, 0, CONDA_OTHER },              /* micromamba */
    { "no-py-pin", 0, 0, CONDA_OTHER },            /* micromamba */
    { "pyc", 0, 0, CONDA_OTHER },                  /* micromamba */
    { "no-pyc", 0, 0, CONDA_OTHER },               /* micromamba */
    { "prune", 0, 0, CONDA_OTHER },
    { "help", 'h', 0, CONDA_HELP },
    OPTDEF_END,
};

/* conda env create / update (conda/cli/main_env_create.py, main_env_update.py),
 * mamba env the same. */
static const struct optdef conda_env[] = {
    { "file", 'f', V, CONDA_FILE },
    { "name", 'n', V, CONDA_NAME },
    { "prefix", 'p', V, CONDA_PREFIX },
    { "prune", 0, 0, CONDA_OTHER },
    { "force", 0, 0, CONDA_OTHER },
    { "yes", 'y', 0, CONDA_OTHER },
    { "dry-run", 'd', 0, CONDA_DRY_RUN },
    { "quiet", 'q', 0, CONDA_OTHER },
    { "verbose", 'v', 0, CONDA_OTHER },
    { "json", 0, 0, CONDA_OTHER },
    { "console", 0, V, CONDA_OTHER },
    { "solver", 0, V, CONDA_OTHER },
    { "subdir", 0, V, CONDA_SUBDIR },
    { "platform", 0, V, CONDA_SUBDIR },
    { "no-default-packages", 0, 0, CONDA_OTHER },
    { "use-index-cache", 'C', 0, CONDA_OTHER },
    { "offline", 0, 0, CONDA_OTHER },
    { "insecure", 'k', 0, CONDA_OTHER },
    { "help", 'h', 0, CONDA_HELP },
    OPTDEF_END,
};

static const struct optdef *conda_env_subtable(const char *subcmd)
{
    return !strcmp(subcmd, "create") || !strcmp(subcmd, "update") ? conda_env : NULL;
}

int condacmd_parse_env(int argc, char *const *argv, struct cmdline *out, char **err)
{
    static const struct optdef none[] = { OPTDEF_END };
    return cmdline_parse(argc, argv, none, conda_env_subtable, out, err);
}

int condacmd_installs(const char *subcmd)
{
    return subcmd && (!strcmp(subcmd, "install") || !strcmp(subcmd, "create") ||
                      !strcmp(subcmd, "update") || !strcmp(subcmd, "upgrade"));
}

static const struct optdef *conda_subtable(const char *subcmd)
{
    return condacmd_installs(subcmd) ? conda_install : NULL;
}

const struct optdef *condacmd_option(int id)
{
    return optdef_by_id(conda_install, id);
}

int condacmd_parse(int argc, char *const *argv, struct cmdline *out, char **err)
{
    return cmdline_parse(argc, argv, conda_global, conda_subtable, out, err);
}
