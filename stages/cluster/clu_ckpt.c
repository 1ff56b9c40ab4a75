/* clu_ckpt.c - checkpoints of the clusterer: its whole state as bytes and
 * back (cx_clusterer_save / cx_clusterer_load, clusterer.h).
 *
 * The cluster stage writes these bytes into its checkpoint file (main.c,
 * ckpt_store.c) and loads them when it starts again, so clusters, counts and
 * the resend filter survive a restart (docs/RELIABILITY.md, "Cluster state
 * and restarts").  Everything is written field by field in a fixed order -
 * never a struct image - so the bytes do not depend on the compiler, padding
 * or the host's byte order.  A field added to a struct in clu_internal.h is a
 * deliberate change here: write it in save_X, read and check it in load_X
 * (the two sit side by side) and raise CLU_CKPT_VERSION.
 *
 * Format, version 2 (version 1: the leader clusterer before the DMM, with
 * surface forms per centroid term).  Integers little-endian, f32/f64 as
 * IEEE-754 bit patterns, str = u32 length + bytes (no NUL inside):
 *
 *   header    "CXCK" | u16 version | u16 flags (0) | u64 body length | u64 checksum of the body
 *   globals   i64 next_id, f64 ndocs, f64 dd, i64 dd_ms, u64 pos, f64 vt, u64 terms_total,
 *             i64 stream_ms, i64 clock_ms, 12 x u64 statistics (records clustered duplicates
 *             skipped empty failed created retired merged split events events_failed)
 *   features  u64 buckets, u64 n, u64 hold, u64 evict_from, n x (u64 key, u32 df) in bucket
 *             order, starting after an empty bucket: inserting them again in this order
 *             rebuilds the very same table, so vocabulary eviction (its rotating start
 *             evict_from is a bucket index) breaks its ties as before
 *   slots     u32 n, u32 free_head, n x (u8 0, u32 free_next | u8 1, cluster)
 *   cluster   i64 id, u32 size, i64 first_ms, i64 last_ms, f64 sent_sum, f64 norm2,
 *             i64 tref_ms, u64 nfeat, f64 msz, f64 nzs, f64 nzt, u8 nlg, nlg x (str code,
 *             f64 nz), f64 rec, u64 rec_pos, u8 nres, u8 rpos, nres x sig256, u32 next_grow,
 *             u32 seq, i64 ms since its last event (clock_ms - last_event_ms), u8 dirty,
 *             u8 queued, u8 published, u32 n, n x term, 5 x counter (themes langs channels
 *             products regions), u32 n, n x example
 *   term      u64 key, f32 w, f32 c, u32 n, u8 kind
 *   counter   u16 n, n x (str, u32 count)
 *   example   str id, str text, str lang, f32 score, u64 text_hash, u64 sig, sig256
 *   sig256    4 x u64
 *   changed   u32 n, n x (u32 slot, i64 id)
 *   resends   2 x (u64 n, n x (u64 key, i64 cluster id)): the older generation first
 *   displays  u64 n, n x (u64 key, CLU_SURF x (u8 0 | u8 1, str, u32 count)): the display
 *             forms of the features that have them (only features a centroid holds), in
 *             bucket order
 *
 * Orders are kept (slots and the free list, terms, display forms, counter
 * entries, examples, the changed list, the ring of member signatures)
 * because ties are broken by position in several places.  Not saved but
 * rebuilt on load: the postings, from the centroids (w and c of a posting are
 * its term's; a second, independent check of both: cx_clusterer_check runs at
 * the end), the term indexes, the inverse norms and the scratch buffers (the
 * per-slot DMM factors kf are -1 when idle, the accumulators 0).  A feature's
 * postings may come back in another order, which changes no result
 * (candidates are ranked by score or cosine, then id).
 *
 * Loading trusts nothing: every count is checked against the bytes left (or a
 * bound from the options) before anything is allocated, floats must be
 * finite (centroid weights and counts >= 0), flags 0 or 1, ids unique and
 * below next_id, display forms only on features a centroid holds, and the
 * result must pass cx_clusterer_check().
 *
 * Extending the state (clu_internal.h), in short:
 *   - a field of the clusterer, a cluster, a term, a counter or an example:
 *     write it in save_X, read and check it in load_X, raise CLU_CKPT_VERSION
 *     (a checkpoint of the old version is then refused with a clear message;
 *     reading both is possible by passing the version down);
 *   - a per-slot array of struct cx_clusterer (like acc, acct, kf, touched,
 *     cinv): allocate it with capslots entries in load_slots and give every
 *     entry its idle value (kf: -1), or cx_clusterer_check and the first
 *     record will read past it or see stale scratch;
 *   - a field of a posting: rebuild it from its term in link_postings;
 *   - scratch state that only lives during one cx_clusterer_add: nothing.
 * tests/unit/test_clu_ckpt.c then shows whether anything was missed: the
 * loaded clusterer must save to the same bytes and behave identically. */
#include "clu_ckpt.h"
#include "clu_le.h"
#include "clu_internal.h"
#include "cx_alloc.h"
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSTATS 12
#define STR_MAX (1u << 24) /* longest string accepted (the bytes left bound it too) */

/* ---- checksum ---- */

