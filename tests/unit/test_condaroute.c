/* test_condaroute.c — which conda channel a plan takes PyTorch from: the
 * pytorch channel for what it has (up to 2.5.1), conda-forge beyond and for
 * its own names; no version: conda-forge only when a mirror carries it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "condaroute.h"
#include "msg.h"

static enum conda_route route(const struct config *cfg, const char *specs)
{
    char *dup = xstrdup(specs), *save = NULL, *v[8];
    size_t n = 0;
    for (char *w = strtok_r(dup, " ", &save); w && n < 8; w = strtok_r(NULL, " ", &save))
        v[n++] = w;
    enum conda_route r = conda_route_for(cfg, v, n);
    free(dup);
    return r;
}

static void load(struct config *cfg, const char *channels)
{
    char path[] = "/tmp/torchshim-route-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "[mirror \"m\"]\nconda = https://m.example/anaconda/cloud\nconda-channels = %s\n"
               "[use]\nconda = m\n", channels);
    fclose(f);
    char *err = NULL;
    if (config_load_files(cfg, "config/torchshim.ini", path, &err))
        fail_msg("%s", err);
    unlink(path);
}

static void test_routes(void **state)
{
    (void)state;
    struct config forge, plain;
    load(&forge, "pytorch conda-forge");
    load(&plain, "pytorch");
    static const struct { const char *specs; enum conda_route with, without; } cases[] = {
        { "pytorch==2.3.1 torchvision", CONDA_ROUTE_PYTORCH, CONDA_ROUTE_PYTORCH },
        { "torch==2.3.1", CONDA_ROUTE_PYTORCH, CONDA_ROUTE_PYTORCH },
        { "pytorch=2.4", CONDA_ROUTE_PYTORCH, CONDA_ROUTE_PYTORCH },
        { "pytorch<2.5", CONDA_ROUTE_PYTORCH, CONDA_ROUTE_PYTORCH },
        { "pytorch>=2.6", CONDA_ROUTE_FORGE, CONDA_ROUTE_FORGE },
        { "pytorch==2.13", CONDA_ROUTE_FORGE, CONDA_ROUTE_FORGE },
        { "torch==2.7.1", CONDA_ROUTE_FORGE, CONDA_ROUTE_FORGE },
        { "pytorch>=2.4", CONDA_ROUTE_FORGE, CONDA_ROUTE_FORGE },
        { "pytorch-gpu", CONDA_ROUTE_FORGE, CONDA_ROUTE_FORGE },
        { "libtorch", CONDA_ROUTE_FORGE, CONDA_ROUTE_FORGE },
        { "pytorch pytorch-cuda=12.1", CONDA_ROUTE_PYTORCH, CONDA_ROUTE_PYTORCH },
        { "pytorch cpuonly", CONDA_ROUTE_PYTORCH, CONDA_ROUTE_PYTORCH },
        { "pytorch torchvision", CONDA_ROUTE_FORGE, CONDA_ROUTE_PYTORCH },
        { "torch", CONDA_ROUTE_FORGE, CONDA_ROUTE_PYTORCH },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (route(&forge, cases[i].specs) != cases[i].with)
            fail_msg("'%s' with conda-forge mirrored", cases[i].specs);
        if (route(&plain, cases[i].specs) != cases[i].without)
            fail_msg("'%s' without", cases[i].specs);
    }
    assert_true(conda_route_available(&plain, "2.3.1"));
    assert_false(conda_route_available(&plain, "2.7.1"));
    assert_false(conda_route_available(&plain, NULL));
    assert_true(conda_route_available(&forge, "2.7.1"));
    config_free(&forge);
    config_free(&plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
    };
    return cmocka_run_group_tests_name("condaroute", tests, NULL, NULL);
}
