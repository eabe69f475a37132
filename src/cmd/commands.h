/* commands.h — the engine's commands: one table (engine.c), one file each
 * (cmd_<name>.c), one way in.
 *
 * engine.c does for every command what each would otherwise repeat: parse
 * its options with cmdline.c (--opt value, --opt=value, unambiguous
 * prefixes, clusters) together with the common ones (--help, --result-fd),
 * print the usage for --help (exit 0) and for a usage error (exit 2), load
 * the configuration, tell the front end the engine's deadline, and answer
 * the front end when the command fails before answering itself.
 *
 * Only this layer prints (errorf/warnf/notef, stdout) and decides what
 * happens next; the modules below it return errors (char **err) and notes.
 *
 * Exit statuses of the engine, passed on by the front end (torchshim(1),
 * EXIT STATUS): 0 done; 1 the request cannot be met or a command failed
 * (said why); 2 usage error; 70 out of memory. */
#ifndef TORCHSHIM_COMMANDS_H
#define TORCHSHIM_COMMANDS_H

#include "answer.h"
#include "cmdline.h"
#include "config.h"
#include "outcome.h"
#include "strv.h"

enum cmd_flags {
    CMD_CONFIG = 1 << 0,       /* load the configuration before the command runs */
    CMD_SOFT_CONFIG = 1 << 1,  /* ... and let the command handle a broken one */
    CMD_ANSWERS = 1 << 2,      /* answers the front end on --result-fd (shim, install) */
    CMD_NETWORK = 1 << 3,      /* fetches: announce the deadline to the front end */
};

/* Option ids common to every command (command tables use ids >= 100). */
enum { OPT_HELP = 1, OPT_RESULT_FD = 2 };

struct cmd_ctx {
    const struct engine_cmd *cmd;
    struct answer ans;         /* fd -1: print the command instead of answering */
    struct config cfg;
    int have_cfg;
    char *cfg_err;             /* CMD_SOFT_CONFIG: why the configuration failed */
    struct cmdline cl;         /* the command's words, parsed */
    struct strv args;          /* positionals before "--" */
    int nrest;                 /* words after "--", untouched */
    char **rest;
};

struct engine_cmd {
    const char *name;
    int (*fn)(struct cmd_ctx *ctx);
    unsigned flags;            /* enum cmd_flags */
    const struct optdef *opts; /* the command's own options; ids >= 100 */
    const char *usage;         /* "usage: torchshim ...\n\n  options...\n" */
};

/* The last value of option ID (NULL: not given), whether it was given. */
const char *cmd_opt(const struct cmd_ctx *c, int id);
int cmd_has(const struct cmd_ctx *c, int id);
/* The reason was said: answer "run nothing, exit CODE" to the front end, or
 * return CODE when printing. Returns the engine's exit status. */
int cmd_fail(const struct cmd_ctx *c, int code);
/* A usage error: the message, a pointer to --help, status 2 (cmd_fail). */
int cmd_usage_error(const struct cmd_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Say the notes a module collected: warnings always, notes with -v. */
void cmd_say(const struct strv *warnings, const struct strv *notes);
/* Option ID as seconds (0 < S <= MAX) into *ms; untouched when absent.
 * 0, or -1 after a usage error was said. */
int cmd_seconds(const struct cmd_ctx *c, int id, double max, long *ms);
/* errorf each line of ERROR (NULL: nothing). */
void cmd_say_error(const char *error);
/* Say how a plan came out (warnings, notes, the error's lines): 0 when it
 * came out as a command, 1 otherwise. */
int cmd_plan_said(const struct run_result *res, enum run_outcome o);

extern const struct engine_cmd cmd_shim, cmd_cache, cmd_resolve, cmd_install, cmd_doctor,
    cmd_mirrors;
extern const struct engine_cmd cmd_fetch;

#endif
