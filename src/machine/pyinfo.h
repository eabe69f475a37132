/* pyinfo.h — facts about a Python environment, found without starting Python.
 *
 * Which interpreter a pip script runs, its version, the environment's
 * prefix and site-packages, the platform (os, machine, glibc) for wheel
 * tags, the conda subdir, and which torch is installed — read from files:
 *
 *   pip script    its shebang: "#!/venv/bin/python3.11", "#!/usr/bin/env
 *                 python3", or the trampoline pip writes when the path is
 *                 long or has spaces:
 *                     #!/bin/sh
 *                     '''exec' "/long path/bin/python" "$0" "$@"
 *                     ' '''
 *   version       in this order: the venv's pyvenv.cfg ("version = 3.11.2",
 *                 "version_info = 3.12.1.final.0") in the interpreter's
 *                 directory or the one above; a conda prefix's
 *                 conda-meta/python-*.json; the interpreter's name
 *                 (python3.11, also after resolving symlinks); a single
 *                 lib/pythonX.Y/ beside it; last, running
 *                 `python -c 'import sys; ...'` with a timeout.
 *   torch         <site-packages>/torch-2.3.1+cu121.dist-info/METADATA
 *                 (or an .egg-info's PKG-INFO), never importing torch.
 *
 * All functions return 0 on success and -1 on failure with the reason in
 * pi->error (unless said otherwise); a struct pyinfo must be released with
 * pyinfo_free whatever the result. Nothing here prints. */
#ifndef TORCHSHIM_PYINFO_H
#define TORCHSHIM_PYINFO_H

#include <stddef.h>

#include "strv.h"

#define PYINFO_RUN_TIMEOUT_MS 5000

struct pyinfo {
    char *python;          /* interpreter path as found (not resolved) */
    char *prefix;          /* the environment's sys.prefix; NULL if unknown */
    int is_venv;           /* prefix has pyvenv.cfg */
    int is_conda;          /* prefix has conda-meta/ */
    char *version;         /* "3.11.2", or "3.11" when only that is known */
    int major, minor;      /* 3, 11 */
    char *version_source;  /* where version came from (a path, or a command) */
    struct strv site_dirs; /* existing package directories, in sys.path order */
    char os[65];           /* "linux", "darwin", ... (uname sysname, lower case) */
    char machine[65];      /* "x86_64", "aarch64", "arm64" (uname machine) */
    char *glibc;           /* "2.36"; NULL when not on glibc */
    char *error;           /* why the last call failed; NULL otherwise */
};

#define PYINFO_INIT { NULL, NULL, 0, 0, NULL, 0, 0, NULL, STRV_INIT, "", "", NULL, NULL }

/* An installed distribution. */
struct pyinfo_dist {
    char *name;            /* as its metadata spells it: "torch" */
    char *version;         /* "2.3.1+cu121" */
    char *public_version;  /* "2.3.1" */
    char *local;           /* "cu121"; NULL when there is no local label */
    char *path;            /* the .dist-info / .egg-info it was read from */
};

/* The environment a pip script (pip, pip3, pip3.11) belongs to. */
int pyinfo_from_pip(const char *pip_path, struct pyinfo *pi);

/* The environment of an interpreter path (absolute, or a name looked up on
 * PATH). */
int pyinfo_from_python(const char *python, struct pyinfo *pi);

/* A conda environment: its conda-meta/python-<version>-<build>.json (the
 * file name gives the version, its "name"/"version" fields must agree). */
int pyinfo_from_conda_prefix(const char *prefix, struct pyinfo *pi);

void pyinfo_free(struct pyinfo *pi);

/* The interpreter a script's first bytes name. For "#!/usr/bin/env [-S]
 * python3" this is the bare name "python3" and *via_env is set. malloc'd,
 * or NULL when the text is not a script with a usable shebang. */
char *pyinfo_parse_shebang(const char *text, int *via_env);

/* Find distribution NAME (any spelling: Torch, nvidia_cublas-cu12, ...) in
 * pi->site_dirs; the first directory with an entry for it decides, as at
 * import time. Returns 1 and fills *d, 0 when not installed, -1 when its
 * metadata is unreadable or names another project (d is then empty). */
int pyinfo_find_dist(const struct pyinfo *pi, const char *name, struct pyinfo_dist *d);
int pyinfo_torch_installed(const struct pyinfo *pi, struct pyinfo_dist *d);
void pyinfo_dist_free(struct pyinfo_dist *d);

/* conda's subdir for this machine: linux-64, linux-aarch64, osx-64,
 * osx-arm64, win-64, ...; $CONDA_SUBDIR when set; NULL if unknown. */
const char *pyinfo_conda_subdir(void);
/* The same for a given uname sysname and machine. */
const char *pyinfo_conda_subdir_for(const char *sysname, const char *machine);

#endif
