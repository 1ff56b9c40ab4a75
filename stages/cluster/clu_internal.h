/* clu_internal.h - data structures shared by the files of the clusterer
 * (clusterer.c: the algorithm, clu_tables.c: hash tables, clu_describe.c:
 * labels and event JSON).  Not a public interface: include clusterer.h.
 *
 * Layout in one picture:
 *
 *   feature table (clu_ftab)        clusters (clu_cluster slots)
 *   key -> df, postings ---------->  slot: centroid terms (key -> weight,
 *          [(slot, weight), ...] <-        member count, posting position),
 *          display forms                   counters, examples
 *
 * A feature is a 64-bit hash of its text (stem, theme id or bigram), never
 * interned: collisions are negligible at 64 bits and the table can forget a
 * feature without anything else pointing at it.  Every (cluster, feature)
 * pair of a centroid has exactly one posting in that feature's posting list,
 * and the centroid term remembers where (ppos), so a weight change is O(1)
 * and a removal is a swap with the last posting plus one back-pointer fix. */
#ifndef CLU_INTERNAL_H
#define CLU_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "clusterer.h"

/* feature kinds */
enum { CLU_K_WORD = 0, CLU_K_BIGRAM = 1, CLU_K_THEME = 2 };

#define CLU_SURF 3       /* display forms remembered per feature */
#define CLU_CTR_MAX 16   /* entries per counter (themes, langs, channels...) */
#define CLU_LANGS 4      /* languages with their own word total per cluster (DMM) */
#define CLU_RES 16       /* recent members' word signatures kept per cluster (splits) */

/* ---- hashing ---- */

uint64_t clu_mix64(uint64_t x);
/* Hash of a NUL-terminated string under a seed; never 0. */
uint64_t clu_hash_str(const char *s, uint64_t seed);
/* Hash of n bytes under a seed; never 0. */
uint64_t clu_hash_mem(const void *p, size_t n, uint64_t seed);

/* ---- the feature table: key -> document frequency + postings ---- */

typedef struct clu_post {
    uint32_t slot;   /* cluster slot */
    float w;         /* the cluster's centroid weight for this feature (scaled) */
    float c;         /* the cluster's member count of this feature (scaled, DMM) */
} clu_post;

/* The display forms of a feature (word or bigram) as members wrote them,
 * with space-saving counts; kept while some centroid holds the feature. */
typedef struct clu_disp {
    char *s[CLU_SURF];   /* cx_malloc'd, NULL = unused */
    uint32_t n[CLU_SURF];
} clu_disp;

typedef struct clu_feat {
    uint64_t key;    /* 0 = empty bucket */
    uint32_t df;     /* clustered records that contained it */
    uint32_t npost, cappost;
    clu_post *post;
    clu_disp *disp;  /* display forms, NULL until a centroid takes the feature */
} clu_feat;

typedef struct clu_ftab {
    clu_feat *b;     /* buckets, linear probing */
    size_t cap;      /* power of two (0 before the first insert) */
    size_t count;
    size_t max_count;/* eviction target (entries with postings are never evicted) */
    size_t hold;     /* no eviction attempt below this count (after one that fell short) */
    size_t evict_from; /* where the next eviction starts taking its cut bucket */
} clu_ftab;

void clu_ftab_free(clu_ftab *t);
clu_feat *clu_ftab_find(const clu_ftab *t, uint64_t key);
/* Make room for n more entries without growing later.  0 / -1 (OOM). */
int clu_ftab_reserve(clu_ftab *t, size_t n);
/* Find or insert (df 0, no postings).  Never grows: call clu_ftab_reserve
 * first.  Pointers into the table stay valid until the next reserve/evict. */
clu_feat *clu_ftab_upsert(clu_ftab *t, uint64_t key);
/* Over max_count: forget the entries without postings that have the lowest
 * document frequency (ties: table order) until count <= 90% of max_count or
 * nothing is evictable.  When that falls short (most entries are held by
 * centroids), the next attempt waits until max_count / 10 more entries came
 * in, so the O(capacity) scan is amortised.  Returns the number forgotten;
 * 0 also on OOM. */
