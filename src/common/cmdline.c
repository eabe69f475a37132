/* cmdline.c — see cmdline.h. */
#include "cmdline.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"

struct cmd_item *cmdline_insert(struct cmdline *c, size_t at)
{
    /* c->subcmd points at an item's own value string: unaffected by realloc */
    c->items = xrealloc(c->items, (c->n + 1) * sizeof *c->items);
    if (at > c->n)
        at = c->n;
    memmove(c->items + at + 1, c->items + at, (c->n - at) * sizeof *c->items);
    memset(&c->items[at], 0, sizeof c->items[at]);
    c->items[at].kind = IT_OPTION;
    c->n++;
    return &c->items[at];
}

static struct cmd_item *push(struct cmdline *c, enum item_kind kind)
{
    struct cmd_item *it = cmdline_insert(c, c->n);
    it->kind = kind;
    return it;
}

static void item_free(struct cmd_item *it)
{
    free(it->value);
    strv_clear(&it->words);
}

void cmdline_remove(struct cmdline *c, size_t at)
{
    if (at >= c->n)
        return;
    item_free(&c->items[at]);
    memmove(c->items + at, c->items + at + 1, (c->n - at - 1) * sizeof *c->items);
    c->n--;
}

void cmdline_free(struct cmdline *c)
{
    for (size_t i = 0; i < c->n; i++)
        item_free(&c->items[i]);
    free(c->items);
    memset(c, 0, sizeof *c);
}

void cmdline_set_words(struct cmd_item *it, const char *w0, const char *w1)
{
    strv_clear(&it->words);
    strv_push(&it->words, w0);
    if (w1)
        strv_push(&it->words, w1);
}

void cmdline_to_argv(const struct cmdline *c, struct strv *out)
{
    for (size_t i = 0; i < c->n; i++)
        strv_extend(out, c->items[i].words.v, c->items[i].words.n);
}

void cmdline_set_option(struct cmd_item *it, const struct optdef *opt, const char *word,
                        const char *value)
{
    it->kind = IT_OPTION;
    it->opt = opt;
    free(it->value);
    it->value = value ? xstrdup(value) : NULL;
    cmdline_set_words(it, word, value);
}

void cmdline_set_positional(struct cmd_item *it, const char *word)
{
    it->kind = IT_POSITIONAL;
    it->opt = NULL;
    free(it->value);
    it->value = xstrdup(word);
    cmdline_set_words(it, word, NULL);
}

const struct optdef *optdef_by_id(const struct optdef *table, int id)
{
    for (const struct optdef *o = table; o->lname || o->sname; o++)
        if (o->id == id)
            return o;
    return NULL;
}

size_t cmdline_options_end(const struct cmdline *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->items[i].kind == IT_DASHDASH)
            return i;
    return c->n;
}

/* Long option lookup over both tables: exact name, else a unique prefix. */
static const struct optdef *find_long(const char *name, size_t len, const struct optdef *t1,
                                      const struct optdef *t2, int *ambiguous)
{
    const struct optdef *found = NULL;
    int matches = 0;
    const struct optdef *tables[2] = { t1, t2 };
    *ambiguous = 0;
    for (int t = 0; t < 2; t++) {
        for (const struct optdef *o = tables[t]; o && (o->lname || o->sname); o++) {
            if (!o->lname || strncmp(o->lname, name, len))
                continue;
            if (o->lname[len] == '\0')
                return o;  /* exact */
            if (!found || found->id != o->id)
                matches++;
            found = o;
        }
    }
    if (matches > 1) {
        *ambiguous = 1;
        return NULL;
    }
    return found;
}

static const struct optdef *find_short(char c, const struct optdef *t1, const struct optdef *t2)
{
    const struct optdef *tables[2] = { t1, t2 };
    for (int t = 0; t < 2; t++)
        for (const struct optdef *o = tables[t]; o && (o->lname || o->sname); o++)
            if (o->sname == c)
                return o;
    return NULL;
}

struct scan {
    int argc;
    char *const *argv;
    int i;                       /* the word being read */
    const struct optdef *t1, *t2;
    struct cmdline *out;
    char **err;
};

static struct cmd_item *push_at(struct scan *sc, enum item_kind kind)
{
    struct cmd_item *it = push(sc->out, kind);
    it->argi = (size_t)sc->i;
    return it;
}

