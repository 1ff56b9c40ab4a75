/* clu_trend.c - trends, spike alerts and score impact (see clu_trend.h and
 * docs/TRENDS.md for the rules and formulas).
 *
 * State per key (tr_key): four rings of buckets {records, negative records,
 * sentiment sum} - 8 x 10 s, 64 x 1 min, 28 x 1 h, 32 x 1 day, 132 buckets
 * of 12 bytes - plus the cooldown of each window and metric and two decayed
 * score accumulators.  A ring remembers the period of its newest bucket
 * (head); writing a newer period clears the buckets in between, reading a
 * period outside (head - len, head] gives zero.  Nothing is done for a key
 * that receives no record: its buckets age by arithmetic.
 *
 * Windows are sliding: the current window of "minute" is the last 6 buckets
 * of 10 s (the partial one included), "hour" the last 60 minute buckets,
 * "day" the last 24 hour buckets.  The baseline of a window is made of the
 * whole periods of its own length (minutes, hours, days) that ended at or
 * before the start of the current window: 60 minutes, 24 hours, 28 days,
 * fewer while the stream is younger than that.  The ring lengths are the
 * smallest that hold both (see the table in docs/TRENDS.md).
 *
 * Keys live in one array (grown by doubling up to max_keys), found through a
 * chained hash table and ordered in a doubly linked list by recency; at the
 * cap the least recently seen key is evicted and its slot reused.  The
 * overall key is separate and never evicted. */
#include "clu_trend.h"
#include "clu_le.h"
#include "cx_alloc.h"
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- fixed geometry ---- */

enum { R_SEC, R_MIN, R_HOUR, R_DAY, R__N };
static const int64_t ring_ms[R__N] = {10000, 60000, 3600000, 86400000};
static const uint32_t ring_len[R__N] = {8, 64, 28, 32};
static const uint32_t ring_off[R__N] = {0, 8, 72, 100};
#define NBUCKETS 132

typedef struct tr_win {
    const char *name;
    int cur;            /* ring of the current window */
    uint32_t k;         /* its buckets in the window */
    int base;           /* ring of the baseline: periods of the window's length */
    uint32_t b;         /* baseline periods at most */
    uint32_t min_hist;  /* baseline periods needed before the window may alert */
    int64_t len_ms;
} tr_win;
static const tr_win W[CLU_TW__N] = {
    {"minute", R_SEC, 6, R_MIN, 60, 15, 60000},
    {"hour", R_MIN, 60, R_HOUR, 24, 6, 3600000},
    {"day", R_HOUR, 24, R_DAY, 28, 7, 86400000},
};

enum { M_VOLUME = 0, M_SENTIMENT = 1 };
static const char *const metric_name[2] = {"volume", "sentiment"};
enum { K_OVERALL = 0, K_THEME = 1, K_CLUSTER = 2, K__N };
static const char *const kind_name[K__N] = {"overall", "theme", "cluster"};
static const char *const score_name[CLU_TS__N] = {"nps", "csat"};

#define NOHEAD INT64_MIN
#define NIL UINT32_MAX
#define TS_MAX ((int64_t)1 << 53)          /* event times are kept in [1, 2^53] */
#define FUTURE_MS ((int64_t)5 * 60000)    /* tolerated lead of an event time over now_ms */
#define MAX_REC_KEYS 256                  /* keys one record can touch */
#define MAX_LATENESS ((int64_t)31 * 86400000)
#define Z95 1.959963984540054

/* ---- state ---- */

typedef struct tr_bucket {
    uint32_t n, neg;
    float sent;
} tr_bucket;

typedef struct tr_score {
    int64_t tref;          /* time the sums are decayed to */
    uint64_t n;            /* records ever added */
    double w, wx, wx2, w2; /* sum of weights, weight x value, weight x value^2, weight^2 */
} tr_score;

typedef struct tr_key {
    char *name;            /* cx_malloc'ed, NUL-terminated; NULL for a free slot */
    uint32_t nlen;
    uint8_t kind;
    uint64_t hash;
    uint32_t hnext;        /* next slot in the hash chain */
    uint32_t prev, next;   /* recency list: prev is more recent */
    int64_t first_ms, last_ms;
    uint64_t records;
    int64_t head[R__N];
    int64_t cool[CLU_TW__N][2]; /* no alert of (window, metric) before this event time */
    tr_score sc[CLU_TS__N];
    tr_bucket b[NBUCKETS];
} tr_key;

typedef struct tr_dedup {
    uint64_t *ring;        /* the last cap source hashes, oldest at pos once full */
    uint64_t *tab;         /* open addressing, linear probing; 0 = empty */
    uint32_t cap, n, pos, tmask;
} tr_dedup;

struct clu_trend {
    clu_trend_opts o;
    tr_key overall;
    tr_key *keys;          /* slots [0, nkeys) are in use */
    uint32_t nkeys, kcap;
    uint32_t *heads;       /* hash table: first slot of each chain */
    uint32_t hmask;
    uint32_t mru, lru;     /* ends of the recency list */
    tr_dedup dd;
    int started;
    int64_t start_ms;      /* earliest event time counted: history starts here */
    int64_t stream_ms;     /* largest event time seen */
    clu_trend_stats st;
    cx_buf ev;             /* alert JSON */
    char numkey[24];
};

static void seterr(char *err, size_t n, const char *msg) {
    if (err && n) snprintf(err, n, "%s", msg);
}

/* ---- options ---- */

void clu_trend_opts_default(clu_trend_opts *o) {
    o->max_keys = 4096;
    o->theme_parents = 1;
    o->alpha = 1e-6;
    o->min_count = 5;
    o->min_ratio = 3.0;
    o->sentiment_min_count = 5;
    o->sentiment_min_delta = 0.25;
    o->cooldown_windows = 1.0;
    o->max_lateness_ms = (int64_t)7 * 86400000;
    o->score_half_life_ms = (int64_t)14 * 86400000;
    o->dedup_window = 65536;
}

void clu_trend_opts_from_conf(clu_trend_opts *o, const cx_conf *c) {
    clu_trend_opts_default(o);
    o->max_keys = (long)cx_conf_int(c, "trend.max_keys");
    o->theme_parents = cx_conf_bool(c, "trend.theme_parents");
    o->alpha = cx_conf_dbl(c, "trend.alpha");
    o->min_count = (long)cx_conf_int(c, "trend.min_count");
    o->min_ratio = cx_conf_dbl(c, "trend.min_ratio");
    o->sentiment_min_count = (long)cx_conf_int(c, "trend.sentiment_min_count");
    o->sentiment_min_delta = cx_conf_dbl(c, "trend.sentiment_min_delta");
    o->cooldown_windows = cx_conf_dbl(c, "trend.cooldown_windows");
    o->max_lateness_ms = (int64_t)cx_conf_int(c, "trend.max_lateness_ms");
    o->score_half_life_ms = (int64_t)cx_conf_int(c, "trend.score_half_life_h") * 3600000;
    o->dedup_window = (long)cx_conf_int(c, "trend.dedup_window");
}

