/* rewrite_pip.h — turn a pip command into the same command against mirrors.
 *
 *   analyse  parse the command (pipcmd), the requirements files it names
 *            (reqfile), PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / PIP_FIND_LINKS
 *            and pip's config files; find the PyTorch requirements (names in
 *            config [packages] pip) and every download.pytorch.org source.
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

#include "cmdline.h"
#include "config.h"
#include "pep508.h"
#include "proto.h"
#include "strv.h"

/* A PyTorch-family requirement found in the command or a requirements file. */
struct pip_treq {
    struct pep508_req req;
    char *text;        /* as written */
    char *file;        /* requirements file, or NULL for the command line */
    const char *item;  /* the command-line item's value (its identity: item
                          indexes shift as options are inserted) when file == NULL */
    char *pinned;      /* replacement requirement (set by the pin step), or NULL */
};

struct pip_job {
    const struct config *cfg;
    const char *real_pip;
    const struct site *wheels_site;  /* the wheels mirror used (resolution may change it) */
    struct cmdline cl;
    const char *subcmd;
    int installs;              /* install/download/wheel */
    int isolated;              /* --isolated: env and config files ignored */
    int no_index;
    int pre;
    int platform_given;        /* --platform / --abi / --implementation: not this machine */
    char python_version[16];   /* --python-version X.Y, or "" */
    int has_index;             /* an index-url from anywhere (cmd, env, file, pip.conf) */
    int index_nonofficial;     /* ... and it is not an official one */
    char *pipconf_index;       /* index-url from pip's config files, read once, or NULL */
    int pytorch_source;        /* a download.pytorch.org URL was given */
    char variant[32];          /* the wheel variant named ("cu118"), or "" */
    int nightly;               /* ... on download.pytorch.org/whl/nightly/ */
    int variant_conflict;      /* two different variants were named */
    struct pip_treq *treqs;
    size_t ntreqs;
    struct strv wheel_urls;    /* mirror URLs of the wheels, as put in the command */
    struct strv notes;         /* what was rewritten and why, for -v */
    struct env_changes env;    /* for the real pip */
    char *reqdir;              /* where rewritten requirements files go */
};

/* Parse and analyse. Returns 0, or -1 with *err (e.g. an option pip has
 * that we do not know: the caller passes the command through). */
int pip_job_init(struct pip_job *job, const struct config *cfg, const char *real_pip, int argc,
                 char *const *args, char **err);
void pip_job_free(struct pip_job *job);

/* Does the command install PyTorch packages or name a PyTorch index? */
int pip_job_is_pytorch(const struct pip_job *job);

/* Rewrite sources in the command line (no network). */
int pip_job_rewrite_sources(struct pip_job *job, char **err);

/* Emit: the final command (argv[0] = REAL_PIP) and environment records;
 * requirements files with changed lines are written into job->reqdir. */
int pip_job_emit(struct pip_job *job, const char *real_pip, struct strv *argv, char **err);

#endif
