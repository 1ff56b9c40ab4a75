/* test_trend.c - unit tests of the trends, spike alerts and score impact
 * (stages/cluster/clu_trend.c, docs/TRENDS.md).
 *
 * Every stream is synthetic and deterministic: event times are generated
 * from a fixed seed (Poisson counts per minute, uniform times inside the
 * minute), envelopes are built by hand (themes, label, sentiment, score,
 * cluster id), alerts are collected through the emit callback and parsed
 * with jansson. */
#include "clu_trend.h"
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_test.h"
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T0 INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define MIN INT64_C(60000)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* ---- deterministic randomness ---- */

static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s * 0x9e3779b97f4a7c15ULL + 1; }
static double rng_u(void) { /* (0, 1) */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 0x2545f4914f6cdd1dULL >> 11) + 0.5) / 9007199254740992.0;
}
static int rng_poisson(double lambda) { /* Knuth; lambda <= ~50 */
    double L = exp(-lambda), p = 1;
    int k = 0;
    do {
        k++;
        p *= rng_u();
    } while (p > L);
    return k - 1;
}

/* ---- envelopes ---- */

typedef struct rec {
    int64_t ts;
    const char *themes; /* comma-separated, or NULL */
    int neg;
    int64_t cluster;
    int score_kind;
    double score;
    int32_t partition;
    int64_t offset;     /* -1: no source coordinates */
} rec;

static cx_env *make_env(const rec *r) {
    cx_env *e = cx_env_new();
    if (!e) return NULL;
    e->ts_ms = r->ts;
    e->label = r->neg ? CX_LABEL_NEGATIVE : CX_LABEL_POSITIVE;
    e->sentiment = r->neg ? -0.5f : 0.25f;
    e->tagged = 1;
    e->cluster_id = r->cluster;
    e->score_kind = (uint8_t)r->score_kind;
    e->score = r->score;
    if (r->offset >= 0) {
        e->topic = "feedback";
        e->partition = r->partition;
        e->offset = r->offset;
    } else {
        e->offset = -1;
    }
    if (r->themes && *r->themes) {
        e->themes = cx_env_alloc(e, 8 * sizeof *e->themes);
        const char *p = r->themes;
        while (e->themes && *p && e->n_themes < 8) {
            size_t l = strcspn(p, ",");
            e->themes[e->n_themes].id = cx_env_strndup(e, p, l);
            e->themes[e->n_themes].weight = 1;
            e->n_themes++;
            p += l;
            if (*p == ',') p++;
        }
    }
    return e;
}

/* ---- collecting alerts ---- */

#define MAX_ALERTS 512
typedef struct sink {
    json_t *a[MAX_ALERTS];
    int n;
    int fail;  /* emit returns -1 */
} sink;

static int collect(void *arg, const char *json, size_t len) {
    sink *s = arg;
    if (s->fail) return -1;
    json_error_t je;
    json_t *j = json_loadb(json, len, 0, &je);
    if (!j) {
        fprintf(stderr, "alert is not JSON: %s: %.*s\n", je.text, (int)len, json);
        cx_t_cur_failed = 1;
        return 0;
    }
    if (s->n < MAX_ALERTS) s->a[s->n++] = j;
    else json_decref(j);
    return 0;
}
static void sink_free(sink *s) {
    for (int i = 0; i < s->n; i++) json_decref(s->a[i]);
    s->n = 0;
}
static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static double jnum(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }
static int64_t jint(json_t *o, const char *k) { return (int64_t)json_integer_value(json_object_get(o, k)); }

static void add(clu_trend *t, const rec *r, sink *s) {
    cx_env *e = make_env(r);
    char err[256];
    CX_CHECK(clu_trend_add(t, e, r->ts, collect, s, err, sizeof err) == 0);
    cx_env_destroy(&e);
}

/* ---- synthetic streams ---- */

typedef struct source {
    const char *themes;
    double per_min;     /* Poisson rate per minute */
    double neg_share;
} source;

static int rec_cmp(const void *a, const void *b) {
    const rec *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Minutes [m0, m1) of the sources; records in time order.  Returns them
 * (malloc'ed) and their number in *n. */
static rec *gen(const source *src, int nsrc, int m0, int m1, size_t *n) {
    size_t cap = 1024, len = 0;
    rec *v = malloc(cap * sizeof *v);
    for (int m = m0; m < m1; m++) {
        size_t mark = len;
        for (int s = 0; s < nsrc; s++) {
            int k = rng_poisson(src[s].per_min);
            for (int i = 0; i < k; i++) {
                if (len == cap) v = realloc(v, (cap *= 2) * sizeof *v);
                rec r = {T0 + m * MIN + (int64_t)(rng_u() * MIN), src[s].themes, rng_u() < src[s].neg_share, 0, 0, 0,
                         0, -1};
                v[len++] = r;
            }
        }
        qsort(v + mark, len - mark, sizeof *v, rec_cmp);
    }
    *n = len;
    return v;
}

static void feed(clu_trend *t, const rec *v, size_t n, sink *s) {
    for (size_t i = 0; i < n; i++) add(t, &v[i], s);
}

/* 20 unrelated themes at 5 records a minute each, 20% negative, plus
 * delivery.late (child of delivery) at 5 a minute. */
static source background[21];
static void background_init(void) {
    static char names[20][8];
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof names[i], "t%02d", i);
        background[i] = (source){names[i], 5, 0.2};
    }
    background[20] = (source){"delivery.late", 5, 0.2};
}

static clu_trend *new_trend(const clu_trend_opts *o) {
    char err[256];
    clu_trend *t = clu_trend_new(o, err, sizeof err);
    if (!t) fprintf(stderr, "clu_trend_new: %s\n", err);
    return t;
}

/* Alerts with at_ms in [from, to). */
static int alerts_between(const sink *s, int64_t from, int64_t to) {
    int n = 0;
    for (int i = 0; i < s->n; i++) {
        int64_t at = jint(s->a[i], "at_ms");
        n += at >= from && at < to;
    }
    return n;
}