static uint64_t le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

uint64_t clu_ckpt_sum(const void *body, size_t n) {
    const unsigned char *p = body;
    uint64_t h = 0x6a09e667f3bcc909ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) h = clu_mix64(h ^ le64(p + i)) + 0x9e3779b97f4a7c15ULL;
    uint64_t tail = 0;
    for (size_t k = n; k > i; k--) tail = tail << 8 | p[k - 1];
    return clu_mix64(h ^ tail ^ ((uint64_t)n << 3));
}


int clu_ckpt_seal(void *ckpt, size_t len) {
    if (len < CLU_CKPT_HEADER) return -1;
    unsigned char *p = ckpt;
    clu_le_set(p + 16, clu_ckpt_sum(p + CLU_CKPT_HEADER, len - CLU_CKPT_HEADER), 8);
    return 0;
}

/* ---- writing ---- */

static void put_str(cx_buf *b, const char *s) {
    size_t n = s ? strlen(s) : 0;
    clu_put_u32(b, (uint32_t)n);
    cx_buf_append(b, s ? s : "", n);
}

static void save_globals(const cx_clusterer *cl, cx_buf *b) {
    clu_put_i64(b, cl->next_id);
    clu_put_f64(b, cl->ndocs);
    clu_put_f64(b, cl->dd);
    clu_put_i64(b, cl->dd_ms);
    clu_put_u64(b, cl->pos);
    clu_put_f64(b, cl->vt);
    clu_put_u64(b, cl->terms_total);
    clu_put_i64(b, cl->stream_ms);
    clu_put_i64(b, cl->clock_ms);
    const cx_clusterer_stats *s = &cl->st;
    const uint64_t v[NSTATS] = {s->records, s->clustered, s->duplicates, s->skipped, s->empty, s->failed,
                                s->created, s->retired, s->merged, s->split, s->events, s->events_failed};
    for (int i = 0; i < NSTATS; i++) clu_put_u64(b, v[i]);
}

/* First empty bucket of an open-addressing array of cap keys (one exists:
 * the tables are at most half full); 0 when none. */
static size_t first_empty_feat(const clu_ftab *t) {
    for (size_t i = 0; i < t->cap; i++)
        if (!t->b[i].key) return i;
    return 0;
}

static void save_features(const clu_ftab *t, cx_buf *b) {
    clu_put_u64(b, t->cap);
    clu_put_u64(b, t->count);
    clu_put_u64(b, t->hold);
    clu_put_u64(b, t->evict_from);
    if (!t->cap) return;
    size_t m = t->cap - 1, start = first_empty_feat(t);
    for (size_t k = 1; k <= t->cap; k++) {
        const clu_feat *f = &t->b[(start + k) & m];
        if (!f->key) continue;
        clu_put_u64(b, f->key);
        clu_put_u32(b, f->df);
    }
}

static void save_term(const clu_term *t, cx_buf *b) {
    clu_put_u64(b, t->key);
    clu_put_f32(b, t->w);
    clu_put_f32(b, t->c);
    clu_put_u32(b, t->n);
    clu_put_u8(b, t->kind);
}

static void save_sig256(const clu_sig256 *g, cx_buf *b) {
    for (int k = 0; k < 4; k++) clu_put_u64(b, g->w[k]);
}

static void save_counter(const clu_ctr *c, cx_buf *b) {
    clu_put_u16(b, c->len);
    for (int i = 0; i < c->len; i++) {
        put_str(b, c->v[i].k);
        clu_put_u32(b, c->v[i].n);
    }
}

static void save_example(const clu_example *e, cx_buf *b) {
    put_str(b, e->id);
    put_str(b, e->text);
    put_str(b, e->lang);
    clu_put_f32(b, e->score);
    clu_put_u64(b, e->text_hash);
    clu_put_u64(b, e->sig);
    save_sig256(&e->sig256, b);
}

static void save_cluster(const cx_clusterer *cl, const clu_cluster *c, cx_buf *b) {
    clu_put_i64(b, c->id);
    clu_put_u32(b, c->size);
    clu_put_i64(b, c->first_ms);
    clu_put_i64(b, c->last_ms);
    clu_put_f64(b, c->sent_sum);
    clu_put_f64(b, c->norm2);
    clu_put_i64(b, c->tref_ms);
    clu_put_u64(b, c->nfeat);
    clu_put_f64(b, c->msz);
    clu_put_f64(b, c->nzs);
    clu_put_f64(b, c->nzt);
    clu_put_u8(b, c->nlg);
    for (int i = 0; i < c->nlg; i++) {
        put_str(b, c->lg[i].code);
        clu_put_f64(b, c->lg[i].nz);
    }
    clu_put_f64(b, c->rec);
    clu_put_u64(b, c->rec_pos);
    clu_put_u8(b, c->nres);
    clu_put_u8(b, c->rpos);
    for (int i = 0; i < c->nres; i++) save_sig256(&c->res[i], b);
    clu_put_u32(b, c->next_grow);
    clu_put_u32(b, c->seq);
    clu_put_u64(b, (uint64_t)cl->clock_ms - (uint64_t)c->last_event_ms);
    clu_put_u8(b, c->dirty);
    clu_put_u8(b, c->queued);
    clu_put_u8(b, c->published);
    clu_put_u32(b, c->nterms);
    for (uint32_t i = 0; i < c->nterms; i++) save_term(&c->terms[i], b);
    save_counter(&c->themes, b);
    save_counter(&c->langs, b);
    save_counter(&c->channels, b);
    save_counter(&c->products, b);
    save_counter(&c->regions, b);
    clu_put_u32(b, c->nex);
    for (uint32_t i = 0; i < c->nex; i++) save_example(&c->ex[i], b);
}

