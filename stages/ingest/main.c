/* main.c - cxflow-ingest: Kafka consumer group -> record envelopes -> tokenize.
 *
 * The loop, in order of each turn:
 *   1. read acknowledgements from the sink (link.ack) and mark records done;
 *   2. store offset+1 for every partition whose done prefix advanced
 *      (enable.auto.offset.store=false; librdkafka's auto-commit commits only
 *      what was stored, so offsets never pass what the sink has written);
 *   3. send queued envelopes to tokenize without blocking;
 *   4. poll the consumer: validate and parse each message; malformed ones go
 *      to the dead-letter file and topic with the reason and original bytes;
 *   5. every 500 ms queue again records not acknowledged in time.
 * When more than ingest.max_inflight records are in flight, every assigned
 * partition is paused (the consumer keeps polling, so the group does not
 * evict it) and resumed below half of it.  See docs/RELIABILITY.md. */
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_kafka.h"
#include "cx_link.h"
#include "cx_log.h"
#include "cx_metrics.h"
#include "cx_util.h"
#include "inflight.h"
#include "input.h"
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

typedef struct ingest {
    cx_conf *conf;
    rd_kafka_t *rk;          /* consumer */
    rd_kafka_t *dlq;         /* producer for the dead-letter topic, or NULL */
    const char *topic, *dlq_topic;
    cx_inflight *inflight;
    cx_input_opts in;
    void *zctx, *out, *ack;
    FILE *dlq_file;
    int dlq_dirty;
    int paused;
    size_t max_inflight;
    int64_t ack_timeout_ms;
    cx_buf enc;
    int64_t *next_offset;    /* per partition: the offset expected next, -1 unknown */
    int64_t *last_msg_ms;    /* per partition: when a message last arrived (watchdog) */
    uint8_t *kicked;         /* per partition: resumed by the watchdog, not moving since */
    size_t n_next;
    cx_metrics *m;
    double *m_consumed, *m_sent, *m_resent, *m_acked, *m_dlq, *m_inflight, *m_paused, *m_stored,
        *m_commit_err, *m_revoked, *m_kafka_up, *m_assigned, *m_gaps, *m_kicks;
} ingest;

/* ---- dead letters ---- */

typedef struct dlq_ref { int32_t partition; int64_t offset; } dlq_ref;

/* Append one JSON line to the dead-letter file. 0 / -1. */
static int dlq_write_file(ingest *g, const rd_kafka_message_t *m, const char *reason) {
    cx_buf b;
    cx_buf_init(&b);
    cx_buf_printf(&b, "{\"at\":%lld,\"stage\":\"ingest\",\"topic\":", (long long)cx_now_ms());
    cx_buf_json_str(&b, rd_kafka_topic_name(m->rkt));
    cx_buf_printf(&b, ",\"partition\":%d,\"offset\":%lld,\"reason\":", (int)m->partition, (long long)m->offset);
    cx_buf_json_str(&b, reason);
    const unsigned char *p = m->payload ? m->payload : (const unsigned char *)"";
    if (cx_utf8_invalid_at(p, m->len) < 0 && !memchr(p, 0, m->len)) {
        char *s = cx_strndup((const char *)p, m->len);
        if (s) {
            cx_buf_append(&b, ",\"raw\":", 7);
            cx_buf_json_str(&b, s);
            cx_free(s);
        }
    }
    cx_buf_append(&b, ",\"raw_b64\":\"", 12);
    cx_base64_append(&b, p, m->len);
    cx_buf_append(&b, "\"}\n", 3);
    int rc = -1;
    if (!b.oom && fwrite(b.data, 1, b.len, g->dlq_file) == b.len && fflush(g->dlq_file) == 0) rc = 0;
    cx_buf_free(&b);
    g->dlq_dirty = 1;
    return rc;
}

static void dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    ingest *g = opaque;
    dlq_ref *ref = m->_private;
    if (!ref) return;
    if (m->err) {
        cx_error("dead-letter topic %s: delivery failed: %s; the record will be read again after a restart",
                 g->dlq_topic, rd_kafka_err2str(m->err));
    } else {
        cx_inflight_ack(g->inflight, ref->partition, ref->offset);
    }
    cx_free(ref);
}

