/* yamldoc.h — load one bounded YAML document with libyaml and look things up
 * in it; the shared base of condarc.c (conda's configuration files) and
 * envfile.c (environment.yml).
 *
 * Loading: TEXT (LEN bytes, not necessarily NUL-terminated) must hold at most
 * one YAML document, nested at most YAMLDOC_MAX_DEPTH collections deep (the
 * emitter recurses per level; the limit keeps a hostile file from blowing the
 * stack when it is written again). Aliases stay shared nodes (libyaml never
 * expands them), so an alias "bomb" costs no memory. Node ids are libyaml's:
 * 1-based, 0 = none.
 *
 * Errors: yamldoc_load returns -1 with *err ("NAME: line L, column C: what
 * libyaml said"). The lookups never fail: they return 0 / NULL when the node
 * is missing or of another kind. */
#ifndef TORCHSHIM_YAMLDOC_H
#define TORCHSHIM_YAMLDOC_H

#include <stddef.h>
#include <yaml.h>

#define YAMLDOC_MAX_DEPTH 64

/* Parse TEXT into *DOC (yaml_document_delete it when done). NAME names the
 * input in messages. 0 with a document (which may be empty: no root node),
 * or -1 with *err (*DOC then needs no cleanup). */
int yamldoc_load(const char *text, size_t len, const char *name, yaml_document_t *doc,
                 char **err);

/* The root node's id, 0 for an empty document. */
int yamldoc_root(yaml_document_t *doc);

/* The node, or NULL when ID is 0 or out of range. */
yaml_node_t *yamldoc_node(yaml_document_t *doc, int id);

/* A scalar node's value (NUL-terminated by libyaml), or NULL when ID is not
 * a scalar. */
const char *yamldoc_scalar(yaml_document_t *doc, int id);

/* Is ID a plain, untagged null ("", "~", "null", "Null", "NULL")? */
int yamldoc_is_null(yaml_document_t *doc, int id);

/* In mapping MAP, the value node of the first pair whose key is the scalar
 * KEY; 0 when MAP is not a mapping or has no such key. */
int yamldoc_map_get(yaml_document_t *doc, int map, const char *key);

/* Would a plain scalar VALUE read back as something other than a string
 * under YAML 1.1 (null, bool, int, float)? Such values are written quoted. */
int yamldoc_plain_is_typed(const char *value);

#endif
