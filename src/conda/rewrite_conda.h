/* rewrite_conda.h — turn a conda/mamba/micromamba install into the same
 * install against mirrors.
 *
 *   -c pytorch, -c https://conda.anaconda.org/pytorch, pytorch::pkg
 *       -> <conda mirror>/pytorch (when the chosen site serves that channel)
 *   -c nvidia            -> the nvidia role's site (official by default: kept)
 *   -c conda-forge       -> <conda mirror>/conda-forge when the site serves it
 *   -c defaults          -> the site's "defaults" URLs when it has them
 * Channel URLs the user chose (another mirror, a file:// channel) are left
 * alone, and so is every other word. Channels set in conda's configuration
 * files (condachan.h) are moved too: see conda_job_rewrite_channels. */
#ifndef TORCHSHIM_REWRITE_CONDA_H
#define TORCHSHIM_REWRITE_CONDA_H

#include "condajob.h"
#include "strv.h"

/* The mirror URL(s) for a channel value, with CONDA_SITE serving the conda
 * role; returns how many were pushed (0 = keep as it is). */
int conda_map_channel(const struct config *cfg, const struct site *conda_site, const char *value,
                      struct strv *out);
/* A selection's answer into the job: SPECS is the command's specs in
 * order (each pinned or as it was), then N_ADDED specs to add. A changed
 * spec replaces the user's word (or, from --file, is added: conda merges);
 * PREFIX (e.g. "pytorch"), when not NULL, goes before the pins of specs
 * that name no channel ("pytorch::torchvision=..."). Notes say each. */
void conda_job_set_pins(struct conda_job *job, const struct strv *specs, size_t n_added,
                        const char *prefix);
/* Add a spec (a positional before "--"). */
void conda_job_add_spec(struct conda_job *job, const char *spec);
/* Add "-c VALUE" (mapped like the user's) unless the command has it. */
void conda_job_add_channel(struct conda_job *job, const char *value);

/* The resolution's pins into the command line (each spec keeps its
 * identity); emit does it too. Run it before rewriting the channels, so
 * that a pinned "pytorch::pytorch=V=B" gets its channel moved as well. */
void conda_job_apply_pins(struct conda_job *job);
/* -c values and "chan::" spec prefixes naming official channels -> the
 * mirror; with the configuration read (conda_job_read_channels) a name
 * the user's configuration sends elsewhere is left alone, and the
 * configuration's channels are brought into the command when one of them
 * is mirrored (with --override-channels, when the configuration allows it;
 * never when the command has --override-channels: conda then reads no
 * configured channel). */
void conda_job_rewrite_channels(struct conda_job *job);
void conda_job_emit(struct conda_job *job, const char *real, struct strv *argv);

#endif
