/* cudatable.c — see cudatable.h. */
#include "cudatable.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "str.h"

#define DRIVER_TSV "driver-cuda.tsv"
#define CC_TSV "compute-cap.tsv"
#define MAX_TABLE_BYTES (1024 * 1024)
#define MAX_FIELDS 8

/* ---- small parsers ---------------------------------------------------- */

/* Digits only, at least one, value below INT_MAX / 1000. */
static int parse_uint(const char *s, size_t len, int *out)
{
    if (!len || len > 6)
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int cudatable_variant_cuda(const char *variant)
{
    if (!variant || strncmp(variant, "cu", 2) != 0)
        return -1;
    const char *d = variant + 2;
    size_t len = strlen(d);
    int v;
    if (len < 2 || len > 3 || parse_uint(d, len, &v) < 0)
        return -1;
    return (v / 10) * 100 + v % 10;
}

/* "12.2" -> 1202, "11" -> 1100; -1 if malformed. */
static int parse_cuda_version(const char *s)
{
    if (!s)
        return -1;
    const char *dot = strchr(s, '.');
    int major, minor = 0;
    if (parse_uint(s, dot ? (size_t)(dot - s) : strlen(s), &major) < 0)
        return -1;
    if (dot) {
        const char *m = dot + 1;
        const char *end = strchr(m, '.');
        if (parse_uint(m, end ? (size_t)(end - m) : strlen(m), &minor) < 0 || minor > 99)
            return -1;
    }
    return major * 100 + minor;
}

/* Compute capability "7.5" -> 75, "12.0" -> 120; -1 if malformed. */
static int parse_cc(const char *s)
{
    const char *dot = s ? strchr(s, '.') : NULL;
    int major, minor;
    if (!dot || parse_uint(s, (size_t)(dot - s), &major) < 0 ||
        parse_uint(dot + 1, strlen(dot + 1), &minor) < 0 || minor > 9)
        return -1;
    return major * 10 + minor;
}

/* Torch "2.8" / "2.8.1+cu128" -> 208; -1 if malformed. With strict, the
 * LEN bytes must be exactly "M.m". */
static int parse_torch_mm(const char *s, size_t len, int strict)
{
    const char *dot = memchr(s, '.', len);
    int major, minor;
    if (!dot || parse_uint(s, (size_t)(dot - s), &major) < 0)
        return -1;
    const char *m = dot + 1;
    size_t mlen = 0;
    while (m + mlen < s + len && isdigit((unsigned char)m[mlen]))
        mlen++;
    if (parse_uint(m, mlen, &minor) < 0 || minor > 99 || (strict && m + mlen != s + len))
        return -1;
    return major * 100 + minor;
}

int cudatable_driver_valid(const char *v)
{
    if (!v || !*v)
        return 0;
    for (const char *p = v;;) {
        size_t len = strspn(p, "0123456789");
        if (len == 0 || len > 9)
            return 0;
        p += len;
        if (*p == '\0')
            return 1;
        if (*p != '.')
            return 0;
        p++;
    }
}

int cudatable_driver_cmp(const char *a, const char *b)
{
    int va = cudatable_driver_valid(a), vb = cudatable_driver_valid(b);
    if (!va || !vb)
        return va - vb;
    while (*a || *b) {
        long x = 0, y = 0;
        char *end;
        if (*a) {
            x = strtol(a, &end, 10);
            a = *end == '.' ? end + 1 : end;
        }
        if (*b) {
            y = strtol(b, &end, 10);
            b = *end == '.' ? end + 1 : end;
        }
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static void fmt_cuda(int v, char *out, size_t n)
{
    str_printf(out, n, "%d.%d", v / 100, v % 100);
}

/* ---- table files -------------------------------------------------------- */

struct parse_ctx {
    const char *name;
    int line;
    char *err;
    size_t errn;
};

static int perr(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parse_ctx *c, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    str_printf(c->err, c->errn, "%s:%d: %s", c->name, c->line, what);
    return -1;
}

/* Split LINE (modified) at runs of blanks. Returns the field count. */
static size_t split_fields(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            *p++ = '\0';
        if (!*p)
            break;
        if (n == max)
            return max + 1;
        f[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
    }
    return n;
}

/* Call fn for every "cuA" / "cuA..cuB" item of a comma list. */
typedef int (*range_fn)(void *arg, int lo, int hi);

static int each_range(struct parse_ctx *c, const char *spec, range_fn fn, void *arg)
{
    const char *p = spec;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[64];
        if (len == 0 || len >= sizeof item)
            return perr(c, "bad variant list '%s'", spec);
        memcpy(item, p, len);
        item[len] = '\0';
        char *dots = strstr(item, "..");
        int lo, hi;
        if (dots) {
            *dots = '\0';
            lo = cudatable_variant_cuda(item);
            hi = cudatable_variant_cuda(dots + 2);
        } else {
            lo = hi = cudatable_variant_cuda(item);
        }
        if (lo < 0 || hi < 0)
            return perr(c, "'%s' is not a CUDA variant or range (cu118, cu120..cu129)",
                        spec);
        if (lo > hi)
            return perr(c, "empty range '%s'", spec);
        if (lo / 100 != hi / 100)
            return perr(c, "range '%s' spans CUDA majors (use one row per major)", spec);
        if (fn(arg, lo, hi) < 0)
            return -1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

struct drv_add {
    struct cudatable *t;
    const char *lin, *win;
};

static int add_driver_row(void *arg, int lo, int hi)
{
    struct drv_add *a = arg;
    struct cudatable *t = a->t;
    t->drv = xrealloc(t->drv, (t->ndrv + 1) * sizeof *t->drv);
    struct cudatable_driver_row *r = &t->drv[t->ndrv++];
    r->lo = lo;
    r->hi = hi;
    r->min_linux = xstrdup(a->lin);
    r->min_windows = xstrdup(a->win);
    return 0;
}

struct cc_add {
    struct cudatable *t;
    struct cudatable_cc_row proto;
};

static int add_cc_row(void *arg, int lo, int hi)
{
    struct cc_add *a = arg;
    struct cudatable *t = a->t;
    t->cc = xrealloc(t->cc, (t->ncc + 1) * sizeof *t->cc);
    struct cudatable_cc_row *r = &t->cc[t->ncc++];
    *r = a->proto;
    r->lo = lo;
    r->hi = hi;
    return 0;
}

static int parse_torch_range(const char *s, int *lo, int *hi)
{
    if (!strcmp(s, "*")) {
        *lo = *hi = 0;
        return 0;
    }
    const char *dash = strchr(s, '-');
    *lo = parse_torch_mm(s, dash ? (size_t)(dash - s) : strlen(s), 1);
    *hi = dash ? parse_torch_mm(dash + 1, strlen(dash + 1), 1) : *lo;
    return *lo < 0 || *hi < 0 || *lo > *hi ? -1 : 0;
}

static int parse_line(struct parse_ctx *c, struct cudatable *t, char *line, int is_cc)
{
    char *f[MAX_FIELDS];
    size_t nf = split_fields(line, f, MAX_FIELDS);
    if (nf == 0)
        return 0;
    if (!is_cc) {
        if (nf != 3)
            return perr(c, "expected 3 fields (variants, min_linux, min_windows), got %zu", nf);
        if (!cudatable_driver_valid(f[1]) || !cudatable_driver_valid(f[2]))
            return perr(c, "bad driver version '%s' / '%s'", f[1], f[2]);
        struct drv_add a = { t, f[1], f[2] };
        return each_range(c, f[0], add_driver_row, &a);
    }
    if (nf != 4)
        return perr(c, "expected 4 fields (variants, torch, min_cc, max_cc), got %zu", nf);
    struct cc_add a = { t, { 0, 0, 0, 0, 0, 0 } };
    if (parse_torch_range(f[1], &a.proto.torch_lo, &a.proto.torch_hi) < 0)
        return perr(c, "bad torch range '%s' (*, 2.8 or 2.8-2.9)", f[1]);
    a.proto.min_cc = parse_cc(f[2]);
    a.proto.max_cc = parse_cc(f[3]);
    if (a.proto.min_cc < 0 || a.proto.max_cc < 0 || a.proto.min_cc > a.proto.max_cc)
        return perr(c, "bad compute capability range '%s' .. '%s'", f[2], f[3]);
    return each_range(c, f[0], add_cc_row, &a);
}

static int parse_text(struct cudatable *t, const char *text, const char *name, int is_cc,
                      char *err, size_t errn)
{
    struct parse_ctx c = { name, 0, err, errn };
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        c.line++;
        char *line = xstrndup(p, len);
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        int rc = parse_line(&c, t, line, is_cc);
        free(line);
        if (rc < 0)
            return -1;
        p += len + (nl ? 1 : 0);
    }
    return 0;
}

void cudatable_free(struct cudatable *t)
{
    for (size_t i = 0; i < t->ndrv; i++) {
        free(t->drv[i].min_linux);
        free(t->drv[i].min_windows);
    }
    free(t->drv);
    free(t->cc);
    *t = (struct cudatable)CUDATABLE_INIT;
}

static int parse_both(struct cudatable *t, const char *dtext, const char *dname,
                      const char *ctext, const char *cname, char *err, size_t errn)
{
    *t = (struct cudatable)CUDATABLE_INIT;
    if (parse_text(t, dtext, dname, 0, err, errn) < 0 ||
        (ctext && parse_text(t, ctext, cname, 1, err, errn) < 0)) {
        cudatable_free(t);
        return -1;
    }
    if (t->ndrv == 0) {
        str_printf(err, errn, "%s: no rows", dname);
        cudatable_free(t);
        return -1;
    }
    return 0;
}

int cudatable_parse(struct cudatable *t, const char *driver_text, const char *cc_text,
                    char *err, size_t errn)
{
    return parse_both(t, driver_text, DRIVER_TSV, cc_text, CC_TSV, err, errn);
}

static char *slurp(const char *path, char *err, size_t errn)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        str_printf(err, errn, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= MAX_TABLE_BYTES) {
                str_printf(err, errn, "%s: larger than %d bytes", path, MAX_TABLE_BYTES);
                goto fail;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len - 1, fp);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        str_printf(err, errn, "%s: read error", path);
        goto fail;
    }
    fclose(fp);
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        str_printf(err, errn, "%s: binary data", path);
        free(buf);
        return NULL;
    }
    return buf;
fail:
    fclose(fp);
    free(buf);
    return NULL;
}

