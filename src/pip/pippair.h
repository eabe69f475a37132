/* pippair.h — which torch a companion release (torchvision 0.20.1,
 * torchaudio 2.5.1, torchtext ...) was built for.
 *
 * The truth is the companion's own metadata: its Requires-Dist on torch
 * ("torch==2.5.1"), read from the mirror (wheelmeta.h) for releases newer
 * than what we know. config/pairing.tsv answers the releases it has a row
 * for, without a request: a fast path, never a limit. A release whose
 * metadata has no torch requirement pairs with any torch.
 *
 * Lookups compare the companion's full version (its local label too). */
#ifndef TORCHSHIM_PIPPAIR_H
#define TORCHSHIM_PIPPAIR_H

#include <stddef.h>

#include "pairing.h"
#include "pep440.h"

enum pippair_kind {
    PAIR_UNKNOWN = 0,      /* neither the metadata nor the table says */
    PAIR_ANY,              /* its metadata requires no torch */
    PAIR_SPEC,             /* requires torch matching a specifier */
};

struct pippair {
    char *name;                    /* PEP 503 normalised */
    struct pep440 version;
    enum pippair_kind kind;
    struct pep440_specset torch;   /* PAIR_SPEC */
};

struct pippairs {
    struct pippair *v;
    size_t n, cap;
    const struct pairing_table *table;   /* the fast path; may be NULL */
};

/* Record what METADATA (a wheel's core metadata text) says of torch for
 * NAME VERSION. 0, or -1 with *err when the text is not metadata or names
 * another distribution. Requirements with an `extra` marker do not count;
 * several torch requirements are joined (all must hold). */
int pippairs_add_metadata(struct pippairs *p, const char *name, const struct pep440 *version,
                          const char *metadata, size_t len, char **err);

/* What is known of NAME VERSION: from the recorded metadata, else the table
 * (torchvision, torchaudio). PAIR_SPEC points *spec at the requirement
 * (owned by P, or built into *tmp, which the caller frees with
 * pep440_specset_free; *tmp must be zeroed). */
enum pippair_kind pippairs_lookup(const struct pippairs *p, const char *name,
                                  const struct pep440 *version,
                                  const struct pep440_specset **spec,
                                  struct pep440_specset *tmp);

void pippairs_free(struct pippairs *p);

#endif
