/* cmd_install.c — torchshim install: the tutorials' whole checklist in one
 * command. Detect the GPU and driver, choose the variant the requested torch
 * was published for and the driver runs, choose pip or conda, read the target
 * Python, resolve exact packages on the mirrors, print the plan, and answer
 * the front end with the command to exec (the same path as the shim).
 *
 *   torchshim install [--backend auto|cpu|cuXYZ|rocmX.Y] [--tool pip|conda]
 *                     [--python X.Y] [--mirror SITE] [--dry-run] [-y]
 *                     [PKG...] [-- TOOL OPTIONS...]
 * PKG defaults to torch torchvision torchaudio (pytorch ... for conda). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "answer.h"
#include "commands.h"
#include "config.h"
#include "cudatable.h"
#include "detect.h"
#include "findtool.h"
#include "msg.h"
#include "pairing.h"
#include "pep508.h"
#include "plan.h"
#include "quote.h"

/* Said why; to the front end that means: run nothing, exit 2. */
static int usage(const struct answer *ans)
{
    errorf("usage: torchshim install [--backend auto|cpu|cuXYZ|rocmX.Y] [--tool pip|conda] "
           "[--python X.Y] [--mirror SITE] [--dry-run] [-y] [PKG...] [-- TOOL OPTIONS]");
    return ans->fd >= 0 ? answer_quit(ans, 2) : 2;
}

/* The torch release a request means: the user's spec on torch/pytorch
 * matched against the pairing table, newest first (NULL spec: the newest). */
static const struct pairing_row *requested_row(const struct pairing_table *t,
                                               const struct strv *pkgs, int py_major,
                                               int py_minor)
{
    struct pep440_specset *spec = NULL;
    struct pep508_req r;
    for (size_t i = 0; i < pkgs->n && !spec; i++) {
        if (pep508_parse(pkgs->v[i], &r, NULL) == PEP508_OK &&
            (!strcmp(r.norm_name, "torch") || !strcmp(r.norm_name, "pytorch"))) {
            spec = xmalloc(sizeof *spec);
            *spec = r.spec;
            memset(&r.spec, 0, sizeof r.spec);
        }
        pep508_free(&r);
    }
    const struct pairing_row *best = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const struct pairing_row *row = &t->rows[i];
        if (spec && !pep440_specset_match(spec, &row->version[PAIRING_TORCH], 0))
            continue;
        if (py_major && !pairing_python_ok(row, py_major, py_minor))
            continue;
        if (!best || pep440_cmp(&row->version[PAIRING_TORCH], &best->version[PAIRING_TORCH]) > 0)
            best = row;
    }
    if (spec) {
        pep440_specset_free(spec);
        free(spec);
    }
    return best;
}

/* conda calls torch "pytorch". */
static char *conda_name(const char *pkg)
{
    if (!strncmp(pkg, "torch", 5) && (!pkg[5] || !strchr("abcdefghijklmnopqrstuvwxyz-_", pkg[5])))
        return xasprintf("pytorch%s", pkg + 5);
    return xstrdup(pkg);
}

static int confirm(void)
{
    fprintf(stderr, "Proceed? [Y/n] ");
    fflush(stderr);
    char line[32];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return line[0] == '\n' || line[0] == 'y' || line[0] == 'Y';
}

