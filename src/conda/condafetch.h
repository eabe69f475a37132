/* condafetch.h — prefetch on the conda path: the package files a resolved
 * conda / mamba / micromamba command pins exactly (resolve_conda_files)
 * downloaded with prefetch_files() (prefetch.h: N connections, resumable,
 * verified) before the real tool runs, into the tool's first writable
 * package cache, where it finds them fetched (not extracted) and downloads
 * nothing.
 *
 * When (condafetch_run):
 *   - [prefetch] enabled is not never and TORCHSHIM_PREFETCH is not 0/false
 *     (pipfetch_mode);
 *   - the command installs (install, create, update, upgrade), without
 *     -d/--dry-run or --offline (the tool downloads nothing then), and not
 *     TORCHSHIM_DRY_RUN; --download-only is prefetched (it is a download);
 *   - per file: not when the target environment has that very
 *     name-version-build installed (conda-meta; the tool downloads nothing),
 *     unless --force-reinstall; not when some package cache has it
 *     extracted from the same URL with the same md5/sha256
 *     (info/repodata_record.json), nor its file (of the record's size, its
 *     urls.txt naming the same URL) in a cache other than the first
 *     writable one: the tool takes it from there (a record of another
 *     channel would not match, the tool would download);
 *   - per file: it is verified in the first writable cache already (no
 *     request), or enabled = always, or (auto) the repodata's size is above
 *     [prefetch] threshold (no request needed to learn it). A file whose
 *     size the repodata does not give is left to the tool (a note).
 *
 * Where, as the tool computes it (condafetch_pkgs_dirs):
 *   pkgs_dirs of the configuration the command's channels were read with
 *   (condarc.h: every .condarc / .mambarc, CONDA_PKGS_DIRS first), else
 *   <root prefix>/pkgs then ~/.conda/pkgs (conda) or ~/.mamba/pkgs (mamba,
 *   micromamba); root prefix: CONDA_ROOT / MAMBA_ROOT_PREFIX, else the
 *   installation holding the real tool (<root>/bin/conda,
 *   <root>/condabin/conda). The first writable one (conda's
 *   PackageCacheData.first_writable): the first whose urls.txt exists and
 *   is writable, or, without urls.txt, that can be created (directory,
 *   urls.txt and urls, as conda creates a package cache).
 *
 * Handing over: <cache>/<fn> (the record's file name), complete and
 * verified against the repodata's sha256 and/or md5 (and the archive
 * check) before it appears; its URL, <channel root>/<subdir>/<fn> with the
 * channel root the tool reads after the rewrite, appended to <cache>/
 * urls.txt (one line, one write, O_APPEND, as conda appends it; not when
 * the line is there), so the tool's cache record has that channel and
 * matches the record it resolves. Unfinished downloads stay as
 * <fn>.part / <fn>.part.state in the cache (the tool ignores those names)
 * and resume next time. Stamps (prefetch.h) go to <torchshim cache>/
 * CONDAFETCH_STAMPS, never into the tool's cache.
 *
 * Any failure of a file is a warning and the command runs as resolved: the
 * tool downloads that file itself. SIGINT/SIGTERM during the download:
 * CONDAFETCH_INTERRUPTED (*signo), parts kept.
 *
 * Messages go to job->warnings (failures) and job->notes (what was done);
 * the downloader draws its progress line on a terminal unless -q/--quiet,
 * --json or CONDA_QUIET says quiet. Errors of the helpers: 0 / -1 with
 * *err (seterr). */
#ifndef TORCHSHIM_CONDAFETCH_H
#define TORCHSHIM_CONDAFETCH_H

#include "condajob.h"
#include "condarc.h"
#include "resolve_conda.h"
#include "strv.h"

#define CONDAFETCH_STAMPS "conda-verified"

/* Does JOB's command qualify (see When)? 1 yes; 0 with *why_not static text. */
int condafetch_applies(const struct conda_job *job, const char **why_not);
/* Does the command line or the environment say quiet? */
int condafetch_quiet(const struct conda_job *job);

/* The package caches RC (the loaded configuration; NULL: none) names,
 * else the defaults for TOOL under ROOT_PREFIX (may be NULL) and HOME (may
 * be NULL), in the tool's order, each once. Appends to OUT. */
void condafetch_default_dirs(const struct condarc *rc, enum condarc_tool tool,
                             const char *root_prefix, const char *home, struct strv *out);
/* The same for JOB's command run by REAL (after conda_job_read_channels). */
void condafetch_pkgs_dirs(const struct conda_job *job, const char *real, struct strv *out);
/* The first writable of DIRS (see Where; it is created if it must be),
 * malloc'd; NULL with *err saying why none. */
char *condafetch_first_writable(const struct strv *dirs, char **err);
/* Append URL to PKGS_DIR/urls.txt unless a line is that URL. */
int condafetch_urls_add(const char *pkgs_dir, const char *url, char **err);
/* Has PKGS_DIR the file F extracted (<dist>/info/repodata_record.json with
 * F's url, and F's md5 or sha256)? 1 yes, 0 no. */
int condafetch_extracted(const char *pkgs_dir, const struct conda_pkgfile *f);

enum condafetch_result {
    CONDAFETCH_NONE = 0,       /* nothing to prefetch (or off) */
    CONDAFETCH_DONE,           /* every file chosen is in the package cache */
    CONDAFETCH_PARTIAL,        /* some failed (warnings): the tool downloads those */
    CONDAFETCH_INTERRUPTED,    /* SIGINT/SIGTERM: *signo; nothing is to run */
};

struct condafetch_hooks {
    void (*before_download)(void *ctx);   /* once, before the first download request */
    void *ctx;
};

/* Prefetch FILES (JOB's exactly pinned package files) for JOB's command
 * run by REAL, as described above. HOOKS may be NULL. *signo gets the
 * signal of an interruption (0 otherwise). */
int condafetch_run(struct conda_job *job, const char *real, const struct conda_pkgfiles *files,
                   const struct condafetch_hooks *hooks, int *signo);

#endif
