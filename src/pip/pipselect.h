/* pipselect.h — choose exact pins for torch-family requirements.
 *
 * Pure decision logic: given the wheel listings of the chosen variant's
 * page(s), the target machine, the variant label ("cu121", "cpu",
 * "rocm6.1"; "" or NULL when the wanted wheels carry no local label, as on
 * macOS), what is known of which torch each companion release requires
 * (pippair.h: the wheels' own metadata, the table as a fast path) and pip's
 * --pre flag, rewrite the user's requirements so that pip installs from the
 * mirror exactly what it would install from the official index, and cannot
 * wander off to another build:
 *
 *   torch          the newest wheel on the page that fits the target, carries
 *                  the variant label, satisfies the user's specifiers, and for
 *                  which every requested companion has a release that
 *                  satisfies its specifiers and requires that torch (pip's
 *                  resolver backtracks to the same answer):
 *                  torch torchvision -> torch==2.3.1+cu121 torchvision==0.18.1+cu121
 *   companions     every other requested package whose releases require torch
 *                  (torchvision, torchaudio, torchtext, ...): the newest release
 *                  that goes with the torch chosen; named alone
 *                  (torchvision==0.18.0), it decides torch through its pairing
 *   free packages  requested packages whose releases require no torch: the
 *                  newest fitting wheel with the variant label
 *   unpairable     a companion with a release whose pairing nobody knows (no
 *                  metadata, no table row): left to pip, torch pinned alone
 *   exact pins     torch==2.3.1+cu121 is kept as it is (after checking it
 *                  exists); torch==2.3.1 gains the label; a pin that cannot
 *                  exist for the variant is an error that lists what is available
 *   left alone     URL requirements (name @ https://...); packages without a
 *                  wheel of the variant (an error for torch, torchvision,
 *                  torchaudio)
 *
 * Candidates follow pip: yanked files only for exact pins; data-requires-
 * python is checked against the target's X.Y; pre-releases only with
 * allow_pre, when a specifier names one, or when nothing else matches;
 * nightlies without metadata pair with companions built the same day.
 * Markers are not evaluated: a requirement is pinned whatever its marker.
 *
 * Memory: results are owned by the caller (pipselect_results_free). */
#ifndef TORCHSHIM_PIPSELECT_H
#define TORCHSHIM_PIPSELECT_H

#include <stddef.h>

#include "listing.h"
#include "pep508.h"
#include "pippair.h"
#include "wheelname.h"

struct pipselect_input {
    const struct listing *listings;   /* the variant's page(s) */
    size_t nlistings;
    const struct wheel_target *target;
    const char *variant;              /* "cu121", "cpu", "rocm6.1"; "" / NULL: none */
    const struct pippairs *pairs;     /* pairings known (NULL: none) */
    int allow_pre;                    /* pip --pre */
};

struct pipselect_result {
    char *requirement; /* the pinned requirement ("torch[opt-einsum]==2.3.1+cu121; ..."),
                          NULL when the user's text should be passed on unchanged */
    char *error;       /* why no pin could be chosen, with the alternatives; else NULL */
    const struct listing_entry *wheel;  /* the wheel of the release chosen that pip will
                                           take for the target (points into the listings) */
};

/* Decide for each of the n requirements; out[i] answers reqs[i] (out must
 * hold n results). When chosen_torch is not NULL it receives the torch
 * version the family was pinned to ("2.3.1+cu121", malloc'd) or NULL.
 * Returns the number of requirements that got an error. */
size_t pipselect_pin(const struct pipselect_input *in, const struct pep508_req *reqs,
                     size_t n, struct pipselect_result *out, char **chosen_torch);
void pipselect_results_free(struct pipselect_result *r, size_t n);

/* The wheels whose metadata would settle a pairing nobody knows yet: for
 * each requested package other than torch, its candidate releases (newest
 * first, at most MAX_PER_PACKAGE) the pairs do not answer, one wheel each
 * (the one fitting the target). *out is malloc'd (entries point into the
 * listings); returns how many. */
size_t pipselect_unpaired(const struct pipselect_input *in, const struct pep508_req *reqs,
                          size_t n, size_t max_per_package, const struct listing_entry ***out);

#endif
