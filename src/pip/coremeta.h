/* coremeta.h — a distribution's core metadata (the METADATA file of a wheel,
 * PEP 658's <wheel>.metadata) as pip reads it.
 *
 * Format (core metadata 1.0-2.4, PEP 566/643): RFC 822 style header lines
 * "Field-Name: value"; a line starting with a space or a tab continues the
 * previous field; the first empty line ends the headers (the rest is the
 * description body and is not read). Field names are matched without regard
 * to case; LF and CRLF line ends are both accepted.
 *
 * Read: Metadata-Version, Name, Version, Requires-Python (the first of each
 * wins) and every Requires-Dist in order. A continued value is unfolded:
 * each line is trimmed and the pieces are joined with one space. Every other
 * field is skipped.
 *
 * Errors (coremeta_parse returns -1 and sets *err): input over
 * COREMETA_MAX_INPUT bytes, a NUL byte or a line that is neither a field nor
 * a continuation in the headers, a continuation before the first field, no
 * Name or no Version. Nothing is printed.
 *
 * Memory: coremeta_parse fills *out (release with coremeta_free, also safe
 * after a failure); strings and *err are malloc'd for the caller. */
#ifndef TORCHSHIM_COREMETA_H
#define TORCHSHIM_COREMETA_H

#include <stddef.h>

#include "strv.h"

#define COREMETA_MAX_INPUT ((size_t)16 << 20)

struct coremeta {
    char *metadata_version;     /* "2.1"; NULL when absent */
    char *name;                 /* as written: "torchvision" */
    char *version;              /* as written: "0.20.1+cu124" */
    char *requires_python;      /* ">=3.9"; NULL when absent */
    struct strv requires_dist;  /* "torch==2.5.1", "scipy; extra == \"scipy\"", ... */
};

int coremeta_parse(const char *text, size_t len, struct coremeta *out, char **err);
void coremeta_free(struct coremeta *m);

/* Append to out every Requires-Dist of m that names dep (both PEP 503
 * normalised: "Torch_Audio" matches "torch-audio"), as written, markers
 * included, in order. Lines that do not parse as PEP 508 requirements are
 * skipped (verbosef). Returns how many were appended. */
size_t coremeta_requirements_for(const struct coremeta *m, const char *dep, struct strv *out);

#endif
