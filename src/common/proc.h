/* proc.h — run a program as a child and read what it writes, within a
 * deadline (libc only: the front end runs the engine with it).
 *
 *   struct proc p;
 *   proc_init(&p, 1 << 20);
 *   if (proc_start(&p, "/usr/bin/nvidia-smi", argv, PROC_STDIN_NULL | PROC_OUT |
 *                  PROC_ERR_NULL | PROC_GROUP | PROC_CLOSE_FDS, &err) == 0)
 *       status = proc_finish(&p, now_ms() + 2000);   // p.out[PROC_FD_OUT]
 *   proc_free(&p);
 *
 * - The exec is checked: a program that cannot be run is an error of
 *   proc_start (with errno's text), not an exit status.
 * - Streams not captured are inherited (the terminal), or /dev/null with
 *   the *_NULL flags.
 * - An extra pipe (proc_extra_pipe) lets the child answer on a descriptor
 *   of its own, whose number the caller passes in ARGV.
 * - Each captured stream keeps at most MAX bytes (more is read and dropped,
 *   `truncated` says so); it is NUL-terminated.
 * - At the deadline the child (its group with PROC_GROUP) gets SIGKILL.
 * - A grandchild holding a pipe open does not keep proc_finish waiting once
 *   the child has exited and the pipes are drained.
 * Exit statuses are the shell's: the exit code, 128 + the signal number;
 * PROC_TIMEOUT (-1) when the deadline passed. */
#ifndef TORCHSHIM_PROC_H
#define TORCHSHIM_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

enum proc_flags {
    PROC_STDIN_NULL = 1 << 0,   /* stdin from /dev/null */
    PROC_OUT = 1 << 1,          /* capture stdout */
    PROC_ERR = 1 << 2,          /* capture stderr */
    PROC_OUT_NULL = 1 << 3,     /* stdout to /dev/null */
    PROC_ERR_NULL = 1 << 4,     /* stderr to /dev/null */
    PROC_GROUP = 1 << 5,        /* own process group; killed as a group */
    PROC_DIE_WITH_PARENT = 1 << 6,  /* SIGKILL when we exit (Linux) */
    PROC_CLOSE_FDS = 1 << 7,    /* inherit nothing above stderr (but the extra pipe) */
};

enum { PROC_FD_OUT, PROC_FD_ERR, PROC_FD_EXTRA, PROC_NFD };

#define PROC_TIMEOUT (-1)

struct proc {
    pid_t pid;                 /* -1 before start and after reaping */
    int fd[PROC_NFD];          /* read ends; -1 when not captured or at EOF */
    int extra_w;               /* the child's end of the extra pipe, until started */
    struct buf out[PROC_NFD];
    size_t max;
    int truncated;
    int status;                /* once reaped */
    int flags_group;           /* started with PROC_GROUP */
};

void proc_init(struct proc *p, size_t max);
/* Create the extra pipe; returns the descriptor number the child will
 * write to, or -1 with *err. */
int proc_extra_pipe(struct proc *p, char **err);
int proc_start(struct proc *p, const char *path, char *const argv[], unsigned flags,
               char **err);
/* Wait until a captured stream has data or closes, or the deadline (on the
 * now_ms() clock; < 0: none) passes, reading what is there. 1: streams are
 * still open; 0: all closed (or the child exited and they are drained);
 * PROC_TIMEOUT. */
int proc_poll(struct proc *p, long long deadline_ms);
void proc_kill(struct proc *p);
/* Reap the child (blocking); its status. */
int proc_wait(struct proc *p);
/* proc_poll until done, kill at the deadline, reap: the status, or
 * PROC_TIMEOUT. */
int proc_finish(struct proc *p, long long deadline_ms);
/* Close everything; a child still running is killed and reaped. */
void proc_free(struct proc *p);

#endif
