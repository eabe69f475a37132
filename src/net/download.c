/* download.c — see download.h; the internals are described in dlint.h.
 * Here: the run (loop, multi, tick, signals, progress), each file's life
 * and the scheduler. */
#include "download.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "curllib.h"
#include "dlint.h"
#include "fileio.h"
#include "msg.h"

/* ------------------------------------------------------------------ */
/* a file's life                                                        */

int64_t piece_size(const struct dfile *f)
{
    const struct run *run = f->run;
    int64_t p = f->size > 0 ? f->size / ((int64_t)run->conns * DL_PIECES_PER_CONN) : 0;
    if (p < run->min_piece)
        p = run->min_piece;
    if (p > run->max_piece)
        p = run->max_piece;
    return p;
}

static void hash_restart(struct dfile *f)
{
    f->hashed = 0;
    if (f->hashing) {                  /* the job in flight starts over when it is back */
        f->hash_gen++;
        return;
    }
    if (f->hash_ok)
        dl_hash_free(&f->hash);
    f->hash_ok = dl_hash_init(&f->hash, f->md5[0] != '\0', NULL) == 0;
}

void file_reset_content(struct dfile *f, const char *why)
{
    verbosef("%s: starting over: %s", f->name, why);
    rangeset_clear(&f->st.done);
    rangeset_clear(&f->todo);
    for (size_t i = 0; i < f->st.nval; i++) {
        free(f->st.val[i].etag);
        free(f->st.val[i].last_modified);
        f->st.val[i].etag = f->st.val[i].last_modified = NULL;
    }
    f->job->reused = 0;
    f->saved_done = 0;
    hash_restart(f);
}

/* ftruncate to the size, then reserve the blocks. 0 or -1 with *why. */
static int allocate(struct dfile *f, char **why)
{
    if (ftruncate(f->fd, (off_t)f->size) < 0) {
        *why = xasprintf("cannot size %s: %s", f->part, strerror(errno));
        return -1;
    }
    if (f->size > 0 && fallocate(f->fd, 0, 0, (off_t)f->size) < 0 && errno != EOPNOTSUPP &&
        errno != ENOSYS) {
        *why = errno == ENOSPC
                   ? xasprintf("not enough space for %s (%" PRId64 " bytes)", f->part, f->size)
                   : xasprintf("cannot allocate %s: %s", f->part, strerror(errno));
        return -1;
    }
    return 0;
}

/* The file's size is SIZE (from SRC): 0; -1 when it contradicts the expected
 * size (*why: the mirror is wrong); -2 when the part file cannot hold it
 * (*why: fatal). Another size than a remembered one starts over. */
int file_learn_size(struct dfile *f, int64_t size, int src, char **why)
{
    if (f->expect_size >= 0 && size != f->expect_size) {
        *why = xasprintf("serves %" PRId64 " bytes, expected %" PRId64, size, f->expect_size);
        return -1;
    }
    if (f->size >= 0 && f->size != size && rangeset_total(&f->st.done) > 0)
        file_reset_content(f, "another size");
    f->size = size;
    f->st.size = size;
    f->size_src = src;
    f->job->bytes = size;
    return allocate(f, why) < 0 ? -2 : 0;
}

void file_settle(struct dfile *f, int ok, const char *error)
{
    struct run *run = f->run;
    for (size_t i = 0; i < f->nc; i++)
        conn_release(&f->c[i]);
    if (f->fd >= 0)
        close(f->fd);                  /* also drops the lock */
    f->fd = -1;
    if (f->hash_ok)
        dl_hash_free(&f->hash);
    f->hash_ok = 0;
    f->phase = ok ? DL_PHASE_DONE : DL_PHASE_FAILED;
    f->job->ok = ok;
    if (!ok && !f->job->error)
        f->job->error = xstrdup(error ? error : "failed");
    f->job->seconds = (double)(now_ms() - f->t0) / 1000.0;
    if (f->job->bytes < 0 && f->size >= 0)
        f->job->bytes = f->size;
    run->left--;
    run->need_sched = 1;
}

/* Leave an unfinished file resumable (or remove what is worth nothing). */
static void park(struct dfile *f)
{
    for (size_t i = 0; i < f->nc; i++)
        conn_stop(&f->c[i]);
    if (f->fd < 0)
        return;
    char *err = NULL;
    if (f->size >= 0 && rangeset_total(&f->st.done) > 0) {
        if (save_now(f, &err) < 0) {
            verbosef("%s: %s", f->name, err);
            free(err);
        }
    } else {
        unlink(f->part);
        unlink(f->statepath);
    }
}

