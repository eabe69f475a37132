/* cmd_doctor.c — torchshim doctor: everything that decides what an install
 * gets, on one screen.
 *
 *   torchshim doctor [--json] [--timeout SECONDS] [-v]
 *
 * The machine (OS, architecture, conda subdir), its GPUs, driver and the
 * newest CUDA the driver runs (detect.h, cudatable.h); the Pythons on PATH
 * and the active venv / conda environment with the torch installed in each
 * and whether that build suits the driver (pyinfo.h); the pip and conda the
 * shim would exec (findtool.h); the mirrors [use] picks per role and whether
 * each answers (probe.h, at most SECONDS, default 3, all at once); and the
 * command `torchshim install torch torchvision torchaudio` would run — asked
 * of the front end itself (`torchshim install --dry-run ...`, started first
 * so it runs while the rest is gathered). --json prints the same facts as
 * one JSON object; -v adds how each fact was found. */
#include <cjson/cJSON.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include "commands.h"
#include "config.h"
#include "cudatable.h"
#include "detect.h"
#include "fileio.h"
#include "findtool.h"
#include "hostprobe.h"
#include "msg.h"
#include "probe.h"
#include "proc.h"
#include "pyinfo.h"
#include "strv.h"

#define DOCTOR_PROBE_MS 3000     /* the mirror check, all at once */
#define DOCTOR_INSTALL_MS 30000  /* torchshim install --dry-run */
#define DOCTOR_OUTPUT_MAX (1 << 20)
#define OS_RELEASE_MAX (64 * 1024)

/* ------------------------------------------------------------------ */
/* the facts                                                            */

struct env_fact {
    const char *label;      /* "python3", "python", "venv", "conda env" */
    char *asked;            /* the path looked at; NULL if there is none */
    const char *absent;     /* why there is none */
    struct pyinfo pi;
    int ok;                 /* pi filled */
    int torch;              /* 1 installed (d), 0 not, -1 unreadable */
    struct pyinfo_dist d;
    int match;              /* the build suits this machine: 1, 0, -1 unknown */
    char *verdict;
};

struct tool_fact {
    const char *name;
    enum tool_mode mode;
    char *path;             /* what the shim would exec; NULL if none */
    char *why;              /* why none */
};

struct doctor {
    struct utsname uts;
    char *os_name;          /* PRETTY_NAME of os-release, or NULL */
    const char *glibc;
    const char *subdir;
    struct detect_result det;
    struct cudatable table;
    int have_table;
    char *table_err;        /* why the table is not loaded */
    char *table_max;        /* newest CUDA the driver runs per the table; NULL */
    const char *forced;     /* TORCHSHIM_BACKEND, if set */
    struct env_fact env[4];
    struct tool_fact tool[2];
    char *pip_on_path;      /* `pip` as PATH finds it */
    int pip_is_shim;
    struct config cfg;
    int cfg_ok;
    char *cfg_err;
    struct probe_item *items;
    long nitems;
    long probe_ms;
    char *probe_err;
    char *front;            /* the front end run for the install line */
    char *install;          /* its answer */
    char *install_err;
};

/* PRETTY_NAME="..." in an os-release text; malloc'd, NULL if none. */
static char *pretty_name(const char *text)
{
    for (const char *line = text; *line;) {
        size_t n = strcspn(line, "\n");
        if (!strncmp(line, "PRETTY_NAME=", 12)) {
            char *v = xstrndup(line + 12, strcspn(line + 12, "\r\n"));
            size_t len = strlen(v);
            int quoted = len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0];
            char *name = quoted ? xstrndup(v + 1, len - 2) : xstrdup(v);
            free(v);
            if (*name)
                return name;
            free(name);
        }
        line += n + (line[n] == '\n');
    }
    return NULL;
}

static char *os_pretty_name(void)
{
    const char *root = getenv("TORCHSHIM_SYSROOT");
    if (!root || !*root)
        root = "/";
    static const char *const files[] = { "etc/os-release", "usr/lib/os-release" };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *p = xasprintf("%s/%s", root, files[i]);
        char *text = NULL, *name = NULL;
        if (file_read(p, OS_RELEASE_MAX, &text, NULL, NULL) == 0)
            name = pretty_name(text);
        free(text);
        free(p);
        if (name)
            return name;
    }
    return NULL;
}

