/* main.c - cxflow-sink: the last stage.
 *
 * Receives enriched records and events on link.sink, writes them in batches
 * (sink.batch records or sink.flush_ms, whichever comes first) to SQLite and
 * the configured outputs (output.h: JSON lines, ...), and after each batch is
 * durably committed everywhere sends one acknowledgement frame per source
 * topic back to ingest on link.ack.  Only
 * acknowledged records ever have their Kafka offsets committed, so a crash of
 * the sink at any moment loses nothing: the records of an uncommitted batch
 * are sent again by ingest and stored once (INSERT OR IGNORE on the source
 * coordinates). */
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_link.h"
#include "cx_log.h"
#include "cx_metrics.h"
#include "cx_util.h"
#include "output.h"
#include "store.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

typedef struct pending {
    char topic[256];
    cx_ack_item *items;
    size_t n, cap;
} pending;

typedef struct sink {
    cx_conf *conf;
    cx_store *db;
    cx_output *out[8];    /* the outputs besides SQLite, in commit order */
    int nout;
    FILE *dlq;
    void *zctx, *in, *ack;
    pending *acks;        /* one list per topic in the open batch */
    size_t nacks;
    size_t batch_n, batch_max;
    size_t batch_new;     /* records of the open batch that are new (records_stored_total after commit) */
    int64_t batch_started;
    uint64_t begin_failures;  /* records refused since the last log line (begin_failed) */
    int64_t last_begin_log;
    int in_txn;
    cx_buf line, abuf;
    cx_buf dlqbuf;        /* dead-letter lines of the open batch */
    cx_metrics *m;
    double *m_in, *m_new, *m_dup, *m_dead, *m_events, *m_batches, *m_bad, *m_lat_p50, *m_lat_p99, *m_ack_dropped, *m_out_failed;
    /* latency histogram: produce (Kafka timestamp) to durable store, 1 ms buckets up to 60 s */
    uint32_t lat[60001];
    uint64_t lat_n;
} sink;

static int add_ack(sink *s, const cx_env *e) {
    pending *p = NULL;
    for (size_t i = 0; i < s->nacks; i++)
        if (!strcmp(s->acks[i].topic, e->topic ? e->topic : "")) p = &s->acks[i];
    if (!p) {
        pending *np = cx_realloc(s->acks, (s->nacks + 1) * sizeof *np);
        if (!np) return -1;
        s->acks = np;
        p = &s->acks[s->nacks++];
        memset(p, 0, sizeof *p);
        snprintf(p->topic, sizeof p->topic, "%s", e->topic ? e->topic : "");
    }
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 256;
        cx_ack_item *ni = cx_realloc(p->items, nc * sizeof *ni);
        if (!ni) return -1;
        p->items = ni;
        p->cap = nc;
    }
    p->items[p->n].partition = e->partition;
    p->items[p->n].offset = e->offset;
    p->n++;
    return 0;
}

static void record_latency(sink *s, const cx_env *e) {
    if (!e->kafka_ts_ms) return;
    int64_t d = cx_now_ms() - e->kafka_ts_ms;
    if (d < 0) d = 0;
    if (d > 60000) d = 60000;
    s->lat[d]++;
    s->lat_n++;
}

static double lat_quantile(const sink *s, double q) {
    if (!s->lat_n) return 0;
    uint64_t want = (uint64_t)(q * (double)s->lat_n), acc = 0;
    for (int i = 0; i <= 60000; i++) {
        acc += s->lat[i];
        if (acc > want) return i;
    }
    return 60000;
}

/* Take the batch back in SQLite and every output and forget its
 * acknowledgements and dead-letter lines: ingest sends its records again. */
static void rollback_batch(sink *s) {
    if (s->db) cx_store_rollback(s->db);
    for (int i = 0; i < s->nout; i++)
        if (s->out[i]->rollback) s->out[i]->rollback(s->out[i]);
    for (size_t i = 0; i < s->nacks; i++) s->acks[i].n = 0;
    s->batch_n = 0;
    s->batch_new = 0;
    cx_buf_reset(&s->dlqbuf);
}

