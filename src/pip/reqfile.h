/* reqfile.h — pip requirements files: read, visit, and rewrite into a copy.
 *
 * pip's format (pip/_internal/req/req_file.py): logical lines joined on a
 * trailing backslash; comments from '#' at the start or after whitespace;
 * ${VAR} expanded from the environment; option lines (-i, --index-url,
 * --extra-index-url, -f, --find-links, --no-index, --pre, -r, -c, -e, ...);
 * nested -r/-c paths relative to the file that names them.
 *
 * The user's files are never edited. When a hook changes a line (in a file or
 * in one it nests), the file is written anew into a directory of ours, its
 * nested references made absolute (pointing at rewritten copies where those
 * changed), and the caller uses the copy instead. */
#ifndef TORCHSHIM_REQFILE_H
#define TORCHSHIM_REQFILE_H

#include "strv.h"

/* Largest requirements file read (a regular file: the front end hands
 * pipes over as copies). */
#define REQFILE_MAX_BYTES ((size_t)8 << 20)

struct reqfile_hooks {
    /* An option line: OPT is an enum pip_opt (PIP_OTHER for the rest). To
     * change it, push replacement lines into OUT. */
    void (*option)(void *ctx, const char *file, int opt, const char *value, struct strv *out);
    /* A requirement line (without per-requirement options such as --hash).
     * To change it, push the replacement requirement into OUT. */
    void (*requirement)(void *ctx, const char *file, const char *req, struct strv *out);
    void *ctx;
};

/* Visit PATH and the files it nests. With OUTDIR set, write a rewritten copy
 * of every file that changed into OUTDIR and store the top copy's path in
 * *rewritten (NULL when nothing changed). Returns 0, or -1 with *err. */
int reqfile_process(const char *path, const struct reqfile_hooks *hooks, const char *outdir,
                    char **rewritten, char **err);

#endif
