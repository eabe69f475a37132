/* condarc.h — conda's configuration as conda (or libmamba) itself sees it:
 * the channel settings of every .condarc/.mambarc on the search path and of
 * the environment, merged the way the tool merges them, each value with the
 * file it came from ("conda-forge from /opt/miniforge3/.condarc").
 *
 * Search path, lowest precedence first (conda's documented SEARCH_PATH,
 * docs "Using the .condarc conda configuration file: Searching for .condarc"):
 *   CONDARC_CONDA (conda; also mamba 1.x, which runs on conda's configuration)
 *     S/etc/conda/{.condarc,condarc,condarc.d/}
 *     S/var/lib/conda/{.condarc,condarc,condarc.d/}
 *     ROOT/{.condarc,condarc,condarc.d/}            ROOT = $CONDA_ROOT, the installation
 *     $XDG_CONFIG_HOME/conda/{.condarc,condarc,condarc.d/}
 *     ~/.config/conda/{.condarc,condarc,condarc.d/}
 *     ~/.conda/{.condarc,condarc,condarc.d/}
 *     ~/.condarc
 *     PREFIX/{.condarc,condarc,condarc.d/}          PREFIX = the target environment
 *     $CONDARC
 *     then the environment variables CONDA_CHANNELS (or CONDA_CHANNEL),
 *     CONDA_DEFAULT_CHANNELS, CONDA_CHANNEL_ALIAS, CONDA_PKGS_DIRS,
 *     CONDA_OVERRIDE_CHANNELS_ENABLED, CONDA_CHANNEL_PRIORITY (lists split
 *     on ",").
 *   CONDARC_MAMBA (libmamba: micromamba, mamba 2.x; mamba's documented order)
 *     S/etc/conda/{.condarc,condarc,condarc.d/,.mambarc}, the same under S/var/lib/conda
 *     ROOT/{.condarc,condarc,condarc.d/,.mambarc}   ROOT = $MAMBA_ROOT_PREFIX
 *     {$XDG_CONFIG_HOME or ~/.config}/conda/{.condarc,condarc,condarc.d/}
 *     ~/.conda/{.condarc,condarc,condarc.d/}, ~/.condarc
 *     {$XDG_CONFIG_HOME or ~/.config}/mamba/{.mambarc,mambarc,mambarc.d/}
 *     ~/.mamba/{.mambarc,mambarc,mambarc.d/}, ~/.mambarc
 *     PREFIX/{.condarc,condarc,condarc.d/,.mambarc}
 *     $CONDARC, $MAMBARC
 *     then CONDA_CHANNELS, MAMBA_DEFAULT_CHANNELS, MAMBA_CHANNEL_ALIAS,
 *     CONDA_PKGS_DIRS, MAMBA_OVERRIDE_CHANNELS_ENABLED, MAMBA_CHANNEL_PRIORITY.
 * A path listed twice counts once, at its first (lowest) place. A directory
 * in the path (the "*.d/" entries, and any other entry that is a directory,
 * as conda does) contributes its *.yml and *.yaml files in name order.
 *
 * Merging (conda's common/configuration.py; libmamba the same without
 * flags):
 *   lists (channels, default_channels, pkgs_dirs): the highest-precedence
 *     source's items first, duplicates dropped (the first kept), items
 *     marked "#!top" before and "#!bottom" after the rest;
 *   custom_channels: merged key by key, the highest precedence wins, an
 *     entry marked "#!final" wins over later ones;
 *   scalars (channel_alias, channel_priority, override_channels_enabled):
 *     the highest precedence wins;
 *   a key marked "#!final" (`channels: #!final`) in a file stops every
 *     higher-precedence file (and the environment) from changing that key.
 *   Values of channels, default_channels, custom_channels, channel_alias
 *   and pkgs_dirs have $VAR and ${VAR} expanded from the environment given
 *   (unknown variables are kept as written); pkgs_dirs also "~/".
 * When no source sets a key, conda's built-in default applies (set == 0):
 * channels [defaults] (conda; libmamba has none), default_channels
 * [https://repo.anaconda.com/pkgs/main, .../pkgs/r], channel_alias
 * https://conda.anaconda.org, custom_channels {pkgs/pro:
 * https://repo.anaconda.com} (conda).
 *
 * Robustness: a file that cannot be used (not a regular file or directory,
 * e.g. a FIFO, which is never opened; unreadable; larger than
 * CONDARC_MAX_BYTES; not YAML; not a mapping; a key of the wrong type) is
 * recorded in files[] with its error and left out (for a wrong-typed key,
 * only that key); loading itself never fails and never blocks. The caller
 * decides what a broken file means (it must never keep the user from
 * running conda).
 *
 * Memory: struct condarc owns everything in it; every `source` points into
 * it (valid until condarc_free). struct condarc_roots only borrows, except
 * what condarc_roots_from_env allocated (condarc_roots_free). */
#ifndef TORCHSHIM_CONDARC_H
#define TORCHSHIM_CONDARC_H

#include <stddef.h>

#include "strv.h"