/* Dead-letter one message: file always, topic when configured.  The record
 * counts as done when both are written. */
static void dead_letter(ingest *g, const rd_kafka_message_t *m, const char *reason) {
    (*g->m_dlq)++;
    cx_warn("dead letter %s[%d]@%lld: %s", rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset,
            reason);
    if (!cx_inflight_add(g->inflight, m->partition, m->offset, NULL, 0, 1)) {
        cx_error("out of memory tracking a dead letter");
        return;
    }
    if (dlq_write_file(g, m, reason) < 0) {
        cx_error("cannot write the dead-letter file: %s; record stays unacknowledged", strerror(errno));
        return;
    }
    if (!g->dlq) { cx_inflight_ack(g->inflight, m->partition, m->offset); return; }
    dlq_ref *ref = cx_malloc(sizeof *ref);
    if (!ref) return;
    ref->partition = m->partition;
    ref->offset = m->offset;
    char pbuf[16], obuf[24];
    snprintf(pbuf, sizeof pbuf, "%d", (int)m->partition);
    snprintf(obuf, sizeof obuf, "%lld", (long long)m->offset);
    const char *src = rd_kafka_topic_name(m->rkt);
    rd_kafka_resp_err_t e = rd_kafka_producev(
        g->dlq, RD_KAFKA_V_TOPIC(g->dlq_topic), RD_KAFKA_V_VALUE(m->payload, m->len),
        RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADER("cxflow.reason", reason, (ssize_t)strlen(reason)),
        RD_KAFKA_V_HEADER("cxflow.topic", src, (ssize_t)strlen(src)),
        RD_KAFKA_V_HEADER("cxflow.partition", pbuf, (ssize_t)strlen(pbuf)),
        RD_KAFKA_V_HEADER("cxflow.offset", obuf, (ssize_t)strlen(obuf)), RD_KAFKA_V_OPAQUE(ref), RD_KAFKA_V_END);
    if (e) {
        cx_error("dead-letter topic %s: %s", g->dlq_topic, rd_kafka_err2str(e));
        cx_free(ref);
    }
}

/* ---- records ---- */

/* Offsets of a partition normally follow each other.  A jump means records
 * this consumer never saw: a compacted topic or transaction markers (fine),
 * or records the broker dropped before we read them (retention, or the
 * embedded broker's 5 MB per partition when a producer runs far ahead). */
/* Grow the per-partition arrays to hold partition p.  0 / -1. */
static int track_partition(ingest *g, int32_t p) {
    if (p < 0) return -1;
    if ((size_t)p < g->n_next) return 0;
    size_t nn = (size_t)p + 1;
    int64_t *nv = cx_realloc(g->next_offset, nn * sizeof *nv);
    if (!nv) return -1;
    g->next_offset = nv;
    int64_t *lv = cx_realloc(g->last_msg_ms, nn * sizeof *lv);
    if (!lv) return -1;
    g->last_msg_ms = lv;
    uint8_t *kv = cx_realloc(g->kicked, nn);
    if (!kv) return -1;
    g->kicked = kv;
    for (size_t i = g->n_next; i < nn; i++) { nv[i] = -1; lv[i] = cx_mono_ms(); kv[i] = 0; }
    g->n_next = nn;
    return 0;
}

static void check_gap(ingest *g, int32_t p, int64_t off) {
    if (track_partition(g, p) < 0) return;
    g->last_msg_ms[p] = cx_mono_ms();
    g->kicked[p] = 0;
    int64_t want = g->next_offset[p];
    if (want >= 0 && off > want) {
        *g->m_gaps += (double)(off - want);
        cx_warn("partition %d: offsets %lld..%lld were never received (compaction, transactions, or records "
                "dropped by the broker before they were read)", (int)p, (long long)want, (long long)off - 1);
    }
    g->next_offset[p] = off + 1;
}