static const char *opts_check(const clu_trend_opts *o) {
    if (o->max_keys < 1 || o->max_keys > 10000000) return "max_keys must be in [1, 1e7]";
    if (!(o->alpha > 0 && o->alpha < 1)) return "alpha must be in (0, 1)";
    if (o->min_count < 1) return "min_count must be >= 1";
    if (!(o->min_ratio >= 1 && o->min_ratio <= 1e6)) return "min_ratio must be in [1, 1e6]";
    if (o->sentiment_min_count < 1) return "sentiment_min_count must be >= 1";
    if (!(o->sentiment_min_delta >= 0 && o->sentiment_min_delta <= 1)) return "sentiment_min_delta must be in [0, 1]";
    if (!(o->cooldown_windows >= 0 && o->cooldown_windows <= 1000)) return "cooldown_windows must be in [0, 1000]";
    if (o->max_lateness_ms < 0 || o->max_lateness_ms > MAX_LATENESS)
        return "max_lateness_ms must be in [0, 31 days] (what the day ring holds)";
    if (o->score_half_life_ms < 0 || o->score_half_life_ms > (int64_t)1 << 50) return "score_half_life_ms out of range";
    if (o->dedup_window < 0 || o->dedup_window > 100000000) return "dedup_window must be in [0, 1e8]";
    return NULL;
}

/* ---- small arithmetic ---- */

static int64_t floor_div(int64_t a, int64_t b) { /* floor(a / b), b > 0 */
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}
static int64_t ceil_div(int64_t a, int64_t b) { /* ceil(a / b), b > 0 */
    int64_t q = a / b;
    return (a % b != 0 && a > 0) ? q + 1 : q;
}
static uint32_t ring_idx(int r, int64_t p) {
    int64_t m = p % (int64_t)ring_len[r];
    return ring_off[r] + (uint32_t)(m < 0 ? m + ring_len[r] : m);
}

static uint64_t mix64(uint64_t x) { /* splitmix64 finaliser */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}
#define FNV0 0xcbf29ce484222325ULL

static uint64_t key_hash(int kind, const char *s, uint32_t len) {
    unsigned char k = (unsigned char)kind;
    return mix64(fnv(fnv(FNV0, &k, 1), s, len));
}

/* ---- statistics ---- */

/* Regularised lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a), a > 0,
 * x > 0: the series for x < a + 1 (where P is small and must stay accurate),
 * else 1 - Q with Q from its continued fraction (modified Lentz). */
static double gamma_p(double a, double x) {
    if (!(x > 0)) return 0.0;
    double front = -x + a * log(x) - lgamma(a);
    if (x < a + 1) {
        double ap = a, del = 1.0 / a, sum = del;
        for (int i = 0; i < 100000; i++) {
            ap += 1;
            del *= x / ap;
            sum += del;
            if (fabs(del) < fabs(sum) * 1e-15) break;
        }
        double p = sum * exp(front);
        return p > 1 ? 1 : p;
    }
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 100000; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15) break;
    }
    double q = exp(front) * h;
    return q > 1 ? 0 : 1 - q;
}

/* P(X >= c) for X ~ Poisson(mu), c real (the continuous extension through
 * the incomplete gamma function; exact for integer c). */
static double poisson_upper(double c, double mu) {
    if (c <= 0) return 1.0;
    return gamma_p(c, mu);
}

/* Continued fraction of the incomplete beta function (modified Lentz). */
static double beta_cf(double a, double b, double x) {
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m < 100000; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15) break;
    }
    return h;
}

/* Regularised incomplete beta I_x(a, b). */
static double beta_i(double a, double b, double x) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1) / (a + b + 2)) return front * beta_cf(a, b, x) / a;
    return 1 - front * beta_cf(b, a, 1 - x) / b;
}

/* P(X >= k) for X ~ Binomial(n, p). */
static double binom_upper(uint32_t k, uint32_t n, double p) {
    if (k == 0) return 1.0;
    if (k > n) return 0.0;
    return beta_i((double)k, (double)(n - k + 1), p);
}

/* ---- rings ---- */

/* The bucket of period p of ring r for writing: advances the ring (clearing
 * the periods it skips) when p is newer than its head; NULL when p is older
 * than the ring holds. */
static tr_bucket *bucket_w(tr_key *k, int r, int64_t p) {
    int64_t h = k->head[r];
    if (h == NOHEAD || p > h) {
        if (h == NOHEAD || p - h >= (int64_t)ring_len[r])
            memset(&k->b[ring_off[r]], 0, ring_len[r] * sizeof(tr_bucket));
        else
            for (int64_t q = h + 1; q <= p; q++) memset(&k->b[ring_idx(r, q)], 0, sizeof(tr_bucket));
        k->head[r] = p;
    } else if (p <= h - (int64_t)ring_len[r]) {
        return NULL;
    }
    return &k->b[ring_idx(r, p)];
}

/* The bucket of period p of ring r for reading, NULL when empty. */
static const tr_bucket *bucket_r(const tr_key *k, int r, int64_t p) {
    int64_t h = k->head[r];
    if (h == NOHEAD || p > h || p <= h - (int64_t)ring_len[r]) return NULL;
    return &k->b[ring_idx(r, p)];
}

typedef struct tr_view {
    uint32_t n, neg;
    double sent;
    int64_t start_ms;
    uint32_t beff;
    double mean, disp;
    uint64_t bn, bneg;
} tr_view;

/* The current window w of key k at stream time T and its baseline. */
static void view(const clu_trend *t, const tr_key *k, int w, int64_t T, tr_view *v) {
    const tr_win *wi = &W[w];
    memset(v, 0, sizeof *v);
    int64_t g = ring_ms[wi->cur], pg = floor_div(T, g);
    double sent = 0;
    for (int64_t p = pg - (int64_t)wi->k + 1; p <= pg; p++) {
        const tr_bucket *b = bucket_r(k, wi->cur, p);
        if (!b) continue;
        v->n += b->n;
        v->neg += b->neg;
        sent += b->sent;
    }
    v->sent = v->n ? sent / v->n : 0.0;
    v->start_ms = (pg - (int64_t)wi->k + 1) * g;
    int64_t L = ring_ms[wi->base];
    int64_t pend = floor_div(v->start_ms, L) - 1, lo = pend - (int64_t)wi->b + 1, first = ceil_div(t->start_ms, L);
    if (first > lo) lo = first;
    if (!t->started || pend < lo) { v->disp = 1; return; }
    v->beff = (uint32_t)(pend - lo + 1);
    double sum = 0;
    for (int64_t p = lo; p <= pend; p++) {
        const tr_bucket *b = bucket_r(k, wi->base, p);
        if (!b) continue;
        sum += b->n;
        v->bn += b->n;
        v->bneg += b->neg;
    }
    v->mean = sum / v->beff;
    double ss = 0;
    for (int64_t p = lo; p <= pend; p++) {
        const tr_bucket *b = bucket_r(k, wi->base, p);
        double d = (b ? b->n : 0) - v->mean;
        ss += d * d;
    }
    double var = v->beff > 1 ? ss / (v->beff - 1) : 0;
    v->disp = v->mean > 0 && var > v->mean ? var / v->mean : 1.0;
}

