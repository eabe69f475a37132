/* curluv.c — see curluv.h. */
#include "curluv.h"

#include <stdlib.h>
#include <string.h>

#include "curllib.h"
#include "msg.h"

struct curluv_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct curluv *cu;
};

static void drain(struct curluv *cu)
{
    CURLMsg *msg;
    int left;
    while ((msg = curlapi()->multi_info_read(cu->multi, &left)))
        if (msg->msg == CURLMSG_DONE)
            cu->done(cu, msg->easy_handle, msg->data.result);
    if (cu->after)
        cu->after(cu);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct curluv_sock *sk = h->data;
    int flags = 0, running;
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    curlapi()->multi_socket_action(sk->cu->multi, sk->fd, flags, &running);
    drain(sk->cu);
}

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct curluv *cu = userp;
    struct curluv_sock *sk = socketp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (sk) {
            uv_poll_stop(&sk->poll);
            uv_close((uv_handle_t *)&sk->poll, on_sock_closed);
            curlapi()->multi_assign(cu->multi, s, NULL);
        }
        return 0;
    }
    if (!sk) {
        sk = xcalloc(1, sizeof *sk);
        sk->fd = s;
        sk->cu = cu;
        if (uv_poll_init_socket(cu->loop, &sk->poll, s) != 0) {
            free(sk);
            return -1;
        }
        sk->poll.data = sk;
        curlapi()->multi_assign(cu->multi, s, sk);
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&sk->poll, events, on_poll);
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    struct curluv *cu = t->data;
    int running;
    curlapi()->multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain(cu);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct curluv *cu = userp;
    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&cu->timer);
    else  /* 0 too: the loop calls back soon, never from inside curl */
        uv_timer_start(&cu->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

void curluv_stop_timer(struct curluv *cu)
{
    uv_timer_stop(&cu->timer);
}

void curluv_close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, h->type == UV_POLL ? on_sock_closed : NULL);
}

int curluv_open(struct curluv *cu, uv_loop_t *loop,
                void (*done)(struct curluv *, CURL *, CURLcode),
                void (*after)(struct curluv *), void *data, char **err)
{
    memset(cu, 0, sizeof *cu);
    if (uv_loop_init(loop) != 0)
        return seterr(err, "cannot start an event loop");
    cu->loop = loop;
    cu->done = done;
    cu->after = after;
    cu->data = data;
    uv_timer_init(loop, &cu->timer);
    cu->timer.data = cu;
    return 0;
}

CURLM *curluv_multi(struct curluv *cu, char **err)
{
    if (cu->curl_state == 0) {
        cu->curl_state = -1;
        if (curllib_load(err))
            return NULL;
        if (curlapi()->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            seterr(err, "cannot initialise libcurl");
            return NULL;
        }
        cu->multi = curlapi()->multi_init();
        if (!cu->multi) {
            curlapi()->global_cleanup();
            seterr(err, "cannot initialise libcurl's multi interface");
            return NULL;
        }
        cu->curl_state = 1;
        curlapi()->multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curlapi()->multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
        curlapi()->multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, on_timer);
        curlapi()->multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
    } else if (cu->curl_state < 0) {
        seterr(err, "libcurl could not start");
    }
    return cu->multi;
}

void curluv_close(struct curluv *cu, const char *who)
{
    if (cu->multi)
        curlapi()->multi_cleanup(cu->multi);
    cu->multi = NULL;
    curluv_stop_timer(cu);
    uv_walk(cu->loop, curluv_close_walk, NULL);
    uv_run(cu->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(cu->loop) != 0)
        verbosef("%s: the event loop did not close cleanly", who);
    if (cu->curl_state == 1)
        curlapi()->global_cleanup();
    cu->curl_state = 0;
}
