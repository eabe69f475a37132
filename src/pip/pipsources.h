/* pipsources.h — the places the real pip will look for distributions, as
 * the final command says them (after rewrite_pip's source rewrite), and
 * whether torchshim reads every one of them (pipdeps.h needs to know which
 * file pip would take).
 *
 * In pip's order (pip's LinkCollector: find-links sources, then index
 * URLs):
 *   find-links   the environment's PIP_FIND_LINKS, else pip's config files'
 *                find-links (both words split on white space), then the
 *                command line's -f / --find-links values;
 *   index URLs   the command line's last --index-url / -i, else
 *                PIP_INDEX_URL, else the files' index-url, else
 *                https://pypi.org/simple; then PIP_EXTRA_INDEX_URL, else
 *                the files' extra-index-url, then the command line's
 *                --extra-index-url values.
 * The environment is the one the real pip gets: JOB's environment changes
 * (job->env) over this process's; with --isolated neither the environment
 * nor the files count. --no-index (command line, PIP_NO_INDEX, files) sets
 * no_index.
 *
 * Known sources (pip_sources_unknown): an index URL that is the configured
 * [use] pypi mirror or, for a simple wheels site, the wheels page of the
 * job's pins (job->wheels_site, job->resolved_variant, nightly template when
 * job->nightly); a find-links value that is that page of a find-links
 * wheels site, or the neutral values the rewrite puts in (job->reqdir,
 * "/nonexistent"). URLs compare without their trailing slashes.
 *
 * Requirements files (pip_sources_in_reqfiles): pip reads options in them
 * too (an --index-url there replaces pip's whole index list), so a file
 * named with -r / -c that has an -i, --index-url, --extra-index-url, -f,
 * --find-links or --no-index line (nested files included), or that cannot
 * be read, counts.
 *
 * Memory: pip_sources_collect fills *s (pip_sources_free); strings
 * returned are malloc'd. Nothing is printed; no network. */
#ifndef TORCHSHIM_PIPSOURCES_H
#define TORCHSHIM_PIPSOURCES_H

#include "pipjob.h"
#include "strv.h"

struct pip_sources {
    struct strv flat;     /* find-links, in pip's order */
    struct strv index;    /* the index URL, then extra index URLs */
    int no_index;
};

void pip_sources_collect(const struct pip_job *job, struct pip_sources *s);
void pip_sources_free(struct pip_sources *s);

/* The first source of S that torchshim does not read, or NULL. */
char *pip_sources_unknown(const struct pip_job *job, const struct pip_sources *s);

/* Does a requirements file of JOB's command name sources of its own? */
int pip_sources_in_reqfiles(const struct pip_job *job);

#endif