static double poisson_tail_direct(int c, double mu) { /* P(X >= c) = 1 - sum_{k<c} */
    double term = exp(-mu), cdf = 0;
    for (int k = 0; k < c; k++) {
        cdf += term;
        term *= mu / (k + 1);
    }
    return 1 - cdf;
}
static double poisson_tail_sum(int c, double mu) { /* sum_{k>=c}, accurate for small tails */
    double lt = -mu + c * log(mu) - lgamma(c + 1.0), s = 0;
    for (int k = c; k < c + 400; k++) {
        s += exp(lt);
        lt += log(mu) - log(k + 1.0);
    }
    return s;
}
static double binom_tail_direct(int k, int n, double p) {
    double s = 0;
    for (int i = k; i <= n; i++) s += exp(lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0) + i * log(p) + (n - i) * log1p(-p));
    return s;
}

/* ---- tests ---- */

/* A flat Poisson background for two hours, then delivery.late jumps from 5
 * to 40 records a minute: exactly one alert in the first minute of the
 * burst, for that theme, the minute window and volume; none before; its
 * parent "delivery" is covered by it (no second alert); the overall stream
 * (105 -> 140 a minute) does not alert. */
static void test_burst_one_alert(void) {
    background_init();
    rng_seed(1);
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    clu_trend *t = new_trend(&o);
    sink s = {0};
    size_t n;
    rec *bg = gen(background, 21, 0, 123, &n);
    const int64_t burst = T0 + 120 * MIN + 25000;
    /* the burst: 35 extra records a minute, evenly spaced, for 3 minutes, merged in time order */
    size_t nb = 105;
    rec *all = malloc((n + nb) * sizeof *all);
    memcpy(all, bg, n * sizeof *all);
    for (size_t i = 0; i < nb; i++)
        all[n + i] = (rec){burst + (int64_t)i * (MIN / 35), "delivery.late", 0, 0, 0, 0, 0, -1};
    qsort(all, n + nb, sizeof *all, rec_cmp);
    feed(t, all, n + nb, &s);
    CX_CHECK(alerts_between(&s, 0, burst) == 0);
    CX_CHECK(alerts_between(&s, burst, burst + MIN) == 1);
    int first = -1;
    for (int i = 0; i < s.n; i++)
        if (jint(s.a[i], "at_ms") >= burst && jint(s.a[i], "at_ms") < burst + MIN) first = i;
    if (first >= 0) {
        json_t *a = s.a[first];
        CX_CHECK_STR(jstr(a, "type"), "alert");
        CX_CHECK_STR(jstr(a, "event"), "spike");
        CX_CHECK_STR(jstr(a, "kind"), "theme");
        CX_CHECK_STR(jstr(a, "key"), "delivery.late");
        CX_CHECK_STR(jstr(a, "window"), "minute");
        CX_CHECK_STR(jstr(a, "metric"), "volume");
        CX_CHECK(jnum(a, "p_value") <= 1e-6);
        CX_CHECK(jint(a, "count") >= 5 && jnum(a, "count") >= 3 * jnum(a, "baseline"));
        CX_CHECK(jnum(a, "baseline") > 3 && jnum(a, "baseline") < 7); /* ~5 a minute */
        CX_CHECK(jint(a, "baseline_periods") == 60);
        CX_CHECK(jint(a, "first_ms") <= jint(a, "at_ms") - 50000);
        CX_CHECK(json_is_object(json_object_get(a, "trend")));
        /* the p-value is the Poisson tail of the count (no overdispersion correction when 1) */
        if (jnum(a, "dispersion") == 1.0) {
            double want = poisson_tail_sum((int)jint(a, "count"), jnum(a, "baseline"));
            CX_CHECK_NEAR(jnum(a, "p_value") / want, 1.0, 2e-3);
        }
        /* how quickly: the burst adds ~0.58 records a second over ~5 a minute */
        CX_CHECK(jint(a, "at_ms") - burst < 45000);
        printf("burst alert after %.1f s (count %d, baseline %.2f)\n", (jint(a, "at_ms") - burst) / 1000.0, (int)jint(a, "count"), jnum(a, "baseline"));
    }
    /* everything that alerted in the burst is delivery.late, minute, volume (cooldown: one a minute) */
    for (int i = 0; i < s.n; i++) {
        CX_CHECK_STR(jstr(s.a[i], "key"), "delivery.late");
        CX_CHECK_STR(jstr(s.a[i], "window"), "minute");
    }
    CX_CHECK(s.n >= 1 && s.n <= 3);
    /* the parent counts the same records */
    clu_trend_info leaf, parent, all_info;
    CX_CHECK(clu_trend_info_get(t, "theme", "delivery.late", &leaf) == 0);
    CX_CHECK(clu_trend_info_get(t, "theme", "delivery", &parent) == 0);
    CX_CHECK(clu_trend_info_get(t, "overall", "all", &all_info) == 0);
    CX_CHECK(leaf.records == parent.records && leaf.win[CLU_TW_HOUR].count == parent.win[CLU_TW_HOUR].count);
    CX_CHECK(all_info.records == n + nb);
    CX_CHECK(leaf.win[CLU_TW_MINUTE].armed && !leaf.win[CLU_TW_HOUR].armed && !leaf.win[CLU_TW_DAY].armed);
    clu_trend_stats st;
    clu_trend_get_stats(t, &st);
    CX_CHECK(st.alerts == (uint64_t)s.n && st.alerts_failed == 0);
    CX_CHECK(st.keys == 1 + 20 + 2);
    sink_free(&s);
    free(bg);
    free(all);
    clu_trend_destroy(&t);
    CX_CHECK(t == NULL);
}

/* The same background with delivery.late flat at the burst's rate (40 a
 * minute) the whole time: no alert.  The stream is not trivially quiet: with
 * the rule loosened (alpha 0.5, ratio 1) the same stream does alert, so this
 * test fails when the significance rule stops working. */
