/* condajob.h — a conda / mamba / micromamba command, analysed: its specs
 * (the command's and its --file's), channels, target environment. The
 * shared state of the conda path's stages:
 *
 *   condajob       parse (condacmd), read the specs (matchspec)
 *   resolve_conda  exact build strings from the channel's repodata
 *   rewrite_conda  channels to mirrors, pins in, the final argv
 *   conda_run      the stages in order, for the shim and for plans */
#ifndef TORCHSHIM_CONDAJOB_H
#define TORCHSHIM_CONDAJOB_H

#include <stddef.h>

#include "cmdline.h"
#include "condachan.h"
#include "config.h"
#include "matchspec.h"
#include "strv.h"

/* Largest --file read. */
#define CONDA_SPEC_FILE_MAX ((size_t)4 << 20)

struct conda_spec {
    char *text;            /* as written */
    struct matchspec ms;
    int family;            /* name in config [packages] conda */
    const char *item;      /* command-line item's value (identity), or NULL for --file */
    char *replacement;     /* set by the resolution step, or NULL */
};

struct conda_job {
    const struct config *cfg;
    const struct site *conda_site;   /* the conda mirror used (resolution may change it) */
    struct cmdline cl;
    const char *subcmd;
    int installs;
    int override_channels;
    char *env_name;        /* -n */
    char *env_prefix;      /* -p */
    char *subdir;          /* --subdir / --platform */
    struct conda_spec *specs;
    size_t nspecs;
    struct strv channels;  /* -c values after rewriting, in order */
    struct conda_chans chans;  /* the channels the tool will read (conda_job_read_channels) */
    int have_chans;
    struct strv notes;     /* what was rewritten and why, for -v */
    struct strv warnings;  /* what the user must hear (mirror failures) */
    char *error;           /* RESOLVE_NONE_FITS: why */
};

int conda_job_init(struct conda_job *job, const struct config *cfg, int argc, char *const *args,
                   char **err);
void conda_job_free(struct conda_job *job);
/* Resolve the channels the tool will read (condachan.h): the command's -c
 * values and, unless --override-channels, its configuration's. REAL: the
 * real tool (its installation root's .condarc). */
void conda_job_read_channels(struct conda_job *job, const char *real);
/* The target environment: -p, the -n environment under $CONDA_ROOT (or the
 * installation of $CONDA_EXE), else $CONDA_PREFIX; NULL when unknown or for
 * `create` (a new environment). malloc'd. */
char *conda_job_env_prefix(const struct conda_job *job);
/* The target environment's Python "X.Y": python= in the command, else the
 * environment's conda-meta (not for `create`); NULL when unknown. malloc'd. */
char *conda_job_target_python(const struct conda_job *job);
int conda_job_is_pytorch(const struct conda_job *job);

#endif
