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

/* Is VALUE (a -c value or a "chan::" prefix) an official channel, as the
 * tool will read it? Without the configuration read: by its spelling. */
static int official(const struct conda_job *job, const char *value)
{
    char name[64];
    if (!job->have_chans)
        return urlmap_conda_channel(value, name, sizeof name);
    struct conda_chan ch;
    conda_chan_resolve(&job->chans, value, NULL, &ch);
    int r = ch.name[0] != '\0';
    conda_chan_clear(&ch);
    return r;
}

/* -c VALUE -> -c MIRROR (or several, for defaults). Returns the items used. */
static size_t rewrite_option(struct conda_job *job, size_t i)
{
    struct cmd_item *it = &job->cl.items[i];
    struct strv urls = STRV_INIT;
    size_t used = 1;
    if (official(job, it->value) &&
        conda_map_channel(job->cfg, job->conda_site, it->value, &urls)) {
        const struct optdef *opt = it->opt;
        strv_pushf(&job->notes, "-c %s -> -c %s", it->value, urls.v[0]);
        cmdline_set_option(it, opt, "-c", urls.v[0]);
        for (size_t k = 1; k < urls.n; k++) {
            /* may move the items: `it` is not used after this */
            cmdline_set_option(cmdline_insert(&job->cl, i + k), opt, "-c", urls.v[k]);
            strv_pushf(&job->notes, "   and -c %s", urls.v[k]);
        }
        strv_extend(&job->channels, urls.v, urls.n);
        used = urls.n;
    } else {
        strv_push(&job->channels, it->value);
    }
    strv_clear(&urls);
    return used;
}

/* pytorch::pytorch -> <mirror>/pytorch::pytorch (the spec's identity kept). */
static void rewrite_prefix(struct conda_job *job, struct cmd_item *it)
{
    const char *sep = strstr(it->value, "::");
    char *chan = xstrndup(it->value, (size_t)(sep - it->value));
    struct strv urls = STRV_INIT;
    if (official(job, chan) && conda_map_channel(job->cfg, job->conda_site, chan, &urls) == 1) {
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

/* Channels from the configuration files (no --override-channels in the
 * command): when one of them is an official channel we mirror, they all
 * become -c options after the command's own, in the configuration's order,
 * and --override-channels is added: the tool reads the same list, in the
 * same order, with the mirrors in it. */
static void rewrite_config_channels(struct conda_job *job)
{
    const struct conda_chans *c = &job->chans;
    struct strv add = STRV_INIT;
    int moved = 0;
    for (size_t k = c->ncmd; k < c->n; k++) {
        struct strv urls = STRV_INIT;
        const struct conda_chan *ch = &c->v[k];
        if (ch->name[0] && conda_map_channel(job->cfg, job->conda_site, ch->value, &urls)) {
            moved |= strcmp(ch->name, "defaults") != 0;
            strv_pushf(&job->notes, "%s (from %s) -> -c %s", ch->value, ch->source, urls.v[0]);
            strv_extend(&add, urls.v, urls.n);
        } else {
            strv_push(&add, ch->value);
        }
        strv_clear(&urls);
    }
    if (moved && !c->override_enabled)
        strv_push(&job->notes, "the configuration does not allow --override-channels: its "
                  "channels are left as they are");
    if (moved && c->override_enabled) {
        size_t at = cmdline_options_end(&job->cl);
        for (size_t k = 0; k < add.n; k++) {
            cmdline_set_option(cmdline_insert(&job->cl, at++), condacmd_option(CONDA_CHANNEL),
                               "-c", add.v[k]);
            strv_push(&job->channels, add.v[k]);
        }
        cmdline_set_option(cmdline_insert(&job->cl, at),
                           condacmd_option(CONDA_OVERRIDE_CHANNELS), "--override-channels",
                           NULL);
        strv_push(&job->notes, "added --override-channels: the configuration's channels are "
                  "now in the command, in the same order");
    }
    strv_clear(&add);
}

void conda_job_apply_pins(struct conda_job *job)
{
    for (size_t s = 0; s < job->nspecs; s++) {
        struct conda_spec *sp = &job->specs[s];
        for (size_t i = 0; sp->replacement && sp->item && i < job->cl.n; i++)
            if (job->cl.items[i].value == sp->item) {
                cmdline_set_positional(&job->cl.items[i], sp->replacement);
                sp->item = job->cl.items[i].value;
                free(sp->replacement);   /* applied: the item holds it now */
                sp->replacement = NULL;
                break;
            }
    }
}

void conda_job_rewrite_channels(struct conda_job *job)
{
    strv_clear(&job->channels);
    for (size_t i = 0; i < job->cl.n; i++) {
        struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_OPTION && it->opt->id == CONDA_CHANNEL)
            i += rewrite_option(job, i) - 1;
        else if (it->kind == IT_POSITIONAL && it->value && strstr(it->value, "::"))
            rewrite_prefix(job, it);
    }
    if (job->have_chans && !job->override_channels)
        rewrite_config_channels(job);
}

void conda_job_set_pins(struct conda_job *job, const struct strv *specs, size_t n_added,
                        const char *prefix)
{
    size_t nuser = specs->n - n_added;
    for (size_t i = 0; i < nuser && i < job->nspecs; i++) {
        struct conda_spec *sp = &job->specs[i];
        if (!strcmp(specs->v[i], sp->text))
            continue;
        char *pin = prefix && !sp->ms.channel ? xasprintf("%s::%s", prefix, specs->v[i])
                                              : xstrdup(specs->v[i]);
        strv_pushf(&job->notes, "%s -> %s", sp->text, pin);
        if (sp->item) {
            free(sp->replacement);
            sp->replacement = pin;
        } else {
            conda_job_add_spec(job, pin);  /* from --file: conda merges */
            free(pin);
        }
    }
    for (size_t i = nuser; i < specs->n; i++) {
        strv_pushf(&job->notes, "added %s", specs->v[i]);
        conda_job_add_spec(job, specs->v[i]);
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
    for (size_t k = 0; job->have_chans && k < job->chans.n; k++)
        if (!strcmp(job->chans.v[k].value, value) || !strcmp(job->chans.v[k].name, value))
            return;                  /* the tool reads it already (maybe from its configuration) */
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
    conda_job_apply_pins(job);       /* done already when the channels were rewritten */
    strv_push(argv, real);
    cmdline_to_argv(&job->cl, argv);
}