static void test_flat_stream_quiet(void) {
    background_init();
    source src[21];
    memcpy(src, background, sizeof src);
    src[20].per_min = 40;
    for (int loose = 0; loose < 2; loose++) {
        rng_seed(2);
        clu_trend_opts o;
        clu_trend_opts_default(&o);
        if (loose) {
            o.alpha = 0.5;
            o.min_ratio = 1;
        }
        clu_trend *t = new_trend(&o);
        sink s = {0};
        size_t n;
        rec *v = gen(src, 21, 0, 180, &n);
        feed(t, v, n, &s);
        if (!loose) {
            CX_CHECK(s.n == 0);
            for (int i = 0; i < s.n && i < 5; i++)
                fprintf(stderr, "unexpected alert: %s %s %s %s\n", jstr(s.a[i], "key"), jstr(s.a[i], "window"),
                        jstr(s.a[i], "metric"), json_dumps(s.a[i], JSON_COMPACT));
        } else {
            CX_CHECK(s.n > 10);
        }
        sink_free(&s);
        free(v);
        clu_trend_destroy(&t);
    }
}

/* "billing" keeps its volume (40 a minute) but goes from 20% to 90%
 * negative: one sentiment alert in the first minute, no volume alert; the
 * overall stream (240 a minute, negative share 20% -> 32%) stays below the
 * minimum difference of 25 points. */
static void test_sentiment_spike(void) {
    background_init();
    rng_seed(3);
    source before[21], after[21];
    memcpy(before, background, sizeof before);
    for (int i = 0; i < 20; i++) before[i].per_min = 10;
    before[20] = (source){"billing", 40, 0.2};
    memcpy(after, before, sizeof after);
    after[20].neg_share = 0.9;
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    clu_trend *t = new_trend(&o);
    sink s = {0};
    size_t n1, n2;
    rec *v1 = gen(before, 21, 0, 120, &n1);
    rec *v2 = gen(after, 21, 120, 122, &n2);
    feed(t, v1, n1, &s);
    CX_CHECK(s.n == 0);
    feed(t, v2, n2, &s);
    CX_CHECK(alerts_between(&s, T0 + 120 * MIN, T0 + 121 * MIN) == 1);
    for (int i = 0; i < s.n; i++) {
        json_t *a = s.a[i];
        CX_CHECK_STR(jstr(a, "key"), "billing");
        CX_CHECK_STR(jstr(a, "metric"), "sentiment");
        CX_CHECK_STR(jstr(a, "window"), "minute");
    }
    if (s.n) {
        json_t *a = s.a[0];
        CX_CHECK(jnum(a, "neg_share") - jnum(a, "baseline_neg_share") >= 0.25);
        CX_CHECK(jnum(a, "baseline_neg_share") > 0.15 && jnum(a, "baseline_neg_share") < 0.25);
        CX_CHECK(jint(a, "count") == jint(a, "negative") && jint(a, "negative") >= 5);
        double want = binom_tail_direct((int)jint(a, "negative"), (int)jint(a, "records"), jnum(a, "baseline_neg_share"));
        CX_CHECK_NEAR(jnum(a, "p_value") / want, 1.0, 5e-3);
        CX_CHECK(jnum(a, "p_value") <= 1e-6);
    }
    sink_free(&s);
    free(v1);
    free(v2);
    clu_trend_destroy(&t);
}

/* Minimum counts and history: a theme never seen before that gets 2
 * records in a minute does not alert (2 < min_count), with 6 it does (an
 * emerging theme: baseline 0, floored to half a record over the 60
 * periods); no window alerts before it has its minimum history (15
 * minutes for the minute window) whatever the jump. */
static void test_min_count_and_warmup(void) {
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    clu_trend *t = new_trend(&o);
    sink s = {0};
    /* warm-up: 10 minutes of one record a minute, then 30 records in a minute */
    for (int m = 0; m < 10; m++) add(t, &(rec){T0 + m * MIN + 1000, "x", 0, 0, 0, 0, 0, -1}, &s);
    for (int i = 0; i < 30; i++) add(t, &(rec){T0 + 10 * MIN + 1000 + i * 1000, "x", 0, 0, 0, 0, 0, -1}, &s);
    CX_CHECK(s.n == 0);
    clu_trend_info info;
    CX_CHECK(clu_trend_info_get(t, "theme", "x", &info) == 0);
    CX_CHECK(!info.win[CLU_TW_MINUTE].armed && info.win[CLU_TW_MINUTE].baseline_periods < 15);
    clu_trend_destroy(&t);

    /* a background of 10 records a minute, evenly spaced; alpha 1e-3 so that the
     * count guard alone decides */
    clu_trend_opts oa = o;
    oa.alpha = 1e-3;
    clu_trend_opts ob = oa;
    ob.min_count = 2;
    t = new_trend(&oa);
    clu_trend *t2 = new_trend(&ob);
    sink s2 = {0};
    for (int i = 0; i < 700; i++) {
        add(t, &(rec){T0 + i * 6000, "x", 0, 0, 0, 0, 0, -1}, &s);
        add(t2, &(rec){T0 + i * 6000, "x", 0, 0, 0, 0, 0, -1}, &s2);
    }
    /* 0 -> 2: no alert with min_count 5, one with min_count 2 */
    for (int i = 0; i < 2; i++) {
        add(t, &(rec){T0 + 70 * MIN + 2000 + i * 1000, "rare", 0, 0, 0, 0, 0, -1}, &s);
        add(t2, &(rec){T0 + 70 * MIN + 2000 + i * 1000, "rare", 0, 0, 0, 0, 0, -1}, &s2);
    }
    CX_CHECK(s.n == 0);
    CX_CHECK(s2.n == 1 && s2.n == 1 && !strcmp(jstr(s2.a[0], "key"), "rare"));
    sink_free(&s2);
    clu_trend_destroy(&t2);
    /* 2 -> 5 within the minute: the emerging theme alerts once */
    for (int i = 0; i < 3; i++) add(t, &(rec){T0 + 70 * MIN + 4000 + i * 1000, "rare", 0, 0, 0, 0, 0, -1}, &s);
    CX_CHECK(s.n == 1);
    if (s.n == 1) {
        json_t *a = s.a[0];
        CX_CHECK_STR(jstr(a, "key"), "rare");
        CX_CHECK(jint(a, "count") == 5);
        CX_CHECK(jnum(a, "baseline") == 0);
        CX_CHECK_NEAR(jnum(a, "p_value") / poisson_tail_sum(5, 0.5 / 60), 1.0, 2e-3);
    }
    sink_free(&s);
    clu_trend_destroy(&t);
}

