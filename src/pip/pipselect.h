/* pipselect.h — choose exact pins for torch-family requirements.
 *
 * Pure decision logic: given the wheel listings of the chosen variant's
 * page(s), the target machine, the variant label ("cu121", "cpu",
 * "rocm6.1"; "" or NULL when the wanted wheels carry no local label, as on
 * macOS), the pairing table and pip's --pre flag, rewrite the user's
 * requirements so pip cannot wander off to another build:
 *
 *   torch                   newest wheel on the page that fits the target,
 *                           carries the variant label and satisfies the
 *                           user's specifier: torch -> torch==2.3.1+cu121
 *   torchvision/torchaudio  the companion the pairing table gives for that
 *                           torch, verified on the page; a user constraint on
 *                           a companion steers the torch choice
 *                           (torchvision==0.18.1 alone => torch 2.3.1)
 *   nightlies               a dev torch pairs with companions built the same
 *                           day (same .devYYYYMMDD)
 *   exact pins              torch==2.3.1+cu121 is kept as it is (after
 *                           checking it exists); torch==2.3.1 gains the label;
 *                           a pin that cannot exist for the variant is an
 *                           error that lists what is available
 *   other packages          (torchtext, torchdata, ...) pinned to the newest
 *                           fitting wheel with the variant label when the page
 *                           has one, else left alone
 *   left alone              URL requirements (name @ https://...); every
 *                           non-family package when the variant is ""
 *
 * Candidates follow pip: yanked files only for exact pins; data-requires-
 * python is checked against the target's X.Y; pre-releases only with
 * allow_pre, when a specifier names one, or when nothing else matches.
 * Markers are not evaluated: a requirement is pinned whatever its marker.
 *
 * Memory: results are owned by the caller (pipselect_results_free). */
#ifndef TORCHSHIM_PIPSELECT_H
#define TORCHSHIM_PIPSELECT_H

#include <stddef.h>

#include "listing.h"
#include "pairing.h"
#include "pep508.h"
#include "wheelname.h"

struct pipselect_input {
    const struct listing *listings;   /* the variant's page(s) */
    size_t nlistings;
    const struct wheel_target *target;
    const char *variant;              /* "cu121", "cpu", "rocm6.1"; "" / NULL: none */
    const struct pairing_table *pairing;
    int allow_pre;                    /* pip --pre */
};

struct pipselect_result {
    char *requirement; /* the pinned requirement ("torch[opt-einsum]==2.3.1+cu121; ..."),
                          NULL when the user's text should be passed on unchanged */
    char *error;       /* why no pin could be chosen, with the alternatives; else NULL */
};

/* Decide for each of the n requirements; out[i] answers reqs[i] (out must
 * hold n results). When chosen_torch is not NULL it receives the torch
 * version the family was pinned to ("2.3.1+cu121", malloc'd) or NULL.
 * Returns the number of requirements that got an error. */
size_t pipselect_pin(const struct pipselect_input *in, const struct pep508_req *reqs,
                     size_t n, struct pipselect_result *out, char **chosen_torch);
void pipselect_results_free(struct pipselect_result *r, size_t n);

#endif
