/* condachan.h — the channels a conda / mamba / micromamba command will
 * read, in the tool's order, each resolved the way the tool resolves it:
 * the command's -c values, then, unless the command has
 * --override-channels, the `channels:` of the tool's configuration files
 * (condarc.h: the installation root's .condarc as Miniforge writes it,
 * ~/.condarc, ~/.config/conda/condarc, $CONDARC, the target environment's
 * .condarc; ~/.mambarc and the other libmamba files for mamba and
 * micromamba), with custom_channels and channel_alias applied.
 *
 * A channel is *official* when the tool would read it from the official
 * hosts: a name that resolves under https://conda.anaconda.org (the
 * default channel_alias, or a custom_channels entry pointing there), such
 * a URL, or "defaults" while default_channels are repo.anaconda.com's.
 * Only official channels are ours to move to a mirror; a name that the
 * user's configuration already sends elsewhere (their own mirror through
 * channel_alias or custom_channels) is left alone, and its URL is where
 * the index is read from.
 *
 * Memory: struct conda_chans owns everything (conda_chans_free). Loading
 * never fails: unusable configuration files are skipped (condarc.h) and
 * said in `notes`. Nothing is printed. */
#ifndef TORCHSHIM_CONDACHAN_H
#define TORCHSHIM_CONDACHAN_H

#include <stddef.h>

#include "cmdline.h"
#include "condarc.h"
#include "strv.h"

struct conda_chan {
    char *value;             /* as written ("pytorch", "conda-forge", a URL, "defaults") */
    char *source;            /* NULL: -c on the command line; else the file or variable */
    char *url;               /* the (first) URL the tool reads; NULL for local/nodefaults */
    char name[64];           /* official: "pytorch", "conda-forge", "defaults", ...; else "" */
};

struct conda_chans {
    struct conda_chan *v;
    size_t n;
    size_t ncmd;             /* v[0 .. ncmd) are the command's -c values */
    int override_channels;   /* the command has --override-channels */
    int override_enabled;    /* the configuration allows --override-channels */
    struct condarc rc;       /* the configuration read (for spec prefixes) */
    int have_rc;
    struct strv notes;
};

/* TOOL_EXE: the real tool (its installation's root .condarc); its name
 * says conda or libmamba (mamba, micromamba). ENV_PREFIX: the target
 * environment (-p, or the -n env's path; NULL: $CONDA_PREFIX). */
void conda_chans_load(struct conda_chans *out, const struct cmdline *cl, int channel_opt_id,
                      int override_channels, const char *tool_exe, const char *env_prefix);
void conda_chans_free(struct conda_chans *c);

/* Resolve one channel value (a -c value, a "chan::" spec prefix, an
 * environment.yml channel) against the loaded configuration into *ch
 * (value and url malloc'd; source set to SOURCE). */
void conda_chan_resolve(const struct conda_chans *c, const char *value, const char *source,
                        struct conda_chan *ch);
void conda_chan_clear(struct conda_chan *ch);

#endif