/* Records out of order within the window end up in the same buckets as in
 * time order (identical trend JSON for every key); a record later than
 * max_lateness is left out of the windows and counted; one within it is
 * counted in the hour but not in the (sliding) minute window. */
static void test_out_of_order(void) {
    background_init();
    rng_seed(4);
    size_t n;
    rec *v = gen(background, 21, 0, 30, &n);
    rec *shuffled = malloc(n * sizeof *v);
    memcpy(shuffled, v, n * sizeof *v);
    /* swap records up to ~40 positions apart (a few seconds to minutes of event time) */
    for (size_t i = 0; i + 1 < n; i++) {
        size_t j = i + (size_t)(rng_u() * 40);
        if (j < n) {
            rec x = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = x;
        }
    }
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    clu_trend *a = new_trend(&o), *b = new_trend(&o);
    sink s = {0};
    feed(a, v, n, &s);
    feed(b, shuffled, n, &s);
    const char *ka[64], *kk[64], *kb[64], *kkb[64];
    size_t na = clu_trend_list(a, ka, kk, 64), nb = clu_trend_list(b, kb, kkb, 64);
    CX_CHECK(na == nb && na == 23);
    cx_buf ja, jb;
    cx_buf_init(&ja);
    cx_buf_init(&jb);
    for (size_t i = 0; i < na && i < 64; i++) {
        cx_buf_reset(&ja);
        cx_buf_reset(&jb);
        CX_CHECK(clu_trend_json(a, ka[i], kk[i], &ja) == 0);
        CX_CHECK(clu_trend_json(b, ka[i], kk[i], &jb) == 0);
        CX_CHECK(ja.len == jb.len && !memcmp(ja.data, jb.data, ja.len));
    }
    clu_trend_stats st;
    clu_trend_get_stats(b, &st);
    CX_CHECK(st.late_dropped == 0);

    /* lateness */
    clu_trend_info before, after;
    CX_CHECK(clu_trend_info_get(a, "theme", "t00", &before) == 0);
    int64_t T = st.stream_ms;
    add(a, &(rec){T - 8 * DAY, "t00", 0, 0, 0, 0, 0, -1}, &s);   /* beyond 7 days: dropped */
    clu_trend_get_stats(a, &st);
    CX_CHECK(st.late_dropped == 1 && st.stream_ms == T);
    CX_CHECK(clu_trend_info_get(a, "theme", "t00", &after) == 0);
    CX_CHECK(after.win[CLU_TW_HOUR].count == before.win[CLU_TW_HOUR].count);
    CX_CHECK(after.win[CLU_TW_DAY].count == before.win[CLU_TW_DAY].count);
    CX_CHECK(after.records == before.records + 1);
    add(a, &(rec){T - 5 * MIN, "t00", 0, 0, 0, 0, 0, -1}, &s);   /* 5 minutes late: in the hour, not the minute */
    CX_CHECK(clu_trend_info_get(a, "theme", "t00", &after) == 0);
    CX_CHECK(after.win[CLU_TW_HOUR].count == before.win[CLU_TW_HOUR].count + 1);
    CX_CHECK(after.win[CLU_TW_DAY].count == before.win[CLU_TW_DAY].count + 1);
    CX_CHECK(after.win[CLU_TW_MINUTE].count == before.win[CLU_TW_MINUTE].count);
    add(a, &(rec){T - 20 * MIN, "t00", 0, 0, 0, 0, 0, -1}, &s);  /* 20 minutes: the day window and the minute baseline */
    clu_trend_info mid;
    CX_CHECK(clu_trend_info_get(a, "theme", "t00", &mid) == 0);
    CX_CHECK(mid.win[CLU_TW_DAY].count == after.win[CLU_TW_DAY].count + 1);
    CX_CHECK(mid.win[CLU_TW_HOUR].count == after.win[CLU_TW_HOUR].count + 1);
    CX_CHECK(mid.win[CLU_TW_MINUTE].baseline_records == after.win[CLU_TW_MINUTE].baseline_records + 1);
    clu_trend_get_stats(a, &st);
    CX_CHECK(st.late_dropped == 1);
    /* no event time: the caller's time; a time far ahead of the caller's clock is taken as the clock */
    cx_env *e = make_env(&(rec){0, "t00", 0, 0, 0, 0, 0, -1});
    char err[128];
    CX_CHECK(clu_trend_add(a, e, T + 1000, NULL, NULL, err, sizeof err) == 0);
    e->ts_ms = T + 30 * DAY;
    CX_CHECK(clu_trend_add(a, e, T + 2000, NULL, NULL, err, sizeof err) == 0);
    clu_trend_get_stats(a, &st);
    CX_CHECK(st.stream_ms == T + 2000 && st.future_clamped == 1);
    cx_env_destroy(&e);
    cx_buf_free(&ja);
    cx_buf_free(&jb);
    sink_free(&s);
    free(v);
    free(shuffled);
    clu_trend_destroy(&a);
    clu_trend_destroy(&b);
}

/* At max_keys the least recently seen key is evicted (the overall key never
 * is); seeing a key again protects it. */
