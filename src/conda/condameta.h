/* condameta.h — what a conda environment has installed, as conda records it:
 * PREFIX/conda-meta/<name>-<version>-<build>.json, one file per package,
 * each a JSON object with (at least) "name", "version", "build".
 *
 * condameta_find() looks for package NAME: only files whose name starts
 * with "NAME-" and ends in ".json" are read (regular files of at most
 * CONDAMETA_MAX_BYTES; anything else is skipped), and the record's own
 * "name" must be NAME; its version and build must be what repodata would
 * carry (repodata_valid_version/_build): they may go into a command line.
 * Returns 0 with *out filled (strings malloc'd; condameta_pkg_free), or -1
 * when the environment has no such package (or no conda-meta at all).
 * Nothing is printed. */
#ifndef TORCHSHIM_CONDAMETA_H
#define TORCHSHIM_CONDAMETA_H

#define CONDAMETA_MAX_BYTES (4 * 1024 * 1024)

struct condameta_pkg {
    char *name, *version, *build;
};

int condameta_find(const char *prefix, const char *name, struct condameta_pkg *out);
void condameta_pkg_free(struct condameta_pkg *p);

#endif
