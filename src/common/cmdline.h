/* cmdline.h — table-driven command-line scanning, as Python's optparse and
 * argparse do it (pip uses optparse, conda and mamba argparse):
 *   --long VALUE, --long=VALUE, unambiguous prefixes of long names (--extra-index
 *   for --extra-index-url; an exact name wins over longer ones: --pre),
 *   -s VALUE, -sVALUE, clusters of short flags (-Uq, -Ur FILE), "--" ending
 *   options. The first positional word is the subcommand.
 *
 * The scan yields items that keep the words as the user wrote them, so an
 * unchanged command serialises back to the same words (a short cluster is
 * the one exception: it comes back as separate flags, with the same meaning).
 * An option the tables do not know is an error: the caller then passes the
 * command through unchanged rather than guessing what the word means. After a
 * subcommand that has no table (pip list, conda env ...), the remaining words
 * are kept as opaque positionals: nothing there is ours to read. */
#ifndef TORCHSHIM_CMDLINE_H
#define TORCHSHIM_CMDLINE_H

#include <stddef.h>

#include "strv.h"

struct optdef {
    const char *lname;  /* long name without "--", or NULL */
    char sname;         /* short letter, or 0 */
    int has_value;
    int id;             /* the caller's meaning */
};
#define OPTDEF_END { NULL, 0, 0, 0 }

enum item_kind { IT_OPTION, IT_POSITIONAL, IT_SUBCOMMAND, IT_DASHDASH };

struct cmd_item {
    enum item_kind kind;
    const struct optdef *opt;   /* IT_OPTION */
    char *value;                /* option value / positional text; NULL for flags */
    struct strv words;          /* as written: {"--index-url", "URL"}, {"-iURL"}, {"-U"} */
    size_t argi;                /* index in argv of its first word (parsed items) */
};

struct cmdline {
    struct cmd_item *items;
    size_t n;
    const char *subcmd;         /* points into items; NULL if none */
};

/* Tables: GLOBAL applies everywhere; SUB(subcmd) adds the subcommand's own
 * options after it (NULL: none). */
typedef const struct optdef *(*subtable_fn)(const char *subcmd);

int cmdline_parse(int argc, char *const *argv, const struct optdef *global, subtable_fn sub,
                  struct cmdline *out, char **err);
/* Options from T1 and T2 (either may be NULL) anywhere among positionals,
 * none of which is a subcommand (torchshim's own commands). */
int cmdline_parse_flat(int argc, char *const *argv, const struct optdef *t1,
                       const struct optdef *t2, struct cmdline *out, char **err);
void cmdline_free(struct cmdline *c);

/* All words, in order. */
void cmdline_to_argv(const struct cmdline *c, struct strv *out);

/* Editing. Items are addressed by index. */
struct cmd_item *cmdline_insert(struct cmdline *c, size_t at);  /* empty item at AT */
void cmdline_remove(struct cmdline *c, size_t at);
/* Replace an item's words (w1 may be NULL), keeping what it means. */
void cmdline_set_words(struct cmd_item *it, const char *w0, const char *w1);
/* Make IT the option OPT written as "WORD VALUE" (VALUE NULL for a flag). */
void cmdline_set_option(struct cmd_item *it, const struct optdef *opt, const char *word,
                        const char *value);
/* Make IT a positional word. */
void cmdline_set_positional(struct cmd_item *it, const char *word);
/* The table entry with this id (the first one), or NULL. */
const struct optdef *optdef_by_id(const struct optdef *table, int id);
/* Index of the first "--" item, or c->n. */
size_t cmdline_options_end(const struct cmdline *c);

#endif
