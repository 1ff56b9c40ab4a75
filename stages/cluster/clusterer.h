/* clusterer.h - online (one-pass) clustering of feedback into root-cause
 * clusters, the engine of the cluster stage.
 *
 * A cx_clusterer takes enriched envelopes one at a time (cx_clusterer_add),
 * assigns each one to an existing cluster or opens a new one, sets
 * env->cluster_id, and reports cluster lifecycle changes as JSON events
 * (docs/ENVELOPE.md, "Event frames") through a caller-supplied callback.  It
 * knows nothing about ZeroMQ or Kafka: the stage (main.c) plugs the callback
 * into cx_stage_emit_event, an evaluation tool can plug in a file or nothing.
 *
 * The algorithm (a one-pass Dirichlet multinomial mixture over the stems and
 * theme ids of a record, candidates from an inverted index, words scored per
 * language so that theme ids bridge languages; merges and splits; or the
 * older cosine-threshold "leader" method) is described at the top of
 * clusterer.c and in docs/CLUSTERING.md.  Everything is deterministic for a
 * given input order, and memory is bounded by the options below.
 *
 * Not thread-safe: one clusterer per thread.  The caller owns the clusterer
 * (cx_clusterer_destroy); strings returned by the inspection functions are
 * owned by the clusterer and valid until the next call that changes it. */
#ifndef CX_CLUSTERER_H
#define CX_CLUSTERER_H
#include <stddef.h>
#include <stdint.h>
#include "cx_conf.h"
#include "cx_env.h"

typedef struct cx_clusterer cx_clusterer;

enum { CX_CLU_DMM = 0, CX_CLU_LEADER = 1 };

typedef struct cx_clusterer_opts {
    int method;               /* cluster.method: CX_CLU_DMM (default) or CX_CLU_LEADER */
    double alpha;             /* cluster.alpha: DMM concentration, new-cluster weight per record (1.0) */
    double beta;              /* cluster.beta: DMM feature pseudo-count (0.005) */
    double recency_weight;    /* cluster.recency_weight: DMM prior weight of recent activity (0 = off) */
    double recency_records;   /* cluster.recency_records: half-life of recent activity, in records (50) */
    double similarity;        /* cluster.similarity: leader method, cosine needed to join (0.18) */
    long max_clusters;        /* cluster.max_clusters: live clusters (5000) */
    int examples;             /* cluster.examples: verbatims kept per cluster (5) */
    int negative_only;        /* cluster.negative_only (1) */
    double theme_weight;      /* cluster.theme_weight: weight of theme-id features (0.3); leader: norm of the theme block */
    double bigram_weight;     /* weight of adjacent-word bigrams, 0 = off (0) */
    int max_terms;            /* centroid keeps this many strongest features (100) */
    long max_terms_total;     /* cluster.max_terms_total: centroid features of all live clusters
                               * together (150000); above it clusters are pruned to their share */
    int max_record_features;  /* word features kept per record, strongest first (64) */
    long max_vocab;           /* document-frequency table size before eviction (262144) */
    long dedup_window;        /* (topic, partition, offset) keys remembered, at least (262144) */
    int64_t half_life_ms;     /* event-time half-life of centroid weights and of
                               * cluster vitality; 0 = no decay (7 days) */
    int64_t update_interval_ms; /* min. time between two events of one cluster (2000) */
    uint32_t publish_min_size;/* clusters smaller than this emit no events (1) */
    int example_max_bytes;    /* example texts are cut (UTF-8 safe) above this (400) */
    int64_t first_id;         /* id of the first cluster; > 0 (1) - for checkpoints */
    double merge_similarity;  /* cluster.merge_similarity: centroid cosine at which two clusters
                               * merge (0.6); 0 = never */
} cx_clusterer_opts;

/* Fill o with the defaults listed above. */
void cx_clusterer_opts_default(cx_clusterer_opts *o);
/* Defaults, then the cluster.* keys of the configuration. */
void cx_clusterer_opts_from_conf(cx_clusterer_opts *o, const cx_conf *c);

/* NULL with a reason in err (bad option, out of memory). */
cx_clusterer *cx_clusterer_new(const cx_clusterer_opts *o, char *err, size_t errlen);
void cx_clusterer_destroy(cx_clusterer **cl);

/* Receives one JSON event (not NUL-terminated: len bytes).  0 when delivered,
 * -1 when not: the cluster then stays "changed" and a later tick retries with
 * an "updated" event.  The text is only valid during the call. */
typedef int (*cx_clu_emit_fn)(void *arg, const char *json, size_t len);

/* Appends more fields to every cluster event of cluster id: ",\"key\":value..."
 * (the stage adds the trend windows).  Return value ignored. */
typedef void (*cx_clu_deco_fn)(void *arg, int64_t id, cx_buf *out);
void cx_clusterer_set_decorator(cx_clusterer *cl, cx_clu_deco_fn fn, void *arg);

/* Cluster one record: sets env->cluster_id (0 when the record is not
 * clustered: not negative while negative_only, no usable feature).  A resend
 * of a (topic, partition, offset) seen recently gets the same cluster id and
 * is not counted again; records without a topic or with offset < 0 are never
 * treated as resends.  Emits "created", "grew", "merged", "split" and "retired" events through
 * emit (which may be NULL).  Returns 0, or -1 with a reason in err when the
 * record could not be clustered for lack of memory (env->cluster_id is then 0
 * and the clusterer stays consistent; smaller allocation failures only make
 * a cluster lose a feature, a surface form or an example). */
