/* pytarget.h — the interpreter and platform pip would install wheels for.
 *
 * This machine and the Python the real pip runs (pyinfo.h: its #! line, the
 * interpreter's version, glibc; REAL_PIP may be the interpreter itself, run
 * as `python -m pip`), or, for another platform, a conda subdir
 * ("win-64", "osx-arm64", ...) with the oldest libc torch wheels target
 * (manylinux2014: glibc 2.17; macOS 11). PYTHON ("3.12") overrides the
 * interpreter's version; another platform needs it. */
#ifndef TORCHSHIM_PYTARGET_H
#define TORCHSHIM_PYTARGET_H

#include "wheelname.h"

/* 0 with *t filled (wheel_target_free), or -1 with *err. */
int pytarget_init(struct wheel_target *t, const char *real_pip, const char *python,
                  const char *subdir, char **err);

#endif
