/* main.c - cxflow-cluster: the cluster stage process.
 *
 * A thin wrapper around the clusterer (clusterer.h) in the shape of every
 * middle stage (cx_stage.h): PULL on link.cluster, PUSH to link.sink.  Each
 * record gets env->cluster_id; cluster lifecycle events go downstream as
 * event frames; tick emits the rate-limited "updated" events and refreshes
 * the metrics; flush sends, on stop, the events of every cluster that changed
 * since its last one.  After the clusterer, each record also goes through
 * the trend tracker (clu_trend.h, docs/TRENDS.md), whose spike alerts go
 * downstream as event frames too, and every cluster event carries the
 * cluster's trend windows (the clusterer's event decorator).
 *
 * Checkpoints (cluster.checkpoint; docs/RELIABILITY.md, "Cluster state and
 * restarts").  With a checkpoint file the state - the clusterer's and the
 * trend tracker's - is restored from it at start and written every
 * cluster.checkpoint_interval_ms while it changes, and nothing that depends
 * on the state leaves the stage before a checkpoint holding that state is on
 * disk: the records the clusterer assigned to a cluster (or recognised as
 * resends), with trends on every record the tracker counted, and all events
 * (cluster events and alerts) wait in two queues and are released to the
 * sink after a successful write.  So whatever the sink stores - and ingest
 * therefore commits - is covered by the checkpoint.  A restarted stage
 * resumes from it, recognises resends of what it had counted (the resend
 * filters of both are part of the state) and counts, once, the records that
 * were waiting when it died: the sink never acknowledged those, so ingest
 * sends them again.  The waiting events are written into the checkpoint too
 * (unlike records they cannot be had from upstream again) and are sent again
 * after a restart; and since events that were sent may still have been lost
 * (in this process's send queue, or in the sink's uncommitted batch) with
 * nothing to resend them, a restored stage publishes every live cluster once
 * more (cx_clusterer_republish) and sends again the events that republishing
 * cannot make up for (alerts; merged, split, retired) which it had sent
 * within ingest.ack_timeout_ms before the checkpoint (the "sent" row).
 * Records that do not depend on the state (with trends off: not negative,
 * no usable feature, no memory) pass straight on. */
#include "ckpt_store.h"
#include "clu_ckpt.h"
#include "clu_trend.h"
#include "clusterer.h"
#include "cx_alloc.h"
#include "cx_log.h"
#include "cx_stage.h"
#include "cx_util.h"
#include <stdio.h>
#include <string.h>

#define HELD_MAX_BYTES ((size_t)256 << 20)   /* records waiting for a checkpoint: beyond, dropped */
#define EVENTS_MAX_BYTES ((size_t)64 << 20)  /* events waiting: beyond, the clusters stay "changed" */
#define SENT_MAX_BYTES ((size_t)4 << 20)    /* sent events kept for a replay: beyond, the oldest go */
#define EVENTS_MAGIC "CXEV"
#define EVENTS_VERSION 1

/* ---- frames waiting for a checkpoint ---- */

typedef struct frame {
    char *p;
    size_t len;
    int64_t at;      /* kept sent events: when they were sent (wall clock, ms) */
} frame;

/* A FIFO of frames; v[head..durable) are covered by a written checkpoint and
 * may be sent, v[durable..n) wait for the next one.  (The queue of sent
 * events kept for a replay has durable == n.) */
typedef struct frameq {
    frame *v;
    size_t head, durable, n, cap;
    size_t bytes;
} frameq;

static size_t fq_count(const frameq *q) { return q->n - q->head; }

/* Room for one more frame.  0 / -1 (out of memory). */
static int fq_room(frameq *q) {
    if (q->n == q->cap && q->head) { /* reuse the room of what was sent */
        memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof *q->v);
        q->n -= q->head;
        q->durable -= q->head;
        q->head = 0;
    }
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 256;
        frame *nv = cx_realloc(q->v, nc * sizeof *nv);
        if (!nv) return -1;
        q->v = nv;
        q->cap = nc;
    }
    return 0;
}

