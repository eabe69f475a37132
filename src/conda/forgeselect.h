/* forgeselect.h — exact conda-forge builds of PyTorch for a plan
 * (`torchshim install` with conda, for releases the pytorch channel lacks).
 *
 * conda-forge's conventions, read from the records (its pytorch-cpu
 * feedstock's outputs):
 *   pytorch      "cuda126_mkl_py312_h<hash>_<n>", "cpu_generic_py313_h<hash>_<n>":
 *                the variant and its CUDA (cuda126 = 12.6) lead the build;
 *                depends "python >=3.12,<3.13.0a0", "cuda-version >=12.6,<13",
 *                "libtorch <version> <build>"
 *   pytorch-gpu, pytorch-cpu   metapackages: depends "pytorch <version> cuda*_mkl*<n>"
 *   torchvision, torchaudio, ...  "cuda126_py312_h<hash>_<n>": depends
 *                "pytorch * cuda*", "pytorch >=2.9,<2.10.0a0", "libtorch >=2.9,<2.10.0a0"
 *   cuda-version (noarch)  one record per CUDA X.Y: what the environment's
 *                CUDA libraries will be
 *
 * Rules:
 *   - pytorch: the newest version matching the user's pytorch spec (and
 *     pytorch-gpu/-cpu spec, whose version is pytorch's) with a build for
 *     the Python and the variant: CPU, or CUDA at most cuda_max (the newest
 *     CUDA the driver runs); among its builds the newest CUDA, then mkl
 *     before generic, then build_number, then upload time. If a companion
 *     has no build for a candidate, the next candidate is tried.
 *   - companions (any other spec whose records depend on pytorch): the
 *     newest version matching the user's spec whose every "pytorch" depends
 *     admits the chosen record (and "libtorch" depends its version), for
 *     the same variant and CUDA and the Python.
 *   - added after the user's specs: the variant's metapackage pinned to the
 *     build that depends on the chosen pytorch (unless the user named it),
 *     and for CUDA cuda-version=X.Y, the newest X.Y <= cuda_max that every
 *     chosen record's cuda-version depends admits ("cuda-version<=MAX" when
 *     the index has no cuda-version records).
 *   - with the Python unknown, builds are pinned as globs that leave the
 *     Python out ("cuda120_mkl*").
 * When nothing fits, the error says what exists: the newest pytorch on
 * conda-forge, the newest one with a build for this variant and Python,
 * what CUDA the newest needs. Versions and builds only ever come from the
 * index (whose reader validated them for a command line).
 *
 * Contract: pure (no I/O, no printing). 0 and *out (free with
 * condaselect_result_free), or -1 with *err (seterr). */
#ifndef TORCHSHIM_FORGESELECT_H
#define TORCHSHIM_FORGESELECT_H

#include <stddef.h>

#include "condaselect.h"
#include "matchspec.h"
#include "repodata.h"

struct forgeselect_request {
    const struct matchspec *const *specs;  /* the plan's specs, in order */
    size_t n_specs;
    const char *subdir;              /* "linux-64"; NULL = do not filter */
    const char *python;              /* "3.12"; NULL = unknown */
    int cuda;                        /* 1: a CUDA build; 0: CPU */
    const char *cuda_max;            /* CUDA only: "12.2"; NULL = any */
};

int forgeselect_run(const struct repodata_index *idx, const struct forgeselect_request *req,
                    struct condaselect_result *out, char **err);

#endif