/* Commit the open batch, then acknowledge it upstream.  On a commit error
 * the batch is rolled back and not acknowledged: ingest will send it again. */
static int flush_batch(sink *s) {
    if (!s->in_txn) return 0;
    char err[512];
    s->in_txn = 0;
    /* the outputs first, SQLite last: a record SQLite has stored has reached
     * every output, so a redelivered one SQLite already has is not sent to
     * them again (output.h) */
    int failed = 0;
    for (int i = 0; i < s->nout && !failed; i++) {
        cx_output *o = s->out[i];
        if (o->commit && o->commit(o, err, sizeof err) < 0) {
            cx_error("output %s: %s; %zu records not acknowledged (they will be sent again)", o->name, err,
                     s->batch_n);
            (*s->m_out_failed)++;
            failed = 1;
        }
    }
    if (!failed && s->dlq && s->dlqbuf.len) {
        /* like an output: before SQLite, so a crash in between leaves a line twice, never none */
        if (s->dlqbuf.oom || fwrite(s->dlqbuf.data, 1, s->dlqbuf.len, s->dlq) != s->dlqbuf.len || fflush(s->dlq) != 0) {
            cx_error("dead-letter file: write failed: %s; %zu records not acknowledged (they will be sent again)",
                     s->dlqbuf.oom ? "out of memory" : strerror(errno), s->batch_n);
            clearerr(s->dlq);
            failed = 1;
        }
    }
    cx_buf_reset(&s->dlqbuf);
    if (!failed && s->db && cx_store_commit(s->db, err, sizeof err) < 0) {
        cx_error("%s; %zu records not acknowledged (they will be sent again)", err, s->batch_n);
        failed = 1;
    }
    if (failed) {
        rollback_batch(s);
        return -1;
    }
    (*s->m_batches)++;
    *s->m_new += (double)s->batch_new;
    s->batch_new = 0;
    for (size_t i = 0; i < s->nacks; i++) {
        pending *p = &s->acks[i];
        /* one frame per 4096 records keeps frames small */
        for (size_t off = 0; off < p->n; off += 4096) {
            size_t cnt = p->n - off < 4096 ? p->n - off : 4096;
            /* never block on acks: when ingest is down its successor replays
             * from the committed offsets and these records are deduplicated */
            if (cx_ack_encode(p->topic, p->items + off, cnt, &s->abuf) == 0 &&
                cx_link_try_send(s->ack, s->abuf.data, s->abuf.len) != 0) {
                (*s->m_ack_dropped) += (double)cnt;
                cx_debug("ingest not reachable: %zu acknowledgements dropped (records will be redelivered)", cnt);
            }
        }
        p->n = 0;
    }
    s->batch_n = 0;
    *s->m_lat_p50 = lat_quantile(s, 0.50);
    *s->m_lat_p99 = lat_quantile(s, 0.99);
    return 0;
}

/* Roll the open batch back everywhere; nothing of it is acknowledged. */
static void abandon_batch(sink *s) {
    if (!s->in_txn) return;
    s->in_txn = 0;
    rollback_batch(s);
}

/* A batch that cannot open fails every record that arrives meanwhile (each
 * is sent again by ingest): one log line per 5 s, with the count, instead
 * of one per record. */
static void begin_failed(sink *s, const char *what, const char *err) {
    int64_t now = cx_mono_ms();
    s->begin_failures++;
    if (s->last_begin_log && now - s->last_begin_log < 5000) return;
    cx_error("%s: %s; %llu records not taken since the last report (they will be sent again)", what, err,
             (unsigned long long)s->begin_failures);
    s->begin_failures = 0;
    s->last_begin_log = now;
}