static void handle_message(ingest *g, rd_kafka_message_t *m) {
    (*g->m_consumed)++;
    check_gap(g, m->partition, m->offset);
    cx_env *env = cx_env_new();
    if (!env) { cx_error("out of memory"); return; }
    env->topic = rd_kafka_topic_name(m->rkt);
    env->partition = m->partition;
    env->offset = m->offset;
    rd_kafka_timestamp_type_t tt;
    int64_t kts = rd_kafka_message_timestamp(m, &tt);
    env->kafka_ts_ms = kts > 0 ? kts : cx_now_ms();
    char why[512];
    if (cx_input_parse(&g->in, m->payload, m->len, env, why, sizeof why) < 0) {
        dead_letter(g, m, why);
        cx_env_destroy(&env);
        return;
    }
    if (!env->ts_ms) env->ts_ms = env->kafka_ts_ms;
    if (!env->id) {
        char id[300];
        snprintf(id, sizeof id, "%s/%d/%lld", env->topic, (int)env->partition, (long long)env->offset);
        env->id = cx_env_strdup(env, id);
    }
    env->ingest_us = cx_now_us();
    if (cx_env_encode(env, &g->enc) < 0 ||
        !cx_inflight_add(g->inflight, m->partition, m->offset, g->enc.data, g->enc.len, 0))
        cx_error("out of memory queueing %s[%d]@%lld; it will be read again after a restart", env->topic,
                 (int)m->partition, (long long)m->offset);
    cx_env_destroy(&env);
}

/* Send queued envelopes until the link would block. */
static void pump(ingest *g) {
    cx_if_entry *e;
    int64_t now = cx_mono_ms();
    while ((e = cx_inflight_peek_unsent(g->inflight))) {
        int r = cx_link_try_send(g->out, e->data, e->len);
        if (r != 0) break;
        if (e->tries) (*g->m_resent)++;
        else (*g->m_sent)++;
        cx_inflight_sent(g->inflight, e, now);
    }
}

static void drain_acks(ingest *g) {
    for (int i = 0; i < 1000; i++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, g->ack, ZMQ_DONTWAIT) < 0) { zmq_msg_close(&msg); return; }
        char topic[256];
        cx_ack_item *items = NULL;
        size_t n = 0;
        if (cx_ack_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), topic, sizeof topic, &items, &n) == 0) {
            if (!strcmp(topic, g->topic))
                for (size_t k = 0; k < n; k++) *g->m_acked += cx_inflight_ack(g->inflight, items[k].partition, items[k].offset);
            cx_free(items);
        } else {
            cx_warn("ignored a malformed acknowledgement frame");
        }
        zmq_msg_close(&msg);
    }
}

