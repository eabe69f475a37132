/* wheelname.h — wheel file names and whether a wheel fits this machine.
 *
 * A wheel is named {dist}-{version}(-{build})?-{python}-{abi}-{platform}.whl
 * where each tag part may be a '.'-separated set ("py2.py3",
 * "manylinux_2_17_x86_64.manylinux2014_x86_64"). The name must already be
 * percent-decoded ("torch-2.3.1+cu121-...", not "%2B"): listing does that.
 *
 * A wheel_target describes the interpreter and machine pip would install
 * for: CPython X.Y plus an ordered list of platform tags, most specific
 * first, built the way pip (packaging.tags) builds it:
 *   linux   manylinux_2_{glibc minor..5}_{arch} with the legacy aliases
 *           manylinux2014 (2.17), manylinux2010 (2.12), manylinux1 (2.5) after
 *           their equivalents (aarch64 and others stop at 2.17), then linux_{arch}
 *   windows win_amd64 / win_arm64 / win32
 *   macos   macosx_{M}_0_{arm64|x86_64, universal2, ...} for M down to 11,
 *           then macosx_10_{16..4}_* (arm64: universal2 only)
 * wheel_compatible() accepts cpXY with abi cpXY (or cpXYm before 3.8) or
 * none, cp3y-abi3 for y <= Y, pyX / pyXy (y <= Y) with abi none, and the
 * platform "any" for abi none.
 *
 * Memory: wheelname_parse/wheel_target_init fill caller structs; release
 * them with wheelname_free/wheel_target_free (safe after a failure). */
#ifndef TORCHSHIM_WHEELNAME_H
#define TORCHSHIM_WHEELNAME_H

#include "pep440.h"
#include "strv.h"

struct wheelname {
    char *dist;           /* as in the file name: "nvidia_cudnn_cu12" */
    char *norm_name;      /* PEP 503 normalised: "nvidia-cudnn-cu12" */
    char *version_str;    /* as in the file name: "2.3.1+cu121" */
    struct pep440 version;
    char *build;          /* build tag ("1", "2_abc") or NULL */
    struct strv pythons;  /* "cp312"; "py2", "py3" */
    struct strv abis;     /* "cp312", "abi3", "none" */
    struct strv platforms;/* "linux_x86_64", "manylinux_2_28_x86_64", "any" */
};

/* 0 ok, -1 when fn is not a well-formed wheel name (w left zeroed). */
int wheelname_parse(const char *fn, struct wheelname *w);
void wheelname_free(struct wheelname *w);

struct wheel_target {
    int py_major, py_minor;
    struct strv platforms;   /* most specific first */
    char *label;             /* "cp312 linux_x86_64", for messages */
};

/* os: "linux", "windows" ("win32", "win"), "macos" ("darwin", "osx").
 * machine: "x86_64" ("amd64"), "aarch64" ("arm64"), "i686" ("x86", "i386"),
 * or another uname -m value for linux. libc_major.libc_minor is the glibc
 * version on linux (e.g. 2.35) and the macOS version on macOS (e.g. 14.5);
 * ignored on windows. 0 ok, -1 with *err (malloc'd) on bad input. */
int wheel_target_init(struct wheel_target *t, const char *os, const char *machine,
                      int py_major, int py_minor, int libc_major, int libc_minor,
                      char **err);
void wheel_target_free(struct wheel_target *t);

/* Is tag one of the target's platform tags? */
int wheel_target_has_platform(const struct wheel_target *t, const char *tag);

/* Could pip install this wheel on the target? 1 or 0. */
int wheel_compatible(const struct wheelname *w, const struct wheel_target *t);

#endif
