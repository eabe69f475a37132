/* curluv.h — libcurl's multi interface driven by a libuv loop: the pattern
 * of curl's docs/examples/multi-uv.c, in one place for every module that
 * makes requests (fetch, wheel metadata, download, probes).
 *
 *   CURLMOPT_SOCKETFUNCTION  -> one uv_poll per socket curl watches;
 *   CURLMOPT_TIMERFUNCTION   -> one uv_timer; a 0 ms timeout is acted on from
 *                               the loop, never from inside curl;
 *   a libuv poll error       -> CURL_CSELECT_ERR for that socket;
 *   after every curl_multi_socket_action, every completion message is read
 *   (stopping at the first can lose the last one) and handed to done(),
 *   then after() runs once.
 * The caller provides the loop's storage; curluv makes and frees the multi
 * handle (curluv_multi, curluv_close). */
#ifndef TORCHSHIM_CURLUV_H
#define TORCHSHIM_CURLUV_H

#include <curl/curl.h>
#include <uv.h>

struct curluv {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    void (*done)(struct curluv *cu, CURL *easy, CURLcode result);  /* each finished transfer */
    void (*after)(struct curluv *cu);                              /* after each drain; may be NULL */
    void *data;                                                    /* the caller's */
    int curl_state;                /* 0 not started, 1 started, -1 could not start */
};

/* The loop (LOOP initialised, the curl timer on it) and the callbacks; no
 * libcurl yet. 0, or -1 with *err set and nothing left open. */
int curluv_open(struct curluv *cu, uv_loop_t *loop,
                void (*done)(struct curluv *, CURL *, CURLcode),
                void (*after)(struct curluv *), void *data, char **err);
/* The multi handle, made on the first call (curl_global_init, the multi
 * handle wired to the loop): a run whose answers all come from the cache
 * never loads libcurl (curllib.h). NULL, with *err set, when libcurl cannot
 * start (then again NULL on later calls). */
CURLM *curluv_multi(struct curluv *cu, char **err);
/* And down again, after the caller removed its easy handles: the multi
 * handle if made, every handle still open on the loop (the caller's timers
 * too), the loop, curl_global_cleanup if curl was started. WHO names the
 * caller in the verbose note when the loop does not close cleanly. */
void curluv_close(struct curluv *cu, const char *who);

void curluv_stop_timer(struct curluv *cu);
/* For uv_walk when tearing the loop down: closes every handle still open,
 * freeing the socket state behind curl's polls. */
void curluv_close_walk(uv_handle_t *h, void *arg);

#endif
