/* progress.h — the downloader's progress display: one self-updating line per
 * file on a terminal.
 *
 * dl_progress_format() renders one file's line from a stats struct and
 * nothing else (a pure function: the tests call it directly), e.g.
 *     torch-2.3.1-cp312-linux_x86_64.whl  1.2G/2.4G  50%  160.0M/s  ETA 0:08  8 conn
 *     torch-2.3.1-cp312-linux_x86_64.whl  2.4G  verifying
 * Sizes in binary units (B, K, M, G); the total, percentage and ETA are left
 * out when the size is unknown, the ETA when there is no rate yet. When the
 * line would be wider than WIDTH columns, the connection count goes first,
 * then the ETA, then the name is shortened in the middle ("torch-2...whl").
 *
 * struct dl_progress draws a block of such lines on a terminal: each redraw
 * moves the cursor back to the block's first line and rewrites it; clearing
 * erases the block. It writes only to its fd, only when enabled. */
#ifndef TORCHSHIM_PROGRESS_H
#define TORCHSHIM_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

enum dl_phase {
    DL_PHASE_WAIT = 0,         /* not started */
    DL_PHASE_CONNECT,          /* asking the first mirror */
    DL_PHASE_TRANSFER,
    DL_PHASE_VERIFY,
    DL_PHASE_DONE,
    DL_PHASE_FAILED,
};

struct dl_stats {
    const char *name;          /* shown as is (the file's base name) */
    int64_t done;              /* bytes present (resumed ones included) */
    int64_t total;             /* -1: unknown */
    double rate;               /* bytes per second, 0: not known yet */
    int conns;                 /* transfers running */
    int phase;                 /* enum dl_phase */
};

/* Render S into BUF (N bytes, always NUL-terminated) in at most WIDTH
 * columns (WIDTH < 20 is taken as 20). Returns the length written. */
size_t dl_progress_format(const struct dl_stats *s, int width, char *buf, size_t n);

/* "1.5G", "812.0K", "17B": V bytes in at most 7 characters into BUF (>= 16). */
void dl_human_bytes(int64_t v, char *buf, size_t n);

struct dl_progress {
    int fd;                    /* where to draw (stderr) */
    int enabled;
    int lines;                 /* lines of the block on screen */
};

/* Enabled when WANT and FD is a terminal. */
void dl_progress_init(struct dl_progress *p, int fd, int want);
/* Redraw the block with one line per entry of V (N of them). */
void dl_progress_draw(struct dl_progress *p, const struct dl_stats *v, size_t n);
/* Erase the block. */
void dl_progress_clear(struct dl_progress *p);

#endif
