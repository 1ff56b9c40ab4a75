/* cx_link.c - ZeroMQ PUSH/PULL links (see cx_link.h). */
#include "cx_link.h"
#include "cx_log.h"
#include "cx_util.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

static int common_opts(void *s, const cx_conf *c, char *err, size_t errlen) {
    int hwm = (int)cx_conf_int(c, "link.hwm");
    int linger = (int)cx_conf_int(c, "link.linger_ms");
    int64_t maxmsg = cx_conf_int(c, "link.max_msg_bytes");
    int tmo = 250;
    if (zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm) || zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) ||
        zmq_setsockopt(s, ZMQ_SNDTIMEO, &tmo, sizeof tmo) || zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo)) {
        snprintf(err, errlen, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

void *cx_link_pull(void *zctx, const cx_conf *c, const char *key, char *err, size_t errlen) {
    const char *ep = cx_conf_str(c, key);
    void *s = zmq_socket(zctx, ZMQ_PULL);
    if (!s) { snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(zmq_errno())); return NULL; }
    if (common_opts(s, c, err, errlen) < 0) { zmq_close(s); return NULL; }
    if (zmq_bind(s, ep) != 0) {
        char o[256];
        snprintf(err, errlen, "cannot bind %s = %s (%s): %s", key, ep, cx_conf_origin(c, key, o, sizeof o),
                 zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    return s;
}

void *cx_link_push(void *zctx, const cx_conf *c, const char *key, char *err, size_t errlen) {
    const char *ep = cx_conf_str(c, key);
    void *s = zmq_socket(zctx, ZMQ_PUSH);
    if (!s) { snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(zmq_errno())); return NULL; }
    int one = 1;
    if (common_opts(s, c, err, errlen) < 0 || zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof one)) {
        if (!*err) snprintf(err, errlen, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    if (zmq_connect(s, ep) != 0) {
        snprintf(err, errlen, "cannot connect to %s = %s: %s", key, ep, zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    return s;
}

int cx_link_try_send(void *sock, const void *data, size_t len) {
    if (zmq_send(sock, data, len, ZMQ_DONTWAIT) >= 0) return 0;
    return zmq_errno() == EAGAIN ? 1 : -1;
}

int cx_link_send(void *sock, const void *data, size_t len, const char *what) {
    int64_t since = cx_mono_ms(), warned = since;
    while (!cx_stop) {
        if (zmq_send(sock, data, len, 0) >= 0) {
            if (warned != since) cx_info("%s is back, sending again", what);
            return 0;
        }
        int e = zmq_errno();
        if (e == EINTR) continue;
        if (e != EAGAIN) { cx_error("send to %s: %s", what, zmq_strerror(e)); return -1; }
        int64_t now = cx_mono_ms();
        if (now - warned >= 5000) {
            cx_warn("waiting for %s (blocked %.0f s: peer missing or full)", what, (now - since) / 1000.0);
            warned = now;
        }
    }
    return -1;
}

int cx_link_send_for(void *sock, const void *data, size_t len, int64_t timeout_ms) {
    int64_t until = cx_mono_ms() + timeout_ms;
    do {
        if (zmq_send(sock, data, len, 0) >= 0) return 0;
        if (zmq_errno() != EAGAIN && zmq_errno() != EINTR) return -1;
    } while (cx_mono_ms() < until);
    return -1;
}

void cx_link_close(void **sock) {
    if (sock && *sock) { zmq_close(*sock); *sock = NULL; }
}
