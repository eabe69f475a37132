/* pipjob.h — a pip command, analysed: what it installs of PyTorch's and
 * from where. The shared state of the pip path's stages:
 *
 *   pipjob       parse the command (pipcmd), the requirements files it names
 *                (reqfile), PIP_INDEX_URL / PIP_EXTRA_INDEX_URL /
 *                PIP_FIND_LINKS and pip's config files (pipconf); find the
 *                PyTorch requirements (names in config [packages] pip), every
 *                download.pytorch.org source and the variant they name
 *   resolve_pip  pins from the wheels mirror's listing
 *   rewrite_pip  sources to mirrors, pins in, the final argv
 *   pip_run      the stages in order, for the shim and for plans */
#ifndef TORCHSHIM_PIPJOB_H
#define TORCHSHIM_PIPJOB_H

#include <stddef.h>

#include "cmdline.h"
#include "config.h"
#include "pep508.h"
#include "pipconf.h"
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
    int bare_url;      /* written as a bare wheel URL (req named after the wheel) */
    char *wheel_url;   /* the wheel file pip will take for it, from the mirror's
                          listing (set by the pin step), or NULL */
    char *wheel_hash;  /* its "sha256=<hex>" from the listing, or NULL */
};

struct pip_job {
    const struct config *cfg;
    const char *real_pip;
    int python_m;              /* real_pip is an interpreter: `real_pip -m pip` */
    const struct site *wheels_site;  /* the wheels mirror used (resolution may change it) */
    const struct site *user_site;    /* a wheels mirror the command names itself, or NULL */
    char resolved_variant[32];       /* the variant pins were resolved for, or "" */
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
    struct pipconf conf;       /* pip's config files, read once */
    int pytorch_source;        /* a download.pytorch.org URL was given */
    char variant[32];          /* the wheel variant named ("cu118"), or "" */
    int nightly;               /* ... on download.pytorch.org/whl/nightly/ */
    int variant_conflict;      /* two different variants were named */
    struct pip_treq *treqs;
    size_t ntreqs;
    struct strv wheel_urls;    /* mirror URLs of the wheels, as put in the command */
    struct strv notes;         /* what was rewritten and why, for -v */
    struct strv warnings;      /* what the user must hear (mirror failures) */
    char *error;               /* RESOLVE_NONE_FITS: why, one reason per line */
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

#endif
