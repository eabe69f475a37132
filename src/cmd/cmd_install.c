/* cmd_install.c — torchshim install: the tutorials' whole checklist in one
 * command. Detect the GPU and driver, choose the variant the requested torch
 * was published for and the driver runs, choose pip or conda, read the target
 * Python, resolve exact packages on the mirrors, print the plan, and answer
 * the front end with the command to exec (the same path as the shim).
 *
 *   torchshim install [--backend auto|cpu|cuXYZ|rocmX.Y] [--tool pip|conda]
 *                     [--python X.Y] [--mirror SITE] [--dry-run] [-y]
 *                     [PKG...] [-- TOOL OPTIONS...]
 * PKG defaults to torch torchvision torchaudio (pytorch ... for conda). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "condaroute.h"
#include "condaselect.h"
#include "config.h"
#include "cudatable.h"
#include "detect.h"
#include "findtool.h"
#include "msg.h"
#include "pairing.h"
#include "pep508.h"
#include "pipplan.h"
#include "plan.h"
#include "proto.h"
#include "pytarget.h"
#include "quote.h"

/* The torch release a request means: the user's spec on torch/pytorch
 * matched against the pairing table, newest first (NULL spec: the newest). */
static const struct pairing_row *requested_row(const struct pairing_table *t,
                                               const struct strv *pkgs, int py_major,
                                               int py_minor)
{
    struct pep440_specset *spec = NULL;
    struct pep508_req r;
    for (size_t i = 0; i < pkgs->n && !spec; i++) {
        if (pep508_parse(pkgs->v[i], &r, NULL) == PEP508_OK &&
            (!strcmp(r.norm_name, "torch") || !strcmp(r.norm_name, "pytorch"))) {
            spec = xmalloc(sizeof *spec);
            *spec = r.spec;
            memset(&r.spec, 0, sizeof r.spec);
        }
        pep508_free(&r);
    }
    const struct pairing_row *best = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const struct pairing_row *row = &t->rows[i];
        if (spec && !pep440_specset_match(spec, &row->version[PAIRING_TORCH], 0))
            continue;
        if (py_major && !pairing_python_ok(row, py_major, py_minor))
            continue;
        if (!best || pep440_cmp(&row->version[PAIRING_TORCH], &best->version[PAIRING_TORCH]) > 0)
            best = row;
    }
    if (spec) {
        pep440_specset_free(spec);
        free(spec);
    }
    return best;
}

/* conda calls torch "pytorch". */
static char *conda_name(const char *pkg)
{
    if (!strncmp(pkg, "torch", 5) && (!pkg[5] || !strchr("abcdefghijklmnopqrstuvwxyz-_", pkg[5])))
        return xasprintf("pytorch%s", pkg + 5);
    return xstrdup(pkg);
}

static int confirm(void)
{
    fprintf(stderr, "Proceed? [Y/n] ");
    fflush(stderr);
    char line[32];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return line[0] == '\n' || line[0] == 'y' || line[0] == 'Y';
}

enum { OPT_BACKEND = 100, OPT_TOOL, OPT_PYTHON, OPT_MIRROR, OPT_DRY_RUN, OPT_YES };

static const struct optdef install_opts[] = {
    { "backend", 0, 1, OPT_BACKEND },
    { "tool", 0, 1, OPT_TOOL },
    { "python", 0, 1, OPT_PYTHON },
    { "mirror", 0, 1, OPT_MIRROR },
    { "dry-run", 0, 0, OPT_DRY_RUN },
    { "yes", 'y', 0, OPT_YES },
    OPTDEF_END,
};

/* Everything install decides, stage by stage. */
struct install {
    struct plan p;
    const char *tool;              /* --tool, or NULL */
    struct strv pkgs;              /* the user's packages (pip names) */
    struct detect_result det;
    struct cudatable table;
    int have_table;
    struct pairing_table pairing;
    int have_pairing;
    const struct pairing_row *row; /* the torch release meant, when the table knows it */
    char variant[32], why[256];    /* the variant chosen and why */
    char *real;                    /* the real pip / conda */
    struct pipplan pp;             /* pip: what the mirror offers this machine */
};