/* Smoothed baseline negative share: (negatives + 1/2) / (records + 1). */
static double base_share(const tr_view *v) { return (v->bneg + 0.5) / (v->bn + 1.0); }

/* ---- scores ---- */

static double decay(int64_t dt, int64_t hl) {
    if (hl <= 0 || dt <= 0) return 1.0;
    return exp2(-(double)dt / (double)hl);
}

static void score_add(tr_score *s, int64_t t, double v, int64_t hl) {
    double wt = 1.0;
    if (!s->n || t > s->tref) {
        double f = s->n ? decay(t - s->tref, hl) : 0.0;
        s->w *= f;
        s->wx *= f;
        s->wx2 *= f;
        s->w2 *= f * f;
        s->tref = t;
    } else {
        wt = decay(s->tref - t, hl);
    }
    s->w += wt;
    s->wx += wt * v;
    s->wx2 += wt * v * v;
    s->w2 += wt * wt;
    s->n++;
}

typedef struct tr_sums { double w, x, x2, q; } tr_sums;

static tr_sums score_at(const tr_score *s, int64_t T, int64_t hl) {
    tr_sums r = {0, 0, 0, 0};
    if (!s->n) return r;
    double f = decay(T - s->tref, hl);
    r.w = s->w * f;
    r.x = s->wx * f;
    r.x2 = s->wx2 * f;
    r.q = s->w2 * f * f;
    return r;
}

/* Variance of the weighted mean of a sample: the weighted variance with the
 * unbiased correction W^2 / (W^2 - Q), times Q / W^2 (Q = sum of squared
 * weights; without decay this is s^2 / n).  -1 when n_eff = W^2/Q <= 1. */
static double var_of_mean(tr_sums s) {
    double w2 = s.w * s.w;
    if (!(s.w > 0) || !(s.q > 0) || !(w2 > s.q * (1 + 1e-9))) return -1;
    double m = s.x / s.w, vp = s.x2 / s.w - m * m;
    if (vp < 0) vp = 0;
    return vp * s.q / (w2 - s.q);
}

static void score_info(const clu_trend *t, const tr_key *k, int which, clu_trend_score *o) {
    memset(o, 0, sizeof *o);
    int64_t T = t->stream_ms, hl = t->o.score_half_life_ms;
    const tr_score *ks = &k->sc[which];
    o->n = ks->n;
    if (!ks->n) return;
    tr_sums a = score_at(&t->overall.sc[which], T, hl), s = score_at(ks, T, hl);
    o->weight = s.w;
    o->score = s.w > 0 ? s.x / s.w : 0;
    o->overall = a.w > 0 ? a.x / a.w : 0;
    tr_sums r = {a.w - s.w, a.x - s.x, a.x2 - s.x2, a.q - s.q};
    if (k == &t->overall || !(r.w > a.w * 1e-9)) return;
    if (r.q < 0) r.q = 0;
    o->without = r.x / r.w;
    o->impact = o->overall - o->without;
    o->has_without = 1;
    double vk = var_of_mean(s), vr = var_of_mean(r);
    if (vk < 0 || vr < 0) return;
    double se = (s.w / a.w) * sqrt(vk + vr);
    o->ci_lo = o->impact - Z95 * se;
    o->ci_hi = o->impact + Z95 * se;
    o->has_ci = isfinite(o->ci_lo) && isfinite(o->ci_hi);
}

/* ---- keys ---- */

static void key_reset(tr_key *k) {
    memset(k, 0, sizeof *k);
    for (int r = 0; r < R__N; r++) k->head[r] = NOHEAD;
    for (int w = 0; w < CLU_TW__N; w++) k->cool[w][0] = k->cool[w][1] = NOHEAD;
    k->prev = k->next = k->hnext = NIL;
}

static void lru_unlink(clu_trend *t, uint32_t i) {
    tr_key *k = &t->keys[i];
    if (k->prev != NIL) t->keys[k->prev].next = k->next;
    else t->mru = k->next;
    if (k->next != NIL) t->keys[k->next].prev = k->prev;
    else t->lru = k->prev;
    k->prev = k->next = NIL;
}

static void lru_push_front(clu_trend *t, uint32_t i) {
    tr_key *k = &t->keys[i];
    k->prev = NIL;
    k->next = t->mru;
    if (t->mru != NIL) t->keys[t->mru].prev = i;
    t->mru = i;
    if (t->lru == NIL) t->lru = i;
}

static uint32_t key_find(const clu_trend *t, int kind, const char *s, uint32_t len, uint64_t h) {
    for (uint32_t i = t->heads[h & t->hmask]; i != NIL; i = t->keys[i].hnext) {
        const tr_key *k = &t->keys[i];
        if (k->hash == h && k->kind == kind && k->nlen == len && !memcmp(k->name, s, len)) return i;
    }
    return NIL;
}

/* Evict the least recently seen key; its slot is returned, unlinked and free. */
static uint32_t evict_lru(clu_trend *t) {
    uint32_t i = t->lru;
    tr_key *k = &t->keys[i];
    uint32_t *pp = &t->heads[k->hash & t->hmask];
    while (*pp != i) pp = &t->keys[*pp].hnext;
    *pp = k->hnext;
    lru_unlink(t, i);
    cx_free(k->name);
    key_reset(k);
    t->st.evicted++;
    return i;
}

/* The slot of a key, created (most recently seen) when new; touches it.
 * NIL when out of memory. */
