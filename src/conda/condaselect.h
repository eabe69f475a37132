/* condaselect.h — pick exact pytorch-channel builds for a conda command.
 *
 * Given the command's match specs, the pytorch channel's index for the
 * target subdir (merged with its noarch), the target Python and the
 * variant, decide what conda should install and say it as exact pins:
 *
 *   pytorch torchvision torchaudio pytorch-cuda=12.1   (win-64, Python 3.12)
 *   -> pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0 torchvision=0.18.1=py312_cu121
 *      torchaudio=2.3.1=py312_cu121 pytorch-cuda=12.1
 *
 * Rules (the pytorch channel's conventions, read from the records'
 * `depends`, with the build string as a fallback):
 *   - pytorch: the newest version satisfying the user's spec (version,
 *     build, build_number) that has a build for the Python
 *     ("python >=3.12,<3.13.0a0", else the "py3.12" build prefix) and the
 *     variant ("pytorch-cuda >=12.1,<12.2", "cudatoolkit >=11.3,<11.4",
 *     "pytorch-mutex 1.0 cpu|cuda", track_features/features "cpuonly",
 *     else "cuda12.1" / "cpu" in the build). Among builds of that version
 *     prefer the newest CUDA (when several fit), then the highest
 *     build_number, then the newest timestamp.
 *   - family members (any other spec whose records depend on pytorch:
 *     torchvision, torchaudio, torchtext, ...): the newest version
 *     satisfying the user's spec whose `depends` pin that pytorch build
 *     ("pytorch 2.3.1", a match spec), for the same variant and Python;
 *     and if pytorch itself depends on the member ("torchtriton 2.1.0"),
 *     that too. If a pytorch candidate leaves a member without a build,
 *     the next candidate is tried (as a solver would).
 *   - the variant comes from the user's pytorch-cuda / cudatoolkit /
 *     cpuonly / pytorch-mutex spec (kept as given), else from the caller
 *     (detection, or the environment's installed pytorch), in which case
 *     `pytorch-cuda=X`, `cudatoolkit=X` or `cpuonly` is appended unless
 *     add_nothing says not to. Unknown variant: like conda, CUDA builds are
 *     preferred over CPU ones, the newest CUDA first.
 *   - output keeps the user's order; specs that are not of the family, or
 *     name another channel than pytorch (conda-forge::pytorch), are
 *     returned unchanged. With Python unknown, the python part of a build
 *     is left as a glob ("pytorch=2.3.1=*_cuda12.1_cudnn8_0").
 *
 * When nothing fits, the error says what exists, e.g. "pytorch 2.3.1 on
 * win-64 has builds for Python 3.8-3.12 (cpu, cuda11.8, cuda12.1); none
 * for Python 3.13"; a request newer than the channel names the channel's
 * newest pytorch, says the pytorch channel stopped at 2.5.1 and points to
 * the pip route and conda-forge.
 *
 * Contract: pure (no I/O, no printing). condaselect_run() returns 0 and
 * fills *out, or -1 with *err a malloc'd message (caller frees). Free the
 * result with condaselect_result_free() (safe on a zeroed result). */
#ifndef TORCHSHIM_CONDASELECT_H
#define TORCHSHIM_CONDASELECT_H

#include <stddef.h>

#include "matchspec.h"
#include "repodata.h"
#include "strv.h"

/* The pytorch conda channel's last release (it publishes nothing newer). */
#define CONDASELECT_CHANNEL_LAST "2.5.1"

enum condaselect_kind {
    CONDASELECT_UNKNOWN = 0,
    CONDASELECT_CPU,
    CONDASELECT_CUDA,            /* pytorch-cuda=X style (or cudatoolkit=X for old builds) */
    CONDASELECT_CUDATOOLKIT,     /* only the old cudatoolkit=X style (pytorch <= 1.12) */
};

struct condaselect_variant {
    enum condaselect_kind kind;
    const char *cuda;            /* "12.1" for CUDA / CUDATOOLKIT */
    int cuda_is_max;             /* cuda is the newest the machine runs: take any
                                  * build <= it, the newest first */
};

struct condaselect_request {
    const struct matchspec *const *specs;  /* all of the command's specs, in order */
    size_t n_specs;
    const char *subdir;              /* "linux-64"; NULL = do not filter */
    const char *python;              /* "3.12"; NULL = unknown */
    struct condaselect_variant variant;  /* from detection; user specs win */
    /* The pytorch the target environment has (NULL: none). When the
     * command names no pytorch spec (companions only), pytorch stays at
     * this version, and at this build when the index has it. */
    const char *installed_version, *installed_build;
    int add_nothing;                 /* never append a variant spec (cpuonly,
                                        pytorch-cuda=X): a user's command gets
                                        only what they asked for */
};

/* The variant a pytorch-channel build string names: "py3.12_cuda12.1_cudnn8_0"
 * -> CUDA "12.1"; "py3.11_cpu_0" -> CPU; CUDA into cuda[0..n). UNKNOWN when
 * the build names none. */
enum condaselect_kind condaselect_build_variant(const char *build, char *cuda, size_t n);

struct condaselect_result {
    struct strv specs;           /* the specs to give conda */
    char *pytorch_version;       /* chosen pytorch (also when only implied);
                                  * NULL when the command has no family spec */
    char *pytorch_build;
    char *variant;               /* "cpu", "cuda12.1", NULL when none */
    size_t n_added;              /* specs appended after the user's */
    /* The records of the specs pinned exactly ("pytorch=V=B" with B whole:
     * not with Python unknown, where builds stay globs), in the command's
     * order, each once. They point into the index given: valid while it
     * lives (the array itself is the result's). */
    const struct repodata_record **pinned;
    size_t n_pinned;
};

int condaselect_run(const struct repodata_index *idx, const struct condaselect_request *req,
                    struct condaselect_result *out, char **err);

void condaselect_result_free(struct condaselect_result *res);

#endif
