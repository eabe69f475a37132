/* httpeasy.c — see httpeasy.h. */
#include "httpeasy.h"

#include <stdlib.h>
#include <strings.h>

#include "curllib.h"
#include "msg.h"

#ifndef TORCHSHIM_VERSION
#define TORCHSHIM_VERSION "dev"
#endif

void http_settings_init(struct http_settings *s, const struct fetch_opts *o)
{
    static const struct fetch_opts none = { 0 };
    if (!o)
        o = &none;
    s->connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : FETCH_DEFAULT_CONNECT_MS;
    s->total_ms = o->total_timeout_ms > 0 ? o->total_timeout_ms : FETCH_DEFAULT_TOTAL_MS;
    s->low_bytes = o->low_speed_bytes ? o->low_speed_bytes : FETCH_DEFAULT_LOW_SPEED;
    s->low_secs = o->low_speed_secs ? o->low_speed_secs : FETCH_DEFAULT_LOW_SECS;
    s->allow_http = o->allow_http;
    /* The version of the libcurl headers built against, not asked of the
     * library: settings are made before the cache is looked at, and a run
     * answered from the cache must not load libcurl (curllib.h). */
    s->user_agent = o->user_agent ? xstrdup(o->user_agent)
                                  : xasprintf("torchshim/%s libcurl/%s", TORCHSHIM_VERSION,
                                              LIBCURL_VERSION);
}

void http_settings_free(struct http_settings *s)
{
    free(s->user_agent);
    s->user_agent = NULL;
}

int httpeasy_allows_http(const struct http_settings *s, const char *url)
{
    return s->allow_http && url && !strncasecmp(url, "http:", 5);
}

void httpeasy_setup(CURL *e, const struct http_settings *s, const char *url, char *errbuf)
{
    curlapi()->easy_setopt(e, CURLOPT_URL, url);
    curlapi()->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curlapi()->easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curlapi()->easy_setopt(e, CURLOPT_USERAGENT, s->user_agent);
    curlapi()->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s->connect_ms);
    if (s->total_ms > 0)
        curlapi()->easy_setopt(e, CURLOPT_TIMEOUT_MS, s->total_ms);
    if (s->low_bytes > 0 && s->low_secs > 0) {
        curlapi()->easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, s->low_bytes);
        curlapi()->easy_setopt(e, CURLOPT_LOW_SPEED_TIME, s->low_secs);
    }
    curlapi()->easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curlapi()->easy_setopt(e, CURLOPT_MAXREDIRS, HTTP_MAX_REDIRS);
    curlapi()->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curlapi()->easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, httpeasy_allows_http(s, url) ? "http,https" : "https");
}