void file_fail(struct dfile *f, const char *fmt, ...)
{
    if (f->phase == DL_PHASE_DONE || f->phase == DL_PHASE_FAILED)
        return;
    if (!f->fail_msg) {
        va_list ap;
        va_start(ap, fmt);
        f->fail_msg = xvasprintf(fmt, ap);
        va_end(ap);
    }
    for (size_t i = 0; i < f->nc; i++)
        conn_stop(&f->c[i]);
    file_advance(f);
}

static int usable_mirrors(const struct dfile *f, int ranges)
{
    int n = 0;
    for (size_t i = 0; i < f->nm; i++)
        n += !f->m[i].dropped && !(ranges && f->m[i].norange);
    return n;
}

static char *mirror_errors(const struct dfile *f)
{
    char *s = xstrdup("");
    for (size_t i = 0; i < f->nm; i++) {
        const struct mirror *m = &f->m[i];
        char *t = xasprintf("%s%s%s: %s", s, *s ? "; " : "", m->url,
                            m->why ? m->why : m->norange ? "ignores Range" : "not tried");
        free(s);
        s = t;
    }
    return s;
}

/* Moves a file on after any event: complete -> verify; no mirror -> fail. */
void file_advance(struct dfile *f)
{
    int busy = f->saving || f->hashing || f->verifying;
    if (f->phase == DL_PHASE_DONE || f->phase == DL_PHASE_FAILED)
        return;
    if (f->fail_msg) {
        if (!busy) {
            park(f);
            file_settle(f, 0, f->fail_msg);
        }
        return;
    }
    if (f->phase == DL_PHASE_WAIT)
        return;
    if (f->phase == DL_PHASE_CONNECT || f->phase == DL_PHASE_TRANSFER) {
        if (f->size >= 0 && f->nactive == 0 && rangeset_covers(&f->st.done, 0, f->size)) {
            f->phase = DL_PHASE_VERIFY;
            verbosef("%s: all %" PRId64 " bytes in (%" PRId64 " hashed already), verifying",
                     f->name, f->size, f->hashed);
        } else if (f->nactive == 0 && usable_mirrors(f, 0) == 0) {
            char *why = mirror_errors(f);
            file_fail(f, "every mirror failed: %s", why);
            free(why);
            return;
        } else if (f->mode == MODE_RANGES && usable_mirrors(f, 1) == 0) {
            f->mode = MODE_PROBE;      /* only mirrors that ignore ranges are left */
            rangeset_clear(&f->todo);
        }
    }
    if (f->phase == DL_PHASE_VERIFY && !busy)
        job_verify(f);
    f->run->need_sched = 1;
}

/* Remove "<state>.tmp.*" left by a process killed while saving (we hold the
 * lock: no other process is writing them). */
static void sweep_tmp(const char *statepath)
{
    char *dir = xstrdup(statepath), *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : statepath;
    if (slash)
        *slash = '\0';
    char *prefix = xasprintf("%s" FILEIO_TMP_INFIX, base);
    DIR *d = opendir(slash ? (*dir ? dir : "/") : ".");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, prefix, strlen(prefix))) {
            char *p = slash ? xasprintf("%s/%s", dir, e->d_name) : xstrdup(e->d_name);
            unlink(p);
            free(p);
        }
    if (d)
        closedir(d);
    free(prefix);
    free(dir);
}

