/* detect.c — see detect.h. */
#include "detect.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cudatable.h"
#include "msg.h"
#include "str.h"

#define CAPTURE_MAX (1024 * 1024)
#define SMALL_FILE_MAX (64 * 1024)

/* ---- running programs ---------------------------------------------------- */

char *detect_which(const char *name)
{
    if (!name || !*name)
        return NULL;
    struct stat st;
    if (strchr(name, '/')) {
        if (stat(name, &st) == 0 && S_ISREG(st.st_mode) && access(name, X_OK) == 0)
            return xstrdup(name);
        return NULL;
    }
    const char *path = getenv("PATH");
    if (!path)
        return NULL;
    for (const char *p = path;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len > 0 && p[0] == '/') {
            char *cand = xasprintf("%.*s/%s", (int)len, p, name);
            if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
        if (!colon)
            return NULL;
        p = colon + 1;
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Append N bytes to *buf, keeping at most CAPTURE_MAX; NUL terminated. */
static void append_capped(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
    if (*len + n > CAPTURE_MAX)
        n = CAPTURE_MAX - *len;
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap *= 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* Mark every descriptor from LOW up close-on-exec: the program must not
 * inherit ours (the engine's result pipe would be held open by a program
 * that lingers). */
static void cloexec_from(int low)
{
#ifdef CLOSE_RANGE_CLOEXEC
    if (close_range((unsigned)low, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = low; fd < max; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC))
            fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    }
}

/* Child side: never returns. Only async-signal-safe calls. */
static void child_exec(const char *path, char *const argv[], int out_fd, int err_fd)
{
    setpgid(0, 0);
    cloexec_from(STDERR_FILENO + 1);
    dup2(out_fd, STDOUT_FILENO);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    execv(path, argv);
    int e = errno;
    ssize_t w = write(err_fd, &e, sizeof e);
    (void)w;
    _exit(127);
}

int detect_capture(const char *path, char *const argv[], int timeout_ms, char **out,
                   int *status)
{
    size_t len = 0, cap = 4096;
    char *buf = xmalloc(cap);
    buf[0] = '\0';
    *out = buf;
    *status = -1;
    int outp[2], errp[2];
    if (pipe2(outp, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(errp, O_CLOEXEC) < 0) {
        close(outp[0]);
        close(outp[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(outp[0]);
        close(outp[1]);
        close(errp[0]);
        close(errp[1]);
        return -1;
    }
    if (pid == 0)
        child_exec(path, argv, outp[1], errp[1]);
    setpgid(pid, pid); /* also here: no window in which killpg misses it */
    close(outp[1]);
    close(errp[1]);

    /* exec failed? The error pipe closes on a successful exec. */
    int e = 0;
    ssize_t got;
    do
        got = read(errp[0], &e, sizeof e);
    while (got < 0 && errno == EINTR);
    close(errp[0]);
    if (got == (ssize_t)sizeof e) {
        close(outp[0]);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        errno = e;
        return -1;
    }

    /* Read until EOF, the child's exit (a background grandchild may keep
     * the pipe open: then take what is there and stop), or the deadline. */
    fcntl(outp[0], F_SETFL, fcntl(outp[0], F_GETFL) | O_NONBLOCK);
    long long deadline = now_ms() + timeout_ms;
    int timed_out = 0, eof = 0, st = 0;
    pid_t w = 0;
    while (!eof) {
        if (now_ms() >= deadline) {
            timed_out = w != pid;
            break;
        }
        char chunk[4096];
        ssize_t n = read(outp[0], chunk, sizeof chunk);
        if (n > 0) {
            append_capped(&buf, &len, &cap, chunk, (size_t)n);
            *out = buf;
            continue;
        }
        if (n == 0) {
            eof = 1;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            break;
        if (w != pid) {
            w = waitpid(pid, &st, WNOHANG);
            if (w == pid)
                continue; /* exited: one more read drains what it wrote */
        } else {
            break; /* exited and drained; the pipe is held by someone else */
        }
        long long left = deadline - now_ms();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd pfd = { outp[0], POLLIN, 0 };
        poll(&pfd, 1, left < 20 ? (int)left : 20);
    }
    close(outp[0]);

    /* Output is done: wait for the exit, within the deadline. */
    while (!timed_out && w != pid) {
        w = waitpid(pid, &st, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            break;
        if (now_ms() >= deadline) {
            timed_out = 1;
            break;
        }
        sleep_ms(5);
    }
    if (timed_out) {
        kill(-pid, SIGKILL);
        if (w != pid) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        return -1;
    }
    if (w != pid)
        return -1;
    if (WIFEXITED(st))
        *status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
        *status = 128 + WTERMSIG(st);
    return 0;
}

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
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        die(70, "out of memory");
    va_end(ap);
    verbosef("detect: %s", s);
    strv_push_take(&r->notes, s);
}

static void set_str(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? xstrdup(src) : NULL;
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

/* Read a small file; malloc'd text or NULL. */
static char *read_small(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = xmalloc(SMALL_FILE_MAX + 1);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, SMALL_FILE_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == SMALL_FILE_MAX)
            break;
    }
    close(fd);
    buf[len] = '\0';
    return buf;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- NVIDIA ------------------------------------------------------------------ */

/* /sys/module/nvidia/version: the version alone. */
static int nv_from_sysfs(struct detect_result *r, const struct sysroot *s)
{
    char *path = sr_path(s, "/sys/module/nvidia/version");
    char *text = read_small(path);
    int found = 0;
    if (text) {
        char *v = str_trim(text);
        if (looks_like_version(v)) {
            set_str(&r->driver, v);
            set_str(&r->driver_source, path);
            found = 1;
        } else {
            note(r, "%s: unexpected content, ignored", path);
        }
    }
    free(text);
    free(path);
    return found;
}

/* The driver version in a /proc/driver/nvidia/version text: the first
 * version-looking word of the "NVRM version:" line. malloc'd or NULL. */
static char *parse_nvrm(const char *text)
{
    const char *line = strstr(text, "NVRM version:");
    if (!line)
        return NULL;
    line += strlen("NVRM version:");
    const char *eol = strchr(line, '\n');
    char *copy = xstrndup(line, eol ? (size_t)(eol - line) : strlen(line));
    char *save = NULL, *res = NULL;
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (looks_like_version(w)) {
            res = xstrdup(w);
            break;
        }
    }
    free(copy);
    return res;
}

static int nv_from_proc(struct detect_result *r, const struct sysroot *s)
{
    char *path = sr_path(s, "/proc/driver/nvidia/version");
    char *text = read_small(path);
    int found = 0;
    if (text) {
        char *v = parse_nvrm(text);
        if (v) {
            set_str(&r->driver, v);
            set_str(&r->driver_source, path);
            found = 1;
        } else {
            note(r, "%s: no \"NVRM version:\" line with a version, ignored", path);
        }
        free(v);
    }
    free(text);
    free(path);
    return found;
}

static void add_gpu(struct detect_result *r, const char *name, const char *cc)
{
    r->gpus = xrealloc(r->gpus, (r->ngpus + 1) * sizeof *r->gpus);
    r->gpus[r->ngpus].name = xstrdup(name);
    r->gpus[r->ngpus].compute_cap = cc ? xstrdup(cc) : NULL;
    r->ngpus++;
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

/* Parse `--query-gpu=driver_version,name[,compute_cap] --format=csv,noheader`
 * output. Returns the number of GPUs, -1 if a line is not of that form.
 * *driver gets the first line's driver (malloc'd). */
static int parse_smi_query(struct detect_result *r, const char *text, int with_cc, char **driver)
{
    int count = 0;
    *driver = NULL;
    char *copy = xstrdup(text);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line = str_trim(line);
        if (!*line)
            continue;
        char *first = strchr(line, ',');
        char *last = strrchr(line, ',');
        if (!first || (with_cc && last == first))
            goto bad;
        *first = '\0';
        char *drv = str_trim(line);
        char *cc = NULL;
        if (with_cc) {
            *last = '\0';
            cc = str_trim(last + 1);
            if (!strcmp(cc, "[N/A]") || !strcmp(cc, "N/A"))
                cc = NULL;
            else if (!looks_like_cc(cc))
                goto bad;
        }
        char *name = str_trim(first + 1);
        if (!looks_like_version(drv) || !*name)
            goto bad;
        if (!*driver)
            *driver = xstrdup(drv);
        add_gpu(r, name, cc);
        count++;
    }
    free(copy);
    return count;
bad:
    free(copy);
    free(*driver);
    *driver = NULL;
    clear_gpus(r);
    return -1;
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
    size_t n = strspn(p, "0123456789.");
    if (!n)
        return NULL;
    char *v = xstrndup(p, n);
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
    if (n > 160)
        n = 160;
    return xstrndup(text, n);
}

static void nv_from_smi(struct detect_result *r)
{
    char *smi = detect_which("nvidia-smi");
    if (!smi)
        return;
    static const char *const queries[] = {
        "--query-gpu=driver_version,name,compute_cap",
        "--query-gpu=driver_version,name",
    };
    int hung = 0;
    int ok = 0;
    for (size_t i = 0; i < sizeof queries / sizeof *queries && !ok && !hung; i++) {
        char *argv[] = { "nvidia-smi", (char *)queries[i], "--format=csv,noheader", NULL };
        char *out = NULL, *drv = NULL;
        int st;
        if (detect_capture(smi, argv, DETECT_TIMEOUT_MS, &out, &st) < 0) {
            note(r, "%s did not answer within %d ms, killed", smi, DETECT_TIMEOUT_MS);
            hung = 1;
        } else if (st == 0 && parse_smi_query(r, out, i == 0, &drv) > 0) {
            ok = 1;
            set_str(&r->gpus_source, smi);
            if (!r->driver) {
                set_str(&r->driver, drv);
                r->driver_source = xasprintf("%s --query-gpu", smi);
            } else if (strcmp(r->driver, drv) != 0) {
                note(r, "nvidia-smi reports driver %s but %s says %s (reboot pending?)", drv,
                     r->driver_source, r->driver);
            }
        } else if (i + 1 == sizeof queries / sizeof *queries) {
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
    if (!hung) {
        char *argv[] = { "nvidia-smi", NULL };
        char *out = NULL;
        int st;
        if (detect_capture(smi, argv, DETECT_TIMEOUT_MS, &out, &st) < 0) {
            note(r, "%s did not answer within %d ms, killed", smi, DETECT_TIMEOUT_MS);
        } else if (st == 0) {
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
    free(smi);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* GPU names from /proc/driver/nvidia/gpus/<bus id>/information ("Model:"). */
static void nv_gpus_from_proc(struct detect_result *r, const struct sysroot *s)
{
    char *dir = sr_path(s, "/proc/driver/nvidia/gpus");
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return;
    }
    struct strv ents = STRV_INIT;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            strv_push(&ents, de->d_name);
    closedir(d);
    if (ents.n)
        qsort(ents.v, ents.n, sizeof *ents.v, cmp_str);
    for (size_t i = 0; i < ents.n; i++) {
        char *p = xasprintf("%s/%s/information", dir, ents.v[i]);
        char *text = read_small(p);
        const char *m = text ? strstr(text, "Model:") : NULL;
        if (m && (m == text || m[-1] == '\n')) {
            m += strlen("Model:");
            size_t n = strcspn(m, "\n");
            char *name = xstrndup(m, n);
            char *t = str_trim(name);
            if (*t)
                add_gpu(r, t, NULL);
            free(name);
        }
        free(text);
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
    size_t cap = 256, len = 0;
    char *list = xmalloc(cap);
    list[0] = '\0';
    for (size_t i = 0; i < r->ngpus; i++) {
        char *item = r->gpus[i].compute_cap
                         ? xasprintf("%s%s (compute capability %s)", i ? ", " : "",
                                     r->gpus[i].name, r->gpus[i].compute_cap)
                         : xasprintf("%s%s", i ? ", " : "", r->gpus[i].name);
        size_t n = strlen(item);
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            list = xrealloc(list, cap);
        }
        memcpy(list + len, item, n + 1);
        len += n;
        free(item);
    }
    note(r, "%zu GPU%s from %s: %s", r->ngpus, r->ngpus == 1 ? "" : "s", r->gpus_source,
         list);
    free(list);
}

static void detect_nvidia(struct detect_result *r, const struct sysroot *s)
{
    if (!nv_from_sysfs(r, s))
        nv_from_proc(r, s);
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

static void detect_rocm(struct detect_result *r, const struct sysroot *s)
{
    struct utsname u;
    char *enumr = detect_which("rocm_agent_enumerator");
    char *opt = sr_path(s, "/opt/rocm");
    int have_opt = is_dir(opt);
    if (!enumr && !have_opt) {
        free(opt);
        return;
    }
    if (uname(&u) == 0 && strcmp(u.sysname, "Linux") != 0) {
        note(r, "ROCm found but torch's ROCm wheels are for Linux only");
        free(enumr);
        free(opt);
        return;
    }
    /* Version: /opt/rocm/.info/version, else beside the enumerator. */
    char *vpath = xasprintf("%s/.info/version", opt);
    char *text = read_small(vpath);
    if (!text && enumr) {
        char *slash = strrchr(enumr, '/');
        char *bindir = xstrndup(enumr, (size_t)(slash - enumr));
        free(vpath);
        vpath = xasprintf("%s/../.info/version", bindir);
        free(bindir);
        text = read_small(vpath);
    }
    if (text && parse_rocm_version(text, &r->rocm_version_full, &r->rocm_version) == 0)
        set_str(&r->rocm_source, vpath);
    else if (text)
        note(r, "%s: unexpected content, ignored", vpath);
    free(text);
    free(vpath);

    int no_gpu = 0;
    if (enumr) {
        char *argv[] = { "rocm_agent_enumerator", NULL };
        char *out = NULL;
        int st;
        if (detect_capture(enumr, argv, DETECT_TIMEOUT_MS, &out, &st) < 0) {
            note(r, "%s did not answer within %d ms, killed", enumr, DETECT_TIMEOUT_MS);
        } else if (st == 0) {
            char *save = NULL;
            for (char *w = strtok_r(out, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save))
                if (!strncmp(w, "gfx", 3) && strcmp(w, "gfx000") != 0)
                    strv_push(&r->rocm_agents, w);
            no_gpu = r->rocm_agents.n == 0;
        } else {
            note(r, "%s failed (exit %d)", enumr, st);
        }
        free(out);
    }
    if (r->rocm_version)
        note(r, "ROCm %s from %s", r->rocm_version_full, r->rocm_source);
    if (r->rocm_agents.n) {
        size_t cap = 1;
        for (size_t i = 0; i < r->rocm_agents.n; i++)
            cap += strlen(r->rocm_agents.v[i]) + 1;
        char *list = xcalloc(1, cap);
        for (size_t i = 0; i < r->rocm_agents.n; i++) {
            if (i)
                strcat(list, " ");
            strcat(list, r->rocm_agents.v[i]);
        }
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
    free(enumr);
    free(opt);
}

/* ---- the whole thing ------------------------------------------------------------ */

/* TORCHSHIM_BACKEND: 1 decided, 0 detect, -1 bad value. */
static int from_env(struct detect_result *r)
{
    const char *v = getenv("TORCHSHIM_BACKEND");
    if (!v || !*v || !strcmp(v, "auto"))
        return 0;
    if (!strcmp(v, "cpu")) {
        r->kind = DETECT_CPU;
    } else if (cudatable_variant_cuda(v) >= 0) {
        r->kind = DETECT_CUDA;
    } else if (!strncmp(v, "rocm", 4) && looks_like_version(v + 4)) {
        r->kind = DETECT_ROCM;
        char *full = NULL, *xy = NULL;
        if (parse_rocm_version(v + 4, &full, &xy) == 0) {
            r->rocm_version_full = full;
            r->rocm_version = xy;
            r->rocm_source = xstrdup("TORCHSHIM_BACKEND");
        }
    } else {
        errorf("TORCHSHIM_BACKEND=%s: expected cpu, cuXYZ (cu121), rocmX.Y (rocm6.1) or auto",
               v);
        note(r, "TORCHSHIM_BACKEND=%s is not a backend: CPU", v);
        return -1;
    }
    r->forced = xstrdup(v);
    r->kind_source = xstrdup("TORCHSHIM_BACKEND");
    note(r, "backend %s from TORCHSHIM_BACKEND (machine not probed)", v);
    return 1;
}

int detect_backend_flags(struct detect_result *r, unsigned flags)
{
    memset(r, 0, sizeof *r);
    r->kind = DETECT_CPU;
    if (!(flags & DETECT_IGNORE_ENV)) {
        int e = from_env(r);
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

int detect_backend(struct detect_result *r)
{
    return detect_backend_flags(r, 0);
}

void detect_result_free(struct detect_result *r)
{
    free(r->forced);
    free(r->kind_source);
    free(r->driver);
    free(r->driver_source);
    free(r->cuda_version);
    free(r->cuda_source);
    clear_gpus(r);
    free(r->gpus_source);
    free(r->rocm_version);
    free(r->rocm_version_full);
    free(r->rocm_source);
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

static int published_has(const char *const *pub, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (pub[i] && !strcmp(pub[i], v))
            return 1;
    return 0;
}

int detect_pick_variant(const struct detect_result *r, const struct cudatable *t,
                        const char *torch, const char *const *pub, size_t n, char *out,
                        size_t outn, char *why, size_t whyn)
{
    str_printf(out, outn, "%s", "");
    str_printf(why, whyn, "%s", "");
    if (r->forced) {
        if (published_has(pub, n, r->forced)) {
            str_printf(out, outn, "%s", r->forced);
            str_printf(why, whyn, "%s: forced by TORCHSHIM_BACKEND", r->forced);
            return 0;
        }
        str_printf(why, whyn, "TORCHSHIM_BACKEND=%s but %s%s does not publish it", r->forced,
               torch ? "torch " : "this release", torch ? torch : "");
        return -1;
    }
    char reason[512] = "";
    if (r->kind == DETECT_CUDA) {
        struct cudatable_query q = {
            .driver = r->driver,
            .cuda_cap = r->cuda_version,
            .compute_cap = detect_min_compute_cap(r),
            .torch = torch,
        };
        return cudatable_pick_q(t, &q, pub, n, out, outn, why, whyn);
    }
    if (r->kind == DETECT_ROCM) {
        int have = r->rocm_version ? version_mm(r->rocm_version) : -1;
        const char *best = NULL;
        int best_v = -1, oldest = -1;
        for (size_t i = 0; i < n; i++) {
            int v = rocm_mm(pub[i]);
            if (v < 0)
                continue;
            if (oldest < 0 || v < oldest)
                oldest = v;
            if ((have < 0 || v <= have) && v > best_v) {
                best = pub[i];
                best_v = v;
            }
        }
        if (best) {
            str_printf(out, outn, "%s", best);
            str_printf(why, whyn, "%s: the newest published ROCm variant%s%s", best,
                   r->rocm_version ? " not newer than ROCm " : "",
                   r->rocm_version ? r->rocm_version : "");
            return 0;
        }
        if (oldest >= 0)
            str_printf(reason, sizeof reason, "ROCm %s is older than every published rocm variant",
                   r->rocm_version);
        else
            str_printf(reason, sizeof reason, "no rocm variant published");
    }
    if (published_has(pub, n, "cpu")) {
        str_printf(out, outn, "cpu");
        if (reason[0])
            str_printf(why, whyn, "cpu: %s", reason);
        else
            str_printf(why, whyn, "cpu: no GPU backend detected");
        return 0;
    }
    str_printf(why, whyn, "no published variant fits%s%s", reason[0] ? ": " : "", reason);
    return -1;
}