/* A conda environment's pytorch build says its variant:
 * conda-meta/pytorch-2.3.1-py3.12_cuda12.1_cudnn8.9.2_0.json -> cu121,
 * pytorch-2.3.1-py3.12_cpu_0.json -> cpu. malloc'd, or NULL. */
static char *conda_torch_variant(const char *prefix, const char *version)
{
    char *dir = xasprintf("%s/conda-meta", prefix);
    char *head = xasprintf("pytorch-%s-", version);
    struct strv names = STRV_INIT;
    host_list_dir(dir, &names);
    char *found = NULL;
    for (size_t i = 0; i < names.n && !found; i++) {
        const char *e = names.v[i];
        size_t len = strlen(e);
        if (strncmp(e, head, strlen(head)) || len < 5 || strcmp(e + len - 5, ".json"))
            continue;
        const char *build = e + strlen(head), *cu = strstr(build, "cuda");
        int maj, min;
        if (cu && sscanf(cu + 4, "%d.%d", &maj, &min) == 2)
            found = xasprintf("cu%d%d", maj, min);
        else if (strstr(build, "cpu"))
            found = xstrdup("cpu");
    }
    strv_clear(&names);
    free(dir);
    free(head);
    return found;
}

/* A CUDA build LOCAL (torch PUBLIC_VERSION) with this driver and GPU. */
static int cuda_verdict(const struct doctor *dr, const char *local, const char *public_version,
                        char **text)
{
    const struct detect_result *det = &dr->det;
    const struct cudatable *t = dr->have_table ? &dr->table : NULL;
    if (!det->driver) {
        *text = xasprintf("a CUDA build (%s), but no NVIDIA driver was found: CPU only", local);
        return 0;
    }
    int ok = t ? cudatable_variant_ok(t, local, det->driver, 0) : -1;
    char *warn = NULL;
    const char *cc = detect_min_compute_cap(det);
    if (ok == 1 && t && cc && cudatable_cc_warning(t, local, public_version, cc, &warn) == 1)
        ok = 0;
    if (ok == 1)
        *text = xasprintf("%s runs on driver %s", local, det->driver);
    else if (ok == 0 && warn)
        *text = xasprintf("%s: %s", local, warn);
    else if (ok == 0)
        *text = xasprintf("driver %s is too old for %s", det->driver, local);
    else
        *text = xasprintf("unknown whether driver %s runs %s%s", det->driver, local,
                          t ? "" : " (no driver table)");
    free(warn);
    return ok;
}

/* A build LOCAL that is not CUDA: cpu, rocmX.Y, anything else. */
static int other_verdict(const struct detect_result *det, const char *local, char **text)
{
    if (!strcmp(local, "cpu")) {
        if (det->kind == DETECT_CPU) {
            *text = xstrdup("the CPU build, right for this machine");
            return 1;
        }
        *text = xasprintf("the CPU build, but this machine has a%s GPU: torch will not use it",
                          det->kind == DETECT_CUDA ? "n NVIDIA" : "n AMD");
        return 0;
    }
    if (!strncmp(local, "rocm", 4)) {
        if (det->kind == DETECT_ROCM) {
            *text = xasprintf("a ROCm build (%s); ROCm %s here", local,
                              det->rocm_version ? det->rocm_version : "(version unknown)");
            return 1;
        }
        *text = xasprintf("a ROCm build (%s), but no ROCm was found", local);
        return 0;
    }
    *text = xasprintf("a %s build", local);
    return -1;
}

/* Does torch's build (its +local label, or conda's build string) suit this
 * machine? 1 yes, 0 no, -1 unknown; *text says why. */
