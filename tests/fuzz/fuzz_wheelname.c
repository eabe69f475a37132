/* fuzz_wheelname.c — wheel file names (src/pip/wheelname.h), and whether a
 * parsed one fits a few targets (Linux, Windows, macOS). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "wheelname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wheel_target targets[3];
static int ntargets;

static void init_targets(void)
{
    static const struct { const char *os, *machine; int a, b; } t[] = {
        { "linux", "x86_64", 2, 35 }, { "windows", "amd64", 0, 0 }, { "macos", "arm64", 14, 5 },
    };
    for (int i = 0; i < 3; i++) {
        char *err = NULL;
        if (wheel_target_init(&targets[ntargets], t[i].os, t[i].machine, 3, 11, t[i].a, t[i].b,
                              &err) == 0)
            ntargets++;
        free(err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ntargets)
        init_targets();
    char *fn = fuzz_cstr(data, size);
    struct wheelname w;
    memset(&w, 0, sizeof w);
    if (wheelname_parse(fn, &w) == 0) {
        if (!w.dist || !w.norm_name || !w.version_str || !w.pythons.n || !w.abis.n ||
            !w.platforms.n)
            abort();
        for (int i = 0; i < ntargets; i++) {
            (void)wheel_compatible(&w, &targets[i]);
            (void)wheel_target_has_platform(&targets[i], w.platforms.v[0]);
        }
    }
    wheelname_free(&w);
    free(fn);
    return 0;
}
