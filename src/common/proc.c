/* proc.c — see proc.h. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "msg.h"

void proc_init(struct proc *p, size_t max)
{
    memset(p, 0, sizeof *p);
    p->pid = -1;
    p->extra_w = -1;
    for (int i = 0; i < PROC_NFD; i++)
        p->fd[i] = -1;
    p->max = max;
}

int proc_extra_pipe(struct proc *p, char **err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return seterr(err, "cannot create a pipe: %s", strerror(errno));
    p->fd[PROC_FD_EXTRA] = fds[0];
    p->extra_w = fds[1];
    return fds[1];
}

/* Mark every descriptor from LOW up close-on-exec. */
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

static void redirect_null(int target, int mode)
{
    int null = open("/dev/null", mode);
    if (null >= 0 && null != target) {
        dup2(null, target);
        close(null);
    }
}

/* Child side: never returns; async-signal-safe calls only. */
static void child_exec(const struct proc *p, const char *path, char *const argv[],
                       unsigned flags, const int out[2], const int errp[2], int exec_err,
                       pid_t parent)
{
    if (flags & PROC_GROUP)
        setpgid(0, 0);
    if ((flags & PROC_DIE_WITH_PARENT) &&
        (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
        _exit(127);
    if (flags & PROC_CLOSE_FDS)
        cloexec_from(STDERR_FILENO + 1);
    if (flags & PROC_STDIN_NULL)
        redirect_null(STDIN_FILENO, O_RDONLY);
    if (flags & PROC_OUT)
        dup2(out[1], STDOUT_FILENO);
    else if (flags & PROC_OUT_NULL)
        redirect_null(STDOUT_FILENO, O_WRONLY);
    if (flags & PROC_ERR)
        dup2(errp[1], STDERR_FILENO);
    else if (flags & PROC_ERR_NULL)
        redirect_null(STDERR_FILENO, O_WRONLY);
    if (p->extra_w >= 0)
        fcntl(p->extra_w, F_SETFD, 0);   /* the one descriptor it must keep */
    execv(path, argv);
    int e = errno;
    ssize_t w = write(exec_err, &e, sizeof e);
    (void)w;
    _exit(127);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The exec error pipe closes on a successful exec; else it carries errno. */
static int exec_result(int fd)
{
    int e = 0;
    ssize_t got;
    do
        got = read(fd, &e, sizeof e);
    while (got < 0 && errno == EINTR);
    close(fd);
    return got == (ssize_t)sizeof e ? e : 0;
}

int proc_start(struct proc *p, const char *path, char *const argv[], unsigned flags,
               char **err)
{
    int pipes[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };  /* out, err, exec error */
    int want[3] = { !!(flags & PROC_OUT), !!(flags & PROC_ERR), 1 };
    for (int i = 0; i < 3; i++) {
        if (want[i] && pipe2(pipes[i], O_CLOEXEC) < 0) {
            int e = errno;
            for (int k = 0; k < i; k++)
                close_fd(&pipes[k][0]), close_fd(&pipes[k][1]);
            return seterr(err, "cannot create a pipe: %s", strerror(e));
        }
    }
    pid_t parent = getpid();
    p->pid = fork();
    if (p->pid < 0) {
        int e = errno;
        for (int k = 0; k < 3; k++)
            close_fd(&pipes[k][0]), close_fd(&pipes[k][1]);
        return seterr(err, "cannot start %s: %s", path, strerror(e));
    }
    if (p->pid == 0)
        child_exec(p, path, argv, flags, pipes[0], pipes[1], pipes[2][1], parent);
    if (flags & PROC_GROUP)
        setpgid(p->pid, p->pid);  /* also here: no window in which a kill misses it */
    p->flags_group = !!(flags & PROC_GROUP);
    for (int i = 0; i < 3; i++)
        close_fd(&pipes[i][1]);
    close_fd(&p->extra_w);
    p->fd[PROC_FD_OUT] = pipes[0][0];
    p->fd[PROC_FD_ERR] = pipes[1][0];
    int e = exec_result(pipes[2][0]);
    if (e) {
        proc_wait(p);
        return seterr(err, "cannot run %s: %s", path, strerror(e));
    }
    for (int i = 0; i < PROC_NFD; i++)
        if (p->fd[i] >= 0)
            fcntl(p->fd[i], F_SETFL, fcntl(p->fd[i], F_GETFL) | O_NONBLOCK);
    return 0;
}

/* Read what stream I has; close it at EOF. */
static void drain(struct proc *p, int i)
{
    for (;;) {
        char chunk[8192];
        ssize_t n = read(p->fd[i], chunk, sizeof chunk);
        if (n > 0) {
            size_t keep = (size_t)n;
            if (p->out[i].len + keep > p->max) {
                keep = p->max > p->out[i].len ? p->max - p->out[i].len : 0;
                p->truncated = 1;
            }
            buf_add(&p->out[i], chunk, keep);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            close_fd(&p->fd[i]);
        return;
    }
}

/* Has the child exited? Reaps it (status kept) without blocking. */
static int exited(struct proc *p)
{
    if (p->pid < 0)
        return 1;
    int st;
    pid_t w = waitpid(p->pid, &st, WNOHANG);
    if (w != p->pid)
        return 0;
    p->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
    p->pid = -1;
    return 1;
}

int proc_poll(struct proc *p, long long deadline_ms)
{
    struct pollfd pfd[PROC_NFD];
    int idx[PROC_NFD], n = 0;
    for (int i = 0; i < PROC_NFD; i++)
        if (p->fd[i] >= 0) {
            pfd[n] = (struct pollfd){ p->fd[i], POLLIN, 0 };
            idx[n++] = i;
        }
    if (!n)
        return 0;
    for (;;) {
        long long left = deadline_ms < 0 ? 100 : deadline_ms - now_ms();
        if (left <= 0)
            return PROC_TIMEOUT;
        /* wake now and then: a grandchild may hold a pipe after the child exited */
        int r = poll(pfd, (nfds_t)n, left < 100 ? (int)left : 100);
        if (r < 0 && errno != EINTR)
            return 0;
        if (r > 0) {
            for (int k = 0; k < n; k++)
                if (pfd[k].revents)
                    drain(p, idx[k]);
            break;
        }
        if (r == 0 && exited(p)) {
            for (int k = 0; k < n; k++)
                drain(p, idx[k]);
            for (int k = 0; k < n; k++)
                close_fd(&p->fd[idx[k]]);  /* drained; the rest belongs to others */
            return 0;
        }
    }
    for (int i = 0; i < PROC_NFD; i++)
        if (p->fd[i] >= 0)
            return 1;
    return 0;
}

void proc_kill(struct proc *p)
{
    if (p->pid <= 0)
        return;
    if (p->flags_group)
        kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);
}

int proc_wait(struct proc *p)
{
    if (p->pid < 0)
        return p->status;
    int st;
    while (waitpid(p->pid, &st, 0) < 0) {
        if (errno != EINTR) {
            p->pid = -1;
            return p->status = 1;
        }
    }
    p->pid = -1;
    p->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
    return p->status;
}

int proc_finish(struct proc *p, long long deadline_ms)
{
    int r;
    while ((r = proc_poll(p, deadline_ms)) == 1)
        ;
    if (r == PROC_TIMEOUT) {
        proc_kill(p);
        proc_wait(p);
        return PROC_TIMEOUT;
    }
    /* output done: the exit, within the deadline */
    while (!exited(p)) {
        if (deadline_ms >= 0 && now_ms() >= deadline_ms) {
            proc_kill(p);
            proc_wait(p);
            return PROC_TIMEOUT;
        }
        usleep(5000);
    }
    return p->status;
}

void proc_free(struct proc *p)
{
    for (int i = 0; i < PROC_NFD; i++) {
        close_fd(&p->fd[i]);
        buf_free(&p->out[i]);
    }
    close_fd(&p->extra_w);
    if (p->pid > 0) {
        proc_kill(p);
        proc_wait(p);
    }
}