static int torch_verdict(const struct env_fact *e, const struct doctor *dr, char **text)
{
    const struct pyinfo_dist *d = &e->d;
    char *conda_variant = NULL;
    if (!d->local && e->pi.is_conda && e->pi.prefix)
        conda_variant = conda_torch_variant(e->pi.prefix,
                                            d->public_version ? d->public_version : d->version);
    const char *local = d->local ? d->local : conda_variant;
    int r = -1;
    if (!local)
        *text = xstrdup("no +variant label: a PyPI build (on Linux x86_64 that bundles CUDA)");
    else if (cudatable_variant_cuda(local) > 0)
        r = cuda_verdict(dr, local, d->public_version, text);
    else
        r = other_verdict(&dr->det, local, text);
    free(conda_variant);
    return r;
}

/* The verdict, said to come from conda's build string when it did. */
static int torch_verdict_said(const struct env_fact *e, const struct doctor *dr, char **text)
{
    int r = torch_verdict(e, dr, text);
    if (!e->d.local && e->pi.is_conda && r >= 0) {
        char *t = xasprintf("%s (by its conda build string)", *text);
        free(*text);
        *text = t;
    }
    return r;
}

static void env_fill(struct env_fact *e, struct doctor *dr)
{
    struct pyinfo init = PYINFO_INIT;
    e->pi = init;
    if (!e->asked)
        return;
    int r = !strcmp(e->label, "conda env") ? pyinfo_from_conda_prefix(e->asked, &e->pi)
                                           : pyinfo_from_python(e->asked, &e->pi);
    e->ok = r == 0;
    if (!e->ok)
        return;
    e->torch = pyinfo_torch_installed(&e->pi, &e->d);
    e->match = -1;
    if (e->torch == 1)
        e->match = torch_verdict_said(e, dr, &e->verdict);
}

static void tool_fill(struct tool_fact *t, const struct self_id *self)
{
    if (findtool_locate(t->name, t->mode, self, NULL, &t->path, &t->why)) {
        free(t->path);
        t->path = NULL;
        size_t nl = strlen(t->name);  /* "conda: no real 'conda' ...": the name once */
        if (t->why && !strncmp(t->why, t->name, nl) && !strncmp(t->why + nl, ": ", 2))
            memmove(t->why, t->why + nl + 2, strlen(t->why + nl + 2) + 1);
    }
}

/* The machine, its GPUs and what the driver table says of them. */
static void gather_machine(struct doctor *dr)
{
    uname(&dr->uts);
    dr->os_name = os_pretty_name();
#ifdef __GLIBC__
    dr->glibc = gnu_get_libc_version();
#endif
    dr->subdir = pyinfo_conda_subdir();

    detect_backend_flags(&dr->det, DETECT_IGNORE_ENV, NULL);
    const char *forced = getenv("TORCHSHIM_BACKEND");
    dr->forced = forced && *forced && strcmp(forced, "auto") ? forced : NULL;
    dr->have_table = cudatable_load_default(&dr->table, &dr->table_err) == 0;
    if (dr->have_table && dr->det.driver)
        cudatable_max_cuda(&dr->table, dr->det.driver, 0, &dr->table_max);
}

/* The interpreter of $VIRTUAL_ENV: bin/python, else bin/python3 (the first
 * that is there); NULL when it is not set. */
static char *venv_python(void)
{
    const char *v = getenv("VIRTUAL_ENV");
    if (!v || !*v)
        return NULL;
    char *py = xasprintf("%s/bin/python", v);
    char *p3 = xasprintf("%s/bin/python3", v);
    if (access(py, X_OK) != 0 && access(p3, X_OK) == 0) {
        free(py);
        return p3;
    }
    free(p3);
    return py;
}

/* python3 and python on PATH, the active venv, the active conda env. */
static void gather_envs(struct doctor *dr)
{
    static const char *const labels[] = { "python3", "python", "venv", "conda env" };
    static const char *const absent[] = { "not on PATH", "not on PATH",
                                          "none ($VIRTUAL_ENV is not set)",
                                          "none ($CONDA_PREFIX is not set)" };
    const char *conda = getenv("CONDA_PREFIX");
    for (int i = 0; i < 4; i++) {
        struct env_fact *e = &dr->env[i];
        e->label = labels[i];
        e->absent = absent[i];
        if (i < 2)
            e->asked = host_which(labels[i]);
        else if (i == 2)
            e->asked = venv_python();
        else
            e->asked = conda && *conda ? xstrdup(conda) : NULL;
        env_fill(e, dr);
    }
}

