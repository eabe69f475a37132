/* curluv.h — libcurl's multi interface driven by a libuv loop: the pattern
 * of curl's docs/examples/multi-uv.c, in one place for fetch.c and probe.c.
 *
 *   CURLMOPT_SOCKETFUNCTION  -> one uv_poll per socket curl watches;
 *   CURLMOPT_TIMERFUNCTION   -> one uv_timer; a 0 ms timeout is acted on from
 *                               the loop, never from inside curl;
 *   a libuv poll error       -> CURL_CSELECT_ERR for that socket;
 *   after every curl_multi_socket_action, every completion message is read
 *   (stopping at the first can lose the last one) and handed to done(),
 *   then after() runs once.
 * The caller owns the loop and the multi handle. */
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
};

/* Wire MULTI to LOOP (sets the multi's socket and timer callbacks). */
void curluv_init(struct curluv *cu, uv_loop_t *loop, CURLM *multi,
                 void (*done)(struct curluv *, CURL *, CURLcode),
                 void (*after)(struct curluv *), void *data);
void curluv_stop_timer(struct curluv *cu);
/* For uv_walk when tearing the loop down: closes every handle still open,
 * freeing the socket state behind curl's polls. */
void curluv_close_walk(uv_handle_t *h, void *arg);

#endif
