/* cudatable.c — see cudatable.h. */
#include "cudatable.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "fileio.h"
#include "msg.h"

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

/* ---- table files -------------------------------------------------------- */

struct parse_ctx {
    const char *name;
    int line;
    char **err;
};

static int perr(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parse_ctx *c, const char *fmt, ...)
{
    struct buf msg = BUF_INIT;
    buf_addf(&msg, "%s:%d: ", c->name, c->line);
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    if (c->err)
        *c->err = buf_detach(&msg, NULL);
    buf_free(&msg);
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

struct range {
    int lo, hi;
};

/* One "cuA" / "cuA..cuB" item (LEN bytes at P) of the list SPEC. */
static int parse_range(struct parse_ctx *c, const char *spec, const char *p, size_t len,
                       struct range *r)
{
    char item[64];
    if (len == 0 || len >= sizeof item)
        return perr(c, "bad variant list '%s'", spec);
    memcpy(item, p, len);
    item[len] = '\0';
    char *dots = strstr(item, "..");
    if (dots)
        *dots = '\0';
    r->lo = cudatable_variant_cuda(item);
    r->hi = dots ? cudatable_variant_cuda(dots + 2) : r->lo;
    if (r->lo < 0 || r->hi < 0)
        return perr(c, "'%s' is not a CUDA variant or range (cu118, cu120..cu129)", spec);
    if (r->lo > r->hi)
        return perr(c, "empty range '%s'", spec);
    if (r->lo / 100 != r->hi / 100)
        return perr(c, "range '%s' spans CUDA majors (use one row per major)", spec);
    return 0;
}

/* The ranges of a comma list; malloc'd array, count in *n. NULL on error. */
static struct range *parse_ranges(struct parse_ctx *c, const char *spec, size_t *n)
{
    size_t cap = 1;
    for (const char *q = spec; (q = strchr(q, ',')); q++)
        cap++;
    struct range *r = xcalloc(cap, sizeof *r);
    *n = 0;
    for (const char *p = spec;; p++) {
        size_t len = strcspn(p, ",");
        if (parse_range(c, spec, p, len, &r[(*n)++]) < 0) {
            free(r);
            return NULL;
        }
        p += len;
        if (!*p)
            return r;
    }
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

/* driver-cuda.tsv: variants, min_linux, min_windows. */
static int check_driver_fields(struct parse_ctx *c, char **f, size_t nf)
{
    if (nf != 3)
        return perr(c, "expected 3 fields (variants, min_linux, min_windows), got %zu", nf);
    if (!cudatable_driver_valid(f[1]) || !cudatable_driver_valid(f[2]))
        return perr(c, "bad driver version '%s' / '%s'", f[1], f[2]);
    return 0;
}

/* compute-cap.tsv: variants, torch range, min_cc, max_cc; *row without
 * its CUDA range. */
static int check_cc_fields(struct parse_ctx *c, char **f, size_t nf, struct cudatable_cc_row *row)
{
    if (nf != 4)
        return perr(c, "expected 4 fields (variants, torch, min_cc, max_cc), got %zu", nf);
    *row = (struct cudatable_cc_row){ 0, 0, 0, 0, parse_cc(f[2]), parse_cc(f[3]) };
    if (parse_torch_range(f[1], &row->torch_lo, &row->torch_hi) < 0)
        return perr(c, "bad torch range '%s' (*, 2.8 or 2.8-2.9)", f[1]);
    if (row->min_cc < 0 || row->max_cc < 0 || row->min_cc > row->max_cc)
        return perr(c, "bad compute capability range '%s' .. '%s'", f[2], f[3]);
    return 0;
}

/* The fields F of one line: a row per CUDA range of the variant list. */
static int parse_fields(struct parse_ctx *c, struct cudatable *t, char **f, size_t nf, int is_cc)
{
    struct cudatable_cc_row row = { 0 };
    if ((is_cc ? check_cc_fields(c, f, nf, &row) : check_driver_fields(c, f, nf)) < 0)
        return -1;
    size_t n;
    struct range *r = parse_ranges(c, f[0], &n);
    if (!r)
        return -1;
    if (is_cc)
        t->cc = xrealloc(t->cc, (t->ncc + n) * sizeof *t->cc);
    else
        t->drv = xrealloc(t->drv, (t->ndrv + n) * sizeof *t->drv);
    for (size_t i = 0; i < n; i++) {
        row.lo = r[i].lo;
        row.hi = r[i].hi;
        if (is_cc)
            t->cc[t->ncc++] = row;
        else
            t->drv[t->ndrv++] = (struct cudatable_driver_row){ r[i].lo, r[i].hi, xstrdup(f[1]),
                                                               xstrdup(f[2]) };
    }
    free(r);
    return 0;
}

static int parse_text(struct cudatable *t, const char *text, const char *name, int is_cc,
                      char **err)
{
    struct parse_ctx c = { name, 0, err };
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, "\n");
        c.line++;
        char *line = xstrndup(p, len);
        line[strcspn(line, "#")] = '\0';
        char *f[MAX_FIELDS];
        size_t nf = split_fields(line, f, MAX_FIELDS);
        int rc = nf == 0 ? 0 : parse_fields(&c, t, f, nf, is_cc);
        free(line);
        if (rc < 0)
            return -1;
        p += len + (p[len] == '\n');
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
                      const char *ctext, const char *cname, char **err)
{
    *t = (struct cudatable)CUDATABLE_INIT;
    if (parse_text(t, dtext, dname, 0, err) < 0 ||
        (ctext && parse_text(t, ctext, cname, 1, err) < 0)) {
        cudatable_free(t);
        return -1;
    }
    if (t->ndrv == 0) {
        cudatable_free(t);
        return seterr(err, "%s: no rows", dname);
    }
    return 0;
}

int cudatable_parse(struct cudatable *t, const char *driver_text, const char *cc_text,
                    char **err)
{
    return parse_both(t, driver_text, DRIVER_TSV, cc_text, CC_TSV, err);
}

/* A table file's text (malloc'd), or NULL with *err. */
static char *read_table(const char *path, char **err)
{
    char *text;
    size_t len;
    int rc = file_read(path, MAX_TABLE_BYTES, &text, &len, err);
    if (rc == 1)
        seterr(err, "%s: %s", path, strerror(ENOENT));
    if (rc != 0)
        return NULL;
    if (memchr(text, '\0', len)) {
        free(text);
        seterr(err, "%s: binary data", path);
        return NULL;
    }
    return text;
}

int cudatable_load(struct cudatable *t, const char *driver_path, const char *cc_path,
                   char **err)
{
    *t = (struct cudatable)CUDATABLE_INIT;
    char *dtext = read_table(driver_path, err);
    if (!dtext)
        return -1;
    char *ctext = NULL;
    if (cc_path && !(ctext = read_table(cc_path, err))) {
        free(dtext);
        return -1;
    }
    int rc = parse_both(t, dtext, driver_path, ctext, cc_path, err);
    free(dtext);
    free(ctext);
    return rc;
}

int cudatable_load_default(struct cudatable *t, char **err)
{
    char *dir = config_datadir();
    char *dp = xasprintf("%s/%s", dir, DRIVER_TSV);
    char *cp = xasprintf("%s/%s", dir, CC_TSV);
    int rc = cudatable_load(t, dp, access(cp, R_OK) == 0 ? cp : NULL, err);
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
                         char **out)
{
    *out = NULL;
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
    *out = xasprintf("%d.%d", best / 100, best % 100);
    return 0;
}

int cudatable_max_cuda(const struct cudatable *t, const char *driver_version, int windows,
                       char **out)
{
    struct cudatable_query q = { .driver = driver_version, .windows = windows };
    if (!driver_version) {
        *out = NULL;
        return -1;
    }
    return cudatable_max_cuda_q(t, &q, out);
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
                         const char *compute_cap, char **msg)
{
    if (msg)
        *msg = NULL;
    int cuda = cudatable_variant_cuda(variant);
    int cc = compute_cap ? parse_cc(compute_cap) : -1;
    const struct cudatable_cc_row *r = cuda < 0 || cc < 0 ? NULL : cc_row(t, cuda, torch);
    if (!r)
        return -1;
    int older = cc < r->min_cc;
    if (!older && cc / 10 <= r->max_cc / 10)
        return 0;
    int limit = older ? r->min_cc : r->max_cc;
    if (msg)
        *msg = xasprintf("GPU compute capability %d.%d is %s than %d.%d, the %s the "
                         "%s%s%s%s wheels are built for (CUDA kernels will fail: \"no kernel "
                         "image is available\")",
                         cc / 10, cc % 10, older ? "older" : "newer", limit / 10, limit % 10,
                         older ? "oldest" : "newest", torch ? "torch " : "", torch ? torch : "",
                         torch ? " " : "", variant);
    return 1;
}

/* The driver's part of cudatable_check: 1 fine, else 0/-1 with *why. */
static int check_driver(const struct cudatable_driver_row *r, const char *variant,
                        const struct cudatable_query *q, char **why)
{
    if (!q->driver)
        return 1;
    if (!cudatable_driver_valid(q->driver)) {
        seterr(why, "'%s' is not a driver version", q->driver);
        return -1;
    }
    const char *min = row_min(r, q->windows);
    if (cudatable_driver_cmp(q->driver, min) < 0) {
        seterr(why, "%s needs NVIDIA driver >= %s (%s), this one is %s", variant, min,
               q->windows ? "Windows" : "Linux", q->driver);
        return 0;
    }
    return 1;
}

int cudatable_check(const struct cudatable *t, const char *variant,
                    const struct cudatable_query *q, char **why)
{
    if (why)
        *why = NULL;
    if (variant && !strcmp(variant, "cpu"))
        return 1;
    int cuda = cudatable_variant_cuda(variant);
    if (cuda < 0)
        return seterr(why, "%s is not a CUDA variant", variant ? variant : "(null)");
    const struct cudatable_driver_row *r = driver_row(t, cuda);
    if (!r)
        return seterr(why, "%s: no driver requirement known (not in %s)", variant, DRIVER_TSV);
    if (!q->driver && !q->cuda_cap) {
        seterr(why, "%s: no NVIDIA driver", variant);
        return 0;
    }
    int ok = check_driver(r, variant, q, why);
    if (ok != 1)
        return ok;
    int bound = cap_bound(q);
    if (bound < 0)
        return seterr(why, "'%s' is not a CUDA version", q->cuda_cap);
    if (cuda > bound) {
        seterr(why, "%s needs CUDA %d.%d, the driver supports CUDA %s at most", variant,
               cuda / 100, cuda % 100, q->cuda_cap);
        return 0;
    }
    if (q->compute_cap && cudatable_cc_warning(t, variant, q->torch, q->compute_cap, why) == 1)
        return 0;
    return 1;
}

int cudatable_variant_ok(const struct cudatable *t, const char *variant, const char *driver,
                         int windows)
{
    struct cudatable_query q = { .driver = driver, .windows = windows };
    return cudatable_check(t, variant, &q, NULL);
}

static int published_has(const char *const *published, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (published[i] && !strcmp(published[i], v))
            return 1;
    return 0;
}

int cudatable_pick_cpu(const char *const *published, size_t n, const char *cpu_why,
                       const char *reason, char **out, char **why)
{
    if (published_has(published, n, "cpu")) {
        *out = xstrdup("cpu");
        if (why)
            *why = xasprintf("cpu: %s", cpu_why);
        return 0;
    }
    *out = NULL;
    return seterr(why, "no published variant fits%s%s", *reason ? ": " : "", reason);
}

/* The newest published CUDA variant older than BELOW (major * 100 + minor),
 * its version in *cuda; NULL when there is none. */
static const char *newest_below(const char *const *published, size_t n, int below, int *cuda)
{
    const char *cand = NULL;
    *cuda = -1;
    for (size_t i = 0; i < n; i++) {
        int c = cudatable_variant_cuda(published[i]);
        if (c > *cuda && c < below) {
            cand = published[i];
            *cuda = c;
        }
    }
    return cand;
}

int cudatable_pick_q(const struct cudatable *t, const struct cudatable_query *q,
                     const char *const *published, size_t n, char **out, char **why)
{
    struct buf reason = BUF_INIT;  /* every rejection, newest first */
    const char *best = NULL;
    int cuda = INT_MAX;
    /* CUDA variants newest first: each round takes the newest not yet tried */
    while (!best && (best = newest_below(published, n, cuda, &cuda))) {
        char *w = NULL;
        int ok = cudatable_check(t, best, q, &w);
        if (ok == 0)
            buf_addf(&reason, "%s%s", reason.len ? "; " : "", w);
        if (ok != 1)
            best = NULL;
        free(w);
    }
    int rc = 0;
    if (best) {
        *out = xstrdup(best);
        if (why && reason.len)
            *why = xasprintf("%s (not newer: %s)", best, buf_str(&reason));
        else if (why)
            *why = xasprintf("%s: the newest published variant (CUDA %d.%d)", best, cuda / 100,
                             cuda % 100);
    } else {
        const char *cpu_why = !q->driver && !q->cuda_cap ? "no NVIDIA driver"
                              : reason.len ? buf_str(&reason)
                                           : "no published CUDA variant is known to the driver "
                                             "table";
        rc = cudatable_pick_cpu(published, n, cpu_why, buf_str(&reason), out, why);
    }
    buf_free(&reason);
    return rc;
}

int cudatable_pick(const struct cudatable *t, const char *const *published, size_t n,
                   const char *driver, int windows, char **out)
{
    struct cudatable_query q = { .driver = driver, .windows = windows };
    return cudatable_pick_q(t, &q, published, n, out, NULL);
}