/* The pip and conda the shim would exec; whether `pip` is the shim. */
static void gather_tools(struct doctor *dr, const struct self_id *self)
{
    dr->tool[0] = (struct tool_fact){ "pip", MODE_PIP, NULL, NULL };
    dr->tool[1] = (struct tool_fact){ "conda", MODE_CONDA, NULL, NULL };
    for (int i = 0; i < 2; i++)
        tool_fill(&dr->tool[i], self);
    dr->pip_on_path = host_which("pip");
    dr->pip_is_shim = dr->pip_on_path && self->path[0] && findtool_is_self(dr->pip_on_path, self);
}

/* The mirrors [use] picks, asked at once. */
static void gather_mirrors(struct doctor *dr)
{
    dr->cfg_ok = config_load(&dr->cfg, &dr->cfg_err) == 0;
    if (!dr->cfg_ok)
        return;
    dr->nitems = probe_plan(&dr->cfg, 1, NULL, 0, &dr->items, &dr->probe_err);
    struct probe_opts o = { .timeout_ms = dr->probe_ms,
                            .connect_timeout_ms = dr->cfg.connect_timeout * 1000 };
    if (dr->nitems > 0 && probe_run(dr->items, (size_t)dr->nitems, &o, &dr->probe_err) < 0)
        dr->nitems = -1;
}

static void doctor_free(struct doctor *dr)
{
    free(dr->os_name);
    detect_result_free(&dr->det);
    if (dr->have_table)
        cudatable_free(&dr->table);
    free(dr->table_err);
    free(dr->table_max);
    for (int i = 0; i < 4; i++) {
        free(dr->env[i].asked);
        pyinfo_free(&dr->env[i].pi);
        if (dr->env[i].torch == 1)
            pyinfo_dist_free(&dr->env[i].d);
        free(dr->env[i].verdict);
    }
    for (int i = 0; i < 2; i++) {
        free(dr->tool[i].path);
        free(dr->tool[i].why);
    }
    free(dr->pip_on_path);
    config_free(&dr->cfg);
    free(dr->cfg_err);
    probe_items_free(dr->items, dr->nitems > 0 ? (size_t)dr->nitems : 0);
    free(dr->probe_err);
    free(dr->front);
    free(dr->install);
    free(dr->install_err);
}

/* ------------------------------------------------------------------ */
/* text                                                                 */

#define LABEL "  %-11s "

static void print_machine(const struct doctor *dr)
{
    printf("torchshim %s doctor\n\nmachine\n", TORCHSHIM_VERSION);
    printf(LABEL "%s%s%s %s", "OS:", dr->os_name ? dr->os_name : "", dr->os_name ? "; " : "",
           dr->uts.sysname, dr->uts.machine);
    if (dr->glibc)
        printf(", glibc %s", dr->glibc);
    printf("\n" LABEL "%s\n", "conda:", dr->subdir ? dr->subdir : "(unknown subdir)");
}

/* The NVIDIA driver and the newest CUDA it runs. */
static void print_driver(const struct doctor *dr, int verbose)
{
    const struct detect_result *det = &dr->det;
    if (!det->driver) {
        printf(LABEL "%s\n", "driver:", "no NVIDIA driver");
        return;
    }
    printf(LABEL "%s", "driver:", det->driver);
    if (verbose && det->driver_source)
        printf(" (%s)", det->driver_source);
    printf("\n" LABEL, "max CUDA:");
    if (det->cuda_version)
        printf("%s (nvidia-smi)%s%s\n", det->cuda_version,
               dr->table_max ? "; the driver table says wheels up to CUDA " : "",
               dr->table_max ? dr->table_max : "");
    else if (dr->table_max)
        printf("%s (the driver table; nvidia-smi did not say)\n", dr->table_max);
    else
        printf("unknown\n");
}

