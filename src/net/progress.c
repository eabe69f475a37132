/* progress.c — see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fileio.h"

#define MIN_WIDTH 20

void dl_human_bytes(int64_t v, char *buf, size_t n)
{
    static const char units[] = "KMGTP";
    if (v < 0) {
        snprintf(buf, n, "?");
        return;
    }
    if (v < 1024) {
        snprintf(buf, n, "%dB", (int)v);
        return;
    }
    double x = (double)v / 1024;
    int u = 0;
    while (x >= 1000 && units[u + 1]) {   /* "1000.0K" would be 7+ wide: go up */
        x /= 1024;
        u++;
    }
    snprintf(buf, n, "%.1f%c", x, units[u]);
}

static void eta_text(double secs, char *buf, size_t n)
{
    long s = (long)(secs + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "ETA %ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, n, "ETA %ld:%02ld", s / 60, s % 60);
}

/* The fields after the name; drop = 0 all, 1 without the connection count,
 * 2 without the ETA either. */
static void tail_text(const struct dl_stats *s, int drop, char *buf, size_t n)
{
    char done[16], total[16], rate[16], eta[32] = "", conns[24] = "";
    dl_human_bytes(s->done, done, sizeof done);
    dl_human_bytes(s->total, total, sizeof total);
    switch (s->phase) {
    case DL_PHASE_WAIT:
        snprintf(buf, n, "  waiting");
        return;
    case DL_PHASE_CONNECT:
        snprintf(buf, n, "  connecting");
        return;
    case DL_PHASE_VERIFY:
    case DL_PHASE_DONE:
        snprintf(buf, n, "  %s  %s", s->total >= 0 ? total : done,
                 s->phase == DL_PHASE_VERIFY ? "verifying" : "done");
        return;
    case DL_PHASE_FAILED:
        snprintf(buf, n, "  failed");
        return;
    default:
        break;
    }
    if (s->rate > 0) {
        dl_human_bytes((int64_t)s->rate, rate, sizeof rate);
        strcat(rate, "/s");
    } else {
        snprintf(rate, sizeof rate, "--/s");
    }
    if (drop < 2 && s->total > 0 && s->rate > 0)
        eta_text((double)(s->total - s->done) / s->rate, eta, sizeof eta);
    if (drop < 1)
        snprintf(conns, sizeof conns, "%d conn", s->conns);
    if (s->total > 0) {
        int pct = (int)(100.0 * (double)s->done / (double)s->total);
        snprintf(buf, n, "  %s/%s  %d%%  %s%s%s%s%s", done, total, pct > 100 ? 100 : pct, rate,
                 eta[0] ? "  " : "", eta, conns[0] ? "  " : "", conns);
    } else {
        snprintf(buf, n, "  %s  %s%s%s", done, rate, conns[0] ? "  " : "", conns);
    }
}

size_t dl_progress_format(const struct dl_stats *s, int width, char *buf, size_t n)
{
    char tail[160];
    const char *name = s->name ? s->name : "";
    size_t w = (size_t)(width < MIN_WIDTH ? MIN_WIDTH : width);
    size_t nl = strlen(name);
    int drop = 0;
    for (; drop <= 2; drop++) {
        tail_text(s, drop, tail, sizeof tail);
        if (nl + strlen(tail) <= w)
            break;
    }
    if (drop > 2)
        drop = 2;
    size_t tl = strlen(tail);
    char shown[512];
    size_t avail = w > tl ? w - tl : 0;
    if (avail < 8)
        avail = 8;                       /* a name that short says nothing */
    if (nl <= avail || nl >= sizeof shown) {
        snprintf(shown, sizeof shown, "%.*s", (int)(nl <= avail ? nl : avail), name);
    } else {                             /* "head...tail" */
        size_t keep = avail - 3, head = (keep + 1) / 2;
        snprintf(shown, sizeof shown, "%.*s...%s", (int)head, name, name + nl - (keep - head));
    }
    int k = snprintf(buf, n, "%s%s", shown, tail);
    size_t len = k < 0 ? 0 : (size_t)k;
    if (len >= n)
        len = n ? n - 1 : 0;
    if (len > w) {                       /* still too wide: cut */
        len = w;
        buf[len] = '\0';
    }
    return len;
}

void dl_progress_init(struct dl_progress *p, int fd, int want)
{
    p->fd = fd;
    p->enabled = want && isatty(fd);
    p->lines = 0;
}

static int term_width(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= MIN_WIDTH)
        return ws.ws_col - 1;   /* never the last column: no auto-wrap */
    return 79;
}

void dl_progress_draw(struct dl_progress *p, const struct dl_stats *v, size_t n)
{
    if (!p->enabled)
        return;
    int width = term_width(p->fd);
    size_t cap = 64 + n * ((size_t)width + 16), len = 0;
    char out[8192];
    if (cap > sizeof out)
        n = (sizeof out - 64) / ((size_t)width + 16);
    len += (size_t)snprintf(out + len, sizeof out - len, "\r");
    if (p->lines > 0)
        len += (size_t)snprintf(out + len, sizeof out - len, "\033[%dA", p->lines);
    for (size_t i = 0; i < n; i++) {
        len += dl_progress_format(&v[i], width, out + len, sizeof out - len);
        len += (size_t)snprintf(out + len, sizeof out - len, "\033[K\n");
    }
    len += (size_t)snprintf(out + len, sizeof out - len, "\033[J");
    (void)write_all(p->fd, out, len);
    p->lines = (int)n;
}

void dl_progress_clear(struct dl_progress *p)
{
    if (!p->enabled || p->lines == 0)
        return;
    char out[32];
    int k = snprintf(out, sizeof out, "\r\033[%dA\033[J", p->lines);
    (void)write_all(p->fd, out, (size_t)k);
    p->lines = 0;
}
