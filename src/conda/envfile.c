/* envfile.c — see envfile.h. The file is kept as a libyaml document; edits
 * add nodes and change the item lists of the three sequences we know;
 * writing dumps a copy of the document (libyaml's dumper consumes what it
 * writes). */
#include "envfile.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "msg.h"
#include "yamldoc.h"

struct envfile {
    char *name;
    char *text;            /* the original, for the marks of its nodes */
    size_t len;
    yaml_document_t doc;
    int norig;             /* nodes 1..norig came from the text */
    int root, channels, deps, pip;   /* node ids, 0 = none */
};

/* libyaml's API is not const-correct: reading never changes the document. */
#define DOC(ef) ((yaml_document_t *)&(ef)->doc)

/* ---- reading ---- */

static int seq_or_null(struct envfile *ef, const char *key, int *out, char **err)
{
    int id = yamldoc_map_get(&ef->doc, ef->root, key);
    yaml_node_t *n = yamldoc_node(&ef->doc, id);
    *out = 0;
    if (!n || yamldoc_is_null(&ef->doc, id))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return seterr(err, "%s: \"%s\" is not a list", ef->name, key);
    *out = id;
    return 0;
}

static void find_pip(struct envfile *ef)
{
    yaml_node_t *deps = yamldoc_node(&ef->doc, ef->deps);
    ef->pip = 0;
    if (!deps)
        return;
    for (yaml_node_item_t *it = deps->data.sequence.items.start;
         it < deps->data.sequence.items.top; it++) {
        int v = yamldoc_map_get(&ef->doc, *it, "pip");
        yaml_node_t *n = yamldoc_node(&ef->doc, v);
        if (v && n && n->type == YAML_SEQUENCE_NODE) {
            ef->pip = v;
            return;
        }
    }
}

int envfile_parse(const char *text, size_t len, const char *name, struct envfile **out,
                  char **err)
{
    *out = NULL;
    if (len > ENVFILE_MAX_BYTES)
        return seterr(err, "%s is too large (%zu bytes; at most %d)", name, len,
                      ENVFILE_MAX_BYTES);
    struct envfile *ef = xcalloc(1, sizeof *ef);
    ef->name = xstrdup(name);
    ef->text = xmalloc(len + 1);   /* not xstrndup: the text may hold NUL bytes */
    memcpy(ef->text, text, len);
    ef->text[len] = 0;
    ef->len = len;
    if (yamldoc_load(text, len, name, &ef->doc, err) != 0) {
        envfile_free(ef);
        return -1;
    }
    ef->norig = (int)(ef->doc.nodes.top - ef->doc.nodes.start);
    ef->root = yamldoc_root(&ef->doc);
    yaml_node_t *root = yamldoc_node(&ef->doc, ef->root);
    if (!root || root->type != YAML_MAPPING_NODE) {
        seterr(err, "%s: not an environment file (its top level is not a mapping)", name);
        envfile_free(ef);
        return -1;
    }
    if (seq_or_null(ef, "channels", &ef->channels, err) != 0 ||
        seq_or_null(ef, "dependencies", &ef->deps, err) != 0) {
        envfile_free(ef);
        return -1;
    }
    find_pip(ef);
    *out = ef;
    return 0;
}

int envfile_load(const char *path, struct envfile **out, char **err)
{
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = file_read(path, ENVFILE_MAX_BYTES, &text, &len, err);
    if (rc == 1)
        return seterr(err, "%s does not exist", path);
    if (rc < 0)
        return -1;
    rc = envfile_parse(text, len, path, out, err);
    free(text);
    return rc;
}

void envfile_free(struct envfile *ef)
{
    if (!ef)
        return;
    yaml_document_delete(&ef->doc);
    free(ef->name);
    free(ef->text);
    free(ef);
}

const char *envfile_name(const struct envfile *ef)
{
    return yamldoc_scalar(DOC(ef), yamldoc_map_get(DOC(ef), ef->root, "name"));
}