static uint32_t key_get(clu_trend *t, int kind, const char *s, uint32_t len) {
    uint64_t h = key_hash(kind, s, len);
    uint32_t i = key_find(t, kind, s, len, h);
    if (i != NIL) {
        if (t->mru != i) {
            lru_unlink(t, i);
            lru_push_front(t, i);
        }
        return i;
    }
    char *name = cx_malloc(len + 1);
    if (!name) return NIL;
    memcpy(name, s, len);
    name[len] = '\0';
    if (t->nkeys < t->kcap) {
        i = t->nkeys++;
    } else if (t->kcap < (uint32_t)t->o.max_keys) {
        uint32_t nc = t->kcap ? t->kcap * 2 : 16;
        if (nc > (uint32_t)t->o.max_keys) nc = (uint32_t)t->o.max_keys;
        tr_key *nk = cx_realloc(t->keys, (size_t)nc * sizeof *nk);
        if (!nk) {
            cx_free(name);
            return NIL;
        }
        t->keys = nk;
        t->kcap = nc;
        i = t->nkeys++;
    } else {
        i = evict_lru(t);
    }
    tr_key *k = &t->keys[i];
    key_reset(k);
    k->name = name;
    k->nlen = len;
    k->kind = (uint8_t)kind;
    k->hash = h;
    k->hnext = t->heads[h & t->hmask];
    t->heads[h & t->hmask] = i;
    lru_push_front(t, i);
    return i;
}

static int kind_parse(const char *kind) {
    for (int i = 0; i < K__N; i++)
        if (kind && !strcmp(kind, kind_name[i])) return i;
    return -1;
}

static const tr_key *key_lookup(const clu_trend *t, const char *kind, const char *key) {
    int kd = kind_parse(kind);
    if (kd < 0 || !key) return NULL;
    if (kd == K_OVERALL) return !strcmp(key, "all") ? &t->overall : NULL;
    size_t len = strlen(key);
    if (len == 0 || len > CLU_TREND_KEY_MAX) return NULL;
    uint32_t i = key_find(t, kd, key, (uint32_t)len, key_hash(kd, key, (uint32_t)len));
    return i == NIL ? NULL : &t->keys[i];
}

static const char *key_name(const tr_key *k) { return k->kind == K_OVERALL ? "all" : k->name; }

/* ---- resend window ---- */

static int dd_init(tr_dedup *d, uint32_t cap) {
    memset(d, 0, sizeof *d);
    if (!cap) return 0;
    uint32_t ts = 16;
    while (ts < 2 * cap) ts *= 2;
    d->ring = cx_malloc((size_t)cap * sizeof *d->ring);
    d->tab = cx_calloc(ts, sizeof *d->tab);
    if (!d->ring || !d->tab) {
        cx_free(d->ring);
        cx_free(d->tab);
        memset(d, 0, sizeof *d);
        return -1;
    }
    d->cap = cap;
    d->tmask = ts - 1;
    return 0;
}

static void dd_free(tr_dedup *d) {
    cx_free(d->ring);
    cx_free(d->tab);
    memset(d, 0, sizeof *d);
}

static int dd_has(const tr_dedup *d, uint64_t h) {
    for (uint32_t i = (uint32_t)h & d->tmask; d->tab[i]; i = (i + 1) & d->tmask)
        if (d->tab[i] == h) return 1;
    return 0;
}

/* Remove h from the table, shifting back the entries of its probe run. */
static void dd_del(tr_dedup *d, uint64_t h) {
    uint32_t i = (uint32_t)h & d->tmask;
    while (d->tab[i] && d->tab[i] != h) i = (i + 1) & d->tmask;
    if (!d->tab[i]) return;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & d->tmask;
        if (!d->tab[j]) break;
        uint32_t home = (uint32_t)d->tab[j] & d->tmask;
        /* the entry at j may move to i when its home is not in (i, j] (cyclically) */
        int in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            d->tab[i] = d->tab[j];
            i = j;
        }
    }
    d->tab[i] = 0;
}

/* Remember h (not present), forgetting the oldest when full. */
static void dd_put(tr_dedup *d, uint64_t h) {
    if (d->n == d->cap) dd_del(d, d->ring[d->pos]);
    else d->n++;
    d->ring[d->pos] = h;
    d->pos = d->pos + 1 == d->cap ? 0 : d->pos + 1;
    uint32_t i = (uint32_t)h & d->tmask;
    while (d->tab[i]) i = (i + 1) & d->tmask;
    d->tab[i] = h;
}

static uint64_t source_hash(const cx_env *e) {
    unsigned char b[12];
    uint32_t p = (uint32_t)e->partition;
    uint64_t o = (uint64_t)e->offset;
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(p >> (8 * i));
    for (int i = 0; i < 8; i++) b[4 + i] = (unsigned char)(o >> (8 * i));
    uint64_t h = mix64(fnv(fnv(FNV0, e->topic, strlen(e->topic) + 1), b, sizeof b));
    return h ? h : 1;
}

/* ---- lifecycle ---- */

static clu_trend *trend_alloc(const clu_trend_opts *o, char *err, size_t errlen) {
    const char *bad = opts_check(o);
    if (bad) {
        seterr(err, errlen, bad);
        return NULL;
    }
    clu_trend *t = cx_calloc(1, sizeof *t);
    if (!t) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    t->o = *o;
    key_reset(&t->overall);
    t->overall.kind = K_OVERALL;
    t->mru = t->lru = NIL;
    cx_buf_init(&t->ev);
    uint32_t hs = 16;
    while (hs < (uint32_t)o->max_keys && hs < (1u << 24)) hs *= 2;
    t->heads = cx_malloc((size_t)hs * sizeof *t->heads);
    if (!t->heads || dd_init(&t->dd, (uint32_t)o->dedup_window) < 0) {
        cx_free(t->heads);
        cx_free(t);
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < hs; i++) t->heads[i] = NIL;
    t->hmask = hs - 1;
    return t;
}

clu_trend *clu_trend_new(const clu_trend_opts *o, char *err, size_t errlen) { return trend_alloc(o, err, errlen); }

void clu_trend_destroy(clu_trend **tp) {
    if (!tp || !*tp) return;
    clu_trend *t = *tp;
    for (uint32_t i = 0; i < t->nkeys; i++) cx_free(t->keys[i].name);
    cx_free(t->keys);
    cx_free(t->heads);
    dd_free(&t->dd);
    cx_buf_free(&t->ev);
    cx_free(t);
    *tp = NULL;
}

void clu_trend_get_stats(const clu_trend *t, clu_trend_stats *st) {
    *st = t->st;
    st->keys = (size_t)t->nkeys + 1;
    st->stream_ms = t->started ? t->stream_ms : 0;
}

/* ---- JSON ---- */

static void jnum(cx_buf *b, double v) {
    if (isfinite(v)) cx_buf_printf(b, "%.6g", v);
    else cx_buf_append(b, "null", 4);
}

