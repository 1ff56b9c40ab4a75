/* inflight.h - ingest's table of records sent but not yet durably stored.
 *
 * This is how cxflow gets at-least-once delivery over ZeroMQ PUSH/PULL, which
 * has no acknowledgements of its own.  Every record ingest takes from Kafka is
 * added here (with its encoded envelope) before it is sent.  The sink
 * acknowledges records after its SQLite transaction commits; an acknowledged
 * record is marked, and the committable offset of its partition advances over
 * the longest prefix of acknowledged records: ingest then stores offset+1 of
 * the last record of that prefix.  A record not acknowledged within the
 * timeout is queued to be sent again (the timeout doubles per try, up to 8x),
 * so a stage that died with records in its queues loses nothing.  When a
 * partition is revoked its records are forgotten: the new owner re-reads them
 * from the committed offset.
 *
 * Entries live in one ring per partition (in offset order) and, while waiting
 * to be sent, in one FIFO.  An entry removed from its ring while still in the
 * FIFO is "detached" and freed when the FIFO reaches it. */
#ifndef CX_INFLIGHT_H
#define CX_INFLIGHT_H
#include <stddef.h>
#include <stdint.h>
#include "cx_env.h"

enum { CX_IF_UNSENT = 0, CX_IF_SENT, CX_IF_ACKED, CX_IF_DLQ };

typedef struct cx_if_entry {
    int64_t offset;
    int64_t sent_ms;
    int32_t partition;
    uint8_t state;
    uint8_t queued;    /* in the unsent FIFO */
    uint8_t detached;  /* no longer in its partition ring */
    uint16_t tries;
    size_t len;
    char data[];       /* the encoded envelope (len bytes; 0 for dead letters) */
} cx_if_entry;

typedef struct cx_inflight cx_inflight;

cx_inflight *cx_inflight_new(void);
void cx_inflight_destroy(cx_inflight **t);

/* Add a record taken from Kafka.  dlq != 0: it is being dead-lettered and is
 * not sent downstream; it counts as done once cx_inflight_ack is called for
 * it.  Offsets must increase per partition.  Returns the entry or NULL (OOM). */
cx_if_entry *cx_inflight_add(cx_inflight *t, int32_t partition, int64_t offset, const void *data, size_t len,
                             int dlq);

/* Mark a record done.  1 when it was in flight, 0 when unknown or already
 * acknowledged (a duplicate, or a partition we no longer own). */
int cx_inflight_ack(cx_inflight *t, int32_t partition, int64_t offset);

/* The next entry waiting to be sent, or NULL.  Call cx_inflight_sent after a
 * successful send; leave it at the head when the link would block. */
cx_if_entry *cx_inflight_peek_unsent(cx_inflight *t);
void cx_inflight_sent(cx_inflight *t, cx_if_entry *e, int64_t now_ms);

/* Queue again every sent entry older than its timeout (base << min(tries-1,3)).
 * Returns how many were queued. */
size_t cx_inflight_expire(cx_inflight *t, int64_t now_ms, int64_t base_timeout_ms);

/* For every partition whose done-prefix grew since the last call, write
 * (partition, next offset to consume) into out (up to max).  Returns the
 * number written. */
size_t cx_inflight_advance(cx_inflight *t, cx_ack_item *out, size_t max);

/* Forget a partition (revoked).  Returns the number of records dropped. */
size_t cx_inflight_revoke(cx_inflight *t, int32_t partition);

size_t cx_inflight_count(const cx_inflight *t);     /* records in flight */
size_t cx_inflight_unsent(const cx_inflight *t);    /* waiting in the FIFO */

#endif