static void print_gpu(const struct doctor *dr, int verbose)
{
    const struct detect_result *det = &dr->det;
    printf("\nGPU\n");
    if (!det->ngpus)
        printf(LABEL "%s\n", "GPU:", det->kind == DETECT_ROCM ? "AMD (see ROCm below)" : "none found");
    for (size_t i = 0; i < det->ngpus; i++) {
        char label[32];
        snprintf(label, sizeof label, "GPU %zu:", i);
        printf(LABEL "%s", label, det->gpus[i].name ? det->gpus[i].name : "NVIDIA GPU");
        if (det->gpus[i].compute_cap)
            printf(", compute capability %s", det->gpus[i].compute_cap);
        printf("\n");
    }
    print_driver(dr, verbose);
    if (det->kind == DETECT_ROCM || det->rocm_version) {
        printf(LABEL "%s", "ROCm:", det->rocm_version_full ? det->rocm_version_full
                                    : det->rocm_version ? det->rocm_version : "version unknown");
        for (size_t i = 0; i < det->rocm_agents.n; i++)
            printf("%s%s", i ? " " : ", GPUs ", det->rocm_agents.v[i]);
        printf("\n");
    }
    printf(LABEL "%s", "backend:", detect_kind_name(det->kind));
    if (dr->forced)
        printf(" (installs use TORCHSHIM_BACKEND=%s)", dr->forced);
    printf("\n");
    if (verbose)
        for (size_t i = 0; i < det->notes.n; i++)
            printf(LABEL "%s\n", "note:", det->notes.v[i]);
    if (!dr->have_table)
        printf(LABEL "%s\n", "warning:", dr->table_err ? dr->table_err : "?");
}

static void print_python(const struct doctor *dr)
{
    printf("\nPython\n");
    for (int i = 0; i < 4; i++) {
        const struct env_fact *e = &dr->env[i];
        char label[16];
        snprintf(label, sizeof label, "%s:", e->label);
        if (!e->asked) {
            printf(LABEL "%s\n", label, e->absent);
            continue;
        }
        if (!e->ok) {
            printf(LABEL "%s: %s\n", label, e->asked, e->pi.error ? e->pi.error : "unreadable");
            continue;
        }
        printf(LABEL "%s (Python %s%s%s)\n", label, e->asked, e->pi.version ? e->pi.version : "?",
               e->pi.prefix ? ", " : "", e->pi.prefix ? e->pi.prefix : "");
        if (e->torch == 1)
            printf(LABEL "torch %s: %s\n", "", e->d.version, e->verdict);
        else if (e->torch == 0)
            printf(LABEL "torch not installed\n", "");
        else
            printf(LABEL "torch: unreadable metadata (%s)\n", "",
                   e->pi.error ? e->pi.error : "?");
    }
}

static void print_tools(const struct doctor *dr)
{
    printf("\ntools (what the shim would exec)\n");
    for (int i = 0; i < 2; i++) {
        char label[16];
        snprintf(label, sizeof label, "%s:", dr->tool[i].name);
        printf(LABEL "%s\n", label, dr->tool[i].path ? dr->tool[i].path : dr->tool[i].why);
    }
    if (dr->pip_is_shim)
        printf(LABEL "pip on PATH is torchshim (%s)\n", "shim:", dr->pip_on_path);
    else
        printf(LABEL "pip on PATH is %s, not torchshim (see torchshim init)\n", "shim:",
               dr->pip_on_path ? dr->pip_on_path : "nothing");
}

static void print_mirrors(const struct doctor *dr)
{
    char d[32];
    probe_fmt_duration((double)dr->probe_ms / 1000, d, sizeof d);
    printf("\nmirrors ([use], asked at once, at most %s)\n", d);
    if (!dr->cfg_ok)
        printf(LABEL "%s\n", "error:", dr->cfg_err ? dr->cfg_err : "?");
    else if (dr->nitems < 0)
        printf(LABEL "%s\n", "error:", dr->probe_err ? dr->probe_err : "?");
    for (long i = 0; i < dr->nitems; i++) {
        const struct probe_item *it = &dr->items[i];
        char label[16], lat[32];
        snprintf(label, sizeof label, "%s:", role_name(it->role));
        char *status = probe_fmt_status(it, dr->probe_ms);
        probe_fmt_duration(it->latency, lat, sizeof lat);
        if (it->state == PROBE_OK)
            printf(LABEL "%-10s ok, %s%s\n", label, it->site, lat,
                   it->links_upstream ? " (but its page links the files to download.pytorch.org)"
                                      : "");
        else
            printf(LABEL "%-10s %s (%s)\n", label, it->site, status, it->url);
        free(status);
    }
    for (int r = 0; dr->cfg_ok && r < ROLE_N; r++)
        if (!config_site_for(&dr->cfg, (enum role)r)) {
            char label[16];
            snprintf(label, sizeof label, "%s:", role_name((enum role)r));
            printf(LABEL "(no site in [use]: the official source)\n", label);
        }
}

