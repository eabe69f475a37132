/* cudatable.h — which CUDA wheel variants a machine's NVIDIA driver and GPU can run.
 *
 * Two data files (config/, installed to $(DATADIR)):
 *   driver-cuda.tsv   variants -> oldest Linux / Windows driver
 *   compute-cap.tsv   variants (and torch releases) -> oldest / newest GPU
 *                     compute capability the wheels have kernels for
 * Their format is described in the files themselves. A variant is "cuXYZ"
 * meaning CUDA XY.Z (cu118 = 11.8, cu92 = 9.2, cu130 = 13.0); "cpu" needs
 * nothing; anything else (rocm6.1, xpu) is not this table's business.
 *
 * Driver versions ("535.104.05", "528.33") compare numerically per
 * dot-separated component; a missing component counts as 0.
 *
 * The driver's own "CUDA Version: X.Y" (nvidia-smi) is an upper bound too.
 * By default it bounds the CUDA major only: CUDA minor version compatibility
 * lets a 12.2 driver run cu124 wheels (they bundle their runtime), and the
 * driver table already says which driver each minor needs. With
 * cap_minor = 1 the bound is exact (12.2 rejects cu124), for setups that
 * need native support (PTX JIT of newer PTX).
 *
 * Return conventions: functions returning int use 0 = success, -1 = error
 * or "nothing", unless said otherwise. Strings come back malloc'd through
 * char ** out-parameters, NULL when there is nothing to say: `err` the
 * error (seterr), `why`/`msg` a sentence for `doctor` and notes; any of
 * them may be NULL when the caller does not want it. Nothing here prints. */
#ifndef TORCHSHIM_CUDATABLE_H
#define TORCHSHIM_CUDATABLE_H

#include <stddef.h>

struct cudatable_driver_row {
    int lo, hi;            /* CUDA versions, major * 100 + minor, inclusive */
    char *min_linux;       /* "525.60.13" */
    char *min_windows;     /* "528.33" */
};

struct cudatable_cc_row {
    int lo, hi;            /* CUDA versions as above */
    int torch_lo, torch_hi;/* torch major * 100 + minor, inclusive; 0 = any */
    int min_cc, max_cc;    /* compute capability major * 10 + minor (75) */
};

struct cudatable {
    struct cudatable_driver_row *drv;
    size_t ndrv;
    struct cudatable_cc_row *cc;
    size_t ncc;
};

#define CUDATABLE_INIT { NULL, 0, NULL, 0 }

/* What we know about the machine (or the machine we plan for). */
struct cudatable_query {
    const char *driver;       /* NVIDIA driver version; NULL = none found */
    const char *cuda_cap;     /* "12.2" from nvidia-smi; NULL = unknown */
    int cap_minor;            /* 1: cuda_cap bounds major.minor, not just major */
    const char *compute_cap;  /* "6.1" (the oldest GPU); NULL = unknown */
    const char *torch;        /* torch version the variant is for; NULL = unknown */
    int windows;              /* use the Windows driver column */
};

/* Load the tables (each at most 1 MiB of text). cc_path may be NULL (no
 * compute capability checks). Returns 0, or -1 with *err "path:line:
 * problem" (or why a file cannot be read). On failure *t is left empty. */
int cudatable_load(struct cudatable *t, const char *driver_path, const char *cc_path,
                   char **err);

/* Load driver-cuda.tsv and compute-cap.tsv (if present) from the data
 * directory, config_datadir() (config.h: $TORCHSHIM_DATADIR, else beside
 * the executable). */
int cudatable_load_default(struct cudatable *t, char **err);

/* The same from text in memory (cc_text may be NULL). */
int cudatable_parse(struct cudatable *t, const char *driver_text, const char *cc_text,
                    char **err);

void cudatable_free(struct cudatable *t);

/* "cu121" -> 1201 (12.1), "cu92" -> 902; -1 if not a CUDA variant. */
int cudatable_variant_cuda(const char *variant);

/* Compare driver versions per numeric component: <0, 0, >0; a malformed
 * version (empty, a non-digit component) sorts below every valid one. */
int cudatable_driver_cmp(const char *a, const char *b);
int cudatable_driver_valid(const char *v);

/* The newest CUDA version ("12.9") the driver runs according to the table.
 * Returns 0 with *out (malloc'd), or -1 (*out = NULL) when the driver runs
 * no CUDA variant or is not a valid version. */
int cudatable_max_cuda(const struct cudatable *t, const char *driver_version, int windows,
                       char **out);
int cudatable_max_cuda_q(const struct cudatable *t, const struct cudatable_query *q,
                         char **out);

/* Can this driver run VARIANT? 1 yes, 0 no, -1 unknown (not a CUDA variant,
 * no row for it, or a malformed driver version). "cpu" is always 1. */
int cudatable_variant_ok(const struct cudatable *t, const char *variant, const char *driver,
                         int windows);
/* The same with everything in q (cap, compute capability); *why says what
 * decided a 0 or -1 (NULL after a 1). */
int cudatable_check(const struct cudatable *t, const char *variant,
                    const struct cudatable_query *q, char **why);

/* The newest of the published variants ("cpu", "cu118", ...; the caller's
 * list, in any order) the machine can run; "cpu" when none can and cpu is
 * published. Variants the table does not know are skipped. Returns 0 with
 * the variant in *out (malloc'd), or -1 (*out = NULL) when nothing fits.
 * *why says how the choice was made, or why nothing fits. */
int cudatable_pick(const struct cudatable *t, const char *const *published_variants, size_t n,
                   const char *driver, int windows, char **out);
int cudatable_pick_q(const struct cudatable *t, const struct cudatable_query *q,
                     const char *const *published_variants, size_t n, char **out, char **why);

/* The last resort of every pick: "cpu" when it is published (0, *why
 * "cpu: CPU_WHY"), else -1 (*out NULL, *why "no published variant fits",
 * with ": REASON" when REASON is not empty). */
int cudatable_pick_cpu(const char *const *published_variants, size_t n, const char *cpu_why,
                       const char *reason, char **out, char **why);

/* Does the GPU's compute capability ("6.1") fall outside what VARIANT's
 * wheels (of torch release TORCH, NULL = unknown) are built for? Returns 1
 * with a warning sentence in *msg, 0 when fine, -1 when unknown (no row,
 * malformed input); *msg is NULL unless 1. */
int cudatable_cc_warning(const struct cudatable *t, const char *variant, const char *torch,
                         const char *compute_cap, char **msg);

#endif
