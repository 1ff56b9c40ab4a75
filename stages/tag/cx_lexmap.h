/* cx_lexmap.h - the lookup structure behind every tag-stage lexicon.
 *
 * A cx_lexmap maps a *sequence of words* (one word for a single term, several
 * for a phrase such as "charged twice") to a caller-defined 32-bit payload.
 *
 * Words are numbered once in a cx_lexvocab shared by all maps of one tagger,
 * and a map is a trie over those numbers: each stored sequence, and every
 * proper prefix of one, is an entry, reached from the entry of the sequence
 * without its last word by one probe of an open-addressing table keyed by
 * (parent entry, word id).  The scorer looks each token's normalised form and
 * stem up in the vocabulary once per record; from then on matching a phrase
 * is one integer probe per word, whatever the map, no string is hashed or
 * compared again, and a token whose words are in no lexicon is skipped
 * without any probe.  A prefix entry (CX_LEX_PREFIX) lets the longest-match
 * loop stop as soon as no stored phrase can continue.
 *
 * Building (cx_lexvocab_intern, cx_lexmap_put) allocates; lookups are
 * read-only and may run concurrently from several threads once building is
 * done. */
#ifndef CX_LEXMAP_H
#define CX_LEXMAP_H
#include <stddef.h>
#include <stdint.h>
#include "cx_env.h"
#include "cx_hmap.h"

/* ---- arena: bump allocator for strings and small tables, freed at once ---- */

typedef struct cx_arena_chunk cx_arena_chunk;
typedef struct cx_arena {
    cx_arena_chunk *head;
} cx_arena;

void *cx_arena_alloc(cx_arena *a, size_t n);               /* 16-aligned; NULL on OOM */
char *cx_arena_strndup(cx_arena *a, const char *s, size_t n);
void cx_arena_free(cx_arena *a);

/* ---- hashing ---- */

/* Hash of one word (n bytes); never 0.  (The learned lexicon and
 * `cxflow train` key their tables with it.) */
uint64_t cx_lex_strhash(const char *s, size_t n);

/* ---- the vocabulary: every word of a tagger's lexicons, numbered ---- */

/* The id of a word that is in no lexicon. */
#define CX_LEX_NOWORD UINT32_MAX

/* word -> id + 1 in a cx_hmap (stages/tokenize/cx_hmap.h), ids dense from 0. */
typedef struct cx_lexvocab {
    cx_hmap *ids;        /* created by the first cx_lexvocab_intern */
    uint32_t n;
} cx_lexvocab;

void cx_lexvocab_free(cx_lexvocab *v);

/* The id of the word s[0..n), added when new; -1 when out of memory. */
long cx_lexvocab_intern(cx_lexvocab *v, const char *s, size_t n);

/* The id of the word s[0..n) whose cx_hmap_hash is h (the caller may have
 * it already), or CX_LEX_NOWORD. */
static inline uint32_t cx_lexvocab_find(const cx_lexvocab *v, const char *s, size_t n, uint32_t h) {
    const uint64_t *id = cx_hmap_get_h(v->ids, s, n, h);
    return id ? (uint32_t)(*id - 1) : CX_LEX_NOWORD;
}

/* ---- the map ---- */

enum {
    CX_LEX_VALUE = 1,   /* the sequence itself is a stored term */
    CX_LEX_PREFIX = 2,  /* a longer stored term starts with this sequence */
    CX_LEX_STEMKEY = 4, /* the value was stored under the term's stems, not its exact words */
};

/* Longest phrase (in words) a map accepts. */
#define CX_LEX_MAX_WORDS 8

typedef struct cx_lex_entry {
    uint32_t parent; /* entry index + 1 of the sequence without its last word, 0 = none */
    uint32_t word;   /* vocabulary id of the last word */
    uint32_t val;    /* payload (caller's index), valid when flags & CX_LEX_VALUE */
    uint8_t n;       /* number of words */
    uint8_t flags;   /* CX_LEX_* */
    uint8_t infl;    /* stem keys: bit j set when word j of the lexicon term was inflected
                        (its normalised form differs from its stem) */
} cx_lex_entry;

typedef struct cx_lexmap {
    uint64_t *keys;      /* per slot: parent << 32 | (word + 1) (see lex_key); 0 = empty */
    uint32_t *slot_ent;  /* per slot: index of the entry */
    uint32_t cap;        /* power of two, or 0 */
    uint8_t shift;       /* 64 - log2(cap): slot = (key * golden) >> shift */
    cx_lex_entry *ents;
    uint32_t n_ents, ents_cap;
    uint32_t n_values;   /* entries with CX_LEX_VALUE */
    uint8_t max_len;     /* longest stored sequence */
    cx_lexvocab *vocab;
} cx_lexmap;

/* An empty map whose words are numbered in vocab (which must outlive it). */
void cx_lexmap_init(cx_lexmap *m, cx_lexvocab *vocab);
void cx_lexmap_free(cx_lexmap *m);

/* Store the sequence words[0..n) (1 <= n <= CX_LEX_MAX_WORDS) and its
 * prefixes.  Returns the index of its entry, or -1 when out of memory.
 * *created is 1 when the sequence was not a stored term before (its payload
 * is then the caller's to set through cx_lexmap_entry), 0 when it was. */
long cx_lexmap_put(cx_lexmap *m, const char *const *words, unsigned n, int *created);

static inline cx_lex_entry *cx_lexmap_entry(cx_lexmap *m, long idx) { return &m->ents[idx]; }

/* The key of the edge from entry index + 1 `parent` (0: the empty sequence)
 * by the word `word`; never 0. */
static inline uint64_t cx_lex_key(uint32_t parent, uint32_t word) {
    return (uint64_t)parent << 32 | (uint64_t)(word + 1u);
}

/* The entry of the sequence `from` (NULL: the empty sequence) followed by
 * the word with vocabulary id `word`, or NULL when no stored term is or
 * starts with it.  The matcher's inner step: one probe, no string work. */
static inline const cx_lex_entry *cx_lexmap_next(const cx_lexmap *m, const cx_lex_entry *from, uint32_t word) {
    if (word == CX_LEX_NOWORD || !m->cap) return NULL;
    uint64_t key = cx_lex_key(from ? (uint32_t)(from - m->ents) + 1u : 0u, word);
    uint32_t mask = m->cap - 1, p = (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> m->shift);
    for (;;) {
        uint64_t k = m->keys[p];
        if (k == key) return &m->ents[m->slot_ent[p]];
        if (!k) return NULL;
        p = (p + 1) & mask;
    }
}

/* Look up a one-word sequence given as bytes. */
static inline const cx_lex_entry *cx_lexmap_get_str(const cx_lexmap *m, const char *s, size_t len) {
    if (!m->cap) return NULL;
    return cx_lexmap_next(m, NULL, cx_lexvocab_find(m->vocab, s, len, cx_hmap_hash(s, len)));
}

#endif
