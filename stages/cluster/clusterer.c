/* clusterer.c - online clustering of feedback records (see clusterer.h).
 *
 * Representation and bookkeeping: TF-IDF vectors, cluster centroids and an
 * inverted index; assignment: a one-pass Dirichlet multinomial mixture (the
 * default, described after step 5) or single-pass "leader" clustering by a
 * cosine threshold (steps 1-3).
 *
 *  1. A record becomes a sparse vector of two blocks.
 *     Word block: the stems of the content tokens (type word and not
 *     CX_TF_STOP with >= 2 characters, hashtags, numbers with >= 3 characters
 *     such as error codes), optionally bigrams of neighbouring content words
 *     (opts.bigram_weight, off by default); weight (1 + ln tf) x idf with
 *     idf = ln((1 + N) / (1 + df)) + 1 from running document frequencies
 *     (N and df counted before the record).  At most max_record_features of
 *     them (strongest first), scaled to unit length.
 *     Theme block: the tagger's theme ids (weight 1 + ln(mentions)) plus each
 *     parent id ("refunds_returns" for "refunds_returns.not_received") at half
 *     weight, times idf, scaled to length opts.theme_weight (0.75).
 *     Stems are language specific, so a German and a Persian complaint about
 *     refunds rarely share a word; they do share the theme id.  (For the
 *     leader method, with the theme block at 0.75, two records that share
 *     only their single theme have cosine 0.75^2 / (1 + 0.75^2) = 0.36,
 *     above its threshold 0.18; the DMM below weighs theme ids its own way.
 *     Measurements of both: docs/CLUSTERING.md.)
 *  2. A cluster keeps its centroid: the sum of its members' vectors, pruned
 *     to the max_terms strongest features, and its squared norm.  An inverted
 *     index maps every feature to the clusters whose centroid has it (with
 *     the weight), so the dot products of a record with all clusters cost
 *     only the postings of its own features - and only of its strong ones
 *     for finding candidates (exact pruning, see pick_cluster).
 *  3. The record joins the cluster of highest cosine when it reaches
 *     opts.similarity (cluster.similarity); ties go to the lowest cluster id.
 *     Otherwise it opens a new cluster: there is no preset number of clusters.
 *  4. Decay: a member's vector is added with the factor 2^((t - t0) / half
 *     life) (t = its event time, t0 = the cluster's time origin); since the
 *     cosine ignores the scale of the centroid this is exactly an exponential
 *     decay of older members, for the cost of one multiplication.  When the
 *     factor grows past 2^20 the cluster is rescaled and t0 moves.  The same
 *     half life ages clusters for retirement: vitality = size x 2^-(age /
 *     half life), age = time since the cluster's last member (event time).
 *  5. Bounds: live clusters <= max_clusters (at the cap the 1/64 of clusters
 *     with the lowest vitality - stale and small - are retired, with a
 *     "retired" event); centroid <= 1.5 x max_terms features (then pruned to
 *     max_terms); document-frequency table ~ max_vocab (lowest df forgotten
 *     first, never a feature a centroid still uses); resend filter ~
 *     2 x dedup_window keys; per cluster <= CLU_SURF surface forms per
 *     feature, <= CLU_CTR_MAX entries per counter, <= examples verbatims.
 *
 * The default assignment (cluster.method = dmm, pick_dmm) replaces step 3
 * by a one-pass Dirichlet multinomial mixture in the spirit of MStream
 * (Yin et al., KDD 2018), deterministic (argmax, no sampling):
 *
 *   score(z) = ln(m_z + lambda r_z) - ln(alpha D)
 *            + sum_w ln(1 + n_zw / beta) - [lnG(n_zL + V beta + N) - lnG(n_zL + V beta)
 *                                          - lnG(V beta + N) + lnG(V beta)]
 *            + w_t x (the same two terms over the theme-id features, n_zT, V_T)
 *
 * over the clusters that share a feature with the record (postings); the
 * record opens a new cluster when no score is above 0 (the new cluster's).
 * m_z, n_zw, n_z are decayed counts (the frame of step 4), D the decayed
 * number of records, V the vocabulary (feature table), N the record's word
 * features.  Words are scored against the members in the record's language
 * only (n_zL: per-language word totals, CLU_LANGS per cluster), so a cluster
 * without members in that language scores the words exactly as a new
 * cluster would and the theme ids decide: the bridge between languages.
 * Theme evidence counts w_t = theme_weight against a cluster that has
 * members in the record's language and in full against one that has none.
 * r_z is the cluster's recent activity (members weighted 2^-(records since
 * / recency_records)): feedback comes in bursts, and a record that fits two
 * clusters belongs more likely to the one that is active now.  The
 * measurements behind the method and its defaults are in docs/CLUSTERING.md
 * (`tools/cxflow eval cluster`); cluster.method = leader keeps the cosine
 * threshold above for comparison.
 *
 * Examples (central and diverse): the first `examples` members are kept;
 * after that a member replaces the least central example (its cosine to the
 * centroid when it joined) when it is more central by 0.05, where an example
 * of a language no other example has counts 0.1 more (and a newcomer in a
 * language not yet shown gets 0.1): a cluster with German and English
 * members shows both; and an example that nearly repeats another kept one
 * (word-set similarity >= 0.7 on a 64-bit signature) counts 0.1 less.  A
 * newcomer that nearly repeats a kept example can only take that example's
 * place, so five rewordings of one sentence do not fill the list.
 * Identical texts are kept once.  The first member (cosine 1) can only be
 * displaced by a near-identical member in a language not shown yet.
 *
 * Events (docs/ENVELOPE.md): "created" when a cluster opens, "grew" when its
 * size reaches 2, 3, 5, 10, 20, 50, 100, 200, 500, ..., "updated" from tick
 * for a cluster that changed since its last event, at most once per
 * update_interval_ms, "retired" when the cap evicts it.  A cluster of size 1
 * therefore costs one event (plus "retired" if it is evicted): it cannot
 * change without growing.  opts.publish_min_size > 1 silences clusters until
 * they reach that size ("created" then carries the current size). */
#include "clu_internal.h"
#include "cx_alloc.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_WORD 0x9e3779b97f4a7c15ULL
#define SEED_THEME 0x5851f42d4c957f2dULL
#define SEED_BIGRAM 0x14057b7ef767814fULL
#define SEED_SRC 0xd6e8feb86659fd93ULL
#define SEED_TEXT 0x2545f4914f6cdd1dULL

#define SCALE_MAX 1048576.0      /* 2^20: rescale a centroid beyond this factor */
#define SCALE_MIN 9.3e-10        /* 2^-30: floor for very late (out-of-order) records */
#define LOOKUP_RATIO 24           /* see pick_cluster */
#define DMM_WALK_BUDGET 64
#define TRIM_INTERVAL_MS 60000   /* see cx_clusterer_tick */     /* postings walked to find candidates, see pick_dmm */
#define EX_MARGIN 0.05           /* example replacement hysteresis */
#define EX_LANG_BONUS 0.1        /* example language diversity bonus */
#define EX_NEAR 0.7              /* word-set similarity of a near-duplicate example */
#define EX_DUP_PENALTY 0.1       /* a kept example with a near-duplicate is replaced first */