size_t clu_ftab_evict(clu_ftab *t);
/* Append a posting; returns its position or -1 (OOM). */
long clu_post_push(clu_feat *f, uint32_t slot, float w);

/* ---- the resend filter: two generations of (source key -> cluster id) ---- */

typedef struct clu_dedup {
    uint64_t *keys[2];
    int64_t *vals[2];
    size_t cap;          /* buckets per generation (power of two) */
    size_t count;        /* entries in the current generation */
    size_t window;       /* a generation holds at most this many */
    int cur;             /* index of the current generation */
} clu_dedup;

void clu_dedup_free(clu_dedup *d);
/* Cluster id remembered for key, or -1 when unknown. */
int64_t clu_dedup_get(const clu_dedup *d, uint64_t key);
/* Remember key -> id (rotating generations when the current one is full). 0 / -1. */
int clu_dedup_put(clu_dedup *d, uint64_t key, int64_t id);

/* ---- clusters ---- */

typedef struct clu_term {
    uint64_t key;
    float w;          /* summed (decay-scaled) weight over members */
    float c;          /* decay-scaled count of members that contain it (DMM n_zw) */
    uint32_t n;       /* members that contain the feature */
    uint32_t ppos;    /* position of this cluster's posting in the feature's list */
    uint8_t kind;     /* CLU_K_* */
} clu_term;

typedef struct clu_kv {
    char *k;
    uint32_t n;
} clu_kv;

typedef struct clu_ctr {    /* a small bounded counter of strings */
    clu_kv *v;
    uint16_t len, cap;
} clu_ctr;

typedef struct clu_sig256 { uint64_t w[4]; } clu_sig256; /* a 256-bit feature set */

typedef struct clu_example {
    char *id, *text;
    char lang[8];
    float score;      /* cosine to the centroid when it joined */
    uint64_t text_hash;
    uint64_t sig;     /* its word features as a 64-bit set (near-duplicate test) */
    clu_sig256 sig256;/* the same as 256 bits (which part it follows in a split) */
} clu_example;

typedef struct clu_lang {   /* a language's share of a cluster's word features (DMM) */
    char code[8];
    double nz;              /* decay-scaled word-feature total of its members */
} clu_lang;

typedef struct clu_cluster {
    int64_t id;             /* 0 = free slot */
    uint32_t size;
    int64_t first_ms, last_ms;
    double sent_sum;
    double norm2;           /* squared norm of the centroid, in the scaled frame */
    int64_t tref_ms;        /* time origin of the decay scale */
    uint64_t nfeat;         /* sum of member feature counts */
    double msz;             /* decay-scaled member count (DMM m_z), same frame as the terms */
    double nzs;             /* decay-scaled feature total, same frame */
    double nzt;             /* decay-scaled theme-feature total (DMM), same frame */
    clu_lang lg[CLU_LANGS]; /* word totals per member language (DMM), nlg used */
    uint8_t nlg;
    uint8_t nres, rpos;     /* the ring of recent members' signatures: used, next */
    clu_sig256 res[CLU_RES];/* word-feature sets of the last CLU_RES members */
    double rec;             /* recent activity: members weighted 2^-(records since / recency_records) */
    uint64_t rec_pos;       /* stream position (clustered records) rec refers to */
    clu_term *terms;
    uint32_t nterms, capterms;
    uint32_t *tidx;         /* open addressing: term index + 1, 0 = empty */
    uint32_t tidx_cap;      /* power of two, >= 2 * capterms */
    clu_ctr themes, langs, channels, products, regions;
    clu_example *ex;
    uint32_t nex;
    uint32_t next_grow;     /* size at which the next "grew" event fires */
    uint32_t seq;           /* events emitted for this cluster */
    int64_t last_event_ms;  /* monotonic clock of the last event */
    uint8_t dirty;          /* changed since its last event */
    uint8_t queued;         /* has an entry in cl->dirty */
    uint8_t published;      /* "created" has been emitted */
    uint32_t free_next;     /* free-list link (slot + 1) while free */
} clu_cluster;

