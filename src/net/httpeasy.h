/* httpeasy.h — what every torchshim HTTP transfer sets on a libcurl easy
 * handle: the limits of struct fetch_opts with their defaults applied, the
 * redirect policy and the user agent. One place, so the fetcher, the wheel
 * metadata reader and the downloader cannot drift apart. */
#ifndef TORCHSHIM_HTTPEASY_H
#define TORCHSHIM_HTTPEASY_H

#include <curl/curl.h>

#include "fetch.h"

#define HTTP_MAX_REDIRS 5L

struct http_settings {
    long connect_ms, total_ms;      /* total_ms <= 0: no overall limit */
    long low_bytes, low_secs;       /* <= 0: no low-speed abort */
    int allow_http;                 /* follow redirects to http:// */
    char *user_agent;               /* owned */
};

/* From O (NULL: all defaults, as documented in fetch.h). Does not load
 * libcurl. */
void http_settings_init(struct http_settings *s, const struct fetch_opts *o);
void http_settings_free(struct http_settings *s);

/* May a transfer starting at URL follow a redirect to http://? Per site:
 * only when allow_http is set and URL itself is http:// (a mirror
 * configured as plain http); an https site never downgrades, whatever
 * other sites of the same run are. */
int httpeasy_allows_http(const struct http_settings *s, const char *url);

/* URL, NOSIGNAL, user agent, connect/total timeouts, the low-speed abort,
 * redirects (at most HTTP_MAX_REDIRS, http and https only, to https only
 * unless httpeasy_allows_http) and ERRBUF (CURL_ERROR_SIZE bytes) as error
 * buffer. */
void httpeasy_setup(CURL *e, const struct http_settings *s, const char *url, char *errbuf);

#endif
