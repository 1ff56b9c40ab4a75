/* clu_trend.h - trends, spike alerts and score impact per theme and cluster.
 *
 * A clu_trend watches the records that leave the clusterer and keeps, for
 * every key (the whole stream "overall/all", each theme id and, optionally,
 * its parent ids, each cluster id), counts of records, negative records and
 * the sentiment sum in ring buffers of 10-second, minute, hour and day
 * buckets.  From them it derives three sliding windows (the last minute, hour
 * and day) and, for each, a baseline: the mean and dispersion of the counts
 * of the comparable periods just before the window.  When a record makes a
 * window's count significantly higher than its baseline (Poisson tail with a
 * quasi-Poisson dispersion correction) or its share of negative records
 * significantly higher (binomial tail), it emits a JSON "alert" event through
 * the same callback type as the clusterer (cx_clu_emit_fn).  Records that
 * carry an NPS or a rating also feed decayed score accumulators, from which
 * each key's impact on the overall score (score with and without the key's
 * records) and its 95% confidence interval are computed.
 *
 * Time is event time (env->ts_ms); stream time is the largest event time
 * seen, so a replay gives the same counts and alerts as the live run.  Memory
 * is bounded by opts.max_keys (least recently seen keys are evicted) and
 * opts.dedup_window.  The whole state can be saved into a length-checked
 * little-endian blob and loaded back (checkpoints).  The design, the formulas
 * and the event format are in docs/TRENDS.md.
 *
 * Not thread-safe: one clu_trend per thread.  The caller owns it
 * (clu_trend_destroy); strings returned by the inspection functions are
 * owned by the clu_trend and valid until the next clu_trend_add or
 * clu_trend_destroy. */
#ifndef CLU_TREND_H
#define CLU_TREND_H
#include <stddef.h>
#include <stdint.h>
#include "clusterer.h"
#include "cx_conf.h"
#include "cx_env.h"

typedef struct clu_trend clu_trend;

/* The three windows, in this order everywhere (arrays, JSON, docs). */
enum { CLU_TW_MINUTE = 0, CLU_TW_HOUR = 1, CLU_TW_DAY = 2, CLU_TW__N = 3 };
/* The two scores: NPS (0-10 answers) and CSAT (1-5 ratings, % satisfied). */
enum { CLU_TS_NPS = 0, CLU_TS_CSAT = 1, CLU_TS__N = 2 };

#define CLU_TREND_KEY_MAX 1024   /* longer theme ids are not tracked */

typedef struct clu_trend_opts {
    long max_keys;              /* trend.max_keys: themes + clusters tracked (4096) */
    int theme_parents;          /* trend.theme_parents: a.b.c also counts for a.b and a (1) */
    double alpha;               /* trend.alpha: significance level of the one-sided tests (1e-6) */
    long min_count;             /* trend.min_count: records in the window for a volume spike (5) */
    double min_ratio;           /* trend.min_ratio: count / baseline for a volume spike (3) */
    long sentiment_min_count;   /* trend.sentiment_min_count: negative records in the window (5) */
    double sentiment_min_delta; /* trend.sentiment_min_delta: negative share above the baseline's (0.25) */
    double cooldown_windows;    /* trend.cooldown_windows: window lengths between two alerts of one
                                 * key, window and metric (1) */
    int64_t max_lateness_ms;    /* trend.max_lateness_ms: older records stay out of the windows (7 days, at most 31) */
    int64_t score_half_life_ms; /* trend.score_half_life_h in ms; 0 = no decay (14 days) */
    long dedup_window;          /* trend.dedup_window: resends recognised among this many (65536); 0 = off */
} clu_trend_opts;

/* Fill o with the defaults listed above. */
void clu_trend_opts_default(clu_trend_opts *o);
/* Defaults, then the trend.* keys of the configuration. */
void clu_trend_opts_from_conf(clu_trend_opts *o, const cx_conf *c);

/* A new, empty tracker.  NULL with a reason in err (bad option, out of
 * memory).  The caller owns it. */
clu_trend *clu_trend_new(const clu_trend_opts *o, char *err, size_t errlen);
/* Release t and clear the caller's pointer; NULL and *t == NULL are fine. */
void clu_trend_destroy(clu_trend **t);

/* Count one record (after the clusterer set env->cluster_id): the overall
 * key, each theme of env->themes (and its parents when theme_parents), the
 * cluster when env->cluster_id != 0.  The record's time is env->ts_ms, or
 * now_ms when it has none (now_ms may be 0: then the stream time); a time
 * more than 5 minutes after now_ms (when now_ms > 0) is taken as now_ms.  A
 * resend of a (topic, partition, offset) among the last dedup_window records
 * is not counted again.  Checks the spike rules of every key the record
 * touched and emits each alert through emit (which may be NULL: the alert
 * then only counts); an alert whose emit returns -1 is counted in
 * alerts_failed and may fire again on the next record.  Returns 0, or -1
 * with a reason in err when a key could not be created for lack of memory
 * (the other keys of the record are still counted; t stays consistent). */
