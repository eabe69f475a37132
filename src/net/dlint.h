/* dlint.h — the downloader's internals, shared by its three parts (nothing
 * outside src/net/download*.c and dl*.c includes this):
 *
 *   download.c  the run (loop, multi, timers, signals, progress), each file's
 *               life (part file, resume state, allocation, settling) and the
 *               scheduler (pieces, mirror choice, work stealing);
 *   dlconn.c    one transfer: the easy handle, its header and write
 *               callbacks, buffered pwrite, what its end means for the range,
 *               the mirror and the file;
 *   dljobs.c    work on libuv's thread pool: saving the state (fdatasync,
 *               then the atomic write), hashing the complete prefix, the
 *               final verification and the rename or deletion.
 *
 * Everything here runs on the loop thread, except the bodies of the jobs in
 * dljobs.c, which touch only what their job struct hands them (and the
 * file's hash context, which only one job at a time uses).
 *
 * Invariant of a file in transfer: its done ranges, its todo ranges and the
 * [pos, end) of each busy connection are disjoint; together they are
 * [0, size) (in MODE_RANGES). */
#ifndef TORCHSHIM_DLINT_H
#define TORCHSHIM_DLINT_H

#include <curl/curl.h>
#include <signal.h>
#include <stdint.h>
#include <uv.h>

#include "curluv.h"
#include "download.h"
#include "httpeasy.h"
#include "partfile.h"
#include "progress.h"
#include "rangeset.h"
#include "verify.h"

#define DL_TICK_MS          100
#define DL_PROGRESS_DELAY   300     /* ms before the first progress line */
#define DL_PROGRESS_EVERY   250
#define DL_PIECES_PER_CONN  4
#define DL_STEAL_MIN_SECS   1.5
#define DL_STEAL_MIN_AGE_MS 1000
#define DL_STEAL_KEEP_MIN   ((int64_t)64 << 10)  /* a victim left with less stops at once */
#define DL_HASH_MIN         ((int64_t)4 << 20)   /* hash the done prefix in steps this big */
#define DL_SAVE_PERMILLE    5                    /* save after 0.5% more is done ... */
#define DL_SAVE_MIN_BYTES   ((int64_t)1 << 20)   /* ... but not more often than each MiB */
#define DL_BACKOFF_MS       250
#define DL_BACKOFF_MAX_MS   4000
#define DL_RATE_SAMPLES     20                   /* x DL_TICK_MS: the rate's window */
#define DL_RATE_MIN_BYTES   ((int64_t)64 << 10)  /* a request this big tells a mirror's rate */

enum dl_mode { MODE_PROBE, MODE_RANGES, MODE_SINGLE };
enum size_src { SIZE_NONE, SIZE_EXPECTED, SIZE_STATE, SIZE_MIRROR };
enum conn_stop { STOP_NONE, STOP_CUT, STOP_BAD, STOP_NORANGE, STOP_GONE, STOP_IOERR };

struct run;
struct dfile;

struct mirror {
    const char *url;
    char *eff_url;             /* where redirects led last time (NULL: url) */
    int dropped;
    int norange;               /* answered a ranged request with 200 */
    int fails;                 /* consecutive failure events */
    long long retry_at;        /* now_ms() before which it rests */
    int active;                /* busy transfers of this file */
    double rate;               /* bytes/s one transfer gets from it, 0: not known */
    char *why;                 /* its last failure */
};

struct conn {
    struct dfile *f;
    CURL *easy;
    int busy;                  /* in the multi */
    size_t mirror;
    int probe;                 /* the request that learns size and range support */
    int64_t start, pos, end;   /* asked from start; next byte pos; stop at end (-1: EOF) */
    int64_t req_end;           /* one past the last byte asked (-1: open) */
    /* the response */
    long status;
    int body_seen;
    int have_cr;
    int64_t cr_start, cr_total;   /* Content-Range; cr_total -1 for "*" */
    char *etag, *last_modified;
    int stop;                  /* enum conn_stop: why the write callback said no */
    char *why;
    /* bytes not yet written */
    char *buf;
    size_t blen;
    /* speed */
    long long t_start;         /* now_ms() at the request */
    int64_t rx, rx_mark;
    double rate;
    char errbuf[CURL_ERROR_SIZE];
};

struct dfile {
    struct run *run;
    struct dl_file *job;
    const char *name;
    int phase;                 /* enum dl_phase */
    int mode;                  /* enum dl_mode */
    char *part, *statepath;
    int fd;
    int64_t size;              /* -1 unknown */
    int size_src;
    int64_t expect_size;       /* -1 unknown */
    char sha256[65], md5[33];  /* expected, "" unknown */
    struct part_state st;      /* st.done: what is on disk */
    struct rangeset todo;
    struct mirror *m;
    size_t nm;
    struct conn *c;
    size_t nc;
    int nactive;
    int answered;              /* a mirror answered in this call */
    /* thread-pool work */
    int saving, hashing, verifying;
    int64_t saved_done;        /* done total at the last save */
    long long last_save;
    struct dl_hash hash;
    int hash_ok;
    int64_t hashed;            /* bytes [0, hashed) fed to the hash */
    unsigned hash_gen;         /* bumped when the content starts over */
    char *fail_msg;            /* a fatal error waiting for jobs to end */
    /* numbers */
    long long t0;
    int64_t samples[DL_RATE_SAMPLES];
    int nsamples;
    double rate;
};

struct run {
    uv_loop_t loop;
    struct curluv cu;
    CURLM *multi;
    uv_timer_t tick;
    uv_signal_t sig[2];
    struct sigaction oldsa[2];
    int sigs;
    struct http_settings http;
    struct dfile *f;
    size_t nf;
    int conns, max_total, max_fail;
    int64_t min_piece, max_piece;
    long state_ms;
    int active;                /* busy transfers, all files */
    size_t left;               /* files not settled */
    int jobs;                  /* thread-pool requests in flight */
    int interrupted;           /* the signal */
    int need_sched;
    struct dl_progress prog;
    long long t0, prog_last;
};

/* download.c */
void file_reset_content(struct dfile *f, const char *why);
int file_learn_size(struct dfile *f, int64_t size, int src, char **why);
void file_fail(struct dfile *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void file_advance(struct dfile *f);
void file_settle(struct dfile *f, int ok, const char *error);   /* final: frees the transfers, closes */
int64_t piece_size(const struct dfile *f);

/* dlconn.c */
void conn_start(struct conn *c, size_t mirror, int64_t a, int64_t end, int probe);
void conn_done(struct conn *c, CURLcode res);
void conn_stop(struct conn *c);              /* take it out now; its bytes so far count */
void conn_flush(struct conn *c);
void conn_release(struct conn *c);           /* free the handle and buffer */
void mirror_fail(struct dfile *f, struct mirror *m, const char *why, int fatal);
void mirror_rate_sample(struct mirror *m, double rate);

/* dljobs.c */
void job_save(struct dfile *f);              /* async; no-op when one is in flight */
int save_now(struct dfile *f, char **err);   /* sync, at the end */
void job_hash(struct dfile *f);              /* async: the complete prefix */
void job_verify(struct dfile *f);            /* async: verify, then rename or delete */

#endif
