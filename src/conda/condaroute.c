/* condaroute.c — see condaroute.h. */
#include "condaroute.h"

#include <string.h>

#include "condaselect.h"
#include "condaver.h"
#include "matchspec.h"

/* Versions beyond the pytorch channel's last: a spec matching any of them
 * asks for (or allows) a release only conda-forge has. */
static const char *const beyond[] = { "2.5.2", "2.6", "2.6.0", "2.7.1", "2.9.1", "2.10.0",
                                      "2.99", "3.0", "3.5", "10.0" };
static const char *const forge_names[] = { "pytorch-gpu", "pytorch-cpu", "libtorch" };
static const char *const channel_names[] = { "pytorch-cuda", "cpuonly", "cudatoolkit",
                                             "pytorch-mutex", "torchtriton" };

static int in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(name, list[i]))
            return 1;
    return 0;
}

/* 1: only releases the pytorch channel has; 0: newer ones too (a lower
 * bound past 2.5.1, or a newer version it matches); -1: any (no version). */
static int only_old(const struct matchspec *ms)
{
    if (!ms->vspec.root)
        return -1;
    const char *lb = condaver_spec_lower_bound(&ms->vspec, NULL);
    if (lb && condaver_cmp(lb, CONDASELECT_CHANNEL_LAST) > 0)
        return 0;
    for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++)
        if (condaver_spec_match(&ms->vspec, beyond[i]))
            return 0;
    return 1;
}

enum conda_route conda_route_for(const struct config *cfg, char *const *specs, size_t n)
{
    int old = -1, seen = 0;
    for (size_t i = 0; i < n; i++) {
        struct matchspec ms;
        if (matchspec_parse(specs[i], &ms, NULL) < 0)
            continue;
        int forge = in(ms.name, forge_names, 3), chan = in(ms.name, channel_names, 5);
        if (!seen && (!strcmp(ms.name, "pytorch") || !strcmp(ms.name, "torch"))) {
            seen = 1;
            old = only_old(&ms);
        }
        matchspec_free(&ms);
        if (forge)
            return CONDA_ROUTE_FORGE;
        if (chan)
            return CONDA_ROUTE_PYTORCH;
    }
    if (old >= 0)
        return old ? CONDA_ROUTE_PYTORCH : CONDA_ROUTE_FORGE;
    return conda_route_forge_mirrored(cfg) ? CONDA_ROUTE_FORGE : CONDA_ROUTE_PYTORCH;
}

int conda_route_forge_mirrored(const struct config *cfg)
{
    const struct site *sites[16];
    size_t n = cfg ? config_sites_for(cfg, ROLE_CONDA, sites, 16) : 0;
    for (size_t i = 0; i < n; i++)
        if (!site_is_official(sites[i]) && site_serves_channel(sites[i], "conda-forge"))
            return 1;
    return 0;
}

int conda_route_available(const struct config *cfg, const char *version)
{
    return (version && condaver_cmp(version, CONDASELECT_CHANNEL_LAST) <= 0) ||
           conda_route_forge_mirrored(cfg);
}