const char *envfile_prefix(const struct envfile *ef)
{
    return yamldoc_scalar(DOC(ef), yamldoc_map_get(DOC(ef), ef->root, "prefix"));
}

/* The I-th pair of "variables" with a scalar name and value, or NULL. */
static yaml_node_pair_t *variable_pair(const struct envfile *ef, size_t i, size_t *count)
{
    yaml_node_t *n = yamldoc_node(DOC(ef), yamldoc_map_get(DOC(ef), ef->root, "variables"));
    size_t k = 0;
    if (n && n->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++)
            if (yamldoc_scalar(DOC(ef), p->key) && yamldoc_scalar(DOC(ef), p->value) &&
                k++ == i)
                return p;
    if (count)
        *count = k;
    return NULL;
}

size_t envfile_nvariables(const struct envfile *ef)
{
    size_t n = 0;
    variable_pair(ef, (size_t)-1, &n);
    return n;
}

const char *envfile_variable(const struct envfile *ef, size_t i, const char **value)
{
    yaml_node_pair_t *p = variable_pair(ef, i, NULL);
    if (value)
        *value = p ? yamldoc_scalar(DOC(ef), p->value) : NULL;
    return p ? yamldoc_scalar(DOC(ef), p->key) : NULL;
}

/* ---- string items of a sequence ---- */

static int is_string_item(const struct envfile *ef, int id)
{
    return yamldoc_scalar(DOC(ef), id) && !yamldoc_is_null(DOC(ef), id);
}

static size_t count_strings(const struct envfile *ef, int seq)
{
    yaml_node_t *n = yamldoc_node(DOC(ef), seq);
    size_t k = 0;
    if (n)
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top; it++)
            k += is_string_item(ef, *it);
    return k;
}

/* The position in SEQ's items of string item I, or -1. */
static long string_pos(const struct envfile *ef, int seq, size_t i)
{
    yaml_node_t *n = yamldoc_node(DOC(ef), seq);
    size_t k = 0;
    if (n)
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top; it++)
            if (is_string_item(ef, *it) && k++ == i)
                return (long)(it - n->data.sequence.items.start);
    return -1;
}

static const char *string_at(const struct envfile *ef, int seq, size_t i)
{
    long pos = string_pos(ef, seq, i);
    if (pos < 0)
        return NULL;
    return yamldoc_scalar(DOC(ef), yamldoc_node(DOC(ef), seq)->data.sequence.items.start[pos]);
}

size_t envfile_nchannels(const struct envfile *ef) { return count_strings(ef, ef->channels); }
size_t envfile_ndeps(const struct envfile *ef) { return count_strings(ef, ef->deps); }
size_t envfile_npip(const struct envfile *ef) { return count_strings(ef, ef->pip); }
int envfile_has_pip(const struct envfile *ef) { return ef->pip != 0; }

const char *envfile_channel(const struct envfile *ef, size_t i)
{
    return string_at(ef, ef->channels, i);
}

const char *envfile_dep(const struct envfile *ef, size_t i)
{
    return string_at(ef, ef->deps, i);
}

const char *envfile_pip(const struct envfile *ef, size_t i)
{
    return string_at(ef, ef->pip, i);
}

/* ---- edits ---- */

/* A new string node for VALUE, in the style of the node it replaces (plain
 * when STYLE_OF is 0); 0 with *err when VALUE is not UTF-8 text. */
static int new_string(struct envfile *ef, const char *value, int style_of, char **err)
{
    yaml_node_t *old = yamldoc_node(&ef->doc, style_of);
    yaml_scalar_style_t style = old ? old->data.scalar.style : YAML_ANY_SCALAR_STYLE;
    if (style == YAML_PLAIN_SCALAR_STYLE)
        style = YAML_ANY_SCALAR_STYLE;   /* plain when the emitter may */
    if ((style == YAML_ANY_SCALAR_STYLE || style == YAML_LITERAL_SCALAR_STYLE ||
         style == YAML_FOLDED_SCALAR_STYLE) && yamldoc_plain_is_typed(value))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    size_t len = strlen(value);
    int id = len > ENVFILE_MAX_BYTES ? 0
             : yaml_document_add_scalar(&ef->doc, NULL, (yaml_char_t *)value, (int)len, style);
    if (!id)
        seterr(err, "%s: cannot store \"%.40s\" (not UTF-8 text?)", ef->name, value);
    return id;
}