/* Options into the plan: 0, or the engine's exit status after a usage error. */
static int read_options(struct cmd_ctx *c, struct install *in, int *done)
{
    const char *backend = cmd_opt(c, OPT_BACKEND);
    *done = 1;
    in->tool = cmd_opt(c, OPT_TOOL);
    in->p.python = cmd_opt(c, OPT_PYTHON);
    c->ans.dry_run = cmd_has(c, OPT_DRY_RUN);
    if (cmd_opt(c, OPT_MIRROR))
        setenv("TORCHSHIM_MIRROR", cmd_opt(c, OPT_MIRROR), 1);
    if (in->tool && strcmp(in->tool, "pip") && strcmp(in->tool, "conda"))
        return cmd_usage_error(c, "--tool %s: pip or conda", in->tool);
    const char *from = "--backend";
    if (!backend) {
        backend = getenv("TORCHSHIM_BACKEND");  /* pip and conda alike */
        from = "TORCHSHIM_BACKEND=";
        if (backend && !*backend)
            backend = NULL;
    }
    if (backend && strcmp(backend, "auto") && plan_set_backend(&in->p, backend))
        return cmd_usage_error(c, "%s%s%s: expected auto, cpu, cuXYZ (cu121) or rocmX.Y (rocm6.1)",
                               from, from[0] == '-' ? " " : "", backend);
    strv_extend(&in->p.extra, c->rest, (size_t)c->nrest);
    strv_extend(&in->pkgs, c->args.v, c->args.n);
    if (!in->pkgs.n) {
        strv_push(&in->pkgs, "torch");
        strv_push(&in->pkgs, "torchvision");
        strv_push(&in->pkgs, "torchaudio");
    }
    *done = 0;
    return 0;
}

/* The tool: pip unless asked, or inside a conda env for a release the
 * pytorch channel has (it stopped at 2.5.1; the table says which release a
 * request means, when it knows: an unknown one is newer). */
static void choose_tool(const struct config *cfg, struct install *in)
{
    char *err = NULL, *ppath = config_data_file(cfg, "pairing.tsv");
    in->have_pairing = pairing_load(ppath, &in->pairing, &err) == 0;
    free(ppath);
    if (!in->have_pairing) {
        verbosef("%s (only a fast path)", err);
        free(err);
    }
    int py_major = 0, py_minor = 0;
    if (in->p.python)
        sscanf(in->p.python, "%d.%d", &py_major, &py_minor);
    in->row = in->have_pairing ? requested_row(&in->pairing, &in->pkgs, py_major, py_minor)
                               : NULL;
    if (in->tool) {
        in->p.tool = !strcmp(in->tool, "conda") ? TOOL_CONDA : TOOL_PIP;
    } else {
        /* conda inside a conda environment: the pytorch channel for its
         * releases, conda-forge (when a mirror carries it) for newer ones */
        in->p.tool = getenv("CONDA_PREFIX") &&
                             conda_route_available(cfg, in->row ? in->row->text[PAIRING_TORCH]
                                                                : NULL)
                         ? TOOL_CONDA
                         : TOOL_PIP;
    }
}

/* conda: the newest pytorch-cuda (or, on conda-forge, cuda-version) the
 * driver runs, else CPU. */
static void choose_conda_variant(struct install *in)
{
    const struct detect_result *det = &in->det;
    char *maxcuda = NULL;
    if (det->kind == DETECT_CUDA &&
        (det->cuda_version || (in->have_table && det->driver &&
                               cudatable_max_cuda(&in->table, det->driver, 0, &maxcuda) == 0))) {
        const char *cv = det->cuda_version ? det->cuda_version : maxcuda;
        char cu[16];
        int maj = 0, min = 0;
        sscanf(cv, "%d.%d", &maj, &min);
        snprintf(cu, sizeof cu, "cu%d%d", maj, min);
        plan_set_backend(&in->p, cu);
        in->p.cuda_is_max = 1;
        snprintf(in->variant, sizeof in->variant, "cuda <= %s", cv);
        snprintf(in->why, sizeof in->why, "driver %s runs CUDA up to %s: pytorch-cuda (pytorch "
                 "channel) or cuda-version (conda-forge) at most that",
                 det->driver ? det->driver : "?", cv);
        free(maxcuda);
        return;
    }
    plan_set_backend(&in->p, "cpu");
    snprintf(in->variant, sizeof in->variant, "cpu");
    snprintf(in->why, sizeof in->why, "%s", det->kind == DETECT_CPU
                                                ? "no NVIDIA GPU found"
                                                : "the conda channels have no ROCm builds");
}