static void seterr(char *err, size_t errlen, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

/* ---- options ---- */

void cx_clusterer_opts_default(cx_clusterer_opts *o) {
    memset(o, 0, sizeof *o);
    o->method = CX_CLU_DMM;
    o->alpha = 0.3;
    o->beta = 0.01;
    o->recency_weight = 30;
    o->recency_records = 20;
    o->similarity = 0.18;
    o->max_clusters = 5000;
    o->examples = 5;
    o->negative_only = 1;
    o->theme_weight = 0.3;
    o->bigram_weight = 0.0;
    o->max_terms = 100;
    o->max_record_features = 64;
    o->max_vocab = 262144;
    o->dedup_window = 262144;
    o->half_life_ms = 7LL * 24 * 3600 * 1000;
    o->update_interval_ms = 2000;
    o->publish_min_size = 1;
    o->example_max_bytes = 400;
    o->first_id = 1;
    o->merge_similarity = 0.6;
    o->max_terms_total = 150000;
}

void cx_clusterer_opts_from_conf(cx_clusterer_opts *o, const cx_conf *c) {
    cx_clusterer_opts_default(o);
    const char *m = cx_conf_str(c, "cluster.method");
    o->method = m && !strcmp(m, "leader") ? CX_CLU_LEADER : CX_CLU_DMM;
    o->alpha = cx_conf_dbl(c, "cluster.alpha");
    o->beta = cx_conf_dbl(c, "cluster.beta");
    o->recency_weight = cx_conf_dbl(c, "cluster.recency_weight");
    o->recency_records = cx_conf_dbl(c, "cluster.recency_records");
    o->similarity = cx_conf_dbl(c, "cluster.similarity");
    o->half_life_ms = (int64_t)cx_conf_int(c, "cluster.half_life_s") * 1000;
    o->max_terms = (int)cx_conf_int(c, "cluster.max_terms");
    o->theme_weight = cx_conf_dbl(c, "cluster.theme_weight");
    o->bigram_weight = cx_conf_dbl(c, "cluster.bigram_weight");
    o->merge_similarity = cx_conf_dbl(c, "cluster.merge_similarity");
    o->max_terms_total = (long)cx_conf_int(c, "cluster.max_terms_total");
    o->max_clusters = (long)cx_conf_int(c, "cluster.max_clusters");
    o->examples = (int)cx_conf_int(c, "cluster.examples");
    o->negative_only = cx_conf_bool(c, "cluster.negative_only");
}

/* ---- lifecycle ---- */

cx_clusterer *cx_clusterer_new(const cx_clusterer_opts *o, char *err, size_t errlen) {
    const char *bad = NULL;
    if (!(o->similarity > 0 && o->similarity <= 1)) bad = "similarity must be in (0, 1]";
    else if (o->method != CX_CLU_DMM && o->method != CX_CLU_LEADER) bad = "method must be dmm or leader";
    else if (!(o->alpha > 0 && o->alpha <= 1e6)) bad = "alpha must be in (0, 1e6]";
    else if (!(o->beta > 0 && o->beta <= 100)) bad = "beta must be in (0, 100]";
    else if (!(o->recency_weight >= 0) || !(o->recency_records >= 1)) bad = "recency_weight must be >= 0, recency_records >= 1";
    else if (o->max_clusters < 1 || o->max_clusters > 100000000) bad = "max_clusters must be in [1, 1e8]";
    else if (o->examples < 1 || o->examples > 1000) bad = "examples must be in [1, 1000]";
    else if (!(o->theme_weight >= 0) || !(o->bigram_weight >= 0)) bad = "weights must be >= 0";
    else if (o->max_terms < 4) bad = "max_terms must be >= 4";
    else if (o->max_record_features < 1) bad = "max_record_features must be >= 1";
    else if (o->max_vocab < 16) bad = "max_vocab must be >= 16";
    else if (o->dedup_window < 1) bad = "dedup_window must be >= 1";
    else if (o->half_life_ms < 0 || o->update_interval_ms < 0) bad = "times must be >= 0";
    else if (o->example_max_bytes < 16) bad = "example_max_bytes must be >= 16";
    else if (o->first_id < 1) bad = "first_id must be >= 1";
    else if (!(o->merge_similarity >= 0 && o->merge_similarity <= 1)) bad = "merge_similarity must be in [0, 1]";
    if (bad) { seterr(err, errlen, bad); return NULL; }
    cx_clusterer *cl = cx_calloc(1, sizeof *cl);
    if (!cl) { seterr(err, errlen, "out of memory"); return NULL; }
    cl->o = *o;
    cl->ftab.max_count = (size_t)o->max_vocab;
    cl->next_id = o->first_id;
    cl->dedup.window = (size_t)o->dedup_window;
    cx_buf_init(&cl->sbuf);
    cx_buf_init(&cl->ev);
    cx_buf_init(&cl->label);
    return cl;
}

static void ctr_free(clu_ctr *c) {
    for (int i = 0; i < c->len; i++) cx_free(c->v[i].k);
    cx_free(c->v);
    memset(c, 0, sizeof *c);
}

/* Release everything a cluster owns (not its postings). */
static void cluster_free(clu_cluster *c) {
    cx_free(c->terms);
    cx_free(c->tidx);
    ctr_free(&c->themes);
    ctr_free(&c->langs);
    ctr_free(&c->channels);
    ctr_free(&c->products);
    ctr_free(&c->regions);
    for (uint32_t i = 0; i < c->nex; i++) { cx_free(c->ex[i].id); cx_free(c->ex[i].text); }
    cx_free(c->ex);
    memset(c, 0, sizeof *c);
}

void cx_clusterer_destroy(cx_clusterer **clp) {
    if (!clp || !*clp) return;
    cx_clusterer *cl = *clp;
    for (uint32_t s = 0; s < cl->nslots; s++)
        if (cl->cl[s].id) cluster_free(&cl->cl[s]);
    cx_free(cl->cl);
    clu_ftab_free(&cl->ftab);
    clu_dedup_free(&cl->dedup);
    cx_free(cl->rf);
    cx_free(cl->acc);
    cx_free(cl->touched);
    cx_free(cl->cinv);
    cx_free(cl->kf);
    cx_free(cl->acct);
    cx_free(cl->ord);
    cx_free(cl->dirty);
    cx_buf_free(&cl->sbuf);
    cx_buf_free(&cl->ev);
    cx_buf_free(&cl->label);
    cx_free(cl);
    *clp = NULL;
}

/* ---- small helpers ---- */

/* Does s have at least n UTF-8 characters? */
static int utf8_atleast(const char *s, int n) {
    int k = 0;
    for (; *s && k < n; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) k++;
    return k >= n;
}

/* Next event milestone after size n: 2, 3, 5, 10, 20, 50, 100, 200, 500, ... */
static uint32_t next_milestone(uint32_t n) {
    if (n < 2) return 2;
    if (n < 3) return 3;
    uint64_t m = 5;
    while (m <= n) {
        uint64_t dec = 1;
        while (dec * 10 <= m) dec *= 10;
        m = (m / dec == 5) ? dec * 10 : (m / dec == 1) ? dec * 2 : dec * 5;
    }
    return m > UINT32_MAX ? UINT32_MAX : (uint32_t)m;
}

/* Bounded string counter: count key n times; when full, the space-saving
 * rule replaces the smallest entry and gives the newcomer its count + n, which
 * keeps every frequent key with an overestimate bounded by the minimum.
 * Silently gives up when out of memory. */
static void ctr_add_n(clu_ctr *c, const char *key, uint32_t n) {
    if (!key || !*key) return;
    for (int i = 0; i < c->len; i++)
        if (!strcmp(c->v[i].k, key)) { c->v[i].n += n; return; }
    if (c->len < CLU_CTR_MAX) {
        if (c->len == c->cap) {
            uint16_t nc = c->cap ? (uint16_t)(c->cap * 2) : 2;
            if (nc > CLU_CTR_MAX) nc = CLU_CTR_MAX;
            clu_kv *nv = cx_realloc(c->v, nc * sizeof *nv);
            if (!nv) return;
            c->v = nv;
            c->cap = nc;
        }
        char *k = cx_strdup(key);
        if (!k) return;
        c->v[c->len].k = k;
        c->v[c->len].n = n;
        c->len++;
        return;
    }
    int mi = 0;
    for (int i = 1; i < c->len; i++)
        if (c->v[i].n < c->v[mi].n) mi = i;
    char *k = cx_strdup(key);
    if (!k) return;
    cx_free(c->v[mi].k);
    c->v[mi].k = k;
    c->v[mi].n += n;
}

static void ctr_add(clu_ctr *c, const char *key) { ctr_add_n(c, key, 1); }

/* Count one display form of feature f (space-saving over CLU_SURF slots). */
static void disp_add(clu_feat *f, const char *d) {
    if (!d || !*d) return;
    if (!f->disp && !(f->disp = cx_calloc(1, sizeof *f->disp))) return;
    clu_disp *p = f->disp;
    int free_k = -1, min_k = 0;
    for (int k = 0; k < CLU_SURF; k++) {
        if (!p->s[k]) { if (free_k < 0) free_k = k; continue; }
        if (!strcmp(p->s[k], d)) { p->n[k]++; return; }
        if (p->n[k] < p->n[min_k] || !p->s[min_k]) min_k = k;
    }
    char *s = cx_strdup(d);
    if (!s) return;
    if (free_k >= 0) {
        p->s[free_k] = s;
        p->n[free_k] = 1;
    } else {
        cx_free(p->s[min_k]);
        p->s[min_k] = s;
        p->n[min_k]++;
    }
}

/* ---- centroid terms: array + open-addressing index ---- */

static long term_find(const clu_cluster *c, uint64_t key) {
    if (!c->tidx_cap) return -1;
    uint32_t m = c->tidx_cap - 1;
    for (uint32_t i = (uint32_t)key & m;; i = (i + 1) & m) {
        uint32_t v = c->tidx[i];
        if (!v) return -1;
        if (c->terms[v - 1].key == key) return (long)v - 1;
    }
}

static void tidx_place(uint32_t *idx, uint32_t cap, uint64_t key, uint32_t ti) {
    uint32_t m = cap - 1, i = (uint32_t)key & m;
    while (idx[i]) i = (i + 1) & m;
    idx[i] = ti + 1;
}

/* Rebuild the term index with cap buckets.  0 / -1 (OOM, old index kept). */
static int tidx_rebuild(clu_cluster *c, uint32_t cap) {
    uint32_t *ni = cx_calloc(cap, sizeof *ni);
    if (!ni) return -1;
    for (uint32_t t = 0; t < c->nterms; t++) tidx_place(ni, cap, c->terms[t].key, t);
    cx_free(c->tidx);
    c->tidx = ni;
    c->tidx_cap = cap;
    return 0;
}

/* Room for one more term.  0 / -1 (OOM). */
static int term_reserve(clu_cluster *c) {
    if (c->nterms == c->capterms) {
        uint32_t nc = c->capterms ? c->capterms * 2 : 8;
        clu_term *nt = cx_realloc(c->terms, nc * sizeof *nt);
        if (!nt) return -1;
        c->terms = nt;
        c->capterms = nc;
    }
    if (c->tidx_cap < 2 * c->capterms) {
        uint32_t cap = c->tidx_cap ? c->tidx_cap : 16;
        while (cap < 2 * c->capterms) cap *= 2;
        if (tidx_rebuild(c, cap) < 0) return -1;
    }
    return 0;
}

/* ---- postings ---- */

/* Remove the posting at ppos of feature f (swap with the last one, fix the
 * moved posting's back-pointer in its cluster). */
static void post_remove(cx_clusterer *cl, clu_feat *f, uint32_t ppos) {
    uint32_t last = f->npost - 1;
    if (ppos != last) {
        clu_post mv = f->post[last];
        f->post[ppos] = mv;
        clu_cluster *o = &cl->cl[mv.slot];
        long ti = term_find(o, f->key);
        if (ti >= 0) o->terms[ti].ppos = ppos;
    }
    f->npost--;
    if (!f->npost) {
        cx_free(f->post);
        f->post = NULL;
        f->cappost = 0;
        clu_disp_free(f);
    } else if (f->cappost >= 16 && f->npost <= f->cappost / 4) {
        /* give back what a once-common feature no longer needs, so the
         * index holds what is live, not the largest it ever was */
        clu_post *np = cx_realloc(f->post, f->cappost / 2 * sizeof *np);
        if (np) {
            f->post = np;
            f->cappost /= 2;
        }
    }
}

/* ---- record features ---- */

static int rf_push(cx_clusterer *cl, uint64_t key, float tf, uint8_t kind, uint32_t order, uint32_t disp) {
    if (cl->nrf == cl->caprf) {
        uint32_t nc = cl->caprf ? cl->caprf * 2 : 64;
        clu_rfeat *n = cx_realloc(cl->rf, nc * sizeof *n);
        if (!n) return -1;
        cl->rf = n;
        uint32_t *o = cx_realloc(cl->ord, nc * sizeof *o);
        if (!o) return -1;
        cl->ord = o;
        cl->caprf = nc;
    }
    clu_rfeat *r = &cl->rf[cl->nrf++];
    r->key = key;
    r->tf = tf;
    r->w = 0;
    r->order = order;
    r->disp = disp;
    r->kind = kind;
    r->f = NULL;
    return 0;
}

/* Store a display form in the scratch buffer; its offset or UINT32_MAX. */
static uint32_t disp_put(cx_clusterer *cl, const char *a, size_t la, const char *b, size_t lb) {
    size_t off = cl->sbuf.len;
    if (off >= UINT32_MAX - 1024) return UINT32_MAX;
    if (cx_buf_append(&cl->sbuf, a, la) < 0) return UINT32_MAX;
    if (b && (cx_buf_append(&cl->sbuf, " ", 1) < 0 || cx_buf_append(&cl->sbuf, b, lb) < 0)) return UINT32_MAX;
    if (cx_buf_append(&cl->sbuf, "", 1) < 0) return UINT32_MAX; /* keep the NUL */
    return (uint32_t)off;
}

static const char *disp_get(const cx_clusterer *cl, uint32_t off) {
    return off == UINT32_MAX || cl->sbuf.oom ? NULL : cl->sbuf.data + off;
}

static int rf_cmp_key(const void *a, const void *b) {
    const clu_rfeat *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* word/bigram block first, strongest first, then key */
static int rf_cmp_weight(const void *a, const void *b) {
    const clu_rfeat *x = a, *y = b;
    int bx = x->kind == CLU_K_THEME, by = y->kind == CLU_K_THEME;
    if (bx != by) return bx - by;
    if (x->w != y->w) return x->w > y->w ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Turn env's tokens and themes into cl->rf: one entry per distinct feature
 * with its count, kind and display form (the surface form as written, or the
 * normalised form for a sentence-initial or all-caps token, so that
 * "Refund" at the start of a sentence counts as "refund").  0 / -1 (OOM). */
static int build_features(cx_clusterer *cl, const cx_env *env) {
    cl->nrf = 0;
    cx_buf_reset(&cl->sbuf);
    int prev = -1, chain = 0;
    uint64_t prev_key = 0;
    const char *prev_disp = NULL;
    size_t prev_len = 0;
    char prevbuf[128];
    for (uint32_t i = 0; i < env->n_tokens; i++) {
        const cx_token *tk = &env->tokens[i];
        const char *stem = tk->stem ? tk->stem : tk->norm;
        int ok = 0;
        if (stem) {
            if (tk->type == CX_TOK_WORD) ok = !(tk->flags & CX_TF_STOP) && utf8_atleast(stem, 2);
            else if (tk->type == CX_TOK_HASHTAG) ok = utf8_atleast(stem, 2);
            else if (tk->type == CX_TOK_NUMBER) ok = utf8_atleast(stem, 3);
        }
        if (!ok) {
            if (tk->flags & (CX_TF_CLAUSE_END | CX_TF_SENT_END)) chain = 0;
            continue;
        }
        uint64_t key = clu_hash_str(stem, SEED_WORD);
        int sent_start = i == 0 || env->tokens[i - 1].sent != tk->sent;
        const char *d = (sent_start || (tk->flags & CX_TF_ALLCAPS) || !tk->surface) ? tk->norm : tk->surface;
        if (!d) d = stem;
        size_t dl = strlen(d);
        uint32_t doff = disp_put(cl, d, dl, NULL, 0);
        if (rf_push(cl, key, 1, CLU_K_WORD, i, doff) < 0) return -1;
        if (cl->o.bigram_weight > 0 && chain && prev >= 0 && (int)i - prev <= 3 &&
            env->tokens[prev].sent == tk->sent) {
            uint64_t bk = clu_mix64(clu_mix64(prev_key ^ SEED_BIGRAM) + key);
            if (!bk) bk = 1;
            uint32_t boff = prev_disp ? disp_put(cl, prev_disp, prev_len, d, dl) : UINT32_MAX;
            if (rf_push(cl, bk, 1, CLU_K_BIGRAM, i, boff) < 0) return -1;
        }
        prev = (int)i;
        prev_key = key;
        prev_disp = NULL;
        if (dl < sizeof prevbuf) {
            memcpy(prevbuf, d, dl + 1);
            prev_disp = prevbuf;
            prev_len = dl;
        }
        chain = !(tk->flags & (CX_TF_CLAUSE_END | CX_TF_SENT_END));
    }
    for (uint32_t t = 0; t < env->n_themes; t++) {
        const char *id = env->themes[t].id;
        if (!id || !*id) continue;
        float mw = env->themes[t].weight;
        float tf = mw > 1 ? 1 + logf(mw) : 1;
        uint32_t order = 0x40000000u + t * 8;
        if (rf_push(cl, clu_hash_str(id, SEED_THEME), tf, CLU_K_THEME, order, UINT32_MAX) < 0) return -1;
        int depth = 1;
        for (const char *p = id; *p && depth < 8; p++) {
            if (*p != '.' || p == id) continue;
            uint64_t pk = clu_hash_mem(id, (size_t)(p - id), SEED_THEME);
            if (rf_push(cl, pk, tf * 0.5f, CLU_K_THEME, order + (uint32_t)depth++, UINT32_MAX) < 0) return -1;
        }
    }
    if (!cl->nrf) return 0;
    /* merge repeated features: counts add up, the first occurrence gives the display */
    qsort(cl->rf, cl->nrf, sizeof *cl->rf, rf_cmp_key);
    uint32_t w = 0;
    for (uint32_t i = 0; i < cl->nrf; i++) {
        if (w && cl->rf[w - 1].key == cl->rf[i].key) cl->rf[w - 1].tf += cl->rf[i].tf;
        else cl->rf[w++] = cl->rf[i];
    }
    cl->nrf = w;
    return 0;
}

/* Look the features up (inserting new ones), weigh them and normalise the
 * two blocks.  Features beyond max_record_features get weight 0 (they still
 * count for document frequencies).  Returns the norm of the record vector
 * (0 when nothing usable), or -1 when out of memory. */
static double weigh_features(cx_clusterer *cl) {
    clu_ftab_evict(&cl->ftab);
    if (clu_ftab_reserve(&cl->ftab, cl->nrf) < 0) return -1;
    double nw = 0, nt = 0;
    uint32_t nwords = 0;
    for (uint32_t i = 0; i < cl->nrf; i++) {
        clu_rfeat *r = &cl->rf[i];
        r->f = clu_ftab_upsert(&cl->ftab, r->key);
        if (!r->f) return -1; /* cannot happen after reserve */
        double idf = log((1.0 + cl->ndocs) / (1.0 + r->f->df)) + 1.0;
        double tfw = r->tf >= 1 ? 1 + log(r->tf) : r->tf;
        double wt = tfw * idf;
        if (r->kind == CLU_K_BIGRAM) wt *= cl->o.bigram_weight;
        r->w = (float)wt;
        if (r->kind != CLU_K_THEME) nwords++;
    }
    if (nwords > (uint32_t)cl->o.max_record_features) {
        qsort(cl->rf, cl->nrf, sizeof *cl->rf, rf_cmp_weight);
        for (uint32_t i = (uint32_t)cl->o.max_record_features; i < nwords; i++) cl->rf[i].w = 0;
    }
    for (uint32_t i = 0; i < cl->nrf; i++) {
        double x = cl->rf[i].w;
        if (cl->rf[i].kind == CLU_K_THEME) nt += x * x;
        else nw += x * x;
    }
    nw = sqrt(nw);
    nt = sqrt(nt);
    double tw = cl->o.theme_weight, norm2 = 0;
    for (uint32_t i = 0; i < cl->nrf; i++) {
        clu_rfeat *r = &cl->rf[i];
        if (r->kind == CLU_K_THEME) r->w = nt > 0 ? (float)(r->w * tw / nt) : 0;
        else r->w = nw > 0 ? (float)(r->w / nw) : 0;
        norm2 += (double)r->w * r->w;
    }
    return sqrt(norm2);
}

/* ---- assignment ---- */

/* Accumulate the record's dot product with the clusters that could reach
 * the threshold and return the slot of the most similar one (ties: lowest
 * id) with its cosine in *cos, or -1 when there is none.
 *
 * Exact pruning (Cauchy-Schwarz): a cluster that shares only features of a
 * set S with the record has cosine <= |r_S| / |r|.  So the weakest features
 * whose squared weights add up to less than similarity^2 x |r|^2 ("late"
 * features: typically the common words) need not find candidates; only the
 * others walk their postings to find candidates.  The late features then add
 * their share to the candidates only: by a sequential scan of their postings,
 * or, when the list is over LOOKUP_RATIO times longer than the candidate set,
 * by one centroid lookup per candidate (a lookup costs about as much as
 * scanning LOOKUP_RATIO postings).  Leaves cl->acc all zero. */
static long pick_cluster(cx_clusterer *cl, double rnorm, double *cos) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < cl->nrf; i++)
        if (cl->rf[i].w > 0) {
            /* insertion sort by ascending weight (ties: key order, as rf is) */
            uint32_t j = n++;
            while (j > 0 && cl->rf[cl->ord[j - 1]].w > cl->rf[i].w) { cl->ord[j] = cl->ord[j - 1]; j--; }
            cl->ord[j] = i;
        }
    double budget = cl->o.similarity * cl->o.similarity * rnorm * rnorm, mass = 0;
    uint32_t nlate = 0;
    while (nlate < n) {
        double w = cl->rf[cl->ord[nlate]].w;
        if (mass + w * w >= budget * 0.999) break; /* margin against rounding */
        mass += w * w;
        nlate++;
    }
    cl->ntouched = 0;
    for (uint32_t k = nlate; k < n; k++) {
        const clu_rfeat *r = &cl->rf[cl->ord[k]];
        const clu_feat *f = r->f;
        for (uint32_t p = 0; p < f->npost; p++) {
            uint32_t s = f->post[p].slot;
            if (cl->acc[s] == 0) cl->touched[cl->ntouched++] = s;
            cl->acc[s] += r->w * f->post[p].w;
        }
    }
    for (uint32_t k = 0; k < nlate && cl->ntouched; k++) {
        const clu_rfeat *r = &cl->rf[cl->ord[k]];
        const clu_feat *f = r->f;
        if (f->npost > LOOKUP_RATIO * cl->ntouched) {
            for (uint32_t t = 0; t < cl->ntouched; t++) {
                const clu_cluster *c = &cl->cl[cl->touched[t]];
                long ti = term_find(c, r->key);
                if (ti >= 0) cl->acc[cl->touched[t]] += r->w * c->terms[ti].w;
            }
            continue;
        }
        for (uint32_t p = 0; p < f->npost; p++) {
            uint32_t s = f->post[p].slot;
            if (cl->acc[s] != 0) cl->acc[s] += r->w * f->post[p].w;
        }
    }
    long best = -1;
    double bc = -1, rinv = 1.0 / rnorm;
    for (uint32_t i = 0; i < cl->ntouched; i++) {
        uint32_t s = cl->touched[i];
        double cs = cl->acc[s] * cl->cinv[s] * rinv;
        cl->acc[s] = 0;
        if (cs > bc || (cs == bc && best >= 0 && cl->cl[s].id < cl->cl[best].id)) {
            bc = cs;
            best = s;
        }
    }
    cl->ntouched = 0;
    *cos = bc;
    return best;
}

/* ln(1 + x) for x >= 0, to about 1e-5 (relative), without a libm call: the
 * posting walk of pick_dmm takes one per posting.  1 + x = 2^e m with m in
 * [1, 2); ln m = 2 atanh(t), t = (m - 1) / (m + 1) < 1/3, by its series to t^7. */
static inline float dmm_ln1p(float x) {
    union { float f; uint32_t u; } v = {.f = 1.0f + x};
    int e = (int)(v.u >> 23) - 127;
    v.u = (v.u & 0x7fffffu) | 0x3f800000u;
    float t = (v.f - 1.0f) / (v.f + 1.0f), t2 = t * t;
    return (float)e * 0.69314718f + 2.0f * t * (1.0f + t2 * (1.0f / 3 + t2 * (1.0f / 5 + t2 * (1.0f / 7))));
}

/* The factor that turns the decay-scaled counts of c into counts as of
 * event time t (1 without decay). */
static double frame_factor(const cx_clusterer *cl, const clu_cluster *c, int64_t t) {
    if (cl->o.half_life_ms <= 0) return 1.0;
    double k = exp2((double)(c->tref_ms - t) / (double)cl->o.half_life_ms);
    return k > 0 ? k : 1e-300;
}

/* The decayed number of clustered records as of t (DMM D). */
static double docs_at(const cx_clusterer *cl, int64_t t) {
    if (cl->o.half_life_ms <= 0 || t <= cl->dd_ms) return cl->dd;
    return cl->dd * exp2((double)(cl->dd_ms - t) / (double)cl->o.half_life_ms);
}

/* The recent activity of c as of now (the next record's position). */
static double recent(const cx_clusterer *cl, const clu_cluster *c) {
    return c->rec * exp2(-(double)(cl->pos - c->rec_pos) / cl->o.recency_records);
}

/* What the DMM scores of one record share (see pick_dmm). */
typedef struct dmm_ctx {
    double lnew;          /* ln(alpha D): the new cluster's prior */
    double vb, vbt;       /* V beta for words and for theme ids */
    double ndw, ndt;      /* the record's word and theme-id features */
    double lg_w, lg_t;    /* the new cluster's normalisers */
    double tw;            /* theme_weight */
    const char *lang;     /* the record's language */
} dmm_ctx;

/* ln of the prior of the cluster in slot s, relative to a new cluster's;
 * bound: with the recent activity as of its last member (no decay since),
 * which is never smaller and saves an exp2. */
static double dmm_prior(const cx_clusterer *cl, uint32_t s, const dmm_ctx *x, int bound) {
    const clu_cluster *c = &cl->cl[s];
    double m = c->msz * cl->kf[s];
    if (cl->o.recency_weight > 0) m += cl->o.recency_weight * (bound ? c->rec : recent(cl, c));
    return m > 0 ? log(m) - x->lnew : -1e300;
}

/* An upper bound of dmm_exact: the prior and the gains without the
 * normalisers (both >= 0) and with the theme gain at full weight. */
static double dmm_bound(const cx_clusterer *cl, uint32_t s, const dmm_ctx *x) {
    return dmm_prior(cl, s, x, 1) + cl->acc[s] + cl->acct[s];
}

/* The score of joining the cluster in slot s against opening a new one
 * (> 0: better than a new cluster); the formula is at the top of the file. */
static double dmm_exact(const cx_clusterer *cl, uint32_t s, const dmm_ctx *x) {
    const clu_cluster *c = &cl->cl[s];
    double k = cl->kf[s], nzt = c->nzt * k, nzl = 0;
    for (int q = 0; q < c->nlg; q++)
        if (!strcmp(c->lg[q].code, x->lang)) nzl = c->lg[q].nz * k;
    double sc = dmm_prior(cl, s, x, 0);
    if (sc <= -1e300) return sc;
    sc += cl->acc[s];
    if (x->ndw > 0) sc -= lgamma(nzl + x->vb + x->ndw) - lgamma(nzl + x->vb) - x->lg_w;
    /* theme evidence: down-weighted (theme_weight) against a cluster whose
     * members write the record's language, where the words decide; in full
     * against one without, where the words score exactly as for a new
     * cluster and the theme ids are all there is */
    if (x->ndt > 0)
        sc += (nzl > 0 ? x->tw : 1.0) * (cl->acct[s] - (lgamma(nzt + x->vbt + x->ndt) - lgamma(nzt + x->vbt) - x->lg_t));
    return sc;
}

/* DMM assignment (see the top of the file): the cluster that maximises
 *   ln m_z + sum_w ln((n_zw + beta) / beta) - sum_{i<N} ln((n_z + V beta + i) / (V beta + i))
 * against ln(alpha D) for a new cluster, over the clusters that share a
 * feature with the record (for the others the first sum is 0 and, with
 * n_z >= m_z, the score stays below a new cluster's for any D >= m_z / alpha:
 * see docs/CLUSTERING.md).  Ties go to the lowest id.  -1 = open a new one. */
static long pick_dmm(cx_clusterer *cl, const cx_env *env, int64_t t) {
    double beta = cl->o.beta, ibeta = 1.0 / beta;
    double V = cl->ftab.count ? (double)cl->ftab.count : 1.0, vb = V * beta;
    double vbt = (cl->vt > 1 ? cl->vt : 1) * beta;
    double ndw = 0, ndt = 0;
    float tw = (float)cl->o.theme_weight, bw = (float)cl->o.bigram_weight;
    const char *lang = env->lang[0] ? env->lang : "und";
    /* the record's features by ascending posting-list length */
    uint32_t n = 0;
    for (uint32_t i = 0; i < cl->nrf; i++) {
        if (cl->rf[i].w <= 0) continue;
        uint32_t len = cl->rf[i].f->npost, j = n++;
        while (j > 0 && cl->rf[cl->ord[j - 1]].f->npost > len) { cl->ord[j] = cl->ord[j - 1]; j--; }
        cl->ord[j] = i;
    }
    /* Candidates come from the selective features: full posting lists are
     * walked, shortest first, while the walk stays within DMM_WALK_BUDGET
     * postings (the first list always).  The remaining, common features add
     * their share to those candidates only (a lookup per candidate or a
     * filtered scan, whichever is cheaper), so a cluster that shares nothing
     * but common words with the record is not scored: the cost per record
     * stays bounded when thousands of clusters contain "card". */
    uint32_t walked = 0, k = 0;
    cl->ntouched = 0;
    for (; k < n; k++) {
        const clu_rfeat *r = &cl->rf[cl->ord[k]];
        const clu_feat *f = r->f;
        if (k > 0 && walked + f->npost > DMM_WALK_BUDGET) break;
        walked += f->npost;
        int theme = r->kind == CLU_K_THEME;
        float fw = r->kind == CLU_K_BIGRAM ? bw : 1.0f; /* themes: weighed per candidate below */
        float *acc = theme ? cl->acct : cl->acc;
        for (uint32_t p = 0; p < f->npost; p++) {
            uint32_t s = f->post[p].slot;
            if (cl->kf[s] < 0) {
                cl->kf[s] = (float)frame_factor(cl, &cl->cl[s], t);
                cl->touched[cl->ntouched++] = s;
            }
            acc[s] += fw * dmm_ln1p(f->post[p].c * cl->kf[s] * (float)ibeta);
        }
    }
    for (; k < n; k++) {
        const clu_rfeat *r = &cl->rf[cl->ord[k]];
        const clu_feat *f = r->f;
        float fw = r->kind == CLU_K_BIGRAM ? bw : 1.0f;
        float *acc = r->kind == CLU_K_THEME ? cl->acct : cl->acc;
        if (f->npost > LOOKUP_RATIO * cl->ntouched) {
            for (uint32_t q = 0; q < cl->ntouched; q++) {
                uint32_t s = cl->touched[q];
                long ti = term_find(&cl->cl[s], r->key);
                if (ti >= 0) acc[s] += fw * dmm_ln1p(cl->cl[s].terms[ti].c * cl->kf[s] * (float)ibeta);
            }
            continue;
        }
        for (uint32_t p = 0; p < f->npost; p++) {
            uint32_t s = f->post[p].slot;
            if (cl->kf[s] >= 0) acc[s] += fw * dmm_ln1p(f->post[p].c * cl->kf[s] * (float)ibeta);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        const clu_rfeat *r = &cl->rf[cl->ord[i]];
        if (r->kind == CLU_K_THEME) ndt += 1;
        else ndw += r->kind == CLU_K_BIGRAM ? bw : 1.0f;
    }
    double D = docs_at(cl, t);
    dmm_ctx x = {.lnew = log(cl->o.alpha * (D > 1 ? D : 1)), .vb = vb, .vbt = vbt, .ndw = ndw, .ndt = ndt,
                 .lg_w = lgamma(vb + ndw) - lgamma(vb), .lg_t = lgamma(vbt + ndt) - lgamma(vbt), .tw = tw,
                 .lang = lang};
    /* The normalisers (the lgamma terms) are >= 0, so prior + gains bound a
     * candidate's score from above: score the candidate with the best bound
     * first, then only those whose bound can still win (ties included). */
    long best = -1, top = -1;
    double bs = 0, topub = -1e300;
    for (uint32_t i = 0; i < cl->ntouched; i++) {
        double ub = dmm_bound(cl, cl->touched[i], &x);
        if (ub > topub) { topub = ub; top = i; }
    }
    for (long pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < cl->ntouched; i++) {
            if ((pass == 0) != ((long)i == top)) continue;
            uint32_t s = cl->touched[i];
            if (pass && dmm_bound(cl, s, &x) < bs) continue;
            double sc = dmm_exact(cl, s, &x);
            if (sc > bs || (sc == bs && best >= 0 && cl->cl[s].id < cl->cl[best].id)) {
                bs = sc;
                best = s;
            }
        }
    }
    for (uint32_t i = 0; i < cl->ntouched; i++) {
        uint32_t s = cl->touched[i];
        cl->acc[s] = 0;
        cl->acct[s] = 0;
        cl->kf[s] = -1;
    }
    cl->ntouched = 0;
    return best;
}

/* Cosine of the record (weights cl->rf, norm rnorm) with the centroid of
 * slot: how central the record is (examples). */
static double record_cos(const cx_clusterer *cl, uint32_t slot, double rnorm) {
    const clu_cluster *c = &cl->cl[slot];
    double dot = 0;
    for (uint32_t i = 0; i < cl->nrf; i++) {
        if (cl->rf[i].w <= 0) continue;
        long ti = term_find(c, cl->rf[i].key);
        if (ti >= 0) dot += (double)cl->rf[i].w * c->terms[ti].w;
    }
    return rnorm > 0 ? dot * cl->cinv[slot] / rnorm : 0;
}

/* Keep the cached inverse norm of a centroid in step with norm2. */
static void norm_sync(cx_clusterer *cl, uint32_t slot) {
    double n2 = cl->cl[slot].norm2;
    cl->cinv[slot] = n2 > 0 ? 1.0 / sqrt(n2) : 0;
}

/* Multiply a centroid (terms, postings, norm) by k. */
static void centroid_scale(cx_clusterer *cl, clu_cluster *c, double k) {
    for (uint32_t i = 0; i < c->nterms; i++) {
        clu_term *t = &c->terms[i];
        t->w = (float)(t->w * k);
        t->c = (float)(t->c * k);
        clu_feat *f = clu_ftab_find(&cl->ftab, t->key);
        if (f && t->ppos < f->npost) {
            f->post[t->ppos].w = t->w;
            f->post[t->ppos].c = t->c;
        }
    }
    c->norm2 *= k * k;
    c->msz *= k;
    c->nzs *= k;
    c->nzt *= k;
    for (int i = 0; i < c->nlg; i++) c->lg[i].nz *= k;
}

/* Drop the terms marked with key 0 (their postings already removed),
 * recompute the norm exactly and rebuild the index; the arrays shrink to
 * the next power of two when at least half empty, so a pruned cluster gives
 * memory back (with slack of 4x, long-lived clusters kept growing the
 * capacity of the term arrays: docs/CLUSTERING.md, "Memory over a long
 * run"). */
static void terms_compact(cx_clusterer *cl, clu_cluster *c) {
    uint32_t w = 0;
    double n2 = 0;
    for (uint32_t i = 0; i < c->nterms; i++) {
        if (!c->terms[i].key) continue;
        c->terms[w++] = c->terms[i];
        n2 += (double)c->terms[w - 1].w * c->terms[w - 1].w;
    }
    cl->terms_total -= c->nterms - w;
    c->nterms = w;
    c->norm2 = n2;
    if (c->capterms > 16 && c->capterms >= 2 * w) {
        uint32_t nc = 16;
        while (nc < w) nc *= 2;
        clu_term *nt = cx_realloc(c->terms, nc * sizeof *nt);
        uint32_t *ni = nt ? cx_calloc(2 * nc, sizeof *ni) : NULL;
        if (nt) { c->terms = nt; c->capterms = nc; }
        if (ni) { cx_free(c->tidx); c->tidx = ni; c->tidx_cap = 2 * nc; }
    }
    memset(c->tidx, 0, c->tidx_cap * sizeof *c->tidx);
    for (uint32_t t = 0; t < c->nterms; t++) tidx_place(c->tidx, c->tidx_cap, c->terms[t].key, t);
}

static int tw_cmp(const void *a, const void *b) {
    const clu_term *x = *(clu_term *const *)a, *y = *(clu_term *const *)b;
    if (x->w != y->w) return x->w > y->w ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Keep the max_terms strongest centroid features (ties: lower key), drop the
 * rest with their postings, and recompute the norm exactly. */
static void centroid_prune(cx_clusterer *cl, clu_cluster *c, uint32_t keep) {
    if (c->nterms <= keep) return;
    clu_term **order = cx_malloc(c->nterms * sizeof *order);
    if (!order) return;
    for (uint32_t i = 0; i < c->nterms; i++) order[i] = &c->terms[i];
    qsort(order, c->nterms, sizeof *order, tw_cmp);
    for (uint32_t i = keep; i < c->nterms; i++) {
        clu_term *t = order[i];
        clu_feat *f = clu_ftab_find(&cl->ftab, t->key);
        if (f && t->ppos < f->npost) post_remove(cl, f, t->ppos);
        t->key = 0; /* marks it dropped */
    }
    cx_free(order);
    terms_compact(cl, c);
}

/* Prune c when it holds more than 1.5 x max_terms.  When the live clusters
 * together hold more than max_terms_total, every cluster above its share of
 * 90% of the budget (at least 16 terms) is pruned to that share: a sweep
 * over the live clusters that frees at least a tenth of the budget, so its
 * cost is amortised over the joins that filled it. */
static void centroid_maybe_prune(cx_clusterer *cl, clu_cluster *c) {
    if (c->nterms > (uint32_t)cl->o.max_terms + (uint32_t)cl->o.max_terms / 2)
        centroid_prune(cl, c, (uint32_t)cl->o.max_terms);
    if (cl->o.max_terms_total <= 0 || cl->terms_total <= (size_t)cl->o.max_terms_total || !cl->live) return;
    size_t share = (size_t)cl->o.max_terms_total * 9 / 10 / cl->live;
    uint32_t keep = share < 16 ? 16 : share > (size_t)cl->o.max_terms ? (uint32_t)cl->o.max_terms : (uint32_t)share;
    for (uint32_t s = 0; s < cl->nslots; s++)
        if (cl->cl[s].id && cl->cl[s].nterms > keep) {
            centroid_prune(cl, &cl->cl[s], keep);
            norm_sync(cl, s);
        }

}

/* Offer env as an example of c (rule at the top of this file).  The text
 * is hashed (for the identical-text check) only when it would be stored. */
/* The record's word features (cl->rf) as a 64-bit set. */
static uint64_t record_sig(const cx_clusterer *cl) {
    uint64_t sig = 0;
    for (uint32_t i = 0; i < cl->nrf; i++)
        if (cl->rf[i].w > 0 && cl->rf[i].kind != CLU_K_THEME) sig |= 1ULL << (clu_mix64(cl->rf[i].key) & 63);
    return sig;
}

/* Jaccard similarity of two feature sets (estimated on 64 bits). */
static double sig_sim(uint64_t a, uint64_t b) {
    int u = __builtin_popcountll(a | b);
    return u ? (double)__builtin_popcountll(a & b) / u : 1.0;
}

/* The record's word features as a 256-bit set (the split reservoir). */
static clu_sig256 record_sig256(const cx_clusterer *cl) {
    clu_sig256 sig = {{0, 0, 0, 0}};
    for (uint32_t i = 0; i < cl->nrf; i++)
        if (cl->rf[i].w > 0 && cl->rf[i].kind != CLU_K_THEME) {
            uint64_t h = clu_mix64(cl->rf[i].key) & 255;
            sig.w[h >> 6] |= 1ULL << (h & 63);
        }
    return sig;
}

static double sig256_sim(const clu_sig256 *a, const clu_sig256 *b) {
    int u = 0, x = 0;
    for (int k = 0; k < 4; k++) {
        u += __builtin_popcountll(a->w[k] | b->w[k]);
        x += __builtin_popcountll(a->w[k] & b->w[k]);
    }
    return u ? (double)x / u : 1.0;
}

/* Remember a member's signature in the ring of recent ones (splits). */
static void res_add(clu_cluster *c, clu_sig256 sig) {
    c->res[c->rpos] = sig;
    c->rpos = (uint8_t)((c->rpos + 1) % CLU_RES);
    if (c->nres < CLU_RES) c->nres++;
}

static void example_offer(cx_clusterer *cl, clu_cluster *c, const cx_env *env, double cos) {
    if (!env->text || !*env->text) return;
    const char *lang = env->lang[0] ? env->lang : "und";
    uint64_t sig = record_sig(cl);
    uint32_t at;
    long twin = -1; /* a kept example the newcomer nearly repeats */
    for (uint32_t i = 0; i < c->nex && twin < 0; i++)
        if (sig_sim(sig, c->ex[i].sig) >= EX_NEAR) twin = (long)i;
    if (twin >= 0) {
        /* a near-duplicate can only take its twin's place, when more central */
        if (cos <= c->ex[twin].score + EX_MARGIN) return;
        at = (uint32_t)twin;
    } else if (c->nex < (uint32_t)cl->o.examples) {
        at = c->nex;
    } else {
        int lang_shown = 0;
        for (uint32_t i = 0; i < c->nex && !lang_shown; i++) lang_shown = !strcmp(c->ex[i].lang, lang);
        double cand = cos + (lang_shown ? 0 : EX_LANG_BONUS), low = 0;
        long victim = -1;
        for (uint32_t i = 0; i < c->nex; i++) {
            int same = 0, dup = 0;
            for (uint32_t j = 0; j < c->nex; j++) {
                same += !strcmp(c->ex[i].lang, c->ex[j].lang);
                dup |= j != i && sig_sim(c->ex[i].sig, c->ex[j].sig) >= EX_NEAR;
            }
            double eff = c->ex[i].score + (same == 1 ? EX_LANG_BONUS : 0) - (dup ? EX_DUP_PENALTY : 0);
            if (victim < 0 || eff <= low) { victim = (long)i; low = eff; }
        }
        if (victim < 0 || cand <= low + EX_MARGIN) return;
        at = (uint32_t)victim;
    }
    size_t len = strlen(env->text);
    uint64_t h = clu_hash_mem(env->text, len, SEED_TEXT);
    for (uint32_t i = 0; i < c->nex; i++)
        if (c->ex[i].text_hash == h) return;
    if (!c->ex && !(c->ex = cx_calloc((size_t)cl->o.examples, sizeof *c->ex))) return;
    size_t cut = len;
    int ell = 0;
    if (cut > (size_t)cl->o.example_max_bytes) {
        cut = (size_t)cl->o.example_max_bytes;
        while (cut > 0 && ((unsigned char)env->text[cut] & 0xC0) == 0x80) cut--;
        ell = 1;
    }
    char *text = cx_malloc(cut + 4);
    char *id = cx_strdup(env->id ? env->id : "");
    if (!text || !id) { cx_free(text); cx_free(id); return; }
    memcpy(text, env->text, cut);
    if (ell) memcpy(text + cut, "\xe2\x80\xa6", 3); /* … */
    text[cut + (ell ? 3 : 0)] = '\0';
    clu_example *e = &c->ex[at];
    if (at < c->nex) { cx_free(e->id); cx_free(e->text); }
    else c->nex++;
    e->id = id;
    e->text = text;
    snprintf(e->lang, sizeof e->lang, "%s", lang);
    e->score = (float)cos;
    e->text_hash = h;
    e->sig = sig;
    e->sig256 = record_sig256(cl);
}

/* The centroid term of feature f (key, kind) in the cluster in slot, added
 * with an empty posting when missing; NULL when out of memory. */
static clu_term *term_get(cx_clusterer *cl, uint32_t slot, clu_feat *f, uint64_t key, uint8_t kind) {
    clu_cluster *c = &cl->cl[slot];
    long ti = term_find(c, key);
    if (ti < 0) {
        if (term_reserve(c) < 0) return NULL;
        long pos = clu_post_push(f, slot, 0);
        if (pos < 0) return NULL;
        ti = (long)c->nterms++;
        cl->terms_total++;
        clu_term *nt = &c->terms[ti];
        memset(nt, 0, sizeof *nt);
        nt->key = key;
        nt->kind = kind;
        nt->ppos = (uint32_t)pos;
        tidx_place(c->tidx, c->tidx_cap, key, (uint32_t)ti);
    }
    return &c->terms[ti];
}

/* Add weight dw and count dc to term tm of c (feature f): norm and posting follow. */
static void term_add(clu_cluster *c, clu_feat *f, clu_term *tm, double dw, double dc) {
    double old = tm->w;
    tm->w = (float)(tm->w + dw);
    tm->c = (float)(tm->c + dc);
    c->norm2 += (double)tm->w * tm->w - old * old;
    f->post[tm->ppos].w = tm->w;
    f->post[tm->ppos].c = tm->c;
}

/* Add x to the word total of language code in c; a language beyond
 * CLU_LANGS takes the place of the one with the smallest total. */
static void lang_add(clu_cluster *c, const char *code, double x) {
    int at = -1, low = 0;
    for (int i = 0; i < c->nlg; i++) {
        if (!strcmp(c->lg[i].code, code)) { at = i; break; }
        if (c->lg[i].nz < c->lg[low].nz) low = i;
    }
    if (at < 0) {
        at = c->nlg < CLU_LANGS ? c->nlg++ : low;
        snprintf(c->lg[at].code, sizeof c->lg[at].code, "%s", code);
        c->lg[at].nz = 0;
    }
    c->lg[at].nz += x;
}

/* Add the record (cl->rf) to the cluster in slot with cosine cos: centroid
 * (with the decay factor), postings, surface forms, statistics, examples.
 * A feature that cannot get memory is left out of the centroid. */
static void cluster_join(cx_clusterer *cl, uint32_t slot, const cx_env *env, int64_t t, double cos) {
    clu_cluster *c = &cl->cl[slot];
    double g = 1.0;
    if (cl->o.half_life_ms > 0) {
        g = exp2((double)(t - c->tref_ms) / (double)cl->o.half_life_ms);
        if (g > SCALE_MAX) {
            centroid_scale(cl, c, 1.0 / g);
            c->tref_ms = t;
            g = 1.0;
        } else if (g < SCALE_MIN) {
            g = SCALE_MIN;
        }
    }
    uint32_t nf = 0;
    double nfw = 0, nft = 0; /* the DMM length (bigrams count bigram_weight), its theme part */
    for (uint32_t i = 0; i < cl->nrf; i++) {
        const clu_rfeat *r = &cl->rf[i];
        if (r->w <= 0) continue;
        nf++;
        nfw += r->kind == CLU_K_BIGRAM ? cl->o.bigram_weight : 1.0;
        if (r->kind == CLU_K_THEME) nft += 1.0;
        clu_term *tm = term_get(cl, slot, r->f, r->key, r->kind);
        if (!tm) continue;
        term_add(c, r->f, tm, g * r->w, g);
        tm->n++;
        if (r->kind != CLU_K_THEME) disp_add(r->f, disp_get(cl, r->disp));
    }
    c->nfeat += nf;
    c->msz += g;
    c->nzs += g * nfw;
    c->nzt += g * nft;
    lang_add(c, env->lang[0] ? env->lang : "und", g * (nfw - nft));
    c->rec = recent(cl, c) + 1;
    c->rec_pos = cl->pos;
    centroid_maybe_prune(cl, c);
    if (!c->size || t < c->first_ms) c->first_ms = t;
    if (!c->size || t > c->last_ms) c->last_ms = t;
    c->size++;
    c->sent_sum += env->sentiment;
    for (uint32_t i = 0; i < env->n_themes; i++) ctr_add(&c->themes, env->themes[i].id);
    ctr_add(&c->langs, env->lang[0] ? env->lang : "und");
    ctr_add(&c->channels, env->channel);
    ctr_add(&c->products, env->product);
    ctr_add(&c->regions, env->region);
    example_offer(cl, c, env, cos);
    res_add(c, record_sig256(cl));
    norm_sync(cl, slot);
}

/* ---- slots, events, retirement ---- */

/* A free cluster slot (zeroed), or -1 when out of memory. */
static long slot_alloc(cx_clusterer *cl) {
    if (cl->free_head) {
        uint32_t s = cl->free_head - 1;
        cl->free_head = cl->cl[s].free_next;
        memset(&cl->cl[s], 0, sizeof cl->cl[s]);
        return s;
    }
    if (cl->nslots == cl->capslots) {
        uint32_t nc = cl->capslots ? cl->capslots * 2 : 64;
        if (nc > (uint32_t)cl->o.max_clusters) nc = (uint32_t)cl->o.max_clusters;
        if (nc <= cl->capslots) return -1;
        clu_cluster *ncl = cx_realloc(cl->cl, nc * sizeof *ncl);
        if (!ncl) return -1;
        cl->cl = ncl;
        float *na = cx_realloc(cl->acc, nc * sizeof *na);
        if (!na) return -1;
        cl->acc = na;
        memset(cl->acc + cl->capslots, 0, (nc - cl->capslots) * sizeof *na);
        uint32_t *nt = cx_realloc(cl->touched, nc * sizeof *nt);
        if (!nt) return -1;
        cl->touched = nt;
        double *ni = cx_realloc(cl->cinv, nc * sizeof *ni);
        if (!ni) return -1;
        cl->cinv = ni;
        float *nk = cx_realloc(cl->kf, nc * sizeof *nk);
        if (!nk) return -1;
        cl->kf = nk;
        float *nt2 = cx_realloc(cl->acct, nc * sizeof *nt2);
        if (!nt2) return -1;
        cl->acct = nt2;
        memset(cl->acct + cl->capslots, 0, (nc - cl->capslots) * sizeof *nt2);
        cl->capslots = nc;
    }
    uint32_t s = cl->nslots++;
    memset(&cl->cl[s], 0, sizeof cl->cl[s]);
    cl->cinv[s] = 0;
    cl->kf[s] = -1;
    return s;
}

/* Mark a published cluster changed and queue it once for "updated". */
static void mark_dirty(cx_clusterer *cl, uint32_t slot) {
    clu_cluster *c = &cl->cl[slot];
    if (!c->published) return;
    if (!c->queued) {
        if (cl->ndirty == cl->capdirty) {
            uint32_t nc = cl->capdirty ? cl->capdirty * 2 : 64;
            clu_dirty *nd = cx_realloc(cl->dirty, nc * sizeof *nd);
            if (!nd) return; /* the change shows up with the cluster's next event instead */
            cl->dirty = nd;
            cl->capdirty = nc;
        }
        cl->dirty[cl->ndirty].slot = slot;
        cl->dirty[cl->ndirty].id = c->id;
        cl->ndirty++;
        c->queued = 1;
    }
    c->dirty = 1;
}

/* Emit one event for c.  0 when delivered (c is then clean), -1 otherwise. */
static int emit_event_x(cx_clusterer *cl, clu_cluster *c, const char *what, clu_evx *x,
                        cx_clu_emit_fn emit, void *arg) {
    if (!emit) {
        c->dirty = 0;
        return 0;
    }
    x->deco = cl->deco;
    x->deco_arg = cl->deco_arg;
    x->ftab = &cl->ftab;
    if (clu_event_json(c, what, x, &cl->ev) < 0 || emit(arg, cl->ev.data, cl->ev.len) < 0) {
        cl->st.events_failed++;
        return -1;
    }
    c->seq++;
    c->last_event_ms = cl->clock_ms;
    c->dirty = 0;
    cl->st.events++;
    return 0;
}

static int emit_event(cx_clusterer *cl, clu_cluster *c, const char *what, const char *reason,
                      cx_clu_emit_fn emit, void *arg) {
    clu_evx x = {.reason = reason};
    return emit_event_x(cl, c, what, &x, emit, arg);
}

/* Take the cluster in slot out: postings, memory, slot back to the free list. */
static void cluster_drop(cx_clusterer *cl, uint32_t slot) {
    clu_cluster *c = &cl->cl[slot];
    for (uint32_t i = 0; i < c->nterms; i++) {
        clu_feat *f = clu_ftab_find(&cl->ftab, c->terms[i].key);
        if (f && c->terms[i].ppos < f->npost) post_remove(cl, f, c->terms[i].ppos);
    }
    cl->terms_total -= c->nterms;
    cluster_free(c);
    cl->cinv[slot] = 0;
    c->free_next = cl->free_head;
    cl->free_head = slot + 1;
    cl->live--;
}

/* Retire the cluster in slot: "retired" event, then out. */
static void cluster_retire(cx_clusterer *cl, uint32_t slot, cx_clu_emit_fn emit, void *arg) {
    clu_cluster *c = &cl->cl[slot];
    if (c->published) emit_event(cl, c, "retired", "cap", emit, arg);
    cluster_drop(cl, slot);
    cl->st.retired++;
}

/* ---- merging ---- */

#define MERGE_POST_MAX 64        /* posting lists longer than this do not propose twins */
#define MERGE_CANDIDATES 8       /* proposed twins whose exact cosine is computed */

/* Exact cosine of the centroids in slots a and b (the smaller one's terms
 * looked up in the other). */
static double centroid_cos(const cx_clusterer *cl, uint32_t a, uint32_t b) {
    const clu_cluster *x = &cl->cl[a], *y = &cl->cl[b];
    if (x->nterms > y->nterms) { const clu_cluster *t = x; x = y; y = t; }
    double dot = 0;
    for (uint32_t i = 0; i < x->nterms; i++) {
        long ti = term_find(y, x->terms[i].key);
        if (ti >= 0) dot += (double)x->terms[i].w * y->terms[ti].w;
    }
    return dot * cl->cinv[a] * cl->cinv[b];
}

/* The live cluster whose centroid is most similar (cosine of the TF-IDF
 * centroids) to the one in slot, with the cosine in *cos; -1 when none.
 * Twins are proposed by the selective features (posting lists of at most
 * MERGE_POST_MAX), ranked by their share of the dot product; the exact
 * cosine is computed for the best MERGE_CANDIDATES of them.  The cost stays
 * bounded however many clusters share the common words.  Leaves cl->acc all
 * zero. */
static long merge_candidate(cx_clusterer *cl, uint32_t slot, double *cos) {
    const clu_cluster *c = &cl->cl[slot];
    cl->ntouched = 0;
    for (uint32_t i = 0; i < c->nterms; i++) {
        const clu_term *t = &c->terms[i];
        const clu_feat *f = clu_ftab_find(&cl->ftab, t->key);
        if (!f || f->npost > MERGE_POST_MAX) continue;
        for (uint32_t p = 0; p < f->npost; p++) {
            uint32_t s = f->post[p].slot;
            if (s == slot) continue;
            if (cl->acc[s] == 0) cl->touched[cl->ntouched++] = s;
            cl->acc[s] += t->w * f->post[p].w;
        }
    }
    uint32_t top[MERGE_CANDIDATES];
    int nt = 0;
    for (uint32_t i = 0; i < cl->ntouched; i++) {
        uint32_t s = cl->touched[i];
        float v = cl->acc[s] * (float)cl->cinv[s];
        int j;
        if (nt < MERGE_CANDIDATES) {
            j = nt++;
        } else {
            j = MERGE_CANDIDATES - 1;
            if (v <= cl->acc[top[j]] * (float)cl->cinv[top[j]]) continue;
        }
        while (j > 0 && v > cl->acc[top[j - 1]] * (float)cl->cinv[top[j - 1]]) { top[j] = top[j - 1]; j--; }
        top[j] = s;
    }
    long best = -1;
    double bc = 0;
    for (int i = 0; i < nt; i++) {
        double cs = centroid_cos(cl, slot, top[i]);
        if (cs > bc || (cs == bc && best >= 0 && cl->cl[top[i]].id < cl->cl[best].id)) {
            bc = cs;
            best = top[i];
        }
    }
    for (uint32_t i = 0; i < cl->ntouched; i++) cl->acc[cl->touched[i]] = 0;
    cl->ntouched = 0;
    *cos = bc;
    return best;
}

/* Give example e (owned, moved) to c when it is new there and c has room or
 * it is more central than c's least central one; frees what is not kept. */
static void example_take(cx_clusterer *cl, clu_cluster *c, clu_example *e) {
    int dup = 0;
    uint32_t low = 0;
    for (uint32_t i = 0; i < c->nex; i++) {
        dup |= c->ex[i].text_hash == e->text_hash;
        if (c->ex[i].score < c->ex[low].score) low = i;
    }
    if (!dup && !c->ex && !(c->ex = cx_calloc((size_t)cl->o.examples, sizeof *c->ex))) dup = 1;
    if (!dup && c->nex < (uint32_t)cl->o.examples) {
        c->ex[c->nex++] = *e;
        return;
    }
    if (!dup && e->score > c->ex[low].score + EX_MARGIN) {
        cx_free(c->ex[low].id);
        cx_free(c->ex[low].text);
        c->ex[low] = *e;
        return;
    }
    cx_free(e->id);
    cx_free(e->text);
}

/* Merge the cluster in slot b into the one in slot a: centroid terms (in a's
 * decay frame), DMM counts, statistics, breakdowns, examples.  b keeps its
 * id until the caller drops it.  A term that cannot get memory is lost. */
static void cluster_absorb(cx_clusterer *cl, uint32_t ai, uint32_t bi) {
    clu_cluster *a = &cl->cl[ai], *b = &cl->cl[bi];
    double g = 1.0;
    if (cl->o.half_life_ms > 0) {
        if (b->tref_ms > a->tref_ms) { /* bring a to the later frame */
            centroid_scale(cl, a, exp2((double)(a->tref_ms - b->tref_ms) / (double)cl->o.half_life_ms));
            a->tref_ms = b->tref_ms;
        } else {
            g = exp2((double)(b->tref_ms - a->tref_ms) / (double)cl->o.half_life_ms);
        }
    }
    for (uint32_t i = 0; i < b->nterms; i++) {
        const clu_term *tb = &b->terms[i];
        clu_feat *f = clu_ftab_find(&cl->ftab, tb->key);
        clu_term *tm = f ? term_get(cl, ai, f, tb->key, tb->kind) : NULL;
        if (!tm) continue;
        term_add(a, f, tm, g * tb->w, g * tb->c);
        tm->n += tb->n;
    }
    a->msz += g * b->msz;
    a->nzs += g * b->nzs;
    a->nzt += g * b->nzt;
    for (int i = 0; i < b->nlg; i++) lang_add(a, b->lg[i].code, g * b->lg[i].nz);
    a->rec = recent(cl, a) + recent(cl, b);
    a->rec_pos = cl->pos;
    if (b->first_ms < a->first_ms) a->first_ms = b->first_ms;
    if (b->last_ms > a->last_ms) a->last_ms = b->last_ms;
    a->size += b->size;
    a->sent_sum += b->sent_sum;
    a->nfeat += b->nfeat;
    const clu_ctr *from[5] = {&b->themes, &b->langs, &b->channels, &b->products, &b->regions};
    clu_ctr *to[5] = {&a->themes, &a->langs, &a->channels, &a->products, &a->regions};
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < from[k]->len; i++) ctr_add_n(to[k], from[k]->v[i].k, from[k]->v[i].n);
    for (uint32_t i = 0; i < b->nex; i++) example_take(cl, a, &b->ex[i]);
    b->nex = 0;
    centroid_maybe_prune(cl, a);
    /* the norm was updated incrementally: recompute it exactly once */
    double n2 = 0;
    for (uint32_t i = 0; i < a->nterms; i++) n2 += (double)a->terms[i].w * a->terms[i].w;
    a->norm2 = n2;
    norm_sync(cl, ai);
    while (a->next_grow <= a->size) a->next_grow = next_milestone(a->next_grow);
}

/* When the cluster in slot has a twin (centroid cosine >= merge_similarity),
 * merge the smaller of the two (on equal size: the younger) into the other:
 * a "merged" event for the absorbed one (merged_into), a "grew" event with
 * "absorbed" for the survivor.  Returns the survivor's slot (slot itself
 * when nothing merged). */
static uint32_t maybe_merge(cx_clusterer *cl, uint32_t slot, cx_clu_emit_fn emit, void *arg) {
    if (cl->o.merge_similarity <= 0) return slot;
    double cos;
    long other = merge_candidate(cl, slot, &cos);
    if (other < 0 || cos < cl->o.merge_similarity) return slot;
    uint32_t a = slot, b = (uint32_t)other;
    if (cl->cl[b].size > cl->cl[a].size || (cl->cl[b].size == cl->cl[a].size && cl->cl[b].id < cl->cl[a].id)) {
        a = (uint32_t)other;
        b = slot;
    }
    clu_cluster *ca = &cl->cl[a], *cb = &cl->cl[b];
    cluster_absorb(cl, a, b);
    if (cb->published) {
        clu_evx x = {.merged_into = ca->id};
        emit_event_x(cl, cb, "merged", &x, emit, arg);
    }
    if (ca->published) {
        clu_evx x = {.absorbed = cb->id};
        if (emit_event_x(cl, ca, "grew", &x, emit, arg) < 0) mark_dirty(cl, a);
    } else if (ca->size >= cl->o.publish_min_size) {
        ca->published = 1;
        if (emit_event(cl, ca, "created", NULL, emit, arg) < 0) mark_dirty(cl, a);
    }
    cluster_drop(cl, b);
    cl->st.merged++;
    return a;
}

/* ---- splitting ----
 * A cluster keeps the word-feature signatures (64-bit sets, as for the
 * examples) of its last CLU_RES members.  At a size milestone of at least
 * SPLIT_MIN_SIZE it tries the best two-way split of them (every pair of
 * members as the two medoids, the others to the nearer one).  When both
 * parts have at least SPLIT_MIN_PART members, each part is cohesive (mean
 * similarity to its medoid >= SPLIT_WITHIN) and the parts share almost no
 * words (mean similarity between them <= SPLIT_BETWEEN), the cluster holds
 * two problems: the smaller part leaves as a new cluster.  It takes the
 * centroid terms only its members' signatures have, its share of the
 * counts, sizes, breakdowns and sentiment (in proportion to the parts), and
 * the examples nearer to its medoid; the origin keeps its id.  Approximate
 * by design: the stage keeps no member list. */
#define SPLIT_MIN_SIZE 20
#define SPLIT_MIN_PART 5
#define SPLIT_WITHIN 0.3
#define SPLIT_BETWEEN 0.05

/* The best two-way split of c's signatures: medoids *ma, *mb, part of each
 * member in part[] (0: ma's, 1: mb's).  Returns 1 when it passes the rule. */
static int split_find(const clu_cluster *c, int *ma, int *mb, uint8_t *part) {
    int n = c->nres;
    if (n < 2 * SPLIT_MIN_PART) return 0;
    double best = -1;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++) {
            double fit = 0;
            for (int i = 0; i < n; i++) {
                double sa = sig256_sim(&c->res[i], &c->res[a]), sb = sig256_sim(&c->res[i], &c->res[b]);
                fit += sa >= sb ? sa : sb;
            }
            if (fit > best) { best = fit; *ma = a; *mb = b; }
        }
    int na = 0, nb = 0;
    double wa = 0, wb = 0, between = 0;
    for (int i = 0; i < n; i++) {
        double sa = sig256_sim(&c->res[i], &c->res[*ma]), sb = sig256_sim(&c->res[i], &c->res[*mb]);
        part[i] = sb > sa;
        if (part[i]) { nb++; wb += sb; } else { na++; wa += sa; }
    }
    if (na < SPLIT_MIN_PART || nb < SPLIT_MIN_PART) return 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (!part[i] && part[j]) between += sig256_sim(&c->res[i], &c->res[j]);
    between /= (double)na * nb;
    return wa / na >= SPLIT_WITHIN && wb / nb >= SPLIT_WITHIN && between <= SPLIT_BETWEEN;
}

