/* rewrite_conda.c — see rewrite_conda.h. */
#include "rewrite_conda.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "condacmd.h"
#include "msg.h"
#include "urlmap.h"

int conda_map_channel(const struct config *cfg, const struct site *conda_site, const char *value,
                      struct strv *out)
{
    char name[128];
    if (!urlmap_conda_channel(value, name, sizeof name))
        return 0;
    if (!strcmp(name, "nvidia")) {
        const struct site *s = config_site_for(cfg, ROLE_NVIDIA);
        if (!s || site_is_official(s))
            return 0;
        strv_push(out, s->url[ROLE_NVIDIA]);
        return 1;
    }
    const struct site *s = conda_site;
    if (!s || site_is_official(s))
        return 0;
    if (!strcmp(name, "defaults")) {
        if (!s->defaults)
            return 0;
        int n = 0;
        char *dup = xstrdup(s->defaults), *save = NULL;
        for (char *u = strtok_r(dup, " \t", &save); u; u = strtok_r(NULL, " \t", &save), n++)
            strv_push(out, u);
        free(dup);
        return n;
    }
    if (!site_serves_channel(s, name))
        return 0;
    /* keep a label path: pytorch/label/nightly */
    const char *rest = strstr(value, name);
    rest = rest ? rest + strlen(name) : "";
    size_t rl = strlen(rest);
    while (rl && rest[rl - 1] == '/')
        rl--;
    strv_pushf(out, "%s/%s%.*s", s->url[ROLE_CONDA], name, (int)rl, rest);
    return 1;
}

void conda_job_rewrite_channels(struct conda_job *job)
{
    strv_clear(&job->channels);
    for (size_t i = 0; i < job->cl.n; i++) {
        struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_OPTION && it->opt->id == CONDA_CHANNEL) {
            struct strv urls = STRV_INIT;
            if (conda_map_channel(job->cfg, job->conda_site, it->value, &urls)) {
                const struct optdef *opt = it->opt;
                strv_pushf(&job->notes, "-c %s -> -c %s", it->value, urls.v[0]);
                cmdline_set_option(it, opt, "-c", urls.v[0]);
                for (size_t k = 1; k < urls.n; k++) {
                    /* may move the items: `it` is not used after this */
                    cmdline_set_option(cmdline_insert(&job->cl, i + k), opt, "-c", urls.v[k]);
                    strv_pushf(&job->notes, "   and -c %s", urls.v[k]);
                }
                strv_extend(&job->channels, urls.v, urls.n);
                i += urls.n - 1;
            } else {
                strv_push(&job->channels, it->value);
            }
            strv_clear(&urls);
        } else if (it->kind == IT_POSITIONAL && it->value && strstr(it->value, "::")) {
            /* pytorch::pytorch -> <mirror>/pytorch::pytorch */
            const char *sep = strstr(it->value, "::");
            char *chan = xstrndup(it->value, (size_t)(sep - it->value));
            struct strv urls = STRV_INIT;
            if (conda_map_channel(job->cfg, job->conda_site, chan, &urls) == 1) {
                char *spec = xasprintf("%s%s", urls.v[0], sep);
                strv_pushf(&job->notes, "%s -> %s", it->value, spec);
                struct conda_spec *owner = NULL;
                for (size_t s = 0; s < job->nspecs; s++)
                    if (job->specs[s].item == it->value)
                        owner = &job->specs[s];
                cmdline_set_positional(it, spec);  /* frees the old value */
                if (owner)
                    owner->item = it->value;
                free(spec);
            }
            strv_clear(&urls);
            free(chan);
        }
    }
}

void conda_job_add_spec(struct conda_job *job, const char *spec)
{
    /* after the last spec, where a person would have written it */
    size_t end = cmdline_options_end(&job->cl), at = end;
    for (size_t i = 0; i < end; i++)
        if (job->cl.items[i].kind == IT_POSITIONAL)
            at = i + 1;
    cmdline_set_positional(cmdline_insert(&job->cl, at), spec);
}

void conda_job_add_channel(struct conda_job *job, const char *value)
{
    for (size_t i = 0; i < job->cl.n; i++) {
        const struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_OPTION && it->opt->id == CONDA_CHANNEL && !strcmp(it->value, value))
            return;
    }
    struct strv urls = STRV_INIT;
    if (!conda_map_channel(job->cfg, job->conda_site, value, &urls))
        strv_push(&urls, value);
    for (size_t k = 0; k < urls.n; k++) {
        int have = 0;
        for (size_t i = 0; i < job->cl.n; i++) {
            const struct cmd_item *it = &job->cl.items[i];
            have |= it->kind == IT_OPTION && it->opt->id == CONDA_CHANNEL &&
                    !strcmp(it->value, urls.v[k]);
        }
        if (!have) {
            cmdline_set_option(cmdline_insert(&job->cl, cmdline_options_end(&job->cl)),
                               condacmd_option(CONDA_CHANNEL), "-c", urls.v[k]);
            strv_push(&job->channels, urls.v[k]);
            strv_pushf(&job->notes, "added -c %s (the packages pytorch-cuda needs live there)",
                       urls.v[k]);
        }
    }
    strv_clear(&urls);
}

void conda_job_emit(struct conda_job *job, const char *real, struct strv *argv)
{
    for (size_t s = 0; s < job->nspecs; s++) {
        struct conda_spec *sp = &job->specs[s];
        for (size_t i = 0; sp->replacement && sp->item && i < job->cl.n; i++)
            if (job->cl.items[i].value == sp->item)
                cmdline_set_positional(&job->cl.items[i], sp->replacement);
    }
    strv_push(argv, real);
    cmdline_to_argv(&job->cl, argv);
}
