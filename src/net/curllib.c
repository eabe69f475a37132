/* curllib.c — see curllib.h. */
#include "curllib.h"

#include <pthread.h>
#include <stddef.h>

#include "dynlib.h"
#include "msg.h"

/* ---- the stand-ins used when libcurl cannot be loaded ---- */

static CURLcode no_global_init(long flags) { (void)flags; return CURLE_FAILED_INIT; }
static void no_global_cleanup(void) {}
static curl_version_info_data *no_version_info(CURLversion v) { (void)v; return NULL; }
static void no_free(void *p) { (void)p; }
static CURL *no_easy_init(void) { return NULL; }
static void no_easy_handle(CURL *h) { (void)h; }
static CURLcode no_easy_opt(CURL *h, CURLoption o, ...) { (void)h; (void)o; return CURLE_FAILED_INIT; }
static CURLcode no_easy_info(CURL *h, CURLINFO i, ...) { (void)h; (void)i; return CURLE_FAILED_INIT; }
static CURLcode no_easy_perform(CURL *h) { (void)h; return CURLE_FAILED_INIT; }
static const char *no_easy_strerror(CURLcode c) { (void)c; return "libcurl could not be loaded"; }
static CURLM *no_multi_init(void) { return NULL; }
static CURLMcode no_multi_cleanup(CURLM *m) { (void)m; return CURLM_BAD_HANDLE; }
static CURLMcode no_multi_opt(CURLM *m, CURLMoption o, ...) { (void)m; (void)o; return CURLM_BAD_HANDLE; }
static CURLMcode no_multi_handle(CURLM *m, CURL *h) { (void)m; (void)h; return CURLM_BAD_HANDLE; }
static const char *no_multi_strerror(CURLMcode c) { (void)c; return "libcurl could not be loaded"; }
static CURLMcode no_socket_action(CURLM *m, curl_socket_t s, int ev, int *running)
{
    (void)m; (void)s; (void)ev;
    *running = 0;
    return CURLM_BAD_HANDLE;
}
static CURLMcode no_assign(CURLM *m, curl_socket_t s, void *p) { (void)m; (void)s; (void)p; return CURLM_BAD_HANDLE; }
static CURLMsg *no_info_read(CURLM *m, int *left) { (void)m; *left = 0; return NULL; }
static struct curl_slist *no_slist_append(struct curl_slist *l, const char *s) { (void)l; (void)s; return NULL; }
static void no_slist_free_all(struct curl_slist *l) { (void)l; }
static CURLU *no_url(void) { return NULL; }
static CURLUcode no_url_set(CURLU *u, CURLUPart w, const char *p, unsigned int f)
{
    (void)u; (void)w; (void)p; (void)f;
    return CURLUE_BAD_HANDLE;
}
static CURLUcode no_url_get(CURLU *u, CURLUPart w, char **p, unsigned int f)
{
    (void)u; (void)w; (void)f;
    *p = NULL;
    return CURLUE_BAD_HANDLE;
}
static void no_url_cleanup(CURLU *u) { (void)u; }

static struct curllib table = {
    .global_init = no_global_init, .global_cleanup = no_global_cleanup,
    .version_info = no_version_info, .free = no_free,
    .easy_init = no_easy_init, .easy_cleanup = no_easy_handle, .easy_reset = no_easy_handle,
    .easy_setopt = no_easy_opt, .easy_getinfo = no_easy_info, .easy_perform = no_easy_perform,
    .easy_strerror = no_easy_strerror,
    .multi_init = no_multi_init, .multi_cleanup = no_multi_cleanup, .multi_setopt = no_multi_opt,
    .multi_add_handle = no_multi_handle, .multi_remove_handle = no_multi_handle,
    .multi_strerror = no_multi_strerror, .multi_socket_action = no_socket_action,
    .multi_assign = no_assign, .multi_info_read = no_info_read,
    .slist_append = no_slist_append, .slist_free_all = no_slist_free_all,
    .url = no_url, .url_set = no_url_set, .url_get = no_url_get, .url_cleanup = no_url_cleanup,
};

/* ---- loading ---- */

static const struct dynlib_sym syms[] = {
#define CURLLIB_SYM(name) { offsetof(struct curllib, name), "curl_" #name },
    CURLLIB_FUNCTIONS(CURLLIB_SYM)
#undef CURLLIB_SYM
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[320];  /* "" once loaded */

static void load(void)
{
    static const char *const sonames[] = CURLLIB_SONAMES;
    dynlib_fill("libcurl", sonames, sizeof sonames / sizeof sonames[0], syms,
                sizeof syms / sizeof syms[0], &table, sizeof table, load_error,
                sizeof load_error);
}

const struct curllib *curlapi(void)
{
    pthread_once(&once, load);
    return &table;
}

int curllib_load(char **err)
{
    pthread_once(&once, load);
    return load_error[0] ? seterr(err, "%s", load_error) : 0;
}