/* The user's torch requirement (torch / pytorch), or a bare "torch". */
static void torch_request(const struct strv *pkgs, struct pep508_req *r)
{
    for (size_t i = 0; i < pkgs->n; i++) {
        if (pep508_parse(pkgs->v[i], r, NULL) == PEP508_OK &&
            (!strcmp(r->norm_name, "torch") || !strcmp(r->norm_name, "pytorch"))) {
            free(r->name);
            free(r->norm_name);
            r->name = xstrdup("torch");
            r->norm_name = xstrdup("torch");
            return;
        }
        pep508_free(r);
    }
    pep508_parse("torch", r, NULL);
}

/* pip: the best variant this machine runs that the mirror carries torch for. */
static int choose_pip_variant(const struct config *cfg, struct install *in)
{
    struct wheel_target t;
    struct pep508_req torch;
    char *err = NULL;
    if (pytarget_init(&t, in->real, in->p.python, NULL, &err)) {
        errorf("%s", err);
        free(err);
        return -1;
    }
    torch_request(&in->pkgs, &torch);
    int r = pipplan_choose(cfg, &in->det, in->have_table ? &in->table : NULL,
                           in->have_pairing ? &in->pairing : NULL,
                           in->p.backend[0] ? in->p.backend : NULL, &torch, &t, &in->pp, &err);
    cmd_say(&in->pp.warnings, NULL);
    pep508_free(&torch);
    wheel_target_free(&t);
    if (r) {
        errorf("%s", err);
        free(err);
        return -1;
    }
    plan_set_backend(&in->p, in->pp.variant);
    snprintf(in->variant, sizeof in->variant, "%s", in->pp.variant);
    snprintf(in->why, sizeof in->why, "%s", in->pp.why ? in->pp.why : in->pp.variant);
    return 0;
}

static int choose_variant(const struct config *cfg, struct install *in)
{
    if (in->p.tool == TOOL_PIP)
        return choose_pip_variant(cfg, in);
    if (in->p.backend[0]) {
        snprintf(in->variant, sizeof in->variant, "%s", in->p.backend);
        snprintf(in->why, sizeof in->why, "%s: asked for", in->p.backend);
    } else {
        choose_conda_variant(in);
    }
    return 0;
}

/* The real tool, as the shim would find it (never torchshim itself). */
static int find_real_tool(struct install *in)
{
    struct self_id self;
    char name[32];
    self_identify_path(&self, getenv("TORCHSHIM_FRONT"));
    if (in->p.tool == TOOL_PIP && in->p.python)
        snprintf(name, sizeof name, "pip%s", in->p.python);
    else
        snprintf(name, sizeof name, "%s", in->p.tool == TOOL_PIP ? "pip" : "conda");
    char *err = NULL;
    if (findtool_locate(name, in->p.tool == TOOL_PIP ? MODE_PIP : MODE_CONDA, &self, NULL,
                        &in->real, &err) == 0)
        return 0;
    errorf("%s", err);
    free(err);
    return -1;
}

static void say_plan(const struct install *in)
{
    const struct detect_result *det = &in->det;
    for (size_t g = 0; g < det->ngpus; g++)
        notef("GPU:      %s%s%s%s", det->gpus[g].name ? det->gpus[g].name : "NVIDIA GPU",
              det->gpus[g].compute_cap ? " (compute capability " : "",
              det->gpus[g].compute_cap ? det->gpus[g].compute_cap : "",
              det->gpus[g].compute_cap ? ")" : "");
    if (det->driver)
        notef("driver:   %s%s%s%s", det->driver, det->cuda_version ? " (runs CUDA up to " : "",
              det->cuda_version ? det->cuda_version : "", det->cuda_version ? ")" : "");
    else if (det->kind == DETECT_ROCM)
        notef("ROCm:     %s", det->rocm_version_full ? det->rocm_version_full : "present");
    else if (!det->ngpus)
        notef("GPU:      none found: the CPU build");
    if (!strncmp(in->why, in->variant, strlen(in->variant)))
        notef("variant:  %s", in->why);
    else
        notef("variant:  %s (%s)", in->variant, in->why);
    for (size_t i = 0; i < in->pp.notes.n; i++)
        notef("          %s", in->pp.notes.v[i]);
    notef("tool:     %s (%s)", in->p.tool == TOOL_PIP ? "pip" : "conda", in->real);
    if (in->p.python)
        notef("Python:   %s", in->p.python);
}