/* Append the cx_malloc'd frame p[0..len) (the queue owns it from then on,
 * also when this fails: it is freed).  0 / -1 (out of memory). */
static int fq_adopt(frameq *q, char *p, size_t len, int64_t at) {
    if (fq_room(q) < 0) {
        cx_free(p);
        return -1;
    }
    q->v[q->n].p = p;
    q->v[q->n].len = len;
    q->v[q->n].at = at;
    q->n++;
    q->bytes += len;
    return 0;
}

/* Append a copy of p[0..len).  0 / -1 (out of memory). */
static int fq_push(frameq *q, const void *p, size_t len) {
    char *c = cx_malloc(len ? len : 1);
    if (!c) return -1;
    if (len) memcpy(c, p, len);
    return fq_adopt(q, c, len, 0);
}

/* Forget the oldest frames: those from before `before` (ms) and, beyond
 * max_bytes, the oldest of the rest. */
static void fq_expire(frameq *q, int64_t before, size_t max_bytes) {
    while (q->head < q->n && (q->v[q->head].at < before || q->bytes > max_bytes)) {
        q->bytes -= q->v[q->head].len;
        cx_free(q->v[q->head].p);
        q->head++;
    }
    if (q->head > q->durable) q->durable = q->head;
    if (q->head == q->n) q->head = q->durable = q->n = 0;
}

/* Is this event one that republishing the live clusters after a restart
 * cannot make up for, should the sink lose it: an alert, or the event of a
 * cluster's end or of a link between clusters (merged, split, retired)? */
static int replayable(const char *json, size_t len) {
    static const char *const kinds[] = {"{\"type\":\"alert\"", "{\"type\":\"cluster\",\"event\":\"merged\"",
                                        "{\"type\":\"cluster\",\"event\":\"split\"",
                                        "{\"type\":\"cluster\",\"event\":\"retired\""};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i]);
        if (len >= n && !memcmp(json, kinds[i], n)) return 1;
    }
    return 0;
}

typedef int (*send_fn)(cx_stage_io *io, const void *data, size_t len);

/* Send the frames a checkpoint covers, oldest first, until a send fails
 * (stopping, or the sink unreachable during flush).  With keep, the sent
 * frames that are replayable() move there (with the time) instead of being
 * freed.  Returns how many were not sent. */
static size_t fq_release(frameq *q, send_fn send, cx_stage_io *io, frameq *keep) {
    int64_t now = keep ? cx_now_ms() : 0;
    while (q->head < q->durable) {
        frame *f = &q->v[q->head];
        if (send(io, f->p, f->len) < 0) break;
        q->bytes -= f->len;
        if (keep && replayable(f->p, f->len)) {
            if (fq_adopt(keep, f->p, f->len, now) == 0) keep->durable = keep->n;
        } else {
            cx_free(f->p);
        }
        q->head++;
    }
    if (q->head == q->n) q->head = q->durable = q->n = 0;
    return q->durable - q->head;
}

static void fq_free(frameq *q) {
    for (size_t i = q->head; i < q->n; i++) cx_free(q->v[i].p);
    cx_free(q->v);
    memset(q, 0, sizeof *q);
}

static int send_event(cx_stage_io *io, const void *json, size_t len) {
    return cx_stage_emit_event(io, json, len);
}

/* Events as one blob: "CXEV", u32 count, count x (u32 length, JSON).
 * Little-endian.  The rows "events" (waiting) and "sent" (kept for a replay). */
static void put_u32le(cx_buf *b, uint32_t v) {
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    cx_buf_append(b, x, 4);
}

static int events_encode(const frameq *q, cx_buf *out) {
    cx_buf_reset(out);
    cx_buf_append(out, EVENTS_MAGIC, 4);
    put_u32le(out, (uint32_t)fq_count(q));
    for (size_t i = q->head; i < q->n; i++) {
        put_u32le(out, (uint32_t)q->v[i].len);
        cx_buf_append(out, q->v[i].p, q->v[i].len);
    }
    return out->oom ? -1 : 0;
}

