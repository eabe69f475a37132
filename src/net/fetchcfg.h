/* fetchcfg.h — fetch options from the configuration ([network]), the same
 * for every resolver. cache-ttl = 0 means "always ask the mirror again"
 * (fetch itself reads 0 as "default"). */
#ifndef TORCHSHIM_FETCHCFG_H
#define TORCHSHIM_FETCHCFG_H

#include "config.h"
#include "fetch.h"

void fetch_opts_from_config(struct fetch_opts *o, const struct config *c, int allow_http);

#endif