static int set_item(struct envfile *ef, int seq, const char *what, size_t i, const char *value,
                    char **err)
{
    long pos = string_pos(ef, seq, i);
    if (pos < 0)
        return seterr(err, "%s: no %s %zu", ef->name, what, i);
    yaml_node_item_t *items = yamldoc_node(&ef->doc, seq)->data.sequence.items.start;
    int id = new_string(ef, value, items[pos], err);
    if (!id)
        return -1;
    /* the document may have moved its node array, not the item array */
    yamldoc_node(&ef->doc, seq)->data.sequence.items.start[pos] = id;
    return 0;
}

int envfile_set_channel(struct envfile *ef, size_t i, const char *value, char **err)
{
    return set_item(ef, ef->channels, "channel", i, value, err);
}

int envfile_set_dep(struct envfile *ef, size_t i, const char *value, char **err)
{
    return set_item(ef, ef->deps, "dependency", i, value, err);
}

int envfile_set_pip(struct envfile *ef, size_t i, const char *value, char **err)
{
    return set_item(ef, ef->pip, "pip line", i, value, err);
}

/* Append ITEM to SEQ, then move it to position POS. */
static int insert_item(struct envfile *ef, int seq, size_t pos, int item, char **err)
{
    if (!yaml_document_append_sequence_item(&ef->doc, seq, item))
        return seterr(err, "%s: out of memory", ef->name);
    yaml_node_t *n = yamldoc_node(&ef->doc, seq);
    yaml_node_item_t *v = n->data.sequence.items.start;
    size_t last = (size_t)(n->data.sequence.items.top - v) - 1;
    if (pos < last) {
        memmove(v + pos + 1, v + pos, (last - pos) * sizeof *v);
        v[pos] = item;
    }
    return 0;
}

/* Where string item AT goes: before string item AT, or at the end. */
static size_t insert_pos(const struct envfile *ef, int seq, size_t at)
{
    long pos = string_pos(ef, seq, at);
    yaml_node_t *n = yamldoc_node(DOC(ef), seq);
    return pos >= 0 ? (size_t)pos : (size_t)(n->data.sequence.items.top -
                                             n->data.sequence.items.start);
}

/* Add `channels: []` (block style) after `name:`, else first. */
static int add_channels_key(struct envfile *ef, char **err)
{
    int key = yaml_document_add_scalar(&ef->doc, NULL, (yaml_char_t *)"channels", 8,
                                       YAML_ANY_SCALAR_STYLE);
    int seq = key ? yaml_document_add_sequence(&ef->doc, NULL, YAML_BLOCK_SEQUENCE_STYLE) : 0;
    if (!seq || !yaml_document_append_mapping_pair(&ef->doc, ef->root, key, seq))
        return seterr(err, "%s: out of memory", ef->name);
    yaml_node_t *root = yamldoc_node(&ef->doc, ef->root);
    yaml_node_pair_t *p = root->data.mapping.pairs.start;
    size_t last = (size_t)(root->data.mapping.pairs.top - p) - 1, at = 0;
    for (size_t i = 0; i < last; i++) {
        const char *k = yamldoc_scalar(&ef->doc, p[i].key);
        if (k && !strcmp(k, "name"))
            at = i + 1;
    }
    yaml_node_pair_t added = p[last];
    memmove(p + at + 1, p + at, (last - at) * sizeof *p);
    p[at] = added;
    ef->channels = seq;
    return 0;
}

