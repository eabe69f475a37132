/* yamldoc.c — see yamldoc.h. */
#include "yamldoc.h"

#include <string.h>

#include "msg.h"

static int parser_error(yaml_parser_t *p, const char *name, char **err)
{
    const char *what = p->problem ? p->problem : "not valid YAML";
    if (p->error == YAML_MEMORY_ERROR)
        what = "out of memory";
    int r;
    if (p->context)
        r = seterr(err, "%s: line %zu, column %zu: %s %s", name, p->problem_mark.line + 1,
                   p->problem_mark.column + 1, p->context, what);
    else
        r = seterr(err, "%s: line %zu, column %zu: %s", name, p->problem_mark.line + 1,
                   p->problem_mark.column + 1, what);
    yaml_parser_delete(p);
    return r;
}

/* Walk the event stream once: syntax errors, nesting depth, one document. */
static int check_events(const char *text, size_t len, const char *name, char **err)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return seterr(err, "%s: cannot start the YAML parser", name);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int depth = 0, docs = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev))
            return parser_error(&p, name, err);
        yaml_event_type_t t = ev.type;
        size_t line = ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            break;
        if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            yaml_parser_delete(&p);
            return seterr(err, "%s: line %zu: more than one YAML document", name, line);
        }
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > YAMLDOC_MAX_DEPTH) {
                yaml_parser_delete(&p);
                return seterr(err, "%s: line %zu: nested more than %d levels deep", name, line,
                              YAMLDOC_MAX_DEPTH);
            }
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            depth--;
        }
    }
    yaml_parser_delete(&p);
    return 0;
}

int yamldoc_load(const char *text, size_t len, const char *name, yaml_document_t *doc,
                 char **err)
{
    memset(doc, 0, sizeof *doc);
    if (check_events(text, len, name, err) != 0)
        return -1;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return seterr(err, "%s: cannot start the YAML parser", name);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, doc)) {
        memset(doc, 0, sizeof *doc);   /* libyaml deleted it */
        return parser_error(&p, name, err);
    }
    yaml_parser_delete(&p);
    return 0;
}

int yamldoc_root(yaml_document_t *doc)
{
    return yaml_document_get_root_node(doc) ? 1 : 0;
}

yaml_node_t *yamldoc_node(yaml_document_t *doc, int id)
{
    if (id <= 0 || !doc->nodes.start || id > doc->nodes.top - doc->nodes.start)
        return NULL;
    return doc->nodes.start + id - 1;
}

const char *yamldoc_scalar(yaml_document_t *doc, int id)
{
    yaml_node_t *n = yamldoc_node(doc, id);
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int yamldoc_is_null(yaml_document_t *doc, int id)
{
    yaml_node_t *n = yamldoc_node(doc, id);
    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        strcmp((const char *)n->tag, YAML_DEFAULT_SCALAR_TAG) != 0)
        return 0;
    const char *v = (const char *)n->data.scalar.value;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

int yamldoc_map_get(yaml_document_t *doc, int map, const char *key)
{
    yaml_node_t *n = yamldoc_node(doc, map);
    if (!n || n->type != YAML_MAPPING_NODE)
        return 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = yamldoc_scalar(doc, p->key);
        if (k && strcmp(k, key) == 0)
            return p->value;
    }
    return 0;
}

int yamldoc_plain_is_typed(const char *v)
{
    static const char *const words[] = { "~", "null", "Null", "NULL", "yes", "Yes", "YES",
                                         "no", "No", "NO", "true", "True", "TRUE", "false",
                                         "False", "FALSE", "on", "On", "ON", "off", "Off",
                                         "OFF", "=", "<<", NULL };
    if (!*v)
        return 1;
    for (const char *const *w = words; *w; w++)
        if (strcmp(v, *w) == 0)
            return 1;
    /* numbers of every YAML 1.1 form (and dates): quoting a string that only
     * looks like one is harmless, so stay on the safe side */
    const char *s = v + (*v == '-' || *v == '+');
    if (*s == '.')
        return 1;   /* .5, .inf, .nan */
    if (!strchr("0123456789", *s))
        return 0;
    return strspn(s, "0123456789abcdefABCDEFxXoO_.:+-") == strlen(s);
}