static int ensure_txn(sink *s) {
    if (s->in_txn) return 0;
    char err[512];
    if (s->db && cx_store_begin(s->db, err, sizeof err) < 0) {
        begin_failed(s, "SQLite", err);
        return -1;
    }
    for (int i = 0; i < s->nout; i++) {
        cx_output *o = s->out[i];
        if (o->begin && o->begin(o, err, sizeof err) < 0) {
            char what[64];
            snprintf(what, sizeof what, "output %s", o->name);
            if (!s->last_begin_log) (*s->m_out_failed)++; /* once per outage, not per record */
            begin_failed(s, what, err);
            for (int k = 0; k < i; k++)
                if (s->out[k]->rollback) s->out[k]->rollback(s->out[k]);
            if (s->db) cx_store_rollback(s->db);
            return -1;
        }
    }
    if (s->begin_failures || s->last_begin_log) {
        if (s->begin_failures)
            cx_info("batches open again (%llu more records were not taken)", (unsigned long long)s->begin_failures);
        else
            cx_info("batches open again");
        s->begin_failures = 0;
        s->last_begin_log = 0;
    }
    s->in_txn = 1;
    s->batch_started = cx_mono_ms();
    return 0;
}

/* Hand a record SQLite stored for the first time to every output.  On a
 * failure the whole batch is abandoned (rolled back, not acknowledged, sent
 * again by ingest): -1. */
static int to_outputs(sink *s, const cx_env *e) {
    if (!s->nout) return 0;
    char err[512];
    cx_buf_reset(&s->line);
    if (!e->error && cx_env_to_json(e, &s->line) < 0) {
        cx_error("out of memory writing a record as JSON");
        abandon_batch(s);
        return -1;
    }
    for (int i = 0; i < s->nout; i++) {
        cx_output *o = s->out[i];
        if (o->record && o->record(o, e, s->line.data, s->line.len, err, sizeof err) < 0) {
            cx_error("output %s: %s; %zu records not acknowledged (they will be sent again)", o->name, err,
                     s->batch_n + 1);
            (*s->m_out_failed)++;
            abandon_batch(s);
            return -1;
        }
    }
    return 0;
}

static void handle_record(sink *s, const void *data, size_t len) {
    char err[512];
    cx_env *e = cx_env_decode(data, len, err, sizeof err);
    if (!e) { (*s->m_bad)++; cx_warn("dropped an undecodable envelope: %s", err); return; }
    (*s->m_in)++;
    if (ensure_txn(s) < 0) { cx_env_destroy(&e); return; }
    /* without SQLite every record counts as new: the outputs get redeliveries too */
    int r = s->db ? cx_store_record(s->db, e, err, sizeof err) : 1;
    if (r < 0) {
        /* the whole batch goes: a record SQLite half-wrote (its row without
         * its themes) and then had acknowledged as a duplicate would never
         * reach the outputs */
        cx_error("%s; the batch with record %s[%d]@%lld will be sent again", err, e->topic, (int)e->partition,
                 (long long)e->offset);
        abandon_batch(s);
        cx_env_destroy(&e);
        return;
    }
    if (r == 1) {
        if (e->error) {
            (*s->m_dead)++;
            if (s->dlq) {
                cx_buf_reset(&s->line);
                cx_buf_printf(&s->line, "{\"at\":%lld,\"stage\":\"sink\",\"topic\":", (long long)cx_now_ms());
                cx_buf_json_str(&s->line, e->topic);
                cx_buf_printf(&s->line, ",\"partition\":%d,\"offset\":%lld,\"id\":", (int)e->partition, (long long)e->offset);
                cx_buf_json_str(&s->line, e->id);
                cx_buf_append(&s->line, ",\"reason\":", 10);
                cx_buf_json_str(&s->line, e->error);
                cx_buf_append(&s->line, ",\"raw\":", 7);
                cx_buf_json_str(&s->line, e->text);
                cx_buf_append(&s->line, "}\n", 2);
                /* written with the batch (flush_batch), not now: a batch that fails is
                 * sent again and would leave the line twice */
                cx_buf_append(&s->dlqbuf, s->line.data, s->line.len);
            }
        } else {
            s->batch_new++; /* counted in records_stored_total once the batch commits */
            record_latency(s, e);
        }
        if (to_outputs(s, e) < 0) {
            cx_env_destroy(&e);
            return;
        }
    } else {
        (*s->m_dup)++;
    }
    if (add_ack(s, e) < 0) cx_error("out of memory queueing an acknowledgement");
    s->batch_n++;
    cx_env_destroy(&e);
    if (s->batch_n >= s->batch_max) flush_batch(s);
}