static uint32_t get_u32le(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Queue the events of a checkpoint blob (what: "pending", "sent") as
 * already covered (they are sent at the first tick).  0, or -1 with a reason
 * in err. */
static int events_decode(frameq *q, const cx_buf *b, const char *what, char *err, size_t errlen) {
    const unsigned char *p = (const unsigned char *)b->data, *end = p + b->len;
    if (b->len < 8 || memcmp(p, EVENTS_MAGIC, 4)) {
        snprintf(err, errlen, "the %s events are damaged", what);
        return -1;
    }
    uint32_t n = get_u32le(p + 4);
    p += 8;
    for (uint32_t i = 0; i < n; i++) {
        if (end - p < 4 || (size_t)(end - p - 4) < get_u32le(p)) {
            snprintf(err, errlen, "the %s events are truncated (event %u of %u)", what, i + 1, n);
            return -1;
        }
        uint32_t len = get_u32le(p);
        if (fq_push(q, p + 4, len) < 0) { snprintf(err, errlen, "out of memory"); return -1; }
        p += 4 + len;
    }
    if (p != end) { snprintf(err, errlen, "the %s events have trailing bytes", what); return -1; }
    q->durable = q->n;
    return 0;
}

/* ---- the stage ---- */

typedef struct clu_stage {
    cx_clusterer *cl;
    clu_trend *tr;              /* NULL when trend.enabled is off */
    int64_t last_oom_log, last_trend_log;
    cx_stage_io *io;            /* where events go without checkpoints (set by process/tick/flush) */
    /* checkpoints: store is NULL when cluster.checkpoint is empty */
    cx_ckpt_store *store;
    char path[4096];
    int64_t interval_ms, next_ckpt_ms, last_fail_log, last_drop_log;
    int64_t replay_ms;          /* sent events are kept this long for a replay (ingest.ack_timeout_ms) */
    int changed;                /* the state moved on since the last checkpoint */
    frameq held;                /* records waiting for a checkpoint (encoded frames) */
    frameq events;              /* events (cluster events, alerts) waiting for a checkpoint (JSON) */
    frameq sent;                /* replayable() events sent in the last replay_ms */
    cx_buf enc, blob, trblob, evblob, sentblob;
    double *m_live, *m_vocab, *m_created, *m_retired, *m_merged, *m_clustered, *m_dups, *m_skipped, *m_empty,
        *m_failed;
    double *m_ck_writes, *m_ck_fail, *m_ck_bytes, *m_ck_seconds, *m_ck_seconds_total, *m_ck_held, *m_ck_dropped;
    double *m_alerts, *m_tkeys, *m_tevicted, *m_tlate;
} clu_stage;

static double no_metric[16]; /* the metrics table is full: count nowhere */

static double *metric(cx_metrics *m, int *k, const char *name, const char *help, int gauge) {
    double *v = m ? cx_metric(m, name, help, gauge) : NULL;
    return v ? v : &no_metric[(*k)++ % 16];
}

/* Events: straight downstream, or into the queue when checkpoints are on
 * (-1 when it is full: the cluster stays changed and a later tick retries;
 * an alert may fire again with a later record). */
static int emit_cb(void *arg, const char *json, size_t len) {
    clu_stage *st = arg;
    if (!st->store) return cx_stage_emit_event(st->io, json, len);
    if (st->events.bytes + len > EVENTS_MAX_BYTES || fq_push(&st->events, json, len) < 0) return -1;
    st->changed = 1;
    return 0;
}

/* Alerts are rare (one per key, window and metric per cooldown): each is
 * logged too.  They take the way of the cluster events: with checkpoints
 * they wait in the same queue, since they depend on the trend state. */
static int emit_alert(void *arg, const char *json, size_t len) {
    int rc = emit_cb(arg, json, len);
    cx_info("alert%s %.*s", rc < 0 ? " (not sent, it may fire again)" : "", (int)(len > 400 ? 400 : len), json);
    return rc;
}

/* Every cluster event carries the cluster's trend windows (docs/TRENDS.md). */
static void trend_deco(void *arg, int64_t id, cx_buf *out) {
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)id);
    size_t mark = out->len;
    cx_buf_append(out, ",\"trend\":", 9);
    if (clu_trend_json((const clu_trend *)arg, "cluster", key, out) < 0) out->len = mark;
}