static void test_key_cap(void) {
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    o.max_keys = 16;
    clu_trend *t = new_trend(&o);
    sink s = {0};
    char name[16];
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof name, "k%d", i);
        add(t, &(rec){T0 + i * 1000, name, 0, 0, 0, 0, 0, -1}, &s);
    }
    clu_trend_stats st;
    clu_trend_get_stats(t, &st);
    CX_CHECK(st.keys == 17 && st.evicted == 14);
    clu_trend_info info;
    CX_CHECK(clu_trend_info_get(t, "theme", "k13", &info) < 0);
    CX_CHECK(clu_trend_info_get(t, "theme", "k14", &info) == 0);
    CX_CHECK(clu_trend_info_get(t, "overall", "all", &info) == 0 && info.records == 30);
    add(t, &(rec){T0 + 31000, "k14", 0, 0, 0, 0, 0, -1}, &s);   /* k14 becomes the most recent */
    add(t, &(rec){T0 + 32000, "k30", 0, 0, 0, 0, 0, -1}, &s);   /* evicts k15, the least recent */
    CX_CHECK(clu_trend_info_get(t, "theme", "k14", &info) == 0 && info.records == 2);
    CX_CHECK(clu_trend_info_get(t, "theme", "k15", &info) < 0);
    const char *kinds[20], *keys[20];
    CX_CHECK(clu_trend_list(t, kinds, keys, 20) == 17);
    CX_CHECK_STR(kinds[0], "overall");
    CX_CHECK_STR(keys[1], "k30");
    CX_CHECK_STR(keys[2], "k14");
    CX_CHECK_STR(keys[16], "k16");
    /* a cluster key and a theme key of the same text are different keys */
    add(t, &(rec){T0 + 33000, "7", 0, 7, 0, 0, 0, -1}, &s);
    CX_CHECK(clu_trend_info_get(t, "cluster", "7", &info) == 0 && clu_trend_info_get(t, "theme", "7", &info) == 0);
    CX_CHECK(clu_trend_info_get(t, "cluster", "8", &info) < 0 && clu_trend_info_get(t, "bogus", "7", &info) < 0);
    clu_trend_get_stats(t, &st);
    CX_CHECK(st.keys == 17 && st.evicted == 17);
    /* learned themes have no "learned" parent; dotted ids have theirs */
    add(t, &(rec){T0 + 34000, "learned.late_refund,a.b.c", 0, 0, 0, 0, 0, -1}, &s);
    CX_CHECK(clu_trend_info_get(t, "theme", "learned", &info) < 0);
    CX_CHECK(clu_trend_info_get(t, "theme", "learned.late_refund", &info) == 0);
    CX_CHECK(clu_trend_info_get(t, "theme", "a.b", &info) == 0 && clu_trend_info_get(t, "theme", "a", &info) == 0);
    sink_free(&s);
    clu_trend_destroy(&t);
}

/* A resend (same topic, partition, offset) is counted once. */
static void test_resends(void) {
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    o.dedup_window = 4;
    clu_trend *t = new_trend(&o);
    sink s = {0};
    for (int i = 0; i < 6; i++) add(t, &(rec){T0 + i, "x", 0, 0, 0, 0, 1, i}, &s);
    add(t, &(rec){T0 + 9, "x", 0, 0, 0, 0, 1, 5}, &s);  /* resend of a recent one */
    add(t, &(rec){T0 + 9, "x", 0, 0, 0, 0, 2, 5}, &s);  /* another partition: new */
    add(t, &(rec){T0 + 9, "x", 0, 0, 0, 0, 1, 0}, &s);  /* offset 0 has left the window of 4 */
    clu_trend_stats st;
    clu_trend_get_stats(t, &st);
    CX_CHECK(st.records == 9 && st.duplicates == 1);
    clu_trend_info info;
    CX_CHECK(clu_trend_info_get(t, "theme", "x", &info) == 0 && info.records == 8);
    sink_free(&s);
    clu_trend_destroy(&t);
}

/* NPS impact against a hand-computed example.  Theme A: answers 0, 3, 10
 * (-100, -100, +100); theme B: 9, 10, 7, 8 (+100, +100, 0, 0).
 *   NPS of all 7 = 100/7 = 14.2857; without A (= B) = 200/4 = 50;
 *   impact of A = 14.2857 - 50 = -35.7143.
 *   var of the mean: A: s^2 = 26666.67/2 = 13333.33, /3 = 4444.44;
 *                    B: s^2 = 10000/3 = 3333.33, /4 = 833.33;
 *   se = (3/7) * sqrt(4444.44 + 833.33) = 31.1350;
 *   95% CI = -35.7143 -+ 1.96 * 31.1350 = [-96.7377, 25.3092]. */