int envfile_insert_channel(struct envfile *ef, size_t at, const char *value, char **err)
{
    if (at > envfile_nchannels(ef))
        return seterr(err, "%s: no channel position %zu", ef->name, at);
    int id = new_string(ef, value, 0, err);
    if (!id)
        return -1;
    int null_value = yamldoc_map_get(&ef->doc, ef->root, "channels");
    if (!ef->channels && null_value) {   /* `channels:` with no value */
        int seq = yaml_document_add_sequence(&ef->doc, NULL, YAML_BLOCK_SEQUENCE_STYLE);
        if (!seq)
            return seterr(err, "%s: out of memory", ef->name);
        yaml_node_t *root = yamldoc_node(&ef->doc, ef->root);
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
             p < root->data.mapping.pairs.top; p++)
            if (p->value == null_value && yamldoc_scalar(&ef->doc, p->key) &&
                !strcmp(yamldoc_scalar(&ef->doc, p->key), "channels"))
                p->value = seq;
        ef->channels = seq;
    }
    if (!ef->channels && add_channels_key(ef, err) != 0)
        return -1;
    return insert_item(ef, ef->channels, insert_pos(ef, ef->channels, at), id, err);
}

int envfile_insert_pip(struct envfile *ef, size_t at, const char *value, char **err)
{
    if (!ef->pip)
        return seterr(err, "%s has no \"- pip:\" list", ef->name);
    if (at > envfile_npip(ef))
        return seterr(err, "%s: no pip line position %zu", ef->name, at);
    int id = new_string(ef, value, 0, err);
    if (!id)
        return -1;
    return insert_item(ef, ef->pip, insert_pos(ef, ef->pip, at), id, err);
}

static int remove_item(struct envfile *ef, int seq, const char *what, size_t i, char **err)
{
    long pos = string_pos(ef, seq, i);
    if (pos < 0)
        return seterr(err, "%s: no %s %zu", ef->name, what, i);
    yaml_node_t *n = yamldoc_node(&ef->doc, seq);
    yaml_node_item_t *v = n->data.sequence.items.start;
    size_t count = (size_t)(n->data.sequence.items.top - v);
    memmove(v + pos, v + pos + 1, (count - (size_t)pos - 1) * sizeof *v);
    n->data.sequence.items.top--;
    return 0;
}

int envfile_remove_channel(struct envfile *ef, size_t i, char **err)
{
    return remove_item(ef, ef->channels, "channel", i, err);
}

int envfile_remove_pip(struct envfile *ef, size_t i, char **err)
{
    return remove_item(ef, ef->pip, "pip line", i, err);
}

/* ---- writing ---- */

/* The byte offset of MARK (libyaml counts lines and characters). */
static size_t mark_offset(const struct envfile *ef, yaml_mark_t mark)
{
    size_t off = 0;
    for (size_t line = 0; line < mark.line && off < ef->len; off++)
        line += ef->text[off] == '\n';
    for (size_t col = 0; col < mark.column && off < ef->len; col++)
        do
            off++;
        while (off < ef->len && ((unsigned char)ef->text[off] & 0xC0) == 0x80);
    return off;
}

/* Was original node N written with an explicit tag ("!!str 3.10")? The
 * dumper drops a default tag, so such a plain scalar must be quoted to keep
 * reading as a string. */
static int explicit_tag(const struct envfile *ef, const yaml_node_t *n)
{
    size_t off = mark_offset(ef, n->start_mark);
    if (off < ef->len && ef->text[off] == '&') {   /* an anchor first */
        while (off < ef->len && !strchr(" \t\r\n", ef->text[off]))
            off++;
        while (off < ef->len && strchr(" \t", ef->text[off]))
            off++;
    }
    return off < ef->len && ef->text[off] == '!';
}

