/* conda_env.h — environment files through the conda path:
 *   conda env create|update [-f FILE] [-n NAME | -p PREFIX] ...   (FILE:
 *       environment.yml by default), and the same with mamba;
 *   micromamba / mamba / conda create|install|update -f FILE.yml|.yaml.
 *
 * The file is read with envfile.h (libyaml). Its channels and conda
 * dependencies go through the same analysis, resolution and rewrite as a
 * command line would (condajob, resolve_conda, rewrite_conda): official
 * channels to the mirror, PyTorch specs pinned to exact builds for the
 * file's python= (else the target environment's). Channels from conda's
 * configuration files join the file's list, with "nodefaults", when one
 * of them is mirrored — the same list conda would read (unless the file
 * already says nodefaults: then conda reads no configured channel).
 * The `- pip:` lines get the pip path's rewrite and pins: they are made
 * into a pip command line ("install" + each option line's words + each
 * requirement line), given to pip_run() for the file's Python, and the
 * rewritten command is made back into lines; relative paths in them
 * (-r, -c, -e, -f values, ./ and ../ requirements) are made absolute
 * against the file's directory, as conda runs pip there.
 *
 * The rewritten copy is written under <cache>/envfiles/ (envfile_write:
 * atomic, the original named in its header comment) and the command gets
 * -f <copy> in place of the original (or added, for the default file).
 *
 * conda_env_applies() says whether a command is one of these (without
 * reading anything); conda_env_run() follows conda_run()'s contract
 * (conda_run.h): RUN_UNCHANGED when the file installs nothing of
 * PyTorch's or cannot be read (conda will say what is wrong with it). */
#ifndef TORCHSHIM_CONDA_ENV_H
#define TORCHSHIM_CONDA_ENV_H

#include "config.h"
#include "outcome.h"
#include "resolve_conda.h"

int conda_env_applies(int argc, char *const *args);

enum run_outcome conda_env_run(const struct config *cfg, const char *real, int argc,
                               char *const *args, const struct conda_target *t,
                               struct run_result *res);

#endif
