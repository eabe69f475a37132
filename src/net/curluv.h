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

/* The whole stack at once: curl_global_init, LOOP initialised, a multi
 * handle (CU->multi) wired to it. 0, or -1 with *err set and nothing left
 * open. */
int curluv_open(struct curluv *cu, uv_loop_t *loop,
                void (*done)(struct curluv *, CURL *, CURLcode),
                void (*after)(struct curluv *), void *data, char **err);
/* And down again, after the caller removed its easy handles: the multi
 * handle, every handle still open on the loop (the caller's timers too),
 * the loop, curl_global_cleanup. WHO names the caller in the verbose note
 * when the loop does not close cleanly. */
void curluv_close(struct curluv *cu, const char *who);

/* Wire MULTI to LOOP (sets the multi's socket and timer callbacks). */
void curluv_init(struct curluv *cu, uv_loop_t *loop, CURLM *multi,
                 void (*done)(struct curluv *, CURL *, CURLcode),
                 void (*after)(struct curluv *), void *data);
void curluv_stop_timer(struct curluv *cu);
/* For uv_walk when tearing the loop down: closes every handle still open,
 * freeing the socket state behind curl's polls. */
void curluv_close_walk(uv_handle_t *h, void *arg);

#endif
