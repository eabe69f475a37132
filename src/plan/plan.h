/* plan.h — what to install, for which machine: the tool (pip or conda), the
 * platform (conda subdir), the Python (X.Y) and the backend variant (cpu,
 * cu121, rocm6.1), turned into a full, resolved install command.
 * Used by `torchshim resolve` and `torchshim install`. */
#ifndef TORCHSHIM_PLAN_H
#define TORCHSHIM_PLAN_H

#include "config.h"
#include "outcome.h"
#include "strv.h"

enum plan_tool { TOOL_PIP, TOOL_CONDA };

struct plan {
    enum plan_tool tool;
    const char *subdir;     /* "linux-64", "win-64"; NULL: this machine */
    const char *python;     /* "3.12"; NULL: the target environment's */
    char backend[32];       /* "cpu", "cu121", "rocm6.1"; "": unknown */
    int cuda_is_max;        /* backend is the newest the driver runs (detected) */
    struct strv extra;      /* options passed on to the tool (after --) */
};

#define PLAN_INIT { TOOL_PIP, NULL, NULL, "", 0, STRV_INIT }

/* Set the backend from cpu | cuXYZ | rocmX.Y; -1 if malformed. */
int plan_set_backend(struct plan *p, const char *b);
/* cu121 -> "12.1" into out; -1 if not a CUDA variant. */
int plan_cuda_version(const char *variant, char *out, size_t n);

/* Build the install command for SPECS with TOOL_PATH as argv[0], and run
 * it through the pip or conda path (pip_run / conda_run): RUN_REWRITTEN
 * with res->argv, or why not. Fills RES (run_result_free). */
enum run_outcome plan_command(const struct plan *p, const struct config *cfg,
                              const char *tool_path, int nspecs, char **specs,
                              struct run_result *res);

#endif
