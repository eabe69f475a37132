/* resolve_forge.h — the conda-forge route of a plan (`torchshim install`,
 * `resolve` with conda, for releases the pytorch channel lacks): the
 * conda-forge index of the target subdir (and noarch) from the [use] conda
 * sites that carry conda-forge, raced, then the official channel
 * (condaindex: streaming, bounded, checked, cached in compact form; CEP 16
 * shards where a mirror serves them), and exact builds from it
 * (forgeselect): pytorch and the companions asked for, the variant's
 * metapackage (pytorch-gpu / pytorch-cpu), and for CUDA a cuda-version no
 * newer than what the driver runs (t->variant.cuda).
 *
 * The site that answered serves the rewrite (job->conda_site).
 * RESOLVE_NO_MIRROR: job->warnings say what failed; RESOLVE_NONE_FITS:
 * job->error says why (what conda-forge has). */
#ifndef TORCHSHIM_RESOLVE_FORGE_H
#define TORCHSHIM_RESOLVE_FORGE_H

#include "condajob.h"
#include "outcome.h"
#include "resolve_conda.h"

enum resolve_status resolve_forge(struct conda_job *job, const struct conda_target *t);

#endif