int cudatable_load(struct cudatable *t, const char *driver_path, const char *cc_path,
                   char *err, size_t errn)
{
    *t = (struct cudatable)CUDATABLE_INIT;
    char *dtext = slurp(driver_path, err, errn);
    if (!dtext)
        return -1;
    char *ctext = NULL;
    if (cc_path && !(ctext = slurp(cc_path, err, errn))) {
        free(dtext);
        return -1;
    }
    int rc = parse_both(t, dtext, driver_path, ctext, cc_path, err, errn);
    free(dtext);
    free(ctext);
    return rc;
}

int cudatable_load_default(struct cudatable *t, char *err, size_t errn)
{
    char *dir = config_datadir();
    char *dp = xasprintf("%s/%s", dir, DRIVER_TSV);
    char *cp = xasprintf("%s/%s", dir, CC_TSV);
    int rc = cudatable_load(t, dp, access(cp, R_OK) == 0 ? cp : NULL, err, errn);
    free(dp);
    free(cp);
    free(dir);
    return rc;
}

/* ---- questions ---------------------------------------------------------- */

static const struct cudatable_driver_row *driver_row(const struct cudatable *t, int cuda)
{
    for (size_t i = 0; i < t->ndrv; i++)
        if (cuda >= t->drv[i].lo && cuda <= t->drv[i].hi)
            return &t->drv[i];
    return NULL;
}