/* The trend tracker's counters into the stage metrics. */
static void update_trend_metrics(clu_stage *st) {
    if (!st->tr) return;
    clu_trend_stats s;
    clu_trend_get_stats(st->tr, &s);
    *st->m_alerts = (double)s.alerts;
    *st->m_tkeys = (double)s.keys;
    *st->m_tevicted = (double)s.evicted;
    *st->m_tlate = (double)s.late_dropped;
}

/* Copy the clusterer's counters into the stage metrics. */
static void update_metrics(clu_stage *st) {
    cx_clusterer_stats s;
    cx_clusterer_get_stats(st->cl, &s);
    *st->m_live = (double)s.live;
    *st->m_vocab = (double)s.vocab;
    *st->m_created = (double)s.created;
    *st->m_retired = (double)s.retired;
    *st->m_merged = (double)s.merged;
    *st->m_clustered = (double)s.clustered;
    *st->m_dups = (double)s.duplicates;
    *st->m_skipped = (double)s.skipped;
    *st->m_empty = (double)s.empty;
    *st->m_failed = (double)s.failed;
    *st->m_ck_held = (double)fq_count(&st->held);
    update_trend_metrics(st);
}

/* Write the state (clusterer, trends), the waiting events and the
 * replayable events sent lately in one transaction.  On success everything
 * queued so far is covered (and may be released).  With trends off the
 * "trend" row is written empty, so that turning them on again later starts
 * them afresh rather than from an old state.  0 / -1. */
static int checkpoint(clu_stage *st) {
    int64_t t0 = cx_now_us();
    char err[1024];
    cx_buf_reset(&st->trblob);
    fq_expire(&st->sent, cx_now_ms() - st->replay_ms, SENT_MAX_BYTES);
    if (cx_clusterer_save(st->cl, &st->blob, err, sizeof err) < 0 ||
        (st->tr && clu_trend_save(st->tr, &st->trblob, err, sizeof err) < 0))
        goto fail;
    if (events_encode(&st->events, &st->evblob) < 0 || events_encode(&st->sent, &st->sentblob) < 0) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    cx_ckpt_item items[4] = {{"clusterer", CLU_CKPT_VERSION, st->blob.data, st->blob.len},
                             {"trend", CLU_TREND_VERSION, st->trblob.data, st->trblob.len},
                             {"events", EVENTS_VERSION, st->evblob.data, st->evblob.len},
                             {"sent", EVENTS_VERSION, st->sentblob.data, st->sentblob.len}};
    if (cx_ckpt_store_put(st->store, items, 4, err, sizeof err) < 0) goto fail;
    (*st->m_ck_writes)++;
    *st->m_ck_bytes = (double)(st->blob.len + st->trblob.len + st->evblob.len + st->sentblob.len);
    *st->m_ck_seconds = (double)(cx_now_us() - t0) / 1e6;
    *st->m_ck_seconds_total += *st->m_ck_seconds;
    st->changed = 0;
    st->held.durable = st->held.n;
    st->events.durable = st->events.n;
    /* a very large state: at most a fifth of the stage's time goes to checkpoints */
    int64_t took = (cx_now_us() - t0) / 1000, wait = st->interval_ms > 4 * took ? st->interval_ms : 4 * took;
    st->next_ckpt_ms = cx_mono_ms() + wait;
    return 0;
fail:
    (*st->m_ck_fail)++;
    st->next_ckpt_ms = cx_mono_ms() + st->interval_ms;
    if (cx_mono_ms() - st->last_fail_log >= 60000 || !st->last_fail_log) {
        cx_error("checkpoint failed: %s; %zu records and %zu events wait for the next one (nothing is lost: "
                 "ingest sends unacknowledged records again)",
                 err, fq_count(&st->held), fq_count(&st->events));
        st->last_fail_log = cx_mono_ms();
    }
    return -1;
}

