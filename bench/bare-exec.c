/* bare-exec.c — the baseline of bench row 1: the least an exec wrapper can do.
 *
 *   bare-exec TOOL [ARGS...]
 *
 * execv(2)s TOOL (an absolute path) with argv TOOL ARGS..., exactly the
 * exec the torchshim front end makes when it passes a command through, and
 * nothing else: no PATH search, no classification, no environment changes.
 * Built by bench/run.sh with the project's compiler and flags (dynamically
 * linked, as build/torchshim is), so the two differ only in what the shim
 * does before its exec.
 *
 * Exit codes: the tool's (it replaces us); 2 usage; 127 TOOL not found;
 * 126 TOOL not executable. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: bare-exec TOOL [ARGS...]\n", stderr);
        return 2;
    }
    execv(argv[1], argv + 1);
    int e = errno;
    fprintf(stderr, "bare-exec: %s: %s\n", argv[1], strerror(e));
    return e == ENOENT ? 127 : 126;
}