/* Split the cluster in slot when split_find says so: "split" events for both
 * parts (split_into / split_from).  Returns the new part's slot, or -1;
 * *newest_left: the newest member (the record just added) is in the new part. */
static long maybe_split(cx_clusterer *cl, uint32_t slot, cx_clu_emit_fn emit, void *arg, int *newest_left) {
    clu_cluster *c = &cl->cl[slot];
    int ma = 0, mb = 1;
    uint8_t part[CLU_RES];
    if (c->size < SPLIT_MIN_SIZE || !split_find(c, &ma, &mb, part)) return -1;
    int nb = 0;
    clu_sig256 sig_a = {{0, 0, 0, 0}}, sig_b = {{0, 0, 0, 0}};
    for (int i = 0; i < c->nres; i++) {
        nb += part[i];
        for (int k = 0; k < 4; k++) {
            if (part[i]) sig_b.w[k] |= c->res[i].w[k];
            else sig_a.w[k] |= c->res[i].w[k];
        }
    }
    if (nb * 2 > c->nres) { /* the smaller part leaves */
        for (int i = 0; i < c->nres; i++) part[i] = !part[i];
        clu_sig256 t = sig_a; sig_a = sig_b; sig_b = t;
        int m = ma; ma = mb; mb = m;
        nb = c->nres - nb;
    }
    clu_sig256 only_b;
    uint64_t any = 0;
    for (int k = 0; k < 4; k++) any |= only_b.w[k] = sig_b.w[k] & ~sig_a.w[k];
    if (!any) return -1;
    *newest_left = part[(c->rpos + CLU_RES - 1) % CLU_RES];
    if (cl->live >= (size_t)cl->o.max_clusters) return -1; /* no room: no split at the cap */
    long ns = slot_alloc(cl);
    if (ns < 0) return -1;
    c = &cl->cl[slot]; /* slot_alloc may move the array */
    clu_cluster *d = &cl->cl[ns];
    double f = (double)nb / c->nres;
    d->id = cl->next_id++;
    d->tref_ms = c->tref_ms;
    d->last_event_ms = cl->clock_ms;
    cl->live++;
    cl->st.created++;
    /* the terms only the leaving part writes go, with all their weight */
    for (uint32_t i = 0; i < c->nterms; i++) {
        clu_term *t = &c->terms[i];
        uint64_t h = clu_mix64(t->key) & 255;
        if (t->kind == CLU_K_THEME || !(only_b.w[h >> 6] >> (h & 63) & 1)) continue;
        clu_feat *ft = clu_ftab_find(&cl->ftab, t->key);
        clu_term *tm = ft ? term_get(cl, (uint32_t)ns, ft, t->key, t->kind) : NULL;
        if (!tm) continue;
        c = &cl->cl[slot];
        t = &c->terms[i];
        term_add(d, ft, tm, t->w, t->c);
        tm->n = t->n;
        post_remove(cl, ft, t->ppos);
        t->key = 0;
    }
    terms_compact(cl, c);
    /* theme terms are shared: each part gets its share */
    for (uint32_t i = 0; i < c->nterms; i++) {
        clu_term *t = &c->terms[i];
        if (t->kind != CLU_K_THEME) continue;
        clu_feat *ft = clu_ftab_find(&cl->ftab, t->key);
        clu_term *tm = ft ? term_get(cl, (uint32_t)ns, ft, t->key, t->kind) : NULL;
        if (!tm) continue;
        t = &c->terms[i];
        term_add(d, ft, tm, t->w * f, t->c * f);
        tm->n = (uint32_t)(t->n * f + 0.5);
        if (!tm->n) tm->n = 1; /* the new part holds the theme: a member of it has it */
        term_add(c, ft, t, -t->w * f, -t->c * f);
        t->n -= tm->n < t->n ? tm->n : 0;
    }
    double n2 = 0;
    for (uint32_t i = 0; i < c->nterms; i++) n2 += (double)c->terms[i].w * c->terms[i].w;
    c->norm2 = n2;
    n2 = 0;
    for (uint32_t i = 0; i < d->nterms; i++) n2 += (double)d->terms[i].w * d->terms[i].w;
    d->norm2 = n2;
    /* counts and statistics in proportion */
    uint32_t moved = (uint32_t)(c->size * f + 0.5);
    if (moved < 1) moved = 1;
    if (moved >= c->size) moved = c->size - 1;
    d->size = moved;
    c->size -= moved;
    d->msz = c->msz * f; c->msz -= d->msz;
    d->nzs = c->nzs * f; c->nzs -= d->nzs;
    d->nzt = c->nzt * f; c->nzt -= d->nzt;
    for (int i = 0; i < c->nlg; i++) {
        d->lg[i] = c->lg[i];
        d->lg[i].nz = c->lg[i].nz * f;
        c->lg[i].nz -= d->lg[i].nz;
    }
    d->nlg = c->nlg;
    d->rec = recent(cl, c) * f;
    c->rec = recent(cl, c) - d->rec;
    d->rec_pos = c->rec_pos = cl->pos;
    d->sent_sum = c->sent_sum * f;
    c->sent_sum -= d->sent_sum;
    d->nfeat = (uint64_t)(c->nfeat * f);
    c->nfeat -= d->nfeat;
    d->first_ms = c->first_ms;
    d->last_ms = c->last_ms;
    const clu_ctr *from[5] = {&c->themes, &c->langs, &c->channels, &c->products, &c->regions};
    clu_ctr *to[5] = {&d->themes, &d->langs, &d->channels, &d->products, &d->regions};
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < from[k]->len; i++) {
            uint32_t m = (uint32_t)(from[k]->v[i].n * f + 0.5);
            if (!m) continue;
            ctr_add_n(to[k], from[k]->v[i].k, m);
            from[k]->v[i].n = from[k]->v[i].n > m ? from[k]->v[i].n - m : 1;
        }
    /* the members' signatures and the examples nearer to the leaving part's medoid */
    clu_sig256 mbs = c->res[mb], mas = c->res[ma], keep[CLU_RES];
    int nk = 0;
    for (int i = 0; i < c->nres; i++) {
        if (part[i]) res_add(d, c->res[i]);
        else keep[nk++] = c->res[i];
    }
    c->nres = 0;
    c->rpos = 0;
    for (int i = 0; i < nk; i++) res_add(c, keep[i]);
    uint32_t w = 0;
    for (uint32_t i = 0; i < c->nex; i++) {
        clu_example e = c->ex[i];
        if (sig256_sim(&e.sig256, &mbs) > sig256_sim(&e.sig256, &mas)) example_take(cl, d, &e);
        else c->ex[w++] = e;
    }
    c->nex = w;
    /* a member count of a term cannot exceed its cluster's (estimated) size */
    for (uint32_t i = 0; i < c->nterms; i++)
        if (c->terms[i].n > c->size) c->terms[i].n = c->size;
    for (uint32_t i = 0; i < d->nterms; i++)
        if (d->terms[i].n > d->size) d->terms[i].n = d->size;
    c->next_grow = next_milestone(c->size);
    d->next_grow = next_milestone(d->size);
    norm_sync(cl, slot);
    norm_sync(cl, (uint32_t)ns);
    cl->st.split++;
    /* events: the new part first ("split" with split_from), then the origin */
    if (c->published) {
        d->published = 1;
        clu_evx xd = {.split_from = c->id};
        if (emit_event_x(cl, d, "split", &xd, emit, arg) < 0) mark_dirty(cl, (uint32_t)ns);
        clu_evx xc = {.split_into = d->id};
        if (emit_event_x(cl, c, "split", &xc, emit, arg) < 0) mark_dirty(cl, slot);
    }
    return ns;
}

