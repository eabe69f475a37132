/* hostprobe.h — looking at the machine without a shell: a program on PATH,
 * a program run with a deadline for what it prints, a directory's entries.
 * The ground detect.c (GPU, driver, ROCm) and pyinfo.c (Python
 * environments) stand on; `doctor` uses host_which too.
 *
 * Nothing here prints; allocation failure is fatal (msg.h). */
#ifndef TORCHSHIM_HOSTPROBE_H
#define TORCHSHIM_HOSTPROBE_H

#include <stddef.h>

#include "strv.h"

/* What host_run keeps of a program's output; more is read and dropped. */
#define HOST_RUN_MAX (1024 * 1024)

/* NAME's absolute path: NAME itself if it has a '/', else the first
 * executable regular file in PATH (empty and relative entries skipped).
 * malloc'd, or NULL. */
char *host_which(const char *name);

/* Run the program at PATH with ARGV (argv[0] is its name) without a shell:
 * stdin and stderr on /dev/null, stdout captured (HOST_RUN_MAX at most),
 * in its own process group, inheriting no descriptor above stderr.
 * Returns 0 when it exited within TIMEOUT_MS, with its exit status (128 +
 * the signal when one killed it) in *status. Returns -1 with *err (may be
 * NULL) when it could not be run ("cannot run PATH: ...") or took longer:
 * then its whole group is killed and *err says "PATH did not answer within
 * N ms, killed". *out (malloc'd, NUL-terminated) holds what it printed, in
 * every case; a background grandchild that keeps stdout open does not
 * make us wait once the program itself has exited. */
int host_run(const char *path, char *const argv[], int timeout_ms, char **out, int *status,
             char **err);

/* The names in directory DIR, sorted (strcmp), those starting with '.'
 * left out, into NAMES (cleared first). 0, or -1 when DIR cannot be
 * opened (NAMES then empty). */
int host_list_dir(const char *dir, struct strv *names);

int host_is_dir(const char *path);    /* a directory (following links)? */
int host_is_file(const char *path);   /* a regular file (following links)? */

#endif