static void save_slots(const cx_clusterer *cl, cx_buf *b) {
    clu_put_u32(b, cl->nslots);
    clu_put_u32(b, cl->free_head);
    for (uint32_t s = 0; s < cl->nslots; s++) {
        const clu_cluster *c = &cl->cl[s];
        if (!c->id) {
            clu_put_u8(b, 0);
            clu_put_u32(b, c->free_next);
        } else {
            clu_put_u8(b, 1);
            save_cluster(cl, c, b);
        }
    }
}

static void save_changed(const cx_clusterer *cl, cx_buf *b) {
    clu_put_u32(b, cl->ndirty);
    for (uint32_t i = 0; i < cl->ndirty; i++) {
        clu_put_u32(b, cl->dirty[i].slot);
        clu_put_i64(b, cl->dirty[i].id);
    }
}

/* One generation of the resend filter, in bucket order from after an empty
 * bucket (as the feature table). */
static void save_generation(const clu_dedup *d, int g, cx_buf *b) {
    uint64_t n = 0;
    size_t start = 0;
    int have_start = 0;
    for (size_t i = 0; i < d->cap; i++) {
        if (d->keys[g][i]) n++;
        else if (!have_start) { start = i; have_start = 1; }
    }
    clu_put_u64(b, n);
    if (!n) return;
    size_t m = d->cap - 1;
    for (size_t k = 1; k <= d->cap; k++) {
        size_t i = (start + k) & m;
        if (!d->keys[g][i]) continue;
        clu_put_u64(b, d->keys[g][i]);
        clu_put_i64(b, d->vals[g][i]);
    }
}

static void save_resends(const clu_dedup *d, cx_buf *b) {
    if (!d->cap) {
        clu_put_u64(b, 0);
        clu_put_u64(b, 0);
        return;
    }
    save_generation(d, !d->cur, b);
    save_generation(d, d->cur, b);
}

/* The display forms of the features that have them, in bucket order. */
static void save_displays(const clu_ftab *t, cx_buf *b) {
    uint64_t n = 0;
    for (size_t i = 0; i < t->cap; i++) n += t->b[i].key && t->b[i].disp;
    clu_put_u64(b, n);
    for (size_t i = 0; i < t->cap && n; i++) {
        const clu_feat *f = &t->b[i];
        if (!f->key || !f->disp) continue;
        clu_put_u64(b, f->key);
        for (int k = 0; k < CLU_SURF; k++) {
            if (!f->disp->s[k]) { clu_put_u8(b, 0); continue; }
            clu_put_u8(b, 1);
            put_str(b, f->disp->s[k]);
            clu_put_u32(b, f->disp->n[k]);
        }
    }
}

int cx_clusterer_save(const cx_clusterer *cl, cx_buf *out, char *err, size_t errlen) {
    cx_buf_reset(out);
    static const unsigned char zero[CLU_CKPT_HEADER];
    cx_buf_append(out, zero, sizeof zero);
    save_globals(cl, out);
    save_features(&cl->ftab, out);
    save_slots(cl, out);
    save_changed(cl, out);
    save_resends(&cl->dedup, out);
    save_displays(&cl->ftab, out);
    if (out->oom) {
        if (err && errlen) snprintf(err, errlen, "out of memory serialising the cluster state");
        return -1;
    }
    unsigned char *h = (unsigned char *)out->data;
    memcpy(h, CLU_CKPT_MAGIC, 4);
    clu_le_set(h + 4, CLU_CKPT_VERSION, 2);
    clu_le_set(h + 6, 0, 2);
    clu_le_set(h + 8, out->len - CLU_CKPT_HEADER, 8);
    clu_ckpt_seal(out->data, out->len);
    return 0;
}

/* ---- reading ---- */

typedef struct ld {
    const unsigned char *p, *end;
    const cx_clusterer_opts *o;
    char where[96];        /* the part being read, for messages */
    int failed;
    char *err;
    size_t errlen;
} ld;