int cmd_install(int argc, char **argv)
{
    struct answer ans = { -1, 0 };
    struct plan p = PLAN_INIT;
    const char *backend = "auto", *tool = NULL;
    int yes = 0, i = 1;
    struct strv pkgs = STRV_INIT;
    for (; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) {
            strv_extend(&p.extra, argv + i + 1, (size_t)(argc - i - 1));
            break;
        } else if (!strcmp(a, "--result-fd") && v) {
            ans.fd = atoi(v);
            i++;
        } else if (!strcmp(a, "--backend") && v) {
            backend = v;
            i++;
        } else if (!strcmp(a, "--tool") && v) {
            tool = v;
            i++;
        } else if (!strcmp(a, "--python") && v) {
            p.python = v;
            i++;
        } else if (!strcmp(a, "--mirror") && v) {
            setenv("TORCHSHIM_MIRROR", v, 1);
            i++;
        } else if (!strcmp(a, "--dry-run")) {
            ans.dry_run = 1;
        } else if (!strcmp(a, "-y") || !strcmp(a, "--yes")) {
            yes = 1;
        } else if (a[0] == '-') {
            return usage(&ans);
        } else {
            strv_push(&pkgs, a);
        }
    }
    if (tool && strcmp(tool, "pip") && strcmp(tool, "conda"))
        return usage(&ans);
    if (strcmp(backend, "auto") && plan_set_backend(&p, backend))
        return usage(&ans);
    if (!pkgs.n) {
        strv_push(&pkgs, "torch");
        strv_push(&pkgs, "torchvision");
        strv_push(&pkgs, "torchaudio");
    }

    struct config cfg;
    char *err = NULL;
    int r = 1;
    if (config_load(&cfg, &err)) {
        errorf("configuration: %s", err);
        free(err);
        config_free(&cfg);
        strv_clear(&pkgs);
        return ans.fd >= 0 ? answer_quit(&ans, 1) : 1;
    }
    struct detect_result det;
    struct cudatable table;
    struct pairing_table pairing = { 0 };
    char terr[256];
    memset(&det, 0, sizeof det);
    memset(&table, 0, sizeof table);
    detect_backend(&det);
    int have_table = cudatable_load_default(&table, terr, sizeof terr) == 0;
    char *ppath = config_data_file(&cfg, "pairing.tsv");
    if (pairing_load(ppath, &pairing, &err)) {
        errorf("%s", err);
        free(err);
        free(ppath);
        goto out;
    }
    free(ppath);

    /* the tool: pip unless asked, or inside a conda env for a release the
     * pytorch channel has (it stopped at 2.5.1) */
    int py_major = 0, py_minor = 0;
    if (p.python)
        sscanf(p.python, "%d.%d", &py_major, &py_minor);
    const struct pairing_row *row = requested_row(&pairing, &pkgs, py_major, py_minor);
    if (!row) {
        errorf("no PyTorch release matches %s%s", pkgs.v[0],
               p.python ? " for that Python" : "");
        goto out;
    }
    const char *torch = row->text[PAIRING_TORCH];
    if (tool) {
        p.tool = !strcmp(tool, "conda") ? TOOL_CONDA : TOOL_PIP;
    } else {
        struct pep440 last;
        pep440_parse("2.5.1", &last);
        p.tool = getenv("CONDA_PREFIX") && pep440_cmp(&row->version[PAIRING_TORCH], &last) <= 0
                     ? TOOL_CONDA
                     : TOOL_PIP;
        pep440_free(&last);
    }

    /* the variant */
    char variant[32] = "", why[256] = "", maxcuda[16] = "";
    if (p.backend[0]) {
        snprintf(variant, sizeof variant, "%s", p.backend);
        snprintf(why, sizeof why, "--backend %s", p.backend);
    } else if (p.tool == TOOL_PIP) {
        if (detect_pick_variant(&det, have_table ? &table : NULL, torch,
                                (const char *const *)row->variants.v, row->variants.n, variant,
                                sizeof variant, why, sizeof why)) {
            errorf("torch %s has no build for this machine: %s", torch, why);
            goto out;
        }
        plan_set_backend(&p, variant);
    } else if (det.kind == DETECT_CUDA &&
               (det.cuda_version || (have_table && det.driver &&
                                     cudatable_max_cuda(&table, det.driver, 0, maxcuda,
                                                        sizeof maxcuda) == 0))) {
        /* conda: the newest pytorch-cuda the driver runs */
        const char *cv = det.cuda_version ? det.cuda_version : maxcuda;
        char cu[16];
        int maj = 0, min = 0;
        sscanf(cv, "%d.%d", &maj, &min);
        snprintf(cu, sizeof cu, "cu%d%d", maj, min);
        plan_set_backend(&p, cu);
        p.cuda_is_max = 1;
        snprintf(variant, sizeof variant, "cuda <= %s", cv);
        snprintf(why, sizeof why, "driver %s runs CUDA up to %s", det.driver ? det.driver : "?", cv);
    } else {
        plan_set_backend(&p, "cpu");
        snprintf(variant, sizeof variant, "cpu");
        snprintf(why, sizeof why, "%s", det.kind == DETECT_CPU ? "no NVIDIA GPU found"
                                                               : "the conda channel has no ROCm builds");
    }

    /* the real tool, as the shim would find it */
    /* the front end's identity: the real tool found is never torchshim */
    struct self_id self;
    self_identify_path(&self, getenv("TORCHSHIM_FRONT"));
    char *real = NULL, name[32];
    if (p.tool == TOOL_PIP && p.python)
        snprintf(name, sizeof name, "pip%s", p.python);
    else
        snprintf(name, sizeof name, "%s", p.tool == TOOL_PIP ? "pip" : "conda");
    if (findtool_locate(name, p.tool == TOOL_PIP ? MODE_PIP : MODE_CONDA, &self, NULL, &real))
        goto out;

    struct strv specs = STRV_INIT, out = STRV_INIT;
    for (size_t k = 0; k < pkgs.n; k++)
        strv_push_take(&specs, p.tool == TOOL_CONDA ? conda_name(pkgs.v[k]) : xstrdup(pkgs.v[k]));

    /* the plan */
    for (size_t g = 0; g < det.ngpus; g++)
        notef("GPU:      %s%s%s%s", det.gpus[g].name ? det.gpus[g].name : "NVIDIA GPU",
              det.gpus[g].compute_cap ? " (compute capability " : "",
              det.gpus[g].compute_cap ? det.gpus[g].compute_cap : "",
              det.gpus[g].compute_cap ? ")" : "");
    if (det.driver)
        notef("driver:   %s%s%s%s", det.driver, det.cuda_version ? " (runs CUDA up to " : "",
              det.cuda_version ? det.cuda_version : "", det.cuda_version ? ")" : "");
    else if (det.kind == DETECT_ROCM)
        notef("ROCm:     %s", det.rocm_version_full ? det.rocm_version_full : "present");
    else if (!det.ngpus)
        notef("GPU:      none found: the CPU build");
    if (!strncmp(why, variant, strlen(variant)))
        notef("variant:  %s", why);
    else
        notef("variant:  %s (%s)", variant, why);
    if (p.tool == TOOL_PIP) {
        char *pub = shell_join(row->variants.v, row->variants.n);
        notef("torch:    %s (published for %s)", torch, pub);
        free(pub);
    }
    notef("tool:     %s (%s)", p.tool == TOOL_PIP ? "pip" : "conda", real);
    if (p.python)
        notef("Python:   %s", p.python);

    r = plan_command(&p, &cfg, real, (int)specs.n, specs.v, &out);
    if (r == 0) {
        char *line = shell_join(out.v + 1, out.n - 1);
        notef("command:  %s", line);
        free(line);
        if (!ans.dry_run && !yes && isatty(STDIN_FILENO) && !confirm()) {
            notef("nothing installed");
            r = 1;
        } else {
            r = answer_exec(&ans, &out, NULL);
        }
    }
    strv_clear(&specs);
    strv_clear(&out);
    free(real);
out:
    pairing_free(&pairing);
    if (have_table)
        cudatable_free(&table);
    detect_result_free(&det);
    config_free(&cfg);
    strv_clear(&pkgs);
    strv_clear(&p.extra);
    /* the reason was said; the front end runs nothing and exits with r */
    return r && ans.fd >= 0 ? answer_quit(&ans, r) : r;
}
