/* run.c — see run.h. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "quote.h"

int run_guard_tripped(void)
{
    const char *g = getenv(GUARD_VAR);
    int tripped = 0;
    if (g && *g) {
        char *end;
        long pid = strtol(g, &end, 10);
        tripped = *end == '\0' && pid == (long)getpid();
    }
    unsetenv(GUARD_VAR);
    return tripped;
}

int run_exec(const struct strv *argv, int dry_run)
{
    if (dry_run || env_true("TORCHSHIM_DRY_RUN")) {
        char *line = shell_join(argv->v, argv->n);
        /* stdio: the only stdout output of the front end, flushed by exit. */
        fputs(line, stdout);
        fputc('\n', stdout);
        free(line);
        exit(fflush(stdout) == 0 ? 0 : 1);
    }
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv(GUARD_VAR, pid, 1);
    execv(argv->v[0], argv->v);
    int e = errno;
    unsetenv(GUARD_VAR);
    errorf("cannot run %s: %s", argv->v[0], strerror(e));
    return e == ENOENT || e == ENOTDIR ? 127 : 126;
}

int run_engine(const struct strv *args, struct engine_answer *ans)
{
    int fds[2];
    memset(ans, 0, sizeof *ans);
    if (pipe2(fds, O_CLOEXEC) != 0) {
        warnf("cannot create a pipe for the resolver: %s", strerror(errno));
        return -1;
    }
    struct strv cmd = STRV_INIT;
    strv_push(&cmd, args->v[0]);
    if (args->n > 1)
        strv_push(&cmd, args->v[1]);
    strv_push(&cmd, "--result-fd");
    strv_pushf(&cmd, "%d", fds[1]);
    for (size_t i = 2; i < args->n; i++)
        strv_push(&cmd, args->v[i]);

    pid_t pid = fork();
    if (pid < 0) {
        warnf("cannot start the resolver: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        strv_clear(&cmd);
        return -1;
    }
    if (pid == 0) {
        /* The write end must survive exec. */
        int fl = fcntl(fds[1], F_GETFD);
        fcntl(fds[1], F_SETFD, fl & ~FD_CLOEXEC);
        execv(cmd.v[0], cmd.v);
        warnf("cannot run the resolver %s: %s", cmd.v[0], strerror(errno));
        _exit(127);
    }
    strv_clear(&cmd);
    close(fds[1]);

    size_t len = 0, cap = 4096;
    char *buf = xmalloc(cap);
    for (;;) {
        if (len == cap)
            buf = xrealloc(buf, cap *= 2);
        ssize_t n = read(fds[0], buf + len, cap - len);
        if (n > 0) {
            len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    close(fds[0]);

    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    int r = proto_parse(buf, len, ans);
    free(buf);
    if (r == 0 && (ok || ans->quit))
        return 0;
    if (WIFSIGNALED(status))
        warnf("the resolver died (signal %d)", WTERMSIG(status));
    else if (!ok)
        warnf("the resolver failed (exit status %d)", WEXITSTATUS(status));
    else
        warnf("the resolver gave no usable answer");
    engine_answer_clear(ans);
    return -1;
}