static void test_nps_impact(void) {
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    clu_trend *t = new_trend(&o);
    sink s = {0};
    const double a[] = {0, 3, 10}, b[] = {9, 10, 7, 8};
    for (int i = 0; i < 3; i++) add(t, &(rec){T0, "A", 1, 0, CX_SCORE_NPS, a[i], 0, -1}, &s);
    for (int i = 0; i < 4; i++) add(t, &(rec){T0, "B", 0, 0, CX_SCORE_NPS, b[i], 0, -1}, &s);
    /* records without a score and with a rating do not enter the NPS */
    add(t, &(rec){T0, "A", 1, 0, 0, 0, 0, -1}, &s);
    clu_trend_info ia, ib, all;
    CX_CHECK(clu_trend_info_get(t, "theme", "A", &ia) == 0);
    CX_CHECK(clu_trend_info_get(t, "theme", "B", &ib) == 0);
    CX_CHECK(clu_trend_info_get(t, "overall", "all", &all) == 0);
    const clu_trend_score *sa = &ia.score[CLU_TS_NPS];
    CX_CHECK(sa->n == 3 && ia.score[CLU_TS_CSAT].n == 0);
    CX_CHECK_NEAR(sa->score, -33.3333, 1e-3);
    CX_CHECK_NEAR(sa->overall, 14.2857, 1e-3);
    CX_CHECK(sa->has_without && sa->has_ci);
    CX_CHECK_NEAR(sa->without, 50, 1e-9);
    CX_CHECK_NEAR(sa->impact, -35.7143, 1e-3);
    CX_CHECK_NEAR(sa->ci_lo, -96.7377, 1e-3);
    CX_CHECK_NEAR(sa->ci_hi, 25.3092, 1e-3);
    CX_CHECK_NEAR(ib.score[CLU_TS_NPS].impact, 14.2857 - (-33.3333), 1e-3);
    CX_CHECK(all.score[CLU_TS_NPS].n == 7 && !all.score[CLU_TS_NPS].has_without);
    /* the same in the trend JSON */
    cx_buf jb;
    cx_buf_init(&jb);
    CX_CHECK(clu_trend_json(t, "theme", "A", &jb) == 0);
    json_t *j = json_loadb(jb.data, jb.len, 0, NULL);
    CX_CHECK(j != NULL);
    json_t *nps = json_object_get(j, "nps");
    CX_CHECK_NEAR(jnum(nps, "impact"), -35.7143, 1e-3);
    CX_CHECK_NEAR(json_number_value(json_array_get(json_object_get(nps, "ci95"), 0)), -96.7377, 1e-3);
    CX_CHECK(json_object_get(j, "csat") == NULL);
    CX_CHECK(jint(j, "minute") == 4 && jint(j, "negative_minute") == 4 && jint(j, "records") == 4);
    CX_CHECK(json_is_null(json_object_get(j, "baseline_minute")));
    json_decref(j);

    /* CSAT (% of ratings 4-5): X: 5, 2; Y: 4, 4, 1.  all 3/5 = 60; without X 2/3 = 66.67;
     * impact -6.667; var X 5000/2 = 2500, var Y 3333.3/3 = 1111.1; se = 0.4 * sqrt(3611.1) */
    const double x[] = {5, 2}, y[] = {4, 4, 1};
    for (int i = 0; i < 2; i++) add(t, &(rec){T0, "X", 0, 0, CX_SCORE_RATING, x[i], 0, -1}, &s);
    for (int i = 0; i < 3; i++) add(t, &(rec){T0, "Y", 0, 0, CX_SCORE_RATING, y[i], 0, -1}, &s);
    clu_trend_info ix;
    CX_CHECK(clu_trend_info_get(t, "theme", "X", &ix) == 0);
    const clu_trend_score *sx = &ix.score[CLU_TS_CSAT];
    CX_CHECK_NEAR(sx->overall, 60, 1e-9);
    CX_CHECK_NEAR(sx->impact, 60 - 200.0 / 3, 1e-9);
    double se = 0.4 * sqrt(2500 + 3333.3333333 / 3);
    CX_CHECK_NEAR(sx->ci_hi - sx->impact, 1.959964 * se, 1e-3);
    cx_buf_free(&jb);
    sink_free(&s);
    clu_trend_destroy(&t);

    /* decay: a promoter 14 days (one half-life) before a detractor weighs half */
    t = new_trend(&o);
    add(t, &(rec){T0, "A", 0, 0, CX_SCORE_NPS, 10, 0, -1}, &s);
    add(t, &(rec){T0 + 14 * DAY, "B", 0, 0, CX_SCORE_NPS, 0, 0, -1}, &s);
    CX_CHECK(clu_trend_info_get(t, "overall", "all", &all) == 0);
    CX_CHECK_NEAR(all.score[CLU_TS_NPS].score, (0.5 * 100 - 100) / 1.5, 1e-9);
    CX_CHECK_NEAR(all.score[CLU_TS_NPS].weight, 1.5, 1e-12);
    /* the late record's weight when it arrives after a newer one */
    add(t, &(rec){T0, "B", 0, 0, CX_SCORE_NPS, 10, 0, -1}, &s);  /* late: dropped from windows, still scored */
    CX_CHECK(clu_trend_info_get(t, "overall", "all", &all) == 0);
    CX_CHECK_NEAR(all.score[CLU_TS_NPS].weight, 2.0, 1e-12);
    sink_free(&s);
    clu_trend_destroy(&t);
}

/* A state with every kind of content: background, a burst, scores, cluster
 * ids, resends. */
static clu_trend *rich_state(const clu_trend_opts *o, sink *s, rec **rest, size_t *nrest) {
    background_init();
    rng_seed(5);
    clu_trend *t = new_trend(o);
    size_t n;
    rec *v = gen(background, 21, 0, 150, &n);
    for (size_t i = 0; i < n; i++) {
        v[i].offset = (int64_t)i;
        if (i % 7 == 0) { v[i].score_kind = CX_SCORE_NPS; v[i].score = (double)(i % 11); }
        if (i % 11 == 0) { v[i].score_kind = CX_SCORE_RATING; v[i].score = (double)(1 + i % 5); }
        if (v[i].neg) v[i].cluster = 1 + (int64_t)(i % 5);
    }
    size_t half = n * 4 / 5;
    feed(t, v, half, s);
    for (size_t i = half - 10; i < half; i++) add(t, &v[i], s); /* resends */
    memmove(v, v + half, (n - half) * sizeof *v);
    *rest = v;
    *nrest = n - half;
    return t;
}

static int same_json(const clu_trend *a, const clu_trend *b) {
    const char *ka[128], *kk[128], *kb[128], *kkb[128];
    size_t na = clu_trend_list(a, ka, kk, 128), nb = clu_trend_list(b, kb, kkb, 128);
    if (na != nb || na > 128) return 0;
    cx_buf ja, jb;
    cx_buf_init(&ja);
    cx_buf_init(&jb);
    int same = 1;
    for (size_t i = 0; i < na && same; i++) {
        same = !strcmp(ka[i], kb[i]) && !strcmp(kk[i], kkb[i]);
        cx_buf_reset(&ja);
        cx_buf_reset(&jb);
        same = same && clu_trend_json(a, ka[i], kk[i], &ja) == 0 && clu_trend_json(b, kb[i], kkb[i], &jb) == 0 &&
               ja.len == jb.len && !memcmp(ja.data, jb.data, ja.len);
        if (!same) fprintf(stderr, "differs: %s %s\n  %.*s\n  %.*s\n", ka[i], kk[i], (int)ja.len, ja.data, (int)jb.len, jb.data);
    }
    cx_buf_free(&ja);
    cx_buf_free(&jb);
    return same;
}

