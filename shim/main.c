/* main.c — the torchshim front end.
 *
 * Every pip/conda call goes through this small libc-only program, so it does
 * as little as it can: decide the mode from argv[0], find the real tool,
 * classify the command line, and exec. Only a command that (maybe) installs
 * PyTorch packages, and torchshim's own commands that need the network, start
 * the engine (torchshim-engine: libcurl, libuv, libarchive, cJSON).
 *
 *   argv -> mode (basename of argv[0])
 *        -> find the real tool            findtool.c
 *        -> classify                      classify.c
 *        -> pass through                  run.c: run_exec
 *        or engine: plan/resolve/rewrite  src/ (a child), answer on a pipe
 *        -> exec the answer               run.c: run_exec
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "findtool.h"
#include "initcmd.h"
#include "inputs.h"
#include "msg.h"
#include "run.h"
#include "strv.h"

static struct self_id self;

/* The engine: $TORCHSHIM_ENGINE, else beside us (build tree), else
 * ../libexec/torchshim/ (installed). NULL if none is executable. */
static char *engine_path(void)
{
    /* the engine looks for the real pip/conda as we do: tell it who we are */
    if (self.path[0])
        setenv("TORCHSHIM_FRONT", self.path, 1);
    const char *env = getenv("TORCHSHIM_ENGINE");
    if (env && *env)
        return access(env, X_OK) == 0 ? xstrdup(env) : NULL;
    if (!self.path[0])
        return NULL;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", self.path);
    char *d = dirname(dir);
    static const char *const rel[] = { "torchshim-engine", "../libexec/torchshim/torchshim-engine" };
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        char *p = xasprintf("%s/%s", d, rel[i]);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return NULL;
}

/* Run the engine for COMMAND (e.g. "shim", "install") and exec its answer.
 * FALLBACK is the user's command to run unchanged when the engine fails;
 * NULL when there is none (torchshim install), in which case failure is an
 * error. */
static int engine_then_exec(const char *command, const struct strv *engine_args,
                            const struct strv *fallback)
{
    char *engine = engine_path();
    if (engine) {
        struct strv args = STRV_INIT;
        strv_push(&args, engine);
        strv_push(&args, command);
        strv_extend(&args, engine_args->v, engine_args->n);
        struct engine_answer ans;
        int r = run_engine(&args, &ans);
        unsetenv("TORCHSHIM_FRONT");  /* for the engine only, not the real tool */
        strv_clear(&args);
        free(engine);
        if (r == 0) {
            if (ans.quit)
                exit(ans.quit_code);
            env_changes_apply(&ans.env);
            return run_exec(&ans.argv, ans.dry_run);
        }
    } else {
        warnf("the resolver (torchshim-engine) was not found next to %s",
              self.path[0] ? self.path : "torchshim");
    }
    if (!fallback) {
        errorf("%s: cannot continue without the resolver", command);
        return 1;
    }
    notef("running the command unchanged");
    return run_exec(fallback, 0);
}

/* `pip --python PY ARGS` (pip's own option, and what the shell functions
 * make of `PY -m pip ARGS`): the real tool is the interpreter PY, run as
 * `PY -m pip ARGS`. Returns how many words the option took (0: none), with
 * *python the interpreter's absolute path (a directory means its
 * environment: bin/python), or NULL when it cannot be found. */
static int python_option(int argc, char **args, char **python)
{
    const char *v = NULL;
    int took = 0;
    if (argc >= 2 && !strcmp(args[0], "--python"))
        v = args[1], took = 2;
    else if (argc >= 1 && !strncmp(args[0], "--python=", 9))
        v = args[0] + 9, took = 1;
    if (!took)
        return 0;
    struct stat st;
    char *dir_py = stat(v, &st) == 0 && S_ISDIR(st.st_mode) ? xasprintf("%s/bin/python", v) : NULL;
    char *found = findtool_which(dir_py ? dir_py : v);
    free(dir_py);
    *python = found && found[0] != '/' ? (realpath(found, NULL)) : found;
    if (found && found[0] != '/')
        free(found);
    return took;
}

/* pip/conda mode: NAME is the tool (pip3.11, mamba, ...). */
static int run_tool(const char *name, enum tool_mode mode, const char *invoked_dir, int argc,
                    char **args)
{
    if (run_guard_tripped()) {
        errorf("%s at %s was started by torchshim as the real '%s': it is another copy of "
               "torchshim. Remove it from PATH or set TORCHSHIM_REAL_%s to the real %s.",
               name, self.path[0] ? self.path : "?", name, mode == MODE_PIP ? "PIP" : "CONDA",
               name);
        return 127;
    }
    char *real = NULL, *err = NULL, *python = NULL;
    int took = mode == MODE_PIP ? python_option(argc, args, &python) : 0;
    if (took && !python) {
        errorf("%s: no Python interpreter %s", name, args[took - 1] + (took == 1 ? 9 : 0));
        return 127;
    }
    int r = took ? 0 : findtool_locate(name, mode, &self, invoked_dir, &real, &err);
    if (r) {
        errorf("%s", err);
        free(err);
        return r;
    }
    if (took) {  /* PY -m pip ARGS */
        real = python;
        argc -= took;
        args += took;
    }

    struct strv orig = STRV_INIT;
    /* files the real tool reads from pipes: copies, read once (inputs.h) */
    int uninspectable = !env_true("TORCHSHIM_DISABLE") &&
                        inputs_secure(mode, argc, args) == INPUTS_PASS;
    strv_push(&orig, real);
    if (took) {
        strv_push(&orig, "-m");
        strv_push(&orig, "pip");
    }
    strv_extend(&orig, args, (size_t)argc);
    if (env_true("TORCHSHIM_DISABLE") || uninspectable ||
        classify(mode, argc, args) == VERDICT_PASS) {
        verbosef("%s: not a PyTorch install, passing through to %s", name, real);
        return run_exec(&orig, 0);
    }
    verbosef("%s: may install PyTorch packages, asking the resolver", name);
    struct strv eargs = STRV_INIT;
    if (took)
        strv_push(&eargs, "--python-m");
    strv_push(&eargs, tool_mode_name(mode));
    strv_push(&eargs, name);
    strv_push(&eargs, real);
    strv_push(&eargs, "--");
    strv_extend(&eargs, args, (size_t)argc);
    free(real);
    return engine_then_exec("shim", &eargs, &orig);
}