static void key_json(const clu_trend *t, const tr_key *k, cx_buf *b) {
    tr_view v[CLU_TW__N];
    for (int w = 0; w < CLU_TW__N; w++) view(t, k, w, t->stream_ms, &v[w]);
    cx_buf_append(b, "{", 1);
    for (int w = 0; w < CLU_TW__N; w++) cx_buf_printf(b, "%s\"%s\":%" PRIu32, w ? "," : "", W[w].name, v[w].n);
    for (int w = 0; w < CLU_TW__N; w++) {
        cx_buf_printf(b, ",\"baseline_%s\":", W[w].name);
        jnum(b, v[w].beff ? v[w].mean : NAN);
    }
    for (int w = 0; w < CLU_TW__N; w++) {
        cx_buf_printf(b, ",\"dispersion_%s\":", W[w].name);
        jnum(b, v[w].beff ? v[w].disp : NAN);
    }
    for (int w = 0; w < CLU_TW__N; w++) cx_buf_printf(b, ",\"negative_%s\":%" PRIu32, W[w].name, v[w].neg);
    for (int w = 0; w < CLU_TW__N; w++) {
        cx_buf_printf(b, ",\"sentiment_%s\":", W[w].name);
        jnum(b, v[w].n ? v[w].sent : NAN);
    }
    for (int w = 0; w < CLU_TW__N; w++) {
        cx_buf_printf(b, ",\"baseline_neg_share_%s\":", W[w].name);
        jnum(b, v[w].bn ? base_share(&v[w]) : NAN);
    }
    cx_buf_printf(b, ",\"records\":%" PRIu64 ",\"first_ms\":%" PRId64 ",\"last_ms\":%" PRId64, k->records, k->first_ms,
                  k->last_ms);
    for (int s = 0; s < CLU_TS__N; s++) {
        clu_trend_score sc;
        score_info(t, k, s, &sc);
        if (!sc.n) continue;
        cx_buf_printf(b, ",\"%s\":{\"n\":%" PRIu64 ",\"weight\":", score_name[s], sc.n);
        jnum(b, sc.weight);
        cx_buf_append(b, ",\"score\":", 9);
        jnum(b, sc.score);
        cx_buf_append(b, ",\"overall\":", 11);
        jnum(b, sc.overall);
        cx_buf_append(b, ",\"without\":", 11);
        jnum(b, sc.has_without ? sc.without : NAN);
        cx_buf_append(b, ",\"impact\":", 10);
        jnum(b, sc.has_without ? sc.impact : NAN);
        cx_buf_append(b, ",\"ci95\":", 8);
        if (sc.has_ci) {
            cx_buf_append(b, "[", 1);
            jnum(b, sc.ci_lo);
            cx_buf_append(b, ",", 1);
            jnum(b, sc.ci_hi);
            cx_buf_append(b, "]", 1);
        } else {
            cx_buf_append(b, "null", 4);
        }
        cx_buf_append(b, "}", 1);
    }
    cx_buf_append(b, "}", 1);
}

int clu_trend_json(const clu_trend *t, const char *kind, const char *key, cx_buf *out) {
    const tr_key *k = key_lookup(t, kind, key);
    if (!k) return -1;
    key_json(t, k, out);
    return out->oom ? -1 : 0;
}

/* ---- inspection ---- */

int clu_trend_info_get(const clu_trend *t, const char *kind, const char *key, clu_trend_info *out) {
    const tr_key *k = key_lookup(t, kind, key);
    if (!k) return -1;
    memset(out, 0, sizeof *out);
    out->kind = kind_name[k->kind];
    out->key = key_name(k);
    out->first_ms = k->first_ms;
    out->last_ms = k->last_ms;
    out->records = k->records;
    for (int w = 0; w < CLU_TW__N; w++) {
        tr_view v;
        view(t, k, w, t->stream_ms, &v);
        clu_trend_window *o = &out->win[w];
        o->count = v.n;
        o->negative = v.neg;
        o->sentiment = v.sent;
        o->start_ms = v.start_ms;
        o->baseline_periods = v.beff;
        o->baseline = v.mean;
        o->dispersion = v.disp;
        o->baseline_records = v.bn;
        o->baseline_neg_share = v.bn ? base_share(&v) : 0;
        o->armed = v.beff >= W[w].min_hist;
    }
    for (int s = 0; s < CLU_TS__N; s++) score_info(t, k, s, &out->score[s]);
    return 0;
}

size_t clu_trend_list(const clu_trend *t, const char **kinds, const char **keys, size_t max) {
    size_t n = 0;
    if (n < max) {
        kinds[n] = kind_name[K_OVERALL];
        keys[n] = "all";
    }
    n++;
    for (uint32_t i = t->mru; i != NIL; i = t->keys[i].next) {
        if (n < max) {
            kinds[n] = kind_name[t->keys[i].kind];
            keys[n] = t->keys[i].name;
        }
        n++;
    }
    return n;
}

/* ---- adding records and alerting ---- */

typedef struct tr_rec {
    int64_t ts;
    int late;
    int neg;
    float sent;
    int sk;          /* CLU_TS_* or -1 */
    double sv;       /* the score value: NPS -100/0/100, CSAT 0/100 */
} tr_rec;

typedef struct tr_emit {
    cx_clu_emit_fn fn;
    void *arg;
} tr_emit;

/* Build and emit one alert.  0 when delivered (or no callback), -1 when not. */
static int alert(clu_trend *t, const tr_key *k, int w, int m, const tr_view *v, double count, double base, double p,
                 const tr_emit *em) {
    cx_buf *b = &t->ev;
    cx_buf_reset(b);
    cx_buf_printf(b, "{\"type\":\"alert\",\"event\":\"spike\",\"kind\":\"%s\",\"key\":", kind_name[k->kind]);
    cx_buf_json_str(b, key_name(k));
    if (k->kind == K_CLUSTER) cx_buf_printf(b, ",\"cluster_id\":%s", k->name);
    cx_buf_printf(b, ",\"window\":\"%s\",\"window_ms\":%" PRId64 ",\"metric\":\"%s\",\"count\":%.0f,\"baseline\":",
                  W[w].name, W[w].len_ms, metric_name[m], count);
    jnum(b, base);
    cx_buf_append(b, ",\"ratio\":", 9);
    jnum(b, count / (base > 0 ? base : 0.5 / (v->beff ? v->beff : 1)));
    cx_buf_append(b, ",\"p_value\":", 11);
    jnum(b, p);
    cx_buf_printf(b, ",\"at_ms\":%" PRId64 ",\"first_ms\":%" PRId64 ",\"baseline_periods\":%" PRIu32 ",\"dispersion\":",
                  t->stream_ms, v->start_ms, v->beff);
    jnum(b, v->disp);
    cx_buf_printf(b, ",\"records\":%" PRIu32 ",\"negative\":%" PRIu32 ",\"neg_share\":", v->n, v->neg);
    jnum(b, v->n ? (double)v->neg / v->n : 0);
    cx_buf_append(b, ",\"baseline_neg_share\":", 22);
    jnum(b, v->bn ? base_share(v) : NAN);
    cx_buf_append(b, ",\"sentiment\":", 13);
    jnum(b, v->sent);
    cx_buf_append(b, ",\"trend\":", 9);
    key_json(t, k, b);
    cx_buf_append(b, "}", 1);
    if (b->oom) return -1;
    if (!em->fn) return 0;
    return em->fn(em->arg, b->data, b->len) == 0 ? 0 : -1;
}