/* Send what a checkpoint covers: events first, so a cluster is known to
 * the sink when its records arrive.  The replayable ones are kept a while
 * (the next checkpoints hold them, see restore). */
static void release(clu_stage *st, cx_stage_io *io) {
    fq_release(&st->events, send_event, io, &st->sent);
    fq_release(&st->held, cx_stage_send, io, NULL);
}

#define NOT_STARTING                                                                                               \
    "Not starting: keep the file for inspection and move it (with any -wal file) away to start with no clusters " \
    "- cluster ids then begin at 1 again"

/* The trend state of the checkpoint into st->tr (to: the options; NULL when
 * trends are off, then the row is ignored).  A missing or empty row gives a
 * fresh tracker: a checkpoint written with trends off.  0, or -1 with a
 * reason in err. */
static int restore_trend(clu_stage *st, const clu_trend_opts *to, cx_buf *b, char *err, size_t errlen) {
    if (!to) return 0;
    char why[1024];
    int r = cx_ckpt_store_get(st->store, "trend", b, NULL, NULL, why, sizeof why);
    if (r < 0) {
        snprintf(err, errlen, "cluster checkpoint %s", why);
        return -1;
    }
    if (r == 0 || !b->len) {
        if (!(st->tr = clu_trend_new(to, err, errlen))) return -1;
        cx_info("no trend state in %s (written with trends off): trends start afresh", st->path);
        return 0;
    }
    if (!(st->tr = clu_trend_load(to, b->data, b->len, why, sizeof why))) {
        snprintf(err, errlen, "cluster checkpoint %s: %s. " NOT_STARTING, st->path, why);
        return -1;
    }
    return 0;
}

/* Open the checkpoint file and restore the state from it (a file without a
 * checkpoint yet: no clusters, no trends).  to: the trend options, NULL when
 * trends are off.  0, or -1 with a reason in err. */
static int restore(clu_stage *st, const cx_clusterer_opts *o, const clu_trend_opts *to, char *err, size_t errlen) {
    char why[1024];
    if (!(st->store = cx_ckpt_store_open(st->path, why, sizeof why))) {
        snprintf(err, errlen, "cluster checkpoint %s", why);
        return -1;
    }
    cx_buf b, trb;
    cx_buf_init(&b);
    cx_buf_init(&trb);
    int64_t saved_at = 0;
    int rc = -1, r = cx_ckpt_store_get(st->store, "clusterer", &b, NULL, &saved_at, why, sizeof why);
    if (r < 0) {
        snprintf(err, errlen, "cluster checkpoint %s", why);
    } else if (r == 0) {
        st->cl = cx_clusterer_new(o, err, errlen);
        if (st->cl && (!to || (st->tr = clu_trend_new(to, err, errlen)))) {
            cx_info("no checkpoint in %s yet: starting with no clusters", st->path);
            rc = 0;
        }
    } else if (!(st->cl = cx_clusterer_load(o, b.data, b.len, why, sizeof why))) {
        snprintf(err, errlen, "cluster checkpoint %s: %s. " NOT_STARTING, st->path, why);
    } else if (restore_trend(st, to, &trb, err, errlen) == 0) {
        size_t blen = b.len + trb.len;
        cx_clusterer_set_clock(st->cl, cx_mono_ms());
        /* what the previous process sent may have died in its queue or in the sink's open batch */
        if (cx_clusterer_republish(st->cl) < 0) cx_warn("out of memory: not every cluster is published again");
        /* First the replayable events sent shortly before the checkpoint: had
         * the sink not stored them yet when it died too, nothing would send
         * them again (the republication covers only live clusters' state).
         * Then the waiting events, which the previous process may or may not
         * have sent. */
        r = cx_ckpt_store_get(st->store, "sent", &b, NULL, NULL, why, sizeof why);
        if (r > 0 && events_decode(&st->events, &b, "sent", why, sizeof why) < 0) r = -1;
        size_t replayed = fq_count(&st->events);
        if (r >= 0) r = cx_ckpt_store_get(st->store, "events", &b, NULL, NULL, why, sizeof why);
        if (r > 0 && events_decode(&st->events, &b, "pending", why, sizeof why) < 0) r = -1;
        if (r < 0) {
            snprintf(err, errlen, "cluster checkpoint %s: %s", st->path, why);
        } else {
            cx_clusterer_stats s;
            cx_clusterer_get_stats(st->cl, &s);
            clu_trend_stats ts = {0};
            if (st->tr) clu_trend_get_stats(st->tr, &ts);
            cx_info("restored %zu live clusters (%llu records clustered, %llu resends recognised), %zu trend keys "
                    "(%llu records, %llu alerts), %zu pending events and %zu sent ones to replay from %s (%zu "
                    "bytes, written %.1f s ago)",
                    s.live, (unsigned long long)s.clustered, (unsigned long long)s.duplicates, ts.keys,
                    (unsigned long long)ts.records, (unsigned long long)ts.alerts, fq_count(&st->events) - replayed,
                    replayed, st->path, blen, (double)(cx_now_ms() - saved_at) / 1000.0);
            rc = 0;
        }
    }
    cx_buf_free(&b);
    cx_buf_free(&trb);
    return rc;
}

