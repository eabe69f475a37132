/* classify.h — does this command line install PyTorch packages?
 *
 * The front end's one decision, made with libc only and in a few microseconds.
 * It is conservative: "maybe" counts as yes, and the engine (which knows the
 * exact package list in config/) decides for real; a command the engine finds
 * to install nothing of PyTorch's is passed through unchanged. "No" must be
 * certain: those commands are exec'd untouched without loading the engine.
 *
 * pip:   install / download / wheel with a token mentioning "torch", or a
 *        download.pytorch.org URL in the arguments, PIP_INDEX_URL,
 *        PIP_EXTRA_INDEX_URL or PIP_FIND_LINKS, or a requirements/constraints
 *        file (-r/-c) that mentions either or nests further files.
 * conda: install / create / update / upgrade (mamba, micromamba alike) with a
 *        token mentioning "torch" or "cpuonly", or a --file that does. */
#ifndef TORCHSHIM_CLASSIFY_H
#define TORCHSHIM_CLASSIFY_H

#include "findtool.h"

enum verdict { VERDICT_PASS = 0, VERDICT_ENGINE = 1 };

/* args: the tool's arguments, without the program name. */
enum verdict classify(enum tool_mode mode, int argc, char *const *args);

#endif