static int64_t cool_until(const clu_trend *t, int w) {
    return t->stream_ms + (int64_t)(t->o.cooldown_windows * (double)W[w].len_ms);
}

/* Emit the alert of (window w, metric m) of key k and start its cooldown;
 * the bit of (w, m) goes into *fired. */
static void fire(clu_trend *t, tr_key *k, int w, int m, const tr_view *v, double count, double base, double p,
                 unsigned *fired, const tr_emit *em) {
    unsigned bit = 1u << (w * 2 + m);
    int64_t until = cool_until(t, w);
    if (alert(t, k, w, m, v, count, base, p, em) < 0) {
        t->st.alerts_failed++;
        return;
    }
    t->st.alerts++;
    k->cool[w][m] = until;
    *fired |= bit;
}

/* The spike rules of every window of key k at the stream time.  covered:
 * the (window, metric) bits a descendant theme alerted for with this record:
 * they start their cooldown here without an event. */
static void check_key(clu_trend *t, tr_key *k, unsigned covered, unsigned *fired, const tr_emit *em) {
    const clu_trend_opts *o = &t->o;
    int64_t T = t->stream_ms;
    for (int w = 0; w < CLU_TW__N; w++)
        for (int m = 0; m < 2; m++)
            if ((covered >> (w * 2 + m)) & 1u) {
                int64_t until = cool_until(t, w);
                if (k->cool[w][m] == NOHEAD || k->cool[w][m] < until) k->cool[w][m] = until;
                *fired |= 1u << (w * 2 + m); /* and its own parents */
            }
    for (int w = 0; w < CLU_TW__N; w++) {
        int vol_due = T >= k->cool[w][M_VOLUME], sent_due = T >= k->cool[w][M_SENTIMENT];
        if (!vol_due && !sent_due) continue;
        tr_view v;
        view(t, k, w, T, &v);
        if (v.n < (uint64_t)o->min_count && v.neg < (uint64_t)o->sentiment_min_count) continue;
        if (v.beff < W[w].min_hist) continue;
        if (vol_due && v.n >= (uint64_t)o->min_count && v.n >= o->min_ratio * v.mean) {
            double mu = v.mean > 0.5 / v.beff ? v.mean : 0.5 / v.beff;
            double p = poisson_upper(v.n / v.disp, mu / v.disp);
            if (p <= o->alpha) fire(t, k, w, M_VOLUME, &v, v.n, v.mean, p, fired, em);
        }
        if (sent_due && v.neg >= (uint64_t)o->sentiment_min_count &&
            v.bn >= 4 * (uint64_t)o->sentiment_min_count) {
            double p0 = base_share(&v), share = (double)v.neg / v.n;
            if (share - p0 >= o->sentiment_min_delta) {
                double p = binom_upper(v.neg, v.n, p0);
                if (p <= o->alpha) fire(t, k, w, M_SENTIMENT, &v, v.neg, v.n * p0, p, fired, em);
            }
        }
    }
}

/* Count record r for key k and check its rules.  A late record goes into
 * the buckets of its time in every ring that still holds them (a record two
 * hours late: the hour and day rings). */
static void count_key(clu_trend *t, tr_key *k, const tr_rec *r, unsigned covered, unsigned *fired,
                      const tr_emit *em) {
    if (!k->records || r->ts < k->first_ms) k->first_ms = r->ts;
    if (!k->records || r->ts > k->last_ms) k->last_ms = r->ts;
    k->records++;
    if (r->sk >= 0) score_add(&k->sc[r->sk], r->ts, r->sv, t->o.score_half_life_ms);
    if (r->late) return;
    for (int ri = 0; ri < R__N; ri++) {
        tr_bucket *b = bucket_w(k, ri, floor_div(r->ts, ring_ms[ri]));
        if (!b) continue; /* older than this ring holds */
        if (b->n < UINT32_MAX) b->n++;
        if (r->neg && b->neg < UINT32_MAX) b->neg++;
        b->sent += r->sent;
    }
    check_key(t, k, covered, fired, em);
}

typedef struct tr_ref {
    const char *s;
    uint32_t len;
} tr_ref;

static int seen_ref(const tr_ref *done, int n, const char *s, uint32_t len) {
    for (int i = 0; i < n; i++)
        if (done[i].len == len && !memcmp(done[i].s, s, len)) return 1;
    return 0;
}