/* Take over what an earlier call left, when it is for this very file. */
static void resume_state(struct dfile *f)
{
    char *err = NULL;
    struct stat sb;
    int r = part_state_load(f->statepath, &f->st, &err);
    const char *bad = NULL;
    if (r < 0)
        bad = err;
    else if (r == 1)
        bad = "";
    else if (f->expect_size >= 0 && f->st.size != f->expect_size)
        bad = "another expected size";
    else if (f->sha256[0] && f->st.sha256[0] && strcmp(f->sha256, f->st.sha256))
        bad = "another expected SHA-256";
    else if (f->md5[0] && f->st.md5[0] && strcmp(f->md5, f->st.md5))
        bad = "another expected MD5";
    else if (fstat(f->fd, &sb) < 0 || sb.st_size != f->st.size)
        bad = "the part file has another size";
    if (bad) {
        if (*bad)
            verbosef("%s: not resuming: %s", f->name, bad);
        part_state_clear(&f->st);
        if (ftruncate(f->fd, 0) < 0)
            verbosef("%s: cannot empty %s: %s", f->name, f->part, strerror(errno));
    } else {
        f->size = f->st.size;
        f->size_src = SIZE_STATE;
        f->job->reused = rangeset_total(&f->st.done);
        f->saved_done = f->job->reused;
        verbosef("%s: resuming, %" PRId64 " of %" PRId64 " bytes present", f->name,
                 f->job->reused, f->size);
    }
    free(err);
    memcpy(f->st.sha256, f->sha256, sizeof f->sha256);
    memcpy(f->st.md5, f->md5, sizeof f->md5);
}

/* Open (and lock) the part file, resume or start; 0 or -1 (file failed). */
static int file_open(struct dfile *f)
{
    char *err = NULL;
    f->t0 = now_ms();
    f->phase = DL_PHASE_CONNECT;
    char *dir = xstrdup(f->job->dest), *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir_p(dir, 0755, &err) < 0) {
            free(dir);
            file_fail(f, "%s", err);
            free(err);
            return -1;
        }
    }
    free(dir);
    f->fd = open(f->part, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (f->fd < 0) {
        file_fail(f, "cannot open %s: %s", f->part, strerror(errno));
        return -1;
    }
    if (flock(f->fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(f->fd);
        f->fd = -1;
        file_fail(f, e == EWOULDBLOCK ? "another process is downloading %s" : "cannot lock %s",
                  f->part);
        return -1;
    }
    sweep_tmp(f->statepath);
    resume_state(f);
    f->hash_ok = dl_hash_init(&f->hash, f->md5[0] != '\0', NULL) == 0;
    if (f->size < 0 && f->expect_size >= 0) {
        if (file_learn_size(f, f->expect_size, SIZE_EXPECTED, &err) < 0) {
            file_fail(f, "%s", err);
            free(err);
            return -1;
        }
        f->st.size = f->size;
    } else if (f->expect_size >= 0) {
        f->size_src = SIZE_EXPECTED;
    }
    f->job->bytes = f->size;
    f->mode = MODE_PROBE;
    file_advance(f);                   /* complete already: straight to verify */
    return 0;
}

/* ------------------------------------------------------------------ */
/* the scheduler                                                        */

/* What one more transfer from M would bring: its measured per-transfer
 * rate, or (not measured yet) the best any mirror has shown. */
static double mirror_speed(const struct dfile *f, const struct mirror *m)
{
    if (m->rate > 0)
        return m->rate;
    double best = 0;
    for (size_t i = 0; i < f->nm; i++)
        if (f->m[i].rate > best)
            best = f->m[i].rate;
    return best > 0 ? best : 1.0;
}

/* The mirror for the next transfer: -1 when none may be asked now. A probe
 * takes the first mirror in order (ones known to ignore ranges last); a
 * piece the mirror where one more transfer gets the most: speed / (active
 * + 1), so equal mirrors alternate and a slow one gets few transfers. */
static int pick_mirror(const struct dfile *f, int probe)
{
    long long now = now_ms();
    int best = -1, fallback = -1;
    double best_score = 0;
    for (size_t i = 0; i < f->nm; i++) {
        const struct mirror *m = &f->m[i];
        if (m->dropped || m->retry_at > now)
            continue;
        if (m->norange) {
            if (probe && fallback < 0)
                fallback = (int)i;
            continue;
        }
        if (probe)
            return (int)i;
        double score = mirror_speed(f, m) / (m->active + 1);
        if (best < 0 || score > best_score * 1.05) {   /* near-ties: the earlier */
            best = (int)i;
            best_score = score;
        }
    }
    return probe ? fallback : best;
}

static struct conn *idle_conn(struct dfile *f)
{
    for (size_t i = 0; i < f->nc; i++)
        if (!f->c[i].busy)
            return &f->c[i];
    return NULL;
}

/* The next piece from the todo ranges, lowest first. Towards the end the
 * pieces shrink (to what is left over the connections), so that the
 * transfers end together without splitting; a remainder smaller than
 * min_piece goes with the piece before it. */
static int take_piece(struct dfile *f, int64_t *a, int64_t *b)
{
    if (!f->todo.n)
        return -1;
    int64_t want = piece_size(f), len = f->todo.v[0].b - f->todo.v[0].a;
    int64_t share = rangeset_total(&f->todo) / f->run->conns;
    if (share < want)
        want = share > f->run->min_piece ? share : f->run->min_piece;
    if (len - want < f->run->min_piece)
        want = len;
    return rangeset_take_first(&f->todo, want, a, b);
}

/* The mean rate of the file's busy transfers that have one; 0 if none. */
static double mean_rate(const struct dfile *f)
{
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < f->nc; i++)
        if (f->c[i].busy && f->c[i].rate > 0) {
            sum += f->c[i].rate;
            n++;
        }
    return n ? sum / n : 0;
}