int cx_clusterer_add(cx_clusterer *cl, cx_env *env, cx_clu_emit_fn emit, void *arg,
                     char *err, size_t errlen);

/* Periodic work, now_ms from a monotonic clock: an "updated" event for every
 * cluster that changed since its last event, at most one per cluster per
 * update_interval_ms. */
void cx_clusterer_tick(cx_clusterer *cl, int64_t now_ms, cx_clu_emit_fn emit, void *arg);

/* An "updated" event for every changed cluster, now (shutdown).  Returns the
 * number of events that could not be delivered. */
size_t cx_clusterer_flush(cx_clusterer *cl, cx_clu_emit_fn emit, void *arg);

typedef struct cx_clusterer_stats {
    uint64_t records;        /* cx_clusterer_add calls */
    uint64_t clustered;      /* records assigned to a cluster (resends excluded) */
    uint64_t duplicates;     /* resends recognised */
    uint64_t skipped;        /* not negative while negative_only */
    uint64_t empty;          /* no usable feature */
    uint64_t failed;         /* out of memory */
    uint64_t created, retired, merged, split, events, events_failed;
    size_t live;             /* live clusters */
    size_t vocab;            /* entries in the document-frequency table */
    size_t terms;            /* centroid features over the live clusters */
} cx_clusterer_stats;
void cx_clusterer_get_stats(const cx_clusterer *cl, cx_clusterer_stats *st);

/* Bytes the clusterer holds, by structure (allocated sizes as requested, not
 * counting the allocator's own overhead).  O(size of state): for benchmarks
 * and diagnostics, not for every record. */
typedef struct cx_clusterer_mem {
    size_t features;     /* the feature (vocabulary) table's buckets */
    size_t postings;     /* inverted-index posting arrays (capacity) */
    size_t display;      /* display forms of features */
    size_t slots;        /* the cluster slot array and per-slot scratch */
    size_t terms;        /* centroid term arrays and their indexes (capacity) */
    size_t examples;     /* example verbatims and their ids */
    size_t counters;     /* theme, language, channel, product, region counters */
    size_t dedup;        /* the resend window */
    size_t total;
} cx_clusterer_mem;
void cx_clusterer_get_mem(const cx_clusterer *cl, cx_clusterer_mem *m);

/* Inspection (tests, evaluation tools). */
typedef struct cx_cluster_info {
    int64_t id;
    uint32_t size;
    int64_t first_seen_ms, last_seen_ms;
    double sentiment;        /* mean over members */
    uint32_t n_terms;        /* features in the centroid */
    uint32_t n_examples;
    const char *label;       /* owned by the clusterer, valid until the next call */
} cx_cluster_info;
/* 0, or -1 when id is not a live cluster. */
int cx_clusterer_info(cx_clusterer *cl, int64_t id, cx_cluster_info *out);
/* Ids of the live clusters in ascending order; returns how many there are
 * (writes at most max). */
size_t cx_clusterer_ids(const cx_clusterer *cl, int64_t *ids, size_t max);
/* The state of a live cluster as an event JSON object ("event": what) into
 * out (reset first).  0, or -1 when unknown or out of memory. */
int cx_clusterer_describe(cx_clusterer *cl, int64_t id, const char *what, cx_buf *out);

/* Verify the internal invariants (postings <-> centroids, norms, counts).
 * 0, or -1 with the first violation in err.  For tests; O(size of state). */
int cx_clusterer_check(const cx_clusterer *cl, char *err, size_t errlen);

/* ---- checkpoints (clu_ckpt.c) ----
 *
 * The whole state - every live cluster with its centroid, mixture counts,
 * counters, examples and recent member signatures, the document frequencies
 * with the display forms, the resend filter, the changed list, the id
 * counter and the statistics - as one versioned, checksummed, little-endian
 * byte string, and back.  Loading it gives a clusterer that behaves exactly
 * like the saved one: the same records added to both give the same ids,
 * events and descriptions.  The event decorator is not part of the state:
 * set it again on the loaded clusterer. */

/* Serialise cl into out (reset first).  0, or -1 with a reason in err (out
 * of memory).  O(size of state); cl is not changed. */
int cx_clusterer_save(const cx_clusterer *cl, cx_buf *out, char *err, size_t errlen);

/* A new clusterer (caller owns) with options o and the state saved in
 * data[0..len).  NULL with a reason in err when the bytes are truncated,
 * damaged (checksum), of another format version, inconsistent
 * (cx_clusterer_check), do not fit the options (more live clusters than
 * o->max_clusters, a resend filter larger than o->dedup_window) or memory
 * runs out.  Examples beyond o->examples are dropped.  Never trusts the
 * bytes: every count and length is checked before it is used. */
cx_clusterer *cx_clusterer_load(const cx_clusterer_opts *o, const void *data, size_t len, char *err,
                                size_t errlen);

/* Move the clusterer's monotonic clock to now_ms, keeping every cluster's
 * time since its last event: call it after cx_clusterer_load in a new process
 * (the monotonic clock of the saving process, e.g. before a reboot, means
 * nothing to this one), before the first cx_clusterer_tick. */
void cx_clusterer_set_clock(cx_clusterer *cl, int64_t now_ms);

/* Mark every published live cluster changed, so that tick (once the update
 * interval since its last event has passed) or flush sends its current state
 * again in an "updated" event.  After a restart: events the previous process
 * sent may not have reached the sink (they were in its send queue, or in the
 * sink's uncommitted batch) and nothing else sends them again.  0, or -1 when
 * out of memory (some clusters then stay as they were). */
int cx_clusterer_republish(cx_clusterer *cl);

#endif
