/* detect.c — see detect.h. */
#include "detect.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "buf.h"
#include "cudatable.h"
#include "fileio.h"
#include "hostprobe.h"
#include "msg.h"
#include "str.h"

#define SMALL_FILE_MAX (64 * 1024)

/* ---- small text helpers --------------------------------------------------- */

/* Is s "N.N[.N...]" (at least one dot)? */
static int looks_like_version(const char *s)
{
    return strchr(s, '.') && cudatable_driver_valid(s);
}

static void note(struct detect_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct detect_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    verbosef("detect: %s", s);
    strv_push_take(&r->notes, s);
}

static void set_str(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? xstrdup(src) : NULL;
}

/* Run a probe program; a note when it could not be run or hung. 0 with its
 * exit status in *status, -1. *out as host_run. */
static int run_noted(struct detect_result *r, const char *path, char *const argv[], char **out,
                     int *status)
{
    char *err = NULL;
    int rc = host_run(path, argv, DETECT_TIMEOUT_MS, out, status, &err);
    if (rc < 0)
        note(r, "%s", err);
    free(err);
    return rc;
}

/* ---- files under the sysroot ----------------------------------------------- */

struct sysroot {
    char *root;   /* without trailing slash; "" for "/" */
};

static void sysroot_init(struct sysroot *s)
{
    const char *r = getenv("TORCHSHIM_SYSROOT");
    if (!r || !*r)
        r = "/";
    size_t n = strlen(r);
    while (n > 0 && r[n - 1] == '/')
        n--;
    s->root = xstrndup(r, n);
}

/* ABS (starting with '/') under the sysroot; malloc'd. */
static char *sr_path(const struct sysroot *s, const char *abs)
{
    return xasprintf("%s%s", s->root, abs);
}

/* A small file's text (malloc'd), or NULL when it is missing or unreadable. */
static char *read_small(const char *path)
{
    char *text = NULL;
    if (file_read(path, SMALL_FILE_MAX, &text, NULL, NULL) != 0)
        return NULL;
    return text;
}

/* ---- NVIDIA ------------------------------------------------------------------ */

/* /sys/module/nvidia/version: the version alone. malloc'd or NULL. */
static char *parse_sysfs_version(const char *text)
{
    char *copy = xstrdup(text);
    char *v = str_trim(copy);
    char *res = looks_like_version(v) ? xstrdup(v) : NULL;
    free(copy);
    return res;
}

/* The driver version in a /proc/driver/nvidia/version text: the first
 * version-looking word of the "NVRM version:" line. malloc'd or NULL. */
static char *parse_nvrm(const char *text)
{
    const char *line = strstr(text, "NVRM version:");
    if (!line)
        return NULL;
    line += strlen("NVRM version:");
    char *copy = xstrndup(line, strcspn(line, "\n"));
    char *save = NULL, *res = NULL;
    for (char *w = strtok_r(copy, " \t", &save); w && !res; w = strtok_r(NULL, " \t", &save))
        if (looks_like_version(w))
            res = xstrdup(w);
    free(copy);
    return res;
}

/* The driver version from the kernel file ABS, read by PARSE; a note saying
 * BAD when the file is there but PARSE finds nothing. 1 found, 0 not. */
static int nv_driver_file(struct detect_result *r, const struct sysroot *s, const char *abs,
                          char *(*parse)(const char *text), const char *bad)
{
    char *path = sr_path(s, abs);
    char *text = read_small(path);
    char *v = text ? parse(text) : NULL;
    if (v) {
        free(r->driver);
        r->driver = v;
        set_str(&r->driver_source, path);
    } else if (text) {
        note(r, "%s: %s, ignored", path, bad);
    }
    free(text);
    free(path);
    return v != NULL;
}

static void add_gpu(struct detect_result *r, const char *name, const char *cc)
{
    r->gpus = xrealloc(r->gpus, (r->ngpus + 1) * sizeof *r->gpus);
    r->gpus[r->ngpus++] = (struct detect_gpu){ xstrdup(name), cc ? xstrdup(cc) : NULL };
}

static void clear_gpus(struct detect_result *r)
{
    for (size_t i = 0; i < r->ngpus; i++) {
        free(r->gpus[i].name);
        free(r->gpus[i].compute_cap);
    }
    free(r->gpus);
    r->gpus = NULL;
    r->ngpus = 0;
}

/* Is s a compute capability "M.m"? */
static int looks_like_cc(const char *s)
{
    const char *dot = strchr(s, '.');
    return dot && dot > s && strspn(s, "0123456789") == (size_t)(dot - s) && dot[1] &&
           strspn(dot + 1, "0123456789") == strlen(dot + 1);
}

