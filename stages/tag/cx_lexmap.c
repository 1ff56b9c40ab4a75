/* cx_lexmap.c - arena, word hashing and the open-addressing sequence map
 * used by the tag stage's lexicons (see cx_lexmap.h). */
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

/* ---- map ---- */

void cx_lexmap_init(cx_lexmap *m, cx_arena *arena) {
    memset(m, 0, sizeof *m);
    m->arena = arena;
}

void cx_lexmap_free(cx_lexmap *m) {
    cx_free(m->slots);
    cx_free(m->ents);
    cx_free(m->words);
    cx_arena *a = m->arena;
    memset(m, 0, sizeof *m);
    m->arena = a;
}

static inline uint64_t slot_of(uint64_t h, uint32_t idx) {
    return (h & 0xffffffff00000000ULL) | (uint64_t)(idx + 1);
}

/* Double the slot array (or create it) and re-insert every entry. */
static int grow_slots(cx_lexmap *m) {
    uint32_t ncap = m->cap ? m->cap * 2 : 64;
    uint64_t *ns = cx_calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (uint32_t i = 0; i < m->n_ents; i++) {
        uint32_t p = (uint32_t)m->ents[i].hash & (ncap - 1);
        while (ns[p]) p = (p + 1) & (ncap - 1);
        ns[p] = slot_of(m->ents[i].hash, i);
    }
    cx_free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

/* Find the entry of words[0..n) with hash h, or -1. */
static long find_words(const cx_lexmap *m, uint64_t h, const char *const *words, unsigned n) {
    if (!m->cap) return -1;
    uint32_t mask = m->cap - 1, p = (uint32_t)h & mask;
    uint64_t hi = h & 0xffffffff00000000ULL;
    for (;;) {
        uint64_t s = m->slots[p];
        if (!s) return -1;
        if ((s & 0xffffffff00000000ULL) == hi) {
            const cx_lex_entry *e = &m->ents[(uint32_t)s - 1];
            if (e->hash == h && e->n == n) {
                unsigned j = 0;
                while (j < n && !strcmp(m->words[e->words + j], words[j])) j++;
                if (j == n) return (long)((uint32_t)s - 1);
            }
        }
        p = (p + 1) & mask;
    }
}

/* Add a new entry for words[0..n) (not present yet) with the given flags. */
static long add_entry(cx_lexmap *m, uint64_t h, const char *const *words, unsigned n, uint8_t flags,
                      long prefix) {
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
    if (m->n_words + n > m->words_cap) {
        uint32_t nc = m->words_cap ? m->words_cap * 2 : 128;
        while (nc < m->n_words + n) nc *= 2;
        const char **nw = cx_realloc(m->words, (size_t)nc * sizeof *nw);
        if (!nw) return -1;
        m->words = nw;
        m->words_cap = nc;
    }
    /* intern the words: reuse the strings of the (already stored) prefix
     * entry when there is one, so phrases sharing a head share memory */
    uint32_t first = m->n_words;
    unsigned j = 0;
    if (prefix >= 0)
        for (; j + 1 < n; j++) m->words[first + j] = m->words[m->ents[prefix].words + j];
    for (; j < n; j++) {
        char *w = cx_arena_strndup(m->arena, words[j], strlen(words[j]));
        if (!w) return -1;
        m->words[first + j] = w;
    }
    m->n_words += n;
    uint32_t idx = m->n_ents++;
    cx_lex_entry *e = &m->ents[idx];
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->words = first;
    e->n = (uint8_t)n;
    e->flags = flags;
    uint32_t mask = m->cap - 1, p = (uint32_t)h & mask;
    while (m->slots[p]) p = (p + 1) & mask;
    m->slots[p] = slot_of(h, idx);
    if (n > m->max_len) m->max_len = (uint8_t)n;
    return (long)idx;
}

/* Store the sequence and mark each proper prefix as a prefix entry. */
long cx_lexmap_put(cx_lexmap *m, const char *const *words, unsigned n, int *created) {
    *created = 0;
    if (n == 0 || n > CX_LEX_MAX_WORDS) return -1;
    uint64_t h = CX_LEX_SEED;
    long prev = -1;
    for (unsigned k = 1; k <= n; k++) {
        h = cx_lex_step(h, cx_lex_strhash(words[k - 1], strlen(words[k - 1])));
        uint8_t want = k == n ? CX_LEX_VALUE : CX_LEX_PREFIX;
        long idx = find_words(m, h, words, k);
        if (idx < 0) {
            idx = add_entry(m, h, words, k, want, prev);
            if (idx < 0) return -1;
            if (want == CX_LEX_VALUE) { *created = 1; m->n_values++; }
        } else if (!(m->ents[idx].flags & want)) {
            m->ents[idx].flags |= want;
            if (want == CX_LEX_VALUE) { *created = 1; m->n_values++; }
        }
        if (k == n) return idx;
        prev = idx;
    }
    return -1; /* not reached */
}

const cx_lex_entry *cx_lexmap_get(const cx_lexmap *m, uint64_t h, unsigned n, const cx_token *toks,
                                  int use_stem) {
    if (!m->cap) return NULL;
    uint32_t mask = m->cap - 1, p = (uint32_t)h & mask;
    uint64_t hi = h & 0xffffffff00000000ULL;
    for (;;) {
        uint64_t s = m->slots[p];
        if (!s) return NULL;
        if ((s & 0xffffffff00000000ULL) == hi) {
            const cx_lex_entry *e = &m->ents[(uint32_t)s - 1];
            if (e->hash == h && e->n == n) {
                unsigned j = 0;
                for (; j < n; j++) {
                    const char *w = use_stem ? toks[j].stem : toks[j].norm;
                    if (!w || strcmp(m->words[e->words + j], w)) break;
                }
                if (j == n) return e;
            }
        }
        p = (p + 1) & mask;
    }
}

const cx_lex_entry *cx_lexmap_get_str(const cx_lexmap *m, const char *s, size_t len) {
    if (!m->cap) return NULL;
    uint64_t h = cx_lex_step(CX_LEX_SEED, cx_lex_strhash(s, len));
    uint32_t mask = m->cap - 1, p = (uint32_t)h & mask;
    uint64_t hi = h & 0xffffffff00000000ULL;
    for (;;) {
        uint64_t sl = m->slots[p];
        if (!sl) return NULL;
        if ((sl & 0xffffffff00000000ULL) == hi) {
            const cx_lex_entry *e = &m->ents[(uint32_t)sl - 1];
            if (e->hash == h && e->n == 1) {
                const char *w = m->words[e->words];
                if (strlen(w) == len && !memcmp(w, s, len)) return e;
            }
        }
        p = (p + 1) & mask;
    }
}
