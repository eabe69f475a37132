/* fuzz_matchspec.c — conda match specs (src/conda/matchspec.h) and version
 * specs (condaver.h). Input: "SPEC\nVERSION". The spec is matched against
 * a few real packages and the given version. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "condaver.h"
#include "fuzz_util.h"
#include "matchspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec, *ver;
    fuzz_split(data, size, &spec, &ver);
    struct matchspec ms;
    memset(&ms, 0, sizeof ms);
    char *err = NULL;
    if (matchspec_parse(spec, &ms, &err) == 0) {
        static const struct { const char *n, *v, *b; int bn; } pk[] = {
            { "pytorch", "2.3.1", "py3.12_cuda12.1_cudnn8_0", 0 },
            { "python", "3.12.1", "hab00c5b_1_cpython", 1 },
            { "pytorch-cuda", "12.1", "ha16c6d3_6", 6 },
        };
        for (size_t i = 0; i < sizeof pk / sizeof pk[0]; i++)
            (void)matchspec_match(&ms, pk[i].n, pk[i].v, pk[i].b, pk[i].bn);
        (void)matchspec_match(&ms, ms.name, ver, ver, 0);
        free(matchspec_format_exact(ms.name, ms.version, ms.build));
    }
    free(err);
    matchspec_free(&ms);
    (void)matchspec_is_subdir(ver);
    (void)condaver_valid(ver);
    (void)condaver_cmp(spec, ver);
    (void)condaver_startswith(ver, spec);
    struct condaver_spec cs;
    memset(&cs, 0, sizeof cs);
    char *err2 = NULL;
    if (condaver_spec_parse(spec, &cs, &err2) == 0)
        (void)condaver_spec_match(&cs, ver);
    condaver_spec_free(&cs);
    free(err2);
    free(spec);
    free(ver);
    return 0;
}