/* ---- torchshim's own commands ------------------------------------------- */

static int cmd_help(int argc, char **argv);

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("torchshim %s\n", TORCHSHIM_VERSION);
    return 0;
}

/* Commands the engine answers itself (it prints; nothing to exec). */
static int cmd_engine_direct(int argc, char **argv)
{
    char *engine = engine_path();
    if (!engine) {
        errorf("the resolver (torchshim-engine) was not found; reinstall torchshim");
        return 1;
    }
    struct strv args = STRV_INIT;
    strv_push(&args, engine);
    strv_extend(&args, argv, (size_t)argc);
    execv(args.v[0], args.v);
    errorf("cannot run %s: %s", args.v[0], strerror(errno));
    strv_clear(&args);
    free(engine);
    return 126;
}

/* torchshim install: the engine plans, we exec what it says. */
static int cmd_install(int argc, char **argv)
{
    struct strv eargs = STRV_INIT;
    strv_extend(&eargs, argv + 1, (size_t)argc - 1);
    int r = engine_then_exec(argv[0], &eargs, NULL);
    strv_clear(&eargs);
    return r;
}

/* Flags of the command table. */
enum { CMD_HIDDEN = 1 };

static const struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    int flags;
    const char *help;
} commands[] = {
    { "install", cmd_install, 0, "install torch, torchvision, torchaudio for this machine" },
    { "resolve", cmd_engine_direct, 0, "print the exact command an install would run" },
    { "doctor", cmd_engine_direct, 0, "GPU, driver, Python, installed torch, mirrors (--json)" },
    { "mirrors", cmd_engine_direct, 0, "list the mirror sites; --probe measures them (--save)" },
    { "cache", cmd_engine_direct, 0, "cache info | cache clean" },
    { "fetch", cmd_engine_direct, 0, "download the pinned wheels into a directory (offline use)" },
    { "init", cmd_init, 0, "shell code: eval \"$(torchshim init bash)\" (zsh, fish)" },
    { "version", cmd_version, 0, "print the version" },
    { "help", cmd_help, 0, "this help" },
    { "--version", cmd_version, CMD_HIDDEN, NULL },
    { "--help", cmd_help, CMD_HIDDEN, NULL },
    { "-h", cmd_help, CMD_HIDDEN, NULL },
};

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: torchshim <command> [args]\n"
           "       torchshim pip|pip3|conda|mamba|micromamba [args]   (run as that tool)\n"
           "       pip ... / conda ...                (through a symlink named so)\n\n"
           "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!(commands[i].flags & CMD_HIDDEN))
            printf("  %-9s %s\n", commands[i].name, commands[i].help);
    printf("\nenvironment: TORCHSHIM_DRY_RUN=1, TORCHSHIM_VERBOSE=1, TORCHSHIM_DISABLE=1,\n"
           "TORCHSHIM_MIRROR=<site>, TORCHSHIM_CONFIG=<file>. See torchshim(1).\n");
    return 0;
}

static int run_own_command(int argc, char **argv)
{
    if (argc < 2)
        return cmd_help(argc, argv), 2;
    const char *name = argv[1];
    enum tool_mode mode = tool_mode_of(name);
    if (mode != MODE_NONE)
        return run_tool(name, mode, NULL, argc - 2, argv + 2);
    if (!strcmp(name, "-v") && argc > 2) {  /* torchshim -v <command> */
        msg_verbose = 1;
        setenv("TORCHSHIM_VERBOSE", "1", 1);
        argv[1] = argv[0];
        return run_own_command(argc - 1, argv + 1);
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    errorf("'%s' is not a torchshim command (see torchshim help)", name);
    return 2;
}

int main(int argc, char **argv)
{
    msg_init_from_env();
    const char *argv0 = argc > 0 && argv[0] ? argv[0] : "torchshim";
    self_identify(&self, argv0);

    const char *slash = strrchr(argv0, '/');
    const char *base = slash ? slash + 1 : argv0;
    /* Login shells prefix argv[0] with '-'. */
    if (base[0] == '-')
        base++;
    enum tool_mode mode = tool_mode_of(base);
    if (mode != MODE_NONE) {
        char dir[PATH_MAX] = "";
        if (slash && (size_t)(slash - argv0) < sizeof dir)
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - argv0), argv0);
        return run_tool(base, mode, dir[0] ? dir : NULL, argc - 1, argv + 1);
    }
    return run_own_command(argc, argv);
}
