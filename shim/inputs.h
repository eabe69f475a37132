/* inputs.h — files named on the command line that the real tool reads, made
 * safe to look at before it does.
 *
 * pip reads -r/--requirement and -c/--constraint files, conda and mamba
 * --file (micromamba -f) and `conda env create|update -f`. When such a file
 * is not a regular file (a pipe from <(...), /dev/stdin, a FIFO, a
 * character device such as /dev/zero), reading it consumes it: the shim
 * must never take from the real tool what the tool has to read. So, before
 * anyone looks:
 *   - a regular file (or /dev/null) is left as it is;
 *   - a device (a terminal, /dev/zero) is left alone, unread: the command is
 *     passed through;
 *   - a pipe or FIFO (or a socket) is read once, at most INPUTS_MAX_BYTES within
 *     INPUTS_DEADLINE_MS. Read to its end, the content goes into an
 *     anonymous memory file (memfd) that both the engine and the real tool
 *     read as /dev/fd/N from its start; the argument is replaced by that
 *     path. Not at its end in time or size (a slow producer, /dev/zero), a
 *     relay process hands the real tool what was read followed by the rest,
 *     through a pipe named /dev/fd/N, and the command is passed through
 *     (the shim cannot know all of it). Nothing read at all: the argument
 *     stays as it was.
 * Descriptors made here are inherited by the engine and the real tool (no
 * close-on-exec). Libc only: part of the front end. */
#ifndef TORCHSHIM_INPUTS_H
#define TORCHSHIM_INPUTS_H

#include "findtool.h"

#define INPUTS_MAX_BYTES ((size_t)8 << 20)
#define INPUTS_DEADLINE_MS 5000

enum inputs_verdict {
    INPUTS_OK = 0,          /* every input can be read by the engine */
    INPUTS_PASS,            /* some input cannot be inspected: pass the command through */
};

/* Secure the file arguments of ARGS (the tool's arguments) in place: an
 * argument may be replaced by a new malloc'd string (never freed: the
 * process execs). */
enum inputs_verdict inputs_secure(enum tool_mode mode, int argc, char **args);

#endif
