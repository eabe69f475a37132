/* fuzz_util.h — helpers shared by the libFuzzer harnesses (tests/fuzz/).
 *
 * fuzz_cstr: the input as a NUL-terminated copy (malloc'd; caller frees).
 * fuzz_split: the input split at its first '\n' into two NUL-terminated
 *   copies (*a before, *b after; b is "" when there is none); caller frees.
 * fuzz_tmpfile: write the input to one private temporary file (created once
 *   per process in a private directory, rewritten on each call) and return
 *   its path (static storage). fuzz_tmpdir: that directory. */
#ifndef TORCHSHIM_FUZZ_UTIL_H
#define TORCHSHIM_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

char *fuzz_cstr(const uint8_t *data, size_t size);
void fuzz_split(const uint8_t *data, size_t size, char **a, char **b);
const char *fuzz_tmpdir(void);
const char *fuzz_tmpfile(const uint8_t *data, size_t size, const char *name);

#endif
