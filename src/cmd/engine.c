/* engine.c — torchshim-engine: the resolver the front end starts when a
 * command installs PyTorch packages, and torchshim's heavier commands.
 *
 *   torchshim-engine shim --result-fd N pip|conda NAME REAL -- ARGS...
 *       plan/resolve/rewrite ARGS for the real tool REAL and answer on fd N
 *       (protocol in proto.h). Any failure answers the original command.
 *   torchshim-engine install|resolve|doctor|mirrors|cache|fetch ...
 *
 * Not meant to be run by hand: `torchshim <command>` runs it. The command
 * table and what it does for every command: commands.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "commands.h"
#include "msg.h"
#include "proto.h"

static const struct engine_cmd *const engine_cmds[] = {
    &cmd_shim, &cmd_install, &cmd_resolve, &cmd_doctor, &cmd_mirrors, &cmd_cache,
    &cmd_fetch,
};

static const struct optdef common_opts[] = {
    { "help", 'h', 0, OPT_HELP },
    { "result-fd", 0, 1, OPT_RESULT_FD },
    OPTDEF_END,
};

/* How long the engine may take, told to the front end: a transfer's connect
 * and total time for each of the resolution's rounds (listing, metadata,
 * the official fallback), plus a margin for the rest. */
#define ENGINE_ROUNDS 3
#define ENGINE_MARGIN_MS 5000

const char *cmd_opt(const struct cmd_ctx *c, int id)
{
    const char *v = NULL;
    for (size_t i = 0; i < c->cl.n; i++)
        if (c->cl.items[i].kind == IT_OPTION && c->cl.items[i].opt->id == id)
            v = c->cl.items[i].value ? c->cl.items[i].value : "";
    return v;
}

int cmd_has(const struct cmd_ctx *c, int id)
{
    return cmd_opt(c, id) != NULL;
}

int cmd_fail(const struct cmd_ctx *c, int code)
{
    return c->ans.fd >= 0 ? answer_quit(&c->ans, code) : code;
}

int cmd_usage_error(const struct cmd_ctx *c, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    errorf("%s: %s", c->cmd->name, buf_str(&b));
    buf_free(&b);
    /* the synopsis: the usage up to its first empty line */
    const char *u = c->cmd->usage, *end = strstr(u, "\n\n");
    fprintf(stderr, "%.*s\n(torchshim %s --help says more)\n", end ? (int)(end - u) : (int)strlen(u),
            u, c->cmd->name);
    return cmd_fail(c, 2);
}

void cmd_say(const struct strv *warnings, const struct strv *notes)
{
    for (size_t i = 0; warnings && i < warnings->n; i++)
        warnf("%s", warnings->v[i]);
    for (size_t i = 0; notes && i < notes->n; i++)
        verbosef("%s", notes->v[i]);
}

int cmd_seconds(const struct cmd_ctx *c, int id, double max, long *ms)
{
    const char *v = cmd_opt(c, id);
    if (!v)
        return 0;
    char *end = NULL;
    errno = 0;
    double s = strtod(v, &end);
    if (errno || end == v || *end || !(s > 0) || s > max) {
        cmd_usage_error(c, "%s wants a number of seconds (0 < S <= %g)", v, max);
        return -1;
    }
    *ms = (long)(s * 1000 + 0.5);
    return 0;
}

void cmd_say_error(const char *error)
{
    for (const char *line = error, *nl; line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        errorf("%.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
    }
}

int cmd_plan_said(const struct run_result *res, enum run_outcome o)
{
    cmd_say(&res->warnings, &res->notes);
    switch (o) {
    case RUN_REWRITTEN: return 0;
    case RUN_NO_MIRROR: errorf("no mirror could be reached, nor the official source"); break;
    case RUN_UNCHANGED: errorf("nothing of PyTorch's to install"); break;
    case RUN_REFUSED:
    case RUN_FAILED: cmd_say_error(res->error); break;
    }
    return 1;
}

/* Split the parsed words: positionals before "--", the rest untouched. */
static void split_args(struct cmd_ctx *c, int argc, char **argv)
{
    c->nrest = 0;
    c->rest = argv + argc;
    for (size_t i = 0; i < c->cl.n; i++) {
        const struct cmd_item *it = &c->cl.items[i];
        if (it->kind == IT_DASHDASH) {
            c->rest = argv + it->argi + 1;
            c->nrest = argc - (int)it->argi - 1;
            return;
        }
        if (it->kind == IT_POSITIONAL || it->kind == IT_SUBCOMMAND)
            strv_push(&c->args, it->value);
    }
}

/* Parse the command's words; 0, or the engine's exit status when done
 * (help printed, usage error said). */
static int parse(struct cmd_ctx *c, int argc, char **argv, int *done)
{
    char *err = NULL;
    *done = 0;
    if (cmdline_parse_flat(argc, argv, common_opts, c->cmd->opts, &c->cl, &err)) {
        int r = cmd_usage_error(c, "%s", err);
        free(err);
        *done = 1;
        return r;
    }
    const char *fd = cmd_opt(c, OPT_RESULT_FD);
    if (fd)
        c->ans.fd = atoi(fd);
    split_args(c, argc, argv);
    if (cmd_has(c, OPT_HELP)) {
        fputs(c->cmd->usage, stdout);
        *done = 1;
        return fflush(stdout) ? cmd_fail(c, 1) : cmd_fail(c, 0);
    }
    return 0;
}

static void announce_deadline(const struct cmd_ctx *c)
{
    if (c->ans.fd < 0 || !(c->cmd->flags & CMD_NETWORK))
        return;
    long long per = c->have_cfg ? (c->cfg.connect_timeout + c->cfg.timeout) * 1000LL : 33000;
    if (proto_write_deadline(c->ans.fd, per * ENGINE_ROUNDS + ENGINE_MARGIN_MS))
        warnf("cannot write to the front end: %s", strerror(errno));
}

static int load_config(struct cmd_ctx *c)
{
    char *err = NULL;
    if (config_load(&c->cfg, &err) == 0) {
        c->have_cfg = 1;
        cmd_say(&c->cfg.warnings, NULL);
        return 0;
    }
    config_free(&c->cfg);
    if (c->cmd->flags & CMD_SOFT_CONFIG) {
        c->cfg_err = err;
        return 0;
    }
    errorf("configuration: %s", err);
    free(err);
    return -1;
}

static int run(const struct engine_cmd *cmd, int argc, char **argv)
{
    struct cmd_ctx c;
    memset(&c, 0, sizeof c);
    c.cmd = cmd;
    c.ans.fd = -1;
    int done, r = parse(&c, argc, argv, &done);
    if (!done && (cmd->flags & CMD_CONFIG) && load_config(&c) < 0) {
        r = cmd_fail(&c, 1);
        done = 1;
    }
    if (!done) {
        announce_deadline(&c);
        r = cmd->fn(&c);
    }
    if (c.have_cfg)
        config_free(&c.cfg);
    free(c.cfg_err);
    cmdline_free(&c.cl);
    strv_clear(&c.args);
    return r;
}

int main(int argc, char **argv)
{
    msg_init_from_env();
    if (argc < 2) {
        errorf("torchshim-engine is run by torchshim; try `torchshim help`");
        return 2;
    }
    for (size_t i = 0; i < sizeof engine_cmds / sizeof *engine_cmds; i++)
        if (!strcmp(argv[1], engine_cmds[i]->name))
            return run(engine_cmds[i], argc - 2, argv + 2);
    errorf("unknown engine command '%s'", argv[1]);
    return 2;
}