/* Store offset+1 for every partition that advanced. */
static void store_offsets(ingest *g) {
    cx_ack_item adv[256];
    size_t n;
    while ((n = cx_inflight_advance(g->inflight, adv, 256)) > 0) {
        if (g->dlq_dirty) {
            fflush(g->dlq_file);
            fdatasync(fileno(g->dlq_file));
            g->dlq_dirty = 0;
        }
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
        for (size_t i = 0; i < n; i++)
            rd_kafka_topic_partition_list_add(l, g->topic, adv[i].partition)->offset = adv[i].offset;
        rd_kafka_resp_err_t e = rd_kafka_offsets_store(g->rk, l);
        for (int i = 0; i < l->cnt; i++) {
            rd_kafka_resp_err_t pe = l->elems[i].err;
            if (pe == RD_KAFKA_RESP_ERR__STATE)
                cx_info("partition %d was revoked before its offset could be stored; the new owner replays it",
                        (int)l->elems[i].partition);
            else if (pe)
                cx_warn("storing offset of partition %d: %s", (int)l->elems[i].partition, rd_kafka_err2str(pe));
            else (*g->m_stored)++;
        }
        if (e && e != RD_KAFKA_RESP_ERR__STATE && e != RD_KAFKA_RESP_ERR__INVALID_ARG)
            cx_debug("rd_kafka_offsets_store: %s", rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(l);
        if (n < 256) break;
    }
}

/* Pause or resume every assigned partition.  On resume each partition is
 * also seeked to where ingest left it: the offset after the last message it
 * received, or the committed offset when it received none.  This does not
 * depend on where librdkafka thinks the application was: resume positions
 * after pause have been reported wrong when a partition was paused before
 * anything was consumed from it (librdkafka issues #1307, #5591, and the
 * .NET client's #672). */
static void set_paused(ingest *g, int pause) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(g->rk, &parts) || !parts) return;
    if (parts->cnt) {
        if (pause) {
            rd_kafka_pause_partitions(g->rk, parts);
        } else {
            rd_kafka_resume_partitions(g->rk, parts);
            for (int i = 0; i < parts->cnt; i++) {
                int32_t p = parts->elems[i].partition;
                parts->elems[i].offset = p >= 0 && (size_t)p < g->n_next && g->next_offset[p] >= 0
                                             ? g->next_offset[p] : RD_KAFKA_OFFSET_STORED;
            }
            rd_kafka_error_t *e = rd_kafka_seek_partitions(g->rk, parts, 2000);
            if (e) { cx_warn("seek on resume: %s", rd_kafka_error_string(e)); rd_kafka_error_destroy(e); }
            for (int i = 0; i < parts->cnt; i++)
                if (parts->elems[i].err)
                    cx_warn("seek partition %d on resume: %s", (int)parts->elems[i].partition,
                            rd_kafka_err2str(parts->elems[i].err));
        }
    }
    rd_kafka_topic_partition_list_destroy(parts);
    g->paused = pause;
    *g->m_paused = pause;
    cx_info("%s consumption: %zu records in flight (limit %zu)", pause ? "pausing" : "resuming",
            cx_inflight_count(g->inflight), g->max_inflight);
}

/* The watchdog.  Pausing and resuming partitions many times (backpressure)
 * can leave a partition paused inside librdkafka 2.0 with no error (a resume
 * op discarded as stale; librdkafka issue #5591).  While we are not paused,
 * a partition that has records to read (cached high watermark above its
 * position) but delivered nothing for 2 s is resumed again; if it is still
 * stuck at the next check it is seeked to its position, which restarts its
 * fetcher.  Both are logged and counted (partition_kicks_total). */
static void watchdog(ingest *g) {
    if (g->paused) return;
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(g->rk, &parts) || !parts) return;
    rd_kafka_position(g->rk, parts);
    int64_t now = cx_mono_ms();
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int64_t lo, hi, pos = tp->offset;
        if (track_partition(g, tp->partition) < 0) continue;
        if (rd_kafka_get_watermark_offsets(g->rk, tp->topic, tp->partition, &lo, &hi) || pos < 0 || hi <= pos)
            continue;
        if (now - g->last_msg_ms[tp->partition] < 2000) continue;
        rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(one, tp->topic, tp->partition)->offset = pos;
        (*g->m_kicks)++;
        if (!g->kicked[tp->partition]) {
            cx_warn("partition %d stalled at offset %lld with %lld records to read: resuming it again",
                    (int)tp->partition, (long long)pos, (long long)(hi - pos));
            rd_kafka_resume_partitions(g->rk, one);
            g->kicked[tp->partition] = 1;
        } else {
            cx_warn("partition %d still stalled at offset %lld: seeking to restart its fetcher", (int)tp->partition,
                    (long long)pos);
            rd_kafka_error_t *e = rd_kafka_seek_partitions(g->rk, one, 5000);
            if (e) { cx_warn("seek: %s", rd_kafka_error_string(e)); rd_kafka_error_destroy(e); }
        }
        g->last_msg_ms[tp->partition] = now;
        rd_kafka_topic_partition_list_destroy(one);
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

