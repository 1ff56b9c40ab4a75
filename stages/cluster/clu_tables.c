/* clu_tables.c - the clusterer's hash tables: string hashing, the feature
 * table (document frequencies + inverted index postings) and the two-
 * generation resend filter.  All open addressing with linear probing over
 * power-of-two bucket arrays, load factor at most 1/2. */
#include "clu_internal.h"
#include "cx_alloc.h"
#include <string.h>

/* ---- hashing ---- */

/* splitmix64's finaliser: spreads every input bit over the whole word. */
uint64_t clu_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

uint64_t clu_hash_mem(const void *p, size_t n, uint64_t seed) {
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ clu_mix64(seed);
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    h = clu_mix64(h ^ n);
    return h ? h : 1;
}

uint64_t clu_hash_str(const char *s, uint64_t seed) {
    return clu_hash_mem(s ? s : "", s ? strlen(s) : 0, seed);
}

/* ---- feature table ---- */

void clu_ftab_free(clu_ftab *t) {
    for (size_t i = 0; i < t->cap; i++)
        if (t->b[i].key) { cx_free(t->b[i].post); clu_disp_free(&t->b[i]); }
    cx_free(t->b);
    t->b = NULL;
    t->cap = t->count = 0;
}

clu_feat *clu_ftab_find(const clu_ftab *t, uint64_t key) {
    if (!t->cap) return NULL;
    size_t m = t->cap - 1;
    for (size_t i = (size_t)key & m;; i = (i + 1) & m) {
        if (t->b[i].key == key) return &t->b[i];
        if (!t->b[i].key) return NULL;
    }
}

/* Place an entry into a bucket array known to have room and not to hold it. */
static void ftab_place(clu_feat *b, size_t cap, const clu_feat *e) {
    size_t m = cap - 1, i = (size_t)e->key & m;
    while (b[i].key) i = (i + 1) & m;
    b[i] = *e;
}

/* Move every entry into a fresh bucket array of ncap buckets, leaving out
 * those marked in drop (may be NULL).  0 / -1 (OOM, table unchanged). */
static int ftab_rebuild(clu_ftab *t, size_t ncap, const unsigned char *drop) {
    clu_feat *nb = cx_calloc(ncap, sizeof *nb);
    if (!nb) return -1;
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->b[i].key) continue;
        if (drop && drop[i]) { cx_free(t->b[i].post); clu_disp_free(&t->b[i]); continue; }
        ftab_place(nb, ncap, &t->b[i]);
        n++;
    }
    cx_free(t->b);
    t->b = nb;
    t->cap = ncap;
    t->count = n;
    return 0;
}

int clu_ftab_reserve(clu_ftab *t, size_t n) {
    size_t need = (t->count + n) * 2;
    if (need <= t->cap) return 0;
    size_t ncap = t->cap ? t->cap : 1024;
    while (ncap < need) ncap *= 2;
    return ftab_rebuild(t, ncap, NULL);
}

clu_feat *clu_ftab_upsert(clu_ftab *t, uint64_t key) {
    if (!t->cap || (t->count + 1) * 2 > t->cap) return NULL; /* caller did not reserve */
    size_t m = t->cap - 1;
    size_t i = (size_t)key & m;
    for (; t->b[i].key; i = (i + 1) & m)
        if (t->b[i].key == key) return &t->b[i];
    memset(&t->b[i], 0, sizeof t->b[i]);
    t->b[i].key = key;
    t->count++;
    return &t->b[i];
}

/* Vocabulary cap.  Only entries without postings (no live centroid uses
 * them) may go; among those the lowest document frequencies go first, which
 * are the typos, names and one-off words of a stream.  A 256-bucket
 * histogram of df finds the cut without sorting; within the cut bucket the
 * table order from a rotating start decides, which is deterministic for a
 * given input. */
