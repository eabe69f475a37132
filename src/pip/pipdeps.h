/* pipdeps.h — the big CUDA dependencies of a pinned torch wheel, found for
 * the prefetch (pipfetch.h): the exact `nvidia-*==V` (and `triton==V`,
 * `pytorch-triton==V`) requirements of torch's METADATA that apply to the
 * real pip's interpreter, each resolved to the very file pip would take, and
 * a find-links directory that hands the prefetched files to pip without
 * changing what pip installs.
 *
 * Which (pipdeps_select): torch's Requires-Dist lines (wheelmeta.h: the
 * PEP 658 file when the wheels listing advertises one, else range requests
 * into the wheel; cached by URL) whose name starts with "nvidia-" or is
 * triton / pytorch-triton, with a single `==V` clause (no wildcard) and a
 * marker that is true for the interpreter (marker_env.h; the extras asked
 * for torch count). Unpinned ones, an unknown or false marker: left to pip.
 *
 * When (pipdeps_applies): pip will resolve dependencies (no --no-deps,
 * --no-binary, --require-hashes, --no-index), and every source pip will
 * read is one torchshim reads too (pipsources.h: the configured [use] pypi
 * mirror, the wheels mirror page the pins came from), with no requirements
 * file naming sources of its own. Otherwise pip could find a file
 * torchshim does not know of.
 *
 * Which file (pipdeps_pick): the listings of those sources for the project,
 * in pip's order (find-links pages, then the index URL, then extra index
 * URLs): among the wheels of exactly V that fit the target (wheelname.h),
 * whose data-requires-python admits its X.Y, pip's CandidateEvaluator key
 * (not yanked, then tag rank (wheelrank.h), then build tag) decides, and of
 * equal keys the one listed last wins: pip's resolver takes a release's
 * candidates from the best down (reversed(sorted(...)), a stable sort, in
 * pip/_internal/resolution/resolvelib/factory.py) and keeps the first
 * of each version. A source page that fails otherwise than "not here"
 * (404, 410, a page without wheels of the project), no wheel, only yanked
 * ones, or no `#sha256=` on the one chosen: left to pip. The download
 * URLs: that file wherever a source lists it with the same sha256 (several
 * mirrors at once).
 *
 * Handing over (pipdeps_write_links): pip is given one more find-links
 * directory, `--find-links <store>/.links/<hash of the file set>`, holding
 * for each verified file in the store a symlink to it named as the file
 * with a build tag one above its own ("nvidia_cublas_cu12-12.1.3.1-
 * 1torchshim-py3-none-manylinux1_x86_64.whl"). Why the build tag: pip
 * (20.3+, resolvelib) takes, of equal candidates, the one found last, and
 * find-links files come before index pages (find_all_candidates returns
 * file_candidates + page_candidates; the resolver walks the stable-sorted
 * list reversed), so a same-named local file loses to the mirror's and pip
 * would download it again. One build tag up is the next key after the
 * chosen file (same version, same tags): pip takes the local file, under
 * the legacy resolver too (max() of the same key). Same bytes, same name
 * and version in the installed metadata; a find-links file is not a direct
 * URL: no direct_url.json, `pip freeze` says name==version. Under hash
 * checking (--require-hashes, --hash) a file without a hash ranks lower:
 * pip downloads from the mirror as before.
 *
 * Messages go to job->notes (what was skipped and why). Memory: the
 * pipfetch_wheels appended are the caller's (pipfetch_wheels_free). */
#ifndef TORCHSHIM_PIPDEPS_H
#define TORCHSHIM_PIPDEPS_H

#include <stddef.h>

#include "coremeta.h"
#include "listing.h"
#include "marker_env.h"
#include "pipfetch.h"
#include "pipjob.h"
#include "strv.h"
#include "wheelname.h"

/* Does JOB's command qualify (see When)? 1, or 0 with *why_not (malloc'd). */
int pipdeps_applies(const struct pip_job *job, char **why_not);

/* The dependencies of the pinned torch wheels among W (projects "torch")
 * that are to be prefetched, appended to W with dep = 1 (size unknown).
 * Every failure is a note and leaves the dependency to pip. */
void pipdeps_find(struct pip_job *job, struct pipfetch_wheels *w);

/* META's requirements to prefetch for ENV (see Which): PEP 503 names into
 * NAMES and their pinned versions, as written, into VERSIONS; why others
 * were left into NOTES. Returns how many were added. */
size_t pipdeps_select(const struct coremeta *meta, const struct marker_env *env,
                      struct strv *names, struct strv *versions, struct strv *notes);

/* The file pip takes for NAME==VERSION on T from the listings LS[0..N) in
 * pip's source order (see Which file): 0 with OUT filled (filename,
 * project, urls, sha256, requires_python; size -1, dep 1), or -1 with *why
 * (malloc'd). */
int pipdeps_pick(const struct listing *ls, size_t n, const char *name, const char *version,
                 const struct wheel_target *t, struct pipfetch_wheel *out, char **why);

/* The name of the link to wheel FILENAME: its build tag one up, as
 * "<build+1>torchshim" (no build tag counts 0). malloc'd; NULL when
 * FILENAME is not a wheel name. */
char *pipdeps_link_name(const char *filename);

/* Write the links to the files DESTS[i] (complete, verified, in the store
 * STORE) of wheels W[i], i < N: 0 with *dir (malloc'd, the directory), or
 * -1 with *err (*dir NULL). Links for the same file set are put again in
 * place (each replaced atomically). */
int pipdeps_write_links(const char *store, const struct pipfetch_wheel *const *w,
                        const char *const *dests, size_t n, char **dir, char **err);

#endif