/* Record the first failure; returns -1. */
__attribute__((format(printf, 2, 3))) static int ld_fail(ld *L, const char *fmt, ...) {
    if (L->failed) return -1;
    L->failed = 1;
    if (L->err && L->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->err, L->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int ld_oom(ld *L) { return ld_fail(L, "out of memory loading the cluster state (%s)", L->where); }

static size_t left(const ld *L) { return L->failed ? 0 : (size_t)(L->end - L->p); }

/* n bytes or a "truncated" failure (then reads give zeros). */
static const unsigned char *take(ld *L, size_t n) {
    if (left(L) < n) {
        ld_fail(L, "checkpoint truncated in %s", L->where);
        return NULL;
    }
    const unsigned char *p = L->p;
    L->p += n;
    return p;
}

static uint64_t get_le(ld *L, int n) {
    const unsigned char *p = take(L, (size_t)n);
    return p ? clu_le_get(p, n) : 0;
}

static uint8_t get_u8(ld *L) { return (uint8_t)get_le(L, 1); }
static uint16_t get_u16(ld *L) { return (uint16_t)get_le(L, 2); }
static uint32_t get_u32(ld *L) { return (uint32_t)get_le(L, 4); }
static uint64_t get_u64(ld *L) { return get_le(L, 8); }
static int64_t get_i64(ld *L) { return (int64_t)get_le(L, 8); }

static float get_f32(ld *L) { return clu_f32_of(get_u32(L)); }
static double get_f64(ld *L) { return clu_f64_of(get_u64(L)); }

/* A flag byte: 0 or 1. */
static uint8_t get_flag(ld *L, const char *what) {
    uint8_t v = get_u8(L);
    if (v > 1) ld_fail(L, "%s: bad %s flag %u", L->where, what, v);
    return v;
}

/* A string as a cx_malloc'd NUL-terminated copy (caller owns), or NULL on
 * failure (recorded in L). */
static char *get_str(ld *L, size_t maxlen) {
    uint32_t n = get_u32(L);
    if (L->failed) return NULL;
    if (n > maxlen) { ld_fail(L, "%s: string of %" PRIu32 " bytes is too long", L->where, n); return NULL; }
    const unsigned char *p = take(L, n);
    if (!p) return NULL;
    if (memchr(p, 0, n)) { ld_fail(L, "%s: string with a NUL byte", L->where); return NULL; }
    char *s = cx_malloc((size_t)n + 1);
    if (!s) { ld_oom(L); return NULL; }
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* A count of items of at least min_bytes each must fit in what is left. */
static int check_count(ld *L, uint64_t n, size_t min_bytes, const char *what) {
    if (L->failed) return -1;
    if (n > left(L) / min_bytes)
        return ld_fail(L, "checkpoint truncated in %s: %" PRIu64 " %s announced, room for at most %zu", L->where, n,
                       what, left(L) / min_bytes);
    return 0;
}

static int load_globals(ld *L, cx_clusterer *cl) {
    snprintf(L->where, sizeof L->where, "the globals");
    cl->next_id = get_i64(L);
    cl->ndocs = get_f64(L);
    cl->dd = get_f64(L);
    cl->dd_ms = get_i64(L);
    cl->pos = get_u64(L);
    cl->vt = get_f64(L);
    uint64_t terms_total = get_u64(L);
    cl->stream_ms = get_i64(L);
    cl->clock_ms = get_i64(L);
    uint64_t v[NSTATS];
    for (int i = 0; i < NSTATS; i++) v[i] = get_u64(L);
    if (L->failed) return -1;
    cx_clusterer_stats *s = &cl->st;
    s->records = v[0];
    s->clustered = v[1];
    s->duplicates = v[2];
    s->skipped = v[3];
    s->empty = v[4];
    s->failed = v[5];
    s->created = v[6];
    s->retired = v[7];
    s->merged = v[8];
    s->split = v[9];
    s->events = v[10];
    s->events_failed = v[11];
    if (cl->next_id < 1) return ld_fail(L, "bad next cluster id %" PRId64, cl->next_id);
    if (!isfinite(cl->ndocs) || cl->ndocs < 0) return ld_fail(L, "bad document count %g", cl->ndocs);
    if (!isfinite(cl->dd) || cl->dd < 0) return ld_fail(L, "bad decayed document count %g", cl->dd);
    if (!isfinite(cl->vt) || cl->vt < 0) return ld_fail(L, "bad theme vocabulary size %g", cl->vt);
    if (terms_total > SIZE_MAX) return ld_fail(L, "bad centroid term total %" PRIu64, terms_total);
    cl->terms_total = (size_t)terms_total; /* cx_clusterer_check compares it with the clusters' */
    return 0;
}

static int load_features(ld *L, cx_clusterer *cl) {
    snprintf(L->where, sizeof L->where, "the feature table");
    clu_ftab *t = &cl->ftab;
    uint64_t cap = get_u64(L), n = get_u64(L), hold = get_u64(L), from = get_u64(L);
    if (check_count(L, n, 12, "features") < 0) return -1;
    /* eviction leaves hold at most max_count / 10 above the count, and its
     * next start inside the table */
    if (hold > n + t->max_count / 10 || from >= (cap ? cap : 1))
        return ld_fail(L, "bad eviction state: hold %" PRIu64 ", start %" PRIu64 " (%" PRIu64 " features, %" PRIu64
                       " buckets)", hold, from, n, cap);
    t->hold = (size_t)hold;
    t->evict_from = (size_t)from;
    if (!cap) return n ? ld_fail(L, "%" PRIu64 " features in a table of 0 buckets", n) : 0;
    /* a power of two, at most half full, and not absurdly larger than its content */
    if ((cap & (cap - 1)) || cap < 2 * n || cap > ((uint64_t)1 << 31) || cap > 16 * (n + 1024))
        return ld_fail(L, "bad feature table size: %" PRIu64 " buckets for %" PRIu64 " features", cap, n);
    t->b = cx_calloc((size_t)cap, sizeof *t->b);
    if (!t->b) return ld_oom(L);
    t->cap = (size_t)cap;
    size_t m = t->cap - 1;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t key = get_u64(L);
        uint32_t df = get_u32(L);
        if (L->failed) return -1;
        if (!key) return ld_fail(L, "feature with key 0");
        size_t i = (size_t)key & m;
        for (; t->b[i].key; i = (i + 1) & m)
            if (t->b[i].key == key) return ld_fail(L, "feature %016" PRIx64 " twice", key);
        t->b[i].key = key;
        t->b[i].df = df;
        t->count++;
    }
    return 0;
}

static int load_counter(ld *L, clu_ctr *c) {
    uint16_t n = get_u16(L);
    if (check_count(L, n, 8, "counter entries") < 0) return -1;
    if (n > CLU_CTR_MAX) return ld_fail(L, "%s: counter of %u entries (at most %d)", L->where, n, CLU_CTR_MAX);
    if (!n) return 0;
    if (!(c->v = cx_calloc(n, sizeof *c->v))) return ld_oom(L);
    c->cap = n;
    for (uint16_t i = 0; i < n; i++) {
        char *k = get_str(L, STR_MAX);
        if (!k) return -1;
        c->v[c->len].k = k;
        c->v[c->len].n = get_u32(L);
        c->len++;
        if (L->failed) return -1;
    }
    return 0;
}

/* Read a term into t (zeroed).  Weights and counts are sums of positive
 * amounts, scaled and split by positive factors: finite and >= 0. */
static int load_term(ld *L, clu_term *t) {
    t->key = get_u64(L);
    t->w = get_f32(L);
    t->c = get_f32(L);
    t->n = get_u32(L);
    t->kind = get_u8(L);
    if (L->failed) return -1;
    if (!t->key) return ld_fail(L, "%s: term with key 0", L->where);
    if (!isfinite(t->w) || !(t->w >= 0) || !isfinite(t->c) || !(t->c >= 0))
        return ld_fail(L, "%s: bad term weight %g or count %g", L->where, (double)t->w, (double)t->c);
    if (t->kind > CLU_K_THEME) return ld_fail(L, "%s: bad term kind %u", L->where, t->kind);
    return 0;
}

static void load_sig256(ld *L, clu_sig256 *g) {
    for (int k = 0; k < 4; k++) g->w[k] = get_u64(L);
}

/* A double that must be finite and >= 0. */
static int check_amount(ld *L, double v, const char *what) {
    if (L->failed) return -1;
    if (!isfinite(v) || !(v >= 0)) return ld_fail(L, "%s: bad %s %g", L->where, what, v);
    return 0;
}

/* Put term ti of c into its index; a second term with the same key fails. */
static int index_term(ld *L, clu_cluster *c, uint32_t ti) {
    uint32_t m = c->tidx_cap - 1;
    uint64_t key = c->terms[ti].key;
    uint32_t i = (uint32_t)key & m;
    for (; c->tidx[i]; i = (i + 1) & m)
        if (c->terms[c->tidx[i] - 1].key == key) return ld_fail(L, "%s: term %016" PRIx64 " twice", L->where, key);
    c->tidx[i] = ti + 1;
    return 0;
}

static int load_example(ld *L, clu_example *e) {
    if (!(e->id = get_str(L, STR_MAX)) || !(e->text = get_str(L, STR_MAX))) return -1;
    char *lang = get_str(L, sizeof e->lang - 1);
    if (!lang) return -1;
    snprintf(e->lang, sizeof e->lang, "%s", lang);
    cx_free(lang);
    e->score = get_f32(L);
    e->text_hash = get_u64(L);
    e->sig = get_u64(L);
    load_sig256(L, &e->sig256);
    if (L->failed) return -1;
    if (!isfinite(e->score)) return ld_fail(L, "%s: bad example score", L->where);
    return 0;
}

static int load_cluster(ld *L, cx_clusterer *cl, uint32_t slot) {
    clu_cluster *c = &cl->cl[slot];
    int64_t id = get_i64(L);
    if (L->failed) return -1;
    snprintf(L->where, sizeof L->where, "cluster %" PRId64 " (slot %" PRIu32 ")", id, slot);
    if (id < 1 || id >= cl->next_id) return ld_fail(L, "%s: id outside 1..%" PRId64, L->where, cl->next_id - 1);
    c->id = id; /* from here on the cluster owns what is read into it */
    c->size = get_u32(L);
    c->first_ms = get_i64(L);
    c->last_ms = get_i64(L);
    c->sent_sum = get_f64(L);
    c->norm2 = get_f64(L);
    c->tref_ms = get_i64(L);
    c->nfeat = get_u64(L);
    c->msz = get_f64(L);
    c->nzs = get_f64(L);
    c->nzt = get_f64(L);
    if (check_amount(L, c->msz, "member count") < 0 || check_amount(L, c->nzs, "feature total") < 0 ||
        check_amount(L, c->nzt, "theme feature total") < 0)
        return -1;
    uint8_t nlg = get_u8(L);
    if (L->failed) return -1;
    if (nlg > CLU_LANGS) return ld_fail(L, "%s: %u languages (at most %d)", L->where, nlg, CLU_LANGS);
    for (; c->nlg < nlg; c->nlg++) {
        clu_lang *g = &c->lg[c->nlg];
        char *code = get_str(L, sizeof g->code - 1);
        if (!code) return -1;
        snprintf(g->code, sizeof g->code, "%s", code);
        cx_free(code);
        g->nz = get_f64(L);
        if (check_amount(L, g->nz, "language word total") < 0) return -1;
    }
    c->rec = get_f64(L);
    c->rec_pos = get_u64(L);
    if (check_amount(L, c->rec, "recent activity") < 0) return -1;
    if (c->rec_pos > cl->pos)
        return ld_fail(L, "%s: recent activity as of record %" PRIu64 ", after the last one (%" PRIu64 ")", L->where,
                       c->rec_pos, cl->pos);
    c->nres = get_u8(L);
    c->rpos = get_u8(L);
    if (L->failed) return -1;
    /* the ring fills from 0: until it is full the next position is its length */
    if (c->nres > CLU_RES || c->rpos >= CLU_RES || (c->nres < CLU_RES && c->rpos != c->nres))
        return ld_fail(L, "%s: bad ring of member signatures (%u used, next %u)", L->where, c->nres, c->rpos);
    for (int i = 0; i < c->nres; i++) load_sig256(L, &c->res[i]);
    c->next_grow = get_u32(L);
    c->seq = get_u32(L);
    c->last_event_ms = (int64_t)((uint64_t)cl->clock_ms - get_u64(L));
    c->dirty = get_flag(L, "changed");
    c->queued = get_flag(L, "queued");
    c->published = get_flag(L, "published");
    uint32_t nt = get_u32(L);
    if (L->failed) return -1;
    if (!isfinite(c->sent_sum) || !isfinite(c->norm2) || c->norm2 < 0)
        return ld_fail(L, "%s: bad sentiment sum or norm", L->where);
    uint32_t max_terms = (uint32_t)L->o->max_terms * 3 / 2 + 1;
    if (nt > max_terms) return ld_fail(L, "%s: %" PRIu32 " centroid terms, at most %" PRIu32, L->where, nt, max_terms);
    if (check_count(L, nt, 21, "terms") < 0) return -1;
    if (nt) {
        uint32_t cap = 8, icap = 16;
        while (cap < nt) cap *= 2;
        while (icap < 2 * cap) icap *= 2;
        if (!(c->terms = cx_malloc(cap * sizeof *c->terms)) || !(c->tidx = cx_calloc(icap, sizeof *c->tidx)))
            return ld_oom(L);
        c->capterms = cap;
        c->tidx_cap = icap;
        for (uint32_t i = 0; i < nt; i++) {
            clu_term *t = &c->terms[c->nterms++];
            memset(t, 0, sizeof *t);
            if (load_term(L, t) < 0 || index_term(L, c, i) < 0) return -1;
        }
    }
    clu_ctr *ctrs[5] = {&c->themes, &c->langs, &c->channels, &c->products, &c->regions};
    for (int k = 0; k < 5; k++)
        if (load_counter(L, ctrs[k]) < 0) return -1;
    uint32_t ne = get_u32(L);
    if (check_count(L, ne, 64, "examples") < 0) return -1;
    uint32_t keep = ne < (uint32_t)L->o->examples ? ne : (uint32_t)L->o->examples;
    if (keep && !(c->ex = cx_calloc((size_t)L->o->examples, sizeof *c->ex))) return ld_oom(L);
    for (uint32_t i = 0; i < ne; i++) {
        if (i < keep) {
            c->nex++;
            if (load_example(L, &c->ex[i]) < 0) return -1;
        } else { /* cluster.examples was lowered: the later examples go */
            clu_example x;
            memset(&x, 0, sizeof x);
            int rc = load_example(L, &x);
            cx_free(x.id);
            cx_free(x.text);
            if (rc < 0) return -1;
        }
    }
    return 0;
}

static int id_cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int load_slots(ld *L, cx_clusterer *cl) {
    snprintf(L->where, sizeof L->where, "the cluster slots");
    uint32_t n = get_u32(L), free_head = get_u32(L);
    if (check_count(L, n, 5, "slots") < 0) return -1;
    if (free_head > n) return ld_fail(L, "free list starts outside the slots");
    if (!n) return 0;
    if (!(cl->cl = cx_calloc(n, sizeof *cl->cl)) || !(cl->acc = cx_calloc(n, sizeof *cl->acc)) ||
        !(cl->touched = cx_calloc(n, sizeof *cl->touched)) || !(cl->cinv = cx_calloc(n, sizeof *cl->cinv)) ||
        !(cl->kf = cx_malloc(n * sizeof *cl->kf)) || !(cl->acct = cx_calloc(n, sizeof *cl->acct)))
        return ld_oom(L);
    for (uint32_t s = 0; s < n; s++) cl->kf[s] = -1; /* idle: no slot touched by a record */
    cl->nslots = cl->capslots = n;
    cl->free_head = free_head;
    for (uint32_t s = 0; s < n; s++) {
        snprintf(L->where, sizeof L->where, "cluster slot %" PRIu32, s);
        uint8_t live = get_flag(L, "slot");
        if (L->failed) return -1;
        if (!live) {
            uint32_t next = get_u32(L);
            if (L->failed) return -1;
            if (next > n) return ld_fail(L, "%s: free list leaves the slots", L->where);
            cl->cl[s].free_next = next;
            continue;
        }
        if (load_cluster(L, cl, s) < 0) return -1;
        cl->live++;
        double n2 = cl->cl[s].norm2;
        cl->cinv[s] = n2 > 0 ? 1.0 / sqrt(n2) : 0;
    }
    snprintf(L->where, sizeof L->where, "the cluster slots");
    if (cl->live > (size_t)L->o->max_clusters)
        return ld_fail(L, "%zu live clusters, more than max_clusters = %ld (cluster.max_clusters)", cl->live,
                       L->o->max_clusters);
    int64_t *ids = cx_malloc((cl->live ? cl->live : 1) * sizeof *ids);
    if (!ids) return ld_oom(L);
    size_t k = 0;
    for (uint32_t s = 0; s < n; s++)
        if (cl->cl[s].id) ids[k++] = cl->cl[s].id;
    qsort(ids, k, sizeof *ids, id_cmp);
    int64_t dup = 0;
    for (size_t i = 1; i < k && !dup; i++)
        if (ids[i] == ids[i - 1]) dup = ids[i];
    cx_free(ids);
    if (dup) return ld_fail(L, "cluster id %" PRId64 " in two slots", dup);
    return 0;
}

static int load_changed(ld *L, cx_clusterer *cl) {
    snprintf(L->where, sizeof L->where, "the changed-cluster list");
    uint32_t n = get_u32(L);
    if (check_count(L, n, 12, "entries") < 0) return -1;
    if (!n) return 0;
    if (!(cl->dirty = cx_malloc(n * sizeof *cl->dirty))) return ld_oom(L);
    cl->capdirty = n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = get_u32(L);
        int64_t id = get_i64(L);
        if (L->failed) return -1;
        if (slot >= cl->nslots) return ld_fail(L, "changed list names slot %" PRIu32 " of %" PRIu32, slot, cl->nslots);
        cl->dirty[cl->ndirty].slot = slot;
        cl->dirty[cl->ndirty].id = id;
        cl->ndirty++;
    }
    return 0;
}

/* One generation of the resend filter into generation g (allocating both on
 * the first key, with the capacity clu_dedup_put would choose). */
static int load_generation(ld *L, cx_clusterer *cl, int g, size_t *count) {
    clu_dedup *d = &cl->dedup;
    uint64_t n = get_u64(L);
    if (check_count(L, n, 16, "keys") < 0) return -1;
    if (n > d->window)
        return ld_fail(L, "resend filter generation of %" PRIu64 " keys, more than the window of %zu", n, d->window);
    *count = (size_t)n;
    if (!n) return 0;
    if (!d->cap) {
        size_t cap = 16;
        while (cap < d->window * 2) cap *= 2;
        for (int k = 0; k < 2; k++) {
            d->keys[k] = cx_calloc(cap, sizeof(uint64_t));
            d->vals[k] = cx_malloc(cap * sizeof(int64_t));
            if (!d->keys[k] || !d->vals[k]) return ld_oom(L);
        }
        d->cap = cap;
    }
    size_t m = d->cap - 1;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t key = get_u64(L);
        int64_t id = get_i64(L);
        if (L->failed) return -1;
        if (!key) return ld_fail(L, "resend key 0");
        if (id < 1 || id >= cl->next_id) return ld_fail(L, "resend key names cluster id %" PRId64, id);
        size_t i = (size_t)key & m;
        for (; d->keys[g][i]; i = (i + 1) & m)
            if (d->keys[g][i] == key) return ld_fail(L, "resend key %016" PRIx64 " twice", key);
        d->keys[g][i] = key;
        d->vals[g][i] = id;
    }
    return 0;
}