int clu_trend_add(clu_trend *t, const cx_env *env, int64_t now_ms, cx_clu_emit_fn emit, void *arg,
                  char *err, size_t errlen);

typedef struct clu_trend_stats {
    uint64_t records;       /* clu_trend_add calls */
    uint64_t duplicates;    /* resends recognised (not counted) */
    uint64_t late_dropped;  /* older than stream time - max_lateness: not in the windows */
    uint64_t future_clamped;/* event time more than 5 minutes after now_ms: counted at now_ms */
    uint64_t scored;        /* records with an NPS or a rating */
    uint64_t evicted;       /* keys evicted at the cap */
    uint64_t alerts;        /* alerts emitted */
    uint64_t alerts_failed; /* alerts whose emit failed */
    uint64_t key_failures;  /* keys not created for lack of memory */
    size_t keys;            /* keys tracked, the overall key included */
    int64_t stream_ms;      /* largest event time seen (0 before the first record) */
} clu_trend_stats;
void clu_trend_get_stats(const clu_trend *t, clu_trend_stats *st);

/* ---- inspection (tests, tools, the stage) ----
 * Keys are named by kind ("overall", "theme", "cluster") and key (the theme
 * id, the cluster id in decimal, "all" for the overall key). */

typedef struct clu_trend_window {
    uint32_t count;             /* records in the current window */
    uint32_t negative;          /* negative records in it */
    double sentiment;           /* their mean sentiment (0 when count == 0) */
    int64_t start_ms;           /* start of the current window (its count covers [start_ms, stream time]) */
    uint32_t baseline_periods;  /* comparable past periods the baseline uses (0: no history yet) */
    double baseline;            /* their mean count (expected count of the window) */
    double dispersion;          /* their variance / mean, at least 1 (quasi-Poisson factor) */
    uint64_t baseline_records;  /* records in those periods */
    double baseline_neg_share;  /* negative share in those periods (smoothed, see TRENDS.md) */
    int armed;                  /* enough history for alerts (baseline_periods >= the window's minimum) */
} clu_trend_window;

typedef struct clu_trend_score {
    uint64_t n;          /* records with this score ever counted for the key */
    double weight;       /* their decayed weight now */
    double score;        /* the key's own score (NPS -100..100, CSAT 0..100) */
    double overall;      /* the score of every record */
    double without;      /* the score of the records that are not the key's (valid when has_without) */
    double impact;       /* overall - without */
    double ci_lo, ci_hi; /* 95% confidence interval of impact (valid when has_ci) */
    int has_without, has_ci;
} clu_trend_score;

typedef struct clu_trend_info {
    const char *kind, *key;        /* owned by t */
    int64_t first_ms, last_ms;     /* earliest and latest event time of the key's records */
    uint64_t records;              /* records counted for the key (late ones included) */
    clu_trend_window win[CLU_TW__N];
    clu_trend_score score[CLU_TS__N]; /* score[k].n == 0: no such score */
} clu_trend_info;

/* The state of one key as of the stream time.  0, or -1 when unknown. */
int clu_trend_info_get(const clu_trend *t, const char *kind, const char *key, clu_trend_info *out);

/* The tracked keys, the overall key first, then the others from the most to
 * the least recently seen.  Writes at most max (kind, key) pairs (the strings
 * are owned by t) and returns how many keys there are. */
size_t clu_trend_list(const clu_trend *t, const char **kinds, const char **keys, size_t max);

/* Append the trend object of one key to out:
 *   {"minute":n,"hour":n,"day":n,"baseline_minute":x,...,"nps":{...},"csat":{...}}
 * (fields in docs/TRENDS.md).  0, or -1 when the key is unknown (nothing
 * appended) or out of memory. */
int clu_trend_json(const clu_trend *t, const char *kind, const char *key, cx_buf *out);

/* ---- checkpoints ----
 * clu_trend_save appends the whole state (keys, buckets, cooldowns, score
 * accumulators, resend window, counters) to out as a versioned
 * little-endian blob with a checksum.  0, or -1 with err (out of memory).
 * clu_trend_load builds a new tracker with options o from such a blob: the
 * thresholds come from o; when o allows fewer keys or a smaller resend
 * window than the blob holds, the least recently seen ones are left out
 * (the keys counted as evicted).
 * NULL with err on a truncated, corrupt or incompatible blob, or out of
 * memory.  The caller owns the result. */
#define CLU_TREND_VERSION 1   /* format version of the blob (its header; the checkpoint row) */
int clu_trend_save(const clu_trend *t, cx_buf *out, char *err, size_t errlen);
clu_trend *clu_trend_load(const clu_trend_opts *o, const void *data, size_t len, char *err, size_t errlen);

#endif