/* ---- librdkafka callbacks ---- */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    ingest *g = opaque;
    int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        /* Where each partition should start: its committed offset, or 0 for a
         * group that never committed (auto.offset.reset = earliest).  A first
         * message beyond it means records that are no longer on the broker
         * (retention), which check_gap reports instead of losing silently. */
        rd_kafka_topic_partition_list_t *start = rd_kafka_topic_partition_list_copy(parts);
        int have_start = rd_kafka_committed(rk, start, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR;
        for (int i = 0; i < parts->cnt; i++) {
            int32_t p = parts->elems[i].partition;
            int64_t from = have_start && start->elems[i].err == 0 ? start->elems[i].offset : -1;
            cx_info("assigned partition %s[%d], starting at %s%lld", parts->elems[i].topic, (int)p,
                    from >= 0 ? "committed offset " : "the beginning", from >= 0 ? (long long)from : 0LL);
            if (track_partition(g, p) == 0) {
                g->next_offset[p] = !have_start ? -1 : from >= 0 ? from : 0;
                g->last_msg_ms[p] = cx_mono_ms();
                g->kicked[p] = 0;
            }
        }
        rd_kafka_topic_partition_list_destroy(start);
        rd_kafka_error_t *e = NULL;
        if (coop) e = rd_kafka_incremental_assign(rk, parts);
        else rd_kafka_assign(rk, parts);
        if (e) { cx_error("incremental assign: %s", rd_kafka_error_string(e)); rd_kafka_error_destroy(e); }
        if (g->paused) rd_kafka_pause_partitions(rk, parts);
        *g->m_assigned += parts->cnt;
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        /* commit what is done before the partitions move on */
        drain_acks(g);
        store_offsets(g);
        rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET) cx_warn("commit on revoke: %s", rd_kafka_err2str(ce));
        for (int i = 0; i < parts->cnt; i++) {
            size_t dropped = cx_inflight_revoke(g->inflight, parts->elems[i].partition);
            cx_info("revoked partition %s[%d]; %zu unacknowledged records left to the next owner",
                    parts->elems[i].topic, (int)parts->elems[i].partition, dropped);
        }
        (*g->m_revoked) += parts->cnt;
        *g->m_assigned -= parts->cnt;
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            if (e) rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, NULL);
        }
    } else {
        cx_error("rebalance error: %s", rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
    }
}

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offsets,
                      void *opaque) {
    (void)rk; (void)offsets;
    ingest *g = opaque;
    if (!err || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
    (*g->m_commit_err)++;
    cx_warn("offset commit failed: %s (retried at the next interval)", rd_kafka_err2str(err));
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    ingest *g = opaque;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        *g->m_kafka_up = 0;
        cx_warn("degraded: all Kafka brokers are down (%s); retrying", reason);
    } else if (err == RD_KAFKA_RESP_ERR__FATAL) {
        cx_error("fatal Kafka error: %s", reason);
        cx_stop = 1;
    } else {
        cx_warn("kafka: %s: %s", rd_kafka_err2name(err), reason);
    }
}

/* ---- set-up ---- */