static const char *row_min(const struct cudatable_driver_row *r, int windows)
{
    return windows ? r->min_windows : r->min_linux;
}

/* The highest CUDA version (major * 100 + minor) cuda_cap allows, INT_MAX
 * when there is no cap, -1 when the cap is malformed. */
static int cap_bound(const struct cudatable_query *q)
{
    if (!q->cuda_cap)
        return INT_MAX;
    int cap = parse_cuda_version(q->cuda_cap);
    if (cap < 0)
        return -1;
    return q->cap_minor ? cap : (cap / 100) * 100 + 99;
}

int cudatable_max_cuda_q(const struct cudatable *t, const struct cudatable_query *q,
                         char *out, size_t n)
{
    str_printf(out, n, "%s", "");
    int bound = cap_bound(q);
    if (bound < 0 || (!q->driver && !q->cuda_cap) ||
        (q->driver && !cudatable_driver_valid(q->driver)))
        return -1;
    int best = -1;
    for (size_t i = 0; i < t->ndrv; i++) {
        const struct cudatable_driver_row *r = &t->drv[i];
        if (q->driver && cudatable_driver_cmp(q->driver, row_min(r, q->windows)) < 0)
            continue;
        if (r->lo > bound)
            continue;
        int v = r->hi < bound ? r->hi : bound;
        if (v > best)
            best = v;
    }
    if (best < 0)
        return -1;
    fmt_cuda(best, out, n);
    return 0;
}