/* Split the transfer that will take longest (by its rate, or the mean rate
 * while it has none yet), when that is over DL_STEAL_MIN_SECS away; only
 * transfers running for DL_STEAL_MIN_AGE_MS are judged (a new one has no
 * rate worth the name, and a thief is never robbed at once). The
 * thief (expected to run at RT) gets the tail, in proportion to the rates so
 * that both end together, and at least min_piece of it; a victim left with
 * almost nothing is stopped now. Splitting costs the victim its connection
 * (and what the server had sent past the cut): only slow ends are split. */
static int steal(struct dfile *f, double rt, int64_t *a, int64_t *b)
{
    const struct run *run = f->run;
    struct conn *victim = NULL;
    double worst = 0, mean = mean_rate(f);
    long long now = now_ms();
    if (mean <= 0)
        return -1;                     /* no rates yet: wait a tick */
    for (size_t i = 0; i < f->nc; i++) {
        struct conn *c = &f->c[i];
        if (!c->busy || c->stop != STOP_NONE || c->end < 0 ||
            now - c->t_start < DL_STEAL_MIN_AGE_MS)   /* not judged before it ran a bit */
            continue;
        double eta = (double)(c->end - c->pos) / (c->rate > 0 ? c->rate : mean);
        if (eta >= DL_STEAL_MIN_SECS && eta > worst) {
            worst = eta;
            victim = c;
        }
    }
    if (!victim)
        return -1;
    int64_t rem = victim->end - victim->pos;
    double rv = victim->rate > 0 ? victim->rate : mean;
    if (rt < rv && rt < mean)
        rt = mean;                     /* no worse than the average, to decide */
    int64_t part = (int64_t)((double)rem * (rt / (rv + rt)));
    if (part < run->min_piece)
        return -1;
    int64_t cut = victim->end - part;
    if (cut - victim->pos < DL_STEAL_KEEP_MIN)
        cut = victim->pos;
    *a = cut;
    *b = victim->end;
    verbosef("%s: splitting %" PRId64 "-%" PRId64 " at %" PRId64 " (%.0f vs %.0f B/s)", f->name,
             victim->pos, *b - 1, cut, rv, rt);
    victim->end = cut;
    if (cut == victim->pos)
        conn_stop(victim);             /* nothing left for it */
    return 0;
}

static void file_fill(struct dfile *f)
{
    struct run *run = f->run;
    if (f->fail_msg || f->mode == MODE_SINGLE)
        return;
    if (f->mode == MODE_PROBE) {
        int mi = f->nactive == 0 ? pick_mirror(f, 1) : -1;
        if (mi >= 0) {
            int64_t a = rangeset_first_gap(&f->st.done), end;
            if (f->size >= 0) {
                int64_t gap_end = f->size;
                for (size_t i = 0; i < f->st.done.n; i++)
                    if (f->st.done.v[i].a > a) {
                        gap_end = f->st.done.v[i].a;
                        break;
                    }
                end = a + piece_size(f) < gap_end ? a + piece_size(f) : gap_end;
            } else {
                end = a + run->min_piece;      /* small: the size is not known yet */
            }
            conn_start(&f->c[0], (size_t)mi, a, end, 1);
        }
        return;
    }
    while (!f->fail_msg && f->nactive < run->conns && run->active < run->max_total) {
        struct conn *c = idle_conn(f);
        int mi = pick_mirror(f, 0);
        int64_t a, b;
        if (!c || mi < 0 || (take_piece(f, &a, &b) < 0 &&
                             steal(f, mirror_speed(f, &f->m[mi]), &a, &b) < 0))
            break;
        conn_start(c, (size_t)mi, a, b, 0);
    }
}