typedef struct victim_t {
    double vit;
    int64_t last_ms, id;
    uint32_t slot;
} victim_t;

static int victim_cmp(const void *a, const void *b) {
    const victim_t *x = a, *y = b;
    if (x->vit != y->vit) return x->vit < y->vit ? -1 : 1;
    if (x->last_ms != y->last_ms) return x->last_ms < y->last_ms ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static double vitality(const cx_clusterer *cl, const clu_cluster *c) {
    if (cl->o.half_life_ms <= 0) return c->size;
    return c->size * exp2(-(double)(cl->stream_ms - c->last_ms) / (double)cl->o.half_life_ms);
}

/* Max-heap on victim_cmp (the worst of the kept victims on top). */
static void heap_down(victim_t *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && victim_cmp(&h[l], &h[m]) > 0) m = l;
        if (r < n && victim_cmp(&h[r], &h[m]) > 0) m = r;
        if (m == i) return;
        victim_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_up(victim_t *h, size_t i) {
    while (i > 0 && victim_cmp(&h[(i - 1) / 2], &h[i]) < 0) {
        victim_t t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/* At the cluster cap: retire the max(1, cap/64) clusters of lowest vitality
 * (stale and small first; ties: older last member, then lower id), found
 * with a bounded heap in O(n log k).  Batches keep the cost per new cluster
 * at O(log k) amortised. */
static void retire_stalest(cx_clusterer *cl, cx_clu_emit_fn emit, void *arg) {
    size_t k = (size_t)cl->o.max_clusters / 64;
    if (k < 1) k = 1;
    victim_t one, *h = k == 1 ? &one : cx_malloc(k * sizeof *h);
    if (!h) { h = &one; k = 1; }
    size_t n = 0;
    for (uint32_t s = 0; s < cl->nslots; s++) {
        const clu_cluster *c = &cl->cl[s];
        if (!c->id) continue;
        victim_t x = {vitality(cl, c), c->last_ms, c->id, s};
        if (n < k) {
            h[n] = x;
            heap_up(h, n++);
        } else if (victim_cmp(&x, &h[0]) < 0) {
            h[0] = x;
            heap_down(h, n, 0);
        }
    }
    qsort(h, n, sizeof *h, victim_cmp);
    for (size_t i = 0; i < n; i++) cluster_retire(cl, h[i].slot, emit, arg);
    if (h != &one) cx_free(h);
}

/* ---- the public entry point ---- */

void cx_clusterer_set_decorator(cx_clusterer *cl, cx_clu_deco_fn fn, void *arg) {
    cl->deco = fn;
    cl->deco_arg = arg;
}

int cx_clusterer_add(cx_clusterer *cl, cx_env *env, cx_clu_emit_fn emit, void *arg,
                     char *err, size_t errlen) {
    cl->st.records++;
    env->cluster_id = 0;
    if (cl->o.negative_only && env->label != CX_LABEL_NEGATIVE) {
        cl->st.skipped++;
        return 0;
    }
    uint64_t src = 0;
    if (env->topic && env->offset >= 0) {
        src = clu_hash_str(env->topic, SEED_SRC);
        src = clu_mix64(src ^ ((uint64_t)(uint32_t)env->partition * 0x9e3779b97f4a7c15ULL));
        src = clu_mix64(src ^ (uint64_t)env->offset);
        if (!src) src = 1;
        int64_t seen = clu_dedup_get(&cl->dedup, src);
        if (seen >= 0) {
            env->cluster_id = seen;
            cl->st.duplicates++;
            return 0;
        }
    }
    int64_t t = env->ts_ms > 0 ? env->ts_ms : cl->stream_ms;
    if (t > cl->stream_ms) cl->stream_ms = t;
    if (build_features(cl, env) < 0) goto oom;
    if (!cl->nrf) { cl->st.empty++; return 0; }
    double rnorm = weigh_features(cl);
    if (rnorm < 0) goto oom;
    if (rnorm == 0) { cl->st.empty++; return 0; }

    double cos = 0;
    long slot;
    if (cl->o.method == CX_CLU_LEADER) {
        slot = pick_cluster(cl, rnorm, &cos);
        if (cos < cl->o.similarity) slot = -1;
    } else {
        slot = pick_dmm(cl, env, t);
        if (slot >= 0) cos = record_cos(cl, (uint32_t)slot, rnorm);
    }
    int created = 0;
    if (slot < 0) {
        if (cl->live >= (size_t)cl->o.max_clusters) retire_stalest(cl, emit, arg);
        slot = slot_alloc(cl);
        if (slot < 0) goto oom;
        clu_cluster *c = &cl->cl[slot];
        c->id = cl->next_id++;
        c->tref_ms = t;
        c->next_grow = next_milestone(1);
        c->last_event_ms = cl->clock_ms;
        cl->live++;
        cl->st.created++;
        created = 1;
        cos = 1.0;
    }
    cluster_join(cl, (uint32_t)slot, env, t, cos);
    for (uint32_t i = 0; i < cl->nrf; i++) {
        if (cl->rf[i].kind == CLU_K_THEME && !cl->rf[i].f->df) cl->vt++;
        if (cl->rf[i].f->df < UINT32_MAX) cl->rf[i].f->df++;
    }
    cl->ndocs++;
    cl->pos++;
    if (cl->o.half_life_ms <= 0) cl->dd += 1;
    else if (t >= cl->dd_ms) { cl->dd = docs_at(cl, t) + 1; cl->dd_ms = t; }
    else cl->dd += exp2((double)(t - cl->dd_ms) / (double)cl->o.half_life_ms);
    cl->st.clustered++;

    clu_cluster *c = &cl->cl[slot];
    env->cluster_id = c->id;
    if (src) clu_dedup_put(&cl->dedup, src, c->id);
    /* events */
    if (!c->published) {
        if (c->size >= cl->o.publish_min_size) {
            c->published = 1;
            while (c->next_grow <= c->size) c->next_grow = next_milestone(c->next_grow);
            if (emit_event(cl, c, "created", NULL, emit, arg) < 0) mark_dirty(cl, (uint32_t)slot);
        }
    } else if (!created && c->size >= c->next_grow) {
        while (c->next_grow <= c->size) c->next_grow = next_milestone(c->next_grow);
        /* at a size milestone: does the cluster now have a twin? */
        uint32_t surv = maybe_merge(cl, (uint32_t)slot, emit, arg);
        int newest_left = 0;
        long part = surv == (uint32_t)slot ? maybe_split(cl, (uint32_t)slot, emit, arg, &newest_left) : -1;
        if (surv != (uint32_t)slot || (part >= 0 && newest_left)) {
            env->cluster_id = cl->cl[part >= 0 ? (uint32_t)part : surv].id;
            if (src) clu_dedup_put(&cl->dedup, src, env->cluster_id);
        } else if (part < 0 && emit_event(cl, &cl->cl[slot], "grew", NULL, emit, arg) < 0) {
            mark_dirty(cl, (uint32_t)slot);
        }
    } else {
        mark_dirty(cl, (uint32_t)slot);
    }
    return 0;
oom:
    cl->st.failed++;
    seterr(err, errlen, "cluster: out of memory");
    return -1;
}

/* Walk the changed list: emit "updated" for the clusters that are due (all
 * of them when force), keep the ones not due or not delivered, drop the
 * entries of retired or clean clusters.  Returns the failed deliveries. */
static size_t drain_dirty(cx_clusterer *cl, int force, cx_clu_emit_fn emit, void *arg) {
    size_t failed = 0;
    uint32_t w = 0;
    for (uint32_t i = 0; i < cl->ndirty; i++) {
        clu_dirty d = cl->dirty[i];
        clu_cluster *c = &cl->cl[d.slot];
        if (c->id != d.id) continue; /* retired (the slot may hold a newer cluster) */
        if (c->dirty && (force || cl->clock_ms - c->last_event_ms >= cl->o.update_interval_ms)) {
            if (emit_event(cl, c, "updated", NULL, emit, arg) < 0) failed++;
        }
        if (!c->dirty) { c->queued = 0; continue; }
        cl->dirty[w++] = d;
    }
    cl->ndirty = w;
    return failed;
}

void cx_clusterer_tick(cx_clusterer *cl, int64_t now_ms, cx_clu_emit_fn emit, void *arg) {
    cl->clock_ms = now_ms;
    drain_dirty(cl, 0, emit, arg);

}

size_t cx_clusterer_flush(cx_clusterer *cl, cx_clu_emit_fn emit, void *arg) {
    return drain_dirty(cl, 1, emit, arg);
}

/* ---- inspection ---- */

void cx_clusterer_get_stats(const cx_clusterer *cl, cx_clusterer_stats *st) {
    *st = cl->st;
    st->live = cl->live;
    st->vocab = cl->ftab.count;
    st->terms = cl->terms_total;
}

static size_t ctr_bytes(const clu_ctr *c) {
    size_t b = c->cap * sizeof *c->v;
    for (int i = 0; i < c->len; i++) b += strlen(c->v[i].k) + 1;
    return b;
}

void cx_clusterer_get_mem(const cx_clusterer *cl, cx_clusterer_mem *m) {
    memset(m, 0, sizeof *m);
    const clu_ftab *t = &cl->ftab;
    m->features = t->cap * sizeof *t->b;
    for (size_t i = 0; i < t->cap; i++) {
        const clu_feat *f = &t->b[i];
        if (!f->key) continue;
        m->postings += f->cappost * sizeof *f->post;
        if (!f->disp) continue;
        m->display += sizeof *f->disp;
        for (int k = 0; k < CLU_SURF; k++)
            if (f->disp->s[k]) m->display += strlen(f->disp->s[k]) + 1;
    }
    m->slots = cl->capslots * (sizeof *cl->cl + sizeof *cl->acc + sizeof *cl->touched + sizeof *cl->cinv +
                               sizeof *cl->kf + sizeof *cl->acct) +
               cl->capdirty * sizeof *cl->dirty;
    for (uint32_t s = 0; s < cl->nslots; s++) {
        const clu_cluster *c = &cl->cl[s];
        if (!c->id) continue;
        m->terms += c->capterms * sizeof *c->terms + c->tidx_cap * sizeof *c->tidx;
        m->counters += ctr_bytes(&c->themes) + ctr_bytes(&c->langs) + ctr_bytes(&c->channels) +
                       ctr_bytes(&c->products) + ctr_bytes(&c->regions);
        if (c->ex) m->examples += (size_t)cl->o.examples * sizeof *c->ex;
        for (uint32_t i = 0; i < c->nex; i++)
            m->examples += strlen(c->ex[i].id) + 1 + strlen(c->ex[i].text) + 4;
    }
    m->dedup = cl->dedup.cap * 2 * (sizeof(uint64_t) + sizeof(int64_t));
    m->total = m->features + m->postings + m->display + m->slots + m->terms + m->examples + m->counters + m->dedup;
}

static long slot_of(const cx_clusterer *cl, int64_t id) {
    if (id <= 0) return -1;
    for (uint32_t s = 0; s < cl->nslots; s++)
        if (cl->cl[s].id == id) return s;
    return -1;
}

int cx_clusterer_info(cx_clusterer *cl, int64_t id, cx_cluster_info *out) {
    long s = slot_of(cl, id);
    if (s < 0) return -1;
    const clu_cluster *c = &cl->cl[s];
    cx_buf_reset(&cl->label);
    clu_label(&cl->ftab, c, &cl->label);
    memset(out, 0, sizeof *out);
    out->id = c->id;
    out->size = c->size;
    out->first_seen_ms = c->first_ms;
    out->last_seen_ms = c->last_ms;
    out->sentiment = c->size ? c->sent_sum / c->size : 0;
    out->n_terms = c->nterms;
    out->n_examples = c->nex;
    out->label = cl->label.oom || !cl->label.data ? "" : cl->label.data;
    return 0;
}

static int id_cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

size_t cx_clusterer_ids(const cx_clusterer *cl, int64_t *ids, size_t max) {
    int64_t *all = cx_malloc((cl->live ? cl->live : 1) * sizeof *all);
    size_t n = 0;
    for (uint32_t s = 0; s < cl->nslots; s++) {
        if (!cl->cl[s].id) continue;
        if (all) all[n] = cl->cl[s].id;
        else if (n < max) ids[n] = cl->cl[s].id;
        n++;
    }
    if (all) {
        qsort(all, n, sizeof *all, id_cmp);
        memcpy(ids, all, (n < max ? n : max) * sizeof *ids);
        cx_free(all);
    }
    return n;
}

int cx_clusterer_describe(cx_clusterer *cl, int64_t id, const char *what, cx_buf *out) {
    long s = slot_of(cl, id);
    if (s < 0) return -1;
    clu_evx x = {.deco = cl->deco, .deco_arg = cl->deco_arg, .ftab = &cl->ftab};
    return clu_event_json(&cl->cl[s], what ? what : "snapshot", &x, out);
}

#define CHECK(cond, ...) do { if (!(cond)) { if (err && errlen) snprintf(err, errlen, __VA_ARGS__); return -1; } } while (0)

int cx_clusterer_check(const cx_clusterer *cl, char *err, size_t errlen) {
    size_t live = 0;
    for (uint32_t s = 0; s < cl->nslots; s++) {
        const clu_cluster *c = &cl->cl[s];
        if (!c->id) continue;
        live++;
        CHECK(c->size >= 1, "cluster %lld: size 0", (long long)c->id);
        CHECK(c->nterms <= c->capterms, "cluster %lld: nterms > cap", (long long)c->id);
        CHECK(c->nterms <= (uint32_t)cl->o.max_terms * 3 / 2 + 1, "cluster %lld: %u terms", (long long)c->id, c->nterms);
        CHECK(c->nex <= (uint32_t)cl->o.examples, "cluster %lld: too many examples", (long long)c->id);
        double n2 = 0;
        for (uint32_t i = 0; i < c->nterms; i++) {
            const clu_term *t = &c->terms[i];
            CHECK(term_find(c, t->key) == (long)i, "cluster %lld: term %u not indexed", (long long)c->id, i);
            CHECK(t->n >= 1 && t->n <= c->size, "cluster %lld: term count %u of size %u", (long long)c->id, t->n, c->size);
            const clu_feat *f = clu_ftab_find(&cl->ftab, t->key);
            CHECK(f, "cluster %lld: term %u has no feature entry", (long long)c->id, i);
            CHECK(t->ppos < f->npost && f->post[t->ppos].slot == s && f->post[t->ppos].w == t->w &&
                      f->post[t->ppos].c == t->c,
                  "cluster %lld: posting of term %u wrong", (long long)c->id, i);
            n2 += (double)t->w * t->w;
        }
        CHECK(fabs(n2 - c->norm2) <= 1e-3 * n2 + 1e-9, "cluster %lld: norm2 %g vs %g", (long long)c->id, c->norm2, n2);
        CHECK(c->norm2 > 0 ? fabs(cl->cinv[s] * sqrt(c->norm2) - 1) < 1e-9 : cl->cinv[s] == 0,
              "cluster %lld: stale inverse norm", (long long)c->id);
    }
    CHECK(live == cl->live, "live %zu vs counted %zu", cl->live, live);
    size_t nterms = 0;
    for (uint32_t s = 0; s < cl->nslots; s++)
        if (cl->cl[s].id) nterms += cl->cl[s].nterms;
    CHECK(nterms == cl->terms_total, "terms %zu vs counted %zu", cl->terms_total, nterms);
    CHECK(live <= (size_t)cl->o.max_clusters, "live %zu above the cap", live);
    size_t nfeat = 0;
    for (size_t i = 0; i < cl->ftab.cap; i++) {
        const clu_feat *f = &cl->ftab.b[i];
        if (!f->key) continue;
        nfeat++;
        CHECK(clu_ftab_find(&cl->ftab, f->key) == f, "feature %zu not findable", i);
        CHECK(f->npost || !f->disp, "feature %zu keeps display forms without a centroid holding it", i);
        for (uint32_t p = 0; p < f->npost; p++) {
            uint32_t s = f->post[p].slot;
            CHECK(s < cl->nslots && cl->cl[s].id, "posting to a free slot %u", s);
            long ti = term_find(&cl->cl[s], f->key);
            CHECK(ti >= 0 && cl->cl[s].terms[ti].ppos == p, "posting %u of a feature has no term", p);
        }
    }
    CHECK(nfeat == cl->ftab.count, "feature count %zu vs %zu", cl->ftab.count, nfeat);
    for (uint32_t s = 0; s < cl->capslots; s++)
        CHECK(cl->acc[s] == 0 && cl->acct[s] == 0, "accumulator %u not reset", s);
    for (uint32_t s = 0; s < cl->nslots; s++) CHECK(cl->kf[s] == -1, "decay factor of slot %u not reset", s);
    size_t nfree = 0;
    for (uint32_t f = cl->free_head; f; f = cl->cl[f - 1].free_next) {
        CHECK(f - 1 < cl->nslots && !cl->cl[f - 1].id, "free list holds a live slot");
        CHECK(++nfree <= cl->nslots, "free list loops");
    }
    CHECK(nfree + live == cl->nslots, "slots: %zu free + %zu live != %u", nfree, live, cl->nslots);
    size_t valid = 0, queued = 0;
    for (uint32_t i = 0; i < cl->ndirty; i++) {
        const clu_dirty *d = &cl->dirty[i];
        CHECK(d->slot < cl->nslots, "changed list: bad slot");
        if (cl->cl[d->slot].id != d->id) continue;
        CHECK(cl->cl[d->slot].queued, "changed list: entry of an unqueued cluster");
        valid++;
    }
    for (uint32_t s = 0; s < cl->nslots; s++) {
        const clu_cluster *c = &cl->cl[s];
        if (!c->id) continue;
        queued += c->queued;
        CHECK(!c->dirty || c->queued || !c->published, "cluster %lld changed but not queued", (long long)c->id);
    }
    CHECK(valid == queued, "changed list: %zu entries for %zu queued clusters", valid, queued);
    return 0;
}
