/* cx_text_int.h - internals shared by cx_text.c (analysis) and cx_lex.c
 * (lexicon loading).  Not part of the public API. */
#ifndef CX_TEXT_INT_H
#define CX_TEXT_INT_H
#include "cx_hmap.h"
#include "cx_text.h"

/* Internal bit in lexicon values: the word starts a multi-word term. */
#define CX_LX_PHRASE_START (1u << 31)
/* Flags that come from lexicons/rules (as opposed to stop words). */
#define CX_LX_RULE_MASK                                                                        \
    (CX_TF_NEGATOR | CX_TF_NEG_POST | CX_TF_CONTRAST | CX_TF_INTENSIFIER | CX_TF_DIMINISHER | \
     CX_TF_REQUEST)
#define CX_LX_MAX_PHRASE 8

/* Lexicon values pack the flags (low 32 bits) and a float weight (high). */
static inline uint64_t cx_lx_pack(uint32_t flags, float w) {
    union { float f; uint32_t u; } c;
    c.f = w;
    return (uint64_t)flags | ((uint64_t)c.u << 32);
}
static inline float cx_lx_weight(uint64_t v) {
    union { float f; uint32_t u; } c;
    c.u = (uint32_t)(v >> 32);
    return c.f;
}

typedef struct cx_affix { char *s; int len; } cx_affix;

/* A suffix of a light stemmer (lexicons/stemming/<lang>.tsv): normalised
 * form, its length in bytes, and the minimum stem left, in code points. */
typedef struct cx_stemsuf { char *s; int len; int min; } cx_stemsuf;

/* Everything known about one language from stopwords/<l>.txt and rules/<l>.tsv. */
typedef struct cx_lexlang {
    char lang[8];
    cx_hmap *words;    /* normalised word -> flags (+ weight); sentiment terms with 0 */
    cx_hmap *stems;    /* stem of a rule term that is its own stem -> rule flags */
    cx_hmap *phrases;  /* normalised words joined by ' ' -> flags (+ weight) */
    int max_phrase;    /* longest phrase, in tokens */
    cx_affix *prefixes, *suffixes; /* negator_prefix / negator_suffix, normalised */
    int nprefix, nsuffix, cprefix, csuffix;
    int nstop, nrules, nvocab;     /* entries loaded (for logs and tests) */
    cx_stemsuf *stemsuf;           /* light-stemmer suffixes, longest first */
    int nstemsuf, cstemsuf;
} cx_lexlang;

typedef struct cx_lexicons {
    cx_lexlang *langs;
    int n, cap;
} cx_lexicons;

/* Analyse env->text with lexicon tables lex (NULL: no lexicon flags).  This
 * is cx_text_analyze with an explicit table, used to normalise lexicon terms
 * while the tables are being built. */
int cx_text__analyze(cx_text *t, cx_env *env, const char *lang, const cx_lexicons *lex, char *err,
                     size_t errlen);

/* Normalise s (n bytes) as one word of language lang, without segmenting it
 * (for affixes).  Returns the length written into out (NUL-terminated), 0
 * when nothing is left. */
int cx_text__norm_term(cx_text *t, const char *lang, const char *s, size_t n, char *out, size_t cap);

/* Load lexicons from dir (see docs/LEXICONS.md).  NULL with a reason in err
 * when dir is not a readable directory or memory runs out; missing
 * per-language files are fine. */
cx_lexicons *cx_lex_load(cx_text *t, const char *dir, char *err, size_t errlen);

/* A line that cx_lex_load skips (line > 0), or a file it ignores or cannot
 * read (line 0, warning 1 when the file is ignored on purpose): path is the
 * file, why the reason in a few words. */
typedef void (*cx_lex_report_fn)(void *arg, const char *path, int line, int warning, const char *why);

/* cx_lex_load in report mode (cxflow-lexcheck): fn is called for every
 * skipped line and ignored file instead of one logged warning per file. */
cx_lexicons *cx_lex_load_report(cx_text *t, const char *dir, cx_lex_report_fn fn, void *arg, char *err,
                                size_t errlen);
void cx_lex_free(cx_lexicons **lx);
const cx_lexlang *cx_lex_find(const cx_lexicons *lx, const char *lang);

#endif