static void schedule(struct run *run)
{
    run->need_sched = 0;
    if (run->interrupted)
        return;
    for (size_t i = 0; i < run->nf && run->active < run->max_total; i++) {
        struct dfile *f = &run->f[i];
        if (f->phase == DL_PHASE_WAIT && file_open(f) < 0)
            continue;
        if (f->phase == DL_PHASE_CONNECT || f->phase == DL_PHASE_TRANSFER)
            file_fill(f);
    }
}

/* ------------------------------------------------------------------ */
/* the tick: rates, saves, hashing, scheduling, progress                */

static void sample_rates(struct dfile *f)
{
    double dt = DL_TICK_MS / 1000.0;
    for (size_t i = 0; i < f->nc; i++) {
        struct conn *c = &f->c[i];
        if (!c->busy)
            continue;
        double inst = (double)(c->rx - c->rx_mark) / dt;
        c->rate = c->rate > 0 ? 0.7 * c->rate + 0.3 * inst : inst;
        c->rx_mark = c->rx;
    }
    if (f->nsamples == DL_RATE_SAMPLES) {
        memmove(f->samples, f->samples + 1, (DL_RATE_SAMPLES - 1) * sizeof f->samples[0]);
        f->nsamples--;
    }
    for (size_t k = 0; k < f->nm; k++) {          /* each mirror: its transfers' mean */
        double sum = 0;
        int n = 0;
        for (size_t i = 0; i < f->nc; i++)
            if (f->c[i].busy && f->c[i].mirror == k && f->c[i].rate > 0) {
                sum += f->c[i].rate;
                n++;
            }
        if (n)
            mirror_rate_sample(&f->m[k], sum / n);
    }
    f->samples[f->nsamples++] = f->job->fetched;
    if (f->nsamples > 1)
        f->rate = (double)(f->samples[f->nsamples - 1] - f->samples[0]) /
                  ((f->nsamples - 1) * dt);
}

static void draw_progress(struct run *run)
{
    struct dl_stats *v = xcalloc(run->nf ? run->nf : 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < run->nf; i++) {
        struct dfile *f = &run->f[i];
        if (f->phase < DL_PHASE_CONNECT || f->phase > DL_PHASE_VERIFY)
            continue;
        int64_t buffered = 0;
        for (size_t k = 0; k < f->nc; k++)
            buffered += (int64_t)f->c[k].blen;
        v[n++] = (struct dl_stats){ .name = f->name, .done = rangeset_total(&f->st.done) + buffered,
                                    .total = f->size, .rate = f->rate, .conns = f->nactive,
                                    .phase = f->phase };
    }
    dl_progress_draw(&run->prog, v, n);
    free(v);
}

static void on_tick(uv_timer_t *t)
{
    struct run *run = t->data;
    long long now = now_ms();
    for (size_t i = 0; i < run->nf; i++) {
        struct dfile *f = &run->f[i];
        if (f->phase != DL_PHASE_CONNECT && f->phase != DL_PHASE_TRANSFER)
            continue;
        sample_rates(f);
        if (now - f->last_save >= run->state_ms && !f->saving && f->size >= 0) {
            for (size_t k = 0; k < f->nc; k++)
                conn_flush(&f->c[k]);
            if (!f->fail_msg && rangeset_total(&f->st.done) != f->saved_done)
                job_save(f);
        }
        if (!f->fail_msg)
            job_hash(f);
    }
    schedule(run);
    if (run->prog.enabled && now - run->t0 >= DL_PROGRESS_DELAY &&
        now - run->prog_last >= DL_PROGRESS_EVERY) {
        run->prog_last = now;
        draw_progress(run);
    }
}

static void on_after(struct curluv *cu)
{
    struct run *run = cu->data;
    if (run->need_sched)
        schedule(run);
}

static void on_done(struct curluv *cu, CURL *easy, CURLcode res)
{
    (void)cu;
    struct conn *c = NULL;
    curlapi()->easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
    if (c && c->busy)
        conn_done(c, res);
}

/* SIGINT/SIGTERM: stop every transfer; the main loop saves the states. */
static void on_signal(uv_signal_t *h, int signum)
{
    struct run *run = h->data;
    if (run->interrupted)
        return;
    run->interrupted = signum;
    verbosef("download: interrupted by signal %d", signum);
    for (size_t i = 0; i < run->nf; i++)
        for (size_t k = 0; k < run->f[i].nc; k++)
            conn_stop(&run->f[i].c[k]);
    uv_timer_stop(&run->tick);
}

