/* condachan.c — see condachan.h. */
#include "condachan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "urlmap.h"

#define REPO_ANACONDA "https://repo.anaconda.com/"

static int all_official_defaults(const struct strv *urls)
{
    for (size_t i = 0; i < urls->n; i++)
        if (strncmp(urls->v[i], REPO_ANACONDA, strlen(REPO_ANACONDA)))
            return 0;
    return urls->n > 0;
}

void conda_chan_resolve(const struct conda_chans *c, const char *value, const char *source,
                        struct conda_chan *ch)
{
    memset(ch, 0, sizeof *ch);
    ch->value = xstrdup(value);
    ch->source = source ? xstrdup(source) : NULL;
    struct strv urls = STRV_INIT;
    enum condarc_via via;
    if (c->have_rc) {
        via = condarc_channel_resolve(&c->rc, value, &urls, NULL);
    } else {
        /* no configuration read: conda's defaults */
        via = !strcmp(value, "defaults") ? CONDARC_VIA_DEFAULTS : CONDARC_VIA_ALIAS;
        if (via == CONDARC_VIA_ALIAS && urlmap_conda_channel(value, ch->name, sizeof ch->name))
            strv_pushf(&urls, "%s/%s", CONDARC_DEFAULT_ALIAS, value);
        else if (strstr(value, "://"))
            strv_push(&urls, value);
    }
    if (urls.n)
        ch->url = xstrdup(urls.v[0]);
    if (via == CONDARC_VIA_DEFAULTS) {
        if (!c->have_rc || all_official_defaults(&urls))
            snprintf(ch->name, sizeof ch->name, "defaults");
    } else if (ch->url && !urlmap_conda_channel(ch->url, ch->name, sizeof ch->name)) {
        ch->name[0] = '\0';          /* the user's own server: not ours to move */
    }
    strv_clear(&urls);
}

void conda_chan_clear(struct conda_chan *ch)
{
    free(ch->value);
    free(ch->source);
    free(ch->url);
    memset(ch, 0, sizeof *ch);
}

static void chans_add(struct conda_chans *c, const char *value, const char *source)
{
    c->v = xrealloc(c->v, (c->n + 1) * sizeof *c->v);
    conda_chan_resolve(c, value, source, &c->v[c->n++]);
}

/* conda or libmamba, from the tool's file name. */
static enum condarc_tool tool_of(const char *exe)
{
    const char *base = exe ? strrchr(exe, '/') : NULL;
    base = base ? base + 1 : exe ? exe : "conda";
    return strstr(base, "mamba") ? CONDARC_MAMBA : CONDARC_CONDA;
}

static void load_rc(struct conda_chans *c, const char *tool_exe, const char *env_prefix)
{
    struct condarc_roots roots;
    condarc_roots_from_env(&roots, tool_of(tool_exe), tool_exe, env_prefix);
    int bad = condarc_load(&c->rc, &roots);
    condarc_roots_free(&roots);
    c->have_rc = 1;
    for (size_t i = 0; bad && i < c->rc.nfiles; i++)
        if (c->rc.files[i].error)
            strv_pushf(&c->notes, "conda configuration %s left out: %s", c->rc.files[i].path,
                       c->rc.files[i].error);
    c->override_enabled = condarc_override_channels_enabled(&c->rc);
}

void conda_chans_load(struct conda_chans *out, const struct cmdline *cl, int channel_opt_id,
                      int override_channels, const char *tool_exe, const char *env_prefix)
{
    memset(out, 0, sizeof *out);
    out->override_channels = override_channels;
    out->override_enabled = 1;
    load_rc(out, tool_exe, env_prefix);
    for (size_t i = 0; i < cl->n; i++) {
        const struct cmd_item *it = &cl->items[i];
        if (it->kind == IT_OPTION && it->opt->id == channel_opt_id && it->value)
            chans_add(out, it->value, NULL);
    }
    out->ncmd = out->n;
    if (override_channels)
        return;
    /* conda's built-in default ([defaults]) is not the user's choice: only
     * channels a file or a variable sets count */
    for (size_t i = 0; i < out->rc.channels.n; i++) {
        const struct condarc_entry *e = &out->rc.channels.v[i];
        if (strcmp(e->source, CONDARC_BUILTIN))
            chans_add(out, e->value, e->source);
    }
}

void conda_chans_free(struct conda_chans *c)
{
    for (size_t i = 0; i < c->n; i++)
        conda_chan_clear(&c->v[i]);
    free(c->v);
    if (c->have_rc)
        condarc_free(&c->rc);
    strv_clear(&c->notes);
    memset(c, 0, sizeof *c);
}
