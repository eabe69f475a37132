/* pairing.h — the torch / torchvision / torchaudio release table.
 *
 * Loaded from config/pairing.tsv: one row per torch patch release with the
 * torchvision and torchaudio built against it, the CPython X.Y range and
 * the variants (local labels) published on download.pytorch.org. Lines are
 * "torch torchvision torchaudio python_min python_max variants" separated
 * by tabs or spaces; blank lines and lines starting with '#' are ignored.
 *
 * Lookups compare public versions: 2.3.1+cu121 finds the 2.3.1 row and
 * 0.18.1+cu121 finds the torchvision 0.18.1 row. Pre-releases and nightlies
 * (2.6.0.dev20241112) have no row.
 *
 * Memory: pairing_load/pairing_parse fill *t (release with pairing_free, also
 * safe after a failure); rows and their strings belong to the table. */
#ifndef TORCHSHIM_PAIRING_H
#define TORCHSHIM_PAIRING_H

#include <stddef.h>

#include "pep440.h"
#include "strv.h"

/* The three packages of the family, also used as indexes into version[]. */
enum pairing_pkg {
    PAIRING_NONE = -1,
    PAIRING_TORCH = 0,
    PAIRING_TORCHVISION = 1,
    PAIRING_TORCHAUDIO = 2,
};
#define PAIRING_NPKG 3

struct pairing_row {
    char *text[PAIRING_NPKG];           /* "2.3.1", "0.18.1", "2.3.1" */
    struct pep440 version[PAIRING_NPKG];
    int py_min_major, py_min_minor;
    int py_max_major, py_max_minor;
    struct strv variants;               /* "cpu", "cu118", "cu121" */
};

struct pairing_table {
    struct pairing_row *rows;
    size_t n;
};

/* Which family member a (PEP 503 normalised or raw) name is. */
enum pairing_pkg pairing_pkg_of(const char *name);
const char *pairing_pkg_name(enum pairing_pkg pkg);

/* 0 ok; -1 with *err ("FILE:LINE: ...", malloc'd) on I/O or syntax errors. */
int pairing_load(const char *path, struct pairing_table *t, char **err);
/* The same from text in memory; origin names it in messages. */
int pairing_parse(const char *text, const char *origin, struct pairing_table *t, char **err);
void pairing_free(struct pairing_table *t);

/* The row whose pkg version equals v (public part), or NULL. */
const struct pairing_row *pairing_find(const struct pairing_table *t, enum pairing_pkg pkg,
                                       const struct pep440 *v);
/* Shorthands for pairing_find with PAIRING_TORCH / a companion. */
const struct pairing_row *pairing_by_torch(const struct pairing_table *t,
                                           const struct pep440 *torch);
const struct pairing_row *pairing_by_companion(const struct pairing_table *t,
                                               enum pairing_pkg pkg, const struct pep440 *v);

/* Was the row's release built for CPython major.minor? */
int pairing_python_ok(const struct pairing_row *r, int major, int minor);
/* Does the row list this variant label? */
int pairing_has_variant(const struct pairing_row *r, const char *variant);

#endif
