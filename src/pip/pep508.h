/* pep508.h — requirement strings as pip reads them (PEP 508, PEP 503 names).
 *
 * Parses one requirement as given on pip's command line or as one line of a
 * requirements file:
 *     torch
 *     torch>=1.13,<2.4              torch >= 1.13, < 2.4     torch (>=2.0)
 *     torch[opt-einsum]>=2.0        torch==2.3.1+cu121
 *     torchvision ; platform_system != "Darwin"
 *     torch @ https://example.org/torch-2.3.1-....whl ; python_version >= "3.8"
 *     torch==2.3.1 --hash=sha256:...      (trailing per-line options kept raw)
 * A " #" comment (or one starting the line) is dropped. Markers are kept as
 * written, not evaluated.
 *
 * Inputs that pip treats as something other than a named requirement — paths
 * (./pkg, /x/y.whl, C:\x), archive names (foo-1.0.tar.gz, *.whl), bare URLs
 * (https://..., git+https://...) and options (-e ., -r file) — give
 * PEP508_UNNAMED so the caller can leave them alone.
 *
 * Memory: pep508_parse fills *out (release with pep508_free, also safe after
 * a failure); *err and every returned string are malloc'd for the caller. */
#ifndef TORCHSHIM_PEP508_H
#define TORCHSHIM_PEP508_H

#include "pep440.h"
#include "strv.h"

enum {
    PEP508_OK = 0,
    PEP508_INVALID = -1,   /* malformed requirement */
    PEP508_UNNAMED = -2,   /* a path, URL or option: not a named requirement */
};

struct pep508_req {
    char *name;                 /* as written: "Torch_Vision" */
    char *norm_name;            /* PEP 503 normalised: "torch-vision" */
    struct strv extras;         /* as written, in order */
    struct pep440_specset spec; /* empty when none was given */
    char *url;                  /* "name @ URL" form, else NULL */
    char *marker;               /* text after ';', trimmed, or NULL */
    char *options;              /* "--hash=sha256:..." after the requirement, or NULL */
};

/* Drop a "#" comment that starts the line or follows white space (pip's
 * rule for requirement lines), in place. */
void pep508_strip_comment(char *s);

/* PEP503 name rules: lowercase, every run of '-', '_', '.' becomes '-'. */
char *pep503_normalize(const char *name);
/* A valid distribution name: [A-Za-z0-9] at both ends, [A-Za-z0-9._-] inside. */
int pep508_name_valid(const char *name);

/* PEP508_OK, PEP508_INVALID or PEP508_UNNAMED; for the two errors *err (when
 * not NULL) gets a message. */
int pep508_parse(const char *s, struct pep508_req *out, char **err);
void pep508_free(struct pep508_req *r);

/* Replace the version specifier (e.g. with "==2.3.1+cu121"); a URL form
 * becomes a plain named requirement. 0 ok, -1 with *err on a bad specifier
 * (r unchanged). */
int pep508_set_specifier(struct pep508_req *r, const char *spec, char **err);

/* Serialise: name[extras]specifier ; marker, "name @ URL ; marker", options
 * appended after a space. Specifiers come out normalised (">=1.13,<2.4"). */
char *pep508_format(const struct pep508_req *r);

#endif