int cudatable_max_cuda(const struct cudatable *t, const char *driver_version, int windows,
                       char *out, size_t n)
{
    struct cudatable_query q = { .driver = driver_version, .windows = windows };
    if (!driver_version) {
        str_printf(out, n, "%s", "");
        return -1;
    }
    return cudatable_max_cuda_q(t, &q, out, n);
}

static const struct cudatable_cc_row *cc_row(const struct cudatable *t, int cuda,
                                             const char *torch)
{
    int tv = torch ? parse_torch_mm(torch, strlen(torch), 0) : -1;
    for (size_t i = 0; i < t->ncc; i++) {
        const struct cudatable_cc_row *r = &t->cc[i];
        if (cuda < r->lo || cuda > r->hi)
            continue;
        if (r->torch_lo == 0 || (tv >= r->torch_lo && tv <= r->torch_hi))
            return r;
    }
    return NULL;
}

int cudatable_cc_warning(const struct cudatable *t, const char *variant, const char *torch,
                         const char *compute_cap, char *msg, size_t msgn)
{
    str_printf(msg, msgn, "%s", "");
    int cuda = cudatable_variant_cuda(variant);
    int cc = compute_cap ? parse_cc(compute_cap) : -1;
    if (cuda < 0 || cc < 0)
        return -1;
    const struct cudatable_cc_row *r = cc_row(t, cuda, torch);
    if (!r)
        return -1;
    char who[96];
    if (torch)
        str_printf(who, sizeof who, "torch %s %s wheels", torch, variant);
    else
        str_printf(who, sizeof who, "%s wheels", variant);
    if (cc < r->min_cc) {
        str_printf(msg, msgn,
               "GPU compute capability %d.%d is older than %d.%d, the oldest the %s are "
               "built for (CUDA kernels will fail: \"no kernel image is available\")",
               cc / 10, cc % 10, r->min_cc / 10, r->min_cc % 10, who);
        return 1;
    }
    if (cc / 10 > r->max_cc / 10) {
        str_printf(msg, msgn,
               "GPU compute capability %d.%d is newer than %d.%d, the newest the %s are "
               "built for (CUDA kernels will fail: \"no kernel image is available\")",
               cc / 10, cc % 10, r->max_cc / 10, r->max_cc % 10, who);
        return 1;
    }
    return 0;
}

