/* condaroute.h — which conda channel a plan (`torchshim install`, `resolve`)
 * takes PyTorch from: the pytorch channel, which stopped at
 * CONDASELECT_CHANNEL_LAST (2.5.1), for requests it can meet; conda-forge
 * for newer releases and for conda-forge's own names.
 *
 * The specs decide (conda or pip spelling: torch and pytorch alike):
 *   - pytorch-gpu, pytorch-cpu, libtorch: conda-forge;
 *   - pytorch-cuda, cpuonly, cudatoolkit, pytorch-mutex, torchtriton (the
 *     pytorch channel's own packages): the pytorch channel;
 *   - a pytorch version that can match nothing newer than 2.5.1
 *     ("pytorch==2.3.1", "pytorch=2.4", "torch<2.5"): the pytorch channel;
 *     one that allows newer ("pytorch>=2.6", "torch==2.7.1"): conda-forge;
 *   - no version (the newest release): conda-forge when a configured
 *     mirror carries it, else the pytorch channel's newest (conda-forge's
 *     index from its official host is tens of MB: not a default).
 * Pure functions; nothing printed. */
#ifndef TORCHSHIM_CONDAROUTE_H
#define TORCHSHIM_CONDAROUTE_H

#include <stddef.h>

#include "config.h"

enum conda_route { CONDA_ROUTE_PYTORCH, CONDA_ROUTE_FORGE };

/* SPECS: match specs as text (unparsable ones are ignored). */
enum conda_route conda_route_for(const struct config *cfg, char *const *specs, size_t n);
/* Do the [use] conda sites include one (not the official host) that
 * serves conda-forge? */
int conda_route_forge_mirrored(const struct config *cfg);
/* Can a plan install torch VERSION (the release meant) with conda: the
 * pytorch channel has it, or a configured mirror carries conda-forge? */
int conda_route_available(const struct config *cfg, const char *version);

#endif
