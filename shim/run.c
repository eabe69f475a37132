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

void run_apply_env(const struct strv *env)
{
    for (size_t i = 0; i < env->n; i++) {
        const char *rec = env->v[i];
        if (rec[0] == 'U') {
            unsetenv(rec + 1);
        } else if (rec[0] == 'S') {
            const char *eq = strchr(rec + 1, '=');
            if (!eq)
                continue;
            char *name = xstrndup(rec + 1, (size_t)(eq - rec - 1));
            setenv(name, eq + 1, 1);
            free(name);
        }
    }
}

void engine_answer_clear(struct engine_answer *ans)
{
    strv_clear(&ans->argv);
    strv_clear(&ans->env);
    ans->dry_run = ans->quit = ans->quit_code = 0;
}

/* Parse the records; 0 if they form a complete answer. */
static int parse_answer(const char *buf, size_t len, struct engine_answer *ans)
{
    if (len && buf[len - 1] != '\0')
        return -1;  /* torn record */
    for (size_t off = 0; off < len;) {
        const char *rec = buf + off;
        size_t rl = strlen(rec);
        off += rl + 1;
        switch (rec[0]) {
        case 'A': strv_push(&ans->argv, rec + 1); break;
        case 'S':
        case 'U': strv_push(&ans->env, rec); break;
        case 'D': ans->dry_run = 1; break;
        case 'Q':
            ans->quit = 1;
            ans->quit_code = atoi(rec + 1);
            break;
        default: return -1;
        }
    }
    if (ans->quit)
        return 0;
    return ans->argv.n > 0 && ans->argv.v[0][0] == '/' ? 0 : -1;
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
    int r = parse_answer(buf, len, ans);
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

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die(1, "cannot write the result: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

void result_word(struct result_writer *w, char type, const char *s)
{
    size_t n = strlen(s);
    char *rec = xmalloc(n + 2);
    rec[0] = type;
    memcpy(rec + 1, s, n + 1);
    write_all(w->fd, rec, n + 2);
    free(rec);
}

void result_command(struct result_writer *w, const struct strv *argv)
{
    for (size_t i = 0; i < argv->n; i++)
        result_word(w, 'A', argv->v[i]);
}