/* One line "driver, name[, compute_cap]" of the query (modified); 0 with
 * the GPU added and *drv pointing into LINE, -1 if not of that form. */
static int parse_smi_line(struct detect_result *r, char *line, int with_cc, char **drv)
{
    char *first = strchr(line, ',');
    char *last = strrchr(line, ',');
    if (!first || (with_cc && last == first))
        return -1;
    *first = '\0';
    *drv = str_trim(line);
    char *cc = NULL;
    if (with_cc) {
        *last = '\0';
        cc = str_trim(last + 1);
        if (!strcmp(cc, "[N/A]") || !strcmp(cc, "N/A"))
            cc = NULL;
        else if (!looks_like_cc(cc))
            return -1;
    }
    char *name = str_trim(first + 1);
    if (!looks_like_version(*drv) || !*name)
        return -1;
    add_gpu(r, name, cc);
    return 0;
}

/* Parse `--query-gpu=driver_version,name[,compute_cap] --format=csv,noheader`
 * output. Returns the number of GPUs, -1 if a line is not of that form (no
 * GPU added then). *driver gets the first line's driver (malloc'd). */
static int parse_smi_query(struct detect_result *r, const char *text, int with_cc, char **driver)
{
    int count = 0;
    *driver = NULL;
    char *copy = xstrdup(text);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line = str_trim(line);
        char *drv;
        if (!*line)
            continue;
        if (parse_smi_line(r, line, with_cc, &drv) < 0) {
            free(*driver);
            *driver = NULL;
            clear_gpus(r);
            count = -1;
            break;
        }
        if (!*driver)
            *driver = xstrdup(drv);
        count++;
    }
    free(copy);
    return count;
}

/* "CUDA Version: 12.2" in plain nvidia-smi output; malloc'd or NULL. */
static char *parse_smi_header(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (!p)
        return NULL;
    p += strlen(key);
    while (*p == ' ')
        p++;
    char *v = xstrndup(p, strspn(p, "0123456789."));
    if (!looks_like_version(v)) {
        free(v);
        return NULL;
    }
    return v;
}

/* First line of a program's output, for messages. */
static char *first_line(const char *text)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strcspn(text, "\n");
    return xstrndup(text, n > 160 ? 160 : n);
}

/* The GPUs and a driver version the query found. */
static void smi_take_query(struct detect_result *r, const char *smi, const char *drv)
{
    set_str(&r->gpus_source, smi);
    if (!r->driver) {
        set_str(&r->driver, drv);
        r->driver_source = xasprintf("%s --query-gpu", smi);
    } else if (strcmp(r->driver, drv) != 0) {
        note(r, "nvidia-smi reports driver %s but %s says %s (reboot pending?)", drv,
             r->driver_source, r->driver);
    }
}

/* nvidia-smi --query-gpu, with compute_cap, then without (older drivers).
 * -1 when it hung or could not be run (do not ask it again), else 0. */
static int smi_query(struct detect_result *r, const char *smi)
{
    static const char *const queries[] = {
        "--query-gpu=driver_version,name,compute_cap",
        "--query-gpu=driver_version,name",
    };
    const size_t nq = sizeof queries / sizeof *queries;
    int rc = 0, ok = 0;
    for (size_t i = 0; i < nq && !ok && rc == 0; i++) {
        char *argv[] = { "nvidia-smi", (char *)queries[i], "--format=csv,noheader", NULL };
        char *out = NULL, *drv = NULL;
        int st;
        rc = run_noted(r, smi, argv, &out, &st);
        if (rc == 0 && st == 0 && parse_smi_query(r, out, i == 0, &drv) > 0) {
            ok = 1;
            smi_take_query(r, smi, drv);
        } else if (rc == 0 && i + 1 == nq) {
            char *l = first_line(out);
            if (st != 0)
                note(r, "%s failed (exit %d)%s%s", smi, st, *l ? ": " : "", l);
            else
                note(r, "%s gave no usable answer%s%s", smi, *l ? ": " : "", l);
            free(l);
        }
        free(drv);
        free(out);
    }
    return rc;
}

/* Plain nvidia-smi: its header's "CUDA Version:" (and "Driver Version:"). */
static void smi_header(struct detect_result *r, const char *smi)
{
    char *argv[] = { "nvidia-smi", NULL };
    char *out = NULL;
    int st;
    if (run_noted(r, smi, argv, &out, &st) == 0 && st == 0) {
        char *cuda = parse_smi_header(out, "CUDA Version:");
        if (cuda) {
            r->cuda_version = cuda;
            set_str(&r->cuda_source, smi);
        }
        char *drv = parse_smi_header(out, "Driver Version:");
        if (drv && !r->driver) {
            r->driver = drv;
            set_str(&r->driver_source, smi);
            drv = NULL;
        }
        free(drv);
    }
    free(out);
}