static uint64_t fnv64(const unsigned char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* save -> load gives the same state (the trend JSON of every key, the
 * counters, the recency order) and the same future: the alerts of the rest
 * of the stream are identical.  Truncated, corrupt and inconsistent blobs
 * are refused with a reason. */
static void test_save_load(void) {
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    sink s = {0}, sa = {0}, sb = {0};
    rec *rest;
    size_t nrest;
    clu_trend *t = rich_state(&o, &s, &rest, &nrest);
    cx_buf blob;
    cx_buf_init(&blob);
    char err[256];
    CX_CHECK(clu_trend_save(t, &blob, err, sizeof err) == 0);
    clu_trend *u = clu_trend_load(&o, blob.data, blob.len, err, sizeof err);
    CX_CHECK(u != NULL);
    if (!u) {
        fprintf(stderr, "load: %s\n", err);
        goto out;
    }
    CX_CHECK(same_json(t, u));
    clu_trend_stats st, su;
    clu_trend_get_stats(t, &st);
    clu_trend_get_stats(u, &su);
    CX_CHECK(!memcmp(&st, &su, sizeof st));
    CX_CHECK(st.duplicates == 10 && st.keys > 20);
    /* a second save of the loaded state is byte-identical */
    cx_buf blob2;
    cx_buf_init(&blob2);
    CX_CHECK(clu_trend_save(u, &blob2, err, sizeof err) == 0);
    CX_CHECK(blob2.len == blob.len && !memcmp(blob.data, blob2.data, blob.len));
    cx_buf_free(&blob2);
    /* the same future */
    feed(t, rest, nrest, &sa);
    feed(u, rest, nrest, &sb);
    CX_CHECK(sa.n == sb.n);
    for (int i = 0; i < sa.n && i < sb.n; i++) {
        char *x = json_dumps(sa.a[i], JSON_COMPACT | JSON_SORT_KEYS), *y = json_dumps(sb.a[i], JSON_COMPACT | JSON_SORT_KEYS);
        CX_CHECK_STR(x, y);
        free(x);
        free(y);
    }
    CX_CHECK(same_json(t, u));
    clu_trend_destroy(&u);

    /* a smaller cap keeps the most recent keys */
    clu_trend_opts small = o;
    small.max_keys = 16;
    small.dedup_window = 8;
    u = clu_trend_load(&small, blob.data, blob.len, err, sizeof err);
    CX_CHECK(u != NULL);
    if (u) {
        clu_trend_get_stats(u, &su);
        CX_CHECK(su.keys == 17);
        const char *ka[32], *kk[32];
        clu_trend_list(u, ka, kk, 32);
        clu_trend *t2 = clu_trend_load(&o, blob.data, blob.len, err, sizeof err);
        const char *kb[128], *kkb[128];
        clu_trend_list(t2, kb, kkb, 128);
        for (int i = 0; i < 17; i++) CX_CHECK(!strcmp(ka[i], kb[i]) && !strcmp(kk[i], kkb[i]));
        clu_trend_destroy(&t2);
        clu_trend_destroy(&u);
    }

    /* every truncation is refused */
    int refused = 0;
    for (size_t len = 0; len < blob.len; len += (len < 200 ? 1 : 97)) {
        clu_trend *x = clu_trend_load(&o, blob.data, len, err, sizeof err);
        refused += x == NULL;
        clu_trend_destroy(&x);
    }
    CX_CHECK(refused == (int)(200 + (blob.len - 200 + 96) / 97));
    /* a flipped byte anywhere is refused */
    unsigned char *c = malloc(blob.len);
    for (size_t pos = 0; pos < blob.len; pos += 131) {
        memcpy(c, blob.data, blob.len);
        c[pos] ^= 0x5a;
        clu_trend *x = clu_trend_load(&o, c, blob.len, err, sizeof err);
        CX_CHECK(x == NULL);
        clu_trend_destroy(&x);
    }
    /* consistent checksum, inconsistent content: the reason names it */
    memcpy(c, blob.data, blob.len);
    size_t nkeys_at = 4 + 2 + 2 + 1 + 8 + 8 + 4 + 9 * 8 + (1 + 2 + 8 + 8 + 8 + 4 * 8 + 6 * 8 + 2 * 48 + 132 * 12);
    c[nkeys_at + 3] = 0x7f; /* key count ~2^31 */
    uint64_t h = fnv64(c, blob.len - 8);
    for (int i = 0; i < 8; i++) c[blob.len - 8 + i] = (unsigned char)(h >> (8 * i));
    clu_trend *x = clu_trend_load(&o, c, blob.len, err, sizeof err);
    CX_CHECK(x == NULL && strstr(err, "key count") != NULL);
    clu_trend_destroy(&x);
    memcpy(c, blob.data, blob.len);
    c[4] = 9; /* version */
    h = fnv64(c, blob.len - 8);
    for (int i = 0; i < 8; i++) c[blob.len - 8 + i] = (unsigned char)(h >> (8 * i));
    x = clu_trend_load(&o, c, blob.len, err, sizeof err);
    CX_CHECK(x == NULL && strstr(err, "version") != NULL);
    /* a bucket with more negative than records */
    memcpy(c, blob.data, blob.len);
    size_t bucket0 = nkeys_at - 132 * 12;
    c[bucket0 + 4] = 0xff;
    c[bucket0 + 5] = 0xff;
    h = fnv64(c, blob.len - 8);
    for (int i = 0; i < 8; i++) c[blob.len - 8 + i] = (unsigned char)(h >> (8 * i));
    x = clu_trend_load(&o, c, blob.len, err, sizeof err);
    CX_CHECK(x == NULL && strstr(err, "bucket") != NULL);
    CX_CHECK(clu_trend_load(&o, NULL, 0, err, sizeof err) == NULL);
    CX_CHECK(clu_trend_load(&o, "CXTR", 4, err, sizeof err) == NULL);
    free(c);
out:
    cx_buf_free(&blob);
    free(rest);
    sink_free(&s);
    sink_free(&sa);
    sink_free(&sb);
    clu_trend_destroy(&t);
}

/* An emit that fails counts in alerts_failed and the alert comes again
 * with the next record; bad options are refused. */
static void test_emit_failure_and_opts(void) {
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    clu_trend *t = new_trend(&o);
    sink s = {0};
    for (int m = 0; m < 30; m++) add(t, &(rec){T0 + m * MIN, NULL, 0, 0, 0, 0, 0, -1}, &s);
    s.fail = 1;
    for (int i = 0; i < 12; i++) add(t, &(rec){T0 + 30 * MIN + i * 1000, NULL, 0, 0, 0, 0, 0, -1}, &s);
    clu_trend_stats st;
    clu_trend_get_stats(t, &st);
    CX_CHECK(st.alerts == 0 && st.alerts_failed >= 1);
    s.fail = 0;
    add(t, &(rec){T0 + 30 * MIN + 13000, NULL, 0, 0, 0, 0, 0, -1}, &s);
    clu_trend_get_stats(t, &st);
    CX_CHECK(st.alerts == 1 && s.n == 1);
    clu_trend_destroy(&t);
    sink_free(&s);
    char err[128];
    clu_trend_opts bad = o;
    bad.alpha = 0;
    CX_CHECK(clu_trend_new(&bad, err, sizeof err) == NULL && strstr(err, "alpha"));
    bad = o;
    bad.max_lateness_ms = 40 * DAY;
    CX_CHECK(clu_trend_new(&bad, err, sizeof err) == NULL && strstr(err, "lateness"));
}

/* The Poisson and binomial tails behind the p-values, through alerts of
 * chosen counts: checked against direct sums. */
static void test_tails(void) {
    /* P(X >= c | mu) for the values the rule meets */
    CX_CHECK_NEAR(poisson_tail_direct(16, 5), poisson_tail_sum(16, 5), 1e-12);
    /* a key at exactly 1 record a minute (dispersion 1) that gets 8 in a minute */
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    clu_trend *t = new_trend(&o);
    sink s = {0};
    for (int m = 0; m < 70; m++) add(t, &(rec){T0 + m * MIN + 30000, NULL, 0, 0, 0, 0, 0, -1}, &s);
    for (int i = 0; i < 20 && s.n == 0; i++) add(t, &(rec){T0 + 70 * MIN + 31000 + i * 100, NULL, 0, 0, 0, 0, 0, -1}, &s);
    CX_CHECK(s.n == 1);
    if (s.n) {
        int c = (int)jint(s.a[0], "count");
        CX_CHECK(jnum(s.a[0], "dispersion") == 1 && jnum(s.a[0], "baseline") == 1);
        CX_CHECK_NEAR(jnum(s.a[0], "p_value") / poisson_tail_sum(c, 1.0), 1, 2e-3);
        CX_CHECK(poisson_tail_sum(c - 1, 1.0) > o.alpha && poisson_tail_sum(c, 1.0) <= o.alpha);
        CX_CHECK_STR(jstr(s.a[0], "kind"), "overall"); /* fired at the first significant count */
    }
    sink_free(&s);
    clu_trend_destroy(&t);
}

/* Out of memory anywhere: no crash, no leak, the tracker stays usable. */
static void test_oom(void) {
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    o.dedup_window = 64;
    cx_buf blob;
    cx_buf_init(&blob);
    char err[128];
    for (long n = 1; n < 60; n++) {
        cx_alloc_fail_at(n, 0);
        clu_trend *t = clu_trend_new(&o, err, sizeof err);
        if (t) {
            for (int i = 0; i < 40; i++) {
                char th[16];
                snprintf(th, sizeof th, "a.k%d", i % 25);
                cx_env *e = make_env(&(rec){T0 + i * 1000, th, i & 1, i % 3, CX_SCORE_NPS, 9, 0, i});
                if (e) {
                    clu_trend_add(t, e, 0, NULL, NULL, err, sizeof err);
                    cx_env_destroy(&e);
                }
            }
            cx_buf_reset(&blob);
            if (clu_trend_save(t, &blob, err, sizeof err) == 0) {
                clu_trend *u = clu_trend_load(&o, blob.data, blob.len, err, sizeof err);
                clu_trend_destroy(&u);
            }
            clu_trend_destroy(&t);
        }
        cx_alloc_fail_at(0, 0);
    }
    cx_buf_free(&blob);
    CX_CHECK(1);
}

/* Rough speed, printed (not asserted): records a second through add. */
static void bench(void) {
    background_init();
    rng_seed(6);
    clu_trend_opts o;
    clu_trend_opts_default(&o);
    clu_trend *t = new_trend(&o);
    size_t n;
    rec *v = gen(background, 21, 0, 600, &n);
    for (size_t i = 0; i < n; i++) v[i].cluster = 1 + (int64_t)(i % 50);
    cx_env **envs = malloc(n * sizeof *envs);
    for (size_t i = 0; i < n; i++) envs[i] = make_env(&v[i]);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    char err[64];
    for (size_t i = 0; i < n; i++) clu_trend_add(t, envs[i], 0, NULL, NULL, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double sec = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("bench: %zu records, %.0f records/s (3 keys each)\n", n, n / sec);
    for (size_t i = 0; i < n; i++) cx_env_destroy(&envs[i]);
    free(envs);
    free(v);
    clu_trend_destroy(&t);
}

int main(void) {
    CX_RUN(test_burst_one_alert);
    CX_RUN(test_flat_stream_quiet);
    CX_RUN(test_sentiment_spike);
    CX_RUN(test_min_count_and_warmup);
    CX_RUN(test_out_of_order);
    CX_RUN(test_key_cap);
    CX_RUN(test_resends);
    CX_RUN(test_nps_impact);
    CX_RUN(test_save_load);
    CX_RUN(test_emit_failure_and_opts);
    CX_RUN(test_tails);
    CX_RUN(test_oom);
    bench();
    CX_DONE();
}
