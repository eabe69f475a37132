/* fuzz_config.c — the configuration loader (src/core/config.h): the input
 * is the user's file (written to a temporary file), loaded over the shipped
 * defaults (config/torchshim.ini, path given at build time as
 * TORCHSHIM_FUZZ_DEFAULTS); a loaded configuration is then asked what the
 * engine asks: the sites per role, their wheel URLs, the package lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"

#ifndef TORCHSHIM_FUZZ_DEFAULTS
#define TORCHSHIM_FUZZ_DEFAULTS "config/torchshim.ini"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmpfile(data, size, "config.ini");
    for (int pass = 0; pass < 2; pass++) {
        struct config c;
        memset(&c, 0, sizeof c);
        char *err = NULL;
        if (config_load_files(&c, pass ? NULL : TORCHSHIM_FUZZ_DEFAULTS, path, &err) == 0) {
            for (int r = 0; r < ROLE_N; r++) {
                const struct site *s[16];
                size_t n = config_sites_for(&c, (enum role)r, s, 16);
                for (size_t i = 0; i < n && i < 16; i++) {
                    (void)site_is_official(s[i]);
                    (void)site_serves_channel(s[i], "pytorch");
                    if (r == ROLE_WHEELS && s[i]->url[ROLE_WHEELS])
                        free(site_wheels_url(s[i]->url[ROLE_WHEELS], "cu121"));
                }
                (void)config_site_for(&c, (enum role)r);
            }
            (void)config_site(&c, "official");
            (void)config_list_has(c.pip_packages, "torch");
            (void)config_list_has(c.conda_packages, "pytorch");
        }
        free(err);
        config_free(&c);
    }
    return 0;
}