static int load_resends(ld *L, cx_clusterer *cl) {
    snprintf(L->where, sizeof L->where, "the resend filter");
    size_t older = 0, current = 0;
    /* the current generation goes to index 0, the older one to index 1 */
    if (load_generation(L, cl, 1, &older) < 0 || load_generation(L, cl, 0, &current) < 0) return -1;
    cl->dedup.cur = 0;
    cl->dedup.count = current;
    return 0;
}

/* The display forms of the features that have them (the feature table is
 * loaded).  A display on a feature that no centroid holds is found by
 * cx_clusterer_check once the postings are linked. */
static int load_displays(ld *L, cx_clusterer *cl) {
    snprintf(L->where, sizeof L->where, "the display forms");
    uint64_t n = get_u64(L);
    if (check_count(L, n, 8 + CLU_SURF, "features with display forms") < 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t key = get_u64(L);
        if (L->failed) return -1;
        clu_feat *f = key ? clu_ftab_find(&cl->ftab, key) : NULL;
        if (!f) return ld_fail(L, "display forms of feature %016" PRIx64 ", which is not in the table", key);
        if (f->disp) return ld_fail(L, "display forms of feature %016" PRIx64 " twice", key);
        if (!(f->disp = cx_calloc(1, sizeof *f->disp))) return ld_oom(L);
        for (int k = 0; k < CLU_SURF; k++) {
            if (!get_flag(L, "display form")) {
                if (L->failed) return -1;
                continue;
            }
            if (!(f->disp->s[k] = get_str(L, STR_MAX))) return -1;
            f->disp->n[k] = get_u32(L);
            if (L->failed) return -1;
        }
    }
    return 0;
}

