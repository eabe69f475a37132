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

#include "fileio.h"
#include "msg.h"
#include "proc.h"
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

/* Read the engine's answer until it closes the pipe, within its deadline
 * (PROTO_START_MS, then what its last deadline record says). 0, or
 * PROC_TIMEOUT after killing it. */
static int read_answer(struct proc *p)
{
    const char *env = getenv("TORCHSHIM_ENGINE_START_MS");  /* tests */
    long long start = now_ms(), ms;
    long long deadline = start + (env && atoll(env) > 0 ? atoll(env) : PROTO_START_MS);
    const struct buf *b = &p->out[PROC_FD_EXTRA];
    size_t seen = 0;
    for (;;) {
        int r = proc_poll(p, deadline);
        if (r == PROC_TIMEOUT) {
            warnf("the resolver gave no answer within %lld s", (now_ms() - start + 500) / 1000);
            proc_kill(p);
            return PROC_TIMEOUT;
        }
        int found = 0;
        if (b->len > seen)
            seen += proto_scan_deadline(b->p + seen, b->len - seen, &ms, &found);
        if (found)
            deadline = ms ? now_ms() + ms : -1;
        if (r == 0)
            return 0;
    }
}

/* While the engine works, an interrupt is the user's: Ctrl-C reaches the
 * engine too (one process group), which saves what it downloaded and stops.
 * The front end must outlive it, then run nothing. */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSTOP (sizeof stop_signals / sizeof stop_signals[0])
static volatile sig_atomic_t stop_signal;
static volatile pid_t engine_pid = -1;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
    if (sig != SIGINT && engine_pid > 0)  /* SIGINT came from the terminal to both */
        kill(engine_pid, sig);
}

static void stop_signals_catch(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSTOP; i++) {
        sigaction(stop_signals[i], NULL, &old[i]);
        if (old[i].sa_handler != SIG_IGN)  /* ignored by our parent: stays so */
            sigaction(stop_signals[i], &sa, NULL);
    }
}

/* Restore the dispositions; after an interrupt, die of it (128 + signal). */
static void stop_signals_restore(const struct sigaction *old)
{
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &old[i], NULL);
    int sig = stop_signal;
    if (!sig)
        return;
    signal(sig, SIG_DFL);
    raise(sig);
    exit(128 + sig);
}

static int run_engine_child(const struct strv *args, struct engine_answer *ans)
{
    memset(ans, 0, sizeof *ans);
    struct proc p;
    char *err = NULL;
    proc_init(&p, (size_t)1 << 20);
    int fd = proc_extra_pipe(&p, &err);
    struct strv cmd = STRV_INIT;
    strv_push(&cmd, args->v[0]);
    if (args->n > 1)
        strv_push(&cmd, args->v[1]);
    strv_push(&cmd, "--result-fd");
    strv_pushf(&cmd, "%d", fd);
    for (size_t i = 2; i < args->n; i++)
        strv_push(&cmd, args->v[i]);
    if (fd < 0 || proc_start(&p, cmd.v[0], cmd.v, PROC_DIE_WITH_PARENT, &err)) {
        warnf("cannot start the resolver: %s", err);
        free(err);
        strv_clear(&cmd);
        proc_free(&p);
        return -1;
    }
    strv_clear(&cmd);
    engine_pid = p.pid;
    int timed_out = read_answer(&p) == PROC_TIMEOUT;
    int status = proc_wait(&p);
    engine_pid = -1;
    const struct buf *b = &p.out[PROC_FD_EXTRA];
    int r = timed_out || p.truncated ? -1 : proto_parse(buf_str(b), b->len, ans);
    proc_free(&p);
    if (r == 0 && (status == 0 || ans->quit))
        return 0;
    if (timed_out || stop_signal)
        ;  /* said, or the user's interrupt: nothing to say */
    else if (status > 128)
        warnf("the resolver died (signal %d)", status - 128);
    else if (status)
        warnf("the resolver failed (exit status %d)", status);
    else
        warnf("the resolver gave no usable answer");
    engine_answer_clear(ans);
    return -1;
}

int run_engine(const struct strv *args, struct engine_answer *ans)
{
    struct sigaction old[NSTOP];
    stop_signals_catch(old);
    int r = run_engine_child(args, ans);
    stop_signals_restore(old);
    return r;
}