/* an entry of the changed-cluster list: valid while cl[slot].id == id */
typedef struct clu_dirty {
    uint32_t slot;
    int64_t id;
} clu_dirty;

/* one feature of the record being clustered */
typedef struct clu_rfeat {
    uint64_t key;
    float tf;         /* raw count in the record */
    float w;          /* final weight in the record vector */
    uint32_t order;   /* first position (stable tie-breaking) */
    uint32_t disp;    /* offset of the display form in cl->sbuf, or UINT32_MAX */
    uint8_t kind;
    clu_feat *f;      /* the feature-table entry (valid during one add) */
} clu_rfeat;

struct cx_clusterer {
    cx_clusterer_opts o;
    clu_ftab ftab;
    double ndocs;               /* clustered records (for IDF) */
    double dd;                  /* decayed count of clustered records (DMM D), as of dd_ms */
    int64_t dd_ms;
    uint64_t pos;               /* clustered records so far (recency clock) */
    size_t terms_total;         /* centroid terms over the live clusters */
    clu_cluster *cl;            /* slots */
    uint32_t nslots, capslots;
    uint32_t free_head;         /* slot + 1, 0 = none */
    size_t live;
    int64_t next_id;
    int64_t stream_ms;          /* largest event time seen */
    int64_t clock_ms;           /* monotonic clock from the last tick */
    /* per-record scratch */
    clu_rfeat *rf;
    uint32_t nrf, caprf;
    cx_buf sbuf;                /* display forms of the record's features */
    float *acc;                 /* dot products per slot */
    double *cinv;               /* 1 / centroid norm per slot (0 when empty) */
    float *kf;                  /* DMM: decay factor of a touched slot for the current record */
    float *acct;                /* DMM: theme part of the score per slot */
    double vt;                  /* DMM: distinct theme features seen (their vocabulary size) */
    uint32_t *ord;              /* record features by ascending weight */
    uint32_t *touched;
    uint32_t ntouched;
    /* events */
    clu_dirty *dirty;           /* changed clusters (entries of retired ones are stale) */
    uint32_t ndirty, capdirty;
    cx_buf ev;                  /* event JSON */
    cx_buf label;               /* label returned by cx_clusterer_info */
    clu_dedup dedup;
    cx_clu_deco_fn deco;        /* event decorator (cx_clusterer_set_decorator) */
    void *deco_arg;
    cx_clusterer_stats st;
};

/* ---- clu_describe.c ---- */

/* What an event says beyond the cluster's state. */
typedef struct clu_evx {
    const char *reason;       /* "retired": why, or NULL */
    int64_t merged_into;      /* "merged": the cluster that absorbed this one (0: none) */
    int64_t absorbed;         /* the survivor's "merged" event: the cluster it absorbed (0: none) */
    int64_t split_from;       /* "split": the new part's origin (0: none) */
    int64_t split_into;       /* "split": the origin's new part (0: none) */
    cx_clu_deco_fn deco;      /* appends more fields (cx_clusterer_set_decorator), or NULL */
    void *deco_arg;
    const clu_ftab *ftab;     /* the display forms of the terms */
} clu_evx;

/* The most frequent display form of feature key (NULL when none). */
const char *clu_display(const clu_ftab *ft, uint64_t key);
/* Free a feature's display forms. */
void clu_disp_free(clu_feat *f);
/* Append the readable label ("refund · received · weeks") to out. 0 / -1. */
int clu_label(const clu_ftab *ft, const clu_cluster *c, cx_buf *out);
/* Build the event JSON for cluster c into out (reset first). 0 / -1 (OOM). */
int clu_event_json(const clu_cluster *c, const char *what, const clu_evx *x, cx_buf *out);

#endif
