/* curllib.h — libcurl, loaded on first use (dlopen) instead of at the
 * engine's start.
 *
 * libcurl and the libraries it pulls in (TLS, HTTP/2, IDN, SSH, RTMP, LDAP,
 * Kerberos, SASL, brotli, zstd: 25 of them on Debian 12) were three quarters
 * of the engine's start-up time, paid by every intercepted command, while a
 * run answered from the cache makes no request at all. Every use of libcurl
 * goes through the table curlapi() returns, whose members have exactly the
 * types of libcurl's own functions (declared from <curl/curl.h>):
 *
 *     curlapi()->easy_setopt(h, CURLOPT_URL, url);
 *
 * The first call loads libcurl (once per process, thread-safe); later calls
 * cost a function call. When libcurl cannot be loaded, the table holds
 * stand-ins that fail the way libcurl does when it cannot start
 * (curl_global_init: CURLE_FAILED_INIT; easy/multi/url/slist constructors:
 * NULL; the rest an error code or nothing), so every caller's ordinary
 * error path runs: the transfer fails, the next mirror, then the user's
 * command unchanged. curllib_load() says why, for messages. */
#ifndef TORCHSHIM_CURLLIB_H
#define TORCHSHIM_CURLLIB_H

#include <curl/curl.h>

/* The sonames tried, in order (Debian 12: libcurl4 or libcurl3-gnutls). */
#define CURLLIB_SONAMES { "libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so" }

/* Every function used, once: the table's fields (typed from <curl/curl.h>)
 * and the names looked up ("curl_" NAME) are made from it. */
#define CURLLIB_FUNCTIONS(X)                                                  \
    X(global_init) X(global_cleanup) X(version_info) X(free)                  \
    X(easy_init) X(easy_cleanup) X(easy_reset) X(easy_setopt)                 \
    X(easy_getinfo) X(easy_perform) X(easy_strerror)                          \
    X(multi_init) X(multi_cleanup) X(multi_setopt) X(multi_add_handle)        \
    X(multi_remove_handle) X(multi_strerror) X(multi_socket_action)           \
    X(multi_assign) X(multi_info_read)                                        \
    X(slist_append) X(slist_free_all)                                         \
    X(url) X(url_set) X(url_get) X(url_cleanup)

#define CURLLIB_FIELD(name) __typeof__(&curl_##name) name;
struct curllib {
    CURLLIB_FUNCTIONS(CURLLIB_FIELD)
};
#undef CURLLIB_FIELD

/* The table (never NULL). */
const struct curllib *curlapi(void);

/* 0 when libcurl is loaded, else -1 with *err saying why. */
int curllib_load(char **err);

#endif
