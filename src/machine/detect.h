/* detect.h — which torch backend this machine can use: CPU, CUDA or ROCm.
 *
 * detect_backend() looks, in this order, at
 *   1. TORCHSHIM_BACKEND: "cpu", "cuXYZ", "rocmX.Y" decide (nothing is
 *      probed); "auto" or unset: go on; anything else is an error;
 *   2. the NVIDIA driver version: /sys/module/nvidia/version, else
 *      /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX x86_64 Kernel
 *      Module  535.104.05  ..." or "... Open Kernel Module for x86_64 ...");
 *   3. nvidia-smi on PATH: `--query-gpu=driver_version,name,compute_cap
 *      --format=csv,noheader` (one line per GPU; drivers that do not know
 *      compute_cap are asked again without it), then plain `nvidia-smi` for
 *      "CUDA Version: X.Y", the newest CUDA the driver supports. GPU names
 *      fall back to /proc/driver/nvidia/gpus/<bus>/information;
 *   4. ROCm (Linux only, when there is no NVIDIA driver):
 *      rocm_agent_enumerator on PATH or /opt/rocm; version X.Y from
 *      /opt/rocm/.info/version. An enumerator listing only gfx000 (the CPU
 *      agent) means no AMD GPU.
 * Files are read under TORCHSHIM_SYSROOT (default "/"), so tests can fake a
 * machine. Programs are run by host_run (hostprobe.h): without a shell,
 * stdout captured, stdin and stderr on /dev/null, in their own process
 * group, the whole group killed if they take longer than DETECT_TIMEOUT_MS.
 * Nothing here prints (verbosef tracing aside).
 *
 * Every fact keeps its source (a path or a command) so `doctor` can explain
 * it, and `notes` holds one sentence per step, e.g.
 *   "driver 535.104.05 from /sys/module/nvidia/version"
 *   "no NVIDIA driver found: CPU". */
#ifndef TORCHSHIM_DETECT_H
#define TORCHSHIM_DETECT_H

#include <stddef.h>

#include "strv.h"

struct cudatable;

#define DETECT_TIMEOUT_MS 2000

enum detect_kind { DETECT_CPU = 0, DETECT_CUDA, DETECT_ROCM };

struct detect_gpu {
    char *name;              /* "NVIDIA GeForce RTX 3090" */
    char *compute_cap;       /* "8.6"; NULL if unknown */
};

struct detect_result {
    enum detect_kind kind;
    char *forced;            /* TORCHSHIM_BACKEND value that decided ("cu121"), or NULL */
    char *kind_source;       /* what decided kind: "TORCHSHIM_BACKEND", a path, "nvidia-smi" */

    char *driver;            /* NVIDIA driver version "535.104.05"; NULL if none */
    char *driver_source;
    char *cuda_version;      /* newest CUDA the driver supports, "12.2"; NULL if unknown */
    char *cuda_source;
    struct detect_gpu *gpus;
    size_t ngpus;
    char *gpus_source;

    char *rocm_version;      /* "6.1"; NULL if no ROCm or unknown */
    char *rocm_version_full; /* "6.1.2" */
    char *rocm_source;
    struct strv rocm_agents; /* "gfx1030", ... (gfx000 left out) */

    struct strv notes;       /* one sentence per finding, in order */
};

/* Flags for detect_backend_flags. */
#define DETECT_IGNORE_ENV 1u /* probe even if TORCHSHIM_BACKEND is set (doctor) */

/* Fill *out (always initialised; free with detect_result_free). Returns 0,
 * or -1 with *err (may be NULL) when TORCHSHIM_BACKEND holds something
 * unknown (*out then says CPU). A machine without GPU is not an error. */
int detect_backend(struct detect_result *out, char **err);
int detect_backend_flags(struct detect_result *out, unsigned flags, char **err);
void detect_result_free(struct detect_result *r);

const char *detect_kind_name(enum detect_kind k);    /* "cpu", "cuda", "rocm" */

/* The lowest compute capability among the GPUs ("6.1"), or NULL. */
const char *detect_min_compute_cap(const struct detect_result *r);

/* Choose the variant to install from the published ones ("cpu", "cu121",
 * "rocm6.1", ...) for torch release TORCH (NULL = unknown) with table T
 * (NULL: none loaded, so no CUDA variant is known to fit):
 *   forced    the forced variant when published, else -1;
 *   cuda      cudatable_pick_q with the driver, its CUDA version and the
 *             oldest GPU's compute capability (Linux driver column);
 *   rocm      the newest published rocm variant not newer than the
 *             installed ROCm X.Y (any when the version is unknown);
 *   else, or when nothing fits: "cpu" if published.
 * Returns 0 with *out (malloc'd), -1 (*out = NULL) when nothing published
 * fits. *why (malloc'd; why may be NULL) gets the reason either way. */
int detect_pick_variant(const struct detect_result *r, const struct cudatable *t,
                        const char *torch, const char *const *published, size_t n,
                        char **out, char **why);

#endif
