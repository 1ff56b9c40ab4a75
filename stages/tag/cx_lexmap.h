/* cx_lexmap.h - the lookup structure behind every tag-stage lexicon.
 *
 * A cx_lexmap maps a *sequence of words* (one word for a single term, several
 * for a phrase such as "charged twice") to a caller-defined 32-bit payload.
 * It is an open-addressing hash table with linear probing over 8-byte slots;
 * the key of a sequence is a rolling 64-bit hash of its words' hashes, so the
 * matcher can extend a candidate phrase one token at a time without building
 * strings, and a lookup never allocates.  Every proper prefix of a stored
 * phrase is stored as a "prefix" entry, which lets the longest-match loop stop
 * as soon as no stored phrase can continue.
 *
 * Words are interned in a cx_arena shared by all maps of one tagger.
 * Building (cx_lexmap_put) allocates; lookups (cx_lexmap_get*) are read-only
 * and may run concurrently from several threads once building is done. */
#ifndef CX_LEXMAP_H
#define CX_LEXMAP_H
#include <stddef.h>
#include <stdint.h>
#include "cx_env.h"

/* ---- arena: bump allocator for strings and small tables, freed at once ---- */

typedef struct cx_arena_chunk cx_arena_chunk;
typedef struct cx_arena {
    cx_arena_chunk *head;
} cx_arena;

void *cx_arena_alloc(cx_arena *a, size_t n);               /* 16-aligned; NULL on OOM */
char *cx_arena_strndup(cx_arena *a, const char *s, size_t n);
void cx_arena_free(cx_arena *a);

/* ---- hashing ---- */

#define CX_LEX_SEED 0x9e3779b97f4a7c15ULL

/* Hash of one word (n bytes). */
uint64_t cx_lex_strhash(const char *s, size_t n);

/* Extend the hash of a word sequence by one word hash. */
static inline uint64_t cx_lex_step(uint64_t h, uint64_t wh) {
    h ^= wh + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
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
    uint64_t hash;
    uint32_t words; /* index of the first word in the map's word table */
    uint32_t val;   /* payload (caller's index), valid when flags & CX_LEX_VALUE */
    uint8_t n;      /* number of words */
    uint8_t flags;  /* CX_LEX_* */
    uint8_t infl;   /* stem keys: bit j set when word j of the lexicon term was inflected
                       (its normalised form differs from its stem) */
} cx_lex_entry;

typedef struct cx_lexmap {
    uint64_t *slots;     /* (hash >> 32) << 32 | (entry index + 1); 0 = empty */
    uint32_t cap;        /* power of two, or 0 */
    cx_lex_entry *ents;
    uint32_t n_ents, ents_cap;
    uint32_t n_values;   /* entries with CX_LEX_VALUE */
    const char **words;
    uint32_t n_words, words_cap;
    uint8_t max_len;     /* longest stored sequence */
    cx_arena *arena;
} cx_lexmap;

/* An empty map interning its words in arena. */
void cx_lexmap_init(cx_lexmap *m, cx_arena *arena);
void cx_lexmap_free(cx_lexmap *m);

/* Store the sequence words[0..n) (1 <= n <= CX_LEX_MAX_WORDS) and its
 * prefixes.  Returns the index of its entry, or -1 when out of memory.
 * *created is 1 when the sequence was not a stored term before (its payload
 * is then the caller's to set through cx_lexmap_entry), 0 when it was. */
long cx_lexmap_put(cx_lexmap *m, const char *const *words, unsigned n, int *created);

static inline cx_lex_entry *cx_lexmap_entry(cx_lexmap *m, long idx) { return &m->ents[idx]; }

/* Look up the sequence of n consecutive tokens starting at toks whose rolling
 * hash is h, comparing each token's stem (use_stem != 0) or normalised form.
 * Returns the entry (value and/or prefix) or NULL. */
const cx_lex_entry *cx_lexmap_get(const cx_lexmap *m, uint64_t h, unsigned n, const cx_token *toks,
                                  int use_stem);

/* Look up a one-word sequence given as bytes. */
const cx_lex_entry *cx_lexmap_get_str(const cx_lexmap *m, const char *s, size_t len);

#endif