/* Postings from the centroids: one per (cluster, term), in slot and term order. */
static int link_postings(ld *L, cx_clusterer *cl) {
    for (uint32_t s = 0; s < cl->nslots; s++) {
        clu_cluster *c = &cl->cl[s];
        if (!c->id) continue;
        for (uint32_t i = 0; i < c->nterms; i++) {
            clu_term *t = &c->terms[i];
            clu_feat *f = clu_ftab_find(&cl->ftab, t->key);
            if (!f)
                return ld_fail(L, "cluster %" PRId64 ": term %016" PRIx64 " is missing from the feature table", c->id,
                               t->key);
            long pos = clu_post_push(f, s, t->w);
            if (pos < 0) return ld_oom(L);
            f->post[pos].c = t->c;
            t->ppos = (uint32_t)pos;
        }
    }
    return 0;
}

cx_clusterer *cx_clusterer_load(const cx_clusterer_opts *o, const void *data, size_t len, char *err,
                                size_t errlen) {
    const unsigned char *p = data;
    ld L;
    memset(&L, 0, sizeof L);
    L.o = o;
    L.err = err;
    L.errlen = errlen;
    if (!p || len < CLU_CKPT_HEADER || memcmp(p, CLU_CKPT_MAGIC, 4)) {
        ld_fail(&L, "not a cluster checkpoint (%zu bytes, no \"%s\" header)", len, CLU_CKPT_MAGIC);
        return NULL;
    }
    unsigned version = (unsigned)p[4] | (unsigned)p[5] << 8;
    if (version != CLU_CKPT_VERSION || p[6] || p[7]) {
        ld_fail(&L, "cluster checkpoint of format version %u (flags %02x%02x); this build reads version %d", version,
                p[7], p[6], CLU_CKPT_VERSION);
        return NULL;
    }
    uint64_t body = le64(p + 8);
    if (body != len - CLU_CKPT_HEADER) {
        ld_fail(&L, "cluster checkpoint %s: %" PRIu64 " bytes announced, %zu present",
                body > len - CLU_CKPT_HEADER ? "truncated" : "has trailing bytes", body, len - CLU_CKPT_HEADER);
        return NULL;
    }
    if (le64(p + 16) != clu_ckpt_sum(p + CLU_CKPT_HEADER, len - CLU_CKPT_HEADER)) {
        ld_fail(&L, "cluster checkpoint damaged (checksum mismatch)");
        return NULL;
    }
    cx_clusterer *cl = cx_clusterer_new(o, err, errlen);
    if (!cl) return NULL;
    L.p = p + CLU_CKPT_HEADER;
    L.end = p + len;
    if (load_globals(&L, cl) < 0 || load_features(&L, cl) < 0 || load_slots(&L, cl) < 0 ||
        load_changed(&L, cl) < 0 || load_resends(&L, cl) < 0 || load_displays(&L, cl) < 0)
        goto fail;
    if (L.p != L.end) {
        ld_fail(&L, "%zu bytes left after the cluster state", (size_t)(L.end - L.p));
        goto fail;
    }
    if (link_postings(&L, cl) < 0) goto fail;
    char why[256];
    if (cx_clusterer_check(cl, why, sizeof why) < 0) {
        ld_fail(&L, "inconsistent cluster checkpoint: %s", why);
        goto fail;
    }
    return cl;
fail:
    cx_clusterer_destroy(&cl);
    return NULL;
}