size_t clu_ftab_evict(clu_ftab *t) {
    if (t->count <= t->max_count || t->count < t->hold) return 0;
    size_t target = t->max_count - t->max_count / 10;
    size_t need = t->count - target;
    size_t hist[256] = {0}, evictable = 0;
    for (size_t i = 0; i < t->cap; i++) {
        const clu_feat *f = &t->b[i];
        if (!f->key || f->npost) continue;
        hist[f->df < 255 ? f->df : 255]++;
        evictable++;
    }
    if (!evictable) {
        t->hold = t->count + t->max_count / 10;
        return 0;
    }
    if (need > evictable) need = evictable;
    size_t cum = 0, cut = 0;
    while (cut < 255 && cum + hist[cut] < need) cum += hist[cut++];
    size_t from_cut = need - cum; /* entries to take from bucket `cut` */
    unsigned char *drop = cx_calloc(t->cap, 1);
    if (!drop) return 0;
    /* the cut bucket is taken in table order from where the last eviction
     * stopped: always starting at bucket 0 would evict the low part of the
     * table and leave the survivors packed at its top, where linear probing
     * then walks runs of a hundred thousand buckets */
    for (size_t k = 0; k < t->cap; k++) {
        size_t i = (t->evict_from + k) & (t->cap - 1);
        const clu_feat *f = &t->b[i];
        if (!f->key || f->npost) continue;
        size_t bkt = f->df < 255 ? f->df : 255;
        if (bkt < cut) drop[i] = 1;
        else if (bkt == cut && from_cut) {
            drop[i] = 1;
            if (!--from_cut) t->evict_from = (i + 1) & (t->cap - 1);
        }
    }
    size_t before = t->count;
    int rc = ftab_rebuild(t, t->cap, drop);
    cx_free(drop);
    t->hold = t->count > target ? t->count + t->max_count / 10 : 0;
    return rc < 0 ? 0 : before - t->count;
}

long clu_post_push(clu_feat *f, uint32_t slot, float w) {
    if (f->npost == f->cappost) {
        uint32_t nc = f->cappost ? f->cappost * 2 : 2;
        clu_post *np = cx_realloc(f->post, nc * sizeof *np);
        if (!np) return -1;
        f->post = np;
        f->cappost = nc;
    }
    f->post[f->npost].slot = slot;
    f->post[f->npost].w = w;
    f->post[f->npost].c = 0;
    return (long)f->npost++;
}

/* ---- resend filter ----
 * Two tables ("generations"): inserts go to the current one; when it holds
 * `window` keys the older generation is wiped and becomes the current one.
 * So at least the last `window` keys (and at most 2 * window) are
 * remembered, with no per-key deletion and a fixed memory footprint. */

void clu_dedup_free(clu_dedup *d) {
    for (int g = 0; g < 2; g++) {
        cx_free(d->keys[g]);
        cx_free(d->vals[g]);
        d->keys[g] = NULL;
        d->vals[g] = NULL;
    }
    d->cap = d->count = 0;
}

static int64_t dedup_get1(const clu_dedup *d, int g, uint64_t key) {
    size_t m = d->cap - 1;
    for (size_t i = (size_t)key & m;; i = (i + 1) & m) {
        if (d->keys[g][i] == key) return d->vals[g][i];
        if (!d->keys[g][i]) return -1;
    }
}

int64_t clu_dedup_get(const clu_dedup *d, uint64_t key) {
    if (!d->cap) return -1;
    int64_t v = dedup_get1(d, d->cur, key);
    return v >= 0 ? v : dedup_get1(d, !d->cur, key);
}

int clu_dedup_put(clu_dedup *d, uint64_t key, int64_t id) {
    if (!d->cap) {
        size_t cap = 16;
        while (cap < d->window * 2) cap *= 2;
        for (int g = 0; g < 2; g++) {
            d->keys[g] = cx_calloc(cap, sizeof(uint64_t));
            d->vals[g] = cx_malloc(cap * sizeof(int64_t));
            if (!d->keys[g] || !d->vals[g]) { clu_dedup_free(d); return -1; }
        }
        d->cap = cap;
        d->cur = 0;
        d->count = 0;
    }
    if (d->count >= d->window) {
        d->cur = !d->cur;
        memset(d->keys[d->cur], 0, d->cap * sizeof(uint64_t));
        d->count = 0;
    }
    size_t m = d->cap - 1;
    uint64_t *k = d->keys[d->cur];
    size_t i = (size_t)key & m;
    while (k[i] && k[i] != key) i = (i + 1) & m;
    if (!k[i]) d->count++;
    k[i] = key;
    d->vals[d->cur][i] = id;
    return 0;
}
