/* resolve_conda.h — exact build strings for a conda install: fetch the
 * pytorch channel's <subdir> and noarch repodata (concurrently, racing the
 * configured mirrors: the first good answer wins), keep a compact index of
 * it in the cache, and pin pytorch/torchvision/torchaudio to the builds for
 * the target Python and variant (condaselect).
 *
 * Mirror order: the [use] conda sites that serve the pytorch channel (raced),
 * then the official channel, each failure a warning; the site that answered
 * is the one the rewrite then uses (job->conda_site). */
#ifndef TORCHSHIM_RESOLVE_CONDA_H
#define TORCHSHIM_RESOLVE_CONDA_H

#include "condajob.h"
#include "condaselect.h"
#include "outcome.h"

struct conda_target {
    const char *subdir;      /* NULL: from the command, else this machine */
    const char *python;      /* "3.12"; NULL: from the command or the environment */
    struct condaselect_variant variant;  /* from detection; UNKNOWN: the environment's
                                            installed pytorch's, else CPU with a note */
    int plan;                /* a plan (torchshim install/resolve): the variant chosen is
                                said as a spec (cpuonly, pytorch-cuda=X); a user's command
                                gets only the pins of what it asked for */
    int forge;               /* a plan on the conda-forge route (resolve_forge.h) */
};

/* RESOLVE_NO_MIRROR: job->warnings say what failed; RESOLVE_NONE_FITS:
 * job->error says why. */
enum resolve_status resolve_conda(struct conda_job *job, const struct conda_target *t);

/* A package file the pins name exactly (a record condaselect pinned with
 * its whole build string): what conda will download, and from where. */
struct conda_pkgfile {
    char *name, *version, *build;
    char *fn;              /* the record's file name: "pytorch-2.3.1-py3.11_cpu_0.tar.bz2" */
    char *subdir;          /* the record's: "linux-64", "noarch" */
    char *channel;         /* the channel root that answered (".../pytorch"): the URL conda
                              reads the channel from after the rewrite */
    char *url;             /* channel/subdir/fn */
    long long size;        /* bytes; 0 when repodata has none */
    char *md5, *sha256;    /* lower-case hex, or NULL */
};

struct conda_pkgfiles {
    struct conda_pkgfile *v;
    size_t n;
};

/* resolve_conda, and when it pins from the pytorch channel, the pinned
 * records' files appended to FILES (which may be NULL). */
enum resolve_status resolve_conda_files(struct conda_job *job, const struct conda_target *t,
                                        struct conda_pkgfiles *files);
void conda_pkgfiles_free(struct conda_pkgfiles *f);

#endif