static void nv_from_smi(struct detect_result *r)
{
    char *smi = host_which("nvidia-smi");
    if (smi && smi_query(r, smi) == 0)
        smi_header(r, smi);
    free(smi);
}

/* The "Model:" line of a /proc/driver/nvidia/gpus/<bus id>/information. */
static void gpu_from_information(struct detect_result *r, const char *path)
{
    char *text = read_small(path);
    const char *m = text ? strstr(text, "Model:") : NULL;
    if (m && (m == text || m[-1] == '\n')) {
        m += strlen("Model:");
        char *name = xstrndup(m, strcspn(m, "\n"));
        char *t = str_trim(name);
        if (*t)
            add_gpu(r, t, NULL);
        free(name);
    }
    free(text);
}

/* GPU names from /proc/driver/nvidia/gpus/<bus id>/information, in bus order. */
static void nv_gpus_from_proc(struct detect_result *r, const struct sysroot *s)
{
    char *dir = sr_path(s, "/proc/driver/nvidia/gpus");
    struct strv ents = STRV_INIT;
    host_list_dir(dir, &ents);
    for (size_t i = 0; i < ents.n; i++) {
        char *p = xasprintf("%s/%s/information", dir, ents.v[i]);
        gpu_from_information(r, p);
        free(p);
    }
    if (r->ngpus)
        r->gpus_source = xasprintf("%s/*/information", dir);
    strv_clear(&ents);
    free(dir);
}

static void describe_gpus(struct detect_result *r)
{
    if (!r->ngpus)
        return;
    struct buf list = BUF_INIT;
    for (size_t i = 0; i < r->ngpus; i++) {
        buf_addf(&list, "%s%s", i ? ", " : "", r->gpus[i].name);
        if (r->gpus[i].compute_cap)
            buf_addf(&list, " (compute capability %s)", r->gpus[i].compute_cap);
    }
    note(r, "%zu GPU%s from %s: %s", r->ngpus, r->ngpus == 1 ? "" : "s", r->gpus_source,
         buf_str(&list));
    buf_free(&list);
}

static void detect_nvidia(struct detect_result *r, const struct sysroot *s)
{
    if (!nv_driver_file(r, s, "/sys/module/nvidia/version", parse_sysfs_version,
                        "unexpected content"))
        nv_driver_file(r, s, "/proc/driver/nvidia/version", parse_nvrm,
                       "no \"NVRM version:\" line with a version");
    nv_from_smi(r);
    if (!r->ngpus && r->driver)
        nv_gpus_from_proc(r, s);
    if (r->driver)
        note(r, "driver %s from %s", r->driver, r->driver_source);
    if (r->cuda_version)
        note(r, "driver supports CUDA %s at most (from %s)", r->cuda_version, r->cuda_source);
    describe_gpus(r);
}

/* ---- ROCm --------------------------------------------------------------------- */

/* "6.1.2-119\n" -> full "6.1.2", short "6.1". */
static int parse_rocm_version(const char *text, char **full, char **xy)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strspn(text, "0123456789.");
    while (n && text[n - 1] == '.')
        n--;
    char *v = xstrndup(text, n);
    if (!looks_like_version(v)) {
        free(v);
        return -1;
    }
    const char *dot2 = strchr(strchr(v, '.') + 1, '.');
    *xy = dot2 ? xstrndup(v, (size_t)(dot2 - v)) : xstrdup(v);
    *full = v;
    return 0;
}

/* The ROCm version: OPT/.info/version, else beside the enumerator ENUMR. */
static void rocm_version_file(struct detect_result *r, const char *opt, const char *enumr)
{
    char *vpath = xasprintf("%s/.info/version", opt);
    char *text = read_small(vpath);
    if (!text && enumr) {
        const char *slash = strrchr(enumr, '/');
        free(vpath);
        vpath = xasprintf("%.*s/../.info/version", (int)(slash - enumr), enumr);
        text = read_small(vpath);
    }
    if (text && parse_rocm_version(text, &r->rocm_version_full, &r->rocm_version) == 0)
        set_str(&r->rocm_source, vpath);
    else if (text)
        note(r, "%s: unexpected content, ignored", vpath);
    free(text);
    free(vpath);
}