static void clu_fini(void *ctx);

static int clu_init(void **ctx, const cx_conf *c, cx_metrics *m, char *err, size_t errlen) {
    cx_clusterer_opts o;
    cx_clusterer_opts_from_conf(&o, c);
    clu_trend_opts to;
    clu_trend_opts_from_conf(&to, c);
    const clu_trend_opts *top = cx_conf_bool(c, "trend.enabled") ? &to : NULL;
    clu_stage *st = cx_calloc(1, sizeof *st);
    if (!st) { snprintf(err, errlen, "out of memory"); return -1; }
    cx_buf_init(&st->enc);
    cx_buf_init(&st->blob);
    cx_buf_init(&st->trblob);
    cx_buf_init(&st->evblob);
    cx_buf_init(&st->sentblob);
    cx_conf_path(c, "cluster.checkpoint", st->path, sizeof st->path);
    st->interval_ms = cx_conf_int(c, "cluster.checkpoint_interval_ms");
    st->replay_ms = cx_conf_int(c, "ingest.ack_timeout_ms");
    int k = 0;
    st->m_live = metric(m, &k, "clusters_live", "live clusters", 1);
    st->m_vocab = metric(m, &k, "cluster_vocab_size", "entries in the document-frequency table", 1);
    st->m_created = metric(m, &k, "clusters_created_total", "clusters opened", 0);
    st->m_retired = metric(m, &k, "clusters_retired_total", "clusters retired at the cap", 0);
    st->m_merged = metric(m, &k, "clusters_merged_total", "clusters merged into a twin", 0);
    st->m_clustered = metric(m, &k, "records_clustered_total", "records assigned to a cluster", 0);
    st->m_dups = metric(m, &k, "records_duplicate_total", "resent records recognised (not counted again)", 0);
    st->m_skipped = metric(m, &k, "records_not_negative_total", "records passed through (not negative)", 0);
    st->m_empty = metric(m, &k, "records_no_features_total", "records without a usable word or theme", 0);
    st->m_failed = metric(m, &k, "records_cluster_oom_total", "records passed through unclustered for lack of memory", 0);
    st->m_alerts = metric(m, &k, "alerts_total", "spike alerts emitted (docs/TRENDS.md)", 0);
    st->m_tkeys = metric(m, &k, "trend_keys", "themes, clusters and the overall stream tracked for trends", 1);
    st->m_tevicted = metric(m, &k, "trend_evicted_total", "trend keys evicted at trend.max_keys", 0);
    st->m_tlate = metric(m, &k, "trend_late_dropped_total", "records too late for the trend windows", 0);
    st->m_ck_writes = metric(m, &k, "checkpoint_writes_total", "checkpoints written", 0);
    st->m_ck_fail = metric(m, &k, "checkpoint_failures_total", "checkpoints that could not be written (retried)", 0);
    st->m_ck_bytes = metric(m, &k, "checkpoint_bytes", "size of the last checkpoint", 1);
    st->m_ck_seconds = metric(m, &k, "checkpoint_seconds", "time the last checkpoint took (serialise + write + fsync)", 1);
    st->m_ck_seconds_total = metric(m, &k, "checkpoint_seconds_total", "time spent writing checkpoints", 0);
    st->m_ck_held = metric(m, &k, "checkpoint_held_records", "records waiting for a checkpoint", 1);
    st->m_ck_dropped = metric(m, &k, "checkpoint_dropped_total",
                              "records that could not be held for a checkpoint (ingest sends them again)", 0);
    int rc;
    if (*st->path) {
        rc = restore(st, &o, top, err, errlen);
    } else {
        st->cl = cx_clusterer_new(&o, err, errlen);
        rc = st->cl && (!top || (st->tr = clu_trend_new(top, err, errlen))) ? 0 : -1;
    }
    if (rc < 0) {
        clu_fini(st);
        return -1;
    }
    if (st->tr) cx_clusterer_set_decorator(st->cl, trend_deco, st->tr);
    if (o.method == CX_CLU_LEADER)
        cx_info("clustering: leader, similarity %.2f, max %ld clusters, %d examples, %s", o.similarity, o.max_clusters,
                o.examples, o.negative_only ? "negative records only" : "all records");
    else
        cx_info("clustering: dmm, alpha %g, beta %g, max %ld clusters, %d examples, %s", o.alpha, o.beta, o.max_clusters,
                o.examples, o.negative_only ? "negative records only" : "all records");
    if (st->tr) cx_info("trends: up to %lld keys, alerts at p <= %g", (long long)cx_conf_int(c, "trend.max_keys"),
                        cx_conf_dbl(c, "trend.alpha"));
    if (st->store) {
        int64_t ack = cx_conf_int(c, "ingest.ack_timeout_ms");
        cx_info("checkpoints every %lld ms into %s; %s", (long long)st->interval_ms, st->path,
                st->tr ? "every record waits for one (the trends count them all)" : "clustered records wait for them");
        if (st->interval_ms * 4 > ack)
            cx_warn("cluster.checkpoint_interval_ms = %lld is not well below ingest.ack_timeout_ms = %lld: ingest "
                    "will send records again that only wait for a checkpoint",
                    (long long)st->interval_ms, (long long)ack);
    } else {
        cx_info("no checkpoints (cluster.checkpoint is empty): a restart begins with no clusters and no trends");
    }
    st->next_ckpt_ms = cx_mono_ms() + st->interval_ms;
    update_metrics(st);
    *ctx = st;
    return 0;
}

