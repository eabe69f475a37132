/* pipcmd.c — see pipcmd.h. */
#include "pipcmd.h"

#include <string.h>

#define V 1  /* takes a value */

/* General options: pip/_internal/cli/cmdoptions.py general_group. */
static const struct optdef pip_general[] = {
    { "help", 'h', 0, PIP_HELP },
    { "debug", 0, 0, PIP_OTHER },
    { "isolated", 0, 0, PIP_ISOLATED },
    { "require-virtualenv", 0, 0, PIP_OTHER },
    { "require-venv", 0, 0, PIP_OTHER },
    { "python", 0, V, PIP_PYTHON },
    { "verbose", 'v', 0, PIP_OTHER },
    { "version", 'V', 0, PIP_OTHER },
    { "quiet", 'q', 0, PIP_OTHER },
    { "log", 0, V, PIP_OTHER },
    { "log-file", 0, V, PIP_OTHER },
    { "local-log", 0, V, PIP_OTHER },
    { "no-input", 0, 0, PIP_OTHER },
    { "keyring-provider", 0, V, PIP_OTHER },
    { "proxy", 0, V, PIP_OTHER },
    { "retries", 0, V, PIP_OTHER },
    { "timeout", 0, V, PIP_OTHER },
    { "exists-action", 0, V, PIP_OTHER },
    { "trusted-host", 0, V, PIP_OTHER },
    { "cert", 0, V, PIP_OTHER },
    { "client-cert", 0, V, PIP_OTHER },
    { "cache-dir", 0, V, PIP_OTHER },
    { "no-cache-dir", 0, 0, PIP_OTHER },
    { "disable-pip-version-check", 0, 0, PIP_OTHER },
    { "no-color", 0, 0, PIP_OTHER },
    { "no-python-version-warning", 0, 0, PIP_OTHER },
    { "use-feature", 0, V, PIP_OTHER },
    { "use-deprecated", 0, V, PIP_OTHER },
    { "resume-retries", 0, V, PIP_OTHER },
    OPTDEF_END,
};

/* Options of install, download and wheel (a superset: pip itself rejects an
 * option the subcommand lacks, which is its message to give, not ours). */
static const struct optdef pip_install[] = {
    { "requirement", 'r', V, PIP_REQUIREMENT },
    { "constraint", 'c', V, PIP_CONSTRAINT },
    { "editable", 'e', V, PIP_EDITABLE },
    { "group", 0, V, PIP_OTHER },
    { "no-deps", 0, 0, PIP_OTHER },
    { "pre", 0, 0, PIP_PRE },
    { "dry-run", 0, 0, PIP_OTHER },
    { "target", 't', V, PIP_OTHER },
    { "platform", 0, V, PIP_PLATFORM },
    { "python-version", 0, V, PIP_PYTHON_VERSION },
    { "implementation", 0, V, PIP_PLATFORM },
    { "abi", 0, V, PIP_PLATFORM },
    { "user", 0, 0, PIP_OTHER },
    { "root", 0, V, PIP_OTHER },
    { "prefix", 0, V, PIP_OTHER },
    { "src", 0, V, PIP_OTHER },
    { "upgrade", 'U', 0, PIP_OTHER },
    { "upgrade-strategy", 0, V, PIP_OTHER },
    { "force-reinstall", 0, 0, PIP_OTHER },
    { "ignore-installed", 'I', 0, PIP_OTHER },
    { "ignore-requires-python", 0, 0, PIP_OTHER },
    { "no-build-isolation", 0, 0, PIP_OTHER },
    { "use-pep517", 0, 0, PIP_OTHER },
    { "no-use-pep517", 0, 0, PIP_OTHER },
    { "check-build-dependencies", 0, 0, PIP_OTHER },
    { "break-system-packages", 0, 0, PIP_OTHER },
    { "config-settings", 'C', V, PIP_OTHER },
    { "global-option", 0, V, PIP_OTHER },
    { "install-option", 0, V, PIP_OTHER },
    { "build-option", 0, V, PIP_OTHER },
    { "compile", 0, 0, PIP_OTHER },
    { "no-compile", 0, 0, PIP_OTHER },
    { "no-warn-script-location", 0, 0, PIP_OTHER },
    { "no-warn-conflicts", 0, 0, PIP_OTHER },
    { "no-binary", 0, V, PIP_OTHER },
    { "only-binary", 0, V, PIP_OTHER },
    { "prefer-binary", 0, 0, PIP_OTHER },
    { "require-hashes", 0, 0, PIP_OTHER },
    { "progress-bar", 0, V, PIP_OTHER },
    { "root-user-action", 0, V, PIP_OTHER },
    { "report", 0, V, PIP_OTHER },
    { "no-clean", 0, 0, PIP_OTHER },
    { "index-url", 'i', V, PIP_INDEX_URL },
    { "extra-index-url", 0, V, PIP_EXTRA_INDEX_URL },
    { "no-index", 0, 0, PIP_NO_INDEX },
    { "find-links", 'f', V, PIP_FIND_LINKS },
    { "dest", 'd', V, PIP_OTHER },        /* download */
    { "wheel-dir", 'w', V, PIP_OTHER },   /* wheel */
    OPTDEF_END,
};

int pipcmd_installs(const char *subcmd)
{
    return subcmd && (!strcmp(subcmd, "install") || !strcmp(subcmd, "download") ||
                      !strcmp(subcmd, "wheel"));
}

static const struct optdef *pip_subtable(const char *subcmd)
{
    return pipcmd_installs(subcmd) ? pip_install : NULL;
}

const struct optdef *pipcmd_option(int id)
{
    const struct optdef *o = optdef_by_id(pip_install, id);
    return o ? o : optdef_by_id(pip_general, id);
}

int pipcmd_parse(int argc, char *const *argv, struct cmdline *out, char **err)
{
    return cmdline_parse(argc, argv, pip_general, pip_subtable, out, err);
}