int clu_trend_add(clu_trend *t, const cx_env *env, int64_t now_ms, cx_clu_emit_fn emit, void *arg,
                  char *err, size_t errlen) {
    t->st.records++;
    if (t->dd.cap && env->topic && env->offset >= 0) {
        uint64_t h = source_hash(env);
        if (dd_has(&t->dd, h)) {
            t->st.duplicates++;
            return 0;
        }
        dd_put(&t->dd, h);
    }
    if (now_ms > TS_MAX) now_ms = TS_MAX;
    int64_t ts = env->ts_ms > 0 ? env->ts_ms : now_ms > 0 ? now_ms : (t->started ? t->stream_ms : 1);
    if (now_ms > 0 && ts > now_ms && ts - now_ms > FUTURE_MS) {
        ts = now_ms;
        t->st.future_clamped++;
    }
    if (ts > TS_MAX) ts = TS_MAX;
    tr_rec r = {.ts = ts, .sk = -1};
    /* the history starts with the first record and never earlier: after a
     * restart, the periods before it were seen by the previous process, not
     * by this one, and must not become a baseline of zeros */
    if (!t->started) {
        t->started = 1;
        t->start_ms = t->stream_ms = ts;
    }
    if (ts > t->stream_ms) t->stream_ms = ts;
    r.late = ts < t->stream_ms - t->o.max_lateness_ms;
    if (r.late) t->st.late_dropped++;
    r.neg = env->label == CX_LABEL_NEGATIVE;
    r.sent = isfinite(env->sentiment) ? env->sentiment : 0.0f;
    if (isfinite(env->score)) {
        double s = floor(env->score + 0.5);
        if (env->score_kind == CX_SCORE_NPS && s >= 0 && s <= 10) {
            r.sk = CLU_TS_NPS;
            r.sv = s >= 9 ? 100 : s >= 7 ? 0 : -100;
        } else if (env->score_kind == CX_SCORE_RATING && s >= 1 && s <= 5) {
            r.sk = CLU_TS_CSAT;
            r.sv = s >= 4 ? 100 : 0;
        }
    }
    if (r.sk >= 0) t->st.scored++;

    tr_emit em = {emit, arg};
    unsigned fired = 0;
    count_key(t, &t->overall, &r, 0, &fired, &em);
    int failed = 0;
    tr_ref done[MAX_REC_KEYS];
    int nd = 0;
    for (uint32_t i = 0; i < env->n_themes && env->themes; i++) {
        const char *id = env->themes[i].id;
        size_t len = id ? strlen(id) : 0;
        if (!len || len > CLU_TREND_KEY_MAX) continue;
        unsigned chain = 0; /* alerts of this theme and its children so far */
        /* the theme, then its parents from the nearest: "a.b.c", "a.b", "a" */
        for (size_t l = len; l > 0;) {
            int skip = seen_ref(done, nd, id, (uint32_t)l) ||
                       (l != len && l == 7 && !memcmp(id, "learned", 7)); /* a namespace, not a theme */
            if (!skip && nd < MAX_REC_KEYS) {
                done[nd].s = id;
                done[nd].len = (uint32_t)l;
                nd++;
                uint32_t ki = key_get(t, K_THEME, id, (uint32_t)l);
                if (ki == NIL) {
                    t->st.key_failures++;
                    failed = 1;
                } else {
                    unsigned f = 0;
                    count_key(t, &t->keys[ki], &r, chain, &f, &em);
                    chain |= f;
                }
            }
            if (!t->o.theme_parents) break;
            while (l > 0 && id[l - 1] != '.') l--;
            if (l > 0) l--; /* drop the dot */
        }
    }
    if (env->cluster_id != 0) {
        int n = snprintf(t->numkey, sizeof t->numkey, "%" PRId64, env->cluster_id);
        uint32_t ki = key_get(t, K_CLUSTER, t->numkey, (uint32_t)n);
        if (ki == NIL) {
            t->st.key_failures++;
            failed = 1;
        } else {
            count_key(t, &t->keys[ki], &r, 0, &fired, &em);
        }
    }
    if (failed) {
        seterr(err, errlen, "trend: out of memory (a key of the record is not tracked)");
        return -1;
    }
    return 0;
}

/* ---- checkpoints ----
 * Blob: "CXTR", u16 version, u16 0, then the fields below in order, then
 * u64 FNV-1a of everything before it.  Integers little-endian, doubles and
 * floats as their IEEE-754 bits. */

#define BLOB_VERSION CLU_TREND_VERSION

static void save_key(cx_buf *b, const tr_key *k) {
    clu_put_u8(b, k->kind);
    clu_put_u16(b, (uint16_t)k->nlen);
    cx_buf_append(b, k->name ? k->name : "", k->nlen);
    clu_put_i64(b, k->first_ms);
    clu_put_i64(b, k->last_ms);
    clu_put_u64(b, k->records);
    for (int r = 0; r < R__N; r++) clu_put_i64(b, k->head[r]);
    for (int w = 0; w < CLU_TW__N; w++) {
        clu_put_i64(b, k->cool[w][0]);
        clu_put_i64(b, k->cool[w][1]);
    }
    for (int s = 0; s < CLU_TS__N; s++) {
        const tr_score *sc = &k->sc[s];
        clu_put_i64(b, sc->tref);
        clu_put_u64(b, sc->n);
        clu_put_f64(b, sc->w);
        clu_put_f64(b, sc->wx);
        clu_put_f64(b, sc->wx2);
        clu_put_f64(b, sc->w2);
    }
    for (int i = 0; i < NBUCKETS; i++) {
        clu_put_u32(b, k->b[i].n);
        clu_put_u32(b, k->b[i].neg);
        clu_put_f32(b, k->b[i].sent);
    }
}

int clu_trend_save(const clu_trend *t, cx_buf *out, char *err, size_t errlen) {
    size_t start = out->len;
    cx_buf_append(out, "CXTR", 4);
    clu_put_u16(out, BLOB_VERSION);
    clu_put_u16(out, 0);
    clu_put_u8(out, (uint8_t)t->started);
    clu_put_i64(out, t->start_ms);
    clu_put_i64(out, t->stream_ms);
    const uint64_t *ctr[] = {&t->st.records, &t->st.duplicates, &t->st.late_dropped, &t->st.future_clamped,
                             &t->st.scored, &t->st.evicted, &t->st.alerts, &t->st.alerts_failed, &t->st.key_failures};
    clu_put_u32(out, (uint32_t)(sizeof ctr / sizeof ctr[0]));
    for (size_t i = 0; i < sizeof ctr / sizeof ctr[0]; i++) clu_put_u64(out, *ctr[i]);
    save_key(out, &t->overall);
    clu_put_u32(out, t->nkeys);
    for (uint32_t i = t->lru; i != NIL; i = t->keys[i].prev) save_key(out, &t->keys[i]); /* oldest first */
    clu_put_u32(out, t->dd.n);
    uint32_t first = t->dd.n == t->dd.cap ? t->dd.pos : 0;
    for (uint32_t i = 0; i < t->dd.n; i++) clu_put_u64(out, t->dd.ring[(first + i) % t->dd.cap]);
    if (!out->oom) clu_put_u64(out, fnv(FNV0, out->data + start, out->len - start));
    if (out->oom) {
        seterr(err, errlen, "out of memory saving the trend state");
        return -1;
    }
    return 0;
}

typedef struct rd {
    const unsigned char *p;
    size_t len, pos;
    const char *bad;  /* first problem */
} rd;

static uint64_t get_le(rd *r, int n) {
    if (r->bad) return 0;
    if (r->len - r->pos < (size_t)n) {
        r->bad = "truncated";
        return 0;
    }
    uint64_t v = clu_le_get(r->p + r->pos, n);
    r->pos += (size_t)n;
    return v;
}
static uint8_t get_u8(rd *r) { return (uint8_t)get_le(r, 1); }
static uint16_t get_u16(rd *r) { return (uint16_t)get_le(r, 2); }
static uint32_t get_u32(rd *r) { return (uint32_t)get_le(r, 4); }
static uint64_t get_u64(rd *r) { return get_le(r, 8); }
static int64_t get_i64(rd *r) { return (int64_t)get_le(r, 8); }
static double get_f64(rd *r) { return clu_f64_of(get_le(r, 8)); }
static float get_f32(rd *r) { return clu_f32_of((uint32_t)get_le(r, 4)); }
static void rd_fail(rd *r, const char *why) {
    if (!r->bad) r->bad = why;
}