/* Out of memory is not the record's fault: it passes through unclustered
 * (cluster_id 0) instead of going to the dead letters. */
static int clu_process(void *ctx, cx_env *env, cx_stage_io *io, char *err, size_t errlen) {
    clu_stage *st = ctx;
    st->io = io;
    if (cx_clusterer_add(st->cl, env, emit_cb, st, err, errlen) < 0) {
        int64_t now = cx_mono_ms();
        if (now - st->last_oom_log >= 10000) {
            cx_warn("%s; record %s passes unclustered", err, env->id ? env->id : "?");
            st->last_oom_log = now;
        }
        err[0] = '\0';
    }
    /* after the clusterer: the trend counts the record under its cluster too */
    if (st->tr && clu_trend_add(st->tr, env, cx_now_ms(), emit_alert, st, err, errlen) < 0) {
        int64_t now = cx_mono_ms();
        if (now - st->last_trend_log >= 10000) {
            cx_warn("%s", err);
            st->last_trend_log = now;
        }
        err[0] = '\0';
    }
    if (!st->store) return 0;
    st->changed = 1;
    /* Nothing of the state in it: on its way.  With trends every record is
     * counted (the overall stream, its themes): one released before a
     * checkpoint covers its count would, after a crash, be committed by
     * ingest and missing from the restored trends. */
    if (!env->cluster_id && !st->tr) return 0;
    if (st->held.bytes < HELD_MAX_BYTES && cx_env_encode(env, &st->enc) == 0 &&
        fq_push(&st->held, st->enc.data, st->enc.len) == 0)
        return 1;
    /* It cannot wait (checkpoints have been failing for long, or memory is
     * short): drop it.  The state counts it and remembers it as seen, so when
     * ingest sends it again (the sink never acknowledged it) it is recognised
     * and gets the same cluster id. */
    (*st->m_ck_dropped)++;
    if (cx_mono_ms() - st->last_drop_log >= 10000 || !st->last_drop_log) {
        cx_warn("%zu records (%zu MB) wait for a checkpoint: dropping record %s, ingest sends it again",
                fq_count(&st->held), st->held.bytes >> 20, env->id ? env->id : "?");
        st->last_drop_log = cx_mono_ms();
    }
    return 1;
}

