/* rewrite_conda.h — turn a conda/mamba/micromamba install into the same
 * install against mirrors.
 *
 *   -c pytorch, -c https://conda.anaconda.org/pytorch, pytorch::pkg
 *       -> <conda mirror>/pytorch (when the chosen site serves that channel)
 *   -c nvidia            -> the nvidia role's site (official by default: kept)
 *   -c conda-forge       -> <conda mirror>/conda-forge when the site serves it
 *   -c defaults          -> the site's "defaults" URLs when it has them
 * Channel URLs the user chose (another mirror, a file:// channel) are left
 * alone, and so is every other word. */
#ifndef TORCHSHIM_REWRITE_CONDA_H
#define TORCHSHIM_REWRITE_CONDA_H

#include "cmdline.h"
#include "config.h"
#include "matchspec.h"
#include "strv.h"

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
    struct strv notes;
};

int conda_job_init(struct conda_job *job, const struct config *cfg, int argc, char *const *args,
                   char **err);
void conda_job_free(struct conda_job *job);
int conda_job_is_pytorch(const struct conda_job *job);

/* The mirror URL(s) for a channel value, with CONDA_SITE serving the conda
 * role; returns how many were pushed (0 = keep as it is). */
int conda_map_channel(const struct config *cfg, const struct site *conda_site, const char *value,
                      struct strv *out);
/* Add a spec (a positional before "--"). */
void conda_job_add_spec(struct conda_job *job, const char *spec);
/* Add "-c VALUE" (mapped like the user's) unless the command has it. */
void conda_job_add_channel(struct conda_job *job, const char *value);

void conda_job_rewrite_channels(struct conda_job *job);
void conda_job_emit(struct conda_job *job, const char *real, struct strv *argv);

#endif
