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

#define CURLLIB_FN(name) __typeof__(&curl_##name) name
struct curllib {
    CURLLIB_FN(global_init);
    CURLLIB_FN(global_cleanup);
    CURLLIB_FN(version_info);
    CURLLIB_FN(free);
    CURLLIB_FN(easy_init);
    CURLLIB_FN(easy_cleanup);
    CURLLIB_FN(easy_reset);
    CURLLIB_FN(easy_setopt);
    CURLLIB_FN(easy_getinfo);
    CURLLIB_FN(easy_perform);
    CURLLIB_FN(easy_strerror);
    CURLLIB_FN(multi_init);
    CURLLIB_FN(multi_cleanup);
    CURLLIB_FN(multi_setopt);
    CURLLIB_FN(multi_add_handle);
    CURLLIB_FN(multi_remove_handle);
    CURLLIB_FN(multi_strerror);
    CURLLIB_FN(multi_socket_action);
    CURLLIB_FN(multi_assign);
    CURLLIB_FN(multi_info_read);
    CURLLIB_FN(slist_append);
    CURLLIB_FN(slist_free_all);
    CURLLIB_FN(url);
    CURLLIB_FN(url_set);
    CURLLIB_FN(url_get);
    CURLLIB_FN(url_cleanup);
};
#undef CURLLIB_FN

/* The table (never NULL). */
const struct curllib *curlapi(void);

/* 0 when libcurl is loaded, else -1 with *err saying why. */
int curllib_load(char **err);

#endif