/* |v| <= 2^53 or the "none" marker: keeps the time arithmetic in range. */
static int time_ok(int64_t v, int none_ok) {
    if (v == NOHEAD) return none_ok;
    return v >= -TS_MAX && v <= TS_MAX;
}

/* Read one key's body (after kind and name) into k, validating it. */
static void load_key_body(rd *r, tr_key *k) {
    k->first_ms = get_i64(r);
    k->last_ms = get_i64(r);
    k->records = get_u64(r);
    if (!time_ok(k->first_ms, 0) || !time_ok(k->last_ms, 0)) rd_fail(r, "time out of range");
    for (int i = 0; i < R__N; i++) {
        k->head[i] = get_i64(r);
        if (!time_ok(k->head[i], 1)) rd_fail(r, "ring head out of range");
    }
    for (int w = 0; w < CLU_TW__N; w++)
        for (int m = 0; m < 2; m++) {
            k->cool[w][m] = get_i64(r);
            if (k->cool[w][m] != NOHEAD && (k->cool[w][m] < -TS_MAX || k->cool[w][m] > 2 * TS_MAX))
                rd_fail(r, "cooldown out of range");
        }
    for (int s = 0; s < CLU_TS__N; s++) {
        tr_score *sc = &k->sc[s];
        sc->tref = get_i64(r);
        sc->n = get_u64(r);
        sc->w = get_f64(r);
        sc->wx = get_f64(r);
        sc->wx2 = get_f64(r);
        sc->w2 = get_f64(r);
        if (!time_ok(sc->tref, 0)) rd_fail(r, "score time out of range");
        if (!(isfinite(sc->w) && isfinite(sc->wx) && isfinite(sc->wx2) && isfinite(sc->w2)) || sc->w < 0 ||
            sc->w2 < 0 || sc->wx2 < 0)
            rd_fail(r, "bad score sums");
    }
    for (int i = 0; i < NBUCKETS; i++) {
        k->b[i].n = get_u32(r);
        k->b[i].neg = get_u32(r);
        k->b[i].sent = get_f32(r);
        if (k->b[i].neg > k->b[i].n || !isfinite(k->b[i].sent)) rd_fail(r, "bad bucket");
    }
}

clu_trend *clu_trend_load(const clu_trend_opts *o, const void *data, size_t len, char *err, size_t errlen) {
    const unsigned char *p = data;
    if (!data || len < 16 || memcmp(p, "CXTR", 4)) {
        seterr(err, errlen, "trend state: not a trend checkpoint");
        return NULL;
    }
    rd r = {p, len - 8, 4, NULL};
    rd tail = {p, len, len - 8, NULL};
    if (get_u64(&tail) != fnv(FNV0, p, len - 8)) {
        seterr(err, errlen, "trend state: checksum mismatch (corrupt or truncated)");
        return NULL;
    }
    unsigned version = get_u16(&r);
    get_u16(&r);
    if (version != BLOB_VERSION) {
        if (err && errlen) snprintf(err, errlen, "trend state: unsupported version %u", version);
        return NULL;
    }
    clu_trend *t = trend_alloc(o, err, errlen);
    if (!t) return NULL;
    char name[CLU_TREND_KEY_MAX + 1];
    t->started = get_u8(&r) != 0;
    t->start_ms = get_i64(&r);
    t->stream_ms = get_i64(&r);
    if (!time_ok(t->start_ms, 0) || !time_ok(t->stream_ms, 0)) rd_fail(&r, "stream time out of range");
    uint32_t nctr = get_u32(&r);
    uint64_t *ctr[] = {&t->st.records, &t->st.duplicates, &t->st.late_dropped, &t->st.future_clamped,
                       &t->st.scored, &t->st.evicted, &t->st.alerts, &t->st.alerts_failed, &t->st.key_failures};
    if (nctr > 64) rd_fail(&r, "bad counter count");
    for (uint32_t i = 0; i < nctr && !r.bad; i++) {
        uint64_t v = get_u64(&r);
        if (i < sizeof ctr / sizeof ctr[0]) *ctr[i] = v;
    }
    if (get_u8(&r) != K_OVERALL || get_u16(&r) != 0) rd_fail(&r, "bad overall key");
    load_key_body(&r, &t->overall);
    uint32_t nk = get_u32(&r);
    if (!r.bad && nk > (r.len - r.pos) / (NBUCKETS * 12)) rd_fail(&r, "key count larger than the data");
    /* keys come least recently seen first; at a smaller cap the oldest are evicted */
    for (uint32_t n = 0; n < nk && !r.bad; n++) {
        int kind = get_u8(&r);
        uint32_t nl = get_u16(&r);
        if (r.bad) break;
        if ((kind != K_THEME && kind != K_CLUSTER) || nl == 0 || nl > CLU_TREND_KEY_MAX || r.len - r.pos < nl) {
            rd_fail(&r, "bad key");
            break;
        }
        memcpy(name, r.p + r.pos, nl);
        name[nl] = '\0';
        r.pos += nl;
        if (memchr(name, '\0', nl)) { rd_fail(&r, "bad key name"); break; }
        if (key_find(t, kind, name, nl, key_hash(kind, name, nl)) != NIL) { rd_fail(&r, "duplicate key"); break; }
        uint32_t i = key_get(t, kind, name, nl); /* above the cap: evicts (and counts) the oldest */
        if (i == NIL) {
            clu_trend_destroy(&t);
            seterr(err, errlen, "out of memory loading the trend state");
            return NULL;
        }
        tr_key *k = &t->keys[i];
        load_key_body(&r, k);
    }
    uint32_t nd = get_u32(&r);
    if (!r.bad && nd > (r.len - r.pos) / 8) rd_fail(&r, "resend window larger than the data");
    uint32_t skip = nd > t->dd.cap ? nd - t->dd.cap : 0;
    for (uint32_t i = 0; i < nd && !r.bad; i++) {
        uint64_t h = get_u64(&r);
        if (!h) rd_fail(&r, "bad resend entry");
        else if (i >= skip && !dd_has(&t->dd, h)) dd_put(&t->dd, h);
    }
    if (!r.bad && r.pos != r.len) rd_fail(&r, "trailing bytes");
    if (!r.bad && t->started && (t->start_ms > t->stream_ms)) rd_fail(&r, "stream start after stream time");
    if (r.bad) {
        if (err && errlen) snprintf(err, errlen, "trend state: %s at byte %zu", r.bad, r.pos);
        clu_trend_destroy(&t);
        return NULL;
    }
    return t;
}
