/* cx_link.h - the ZeroMQ links between stages.
 *
 * Every link is PUSH -> PULL.  The downstream stage binds its input endpoint
 * (link.<stage> in pipeline.conf); upstream stages connect to it, so several
 * workers can feed one stage and any stage can live on another machine.
 * Options on every socket: SNDHWM/RCVHWM = link.hwm, ZMQ_MAXMSGSIZE =
 * link.max_msg_bytes (oversized frames are dropped by libzmq), a finite
 * ZMQ_LINGER, and ZMQ_IMMEDIATE=1 on PUSH sockets, so a send never queues into
 * the pipe of a peer that is not connected (it blocks instead, and the stage
 * reports "waiting for <endpoint>").
 *
 * PUSH/PULL has no acknowledgement: the ingest stage keeps every record until
 * the sink acknowledges it and sends it again after ingest.ack_timeout_ms
 * (docs/RELIABILITY.md). */
#ifndef CX_LINK_H
#define CX_LINK_H
#include <stddef.h>
#include <stdint.h>
#include "cx_conf.h"

/* Open a PULL socket bound to the endpoint in conf key `key`. NULL + err. */
void *cx_link_pull(void *zctx, const cx_conf *c, const char *key, char *err, size_t errlen);
/* Open a PUSH socket connected to the endpoint in conf key `key`. NULL + err. */
void *cx_link_push(void *zctx, const cx_conf *c, const char *key, char *err, size_t errlen);

/* Send one frame.  Blocks while the peer is missing or full, checking cx_stop
 * every 250 ms and logging "waiting for <endpoint>" every 5 s.  Returns 0 when
 * sent, -1 when stopping or on a fatal error. */
int cx_link_send(void *sock, const void *data, size_t len, const char *what);
/* Send one frame, ignoring cx_stop, for at most timeout_ms (shutdown
 * flushes).  0 sent, -1 timed out or failed. */
int cx_link_send_for(void *sock, const void *data, size_t len, int64_t timeout_ms);
/* Non-blocking send: 0 sent, 1 would block, -1 error. */
int cx_link_try_send(void *sock, const void *data, size_t len);

/* Close with the configured linger. */
void cx_link_close(void **sock);

#endif