#define CONDARC_MAX_BYTES (1024 * 1024)
#define CONDARC_MAX_DIR_FILES 256
#define CONDARC_DEFAULT_ALIAS "https://conda.anaconda.org"
/* the source of built-in defaults */
#define CONDARC_BUILTIN "built-in default"

enum condarc_tool { CONDARC_CONDA, CONDARC_MAMBA };

struct condarc_roots {
    enum condarc_tool tool;
    const char *sysroot;      /* prefix of /etc/conda and /var/lib/conda: NULL or "" = / */
    const char *home;         /* ~; NULL: no user files */
    const char *xdg_config_home;  /* $XDG_CONFIG_HOME or NULL */
    const char *root_prefix;  /* ROOT above, or NULL */
    const char *env_prefix;   /* PREFIX above: the environment conda will change
                                 (conda uses the -n/-p target of install, create,
                                 update, remove; else $CONDA_PREFIX), or NULL */
    const char *condarc;      /* $CONDARC or NULL */
    const char *mambarc;      /* $MAMBARC or NULL (libmamba only) */
    char *const *env;         /* "NAME=value" strings, NULL-terminated, for the
                                 variables above and $VAR expansion; NULL = none */
    char *owned[2];           /* condarc_roots_from_env's allocations */
};

/* Fill R for TOOL from the process environment: HOME, XDG_CONFIG_HOME,
 * CONDARC, MAMBARC, environ; env_prefix = ENV_PREFIX if not NULL, else
 * $CONDA_PREFIX; root_prefix = $CONDA_ROOT (conda) or $MAMBA_ROOT_PREFIX
 * (libmamba), else the installation that holds TOOL_EXE (or $CONDA_EXE /
 * $MAMBA_EXE when TOOL_EXE is NULL): realpath, then two levels up
 * (/opt/miniforge3/bin/conda -> /opt/miniforge3). */
void condarc_roots_from_env(struct condarc_roots *r, enum condarc_tool tool,
                            const char *tool_exe, const char *env_prefix);
void condarc_roots_free(struct condarc_roots *r);

/* The installation root holding executable EXE (see above), malloc'd, or
 * NULL when EXE does not resolve. */
char *condarc_root_of_exe(const char *exe);

struct condarc_entry {
    char *key;            /* custom_channels: the channel name; NULL in lists */
    char *value;
    const char *source;   /* file path, environment variable name, or CONDARC_BUILTIN */
};

struct condarc_list {
    struct condarc_entry *v;
    size_t n;
    int set;              /* some source set the key (even to an empty list) */
};

struct condarc_file {
    char *path;
    char *error;          /* NULL when the file was used */
};

struct condarc {
    enum condarc_tool tool;
    struct condarc_file *files;   /* every file found, lowest precedence first */
    size_t nfiles;
    struct condarc_list channels;
    struct condarc_list default_channels;
    struct condarc_list custom_channels;   /* entries with key = name, value = URL root */
    struct condarc_list pkgs_dirs;
    struct condarc_entry channel_alias;    /* value never NULL (trailing "/" cut) */
    struct condarc_entry channel_priority; /* value NULL when not set */
    struct condarc_entry override_channels_enabled;  /* value NULL when not set */
    struct strv sources_;                  /* storage for `source` strings */
    char *home_;                           /* for "~/" in channel paths */
};

/* Read every file of the search path given by R and merge them with R's
 * environment. Returns how many files had errors (left out wholly, or for
 * a wrong-typed key only that key; the errors are in cfg->files[]); the
 * configuration holds everything else. */
int condarc_load(struct condarc *cfg, const struct condarc_roots *r);
void condarc_free(struct condarc *cfg);

/* Does override_channels_enabled allow --override-channels (default yes)? */
int condarc_override_channels_enabled(const struct condarc *cfg);

/* How the tool reads a channel value (a -c value, a channels: entry). */
enum condarc_via {
    CONDARC_VIA_URL,        /* a URL: used as it is (trailing "/" cut) */
    CONDARC_VIA_PATH,       /* a local path: file:// URL */
    CONDARC_VIA_DEFAULTS,   /* "defaults": the default_channels, each resolved */
    CONDARC_VIA_CUSTOM,     /* a name under custom_channels (or a default_channels
                               member's name, e.g. pkgs/main): ROOT/NAME */
    CONDARC_VIA_ALIAS,      /* any other name: channel_alias/NAME */
    CONDARC_VIA_LOCAL,      /* "local": conda-build's local channel (no URL) */
    CONDARC_VIA_NODEFAULTS  /* "nodefaults" (environment.yml): no URL */
};

/* Resolve CHANNEL (a name like "pytorch" or "pytorch/label/nightly", possibly
 * ending in a subdir like "/linux-64", which is kept in the URL; "defaults";
 * a URL; a path) the way conda does: push its URL(s) to URLS, and set
 * *SOURCE (may be NULL) to the source of the setting that decided it
 * (custom_channels entry, default_channels, channel_alias; NULL for URLs and
 * paths). */
enum condarc_via condarc_channel_resolve(const struct condarc *cfg, const char *channel,
                                         struct strv *urls, const char **source);

#endif
