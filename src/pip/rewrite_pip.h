/* rewrite_pip.h — turn an analysed pip command (pipjob.h) into the same
 * command against mirrors.
 *
 *   sources  download.pytorch.org/whl/<variant> in --index-url, -i,
 *            --extra-index-url or -f becomes the wheels mirror for that
 *            variant (-f for find-links sites, an index option for simple
 *            sites); pypi.org becomes the PyPI mirror; a torch install from
 *            the default index gets -i <PyPI mirror>. A non-official index the
 *            user chose is left alone, and so is everything else.
 *   pins     (resolve_pip) replace torch-family requirements with exact pins.
 *   emit     the final argv and environment changes.
 * The user's files are never edited: requirements files that change are
 * written anew into the cache directory. */
#ifndef TORCHSHIM_REWRITE_PIP_H
#define TORCHSHIM_REWRITE_PIP_H

#include "pipjob.h"
#include "strv.h"

/* Rewrite sources in the command line (no network). */
int pip_job_rewrite_sources(struct pip_job *job, char **err);

/* Emit: the final command (argv[0] = REAL_PIP) and environment records;
 * requirements files with changed lines are written into job->reqdir. */
int pip_job_emit(struct pip_job *job, const char *real_pip, struct strv *argv, char **err);

#endif