static void print_text(const struct doctor *dr, int verbose)
{
    print_machine(dr);
    print_gpu(dr, verbose);
    print_python(dr);
    print_tools(dr);
    print_mirrors(dr);
    printf("\n`torchshim install torch torchvision torchaudio` would run:\n");
    if (dr->install)
        printf("  %s\n", dr->install);
    else
        printf("  (torchshim install is not available: %s)\n", dr->install_err);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_tristate(cJSON *o, const char *k, int v)
{
    if (v < 0)
        cJSON_AddNullToObject(o, k);
    else
        cJSON_AddBoolToObject(o, k, v);
}

/* A number, or null when it is negative (unknown). */
static void add_num(cJSON *o, const char *k, double v)
{
    if (v >= 0)
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_strings(cJSON *o, const char *k, const struct strv *sv)
{
    cJSON *a = cJSON_AddArrayToObject(o, k);
    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
}

static void json_machine(cJSON *root, const struct doctor *dr)
{
    cJSON *m = cJSON_AddObjectToObject(root, "machine");
    add_str(m, "os", dr->uts.sysname);
    add_str(m, "os_name", dr->os_name);
    add_str(m, "arch", dr->uts.machine);
    add_str(m, "glibc", dr->glibc);
    add_str(m, "conda_subdir", dr->subdir);
}

static void json_gpu(cJSON *root, const struct doctor *dr)
{
    const struct detect_result *det = &dr->det;
    cJSON *g = cJSON_AddObjectToObject(root, "gpu");
    add_str(g, "backend", detect_kind_name(det->kind));
    add_str(g, "backend_forced", dr->forced);
    add_str(g, "driver", det->driver);
    add_str(g, "driver_source", det->driver_source);
    add_str(g, "max_cuda", det->cuda_version ? det->cuda_version : dr->table_max);
    add_str(g, "max_cuda_source", det->cuda_version ? det->cuda_source
                                  : dr->table_max ? "driver table" : NULL);
    add_str(g, "max_cuda_table", dr->table_max);
    add_str(g, "min_compute_capability", detect_min_compute_cap(det));
    cJSON *gpus = cJSON_AddArrayToObject(g, "gpus");
    for (size_t i = 0; i < det->ngpus; i++) {
        cJSON *o = cJSON_CreateObject();
        add_str(o, "name", det->gpus[i].name);
        add_str(o, "compute_capability", det->gpus[i].compute_cap);
        cJSON_AddItemToArray(gpus, o);
    }
    add_str(g, "gpus_source", det->gpus_source);
    add_str(g, "rocm_version", det->rocm_version_full ? det->rocm_version_full : det->rocm_version);
    add_strings(g, "rocm_agents", &det->rocm_agents);
    add_strings(g, "notes", &det->notes);
}

static void json_python(cJSON *root, const struct doctor *dr)
{
    cJSON *envs = cJSON_AddArrayToObject(root, "python");
    for (int i = 0; i < 4; i++) {
        const struct env_fact *e = &dr->env[i];
        cJSON *o = cJSON_CreateObject();
        add_str(o, "kind", e->label);
        add_str(o, "path", e->asked);
        cJSON_AddBoolToObject(o, "found", e->ok);
        add_str(o, "error", e->asked && !e->ok ? (e->pi.error ? e->pi.error : "unreadable")
                            : e->asked ? NULL : e->absent);
        add_str(o, "version", e->ok ? e->pi.version : NULL);
        add_str(o, "prefix", e->ok ? e->pi.prefix : NULL);
        if (e->ok && e->torch == 1) {
            cJSON *t = cJSON_AddObjectToObject(o, "torch");
            add_str(t, "version", e->d.version);
            add_str(t, "local", e->d.local);
            add_str(t, "path", e->d.path);
            add_tristate(t, "matches_machine", e->match);
            add_str(t, "verdict", e->verdict);
        } else {
            cJSON_AddNullToObject(o, "torch");
        }
        cJSON_AddItemToArray(envs, o);
    }
}

static void json_tools(cJSON *root, const struct doctor *dr)
{
    cJSON *tools = cJSON_AddObjectToObject(root, "tools");
    for (int i = 0; i < 2; i++) {
        cJSON *o = cJSON_AddObjectToObject(tools, dr->tool[i].name);
        add_str(o, "path", dr->tool[i].path);
        add_str(o, "error", dr->tool[i].why);
    }
    add_str(tools, "pip_on_path", dr->pip_on_path);
    cJSON_AddBoolToObject(tools, "shim_active", dr->pip_is_shim);
}

static cJSON *json_probe(const struct probe_item *it, long probe_ms)
{
    cJSON *o = cJSON_CreateObject();
    add_str(o, "role", role_name(it->role));
    add_str(o, "site", it->site);
    add_str(o, "url", it->url);
    cJSON_AddBoolToObject(o, "ok", it->state == PROBE_OK);
    cJSON_AddBoolToObject(o, "links_upstream", it->links_upstream);
    add_num(o, "http_status", it->http_status ? (double)it->http_status : -1);
    add_num(o, "latency_ms",
            it->latency >= 0 ? (double)(long long)(it->latency * 10000 + 0.5) / 10 : -1);
    double rate = probe_rate(it);
    add_num(o, "bytes_per_sec", rate >= 0 ? (double)(long long)(rate + 0.5) : -1);
    char *status = probe_fmt_status(it, probe_ms);
    add_str(o, "status", status);
    free(status);
    return o;
}

static void json_mirrors(cJSON *root, const struct doctor *dr)
{
    cJSON *mir = cJSON_AddObjectToObject(root, "mirrors");
    cJSON_AddNumberToObject(mir, "timeout_ms", (double)dr->probe_ms);
    add_str(mir, "error", !dr->cfg_ok ? dr->cfg_err : dr->nitems < 0 ? dr->probe_err : NULL);
    cJSON *items = cJSON_AddArrayToObject(mir, "probes");
    for (long i = 0; i < dr->nitems; i++)
        cJSON_AddItemToArray(items, json_probe(&dr->items[i], dr->probe_ms));
}

static char *to_json(const struct doctor *dr)
{
    cJSON *root = cJSON_CreateObject();
    add_str(root, "version", TORCHSHIM_VERSION);
    json_machine(root, dr);
    json_gpu(root, dr);
    json_python(root, dr);
    json_tools(root, dr);
    json_mirrors(root, dr);
    cJSON *ins = cJSON_AddObjectToObject(root, "install");
    add_str(ins, "command", dr->install);
    add_str(ins, "error", dr->install ? NULL : dr->install_err);
    add_str(ins, "front_end", dr->front);
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

/* ------------------------------------------------------------------ */
/* the install line: the front end, run as a child while the rest is gathered */

/* The front end: $TORCHSHIM_FRONT (it sets that when it runs us), else
 * beside the engine (build tree), else <engine dir>/../../bin (installed). */
static char *front_end_path(void)
{
    const char *f = getenv("TORCHSHIM_FRONT");
    if (f && *f && access(f, X_OK) == 0)
        return xstrdup(f);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    const char *dir = dirname(exe);
    static const char *const rel[] = { "torchshim", "../../bin/torchshim" };
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        char *p = xasprintf("%s/%s", dir, rel[i]);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return NULL;
}

/* The last message line of TEXT without the "torchshim: [error: ]" prefix;
 * malloc'd, NULL if there is none. */
static char *last_message(const char *text)
{
    if (!text)
        return NULL;
    const char *best = NULL, *best_err = NULL;
    size_t best_len = 0, best_err_len = 0;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        if (n) {
            best = p, best_len = n;
            if (!strncmp(p, "torchshim: error: ", 18))
                best_err = p, best_err_len = n;
        }
        p += n + (p[n] == '\n');
    }
    if (best_err)
        return xstrndup(best_err + 18, best_err_len - 18);
    if (!best)
        return NULL;
    if (!strncmp(best, "torchshim: ", 11))
        return xstrndup(best + 11, best_len - 11);
    return xstrndup(best, best_len);
}

/* Start `FRONT install --dry-run torch torchvision torchaudio`: 0, or -1
 * with dr->install_err. */
static int install_start(struct doctor *dr, struct proc *p)
{
    dr->front = front_end_path();
    if (!dr->front) {
        dr->install_err = xstrdup("the torchshim front end was not found beside the engine");
        return -1;
    }
    char *args[] = { dr->front, (char *)"install", (char *)"--dry-run", (char *)"torch",
                     (char *)"torchvision", (char *)"torchaudio", NULL };
    return proc_start(p, dr->front, args,
                      PROC_STDIN_NULL | PROC_OUT | PROC_ERR | PROC_GROUP | PROC_CLOSE_FDS,
                      &dr->install_err);
}

/* Its answer: the first line it printed, else why there is none. */
static void install_finish(struct doctor *dr, struct proc *p, long long deadline)
{
    int st = proc_finish(p, deadline);
    const char *out = buf_str(&p->out[PROC_FD_OUT]);
    size_t n = strcspn(out, "\n");
    if (st == 0 && n) {
        dr->install = xstrndup(out, n);
    } else if (st == PROC_TIMEOUT) {
        dr->install_err = xasprintf("no answer within %d s", DOCTOR_INSTALL_MS / 1000);
    } else {
        char *why = last_message(buf_str(&p->out[PROC_FD_ERR]));
        dr->install_err = why ? why
                          : st ? xasprintf("it exited with status %d", st)
                               : xstrdup("it printed nothing");
    }
}

/* ------------------------------------------------------------------ */

enum { OPT_JSON = 100, OPT_TIMEOUT, OPT_VERBOSE };

static const struct optdef doctor_opts[] = {
    { "json", 0, 0, OPT_JSON },
    { "timeout", 0, 1, OPT_TIMEOUT },
    { "verbose", 'v', 0, OPT_VERBOSE },
    OPTDEF_END,
};

static int run(struct cmd_ctx *c)
{
    int json = cmd_has(c, OPT_JSON), verbose = msg_verbose || cmd_has(c, OPT_VERBOSE);
    struct doctor dr;
    memset(&dr, 0, sizeof dr);
    long probe_ms = DOCTOR_PROBE_MS;
    if (cmd_seconds(c, OPT_TIMEOUT, 600, &probe_ms))
        return 2;
    if (c->args.n)
        return cmd_usage_error(c, "no arguments expected");
    dr.probe_ms = probe_ms;

    /* the install line takes longest: start it first */
    struct proc install;
    proc_init(&install, DOCTOR_OUTPUT_MAX);
    int started = install_start(&dr, &install) == 0;
    long long t0 = now_ms();

    struct self_id self;
    self_identify_path(&self, dr.front);
    gather_machine(&dr);
    gather_envs(&dr);
    gather_tools(&dr, &self);
    gather_mirrors(&dr);
    if (started)
        install_finish(&dr, &install, t0 + DOCTOR_INSTALL_MS);
    proc_free(&install);

    if (json) {
        char *s = to_json(&dr);
        printf("%s\n", s);
        free(s);
    } else {
        print_text(&dr, verbose);
    }
    doctor_free(&dr);
    return 0;
}

const struct engine_cmd cmd_doctor = {
    "doctor", run, 0, doctor_opts,
    "usage: torchshim doctor [--json] [--timeout SECONDS] [-v]\n"
    "\n"
    "  --json       the same facts as one JSON object\n"
    "  --timeout S  how long the mirrors may take to answer (3)\n"
    "  -v           say where each fact came from\n",
};
