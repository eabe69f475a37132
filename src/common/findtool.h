/* findtool.h — which tool we stand in for, and where the real one is.
 *
 * The shim is reached as pip, pip3, pip3.N, conda, mamba or micromamba (a
 * symlink, hard link or copy named so) or explicitly as `torchshim pip ...`.
 * findtool_locate() finds the executable the user would have run without the
 * shim, in the order:
 *   1. TORCHSHIM_REAL_PIP (pip mode) / TORCHSHIM_REAL_CONDA (conda mode);
 *   2. conda mode only: CONDA_EXE when invoked as conda, MAMBA_EXE when invoked
 *      as mamba or micromamba (what `conda activate` and micromamba set),
 *      unless that is the shim itself;
 *   3. the next executable of that name on PATH, skipping empty and relative
 *      entries, TORCHSHIM_SHIMDIR (the installed shim directory), the
 *      directory the shim was invoked from, and anything that is the shim
 *      (same device and inode, or same real path).
 * A copy of the shim that is found anyway is caught by the recursion guard
 * (see run.h). */
#ifndef TORCHSHIM_FINDTOOL_H
#define TORCHSHIM_FINDTOOL_H

#include <sys/types.h>

enum tool_mode { MODE_NONE = 0, MODE_PIP, MODE_CONDA };

/* pip, pip3, pip3.N -> MODE_PIP; conda, mamba, micromamba -> MODE_CONDA. */
enum tool_mode tool_mode_of(const char *name);
const char *tool_mode_name(enum tool_mode m);

/* The running executable: its real path and identity. */
struct self_id {
    dev_t dev;
    ino_t ino;
    char path[4096];  /* real path; "" if unknown */
};
int self_identify(struct self_id *self, const char *argv0);
/* The identity of the executable at PATH (the engine uses it for the front
 * end it was started by). 0, or -1 with *self zeroed. */
int self_identify_path(struct self_id *self, const char *path);

/* Locate the real NAME. `invoked_dir` is the directory the shim was started
 * from (NULL if unknown or if NAME differs from the invoked name).
 * Returns 0 and stores a malloc'd absolute path in *out; otherwise returns
 * 127 (not found) or 126 (found but not executable) with *err saying why. */
int findtool_locate(const char *name, enum tool_mode mode, const struct self_id *self,
                    const char *invoked_dir, char **out, char **err);

/* NAME's executable: NAME itself when it has a '/', else the first
 * executable regular file in PATH (empty and relative entries skipped).
 * malloc'd, or NULL. */
char *findtool_which(const char *name);

/* Is PATH_ the shim itself? */
int findtool_is_self(const char *path, const struct self_id *self);

#endif