int cudatable_check(const struct cudatable *t, const char *variant,
                    const struct cudatable_query *q, char *why, size_t whyn)
{
    str_printf(why, whyn, "%s", "");
    if (variant && !strcmp(variant, "cpu"))
        return 1;
    int cuda = cudatable_variant_cuda(variant);
    if (cuda < 0) {
        str_printf(why, whyn, "%s is not a CUDA variant", variant ? variant : "(null)");
        return -1;
    }
    const struct cudatable_driver_row *r = driver_row(t, cuda);
    if (!r) {
        str_printf(why, whyn, "%s: no driver requirement known (not in %s)", variant, DRIVER_TSV);
        return -1;
    }
    if (!q->driver && !q->cuda_cap) {
        str_printf(why, whyn, "%s: no NVIDIA driver", variant);
        return 0;
    }
    if (q->driver) {
        if (!cudatable_driver_valid(q->driver)) {
            str_printf(why, whyn, "'%s' is not a driver version", q->driver);
            return -1;
        }
        const char *min = row_min(r, q->windows);
        if (cudatable_driver_cmp(q->driver, min) < 0) {
            str_printf(why, whyn, "%s needs NVIDIA driver >= %s (%s), this one is %s", variant,
                   min, q->windows ? "Windows" : "Linux", q->driver);
            return 0;
        }
    }
    int bound = cap_bound(q);
    if (bound < 0) {
        str_printf(why, whyn, "'%s' is not a CUDA version", q->cuda_cap);
        return -1;
    }
    if (cuda > bound) {
        str_printf(why, whyn, "%s needs CUDA %d.%d, the driver supports CUDA %s at most", variant,
               cuda / 100, cuda % 100, q->cuda_cap);
        return 0;
    }
    if (q->compute_cap && cudatable_cc_warning(t, variant, q->torch, q->compute_cap, why,
                                               whyn) == 1)
        return 0;
    str_printf(why, whyn, "%s", "");
    return 1;
}

int cudatable_variant_ok(const struct cudatable *t, const char *variant, const char *driver,
                         int windows)
{
    struct cudatable_query q = { .driver = driver, .windows = windows };
    return cudatable_check(t, variant, &q, NULL, 0);
}

int cudatable_pick_q(const struct cudatable *t, const struct cudatable_query *q,
                     const char *const *published, size_t n, char *out, size_t outn,
                     char *why, size_t whyn)
{
    str_printf(out, outn, "%s", "");
    str_printf(why, whyn, "%s", "");
    int have_cpu = 0;
    const char *best = NULL;
    int best_cuda = -1;
    char reason[1024] = "";  /* every rejection, newest first */
    /* Try CUDA variants newest first: repeatedly take the newest not yet
     * tried (the list is short). */
    int tried_below = INT_MAX;
    for (;;) {
        const char *cand = NULL;
        int cand_cuda = -1;
        for (size_t i = 0; i < n; i++) {
            if (!published[i])
                continue;
            if (!strcmp(published[i], "cpu")) {
                have_cpu = 1;
                continue;
            }
            int c = cudatable_variant_cuda(published[i]);
            if (c > cand_cuda && c < tried_below) {
                cand = published[i];
                cand_cuda = c;
            }
        }
        if (!cand)
            break;
        tried_below = cand_cuda;
        char w[512];
        int ok = cudatable_check(t, cand, q, w, sizeof w);
        if (ok == 1) {
            best = cand;
            best_cuda = cand_cuda;
            break;
        }
        if (ok == 0) {
            size_t used = strlen(reason);
            str_printf(reason + used, sizeof reason - used, "%s%s", used ? "; " : "", w);
        }
    }
    if (best) {
        str_printf(out, outn, "%s", best);
        if (reason[0])
            str_printf(why, whyn, "%s (not newer: %s)", best, reason);
        else
            str_printf(why, whyn, "%s: the newest published variant (CUDA %d.%d)", best,
                   best_cuda / 100, best_cuda % 100);
        return 0;
    }
    if (have_cpu) {
        str_printf(out, outn, "cpu");
        if (!q->driver && !q->cuda_cap)
            str_printf(why, whyn, "cpu: no NVIDIA driver");
        else if (reason[0])
            str_printf(why, whyn, "cpu: %s", reason);
        else
            str_printf(why, whyn, "cpu: no published CUDA variant is known to the driver table");
        return 0;
    }
    str_printf(why, whyn, "no published variant fits%s%s", reason[0] ? ": " : "", reason);
    return -1;
}

int cudatable_pick(const struct cudatable *t, const char *const *published, size_t n,
                   const char *driver, int windows, char *out, size_t outn)
{
    struct cudatable_query q = { .driver = driver, .windows = windows };
    return cudatable_pick_q(t, &q, published, n, out, outn, NULL, 0);
}
