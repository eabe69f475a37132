/* pipplan.h — the variant `torchshim install` gives pip: the best one this
 * machine runs that the wheels mirror actually carries a matching torch for.
 *
 * Candidates are the variants the mirror's root listing names, and the ones
 * config/pairing.tsv knows (a mirror without a root listing is asked for
 * those pages): cpu, and cuXYZ when there is an NVIDIA driver, rocmX.Y with
 * ROCm. Every candidate's torch page is asked for at once (offers.h); of
 * those with a matching torch for the target, detect_pick_variant chooses
 * as for any published list (the driver table: newest CUDA the driver runs,
 * the GPU's compute capability; ROCm not newer than installed; else cpu).
 * When the machine could run a better variant than the mirror carries (a
 * mirror lagging upstream), the plan says so. A forced variant (--backend,
 * TORCHSHIM_BACKEND) is the only candidate. */
#ifndef TORCHSHIM_PIPPLAN_H
#define TORCHSHIM_PIPPLAN_H

#include "config.h"
#include "cudatable.h"
#include "detect.h"
#include "pairing.h"
#include "pep508.h"
#include "strv.h"
#include "wheelname.h"

struct pipplan {
    char *variant;          /* "cu128" */
    char *torch;            /* the newest torch the mirror has for it: "2.12.0+cu128" */
    char *why;              /* why this variant, for the plan */
    const struct site *site;
    struct strv notes;      /* said in the plan */
    struct strv warnings;
};

/* 0 with *out (pipplan_free), or -1 with *err (nothing fits, no mirror). */
int pipplan_choose(const struct config *cfg, const struct detect_result *det,
                   const struct cudatable *table, const struct pairing_table *pairing,
                   const char *forced, const struct pep508_req *torch,
                   const struct wheel_target *t, struct pipplan *out, char **err);
void pipplan_free(struct pipplan *p);

#endif
