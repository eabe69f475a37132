/* matchspec.h — conda match specs: what users type and what repodata
 * `depends` carry.
 *
 * Accepted forms (conda's own grammar, conda/models/match_spec.py):
 *   pytorch                              any version
 *   pytorch=2.3.1                        fuzzy: version "2.3.1*" (2.3.1, 2.3.1.x)
 *   pytorch==2.3.1                       exact
 *   pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0   exact version + build
 *   pytorch>=2.1,<2.4   "pytorch>=2.1,<2.4"  (outer quotes are dropped)
 *   pytorch[version='>=2.1']  pytorch[version=">=2.1", build="*cuda*"]
 *   pytorch[build_number=0]  pytorch[build_number='>=1']
 *   pytorch::pytorch   conda-forge/linux-64::pytorch
 *   https://mirror/anaconda/cloud/pytorch::pytorch
 *   pytorch 2.3.1 py3.12_cuda12.1_cudnn8_0   (space form, as in depends)
 *   pytorch-cuda 12.1.*   python >=3.12,<3.13.0a0   blas * mkl
 *   .../pytorch/win-64/pytorch-2.3.1-py3.12_cpu_0.tar.bz2 (a package file)
 * Builds may be globs ("*cuda*", "py3.12*": '*' only, matched in linear
 * time, as conda does) or "^regex$" (bounded: see matchspec_parse). Bracket values
 * override the same field given outside the brackets, as in conda. Keys
 * conda knows but torchshim does not use (md5, sha256, fn, url, license,
 * license_family, features, track_features) are accepted and ignored.
 *
 * Contract: nothing here prints or exits. matchspec_parse() returns 0 or
 * -1 with *err (if err != NULL) a malloc'd message; on success *out owns
 * all its strings: release with matchspec_free() (safe on a zeroed or
 * freed struct). */
#ifndef TORCHSHIM_MATCHSPEC_H
#define TORCHSHIM_MATCHSPEC_H

#include "condaver.h"

enum matchspec_bn_op {
    MATCHSPEC_BN_ANY, MATCHSPEC_BN_EQ, MATCHSPEC_BN_NE,
    MATCHSPEC_BN_LT, MATCHSPEC_BN_LE, MATCHSPEC_BN_GT, MATCHSPEC_BN_GE
};

struct matchspec {
    char *original;              /* the text as given */
    char *channel;               /* "pytorch", "conda-forge", a URL; NULL = any */
    char *subdir;                /* "linux-64"; NULL = any */
    char *name;                  /* lower-cased; "*" or a glob allowed */
    char *version;               /* spec text after conda's translation
                                  * ("2.3.1*" for name=2.3.1); NULL = any */
    struct condaver_spec vspec;  /* parsed version; vspec.root NULL = any */
    char *build;                 /* build string, glob or ^regex$; NULL = any */
    enum matchspec_bn_op bn_op;  /* build_number constraint */
    long bn_value;
    int fuzzy;                   /* version came from "name=ver" (prefix match) */
    int build_is_re;             /* build is a "^regex$" */
    void *build_re;              /* private: compiled ^regex$ build (trusted only) */
};

/* A spec the user typed: a "^...$" build or version is compiled as a POSIX
 * extended regex within condapat.h's bounds (else an error). */
int matchspec_parse(const char *s, struct matchspec *out, char **err);

/* FLAGS: MATCHSPEC_UNTRUSTED for specs from repodata (`depends`,
 * `constrains`): no regex is ever compiled; a "^...$" build or version in
 * them matches nothing. Globs ('*') are matched without regex either way. */
#define MATCHSPEC_UNTRUSTED CONDAVER_UNTRUSTED
int matchspec_parse_as(const char *s, int flags, struct matchspec *out, char **err);

/* Does a package (name, version, build, build_number) satisfy ms?
 * Channel and subdir are not checked here (they are the caller's). */
int matchspec_match(const struct matchspec *ms, const char *name, const char *version,
                    const char *build, int build_number);

/* "name=version=build" (conda's exact pin); "name==version" when build is
 * NULL; "name" when version is NULL too. Caller frees. */
char *matchspec_format_exact(const char *name, const char *version, const char *build);

/* Is s a conda subdir name (linux-64, win-64, noarch, osx-arm64, ...)? */
int matchspec_is_subdir(const char *s);

void matchspec_free(struct matchspec *ms);

#endif