/* The GPU agents rocm_agent_enumerator lists (gfx000, the CPU, left out).
 * 1 when it ran and listed none, else 0. */
static int rocm_agents(struct detect_result *r, const char *enumr)
{
    char *argv[] = { "rocm_agent_enumerator", NULL };
    char *out = NULL;
    int st, none = 0;
    if (run_noted(r, enumr, argv, &out, &st) < 0) {
        /* noted */
    } else if (st == 0) {
        char *save = NULL;
        for (char *w = strtok_r(out, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save))
            if (!strncmp(w, "gfx", 3) && strcmp(w, "gfx000") != 0)
                strv_push(&r->rocm_agents, w);
        none = r->rocm_agents.n == 0;
    } else {
        note(r, "%s failed (exit %d)", enumr, st);
    }
    free(out);
    return none;
}

static void detect_rocm(struct detect_result *r, const struct sysroot *s)
{
    struct utsname u;
    char *enumr = host_which("rocm_agent_enumerator");
    char *opt = sr_path(s, "/opt/rocm");
    if (!enumr && !host_is_dir(opt)) {
        /* no ROCm */
    } else if (uname(&u) == 0 && strcmp(u.sysname, "Linux") != 0) {
        note(r, "ROCm found but torch's ROCm wheels are for Linux only");
    } else {
        rocm_version_file(r, opt, enumr);
        int no_gpu = enumr && rocm_agents(r, enumr);
        if (r->rocm_version)
            note(r, "ROCm %s from %s", r->rocm_version_full, r->rocm_source);
        if (r->rocm_agents.n) {
            char *list = strv_join(&r->rocm_agents, " ");
            note(r, "AMD GPU agents from %s: %s", enumr, list);
            free(list);
        }
        if (no_gpu) {
            note(r, "ROCm installed but %s lists no AMD GPU", enumr);
        } else if (r->kind == DETECT_CPU) {
            r->kind = DETECT_ROCM;
            set_str(&r->kind_source, r->rocm_source ? r->rocm_source : enumr ? enumr : opt);
            if (!r->rocm_version)
                note(r, "ROCm found (%s) but its version is unknown", enumr ? enumr : opt);
        }
    }
    free(enumr);
    free(opt);
}

/* ---- the whole thing ------------------------------------------------------------ */

/* TORCHSHIM_BACKEND: 1 decided, 0 detect, -1 bad value (*err). */
static int from_env(struct detect_result *r, char **err)
{
    const char *v = getenv("TORCHSHIM_BACKEND");
    if (!v || !*v || !strcmp(v, "auto"))
        return 0;
    if (!strcmp(v, "cpu")) {
        r->kind = DETECT_CPU;
    } else if (cudatable_variant_cuda(v) >= 0) {
        r->kind = DETECT_CUDA;
    } else if (!strncmp(v, "rocm", 4) &&
               parse_rocm_version(v + 4, &r->rocm_version_full, &r->rocm_version) == 0) {
        r->kind = DETECT_ROCM;
        r->rocm_source = xstrdup("TORCHSHIM_BACKEND");
    } else {
        note(r, "TORCHSHIM_BACKEND=%s is not a backend: CPU", v);
        return seterr(err, "TORCHSHIM_BACKEND=%s: expected cpu, cuXYZ (cu121), rocmX.Y (rocm6.1) "
                      "or auto", v);
    }
    r->forced = xstrdup(v);
    r->kind_source = xstrdup("TORCHSHIM_BACKEND");
    note(r, "backend %s from TORCHSHIM_BACKEND (machine not probed)", v);
    return 1;
}

int detect_backend_flags(struct detect_result *r, unsigned flags, char **err)
{
    memset(r, 0, sizeof *r);
    r->kind = DETECT_CPU;
    if (!(flags & DETECT_IGNORE_ENV)) {
        int e = from_env(r, err);
        if (e != 0)
            return e < 0 ? -1 : 0;
    }
    struct sysroot s;
    sysroot_init(&s);
    detect_nvidia(r, &s);
    if (r->driver) {
        r->kind = DETECT_CUDA;
        set_str(&r->kind_source, r->driver_source);
    }
    detect_rocm(r, &s);
    if (r->kind == DETECT_CPU)
        note(r, "no NVIDIA driver found: CPU");
    free(s.root);
    return 0;
}

int detect_backend(struct detect_result *r, char **err)
{
    return detect_backend_flags(r, 0, err);
}

