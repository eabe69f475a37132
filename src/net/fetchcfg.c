/* fetchcfg.c — see fetchcfg.h. */
#include "fetchcfg.h"

#include <string.h>
#include <unistd.h>

void fetch_opts_from_config(struct fetch_opts *o, const struct config *c, int allow_http)
{
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = c->connect_timeout * 1000;
    o->total_timeout_ms = c->timeout * 1000;
    o->ttl_secs = c->cache_ttl > 0 ? c->cache_ttl : -1;
    o->allow_http = allow_http;
    o->progress = isatty(STDERR_FILENO);
}
