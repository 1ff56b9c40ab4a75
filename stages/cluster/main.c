/* main.c - cxflow-cluster: the cluster stage process.
 *
 * A thin wrapper around the clusterer (clusterer.h) in the shape of every
 * middle stage (cx_stage.h): PULL on link.cluster, PUSH to link.sink.  Each
 * record gets env->cluster_id; cluster lifecycle events go downstream as
 * event frames through cx_stage_emit_event; tick emits the rate-limited
 * "updated" events and refreshes the metrics; flush sends, on stop, the
 * events of every cluster that changed since its last one.  After the
 * clusterer, each record also goes through the trend tracker (clu_trend.h,
 * docs/TRENDS.md), whose spike alerts go downstream as event frames too. */
#include "clu_trend.h"
#include "clusterer.h"
#include "cx_alloc.h"
#include "cx_log.h"
#include "cx_stage.h"
#include "cx_util.h"
#include <stdio.h>

typedef struct clu_stage {
    cx_clusterer *cl;
    int64_t last_oom_log;
    double *m_live, *m_vocab, *m_created, *m_retired, *m_merged, *m_clustered, *m_dups, *m_skipped, *m_empty, *m_failed;
    clu_trend *tr;        /* NULL when trend.enabled is off */
    int64_t last_trend_log;
    double *m_alerts, *m_tkeys, *m_tevicted, *m_tlate;
} clu_stage;

static int emit_io(void *arg, const char *json, size_t len) {
    return cx_stage_emit_event((cx_stage_io *)arg, json, len);
}

/* Alerts are rare (one per key, window and metric per cooldown): each is logged too. */
static int emit_alert(void *arg, const char *json, size_t len) {
    cx_info("alert %.*s", (int)(len > 400 ? 400 : len), json);
    return cx_stage_emit_event((cx_stage_io *)arg, json, len);
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
    if (st->m_alerts) *st->m_alerts = (double)s.alerts;
    if (st->m_tkeys) *st->m_tkeys = (double)s.keys;
    if (st->m_tevicted) *st->m_tevicted = (double)s.evicted;
    if (st->m_tlate) *st->m_tlate = (double)s.late_dropped;
}

/* Copy the clusterer's counters into the stage metrics. */
static void update_metrics(clu_stage *st) {
    cx_clusterer_stats s;
    cx_clusterer_get_stats(st->cl, &s);
    if (st->m_live) *st->m_live = (double)s.live;
    if (st->m_vocab) *st->m_vocab = (double)s.vocab;
    if (st->m_created) *st->m_created = (double)s.created;
    if (st->m_retired) *st->m_retired = (double)s.retired;
    if (st->m_merged) *st->m_merged = (double)s.merged;
    if (st->m_clustered) *st->m_clustered = (double)s.clustered;
    if (st->m_dups) *st->m_dups = (double)s.duplicates;
    if (st->m_skipped) *st->m_skipped = (double)s.skipped;
    if (st->m_empty) *st->m_empty = (double)s.empty;
    if (st->m_failed) *st->m_failed = (double)s.failed;
    update_trend_metrics(st);
}

