/* out_kafka.c - the Kafka output (sink.kafka.*): enriched records, cluster
 * events and alerts produced to Kafka topics (docs/SINKS.md).
 *
 * Records go to sink.kafka.records_topic keyed "topic/partition/offset" of
 * their source, cluster events to events_topic keyed by the cluster id,
 * alerts to alerts_topic keyed "kind/key".  A batch is durable when every
 * message produced since begin has a successful delivery report, so commit
 * waits for the reports; a failed or missing one fails the batch, which the
 * sink then does not acknowledge (output.h).  A failed batch comes again
 * and its messages are produced again: consumers deduplicate on the key. */
#include "cx_alloc.h"
#include "cx_kafka.h"
#include "cx_log.h"
#include "cx_util.h"
#include "output.h"
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct ko {
    rd_kafka_t *rk;
    char records[256], events[256], alerts[256];
    /* The batch's generation travels with each message as its opaque: the
     * reports of an abandoned batch, which may arrive during a later one,
     * are not counted there. */
    uintptr_t gen;
    size_t outstanding;        /* messages of this batch without a delivery report */
    rd_kafka_resp_err_t failed; /* the first failed report of this batch */
    char failed_topic[256];
    int64_t wait_ms;           /* commit waits this long for the reports */
    cx_buf key;
} ko;

/* Errors no retry can cure: the message itself is refused (too large for
 * the topic's message.max.bytes, invalid).  Failing the batch would send it
 * again for ever and stall its partition, so such a message is skipped with
 * an error line; the record stays in the other sinks. */
static int permanent(rd_kafka_resp_err_t e) {
    return e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || e == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE ||
           e == RD_KAFKA_RESP_ERR_INVALID_MSG || e == RD_KAFKA_RESP_ERR_INVALID_RECORD;
}

static void skipped(const char *topic, const void *key, size_t klen, rd_kafka_resp_err_t e) {
    cx_error("Kafka output: message %.*s not accepted by %s: %s; skipped (the other sinks have it)",
             (int)(klen > 200 ? 200 : klen), key ? (const char *)key : "", topic, rd_kafka_err2str(e));
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    ko *k = opaque;
    if ((uintptr_t)m->_private != k->gen) return;
    if (k->outstanding) k->outstanding--;
    if (m->err && permanent(m->err)) {
        skipped(rd_kafka_topic_name(m->rkt), m->key, m->key_len, m->err);
        return;
    }
    if (m->err && !k->failed) {
        k->failed = m->err;
        snprintf(k->failed_topic, sizeof k->failed_topic, "%s", rd_kafka_topic_name(m->rkt));
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk; (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        /* the idempotent producer cannot go on: a restarted sink gets a new one */
        cx_error("Kafka output: fatal error: %s; stopping", reason);
        cx_stop = 1;
    } else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        cx_warn("Kafka output: all brokers are down (%s); its batches fail until one is back", reason);
    } else {
        /* connection trouble and the like: the log callback has reported it */
        cx_debug("Kafka output: %s: %s", rd_kafka_err2name(err), reason);
    }
}

static void batch_reset(ko *k) {
    k->gen++;
    k->outstanding = 0;
    k->failed = RD_KAFKA_RESP_ERR_NO_ERROR;
    k->failed_topic[0] = '\0';
}

static int failed_err(ko *k, char *err, size_t errlen) {
    snprintf(err, errlen, "delivery to %s failed: %s", k->failed_topic, rd_kafka_err2str(k->failed));
    return -1;
}

/* Produce one message of the batch.  A full local queue is waited out
 * (serving delivery reports frees it): a message is never dropped. */