static int setup(ingest *g, char *err, size_t errlen) {
    const cx_conf *c = g->conf;
    g->topic = cx_conf_str(c, "kafka.topic");
    g->dlq_topic = cx_conf_str(c, "kafka.dlq_topic");
    g->max_inflight = (size_t)cx_conf_int(c, "ingest.max_inflight");
    g->ack_timeout_ms = cx_conf_int(c, "ingest.ack_timeout_ms");
    cx_input_opts_from_conf(&g->in, c);
    char interval[32];
    snprintf(interval, sizeof interval, "%lld", cx_conf_int(c, "ingest.commit_interval_ms"));
    const char *cdefs[] = {"group.id", cx_conf_str(c, "kafka.group"),
                           "enable.auto.offset.store", "false",
                           "enable.auto.commit", "true",
                           "auto.commit.interval.ms", interval,
                           "auto.offset.reset", "earliest",
                           "enable.partition.eof", "false",
                           "queued.max.messages.kbytes", "16384",
                           NULL};
    rd_kafka_conf_t *kc = cx_kafka_conf(c, 30000, cdefs, err, errlen);
    if (!kc) return -1;
    /* these three are the delivery contract: not overridable */
    if (cx_kafka_set(kc, "enable.auto.offset.store", "false", err, errlen) < 0) { rd_kafka_conf_destroy(kc); return -1; }
    rd_kafka_conf_set_opaque(kc, g);
    rd_kafka_conf_set_rebalance_cb(kc, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(kc, commit_cb);
    rd_kafka_conf_set_error_cb(kc, error_cb);
    rd_kafka_conf_set_log_cb(kc, cx_kafka_log_cb);
    g->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, (size_t)errlen);
    if (!g->rk) { rd_kafka_conf_destroy(kc); return -1; }
    rd_kafka_poll_set_consumer(g->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, g->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(g->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) { snprintf(err, errlen, "subscribe to %s: %s", g->topic, rd_kafka_err2str(e)); return -1; }

    if (*g->dlq_topic) {
        const char *pdefs[] = {"enable.idempotence", "true", "linger.ms", "5", NULL};
        rd_kafka_conf_t *pc = cx_kafka_conf(c, 30000, pdefs, err, errlen);
        if (!pc) return -1;
        rd_kafka_conf_set_opaque(pc, g);
        rd_kafka_conf_set_dr_msg_cb(pc, dlq_dr_cb);
        rd_kafka_conf_set_log_cb(pc, cx_kafka_log_cb);
        g->dlq = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, errlen);
        if (!g->dlq) { rd_kafka_conf_destroy(pc); return -1; }
    }
    char path[4096];
    cx_conf_path(c, "dlq.file", path, sizeof path);
    if (cx_mkdirs(path, 1) < 0 || !(g->dlq_file = fopen(path, "a"))) {
        snprintf(err, errlen, "cannot open the dead-letter file %.900s: %s", path, strerror(errno));
        return -1;
    }
    g->zctx = zmq_ctx_new();
    if (!(g->out = cx_link_push(g->zctx, c, "link.tokenize", err, errlen))) return -1;
    if (!(g->ack = cx_link_pull(g->zctx, c, "link.ack", err, errlen))) return -1;
    return 0;
}

