/* condajob.c — see condajob.h. */
#include "condajob.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "condacmd.h"
#include "fileio.h"
#include "msg.h"
#include "pyinfo.h"
#include "str.h"

static void add_spec(struct conda_job *job, const char *text, const char *item)
{
    struct matchspec ms;
    char *err = NULL;
    if (matchspec_parse(text, &ms, &err)) {
        free(err);
        return;  /* conda will say what is wrong with it */
    }
    job->specs = xrealloc(job->specs, (job->nspecs + 1) * sizeof *job->specs);
    struct conda_spec *s = &job->specs[job->nspecs++];
    memset(s, 0, sizeof *s);
    s->text = xstrdup(text);
    s->ms = ms;
    s->family = config_list_has(job->cfg->conda_packages, ms.name);
    s->item = item;
}

/* conda --file: one spec per line, '#' comments; an @EXPLICIT file lists
 * package URLs, which we leave to conda. A regular file of bounded size
 * only: the front end hands pipes over as copies. */
static int read_spec_file(struct conda_job *job, const char *path, char **err)
{
    char *text = NULL;
    int r = file_read(path, CONDA_SPEC_FILE_MAX, &text, NULL, err);
    if (r)
        return r > 0 ? seterr(err, "cannot read %s: %s", path, strerror(ENOENT)) : -1;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *h = strchr(line, '#');
        if (h)
            *h = '\0';
        char *p = str_trim(line);
        if (!*p)
            continue;
        if (!strcmp(p, "@EXPLICIT"))
            break;
        add_spec(job, p, NULL);
    }
    free(text);
    return 0;
}

int conda_job_init(struct conda_job *job, const struct config *cfg, int argc, char *const *args,
                   char **err)
{
    memset(job, 0, sizeof *job);
    job->cfg = cfg;
    job->conda_site = config_site_for(cfg, ROLE_CONDA);
    *err = NULL;
    char *perr = NULL;
    if (condacmd_parse(argc, args, &job->cl, &perr)) {
        seterr(err, "cannot follow this command line: %s", perr);
        free(perr);
        return -1;
    }
    job->subcmd = job->cl.subcmd;
    job->installs = condacmd_installs(job->subcmd);
    if (!job->installs)
        return 0;
    int after_sub = 0;
    for (size_t i = 0; i < job->cl.n; i++) {
        struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_SUBCOMMAND) {
            after_sub = 1;
        } else if (it->kind == IT_POSITIONAL) {
            if (after_sub)
                add_spec(job, it->value, it->value);
        } else if (it->kind == IT_OPTION) {
            switch (it->opt->id) {
            case CONDA_OVERRIDE_CHANNELS: job->override_channels = 1; break;
            case CONDA_NAME: free(job->env_name); job->env_name = xstrdup(it->value); break;
            case CONDA_PREFIX: free(job->env_prefix); job->env_prefix = xstrdup(it->value); break;
            case CONDA_SUBDIR: free(job->subdir); job->subdir = xstrdup(it->value); break;
            case CONDA_CHANNEL: strv_push(&job->channels, it->value); break;
            case CONDA_FILE:
                if (read_spec_file(job, it->value, err))
                    return -1;
                break;
            default: break;
            }
        }
    }
    return 0;
}

void conda_job_free(struct conda_job *job)
{
    cmdline_free(&job->cl);
    for (size_t i = 0; i < job->nspecs; i++) {
        free(job->specs[i].text);
        matchspec_free(&job->specs[i].ms);
        free(job->specs[i].replacement);
    }
    free(job->specs);
    free(job->env_name);
    free(job->env_prefix);
    free(job->subdir);
    strv_clear(&job->channels);
    strv_clear(&job->notes);
    strv_clear(&job->warnings);
    if (job->have_chans)
        conda_chans_free(&job->chans);
    free(job->error);
    memset(job, 0, sizeof *job);
}

int conda_job_is_pytorch(const struct conda_job *job)
{
    if (!job->installs)
        return 0;
    for (size_t i = 0; i < job->nspecs; i++)
        if (job->specs[i].family)
            return 1;
    return 0;
}

char *conda_job_env_prefix(const struct conda_job *job)
{
    if (job->env_prefix)
        return xstrdup(job->env_prefix);
    if (job->env_name) {
        const char *root = getenv("CONDA_ROOT");
        const char *exe = getenv("CONDA_EXE");
        const char *bin = exe ? strstr(exe, "/bin/conda") : NULL;
        if (root && *root)
            return xasprintf("%s/envs/%s", root, job->env_name);
        if (bin)
            return xasprintf("%.*s/envs/%s", (int)(bin - exe), exe, job->env_name);
        return NULL;
    }
    if (job->subcmd && !strcmp(job->subcmd, "create"))
        return NULL;
    const char *cp = getenv("CONDA_PREFIX");
    return cp && *cp ? xstrdup(cp) : NULL;
}

void conda_job_read_channels(struct conda_job *job, const char *real)
{
    if (job->have_chans)
        conda_chans_free(&job->chans);
    char *prefix = conda_job_env_prefix(job);
    conda_chans_load(&job->chans, &job->cl, CONDA_CHANNEL, job->override_channels, real, prefix);
    job->have_chans = 1;
    strv_extend(&job->notes, job->chans.notes.v, job->chans.notes.n);
    free(prefix);
}

char *conda_job_target_python(const struct conda_job *job)
{
    for (size_t i = 0; i < job->nspecs; i++) {
        const struct matchspec *ms = &job->specs[i].ms;
        if (strcmp(ms->name, "python") || !ms->version)
            continue;
        int a, b;
        if (sscanf(ms->version, "%d.%d", &a, &b) == 2)
            return xasprintf("%d.%d", a, b);
        if (sscanf(ms->version, "==%d.%d", &a, &b) == 2 ||
            sscanf(ms->version, ">=%d.%d", &a, &b) == 2)
            return xasprintf("%d.%d", a, b);
    }
    if (!strcmp(job->subcmd, "create"))
        return NULL;  /* a new environment: only the command can say */
    char *prefix = conda_job_env_prefix(job);
    if (!prefix)
        return NULL;
    struct pyinfo pi = PYINFO_INIT;
    char *v = NULL;
    if (pyinfo_from_conda_prefix(prefix, &pi) == 0)
        v = xasprintf("%d.%d", pi.major, pi.minor);
    pyinfo_free(&pi);
    free(prefix);
    return v;
}