static void clu_tick(void *ctx, cx_stage_io *io) {
    clu_stage *st = ctx;
    st->io = io;
    int64_t now = cx_mono_ms();
    cx_clusterer_tick(st->cl, now, emit_cb, st);
    if (st->store) {
        release(st, io); /* events restored at start, or a release that was cut short */
        if (st->changed && now >= st->next_ckpt_ms && checkpoint(st) == 0) release(st, io);
    }
    update_metrics(st);
}

/* On stop, while the link to the sink is still open: the sink gets the last
 * state of every cluster that changed since its last event - with
 * checkpoints, after a last checkpoint that includes it. */
static void clu_flush(void *ctx, cx_stage_io *io) {
    clu_stage *st = ctx;
    st->io = io;
    size_t failed = cx_clusterer_flush(st->cl, emit_cb, st);
    if (!st->store) {
        if (failed) cx_warn("%zu cluster updates could not be sent at shutdown", failed);
        return;
    }
    if (st->changed && checkpoint(st) < 0)
        cx_warn("no last checkpoint: %zu records and %zu events stay unsent (ingest sends the records again; the "
                "next start resumes from the previous checkpoint)",
                fq_count(&st->held), fq_count(&st->events));
    release(st, io);
    if (st->held.head < st->held.durable || st->events.head < st->events.durable)
        cx_warn("%zu records and %zu events could not be sent at shutdown (the records come again from ingest, "
                "the events with the next start)",
                st->held.durable - st->held.head, st->events.durable - st->events.head);
}

static void clu_fini(void *ctx) {
    clu_stage *st = ctx;
    if (st->cl) {
        update_metrics(st);
        cx_clusterer_stats s;
        cx_clusterer_get_stats(st->cl, &s);
        cx_info("clustered %llu records into %llu clusters (%zu live, %llu retired, %llu merged, %llu resends)",
                (unsigned long long)s.clustered, (unsigned long long)s.created, s.live,
                (unsigned long long)s.retired, (unsigned long long)s.merged, (unsigned long long)s.duplicates);
    }
    cx_clusterer_destroy(&st->cl);
    clu_trend_destroy(&st->tr);
    cx_ckpt_store_close(&st->store);
    fq_free(&st->held);
    fq_free(&st->events);
    fq_free(&st->sent);
    cx_buf_free(&st->enc);
    cx_buf_free(&st->blob);
    cx_buf_free(&st->trblob);
    cx_buf_free(&st->evblob);
    cx_buf_free(&st->sentblob);
    cx_free(st);
}

static const cx_stage_ops ops = {
    .name = "cluster",
    .summary = "groups negative feedback into root-cause clusters (online, one pass)",
    .in_key = "link.cluster",
    .out_key = "link.sink",
    .init = clu_init,
    .process = clu_process,
    .tick = clu_tick,
    .reload = NULL,
    .flush = clu_flush,
    .fini = clu_fini,
};

int main(int argc, char **argv) { return cx_stage_main(argc, argv, &ops); }
