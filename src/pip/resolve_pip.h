/* resolve_pip.h — exact pins for a pip command: fetch the variant's wheel
 * listing (flat find-links page or PEP 503 project pages) from the wheels
 * mirror, read the target interpreter, and pin each PyTorch requirement to
 * the wheel that was meant: torch -> torch==2.3.1+cu121, companions paired.
 *
 * Mirror order: the [use] wheels sites in order, then the official index,
 * each failure a line in job->warnings; the site that answered is the one
 * the rewrite then uses (job->wheels_site). RESOLVE_NONE_FITS: job->error
 * says why (one line per requirement that cannot be met). */
#ifndef TORCHSHIM_RESOLVE_PIP_H
#define TORCHSHIM_RESOLVE_PIP_H

#include "outcome.h"
#include "pipjob.h"

/* Companion releases whose metadata is read per package, newest first. */
#define RESOLVE_PIP_MAX_METADATA 48

/* Pin job's PyTorch requirements for VARIANT (job->variant when NULL).
 * python_override: "X.Y" to use instead of the real pip's interpreter;
 * subdir_override: a conda-style platform ("win-64") instead of this machine. */
enum resolve_status resolve_pip(struct pip_job *job, const char *variant,
                                const char *python_override, const char *subdir_override);

#endif