/* The torch the command pins, and where the mirror's newest stands. */
static void say_torch(const struct install *in, const struct strv *argv)
{
    const char *pin = NULL;
    for (size_t i = 1; i < argv->n && !pin; i++)
        if (!strncmp(argv->v[i], "torch==", 7) || !strncmp(argv->v[i], "pytorch=", 8))
            pin = argv->v[i] + (argv->v[i][0] == 't' ? 7 : 8);
    if (!pin)
        return;
    if (in->pp.torch && strcmp(in->pp.torch, pin))
        notef("torch:    %s (the mirror's newest for %s is %s; the companions asked for go "
              "with %s)", pin, in->variant, in->pp.torch, pin);
    else if (in->pp.site)
        notef("torch:    %s (the newest on the mirror '%s' for %s)", pin, in->pp.site->name,
              in->variant);
    else
        notef("torch:    %s", pin);
}

/* Resolve, show, confirm, answer. */
static int resolve_and_answer(struct cmd_ctx *c, struct install *in)
{
    struct strv specs = STRV_INIT;
    for (size_t k = 0; k < in->pkgs.n; k++)
        strv_push_take(&specs, in->p.tool == TOOL_CONDA ? conda_name(in->pkgs.v[k])
                                                       : xstrdup(in->pkgs.v[k]));
    struct run_result res = RUN_RESULT_INIT;
    enum run_outcome o = plan_command(&in->p, &c->cfg, in->real, (int)specs.n, specs.v, &res);
    int r = cmd_plan_said(&res, o);
    if (r == 0) {
        say_torch(in, &res.argv);
        char *line = shell_join(res.argv.v + 1, res.argv.n - 1);
        notef("command:  %s", line);
        free(line);
        int ask = !c->ans.dry_run && !cmd_has(c, OPT_YES) && isatty(STDIN_FILENO);
        if (ask && c->ans.fd >= 0)
            proto_write_deadline(c->ans.fd, 0);  /* the user takes their time */
        if (ask && !confirm()) {
            notef("nothing installed");
            r = 1;
        } else {
            r = answer_exec(&c->ans, &res.argv, NULL);
        }
    }
    run_result_free(&res);
    strv_clear(&specs);
    return r;
}

static int run(struct cmd_ctx *c)
{
    struct install in;
    memset(&in, 0, sizeof in);
    struct plan init = PLAN_INIT;
    in.p = init;
    int done, r = read_options(c, &in, &done);
    if (done)
        goto out;
    detect_backend_flags(&in.det, DETECT_IGNORE_ENV, NULL);
    in.have_table = cudatable_load_default(&in.table, NULL) == 0;
    r = 1;
    choose_tool(&c->cfg, &in);
    if (find_real_tool(&in) || choose_variant(&c->cfg, &in))
        goto out;
    say_plan(&in);
    r = resolve_and_answer(c, &in);
out:
    pipplan_free(&in.pp);
    pairing_free(&in.pairing);
    if (in.have_table)
        cudatable_free(&in.table);
    detect_result_free(&in.det);
    strv_clear(&in.pkgs);
    strv_clear(&in.p.extra);
    free(in.real);
    /* the reason was said; the front end runs nothing and exits with r */
    return r && c->ans.fd >= 0 ? answer_quit(&c->ans, r) : r;
}

const struct engine_cmd cmd_install = {
    "install", run, CMD_CONFIG | CMD_ANSWERS | CMD_NETWORK, install_opts,
    "usage: torchshim install [--backend auto|cpu|cuXYZ|rocmX.Y] [--tool pip|conda]\n"
    "                         [--python X.Y] [--mirror SITE] [--dry-run] [-y]\n"
    "                         [PKG...] [-- TOOL OPTIONS...]\n"
    "\n"
    "Install PKG (default: torch torchvision torchaudio) for this machine: the\n"
    "GPU and driver are detected, the variant and the exact packages chosen\n"
    "from the mirrors, the plan shown, and pip or conda run.\n"
    "\n"
    "  --backend V     cpu, cu121, rocm6.1, ... instead of detecting\n"
    "                  (also TORCHSHIM_BACKEND)\n"
    "  --tool T        pip or conda (default: conda inside a conda environment for\n"
    "                  releases the pytorch channel has, else pip)\n"
    "  --python X.Y    the target Python\n"
    "  --mirror SITE   use this mirror site for every role\n"
    "  --dry-run       print the command instead of running it\n"
    "  -y, --yes       do not ask\n",
};