void cx_clusterer_set_clock(cx_clusterer *cl, int64_t now_ms) {
    uint64_t shift = (uint64_t)now_ms - (uint64_t)cl->clock_ms;
    for (uint32_t s = 0; s < cl->nslots; s++) {
        clu_cluster *c = &cl->cl[s];
        if (c->id) c->last_event_ms = (int64_t)((uint64_t)c->last_event_ms + shift);
    }
    cl->clock_ms = now_ms;
}

/* The bookkeeping of clusterer.c's mark_dirty: a published cluster that is
 * not queued yet gets an entry in the changed list. */
int cx_clusterer_republish(cx_clusterer *cl) {
    int rc = 0;
    for (uint32_t s = 0; s < cl->nslots; s++) {
        clu_cluster *c = &cl->cl[s];
        if (!c->id || !c->published) continue;
        if (!c->queued) {
            if (cl->ndirty == cl->capdirty) {
                uint32_t nc = cl->capdirty ? cl->capdirty * 2 : 64;
                clu_dirty *nd = cx_realloc(cl->dirty, nc * sizeof *nd);
                if (!nd) { rc = -1; continue; }
                cl->dirty = nd;
                cl->capdirty = nc;
            }
            cl->dirty[cl->ndirty].slot = s;
            cl->dirty[cl->ndirty].id = c->id;
            cl->ndirty++;
            c->queued = 1;
        }
        c->dirty = 1;
    }
    return rc;
}