static int produce(ko *k, const char *topic, const char *key, size_t klen, const char *val, size_t vlen, char *err,
                   size_t errlen) {
    if (k->failed) return failed_err(k, err, errlen); /* the batch is lost anyway: stop early */
    while (vlen && (val[vlen - 1] == '\n' || val[vlen - 1] == '\r')) vlen--;
    for (;;) {
        rd_kafka_resp_err_t e =
            rd_kafka_producev(k->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, klen),
                              RD_KAFKA_V_VALUE((void *)val, vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_OPAQUE((void *)k->gen), RD_KAFKA_V_END);
        if (!e) {
            k->outstanding++;
            return 0;
        }
        if (permanent(e)) {
            skipped(topic, key, klen, e);
            return 0;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(err, errlen, "producing to %s: %s", topic, rd_kafka_err2str(e));
            return -1;
        }
        rd_kafka_poll(k->rk, 100);
        if (k->failed) return failed_err(k, err, errlen);
    }
}

static int ko_begin(cx_output *o, char *err, size_t errlen) {
    (void)err; (void)errlen;
    batch_reset(o->ctx);
    return 0;
}

static int ko_record(cx_output *o, const cx_env *env, const char *json, size_t len, char *err, size_t errlen) {
    ko *k = o->ctx;
    if (env->error || !k->records[0]) return 0; /* dead letters have their own topics (kafka.dlq_topic) */
    cx_buf_reset(&k->key);
    cx_buf_printf(&k->key, "%s/%d/%lld", env->topic ? env->topic : "", (int)env->partition, (long long)env->offset);
    if (k->key.oom) { snprintf(err, errlen, "out of memory"); return -1; }
    return produce(k, k->records, k->key.data, k->key.len, json, len, err, errlen);
}

static int ko_event(cx_output *o, const char *json, size_t len, char *err, size_t errlen) {
    ko *k = o->ctx;
    if (!k->events[0] && !k->alerts[0]) return 0;
    json_error_t je;
    json_t *ev = json_loadb(json, len, 0, &je);
    if (!ev || !json_is_object(ev)) {
        /* the store has already warned about it; nothing to key it by */
        json_decref(ev);
        return 0;
    }
    const char *type = json_string_value(json_object_get(ev, "type"));
    int is_alert = type && !strcmp(type, "alert");
    const char *topic = is_alert ? k->alerts : k->events;
    int rc = 0;
    if (topic[0]) {
        cx_buf_reset(&k->key);
        if (is_alert) {
            const char *kind = json_string_value(json_object_get(ev, "kind"));
            const char *key = json_string_value(json_object_get(ev, "key"));
            cx_buf_printf(&k->key, "%s/%s", kind ? kind : "", key ? key : "");
        } else {
            cx_buf_printf(&k->key, "%lld", (long long)json_integer_value(json_object_get(ev, "cluster_id")));
        }
        if (k->key.oom) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else {
            rc = produce(k, topic, k->key.data, k->key.len, json, len, err, errlen);
        }
    }
    json_decref(ev);
    return rc;
}

static int ko_commit(cx_output *o, char *err, size_t errlen) {
    ko *k = o->ctx;
    int64_t until = cx_mono_ms() + k->wait_ms;
    while (k->outstanding && !k->failed) {
        if (cx_mono_ms() >= until) {
            snprintf(err, errlen, "%zu messages without a delivery report after %lld ms", k->outstanding,
                     (long long)k->wait_ms);
            return -1;
        }
        /* flush sends at once (no linger) and serves the delivery reports */
        rd_kafka_flush(k->rk, 100);
    }
    if (k->failed) return failed_err(k, err, errlen);
    batch_reset(k);
    return 0;
}

/* Produced messages cannot be taken back; their late reports no longer count. */
static void ko_rollback(cx_output *o) { batch_reset(o->ctx); }

static void ko_tick(cx_output *o) {
    ko *k = o->ctx;
    rd_kafka_poll(k->rk, 0);
}

static void ko_close(cx_output *o) {
    ko *k = o->ctx;
    if (!k) return;
    if (k->rk) {
        /* every committed batch was delivered: what is still queued belongs to
         * unacknowledged batches, which ingest sends again */
        rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(k->rk, 1000);
        rd_kafka_destroy(k->rk);
    }
    cx_buf_free(&k->key);
    cx_free(k);
    o->ctx = NULL;
}