static void handle_event(sink *s, const void *data, size_t len) {
    const char *json;
    size_t jl;
    char err[512];
    if (cx_event_decode(data, len, &json, &jl) < 0) { (*s->m_bad)++; return; }
    if (ensure_txn(s) < 0) return;
    if (s->db && cx_store_event(s->db, json, jl, err, sizeof err) < 0) {
        cx_warn("event not stored: %s", err);
        if (!cx_store_txn_open(s->db)) {
            cx_error("SQLite rolled the batch back after an error; it will be sent again");
            abandon_batch(s);
            return;
        }
    } else {
        (*s->m_events)++;
    }
    for (int i = 0; i < s->nout; i++) {
        cx_output *o = s->out[i];
        if (o->event && o->event(o, json, jl, err, sizeof err) < 0) {
            cx_error("output %s: %s; the batch will be sent again", o->name, err);
            (*s->m_out_failed)++;
            abandon_batch(s);
            return;
        }
    }
}

int main(int argc, char **argv) {
    int code;
    cx_conf *c = cx_stage_args(argc, argv, "sink",
                               "The sink stage: writes enriched records, cluster events and alerts to the\n"
                               "configured sinks (SQLite, JSON lines, Kafka topics, PostgreSQL; docs/SINKS.md), then\n"
                               "acknowledges them to ingest so their offsets are committed.",
                               &code);
    if (!c) return code;
    cx_signals_install();
    sink *s = cx_calloc(1, sizeof *s);
    if (!s) { cx_conf_destroy(&c); return 1; }
    s->conf = c;
    cx_buf_init(&s->line);
    cx_buf_init(&s->abuf);
    cx_buf_init(&s->dlqbuf);
    s->batch_max = (size_t)cx_conf_int(c, "sink.batch");
    int64_t flush_ms = cx_conf_int(c, "sink.flush_ms");
    char err[1024], path[4096];
    int rc = 1;
    s->m = cx_metrics_new(c, "sink");
    if (!s->m) goto done;
    s->m_in = cx_metric(s->m, "records_in_total", "records received", 0);
    s->m_new = cx_metric(s->m, "records_stored_total", "records newly stored", 0);
    s->m_dup = cx_metric(s->m, "records_duplicate_total", "records already stored (redelivered)", 0);
    s->m_dead = cx_metric(s->m, "dead_letters_total", "records a stage could not process", 0);
    s->m_events = cx_metric(s->m, "events_total", "cluster events and alerts applied", 0);
    s->m_batches = cx_metric(s->m, "batches_total", "committed batches", 0);
    s->m_bad = cx_metric(s->m, "frames_bad_total", "undecodable frames", 0);
    s->m_ack_dropped = cx_metric(s->m, "acks_dropped_total", "acknowledgements not delivered (ingest down)", 0);
    s->m_out_failed = cx_metric(s->m, "output_failures_total", "batches an output could not take (sent again)", 0);
    s->m_lat_p50 = cx_metric(s->m, "latency_p50_ms", "produce-to-store latency, median (ms)", 1);
    s->m_lat_p99 = cx_metric(s->m, "latency_p99_ms", "produce-to-store latency, 99th percentile (ms)", 1);
    cx_conf_path(c, "sink.sqlite", path, sizeof path);
    if (*path && !(s->db = cx_store_open(path, "normal", err, sizeof err))) {
        cx_error("start-up failed: %s", err);
        goto done;
    }
    {
        cx_output *(*ctors[])(const cx_conf *, char *, size_t) = {cx_out_jsonl_open, cx_out_kafka_open,
                                                                   cx_out_pg_open};
        for (size_t i = 0; i < sizeof ctors / sizeof *ctors; i++) {
            cx_output *o = ctors[i](c, err, sizeof err);
            if (o) s->out[s->nout++] = o;
            else if (err[0]) { cx_error("start-up failed: %s", err); goto done; }
        }
    }
    if (!s->db && !s->nout) {
        cx_error("no sink configured: set sink.sqlite, sink.jsonl, sink.kafka.*_topic or sink.postgres");
        goto done;
    }
    if (!s->db)
        cx_warn("sink.sqlite is empty: records go to the outputs only, at least once (a redelivered record is "
                "written again), and the report and dashboard have no database");
    cx_conf_path(c, "dlq.file", path, sizeof path);
    if (*path && (cx_mkdirs(path, 1) < 0 || !(s->dlq = fopen(path, "a")))) {
        cx_error("cannot open %s: %s", path, strerror(errno));
        goto done;
    }
    s->zctx = zmq_ctx_new();
    if (!(s->in = cx_link_pull(s->zctx, c, "link.sink", err, sizeof err)) ||
        !(s->ack = cx_link_push(s->zctx, c, "link.ack", err, sizeof err))) {
        cx_error("%s", err);
        goto done;
    }
    cx_pidfile_write(c, "sink");
    {
        char names[128] = "";
        size_t k = 0;
        for (int i = 0; i < s->nout && k < sizeof names; i++)
            k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", i ? ", " : "", s->out[i]->name);
        cx_info("sink started: in %s, SQLite %s, outputs: %s, acks to %s", cx_conf_str(c, "link.sink"),
                s->db ? cx_conf_path(c, "sink.sqlite", path, sizeof path) : "off", s->nout ? names : "none",
                cx_conf_str(c, "link.ack"));
    }
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (!cx_stop) {
        int wait = s->in_txn ? (int)(flush_ms - (cx_mono_ms() - s->batch_started)) : 250;
        if (wait < 0) wait = 0;
        zmq_pollitem_t pi = {s->in, 0, ZMQ_POLLIN, 0};
        int pr = zmq_poll(&pi, 1, wait);
        if (pr > 0) {
            for (int i = 0; i < 4096 && zmq_msg_recv(&msg, s->in, ZMQ_DONTWAIT) >= 0; i++) {
                const void *d = zmq_msg_data(&msg);
                size_t l = zmq_msg_size(&msg);
                int kind = cx_msg_kind(d, l);
                if (kind == CX_MSG_RECORD) handle_record(s, d, l);
                else if (kind == CX_MSG_EVENT) handle_event(s, d, l);
                else (*s->m_bad)++;
                if (s->in_txn && cx_mono_ms() - s->batch_started >= flush_ms) flush_batch(s);
            }
        }
        if (s->in_txn && cx_mono_ms() - s->batch_started >= flush_ms) flush_batch(s);
        for (int i = 0; i < s->nout; i++)
            if (s->out[i]->tick) s->out[i]->tick(s->out[i]);
        cx_metrics_tick(s->m, 0);
    }
    zmq_msg_close(&msg);
    /* stop: commit and acknowledge what was received */
    cx_stop = 0;
    flush_batch(s);
    cx_info("sink stopping: %.0f records stored, %.0f duplicates ignored", *s->m_new, *s->m_dup);
    rc = 0;
done:
    if (s->in_txn && s->db) cx_store_rollback(s->db);
    cx_store_close(&s->db);
    for (int i = 0; i < s->nout; i++) cx_output_close(&s->out[i]);
    if (s->dlq) fclose(s->dlq);
    cx_link_close(&s->in);
    cx_link_close(&s->ack);
    if (s->zctx) zmq_ctx_term(s->zctx);
    for (size_t i = 0; i < s->nacks; i++) cx_free(s->acks[i].items);
    cx_free(s->acks);
    cx_buf_free(&s->line);
    cx_buf_free(&s->abuf);
    cx_buf_free(&s->dlqbuf);
    cx_metrics_destroy(&s->m);
    cx_pidfile_remove(c, "sink");
    cx_conf_destroy(&c);
    cx_free(s);
    return rc;
}