static int copy_nodes(const struct envfile *ef, yaml_document_t *out)
{
    const yaml_document_t *d = &ef->doc;
    int count = (int)(d->nodes.top - d->nodes.start);
    for (int id = 1; id <= count; id++) {   /* same ids, collections still empty */
        const yaml_node_t *n = d->nodes.start + id - 1;
        int got = 0;
        if (n->type == YAML_SCALAR_NODE) {
            yaml_scalar_style_t style = n->data.scalar.style;
            if (id <= ef->norig && style == YAML_PLAIN_SCALAR_STYLE &&
                !strcmp((const char *)n->tag, YAML_DEFAULT_SCALAR_TAG) && explicit_tag(ef, n))
                style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
            got = yaml_document_add_scalar(out, n->tag, n->data.scalar.value,
                                           (int)n->data.scalar.length, style);
        } else if (n->type == YAML_SEQUENCE_NODE) {
            got = yaml_document_add_sequence(out, n->tag, n->data.sequence.style);
        } else if (n->type == YAML_MAPPING_NODE) {
            got = yaml_document_add_mapping(out, n->tag, n->data.mapping.style);
        }
        if (got != id)
            return -1;
    }
    for (int id = 1; id <= count; id++) {
        const yaml_node_t *n = d->nodes.start + id - 1;
        if (n->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = n->data.sequence.items.start;
                 it < n->data.sequence.items.top; it++)
                if (!yaml_document_append_sequence_item(out, id, *it))
                    return -1;
        } else if (n->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
                 p < n->data.mapping.pairs.top; p++)
                if (!yaml_document_append_mapping_pair(out, id, p->key, p->value))
                    return -1;
        }
    }
    return 0;
}

struct obuf {
    char *p;
    size_t n, cap;
};

static int obuf_write(void *data, unsigned char *buffer, size_t size)
{
    struct obuf *b = data;
    if (size > ENVFILE_MAX_OUT - b->n)
        return 0;
    if (b->n + size + 1 > b->cap) {
        while (b->n + size + 1 > b->cap)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, buffer, size);
    b->n += size;
    b->p[b->n] = 0;
    return 1;
}

static void header(const struct envfile *ef, struct obuf *b)
{
    char *name = xstrdup(ef->name);
    for (char *c = name; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    char *h = xasprintf("# Written by torchshim from %s, with its channels and packages\n"
                        "# pointed at mirrors. The comments of the original are not kept.\n",
                        name);
    obuf_write(b, (unsigned char *)h, strlen(h));
    free(h);
    free(name);
}

int envfile_emit(const struct envfile *ef, char **out, size_t *len, char **err)
{
    *out = NULL;
    yaml_document_t copy;
    const yaml_document_t *d = &ef->doc;
    if (!yaml_document_initialize(&copy, d->version_directive, d->tag_directives.start,
                                  d->tag_directives.end, d->start_implicit, d->end_implicit))
        return seterr(err, "%s: out of memory", ef->name);
    if (copy_nodes(ef, &copy) != 0) {
        yaml_document_delete(&copy);
        return seterr(err, "%s: cannot copy the document", ef->name);
    }
    struct obuf b = { NULL, 0, 0 };
    header(ef, &b);
    yaml_emitter_t em;
    if (!yaml_emitter_initialize(&em)) {
        yaml_document_delete(&copy);
        free(b.p);
        return seterr(err, "%s: cannot start the YAML emitter", ef->name);
    }
    yaml_emitter_set_output(&em, obuf_write, &b);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1);
    yaml_emitter_set_break(&em, YAML_LN_BREAK);
    int ok = yaml_emitter_open(&em);
    if (!ok)
        yaml_document_delete(&copy);
    ok = ok && yaml_emitter_dump(&em, &copy) &&   /* frees the copy, even when failing */
         yaml_emitter_close(&em) && yaml_emitter_flush(&em);
    if (!ok) {
        seterr(err, "%s: cannot write YAML: %s", ef->name,
               em.problem ? em.problem : "the text is too large");
        yaml_emitter_delete(&em);
        free(b.p);
        return -1;
    }
    yaml_emitter_delete(&em);
    *out = b.p;
    if (len)
        *len = b.n;
    return 0;
}

int envfile_write(const struct envfile *ef, const char *path, char **err)
{
    char *text = NULL;
    size_t len = 0;
    if (envfile_emit(ef, &text, &len, err) != 0)
        return -1;
    int rc = file_write_atomic(path, text, len, NULL, 0, 0644, err);
    free(text);
    return rc;
}