/* ------------------------------------------------------------------ */
/* the run                                                              */

static void signals_start(struct run *run)
{
    static const int sigs[2] = { SIGINT, SIGTERM };
    for (int i = 0; i < 2; i++) {
        sigaction(sigs[i], NULL, &run->oldsa[i]);
        uv_signal_init(&run->loop, &run->sig[i]);
        run->sig[i].data = run;
        uv_signal_start(&run->sig[i], on_signal, sigs[i]);
    }
    run->sigs = 1;
}

static void signals_restore(struct run *run)
{
    static const int sigs[2] = { SIGINT, SIGTERM };
    if (!run->sigs)
        return;
    for (int i = 0; i < 2; i++)
        sigaction(sigs[i], &run->oldsa[i], NULL);
    run->sigs = 0;
}

static int net_start(struct run *run, int catch_signals)
{
    char *err = NULL;
    if (curluv_open(&run->cu, &run->loop, on_done, on_after, run, &err)) {
        verbosef("download: %s", err);
        free(err);
        return -1;
    }
    run->multi = curluv_multi(&run->cu, &err);
    if (!run->multi) {
        verbosef("download: %s", err);
        free(err);
        curluv_close(&run->cu, "download");
        return -1;
    }
    curlapi()->multi_setopt(run->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
    curlapi()->multi_setopt(run->multi, CURLMOPT_MAXCONNECTS, (long)run->max_total + 4);
    uv_timer_init(&run->loop, &run->tick);
    run->tick.data = run;
    uv_timer_start(&run->tick, on_tick, DL_TICK_MS, DL_TICK_MS);
    if (catch_signals)
        signals_start(run);
    return 0;
}

static void net_stop(struct run *run)
{
    for (size_t i = 0; i < run->nf; i++)
        for (size_t k = 0; k < run->f[i].nc; k++)
            conn_release(&run->f[i].c[k]);
    curluv_close(&run->cu, "download");
    run->multi = NULL;
    signals_restore(run);
    dl_progress_clear(&run->prog);
}

static void loop_until_settled(struct run *run)
{
    schedule(run);
    while ((run->left > 0 && !run->interrupted) || run->jobs > 0) {
        if (run->need_sched)
            schedule(run);
        if (uv_run(&run->loop, UV_RUN_ONCE) == 0 && run->jobs == 0 && !run->interrupted) {
            for (size_t i = 0; i < run->nf; i++)   /* nothing can move: never hang */
                file_fail(&run->f[i], "transfer lost");
            break;
        }
    }
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Check the inputs and set the file up; -1 (settled as failed) if bad. */
static int file_init(struct run *run, struct dfile *f, struct dl_file *job)
{
    f->run = run;
    f->job = job;
    f->fd = -1;
    f->t0 = now_ms();
    f->size = f->expect_size = -1;
    job->bytes = -1;
    part_state_init(&f->st);
    f->name = job->name ? job->name : job->dest ? base_name(job->dest) : "?";
    run->left++;
    const char *bad = NULL;
    if (!job->dest || !*job->dest || !*base_name(job->dest))
        bad = "no destination file name";
    else if (!job->nurls || !job->urls)
        bad = "no URL to download from";
    else if (hex_digest_norm(job->sha256, SHA256_HEX_LEN, f->sha256) < 0)
        bad = "the expected SHA-256 is not 64 hex digits";
    else if (hex_digest_norm(job->md5, MD5_HEX_LEN, f->md5) < 0)
        bad = "the expected MD5 is not 32 hex digits";
    if (bad) {
        file_settle(f, 0, bad);
        return -1;
    }
    f->expect_size = job->size > 0 ? job->size : -1;
    f->part = xasprintf("%s" PART_SUFFIX, job->dest);
    f->statepath = xasprintf("%s" STATE_SUFFIX, job->dest);
    f->nm = job->nurls;
    f->m = xcalloc(f->nm, sizeof *f->m);
    for (size_t i = 0; i < f->nm; i++)
        f->m[i].url = job->urls[i];
    f->nc = (size_t)run->conns;
    f->c = xcalloc(f->nc, sizeof *f->c);
    for (size_t i = 0; i < f->nc; i++)
        f->c[i].f = f;
    return 0;
}

static void file_free(struct dfile *f)
{
    for (size_t i = 0; i < f->nm; i++) {
        free(f->m[i].eff_url);
        free(f->m[i].why);
    }
    free(f->m);
    free(f->c);
    free(f->part);
    free(f->statepath);
    free(f->fail_msg);
    part_state_clear(&f->st);
    rangeset_free(&f->todo);
}

static void run_options(struct run *run, const struct dl_opts *o)
{
    static const struct dl_opts none = { 0 };
    if (!o)
        o = &none;
    run->conns = o->connections > 0 ? o->connections : DL_DEFAULT_CONNECTIONS;
    run->max_total = o->max_connections > 0 ? o->max_connections : 2 * run->conns;
    if (run->max_total < run->conns)
        run->max_total = run->conns;
    run->min_piece = o->min_piece > 0 ? o->min_piece : DL_DEFAULT_MIN_PIECE;
    run->max_piece = o->max_piece > 0 ? o->max_piece : DL_DEFAULT_MAX_PIECE;
    if (run->max_piece < run->min_piece)
        run->max_piece = run->min_piece;
    run->max_fail = o->max_failures > 0 ? o->max_failures : DL_DEFAULT_MAX_FAILURES;
    run->state_ms = o->state_interval_ms > 0 ? o->state_interval_ms : DL_DEFAULT_STATE_MS;
    http_settings_init(&run->http, o->fetch);
    if (!o->fetch || o->fetch->total_timeout_ms <= 0)
        run->http.total_ms = 0;        /* no overall limit on a piece */
    dl_progress_init(&run->prog, STDERR_FILENO, o->progress && !o->quiet);
    run->t0 = now_ms();
}

static int summarize(struct run *run, int *signo, char **err)
{
    size_t failed = 0;
    const struct dfile *first = NULL;
    for (size_t i = 0; i < run->nf; i++)
        if (!run->f[i].job->ok && !failed++)
            first = &run->f[i];
    if (run->interrupted) {
        if (signo)
            *signo = run->interrupted;
        seterr(err, "interrupted by signal %d (the download can be resumed)", run->interrupted);
        return DL_INTERRUPTED;
    }
    if (!failed)
        return DL_OK;
    if (run->nf == 1)
        seterr(err, "%s: %s", first->name, first->job->error);
    else
        seterr(err, "%zu of %zu downloads failed; %s: %s", failed, run->nf, first->name,
               first->job->error);
    return DL_FAILED;
}

int download_run(struct dl_file *files, size_t n, const struct dl_opts *o, int *signo,
                 char **err)
{
    struct run *run = xcalloc(1, sizeof *run);
    run_options(run, o);
    run->f = xcalloc(n ? n : 1, sizeof *run->f);
    run->nf = n;
    for (size_t i = 0; i < n; i++) {
        dl_file_clear(&files[i]);
        file_init(run, &run->f[i], &files[i]);
    }
    if (run->left > 0 && o && o->fetch && o->fetch->offline) {
        for (size_t i = 0; i < n; i++)
            if (run->f[i].phase == DL_PHASE_WAIT)
                file_fail(&run->f[i], "offline: not downloading");
    }
    if (run->left > 0) {
        if (net_start(run, !(o && o->no_signals)) < 0) {
            for (size_t i = 0; i < n; i++)
                file_fail(&run->f[i], "cannot start libcurl/libuv");
        } else {
            loop_until_settled(run);
            for (size_t i = 0; i < n; i++)     /* interrupted: keep what we have */
                if (run->f[i].phase != DL_PHASE_DONE && run->f[i].phase != DL_PHASE_FAILED) {
                    park(&run->f[i]);
                    file_settle(&run->f[i], 0, "interrupted");
                }
            net_stop(run);
        }
    }
    int r = summarize(run, signo, err);
    for (size_t i = 0; i < n; i++)
        file_free(&run->f[i]);
    free(run->f);
    http_settings_free(&run->http);
    free(run);
    return r;
}

void dl_file_clear(struct dl_file *f)
{
    free(f->error);
    f->error = NULL;
    f->ok = 0;
    f->sha256_got[0] = '\0';
    f->bytes = -1;
    f->fetched = f->reused = 0;
    f->requests = 0;
    f->mirrors_dropped = 0;
    f->seconds = 0;
}