static int clu_init(void **ctx, const cx_conf *c, cx_metrics *m, char *err, size_t errlen) {
    cx_clusterer_opts o;
    cx_clusterer_opts_from_conf(&o, c);
    clu_stage *st = cx_calloc(1, sizeof *st);
    if (!st) { snprintf(err, errlen, "out of memory"); return -1; }
    st->cl = cx_clusterer_new(&o, err, errlen);
    if (!st->cl) { cx_free(st); return -1; }
    if (cx_conf_bool(c, "trend.enabled")) {
        clu_trend_opts to;
        clu_trend_opts_from_conf(&to, c);
        if (!(st->tr = clu_trend_new(&to, err, errlen))) {
            cx_clusterer_destroy(&st->cl);
            cx_free(st);
            return -1;
        }
        cx_clusterer_set_decorator(st->cl, trend_deco, st->tr);
    }
    if (m) {
        st->m_live = cx_metric(m, "clusters_live", "live clusters", 1);
        st->m_vocab = cx_metric(m, "cluster_vocab_size", "entries in the document-frequency table", 1);
        st->m_created = cx_metric(m, "clusters_created_total", "clusters opened", 0);
        st->m_retired = cx_metric(m, "clusters_retired_total", "clusters retired at the cap", 0);
        st->m_merged = cx_metric(m, "clusters_merged_total", "clusters merged into a twin", 0);
        st->m_clustered = cx_metric(m, "records_clustered_total", "records assigned to a cluster", 0);
        st->m_dups = cx_metric(m, "records_duplicate_total", "resent records recognised (not counted again)", 0);
        st->m_skipped = cx_metric(m, "records_not_negative_total", "records passed through (not negative)", 0);
        st->m_empty = cx_metric(m, "records_no_features_total", "records without a usable word or theme", 0);
        st->m_failed = cx_metric(m, "records_cluster_oom_total", "records passed through unclustered for lack of memory", 0);
        st->m_alerts = cx_metric(m, "alerts_total", "spike alerts emitted (docs/TRENDS.md)", 0);
        st->m_tkeys = cx_metric(m, "trend_keys", "themes, clusters and the overall stream tracked for trends", 1);
        st->m_tevicted = cx_metric(m, "trend_evicted_total", "trend keys evicted at trend.max_keys", 0);
        st->m_tlate = cx_metric(m, "trend_late_dropped_total", "records too late for the trend windows", 0);
    }
    if (o.method == CX_CLU_LEADER)
        cx_info("clustering: leader, similarity %.2f, max %ld clusters, %d examples, %s", o.similarity, o.max_clusters,
                o.examples, o.negative_only ? "negative records only" : "all records");
    else
        cx_info("clustering: dmm, alpha %g, beta %g, max %ld clusters, %d examples, %s", o.alpha, o.beta, o.max_clusters,
                o.examples, o.negative_only ? "negative records only" : "all records");
    if (st->tr) cx_info("trends: up to %lld keys, alerts at p <= %g", (long long)cx_conf_int(c, "trend.max_keys"),
                        cx_conf_dbl(c, "trend.alpha"));
    *ctx = st;
    return 0;
}

/* Out of memory is not the record's fault: it passes through unclustered
 * (cluster_id 0) instead of going to the dead letters. */
static int clu_process(void *ctx, cx_env *env, cx_stage_io *io, char *err, size_t errlen) {
    clu_stage *st = ctx;
    if (cx_clusterer_add(st->cl, env, emit_io, io, err, errlen) < 0) {
        int64_t now = cx_mono_ms();
        if (now - st->last_oom_log >= 10000) {
            cx_warn("%s; record %s passes unclustered", err, env->id ? env->id : "?");
            st->last_oom_log = now;
        }
        err[0] = '\0';
    }
    /* after the clusterer: the trend counts the record under its cluster too */
    if (st->tr && clu_trend_add(st->tr, env, cx_now_ms(), emit_alert, io, err, errlen) < 0) {
        int64_t now = cx_mono_ms();
        if (now - st->last_trend_log >= 10000) {
            cx_warn("%s", err);
            st->last_trend_log = now;
        }
        err[0] = '\0';
    }
    return 0;
}

static void clu_tick(void *ctx, cx_stage_io *io) {
    clu_stage *st = ctx;
    cx_clusterer_tick(st->cl, cx_mono_ms(), emit_io, io);
    update_metrics(st);
}

/* On stop, while the link to the sink is still open: the sink gets the last
 * state of every cluster that changed since its last event. */
static void clu_flush(void *ctx, cx_stage_io *io) {
    clu_stage *st = ctx;
    size_t failed = cx_clusterer_flush(st->cl, emit_io, io);
    if (failed) cx_warn("%zu cluster updates could not be sent at shutdown", failed);
}

static void clu_fini(void *ctx) {
    clu_stage *st = ctx;
    update_metrics(st);
    cx_clusterer_stats s;
    cx_clusterer_get_stats(st->cl, &s);
    cx_info("clustered %llu records into %llu clusters (%zu live, %llu retired, %llu resends)",
            (unsigned long long)s.clustered, (unsigned long long)s.created, s.live,
            (unsigned long long)s.retired, (unsigned long long)s.duplicates);
    cx_clusterer_destroy(&st->cl);
    clu_trend_destroy(&st->tr);
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