int main(int argc, char **argv) {
    int code;
    cx_conf *c = cx_stage_args(argc, argv, "ingest",
                               "The ingest stage: consumes feedback from Kafka (a consumer group), dead-letters\n"
                               "malformed records, sends envelopes to tokenize and commits offsets only for\n"
                               "records the sink has acknowledged.",
                               &code);
    if (!c) return code;
    cx_signals_install();
    ingest g;
    memset(&g, 0, sizeof g);
    g.conf = c;
    cx_buf_init(&g.enc);
    g.inflight = cx_inflight_new();
    g.m = cx_metrics_new(c, "ingest");
    char err[1024] = "";
    int rc = 1;
    if (!g.inflight || !g.m) { cx_error("out of memory"); goto done; }
    g.m_consumed = cx_metric(g.m, "records_in_total", "messages consumed from Kafka", 0);
    g.m_sent = cx_metric(g.m, "records_out_total", "envelopes sent to tokenize (first send)", 0);
    g.m_resent = cx_metric(g.m, "records_resent_total", "envelopes sent again after the ack timeout", 0);
    g.m_acked = cx_metric(g.m, "records_acked_total", "records acknowledged by the sink", 0);
    g.m_dlq = cx_metric(g.m, "dead_letters_total", "malformed records dead-lettered", 0);
    g.m_inflight = cx_metric(g.m, "inflight", "records sent and not yet acknowledged", 1);
    g.m_paused = cx_metric(g.m, "paused", "1 while partitions are paused for backpressure", 1);
    g.m_stored = cx_metric(g.m, "offsets_stored_total", "partition offsets stored for commit", 0);
    g.m_commit_err = cx_metric(g.m, "commit_errors_total", "failed offset commits", 0);
    g.m_revoked = cx_metric(g.m, "partitions_revoked_total", "partitions revoked by rebalances", 0);
    g.m_kafka_up = cx_metric(g.m, "kafka_up", "0 while all brokers are down", 1);
    g.m_assigned = cx_metric(g.m, "partitions_assigned", "partitions currently assigned", 1);
    g.m_gaps = cx_metric(g.m, "offsets_skipped_total", "offsets never received (gaps in a partition)", 0);
    g.m_kicks = cx_metric(g.m, "partition_kicks_total", "stalled partitions resumed or seeked by the watchdog", 0);
    *g.m_kafka_up = 1;
    if (setup(&g, err, sizeof err) < 0) { cx_error("start-up failed: %s", err); goto done; }
    cx_pidfile_write(c, "ingest");
    cx_info("ingest started: topic %s, group %s, sending to %s, acks on %s", g.topic, cx_conf_str(c, "kafka.group"),
            cx_conf_str(c, "link.tokenize"), cx_conf_str(c, "link.ack"));
    int64_t last_scan = cx_mono_ms(), last_watch = last_scan;
    while (!cx_stop) {
        drain_acks(&g);
        store_offsets(&g);
        pump(&g);
        size_t inflight = cx_inflight_count(g.inflight);
        if (!g.paused && inflight >= g.max_inflight) set_paused(&g, 1);
        else if (g.paused && inflight <= g.max_inflight / 2) set_paused(&g, 0);
        int got = 0;
        for (int i = 0; i < 500 && cx_inflight_count(g.inflight) < g.max_inflight + 1000; i++) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(g.rk, 0);
            if (!m) break;
            got++;
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    cx_warn("consumer: %s", rd_kafka_message_errstr(m));
            } else {
                handle_message(&g, m);
                *g.m_kafka_up = 1;
            }
            rd_kafka_message_destroy(m);
        }
        if (g.dlq) rd_kafka_poll(g.dlq, 0);
        int64_t now = cx_mono_ms();
        if (now - last_scan >= 500) {
            size_t n = cx_inflight_expire(g.inflight, now, g.ack_timeout_ms);
            if (n) cx_info("sending %zu unacknowledged records again", n);
            last_scan = now;
        }
        if (now - last_watch >= 1000) {
            watchdog(&g);
            last_watch = now;
        }
        *g.m_inflight = (double)cx_inflight_count(g.inflight);
        cx_metrics_tick(g.m, 0);
        if (!got) {
            /* idle: wait for an ack or a new message without spinning */
            rd_kafka_message_t *m = NULL;
            zmq_pollitem_t pi = {g.ack, 0, ZMQ_POLLIN, 0};
            if (zmq_poll(&pi, 1, 0) <= 0 && !g.paused) m = rd_kafka_consumer_poll(g.rk, 10);
            else if (zmq_poll(&pi, 1, 0) <= 0) zmq_poll(&pi, 1, 10);
            if (m) {
                if (!m->err) handle_message(&g, m);
                rd_kafka_message_destroy(m);
            }
        }
    }
    /* graceful stop: give the pipeline a moment to acknowledge what is in flight */
    cx_stop = 0;
    int64_t until = cx_mono_ms() + 2000;
    while (cx_inflight_count(g.inflight) && cx_mono_ms() < until && !cx_stop) {
        zmq_pollitem_t pi = {g.ack, 0, ZMQ_POLLIN, 0};
        zmq_poll(&pi, 1, 50);
        drain_acks(&g);
        store_offsets(&g);
        if (g.dlq) rd_kafka_poll(g.dlq, 0);
    }
    cx_info("ingest stopping: %zu records unacknowledged (they will be read again)", cx_inflight_count(g.inflight));
    rc = 0;
done:
    if (g.dlq) {
        rd_kafka_flush(g.dlq, 5000);
        drain_acks(&g);
    }
    if (g.rk) {
        store_offsets(&g);
        rd_kafka_consumer_close(g.rk);
        rd_kafka_destroy(g.rk);
    }
    if (g.dlq) rd_kafka_destroy(g.dlq);
    if (g.dlq_file) fclose(g.dlq_file);
    cx_link_close(&g.out);
    cx_link_close(&g.ack);
    if (g.zctx) zmq_ctx_term(g.zctx);
    cx_inflight_destroy(&g.inflight);
    cx_free(g.next_offset);
    cx_free(g.last_msg_ms);
    cx_free(g.kicked);
    cx_buf_free(&g.enc);
    cx_metrics_destroy(&g.m);
    cx_pidfile_remove(c, "ingest");
    cx_conf_destroy(&c);
    return rc;
}