void detect_result_free(struct detect_result *r)
{
    char *strs[] = { r->forced,       r->kind_source,  r->driver,
                     r->driver_source, r->cuda_version, r->cuda_source,
                     r->gpus_source,  r->rocm_version, r->rocm_version_full,
                     r->rocm_source };
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        free(strs[i]);
    clear_gpus(r);
    strv_clear(&r->rocm_agents);
    strv_clear(&r->notes);
    memset(r, 0, sizeof *r);
}

const char *detect_kind_name(enum detect_kind k)
{
    switch (k) {
    case DETECT_CUDA: return "cuda";
    case DETECT_ROCM: return "rocm";
    case DETECT_CPU: break;
    }
    return "cpu";
}

/* "8.6" -> 86 for ordering; -1 if malformed. */
static int cc_value(const char *cc)
{
    if (!cc || !looks_like_cc(cc))
        return -1;
    return atoi(cc) * 10 + atoi(strchr(cc, '.') + 1);
}

const char *detect_min_compute_cap(const struct detect_result *r)
{
    const char *best = NULL;
    for (size_t i = 0; i < r->ngpus; i++) {
        int v = cc_value(r->gpus[i].compute_cap);
        if (v >= 0 && (!best || v < cc_value(best)))
            best = r->gpus[i].compute_cap;
    }
    return best;
}

/* "6.2.4" -> 602 (major.minor); -1 if malformed. */
static int version_mm(const char *v)
{
    if (!looks_like_version(v))
        return -1;
    return atoi(v) * 100 + atoi(strchr(v, '.') + 1);
}

/* "rocm6.2.4" -> 602; -1 if not a rocm variant. */
static int rocm_mm(const char *v)
{
    if (!v || strncmp(v, "rocm", 4) != 0)
        return -1;
    return version_mm(v + 4);
}

/* The newest published rocm variant not newer than the installed ROCm X.Y
 * (any when its version is unknown): 0 with *out and *why; else -1 with
 * *reason (malloc'd). */
static int pick_rocm(const struct detect_result *r, const char *const *pub, size_t n,
                     char **out, char **why, char **reason)
{
    int have = r->rocm_version ? version_mm(r->rocm_version) : -1;
    const char *best = NULL;
    int best_v = -1, oldest = -1;
    for (size_t i = 0; i < n; i++) {
        int v = rocm_mm(pub[i]);
        if (v >= 0 && (oldest < 0 || v < oldest))
            oldest = v;
        if (v >= 0 && (have < 0 || v <= have) && v > best_v) {
            best = pub[i];
            best_v = v;
        }
    }
    if (!best && oldest >= 0)
        return seterr(reason, "ROCm %s is older than every published rocm variant",
                      r->rocm_version);
    if (!best)
        return seterr(reason, "no rocm variant published");
    *out = xstrdup(best);
    if (why)
        *why = xasprintf("%s: the newest published ROCm variant%s%s", best,
                         r->rocm_version ? " not newer than ROCm " : "",
                         r->rocm_version ? r->rocm_version : "");
    return 0;
}

/* TORCHSHIM_BACKEND decided: its variant when published. */
static int pick_forced(const struct detect_result *r, const char *torch,
                       const char *const *pub, size_t n, char **out, char **why)
{
    for (size_t i = 0; i < n; i++) {
        if (pub[i] && !strcmp(pub[i], r->forced)) {
            *out = xstrdup(r->forced);
            if (why)
                *why = xasprintf("%s: forced by TORCHSHIM_BACKEND", r->forced);
            return 0;
        }
    }
    return seterr(why, "TORCHSHIM_BACKEND=%s but %s%s does not publish it", r->forced,
                  torch ? "torch " : "this release", torch ? torch : "");
}

int detect_pick_variant(const struct detect_result *r, const struct cudatable *t,
                        const char *torch, const char *const *pub, size_t n, char **out,
                        char **why)
{
    *out = NULL;
    if (why)
        *why = NULL;
    if (r->forced)
        return pick_forced(r, torch, pub, n, out, why);
    if (r->kind == DETECT_CUDA) {
        static const struct cudatable none = CUDATABLE_INIT;
        struct cudatable_query q = {
            .driver = r->driver,
            .cuda_cap = r->cuda_version,
            .compute_cap = detect_min_compute_cap(r),
            .torch = torch,
        };
        return cudatable_pick_q(t ? t : &none, &q, pub, n, out, why);
    }
    char *reason = NULL;
    if (r->kind == DETECT_ROCM && pick_rocm(r, pub, n, out, why, &reason) == 0)
        return 0;
    int rc = cudatable_pick_cpu(pub, n, reason ? reason : "no GPU backend detected",
                                reason ? reason : "", out, why);
    free(reason);
    return rc;
}
