/* cx_lexmap.c - arena, word hashing, the word vocabulary and the trie of
 * word sequences used by the tag stage's lexicons (see cx_lexmap.h). */
#include "cx_lexmap.h"
#include "cx_alloc.h"
#include <string.h>

/* ---- arena ---- */

struct cx_arena_chunk {
    cx_arena_chunk *next;
    size_t used, cap;
    _Alignas(16) char data[];
};

void *cx_arena_alloc(cx_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    cx_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 16384 ? n : 65536 - sizeof *c;
        cx_arena_chunk *nc = cx_malloc(sizeof *nc + cap);
        if (!nc) return NULL;
        nc->used = 0;
        nc->cap = cap;
        /* keep a partly used current chunk in front when the new one is a
         * one-off big allocation, so its free space is not wasted */
        if (c && n > 16384) {
            nc->next = c->next;
            c->next = nc;
            nc->used = n;
            return nc->data;
        }
        nc->next = c;
        a->head = c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

char *cx_arena_strndup(cx_arena *a, const char *s, size_t n) {
    char *d = cx_arena_alloc(a, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void cx_arena_free(cx_arena *a) {
    cx_arena_chunk *c = a->head;
    while (c) {
        cx_arena_chunk *n = c->next;
        cx_free(c);
        c = n;
    }
    a->head = NULL;
}

/* ---- hashing ---- */

/* FNV-1a over the bytes followed by a murmur-style finaliser, so short words
 * that differ in one byte spread over the whole 64 bits. */
uint64_t cx_lex_strhash(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h | 1; /* never 0: 0 marks "not matchable" in the tagger */
}

/* ---- vocabulary ---- */

void cx_lexvocab_free(cx_lexvocab *v) {
    cx_free(v->slots);
    cx_free(v->keys);
    cx_free(v->starts);
    memset(v, 0, sizeof *v);
}

/* Double the slot table (or create it) and re-insert every word. */
static int vocab_grow(cx_lexvocab *v) {
    uint32_t ncap = v->cap ? v->cap * 2 : 1024;
    cx_lexvocab_slot *ns = cx_calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (uint32_t i = 0; i < v->cap; i++) {
        if (!v->slots[i].hash) continue;
        uint32_t p = v->slots[i].hash & (ncap - 1);
        while (ns[p].hash) p = (p + 1) & (ncap - 1);
        ns[p] = v->slots[i];
    }
    cx_free(v->slots);
    v->slots = ns;
    v->cap = ncap;
    return 0;
}

long cx_lexvocab_intern(cx_lexvocab *v, const char *s, size_t n) {
    uint32_t id = cx_lexvocab_find(v, s, n);
    if (id != CX_LEX_NOWORD) return (long)id;
    if (v->n == CX_LEX_NOWORD - 1 || n > UINT32_MAX) return -1;
    /* at most a quarter full: most look-ups are misses (see cx_lexmap.h) */
    if ((v->n + 1) * 4 > v->cap && vocab_grow(v) < 0) return -1;
    if (v->n == v->cap_starts) {
        uint32_t nc = v->cap_starts ? v->cap_starts * 2 : 1024;
        uint16_t *ns = cx_realloc(v->starts, (size_t)nc * sizeof *ns);
        if (!ns) return -1;
        v->starts = ns;
        v->cap_starts = nc;
    }
    if (v->klen + n + 1 > v->kcap) {
        size_t nk = v->kcap ? v->kcap * 2 : 16384;
        while (nk < v->klen + n + 1) nk *= 2;
        if (nk > UINT32_MAX) return -1;
        char *k = cx_realloc(v->keys, nk);
        if (!k) return -1;
        v->keys = k;
        v->kcap = nk;
    }
    memcpy(v->keys + v->klen, s, n);
    v->keys[v->klen + n] = '\0';
    uint32_t h = cx_lexvocab_hash(s, n), mask = v->cap - 1, p = h & mask;
    while (v->slots[p].hash) p = (p + 1) & mask;
    v->slots[p].hash = h;
    v->slots[p].len = (uint32_t)n;
    v->slots[p].off = (uint32_t)v->klen;
    v->slots[p].id = v->n;
    v->klen += n + 1;
    v->starts[v->n] = 0;
    return (long)v->n++;
}

/* ---- map ---- */

void cx_lexmap_init(cx_lexmap *m, cx_lexvocab *vocab, uint8_t start_bit) {
    memset(m, 0, sizeof *m);
    m->vocab = vocab;
    m->start_bit = start_bit;
}

void cx_lexmap_free(cx_lexmap *m) {
    cx_free(m->keys);
    cx_free(m->slot_ent);
    cx_free(m->ents);
    cx_lexvocab *v = m->vocab;
    uint8_t bit = m->start_bit;
    memset(m, 0, sizeof *m);
    m->vocab = v;
    m->start_bit = bit;
}

static inline uint32_t key_slot(const cx_lexmap *m, uint64_t key) {
    return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> m->shift);
}

/* Double the slot arrays (or create them) and re-insert every entry. */
static int grow_slots(cx_lexmap *m) {
    uint32_t ncap = m->cap ? m->cap * 2 : 64;
    uint8_t nshift = m->cap ? (uint8_t)(m->shift - 1) : 64 - 6;
    uint64_t *nk = cx_calloc(ncap, sizeof *nk);
    uint32_t *ne = cx_calloc(ncap, sizeof *ne);
    if (!nk || !ne) {
        cx_free(nk);
        cx_free(ne);
        return -1;
    }
    cx_free(m->keys);
    cx_free(m->slot_ent);
    m->keys = nk;
    m->slot_ent = ne;
    m->cap = ncap;
    m->shift = nshift;
    for (uint32_t i = 0; i < m->n_ents; i++) {
        uint64_t key = cx_lex_key(m->ents[i].parent, m->ents[i].word);
        uint32_t p = key_slot(m, key);
        while (nk[p]) p = (p + 1) & (ncap - 1);
        nk[p] = key;
        ne[p] = i;
    }
    return 0;
}

/* Add a new entry (not present yet): the sequence `parent` (entry index + 1,
 * 0 = empty) followed by `word`, with the given flags. */
static long add_entry(cx_lexmap *m, uint32_t parent, uint32_t word, unsigned n, uint8_t flags) {
    /* at most half full: most lookups are misses, and a miss under linear
     * probing costs about (1 + 1/(1-load)^2)/2 probes - 2.5 at 1/2, 8.5 at 3/4 */
    if ((m->n_ents + 1) * 2 > m->cap && grow_slots(m) < 0) return -1;
    if (m->n_ents == m->ents_cap) {
        uint32_t nc = m->ents_cap ? m->ents_cap * 2 : 64;
        cx_lex_entry *ne = cx_realloc(m->ents, (size_t)nc * sizeof *ne);
        if (!ne) return -1;
        m->ents = ne;
        m->ents_cap = nc;
    }
    uint32_t idx = m->n_ents++;
    cx_lex_entry *e = &m->ents[idx];
    memset(e, 0, sizeof *e);
    e->parent = parent;
    e->word = word;
    e->n = (uint8_t)n;
    e->flags = flags;
    uint64_t key = cx_lex_key(parent, word);
    uint32_t mask = m->cap - 1, p = key_slot(m, key);
    while (m->keys[p]) p = (p + 1) & mask;
    m->keys[p] = key;
    m->slot_ent[p] = idx;
    if (n > m->max_len) m->max_len = (uint8_t)n;
    return (long)idx;
}

/* Store the sequence and mark each proper prefix as a prefix entry. */
long cx_lexmap_put(cx_lexmap *m, const char *const *words, unsigned n, int *created) {
    *created = 0;
    if (n == 0 || n > CX_LEX_MAX_WORDS) return -1;
    const cx_lex_entry *prev = NULL;
    for (unsigned k = 1; k <= n; k++) {
        long wid = cx_lexvocab_intern(m->vocab, words[k - 1], strlen(words[k - 1]));
        if (wid < 0) return -1;
        m->vocab->starts[wid] |= k == 1 ? m->start_bit : CX_LEX_CONT(m->start_bit);
        uint8_t want = k == n ? CX_LEX_VALUE : CX_LEX_PREFIX;
        const cx_lex_entry *e = cx_lexmap_next(m, prev, (uint32_t)wid);
        long idx;
        if (!e) {
            uint32_t parent = prev ? (uint32_t)(prev - m->ents) + 1u : 0u;
            idx = add_entry(m, parent, (uint32_t)wid, k, want);
            if (idx < 0) return -1;
            if (want == CX_LEX_VALUE) { *created = 1; m->n_values++; }
        } else {
            idx = (long)(e - m->ents);
            if (!(m->ents[idx].flags & want)) {
                m->ents[idx].flags |= want;
                if (want == CX_LEX_VALUE) { *created = 1; m->n_values++; }
            }
        }
        if (k == n) return idx;
        prev = &m->ents[idx]; /* add_entry may have moved the entries */
    }
    return -1; /* not reached */
}
