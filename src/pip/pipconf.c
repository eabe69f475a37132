/* pipconf.c — see pipconf.h. */
#include "pipconf.h"

#include <ini.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "msg.h"
#include "strv.h"

static const char *const key_names[PC_NKEYS] = { "index-url", "extra-index-url", "find-links",
                                                 "no-index" };

const char *pipconf_key_name(enum pipconf_key k)
{
    return k < PC_NKEYS ? key_names[k] : "?";
}

/* One file's values: [global] and the subcommand's section apart. */
struct file_ctx {
    const char *subcmd;
    char *val[2][PC_NKEYS];    /* [0] global, [1] the subcommand's */
    char prev[160];            /* "section\nkey" of the last entry: continuations */
};

static int key_of(const char *key)
{
    char norm[64];
    size_t n = 0;
    for (; key[n] && n + 1 < sizeof norm; n++)
        norm[n] = key[n] == '_' ? '-' : key[n];
    norm[n] = '\0';
    for (int k = 0; k < PC_NKEYS; k++)
        if (!strcmp(norm, key_names[k]))
            return k;
    return -1;
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    struct file_ctx *x = user;
    int which = !strcmp(section, "global") ? 0 : !strcmp(section, x->subcmd) ? 1 : -1;
    int k = key_of(key);
    char here[160];
    snprintf(here, sizeof here, "%s\n%s", section, key);
    int continued = !strcmp(here, x->prev);
    snprintf(x->prev, sizeof x->prev, "%s", here);
    if (which < 0 || k < 0)
        return 1;
    char **dst = &x->val[which][k];
    if (continued && *dst) {
        char *joined = xasprintf("%s %s", *dst, value);
        free(*dst);
        *dst = joined;
    } else {
        free(*dst);
        *dst = xstrdup(value);
    }
    return 1;
}

static void load_one(struct pipconf *pc, const char *path, const char *subcmd)
{
    char *text = NULL;
    if (file_read(path, PIPCONF_MAX_FILE, &text, NULL, NULL) != 0)
        return;
    struct file_ctx x = { .subcmd = subcmd };
    ini_parse_string(text, on_entry, &x);
    free(text);
    for (int k = 0; k < PC_NKEYS; k++) {
        char *v = x.val[1][k] ? x.val[1][k] : x.val[0][k];
        if (v) {
            free(pc->value[k]);
            free(pc->origin[k]);
            pc->value[k] = xstrdup(v);
            pc->origin[k] = xstrdup(path);
        }
        free(x.val[0][k]);
        free(x.val[1][k]);
    }
}

static void config_files(const char *real_pip, struct strv *files)
{
    const char *dirs = getenv("XDG_CONFIG_DIRS");
    char *dup = xstrdup(dirs && *dirs ? dirs : "/etc/xdg"), *save = NULL;
    for (char *d = strtok_r(dup, ":", &save); d; d = strtok_r(NULL, ":", &save))
        strv_pushf(files, "%s/pip/pip.conf", d);
    free(dup);
    strv_push(files, "/etc/pip.conf");
    const char *home = getenv("HOME");
    if (home && home[0] == '/') {
        strv_pushf(files, "%s/.pip/pip.conf", home);
        const char *xdg = getenv("XDG_CONFIG_HOME");
        if (xdg && xdg[0] == '/')
            strv_pushf(files, "%s/pip/pip.conf", xdg);
        else
            strv_pushf(files, "%s/.config/pip/pip.conf", home);
    }
    if (real_pip && real_pip[0] == '/') {
        char *a = xstrdup(real_pip);
        char *bin = xstrdup(dirname(a));
        strv_pushf(files, "%s/pip.conf", dirname(bin));
        free(bin);
        free(a);
    }
}

void pipconf_load(struct pipconf *pc, const char *real_pip, const char *subcmd)
{
    memset(pc, 0, sizeof *pc);
    const char *env = getenv("PIP_CONFIG_FILE");
    if (env && !strcmp(env, "/dev/null"))
        return;
    struct strv files = STRV_INIT;
    config_files(real_pip, &files);
    if (env && *env)
        strv_push(&files, env);
    for (size_t i = 0; i < files.n; i++)
        load_one(pc, files.v[i], subcmd ? subcmd : "install");
    strv_clear(&files);
}

void pipconf_free(struct pipconf *pc)
{
    for (int k = 0; k < PC_NKEYS; k++) {
        free(pc->value[k]);
        free(pc->origin[k]);
    }
    memset(pc, 0, sizeof *pc);
}