/* --name, --name=value, --name value. */
static int scan_long(struct scan *sc)
{
    const char *a = sc->argv[sc->i], *name = a + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    int ambiguous;
    const struct optdef *o = find_long(name, len, sc->t1, sc->t2, &ambiguous);
    if (!o)
        return seterr(sc->err, "%s option --%.*s", ambiguous ? "ambiguous" : "unknown",
                      (int)len, name);
    struct cmd_item *it = push_at(sc, IT_OPTION);
    it->opt = o;
    strv_push(&it->words, a);
    if (!o->has_value)
        return eq ? seterr(sc->err, "option --%s takes no value", o->lname) : 0;
    if (eq) {
        it->value = xstrdup(eq + 1);
    } else if (sc->i + 1 < sc->argc) {
        it->value = xstrdup(sc->argv[++sc->i]);
        strv_push(&it->words, sc->argv[sc->i]);
    } else {
        return seterr(sc->err, "option --%s needs a value", o->lname);
    }
    return 0;
}

/* -x, -xVALUE, -x VALUE, clusters -Uq, -Ur FILE. */
static int scan_short(struct scan *sc)
{
    const char *a = sc->argv[sc->i];
    size_t alen = strlen(a);
    for (size_t k = 1; k < alen; k++) {
        const struct optdef *o = find_short(a[k], sc->t1, sc->t2);
        if (!o)
            return seterr(sc->err, "unknown option -%c", a[k]);
        struct cmd_item *it = push_at(sc, IT_OPTION);
        it->opt = o;
        if (!o->has_value) {
            if (alen == 2)
                strv_push(&it->words, a);
            else
                strv_pushf(&it->words, "-%c", a[k]);
            continue;
        }
        if (k + 1 < alen) {          /* -iURL, -UiURL */
            it->value = xstrdup(a + k + 1);
            if (k == 1)
                strv_push(&it->words, a);
            else
                strv_pushf(&it->words, "-%c%s", a[k], a + k + 1);
        } else if (sc->i + 1 < sc->argc) {   /* -i URL */
            it->value = xstrdup(sc->argv[++sc->i]);
            strv_pushf(&it->words, "-%c", a[k]);
            strv_push(&it->words, sc->argv[sc->i]);
        } else {
            return seterr(sc->err, "option -%c needs a value", a[k]);
        }
        break;
    }
    return 0;
}

/* A positional word; the first one is the subcommand when SUB is given. */
static void scan_positional(struct scan *sc, subtable_fn sub, int *only_positional)
{
    const char *a = sc->argv[sc->i];
    struct cmd_item *it = push_at(sc, IT_POSITIONAL);
    it->value = xstrdup(a);
    strv_push(&it->words, a);
    if (sub && !sc->out->subcmd && !*only_positional) {
        it->kind = IT_SUBCOMMAND;
        sc->out->subcmd = it->value;
        sc->t2 = sub(a);
        if (!sc->t2)
            *only_positional = 1;  /* not ours: keep the rest opaque */
    }
}

static int scan(struct scan *sc, subtable_fn sub)
{
    int only_positional = 0;
    for (; sc->i < sc->argc; sc->i++) {
        const char *a = sc->argv[sc->i];
        int r = 0;
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            scan_positional(sc, sub, &only_positional);  /* "-" alone is one too */
        } else if (!strcmp(a, "--")) {
            strv_push(&push_at(sc, IT_DASHDASH)->words, a);
            only_positional = 1;
        } else {
            r = a[1] == '-' ? scan_long(sc) : scan_short(sc);
        }
        if (r)
            return r;
    }
    return 0;
}

int cmdline_parse(int argc, char *const *argv, const struct optdef *global, subtable_fn sub,
                  struct cmdline *out, char **err)
{
    memset(out, 0, sizeof *out);
    struct scan sc = { argc, argv, 0, global, NULL, out, err };
    if (scan(&sc, sub) == 0)
        return 0;
    cmdline_free(out);
    return -1;
}

int cmdline_parse_flat(int argc, char *const *argv, const struct optdef *t1,
                       const struct optdef *t2, struct cmdline *out, char **err)
{
    memset(out, 0, sizeof *out);
    struct scan sc = { argc, argv, 0, t1, t2, out, err };
    if (scan(&sc, NULL) == 0)
        return 0;
    cmdline_free(out);
    return -1;
}
