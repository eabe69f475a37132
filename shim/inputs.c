/* inputs.c — see inputs.h. */
#include "inputs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cmdline.h"
#include "condacmd.h"
#include "fileio.h"
#include "msg.h"
#include "pipcmd.h"

/* Where a file's name sits in ARGS: index, and the offset of the name in
 * that word ("-rFILE", "--file=FILE") or 0. */
struct file_arg {
    int at;
    size_t off;
};

/* Read what FD gives within the bounds. 1 at its end, 0 when stopped early.
 * Poll first: a FIFO without a writer yet reads as EOF, but is not one
 * (poll reports nothing until a writer comes, POLLHUP once it has gone). */
static int slurp_bounded(int fd, struct buf *b)
{
    long long deadline = now_ms() + INPUTS_DEADLINE_MS;
    for (;;) {
        if (b->len > INPUTS_MAX_BYTES)
            return 0;
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, (int)(left < 1000 ? left : 1000));
        if (r < 0 && errno != EINTR)
            return 1;
        if (r <= 0)
            continue;
        char *at = buf_room(b, 65536);
        ssize_t n = read(fd, at, 65536);
        if (n > 0)
            buf_commit(b, (size_t)n);
        else if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
            return 1;  /* an error ends it as EOF would (the tool would see the same) */
    }
}

/* The content in a memfd; its /dev/fd path, or NULL. */
static char *as_memfd(const struct buf *b)
{
    int fd = memfd_create("torchshim-input", 0);  /* inherited on purpose */
    if (fd < 0)
        return NULL;
    if (write_all(fd, buf_str(b), b->len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return NULL;
    }
    return xasprintf("/dev/fd/%d", fd);
}

/* A relay: what was read, then the rest of SRC, into a pipe; its path. */
static char *as_relay(const struct buf *b, int src)
{
    int p[2];
    if (pipe(p) < 0)
        return NULL;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return NULL;
    }
    if (pid == 0) {
        close(p[0]);
        signal(SIGPIPE, SIG_DFL);
        fcntl(src, F_SETFL, fcntl(src, F_GETFL) & ~O_NONBLOCK);
        if (write_all(p[1], buf_str(b), b->len) == 0) {
            char chunk[65536];
            ssize_t n;
            while ((n = read(src, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
                if (n > 0 && write_all(p[1], chunk, (size_t)n) < 0)
                    break;
        }
        _exit(0);
    }
    close(p[1]);
    close(src);
    return xasprintf("/dev/fd/%d", p[0]);
}

/* Secure one file; the replacement path, or NULL to keep the argument.
 * *pass is set when the command cannot be inspected. */
static char *secure_one(const char *path, int *pass)
{
    struct stat st;
    if (stat(path, &st) < 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
        return NULL;
    if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) {
        /* a device (/dev/zero, a tty): not read; the command goes through */
        if (strcmp(path, "/dev/null")) {
            verbosef("%s is a device: not read before the real tool", path);
            *pass = 1;
        }
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct buf b = BUF_INIT;
    int complete = slurp_bounded(fd, &b);
    char *repl = NULL;
    if (complete) {
        repl = as_memfd(&b);
        close(fd);
    } else if (b.len) {
        verbosef("%s: more than %zu bytes or %d ms: relayed to the real tool unread", path,
                 INPUTS_MAX_BYTES, INPUTS_DEADLINE_MS);
        repl = as_relay(&b, fd);
        *pass = 1;
    } else {
        close(fd);  /* nothing taken: the argument stays */
        *pass = 1;
    }
    buf_free(&b);
    if (!repl)
        *pass = 1;
    return repl;
}

/* The file arguments of a parsed pip or conda command line. */
static size_t file_args(const struct cmdline *cl, int file_opt1, int file_opt2, int argc,
                        char **args, struct file_arg *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < cl->n && n < max; i++) {
        const struct cmd_item *it = &cl->items[i];
        if (it->kind != IT_OPTION || (it->opt->id != file_opt1 && it->opt->id != file_opt2))
            continue;
        size_t vl = strlen(it->value);
        if ((int)it->argi + 1 < argc && it->words.n == 2 && !strcmp(args[it->argi + 1], it->value))
            out[n++] = (struct file_arg){ (int)it->argi + 1, 0 };
        else if (strlen(args[it->argi]) >= vl)
            out[n++] = (struct file_arg){ (int)it->argi, strlen(args[it->argi]) - vl };
    }
    return n;
}

/* conda env create|update -f FILE / --file FILE / --file=FILE (a subcommand
 * without a table in condacmd: scanned here). */
static size_t env_file_args(int argc, char **args, struct file_arg *out, size_t max)
{
    int e = 0;
    while (e < argc && args[e][0] == '-')
        e++;
    if (e + 1 >= argc || strcmp(args[e], "env") ||
        (strcmp(args[e + 1], "create") && strcmp(args[e + 1], "update")))
        return 0;
    size_t n = 0;
    for (int i = e + 2; i < argc && n < max; i++) {
        if ((!strcmp(args[i], "-f") || !strcmp(args[i], "--file")) && i + 1 < argc)
            out[n++] = (struct file_arg){ ++i, 0 };
        else if (!strncmp(args[i], "--file=", 7))
            out[n++] = (struct file_arg){ i, 7 };
    }
    return n;
}

enum inputs_verdict inputs_secure(enum tool_mode mode, int argc, char **args)
{
    struct cmdline cl;
    char *err = NULL;
    struct file_arg files[32];
    size_t n = 0;
    int r = mode == MODE_PIP ? pipcmd_parse(argc, args, &cl, &err)
                             : condacmd_parse(argc, args, &cl, &err);
    if (r == 0) {
        n = mode == MODE_PIP ? file_args(&cl, PIP_REQUIREMENT, PIP_CONSTRAINT, argc, args, files, 32)
                             : file_args(&cl, CONDA_FILE, CONDA_FILE, argc, args, files, 32);
        cmdline_free(&cl);
    }
    free(err);
    if (mode == MODE_CONDA)
        n += env_file_args(argc, args, files + n, 32 - n);
    int pass = 0;
    for (size_t i = 0; i < n; i++) {
        char *repl = secure_one(args[files[i].at] + files[i].off, &pass);
        if (repl)
            args[files[i].at] = xasprintf("%.*s%s", (int)files[i].off, args[files[i].at], repl);
        free(repl);
    }
    return pass ? INPUTS_PASS : INPUTS_OK;
}