static int copy_topic(char *dst, size_t n, const cx_conf *c, const char *name, char *err, size_t errlen) {
    const char *v = cx_conf_str(c, name);
    if (strlen(v) >= n) {
        snprintf(err, errlen, "%s: topic name longer than %zu bytes", name, n - 1);
        return -1;
    }
    snprintf(dst, n, "%s", v);
    return 0;
}

cx_output *cx_out_kafka_open(const cx_conf *c, char *err, size_t errlen) {
    err[0] = '\0';
    const char *r = cx_conf_str(c, "sink.kafka.records_topic"), *e = cx_conf_str(c, "sink.kafka.events_topic"),
               *a = cx_conf_str(c, "sink.kafka.alerts_topic");
    if (!*r && !*e && !*a) return NULL;
    cx_output *o = cx_calloc(1, sizeof *o);
    ko *k = cx_calloc(1, sizeof *k);
    if (!o || !k) {
        cx_free(o);
        cx_free(k);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cx_buf_init(&k->key);
    o->name = "kafka";
    o->ctx = k;
    if (copy_topic(k->records, sizeof k->records, c, "sink.kafka.records_topic", err, errlen) < 0 ||
        copy_topic(k->events, sizeof k->events, c, "sink.kafka.events_topic", err, errlen) < 0 ||
        copy_topic(k->alerts, sizeof k->alerts, c, "sink.kafka.alerts_topic", err, errlen) < 0)
        goto fail;
    const char *brokers = cx_conf_str(c, "sink.kafka.brokers");
    long long timeout = cx_conf_int(c, "sink.kafka.timeout_ms");
    char tbuf[32], mbuf[32];
    snprintf(tbuf, sizeof tbuf, "%lld", timeout);
    snprintf(mbuf, sizeof mbuf, "%lld", cx_conf_int(c, "sink.kafka.max_message_bytes"));
    /* the client settings of the pipeline (kafka.*: TLS, SASL, ...) apply;
     * an explicit bootstrap in the defaults spares waiting for the embedded
     * broker when the output has brokers of its own */
    const char *defs[] = {"linger.ms", "5", *brokers ? "bootstrap.servers" : NULL, brokers, NULL};
    rd_kafka_conf_t *kc = cx_kafka_conf(c, 30000, defs, err, errlen);
    if (!kc) goto fail;
    /* the delivery contract and the output's own keys win over kafka.* */
    if (cx_kafka_set(kc, "enable.idempotence", "true", err, errlen) < 0 ||
        cx_kafka_set(kc, "acks", "all", err, errlen) < 0 ||
        cx_kafka_set(kc, "message.timeout.ms", tbuf, err, errlen) < 0 ||
        cx_kafka_set(kc, "message.max.bytes", mbuf, err, errlen) < 0 ||
        (*brokers && cx_kafka_set(kc, "bootstrap.servers", brokers, err, errlen) < 0)) {
        rd_kafka_conf_destroy(kc);
        goto fail;
    }
    rd_kafka_conf_set_opaque(kc, k);
    rd_kafka_conf_set_dr_msg_cb(kc, dr_cb);
    rd_kafka_conf_set_error_cb(kc, error_cb);
    rd_kafka_conf_set_log_cb(kc, cx_kafka_log_cb);
    char e2[512];
    if (!(k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, e2, sizeof e2))) {
        snprintf(err, errlen, "Kafka output: %s", e2);
        rd_kafka_conf_destroy(kc);
        goto fail;
    }
    /* every report arrives within message.timeout.ms; the margin covers
     * librdkafka's once-a-second timeout scan */
    k->wait_ms = timeout + 5000;
    batch_reset(k);
    o->begin = ko_begin;
    o->record = ko_record;
    o->event = ko_event;
    o->commit = ko_commit;
    o->rollback = ko_rollback;
    o->tick = ko_tick;
    o->close = ko_close;
    cx_info("Kafka output: records to %s, events to %s, alerts to %s", *r ? r : "(none)", *e ? e : "(none)",
            *a ? a : "(none)");
    return o;
fail:
    ko_close(o);
    cx_free(o);
    return NULL;
}
