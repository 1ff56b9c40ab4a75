/* cx_text.c - multilingual text analysis: normalisation, segmentation,
 * token typing, stemming and lexicon flags (see cx_text.h).
 *
 * One call of cx_text_analyze does, in order:
 *
 *  0. when a redactor is attached (cx_text_set_pii), replace PII in
 *     env->text by placeholders ("[EMAIL]"), so that nothing below - and
 *     nothing downstream - sees the original;
 *  1. decode the UTF-8 text into a reused UTF-16 buffer, remembering the
 *     byte offset of every unit (for surface forms) and mapping Unicode
 *     spaces to ' ' and the Bengali ৷ to the danda ।;
 *  2. choose the language (forced > trusted hint > detection > default);
 *  3. pre-scan for tokens ICU would split: URLs, e-mails, @mentions,
 *     #hashtags and ASCII emoticons;
 *  4. walk ICU's word boundaries, typing each segment by its rule status
 *     (word / number / other) and by code point properties (emoji,
 *     punctuation), normalising words (NFKC, case folding, script fixes,
 *     letter-stretch collapse), joining Persian affixes typed apart, and
 *     stemming them with Snowball (or the light stemmer of
 *     lexicons/stemming/<lang>.tsv); words seen before come from the token
 *     and word caches;
 *  5. assign sentences from ICU's sentence boundaries and derive structural
 *     flags (sentence end, clause end, question, exclamation);
 *  6. apply lexicon flags (stop words, negators, contrast ...), including
 *     multi-word terms;
 *  7. copy tokens and all their strings into the envelope pool in one
 *     allocation.
 *
 * Nothing in the per-record path calls malloc once the reused buffers have
 * grown to the size of the largest record seen. */
#include "cx_text.h"
#include "cx_alloc.h"
#include "cx_pii.h"
#include "cx_text_int.h"
#include "langid.h"
#include <libstemmer.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#define W16CAP 8192          /* normalisation scratch: 256 units x worst NFKC expansion */
#define MAX_SEG16 256        /* a word segment longer than this is cut before normalising */
#define MAX_SURFACE 1024     /* bytes of a surface form */

/* ISO 639-1 -> Snowball algorithm.  Availability is checked at run time
 * against sb_stemmer_list(). */
static const struct { const char *iso, *algo; } stem_map[] = {
    {"en", "english"},    {"de", "german"},    {"es", "spanish"},    {"fr", "french"},
    {"it", "italian"},    {"pt", "portuguese"}, {"nl", "dutch"},     {"sv", "swedish"},
    {"da", "danish"},     {"no", "norwegian"}, {"nb", "norwegian"},  {"nn", "norwegian"},
    {"fi", "finnish"},    {"ru", "russian"},   {"tr", "turkish"},    {"ar", "arabic"},
    {"ta", "tamil"},      {"hi", "hindi"},     {"ne", "nepali"},     {"el", "greek"},
    {"id", "indonesian"}, {"hu", "hungarian"}, {"ro", "romanian"},   {"ga", "irish"},
    {"lt", "lithuanian"}, {"ca", "catalan"},   {"eu", "basque"},     {"sr", "serbian"},
    {"hy", "armenian"},   {"yi", "yiddish"},
};
#define N_STEM ((int)(sizeof stem_map / sizeof stem_map[0]))

/* Properties of every BMP code point that the per-character loops need,
 * looked up once per process from ICU so that the hot paths make no ICU
 * property calls:
 *   bits 0-1  sentence-break class (sb_kind): 1 terminal (STerm, ATerm,
 *             separators), 2 neutral after a terminal (Close, Sp, Extend,
 *             Format), 0 other; ASCII as ascii_sb has it, and 3 for a lead
 *             surrogate (the supplementary character decides)
 *   P_FOLD    changes under case folding
 *   P_LM      letter or combining mark
 *   P_ND      decimal digit
 *   P_LOWER   lower-case letter
 *   P_UPPER   upper- or title-case letter
 *   P_PICT    may start an emoji (Emoji_Presentation or Extended_Pictographic) */
enum { P_SB = 3, P_FOLD = 4, P_LM = 8, P_ND = 16, P_LOWER = 32, P_UPPER = 64, P_PICT = 128 };
static uint8_t cprop[0x10000];
static once_flag cprop_once = ONCE_FLAG_INIT;

/* Characters that are NFKC_Quick_Check=Yes with canonical combining class
 * 0, one bit each (BMP, and U+1F000-U+1FFFF for emoji): a string of them
 * only is NFKC, and the decoder notes whether a text is one. */
static uint8_t nfkc_plain[0x10000 / 8], nfkc_plain_1f[0x1000 / 8];

/* ASCII as norm_word's fast path writes it: lower case, '`' as an
 * apostrophe; in the Turkic table 'I' is 0x80, which sends the word to the
 * Unicode path (it folds to dotless ı there). */
static uint8_t ascii_fold[128], ascii_fold_tr[128];
static void ascii_fold_build(void) {
    for (int c = 0; c < 128; c++)
        ascii_fold[c] = ascii_fold_tr[c] = (uint8_t)((c >= 'A' && c <= 'Z') ? c + 32 : c == '`' ? '\'' : c);
    ascii_fold_tr['I'] = 0x80;
}

/* Sentence-break class of ASCII for sb_kind (bits 0-1 of cprop): its own
 * choice, not quite the property's ('(', '[' and '{' are Close, controls
 * are Other). */
static const uint8_t ascii_sb[128] = {
    [0] = 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, [10] = 1, 2, 2, [13] = 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, [' '] = 2, ['"'] = 2, ['\''] = 2, [')'] = 2, ['.'] = 1, ['!'] = 1, ['?'] = 1,
};

static void cprop_build(void) {
    for (UChar32 c = 0; c < 0x10000; c++) {
        int sb = u_getIntPropertyValue(c, UCHAR_SENTENCE_BREAK);
        uint8_t v = (sb == U_SB_STERM || sb == U_SB_ATERM || sb == U_SB_SEP || sb == U_SB_LF || sb == U_SB_CR) ? 1
                    : (sb == U_SB_CLOSE || sb == U_SB_SP || sb == U_SB_EXTEND || sb == U_SB_FORMAT)             ? 2
                                                                                                               : 0;
        uint32_t gc = U_MASK(u_charType(c));
        if (u_hasBinaryProperty(c, UCHAR_CHANGES_WHEN_CASEFOLDED)) v |= P_FOLD;
        if (gc & (U_GC_L_MASK | U_GC_M_MASK)) v |= P_LM;
        if (gc & U_GC_ND_MASK) v |= P_ND;
        if (gc & U_GC_LL_MASK) v |= P_LOWER;
        if (gc & (U_GC_LU_MASK | U_GC_LT_MASK)) v |= P_UPPER;
        if (u_hasBinaryProperty(c, UCHAR_EMOJI_PRESENTATION) || u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC))
            v |= P_PICT;
        cprop[c] = v;
    }
    cprop[0x09F7] = (uint8_t)((cprop[0x09F7] & ~P_SB) | 1);   /* ৷ is read as a danda */
    for (UChar32 c = 0; c < 0x80; c++) cprop[c] = (uint8_t)((cprop[c] & ~P_SB) | ascii_sb[c]);
    for (UChar32 c = 0xD800; c < 0xDC00; c++) cprop[c] |= P_SB;
    ascii_fold_build();
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&st);
    for (UChar32 c = 0; c < 0x20000 && U_SUCCESS(st); c++) {
        if (c == 0x10000) c = 0x1F000;
        if (U_IS_SURROGATE(c) || u_getIntPropertyValue(c, UCHAR_NFKC_QUICK_CHECK) != UNORM_YES ||
            unorm2_getCombiningClass(nfkc, c) != 0)
            continue;
        if (c < 0x10000) nfkc_plain[c >> 3] |= (uint8_t)(1u << (c & 7));
        else nfkc_plain_1f[(c - 0x1F000) >> 3] |= (uint8_t)(1u << (c & 7));
    }
}

/* Property bits of any code point (supplementary ones go to ICU). */
static unsigned cprop_of(UChar32 c) {
    if (c <= 0xFFFF) return cprop[c];
    unsigned v = 0;
    uint32_t gc = U_MASK(u_charType(c));
    if (gc & (U_GC_L_MASK | U_GC_M_MASK)) v |= P_LM;
    if (gc & U_GC_ND_MASK) v |= P_ND;
    if (gc & U_GC_LL_MASK) v |= P_LOWER;
    if (gc & (U_GC_LU_MASK | U_GC_LT_MASK)) v |= P_UPPER;
    if (u_hasBinaryProperty(c, UCHAR_CHANGES_WHEN_CASEFOLDED)) v |= P_FOLD;
    if (u_hasBinaryProperty(c, UCHAR_EMOJI_PRESENTATION) || u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) ||
        u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR))
        v |= P_PICT;
    return v;
}

/* Feedback vocabulary is highly repetitive, and everything a word token
 * gets from its normal form alone - its lexicon entry, its stem (a few
 * hundred ns of Snowball), the rule flags of the stem, negated-form affixes,
 * English negation - is memoised in a direct-mapped cache keyed by
 * (language, normalised word).  Stems do not depend on the lexicons, but
 * the flags (and light stems) do: they are only valid while gen equals
 * t->lex_gen, which changes whenever the tables are replaced, and they are
 * neither used nor stored while lexicons are being built (cx_lex_load
 * analyses terms with tables other than t->lex).  Words of WORDC_LEN bytes
 * or more bypass the cache. */
#define WORDC_SLOTS 8192
#define WORDC_LEN 48
typedef struct word_slot {
    uint32_t lang;         /* lctx.lkey; 0 = empty */
    uint32_t gen;          /* t->lex_gen the flags were computed with; 0 = the stem only */
    uint32_t flags;        /* as winfo.flags */
    uint8_t klen, slen;
    uint8_t has_stem;      /* 0: the word has no stem (winfo.stem NULL) */
    char key[WORDC_LEN];
    char stem[WORDC_LEN];
} word_slot;

/* The token cache in front of it (emit_word_src), keyed by the source of
 * a word segment (UTF-16, up to TOKC_UNITS units) and the language: the
 * norm (a pure function of the two, given nfkc_ok, part of the key), the
 * ALLCAPS flag (of the source) and what word_info gives the norm, valid
 * while gen equals t->lex_gen.  Only for analyses with t->lex. */
#define TOKC_SLOTS 4096
#define TOKC_UNITS 24
#define TOKC_LEN 48
#define TOKC_NFKC (1u << 25)   /* key bit: the text passed the NFKC quick check */
typedef struct tok_slot {
    uint32_t lang;         /* lctx.lkey | TOKC_NFKC; 0 = empty */
    uint32_t gen;
    uint32_t flags;        /* ALLCAPS and winfo.flags */
    uint8_t nunits, nlen, slen, has_stem;
    UChar src[TOKC_UNITS];
    char norm[TOKC_LEN];   /* NUL-terminated */
    char stem[TOKC_LEN];
} tok_slot;

/* What word_info finds for a normalised word. */
typedef struct winfo {
    const char *stem;      /* NULL: no stemmer for the language */
    int32_t slen;
    uint32_t flags;        /* lexicon value's flags (CX_LX_PHRASE_START included), rule flags of the
                            * stem, CX_TF_NEGATED_FORM, English CX_TF_NEGATOR */
} winfo;

/* One token while a record is being analysed; strings live in t->arena. */
typedef struct tokrec {
    uint32_t norm, stem, surf;     /* arena offsets */
    uint16_t norm_len, stem_len, surf_len;
    uint16_t sent;
    uint32_t flags;
    uint8_t type;
    uint8_t phrase_start;
} tokrec;

/* A token found by the pre-scan (URL, e-mail, mention, hashtag, emoticon). */
typedef struct span {
    int32_t s, e;
    uint8_t type;
    uint8_t stretched;
    const char *norm;   /* emoticons: canonical form */
} span;

struct cx_text {
    char *lexdir;
    char default_lang[8];
    int trust_hint;
    float min_conf;             /* langid.min_confidence */
    int per_sentence;           /* langid.per_sentence */
    int lid_method;             /* cx_langid_method */
    UBreakIterator *wbi, *sbi;
    const UNormalizer2 *nfkc;
    cx_lexicons *lex;
    cx_langid *lid;
    struct sb_stemmer *stemmers[N_STEM];
    uint8_t stem_tried[N_STEM];
    word_slot *wordc;
    tok_slot *tokc;
    uint32_t lex_gen;           /* changes whenever t->lex is replaced (word_slot.gen) */
    /* per-record buffers, reused */
    UChar *u;
    int32_t *uoff;
    size_t ucap;
    UChar w1[W16CAP], w2[W16CAP];
    span *spans;
    int nspans, spancap;
    tokrec *toks;
    int ntok;
    char *arena;
    size_t alen, acap;
    cx_pii *pii;          /* borrowed redactor, or NULL */
    cx_buf pbuf;          /* redacted text, reused */
};

/* Per-call language settings. */
typedef struct lctx {
    char lang[8];
    const cx_lexlang *lx;
    struct sb_stemmer *stem;
    uint32_t lkey;        /* lang packed into a number (word cache key) */
    int lex_current;      /* the tables are t->lex: word flags may be cached */
    int nfkc_ok;          /* the whole text is already NFKC */
    int persian, elision, turkish, english;
    int stretch_min;
} lctx;

/* Per-call state of the segmentation loop. */
typedef struct an_state {
    cx_text *t;
    const lctx *lc;
    const char *text;
    size_t blen;
    int32_t n;
    int bad;              /* the input had invalid UTF-8 */
    int need_sbi;         /* more than one sentence is possible */
    int nfkc_plain;       /* every character is NFKC_QC=Yes with combining class 0 (nfkc_plain) */
    int32_t sent_lim;     /* end of the current ICU sentence */
    int32_t sent_start, sent_end;   /* the sentence iterator sees u[sent_start..sent_end) (sentence_window) */
    int icu_sent, last_icu, cur_sent, pending_sent;
    int32_t lastw_p, lastw_e;   /* source range of the last word token ... */
    int lastw_tok;              /* ... and its index (-1: none) */
    const char *why;      /* failure reason when not out of memory */
} an_state;

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

static int is_ascii_alnum(UChar32 c) {
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* A character that continues a word for the purpose of span boundaries. */
static int is_wordch(UChar32 c) {
    if (c < 0x80) return is_ascii_alnum(c) || c == '_';
    if (c == 0x200C || c == 0x200D) return 1;
    return (cprop_of(c) & (P_LM | P_ND)) != 0;
}

static int is_letter_or_mark(UChar32 c) {
    if (c < 0x80) return (c | 32) >= 'a' && (c | 32) <= 'z';
    return (cprop_of(c) & P_LM) != 0;
}

/* Copy a language code into out[8]: lower case, region stripped ("pt-BR" ->
 * "pt").  Anything that is not 2-3 ASCII letters becomes "und". */
static void lang_canon(const char *in, char out[8]) {
    size_t n = 0;
    while (in && in[n] && in[n] != '-' && in[n] != '_' && n < 4) n++;
    int ok = in && n >= 2 && n <= 3 && (in[n] == '\0' || in[n] == '-' || in[n] == '_');
    for (size_t i = 0; ok && i < n; i++) {
        char c = (char)(in[i] | 32);
        if (c < 'a' || c > 'z') ok = 0;
        else out[i] = c;
    }
    if (!ok) { memcpy(out, "und", 4); return; }
    out[n] = '\0';
}

static int stem_index(const char *lang) {
    if (!lang[0] || !lang[1]) return -1;
    for (int i = 0; i < N_STEM; i++)   /* all codes in the map have two letters */
        if (stem_map[i].iso[0] == lang[0] && stem_map[i].iso[1] == lang[1] && !lang[2]) return i;
    return -1;
}

const char *cx_text_stemmer_name(const char *lang) {
    char l[8];
    lang_canon(lang, l);
    int i = stem_index(l);
    if (i < 0) return NULL;
    for (const char **a = sb_stemmer_list(); *a; a++)
        if (!strcmp(*a, stem_map[i].algo)) return stem_map[i].algo;
    return NULL;
}

int cx_text_has_stemmer(const char *lang) { return cx_text_stemmer_name(lang) != NULL; }

/* The cached stemmer for lang, created on first use; NULL when Snowball has
 * no algorithm for it (or memory ran out: then the words go unstemmed). */
static struct sb_stemmer *get_stemmer(cx_text *t, const char *lang) {
    int i = stem_index(lang);
    if (i < 0) return NULL;
    if (!t->stem_tried[i]) {
        t->stem_tried[i] = 1;
        if (cx_text_stemmer_name(lang)) t->stemmers[i] = sb_stemmer_new(stem_map[i].algo, "UTF_8");
    }
    return t->stemmers[i];
}

/* Light stem for a language without Snowball (lexicons/stemming/<lang>.tsv):
 * cut the longest listed suffix (and a ZWNJ before it) that leaves at least
 * the suffix's minimum number of code points.  The stem is a prefix of
 * norm: returns norm with *slen set, or NULL when nothing is cut. */
static const char *light_stem(const cx_lexlang *lx, const char *norm, int32_t len, int32_t *slen) {
    for (int i = 0; i < lx->nstemsuf; i++) {
        const cx_stemsuf *f = &lx->stemsuf[i];
        /* the last byte first: it rules out most suffixes without memcmp */
        if (f->len >= len || (f->len > 0 && norm[len - 1] != f->s[f->len - 1]) ||
            memcmp(norm + len - f->len, f->s, (size_t)f->len))
            continue;
        int32_t r = len - f->len, cps = 0;
        if (r >= 3 && !memcmp(norm + r - 3, "\xe2\x80\x8c", 3)) r -= 3;
        for (int32_t k = 0; k < r; k++) cps += ((uint8_t)norm[k] & 0xC0) != 0x80;
        if (cps < f->min) continue;
        *slen = r;
        return norm;
    }
    return NULL;
}

/* Are the n bytes at x and y equal?  Strings of 4-16 bytes (most words)
 * are compared with fixed-size loads instead of a library call. */
static inline int bytes_eq(const char *x, const char *y, size_t n) {
    if (n >= 8 && n <= 16) {
        uint64_t a, b, c, d;
        memcpy(&a, x, 8);
        memcpy(&b, y, 8);
        memcpy(&c, x + n - 8, 8);
        memcpy(&d, y + n - 8, 8);
        return ((a ^ b) | (c ^ d)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t a, b, c, d;
        memcpy(&a, x, 4);
        memcpy(&b, y, 4);
        memcpy(&c, x + n - 4, 4);
        memcpy(&d, y + n - 4, 4);
        return ((a ^ b) | (c ^ d)) == 0;
    }
    return !memcmp(x, y, n);
}

/* English negation: "n't" forms, and the forms customers write without the
 * apostrophe.  Every one of them ends in 't', which filters most words. */
static int en_negation(const char *s, int32_t n) {
    static const char *const w[] = {"dont", "didnt", "doesnt", "isnt", "wasnt", "werent", "arent", "havent",
                                    "hasnt", "hadnt", "couldnt", "wouldnt", "shouldnt", "cant", "wont", "aint",
                                    "cannot", "mustnt", "neednt", NULL};
    if (n < 4 || s[n - 1] != 't') return 0;
    if (s[n - 2] == '\'' && s[n - 3] == 'n') return 1;
    for (int i = 0; w[i]; i++)
        if (w[i][0] == s[0] && (int32_t)strlen(w[i]) == n && !memcmp(w[i], s, (size_t)n)) return 1;
    return 0;
}

/* The lexicon value, stem and derived flags of word norm (len bytes, hash
 * its cx_hmap_hash) in the call's language, without the cache. */
static void word_info_compute(const lctx *lc, const char *norm, int32_t len, uint32_t hash, int stem_known,
                              winfo *wi) {
    const cx_lexlang *lx = lc->lx;
    const uint64_t *hv = lx ? cx_hmap_get_h(lx->words, norm, (size_t)len, hash) : NULL;
    uint32_t flags = hv ? (uint32_t)*hv : 0;
    if (!stem_known) {
        wi->stem = NULL;
        wi->slen = 0;
        if (lc->stem) {
            const char *st = (const char *)sb_stemmer_stem(lc->stem, (const sb_symbol *)norm, len);
            if (st) {
                wi->stem = st;
                wi->slen = sb_stemmer_length(lc->stem);
            }
        } else if (lx && lx->nstemsuf) {
            wi->stem = light_stem(lx, norm, len, &wi->slen);
        }
    }
    const char *stem = wi->stem;
    int32_t slen = wi->slen;
    if (lx && stem && !(flags & CX_LX_RULE_MASK) && (slen != len || memcmp(stem, norm, (size_t)len))) {
        const uint64_t *sv = cx_hmap_get(lx->stems, stem, (size_t)slen);
        if (sv) flags |= (uint32_t)*sv & CX_LX_RULE_MASK;
    }
    if (lx) {
        /* the first (last) byte is compared inline before memcmp: most
         * words share it with none of the language's affixes */
        for (int i = 0; i < lx->nprefix; i++) {
            const cx_affix *f = &lx->prefixes[i];
            if (len > f->len && (f->len == 0 || norm[0] == f->s[0]) && !memcmp(norm, f->s, (size_t)f->len)) {
                flags |= CX_TF_NEGATED_FORM;
                break;
            }
        }
        for (int i = 0; i < lx->nsuffix; i++) {
            const cx_affix *f = &lx->suffixes[i];
            if (len > f->len && (f->len == 0 || norm[len - 1] == f->s[f->len - 1]) &&
                !memcmp(norm + len - f->len, f->s, (size_t)f->len)) {
                flags |= CX_TF_NEGATED_FORM;
                break;
            }
        }
    }
    if (lc->english && en_negation(norm, len)) flags |= CX_TF_NEGATOR;
    wi->flags = flags;
}

/* word_info_compute through the word cache: two-way sets, the way used last
 * first (two frequent words that share a set would otherwise evict each
 * other on every record).  wi->stem may point into the cache or Snowball's
 * buffer: it is valid until the next call. */
static void word_info(cx_text *t, const lctx *lc, const char *norm, int32_t len, uint32_t hash, winfo *wi) {
    word_slot *set = NULL;
    int found = 0, stem_known = 0;
    if (len < WORDC_LEN) {
        uint32_t h = hash ^ (lc->lkey * 0x9E3779B1u);
        set = &t->wordc[(h ^ (h >> 15)) & (WORDC_SLOTS - 2)];
        for (int w = 0; w < 2 && !found; w++) {
            const word_slot *c = &set[w];
            if (c->lang != lc->lkey || c->klen != len || !bytes_eq(c->key, norm, (size_t)len)) continue;
            if (w) {   /* the other way: make it the first */
                word_slot tmp = set[0];
                set[0] = set[1];
                set[1] = tmp;
            }
            found = 1;
        }
        if (found) {
            wi->stem = set->has_stem ? set->stem : NULL;
            wi->slen = set->slen;
            if (lc->lex_current && set->gen == t->lex_gen) {
                wi->flags = set->flags;
                return;
            }
            /* a Snowball stem holds whatever the tables; a light stem comes from them */
            stem_known = lc->stem != NULL;
        }
    }
    word_info_compute(lc, norm, len, hash, stem_known, wi);
    if (!set || (wi->stem && wi->slen >= WORDC_LEN)) return;   /* too long */
    if (lc->stem && !wi->stem) return;                          /* Snowball failed */
    if (!lc->lex_current && !lc->stem) return;   /* nothing in it holds beyond this call */
    word_slot *sl = set;
    if (!stem_known) {
        if (!found) set[1] = set[0];   /* the older way goes */
        sl->klen = (uint8_t)len;
        memcpy(sl->key, norm, (size_t)len);
        sl->has_stem = wi->stem != NULL;
        sl->slen = (uint8_t)wi->slen;
        if (wi->stem) memcpy(sl->stem, wi->stem, (size_t)wi->slen);
        sl->lang = lc->lkey;
    }
    sl->flags = wi->flags;
    sl->gen = lc->lex_current ? t->lex_gen : 0;
    if (wi->stem) wi->stem = sl->stem;
}

/* Make room for n more bytes in the arena.  0 / -1. */
static int arena_reserve(cx_text *t, size_t n) {
    if (t->alen + n <= t->acap) return 0;
    size_t nc = t->acap ? t->acap * 2 : 8192;
    while (nc < t->alen + n) nc *= 2;
    char *a = cx_realloc(t->arena, nc);
    if (!a) return -1;
    t->arena = a;
    t->acap = nc;
    return 0;
}

/* Append n bytes plus a NUL to the arena, which has room for them (most
 * strings are short: up to 16 bytes are copied with fixed-size moves, not
 * a library call).  Returns the offset. */
static inline uint32_t arena_add(cx_text *t, const char *s, size_t n) {
    char *d = t->arena + t->alen;
    if (n >= 8 && n <= 16) {
        uint64_t x, y;
        memcpy(&x, s, 8);
        memcpy(&y, s + n - 8, 8);
        memcpy(d, &x, 8);
        memcpy(d + n - 8, &y, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        memcpy(d, &x, 4);
        memcpy(d + n - 4, &y, 4);
    } else {
        memcpy(d, s, n);
    }
    d[n] = '\0';
    uint32_t off = (uint32_t)t->alen;
    t->alen += n + 1;
    return off;
}

/* Encode UTF-16 into UTF-8, at most cap-1 bytes, cut at a character
 * boundary.  Returns the length (out is NUL-terminated). */
static int32_t u16_to_u8(const UChar *s, int32_t n, char *out, int32_t cap) {
    int32_t i = 0, o = 0;
    while (i < n) {
        UChar32 c;
        U16_NEXT(s, i, n, c);
        if (U_IS_SURROGATE(c)) c = 0xFFFD;
        if (o + U8_LENGTH(c) >= cap) break;
        U8_APPEND_UNSAFE(out, o, c);
    }
    out[o] = '\0';
    return o;
}

/* ------------------------------------------------------------------ */
/* normalisation                                                        */

/* Arabic-script letters (Arabic, Supplement, presentation forms), where a
 * ZWNJ separates the parts of one word (Persian می‌خواهم, کتاب‌ها). */
static int is_arabic_script(UChar c) {
    return (c >= 0x0620 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F) || (c >= 0xFB50 && c <= 0xFDFF) ||
           (c >= 0xFE70 && c <= 0xFEFC);
}

/* Greek vowels with tonos or dialytika -> the bare vowel (lower case, after
 * folding), or 0.  Capitals are written without accents, so "ΚΑΚΗ" and
 * "κακή" must meet. */
static UChar greek_bare(UChar c) {
    switch (c) {
    case 0x03AC: return 0x03B1;
    case 0x03AD: return 0x03B5;
    case 0x03AE: return 0x03B7;
    case 0x03AF: case 0x03CA: case 0x0390: return 0x03B9;
    case 0x03CC: return 0x03BF;
    case 0x03CD: case 0x03CB: case 0x03B0: return 0x03C5;
    case 0x03CE: return 0x03C9;
    default: return 0;
    }
}

/* Character-level fixes applied after NFKC and case folding, in place:
 * drop tatweel, harakat and invisible format characters (ZWJ included);
 * keep ZWNJ only after an Arabic-script letter (elsewhere it only steers
 * rendering); drop the dot above that folding "İ" leaves outside Turkish;
 * remove Greek accents; unify apostrophes; turn decimal digits of any
 * script into ASCII; Persian letter forms for fa/ur.  Returns the new
 * length. */
static int32_t script_fixes(UChar *b, int32_t n, const lctx *lc) {
    int32_t o = 0;
    for (int32_t i = 0; i < n; i++) {
        UChar c = b[i];
        if (c < 0x80) {
            b[o++] = c == '`' ? '\'' : c;
            continue;
        }
        switch (c) {
        case 0x0640: case 0x00AD: case 0x200B: case 0x200D: case 0x200E: case 0x200F: case 0x2060: case 0xFEFF:
            continue;
        case 0x200C:
            if (o > 0 && is_arabic_script(b[o - 1])) b[o++] = c;
            continue;
        case 0x0307:
            if (o > 0 && b[o - 1] == 'i') continue;
            break;
        case 0x0390: case 0x03AC: case 0x03AD: case 0x03AE: case 0x03AF: case 0x03B0: case 0x03CA: case 0x03CB:
        case 0x03CC: case 0x03CD: case 0x03CE:
            b[o++] = greek_bare(c);
            continue;
        case 0x2019: case 0x2018: case 0x02BC: case 0x00B4:
            b[o++] = '\'';
            continue;
        case 0x066B: b[o++] = '.'; continue;
        case 0x066C: b[o++] = ','; continue;
        case 0x064A: case 0x0649: b[o++] = lc->persian ? 0x06CC : c; continue;
        case 0x0643: b[o++] = lc->persian ? 0x06A9 : c; continue;
        default: break;
        }
        if ((c >= 0x064B && c <= 0x0652) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
            c == 0x061C)
            continue;
        /* Hebrew points and cantillation (not in Yiddish, where they spell) */
        if (c >= 0x0591 && c <= 0x05C7 && (cprop[c] & P_LM) && strcmp(lc->lang, "yi")) continue;
        if (cprop[c] & P_ND) {
            int32_t d = u_charDigitValue(c);
            if (d >= 0 && d <= 9) { b[o++] = (UChar)('0' + d); continue; }
        }
        b[o++] = c;
    }
    while (o > 0 && b[o - 1] == 0x200C) o--;
    return o;
}

/* Encode s into UTF-8 collapsing letter stretches: a run of at least
 * stretch_min identical letters becomes two in out and one in out1.  Both
 * outputs hold at most CX_TEXT_MAX_WORD bytes.  Returns the length of out
 * and sets *stretched. */
static int32_t collapse_encode(const UChar *s, int32_t n, int stretch_min, char *out, char *out1, int32_t *len1,
                               int *stretched) {
    int32_t i = 0, o = 0, o1 = 0;
    int full = 0;
    *stretched = 0;
    /* fast path: no unit repeats stretch_min times, so nothing collapses */
    int run = 1, any = 0;
    for (int32_t k = 1; k < n && !any; k++) {
        run = s[k] == s[k - 1] ? run + 1 : 1;
        any = run >= stretch_min;
    }
    if (!any) {
        *len1 = 0;
        return u16_to_u8(s, n, out, CX_TEXT_MAX_WORD);
    }
    while (i < n && !full) {
        UChar32 c;
        U16_NEXT(s, i, n, c);
        if (U_IS_SURROGATE(c)) c = 0xFFFD;
        int run = 1;
        if (is_letter_or_mark(c)) {
            for (;;) {
                int32_t j = i;
                UChar32 d;
                if (j >= n) break;
                U16_NEXT(s, j, n, d);
                if (d != c) break;
                i = j;
                run++;
            }
        }
        int keep = run, keep1 = run;
        if (run >= stretch_min) {
            keep = 2;
            keep1 = 1;
            *stretched = 1;
        }
        int cl = U8_LENGTH(c);
        for (int k = 0; k < keep; k++) {
            if (o + cl >= CX_TEXT_MAX_WORD) { full = 1; break; }
            U8_APPEND_UNSAFE(out, o, c);
        }
        for (int k = 0; k < keep1; k++) {
            if (o1 + cl >= CX_TEXT_MAX_WORD) break;
            U8_APPEND_UNSAFE(out1, o1, c);
        }
    }
    out[o] = '\0';
    out1[o1] = '\0';
    *len1 = o1;
    return o;
}

/* Normalise one word segment (UTF-16) into out (UTF-8): NFKC, full case
 * folding (Turkic dotted/dotless i for tr/az), script fixes, stretch
 * collapse.  out1 receives the variant with stretches collapsed to one
 * letter.  ASCII words take a fast path that gives the same result.
 * Returns the length of out (0: nothing left). */
static int32_t norm_word(cx_text *t, const lctx *lc, const UChar *s, int32_t n, char *out, char *out1,
                         int32_t *len1, int *stretched) {
    /* ASCII path (not for a Turkic capital I): lower-case byte by byte,
     * testing for ASCII in the same pass; a word without a stretch (nearly
     * all) takes that first loop only.  A non-ASCII unit, even past the
     * cut at CX_TEXT_MAX_WORD or after a stretch, sends the whole word to
     * the Unicode path below (what is in out by then is overwritten). */
    {
        int32_t o = 0, o1 = 0, m = 0;
        int32_t cut = n >= CX_TEXT_MAX_WORD ? CX_TEXT_MAX_WORD - 1 : n;
        int run = 1;
        const uint8_t *fold = lc->turkish ? ascii_fold_tr : ascii_fold;
        unsigned prev = 0x100;
        for (; m < cut; m++) {
            UChar u = s[m];
            if (u >= 0x80) goto unicode;
            unsigned c = fold[u];
            if (c >= 0x80) goto unicode;   /* Turkic I */
            if (c == prev && c - 'a' < 26u) {   /* a run of one letter */
                if (++run >= lc->stretch_min) break;
            } else {
                run = 1;
            }
            out[o++] = (char)c;
            prev = c;
        }
        for (int32_t k = m; k < n; k++)   /* the rest: a stretch or past the cut */
            if (s[k] >= 0x80 || (s[k] == 'I' && lc->turkish)) goto unicode;
        *stretched = 0;
        if (run < lc->stretch_min) {
            out[o] = '\0';
            *len1 = 0;
            return o;
        }
        n = cut;
        o = 0;
        for (int32_t i = 0; i < n;) {
            char c = (char)s[i];
            c = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c == '`' ? '\'' : c;
            int32_t j = i + 1;
            if (c >= 'a' && c <= 'z')
                while (j < n && (s[j] | 32) == c) j++;
            int32_t run = j - i;
            if (run >= lc->stretch_min) {
                out[o++] = c;
                out[o++] = c;
                out1[o1++] = c;
                *stretched = 1;
            } else {
                for (int32_t k = 0; k < run; k++) out[o++] = out1[o1++] = c;
            }
            i = j;
        }
        out[o] = out1[o1] = '\0';
        *len1 = o1;
        return o;
    }
unicode:;
    /* NFKC: skipped when the whole text already passed the quick check
     * (the common case), since a word cut at an ICU word boundary of an
     * NFKC text is itself NFKC; otherwise skipped for a word that passes
     * it on its own (NFKC leaves such a word as it is): only the words
     * that hold what NFKC changes pay for normalising. */
    UErrorCode st = U_ZERO_ERROR;
    const UChar *src = s;
    int32_t l1 = n;
    if (!lc->nfkc_ok && unorm2_spanQuickCheckYes(t->nfkc, s, n, &st) != n) {
        st = U_ZERO_ERROR;
        l1 = unorm2_normalize(t->nfkc, s, n, t->w1, W16CAP, &st);
        if (U_SUCCESS(st)) src = t->w1;
        else l1 = n;
    }
    st = U_ZERO_ERROR;
    /* Case folding only when some character changes under it: scripts
     * without case (Arabic, Indic, CJK, Thai) never pay for it. */
    int fold = 0;
    for (int32_t i = 0; i < l1 && !fold;) {
        UChar32 c;
        U16_NEXT(src, i, l1, c);
        fold = c < 0x80 ? (c >= 'A' && c <= 'Z') : (cprop_of(c) & P_FOLD) != 0;
    }
    UChar *b = t->w2;
    int32_t l2 = l1;
    if (!fold) {
        memcpy(b, src, (size_t)l1 * sizeof *b);
    } else {
        st = U_ZERO_ERROR;
        uint32_t fopt = lc->turkish ? U_FOLD_CASE_EXCLUDE_SPECIAL_I : U_FOLD_CASE_DEFAULT;
        l2 = u_strFoldCase(t->w2, W16CAP, src, l1, fopt, &st);
        if (U_FAILURE(st)) {
            memcpy(b, src, (size_t)l1 * sizeof *b);
            l2 = l1;
        } else if (!unorm2_isNormalized(t->nfkc, t->w2, l2, &st) && U_SUCCESS(st)) {
            /* folding can undo NFKC in rare cases: normalise again */
            int32_t l3 = unorm2_normalize(t->nfkc, t->w2, l2, t->w1, W16CAP, &st);
            if (U_SUCCESS(st)) { b = t->w1; l2 = l3; }
        }
    }
    l2 = script_fixes(b, l2, lc);
    return collapse_encode(b, l2, lc->stretch_min, out, out1, len1, stretched);
}

int cx_text__norm_term(cx_text *t, const char *lang, const char *s, size_t n, char *out, size_t cap) {
    lctx lc;
    memset(&lc, 0, sizeof lc);
    lang_canon(lang, lc.lang);
    lc.persian = !strcmp(lc.lang, "fa") || !strcmp(lc.lang, "ur");
    lc.turkish = !strcmp(lc.lang, "tr") || !strcmp(lc.lang, "az");
    lc.stretch_min = 1000;   /* affixes are written deliberately */
    UChar in[MAX_SEG16];
    int32_t un = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8WithSub(in, MAX_SEG16, &un, s, (int32_t)n, 0xFFFD, NULL, &st);
    if (U_FAILURE(st) || cap < 2) return 0;
    char o[CX_TEXT_MAX_WORD], o1[CX_TEXT_MAX_WORD];
    int32_t l1, stretched;
    int32_t len = norm_word(t, &lc, in, un, o, o1, &l1, &stretched);
    if ((size_t)len >= cap) len = 0;
    memcpy(out, o, (size_t)len);
    out[len] = '\0';
    return len;
}

/* ------------------------------------------------------------------ */
/* decoding and the pre-scan                                            */

/* Decode text[0..blen) into t->u, recording byte offsets, mapping Unicode
 * spaces to ' ' and ৷ to ।, and noting whether every character is in
 * nfkc_plain.  Returns 0 / -1 (out of memory). */
static int decode(cx_text *t, an_state *a) {
    const uint8_t *s = (const uint8_t *)a->text;
    int32_t blen = (int32_t)a->blen;
    if ((size_t)blen + 1 > t->ucap) {
        size_t nc = t->ucap ? t->ucap : 1024;
        while (nc < (size_t)blen + 1) nc *= 2;
        UChar *u = cx_malloc(nc * sizeof *u);
        int32_t *o = cx_malloc(nc * sizeof *o);
        if (!u || !o) { cx_free(u); cx_free(o); return -1; }
        cx_free(t->u);
        cx_free(t->uoff);
        t->u = u;
        t->uoff = o;
        t->ucap = nc;
    }
    UChar *u = t->u;
    int32_t *off = t->uoff;
    int32_t i = 0, n = 0;
    unsigned plain = 1;   /* (ASCII is NFKC) */
    while (i < blen) {
        if (s[i] < 0x80) {
            /* a run of ASCII: find its end eight bytes at a time, then
             * copy it in a loop the compiler can vectorise */
            int32_t j = i + 1;
            for (uint64_t w; j + 8 <= blen; j += 8) {
                memcpy(&w, s + j, 8);
                if (w & 0x8080808080808080ull) break;
            }
            while (j < blen && s[j] < 0x80) j++;
            UChar *restrict uo = u + n;
            int32_t *restrict oo = off + n;
            const uint8_t *restrict so = s + i;
            for (int32_t k = 0; k < j - i; k++) {
                uo[k] = so[k];
                oo[k] = i + k;
            }
            n += j - i;
            i = j;
            continue;
        }
        int32_t start = i;
        UChar32 c;
        U8_NEXT(s, i, blen, c);
        if (c < 0) { c = 0xFFFD; a->bad = 1; }
        off[n] = start;
        if (c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F ||
            c == 0x3000)
            c = ' ';
        else if (c == 0x09F7)
            c = 0x0964;
        if (c <= 0xFFFF) {
            plain &= nfkc_plain[c >> 3] >> (c & 7);
            u[n++] = (UChar)c;
        } else {
            plain &= c >= 0x1F000 && c < 0x20000 ? nfkc_plain_1f[(c - 0x1F000) >> 3] >> (c & 7) : 0;
            off[n + 1] = start;
            u[n++] = U16_LEAD(c);
            u[n++] = U16_TRAIL(c);
        }
    }
    off[n] = blen;
    a->n = n;
    a->nfkc_plain = plain & 1;
    return 0;
}

/* Sentence-break class of a unit (bits 0-1 of cprop). */
static inline int sb_kind(UChar c) { return cprop[c] & P_SB; }

/* Is the code point at u[i] a terminal or a separator for the sentence
 * rules (Sentence_Break STerm, ATerm, Sep, CR or LF)?  ৷ also counts, as
 * in cprop; it never reaches the sentence iterator (decode makes it a
 * danda). */
static inline int sb_terminal_at(const UChar *u, int32_t i, int32_t n) {
    int k = sb_kind(u[i]);
    if (k != 3) return k == 1;
    if (i + 1 >= n || !U16_IS_TRAIL(u[i + 1])) return 0;
    int sb = u_getIntPropertyValue(U16_GET_SUPPLEMENTARY(u[i], u[i + 1]), UCHAR_SENTENCE_BREAK);
    return sb == U_SB_STERM || sb == U_SB_ATERM;
}

/* Can the text hold more than one sentence?  Only when a terminal is
 * followed, anywhere after it, by a character of class 0; otherwise the
 * whole text is one sentence for the analysis (even where ICU would start
 * another after a separator: "a.\n." keeps its last "." in the first) and
 * ICU's sentence iterator is not run.  (Supplementary characters are of
 * class 0 for this test.)  *first receives the position of the first
 * terminal or separator of any plane (sb_terminal_at) when there is one. */
static int sentences_possible(const UChar *u, int32_t n, int32_t *first) {
    int32_t i = 0;
    *first = -1;
    for (;; i++) {
        while (i < n && !(sb_kind(u[i]) & 1)) i++;   /* to a terminal (1) or a lead surrogate (3) */
        if (i >= n || sb_kind(u[i]) == 1) break;
        if (*first < 0 && sb_terminal_at(u, i, n)) *first = i;
    }
    if (*first < 0 && i < n) *first = i;
    for (i++; i < n; i++) {
        int k = sb_kind(u[i]);
        if (k == 0 || k == 3) return 1;
    }
    return 0;
}

/* Sentence_Break class of c for sentence_window: 1 a letter (OLetter,
 * Upper, Lower), 2 Extend or Format (ASCII has none), 0 anything else. */
static int sb_letter_ext(UChar32 c) {
    if (c < 0x80) return (c | 32) >= 'a' && (c | 32) <= 'z';
    int sb = u_getIntPropertyValue(c, UCHAR_SENTENCE_BREAK);
    return sb == U_SB_OLETTER || sb == U_SB_UPPER || sb == U_SB_LOWER ? 1
           : sb == U_SB_EXTEND || sb == U_SB_FORMAT                    ? 2
                                                                       : 0;
}

/* The part u[*start..end) of the text that ICU's sentence iterator has to
 * see to give every boundary that the whole text has strictly inside; f is
 * the first terminal or separator (sentences_possible), "terminal" below
 * meaning either.  UAX #29, which ICU's sentence rules implement, breaks
 * only after a separator (SB4) or after a terminal and the closing marks,
 * spaces and separator that follow it (SB11).  Whether it breaks at a
 * position x depends on
 *   - the characters before x back to the terminal that opens the sequence
 *     ending at x (SB6-SB11), and for SB7 the character before that
 *     terminal, Extend and Format characters counting with what they
 *     follow (SB5);
 *   - the characters from x up to the first letter (OLetter, Upper or
 *     Lower), separator or terminal: SB8 looks that far ahead, the other
 *     rules at the character at x only.
 * Let s be the start of the character before f (Extend and Format ones
 * skipped), j the last terminal that is not the last character, and m the
 * position after the first letter after j (n when there is none).  Then
 *   - the text has no boundary in (0, f], there being no terminal before,
 *     nor in [m, n): the terminal sequence before one there could not hold
 *     the letter at m - 1, so its terminal would come after that letter
 *     and before the last character;
 *   - likewise u[s..m) has no boundary in (s, f];
 *   - every position in (f, m) is decided alike in u[s..m) and in the
 *     whole text: what it depends on lies in [s, m), a look-ahead that
 *     starts before m meeting the letter at m - 1 at the latest.
 * So the boundaries of u[s..m) strictly inside it, moved by s, are those of
 * the text strictly inside it; its start and end are none of the text's
 * (sent_next reads the end as the end of the text).  The sentence rules
 * thus skip the text before the first terminal and after the letter that
 * follows the last one: most of the first and the last sentence. */
static int32_t sentence_window(const UChar *u, int32_t n, int32_t f, int32_t *start) {
    int32_t s = f;
    while (s > 0) {
        UChar32 c;
        U16_PREV(u, 0, s, c);
        if (sb_letter_ext(c) != 2) break;
    }
    *start = s;
    int32_t last = n - 1;   /* the last character */
    if (last > 0 && U16_IS_TRAIL(u[last]) && U16_IS_LEAD(u[last - 1])) last--;
    int32_t j = last - 1;
    for (;; j--) {
        while (j > f && !(sb_kind(u[j]) & 1)) j--;   /* (a trail unit is of class 0) */
        if (j == f || sb_terminal_at(u, j, n)) break;
    }
    for (int32_t i = j + 1; i < n;) {
        UChar32 c;
        U16_NEXT(u, i, n, c);
        if (sb_letter_ext(c) == 1) return i;
    }
    return n;
}

static int add_span(cx_text *t, int32_t s, int32_t e, int type, int stretched, const char *norm) {
    if (t->nspans == t->spancap) {
        int nc = t->spancap ? t->spancap * 2 : 32;
        span *ns = cx_realloc(t->spans, (size_t)nc * sizeof *ns);
        if (!ns) return -1;
        t->spans = ns;
        t->spancap = nc;
    }
    span *sp = &t->spans[t->nspans++];
    sp->s = s;
    sp->e = e;
    sp->type = (uint8_t)type;
    sp->stretched = (uint8_t)stretched;
    sp->norm = norm;
    return 0;
}

static int prefix_ci(const UChar *u, int32_t i, int32_t n, const char *p) {
    for (; *p; p++, i++)
        if (i >= n || u[i] >= 0x80 || (char)(u[i] | ((u[i] >= 'A' && u[i] <= 'Z') ? 32 : 0)) != *p) return 0;
    return 1;
}

/* URL starting at i (http://, https://, www.): its end, or -1. */
static int32_t scan_url(const UChar *u, int32_t i, int32_t n) {
    int32_t j;
    if (prefix_ci(u, i, n, "https://")) j = i + 8;
    else if (prefix_ci(u, i, n, "http://")) j = i + 7;
    else if (prefix_ci(u, i, n, "www.")) j = i + 4;
    else return -1;
    int32_t body = j;
    while (j < n) {
        UChar c = u[j];
        if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == '`' || c == 0x3002 || c == 0xFF0C) break;
        j++;
    }
    while (j > body && strchr(".,;:!?)]}'*", u[j - 1] < 0x80 ? (char)u[j - 1] : 'A') && u[j - 1] < 0x80) j--;
    if (j - body < 2) return -1;
    return j;
}

static int is_local_ch(UChar c) { return c < 0x80 && (is_ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'); }

/* E-mail address around the '@' at a (local part at or after floor):
 * sets *start and returns the end, or -1. */
static int32_t scan_email(const UChar *u, int32_t a, int32_t n, int32_t floor, int32_t *start) {
    int32_t s = a;
    while (s > floor && is_local_ch(u[s - 1])) s--;
    while (s < a && u[s] == '.') s++;
    if (s == a) return -1;
    int32_t j = a + 1, last_dot = -1;
    while (j < n && u[j] < 0x80 && (is_ascii_alnum(u[j]) || u[j] == '-' || u[j] == '.')) j++;
    while (j > a + 1 && (u[j - 1] == '.' || u[j - 1] == '-')) j--;
    for (int32_t k = j - 1; k > a && last_dot < 0; k--)
        if (u[k] == '.') last_dot = k;
    if (last_dot <= a + 1 || j - last_dot - 1 < 2) return -1;
    for (int32_t k = last_dot + 1; k < j; k++)
        if (!((u[k] | 32) >= 'a' && (u[k] | 32) <= 'z')) return -1;
    *start = s;
    return j;
}

/* @mention or #hashtag body after the sigil at i: its end, or -1.  A
 * hashtag needs a letter ("#1" is a number); dots are allowed inside a
 * mention but not at its end. */
static int32_t scan_tag(const UChar *u, int32_t i, int32_t n, int hashtag) {
    int32_t j = i + 1;
    int letters = 0;
    while (j < n) {
        UChar32 c;
        int32_t k = j;
        U16_NEXT(u, k, n, c);
        if (is_wordch(c)) {
            if (c < 0x80 ? (c | 32) >= 'a' && (c | 32) <= 'z' : u_isalpha(c)) letters++;
            j = k;
        } else if (!hashtag && c == '.' && k < n && is_wordch(u[k])) {
            j = k;
        } else break;
    }
    if (j == i + 1 || (hashtag && !letters)) return -1;
    return j;
}

/* ASCII emoticons (matched case-insensitively: ":D" = ":d") with their
 * canonical form, which is lower case, drops the nose and reads "=" as ":"
 * (":-D" -> ":d", "=)" -> ":)", "(:" -> ":)", "XD" -> "xd").  Longer
 * patterns come first so that ":-((" is not read as ":-". */
static const struct { const char *pat, *norm; } emoticons[] = {
    {">:-(", ">:("}, {":'-(", ":'("}, {":'-)", ":')"}, {"\\o/", "\\o/"}, {"</3", "</3"}, {"^_^", "^_^"},
    {"^-^", "^_^"}, {"^.^", "^_^"}, {"-_-", "-_-"}, {"-.-", "-_-"}, {"._.", "._."}, {";_;", ";_;"},
    {">_<", ">_<"}, {"t_t", "t_t"}, {"o_o", "o_o"}, {"(y)", "(y)"}, {":-)", ":)"}, {":-(", ":("},
    {":-d", ":d"}, {";-)", ";)"}, {":-/", ":/"}, {":-\\", ":/"}, {":-p", ":p"}, {":-|", ":|"}, {":-o", ":o"},
    {":-*", ":*"}, {":-s", ":s"}, {">:(", ">:("}, {":'(", ":'("}, {":')", ":')"}, {":'d", ":'d"},
    {":)", ":)"}, {":(", ":("}, {":d", ":d"}, {";)", ";)"}, {";(", ":("}, {";d", ";d"}, {";p", ";p"},
    {":/", ":/"}, {":\\", ":/"}, {":p", ":p"}, {":|", ":|"}, {":o", ":o"}, {":*", ":*"}, {":]", ":)"},
    {":[", ":("}, {":3", ":3"}, {":c", ":c"}, {":s", ":s"}, {":@", ":@"}, {"=)", ":)"}, {"=(", ":("},
    {"=d", ":d"}, {"=/", ":/"}, {"(:", ":)"}, {"):", ":("}, {"<3", "<3"}, {"xd", "xd"}, {"xp", "xp"},
    {"x(", "x("}, {"d:", "d:"}, {"^^", "^^"},
};

#define N_EMOTICONS (sizeof emoticons / sizeof emoticons[0])

/* First character of each pattern, in table order, so that scan_emoticon
 * can jump to the candidates with memchr instead of testing every pattern.
 * Built once (emo_build, from cx_text_new). */
static char emo_first[N_EMOTICONS];
static once_flag emo_once = ONCE_FLAG_INIT;
static void emo_build(void) {
    for (size_t k = 0; k < N_EMOTICONS; k++) emo_first[k] = emoticons[k].pat[0];
}

static UChar lower_ascii(UChar c) { return (c >= 'A' && c <= 'Z') ? (UChar)(c + 32) : c; }

/* Emoticon at i: its end (a repeated mouth as in ":)))", "xDD" or "<33" is
 * included, with *stretched set), or -1.  Context rules keep ordinary text
 * out: an emoticon that starts or ends with a letter or digit must stand
 * apart from words ("xD" but not "xDrive"); one that starts with a bracket
 * must follow a space ("(shoes):" is not a face); one that starts with
 * ':' ';' '=' must not follow a digit ("1:3"). */
static int32_t scan_emoticon(const UChar *u, int32_t i, int32_t n, const char **norm, int *stretched) {
    UChar c = lower_ascii(u[i]);
    UChar prev = i > 0 ? u[i - 1] : ' ';
    if (c >= 0x80 || c == 0) return -1;   /* no pattern starts with either */
    for (size_t k = 0; k < N_EMOTICONS; k++) {
        const char *hit = memchr(emo_first + k, (int)c, N_EMOTICONS - k);
        if (!hit) break;
        k = (size_t)(hit - emo_first);
        const char *p = emoticons[k].pat;
        size_t L = strlen(p);
        int32_t j = i;
        size_t m = 0;
        while (m < L && j < n && lower_ascii(u[j]) == (UChar)p[m]) { j++; m++; }
        if (m != L) continue;
        char lastc = p[L - 1];
        int r = 0;
        if (strchr(")(][dp3", lastc) && !(lastc == '3' && p[0] != '<'))
            while (j < n && lower_ascii(u[j]) == (UChar)lastc) { j++; r++; }
        if ((is_ascii_alnum((unsigned char)p[0]) || strchr("-.^\\", p[0])) && is_wordch(prev)) continue;
        if ((p[0] == '(' || p[0] == ')') && !(prev == ' ' || prev == '\t' || prev == '\n' || i == 0)) continue;
        if (strchr(":;=", p[0]) && prev >= '0' && prev <= '9') continue;
        if (j < n && is_ascii_alnum((unsigned char)lastc) && is_wordch(u[j])) continue;
        if (j < n && lastc == '/' && u[j] == '/') continue;          /* "http://" */
        if (lastc == '(' && j < n && is_ascii_alnum(u[j])) continue;  /* ":(a" is not a face */
        *norm = emoticons[k].norm;
        *stretched = r > 0;
        return j;
    }
    return -1;
}

/* ASCII characters that may start a span: 1 URL, 2 '@', 3 '#', 4 an
 * emoticon, 5 a letter that starts an emoticon (xD, T_T, o_O, d:) when the
 * next character fits, 6 a redaction placeholder "[EMAIL]". */
static const uint8_t span_start[128] = {
    ['h'] = 1, ['H'] = 1, ['w'] = 1, ['W'] = 1, ['@'] = 2, ['#'] = 3, [':'] = 4, [';'] = 4, ['='] = 4,
    ['<'] = 4, ['>'] = 4, ['^'] = 4, ['-'] = 4, ['.'] = 4, ['('] = 4, [')'] = 4, ['\\'] = 4,
    ['x'] = 5, ['X'] = 5, ['T'] = 5, ['t'] = 5, ['o'] = 5, ['O'] = 5, ['d'] = 5, ['D'] = 5,
    ['['] = 6,
};

/* A redaction placeholder "[NAME]" at i, NAME being a built-in one (EMAIL,
 * PHONE, CARD, IBAN) or a user pattern's of the attached redactor: its
 * end, or -1. */
static int32_t scan_placeholder(const cx_text *t, const UChar *u, int32_t i, int32_t n) {
    char name[40];
    int32_t j = i + 1, k = 0;
    while (j < n && k < 33 && u[j] < 0x80 && (is_ascii_alnum(u[j]) || u[j] == '_')) name[k++] = (char)u[j++];
    if (!k || k > 32 || j >= n || u[j] != ']') return -1;
    return cx_pii_is_placeholder(t->pii, name, (size_t)k) ? j + 1 : -1;
}

/* Can c follow a letter that starts an emoticon (span_start 5)?  One of
 * "dDpP(_:" (a switch rather than strchr: this runs for many letters). */
static int emo_second(UChar c) {
    switch (c) {
    case 'd': case 'D': case 'p': case 'P': case '(': case '_': case ':': return 1;
    default: return 0;
    }
}

/* Find URL, e-mail, mention, hashtag and emoticon spans in text order,
 * before ICU (which would split them).  0 / -1 (out of memory). */
static int prescan(cx_text *t, const UChar *u, int32_t n) {
    t->nspans = 0;
    int32_t floor = 0;
    for (int32_t i = 0;;) {
        UChar c = 0;
        while (i < n && ((c = u[i]) >= 0x80 || !span_start[c])) i++;
        if (i >= n) break;
        if (span_start[c] == 5 && !(i + 1 < n && emo_second(u[i + 1]))) {
            i++;
            continue;
        }
        int32_t e = -1, s = i;
        int type = 0, stretched = 0;
        const char *norm = NULL;
        int before_ok = i == 0 || !is_wordch(u[i - 1]);
        switch (c) {
        case 'h': case 'H': case 'w': case 'W':
            if (before_ok && (e = scan_url(u, i, n)) > 0) type = CX_TOK_URL;
            break;
        case '@':
            if ((e = scan_email(u, i, n, floor, &s)) > 0) type = CX_TOK_EMAIL;
            else if (before_ok && (e = scan_tag(u, i, n, 0)) > 0) { type = CX_TOK_MENTION; s = i; }
            else s = i;
            break;
        case '#':
            if (before_ok && (e = scan_tag(u, i, n, 1)) > 0) type = CX_TOK_HASHTAG;
            break;
        case '[':
            if ((e = scan_placeholder(t, u, i, n)) > 0) type = CX_TOK_PII;
            break;
        default:
            if (c < 0x80 && (e = scan_emoticon(u, i, n, &norm, &stretched)) > 0) type = CX_TOK_EMOTICON;
            break;
        }
        if (e > 0 && type) {
            /* an e-mail's local part may already hold a span (an emoticon): drop it */
            while (t->nspans && t->spans[t->nspans - 1].e > s) t->nspans--;
            if (add_span(t, s, e, type, stretched, norm) < 0) return -1;
            floor = e;
            i = e;
        } else {
            i++;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* token emission                                                       */

/* The next sentence boundary before the end of the text (INT32_MAX after
 * the last one: tokens start before the end, so the end itself, where ICU
 * stops, never starts a sentence). */
static int32_t sent_next(const an_state *a) {
    int32_t nx = ubrk_next(a->t->sbi);
    return nx == UBRK_DONE || a->sent_start + nx >= a->sent_end ? INT32_MAX : a->sent_start + nx;
}

/* The sentence a token starting at p belongs to.  Emoji and emoticons that
 * open a new ICU sentence stay with the previous one ("Great! 😀 Next.") */
static uint16_t assign_sent(an_state *a, int32_t p, int type) {
    cx_text *t = a->t;
    if (a->need_sbi) {
        while (p >= a->sent_lim) {
            a->sent_lim = sent_next(a);
            a->icu_sent++;
        }
    }
    if (t->ntok == 0) {
        a->cur_sent = 0;
        a->last_icu = a->icu_sent;
        a->pending_sent = 0;
    } else if (a->icu_sent != a->last_icu) {
        a->last_icu = a->icu_sent;
        a->pending_sent = 1;
    }
    if (a->pending_sent && type != CX_TOK_EMOJI && type != CX_TOK_EMOTICON) {
        a->cur_sent++;
        a->pending_sent = 0;
    }
    return (uint16_t)(a->cur_sent > 65535 ? 65535 : a->cur_sent);
}

/* Store norm / stem / surface strings of a new token.  stem and surface
 * equal to the norm share its string.  0 / -1. */
static int store_token(an_state *a, int32_t p, int32_t e, int type, const char *norm, int32_t nlen,
                       const char *stem, int32_t slen, uint32_t flags) {
    cx_text *t = a->t;
    if (t->ntok >= CX_TEXT_MAX_TOKENS) return 0;
    int own_stem = stem && (slen != nlen || !bytes_eq(stem, norm, (size_t)nlen));
    if (own_stem && slen >= CX_TEXT_MAX_WORD) {   /* cut at a character boundary */
        slen = CX_TEXT_MAX_WORD - 1;
        while (slen > 0 && ((uint8_t)stem[slen] & 0xC0) == 0x80) slen--;
    }
    /* surface: the original bytes when the input was valid UTF-8 */
    char sbuf[MAX_SURFACE];
    const char *sp;
    int32_t sl;
    if (!a->bad) {
        sp = a->text + t->uoff[p];
        sl = (e < a->n ? t->uoff[e] : (int32_t)a->blen) - t->uoff[p];
        if (sl >= MAX_SURFACE) {
            sl = MAX_SURFACE - 1;
            while (sl > 0 && ((uint8_t)sp[sl] & 0xC0) == 0x80) sl--;
        }
    } else {
        sl = u16_to_u8(t->u + p, e - p, sbuf, MAX_SURFACE);
        sp = sbuf;
    }
    int own_surf = sl != nlen || !bytes_eq(sp, norm, (size_t)nlen);
    /* one capacity check for all three strings */
    if (arena_reserve(t, (size_t)nlen + 1 + (own_stem ? (size_t)slen + 1 : 0) + (own_surf ? (size_t)sl + 1 : 0)) < 0)
        return -1;
    tokrec *tk = &t->toks[t->ntok];
    tk->norm = tk->stem = tk->surf = arena_add(t, norm, (size_t)nlen);
    tk->norm_len = tk->stem_len = tk->surf_len = (uint16_t)nlen;
    if (own_stem) {
        tk->stem = arena_add(t, stem, (size_t)slen);
        tk->stem_len = (uint16_t)slen;
    }
    if (own_surf) {
        tk->surf = arena_add(t, sp, (size_t)sl);
        tk->surf_len = (uint16_t)sl;
    }
    tk->type = (uint8_t)type;
    tk->phrase_start = 0;
    tk->flags = flags;
    tk->sent = assign_sent(a, p, type);
    t->ntok++;
    return 0;
}

/* ≥ 2 letters, all capitals, in the source segment. */
static int is_allcaps(const UChar *s, int32_t n) {
    int up = 0;
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        U16_NEXT(s, i, n, c);
        if (c < 0x80) {
            if (c >= 'a' && c <= 'z') return 0;
            if (c >= 'A' && c <= 'Z') up++;
        } else {
            unsigned v = cprop_of(c);
            if (v & P_LOWER) return 0;
            if (v & P_UPPER) up++;
        }
    }
    return up >= 2;
}

/* Emit a word (or number) token for source range [p, e) whose text is
 * src[0..seg) (normally the source itself): normalise, look up the lexicon
 * (falling back to the one-letter collapse of a stretched word), stem, mark
 * negated forms.  0 / -1. */
static int emit_word_src(an_state *a, int32_t p, int32_t e, int type, const UChar *src, int32_t seg) {
    cx_text *t = a->t;
    const lctx *lc = a->lc;
    if (seg > MAX_SEG16) {
        seg = MAX_SEG16;
        if (U16_IS_LEAD(src[seg - 1])) seg--;
    }
    /* The token cache: a word already seen in this language (and with the
     * same nfkc_ok, which steers norm_word) gets its norm, stem and flags
     * back without normalising, hashing or looking anything up again. */
    tok_slot *ts = NULL;
    uint32_t tkey = lc->lkey | (lc->nfkc_ok ? TOKC_NFKC : 0);
    if (type == CX_TOK_WORD && lc->lex_current && seg <= TOKC_UNITS) {
        uint32_t h = cx_hmap_hash((const char *)src, (size_t)seg * sizeof *src) ^ (tkey * 0x85EBCA6Bu);
        ts = &t->tokc[(h ^ (h >> 16)) & (TOKC_SLOTS - 1)];
        if (ts->lang == tkey && ts->gen == t->lex_gen && ts->nunits == seg &&
            bytes_eq((const char *)ts->src, (const char *)src, (size_t)seg * sizeof *src)) {
            int before = t->ntok;
            if (store_token(a, p, e, type, ts->norm, ts->nlen, ts->has_stem ? ts->stem : NULL, ts->slen,
                            ts->flags & ~CX_LX_PHRASE_START) < 0)
                return -1;
            if (t->ntok > before) {   /* not when capped */
                t->toks[before].phrase_start = (ts->flags & CX_LX_PHRASE_START) != 0;
                a->lastw_p = p;
                a->lastw_e = e;
                a->lastw_tok = before;
            }
            return 0;
        }
    }
    char norm[CX_TEXT_MAX_WORD], norm1[CX_TEXT_MAX_WORD];
    int32_t len1;
    int stretched;
    int32_t len = norm_word(t, lc, src, seg, norm, norm1, &len1, &stretched);
    if (len <= 0) return 0;
    uint32_t flags = 0;
    if (stretched) flags |= CX_TF_STRETCHED;
    if (is_allcaps(src, seg)) flags |= CX_TF_ALLCAPS;
    if (type != CX_TOK_WORD) return store_token(a, p, e, type, norm, len, NULL, 0, flags);

    const cx_lexlang *lx = lc->lx;
    uint32_t hash = cx_hmap_hash(norm, (size_t)len);
    if (stretched && lx && len1 > 0 && !cx_hmap_get_h(lx->words, norm, (size_t)len, hash)) {
        /* "goooood": the two-letter form is no known word; the one-letter one may be */
        uint32_t h1 = cx_hmap_hash(norm1, (size_t)len1);
        if (cx_hmap_get_h(lx->words, norm1, (size_t)len1, h1)) {
            memcpy(norm, norm1, (size_t)len1 + 1);
            len = len1;
            hash = h1;
        }
    }
    winfo wi;
    word_info(t, lc, norm, len, hash, &wi);
    flags |= wi.flags & ~CX_LX_PHRASE_START;
    int pstart = (wi.flags & CX_LX_PHRASE_START) != 0;
    const char *stem = wi.stem;
    int32_t slen = wi.slen;
    if (ts && !stretched && len < TOKC_LEN && slen < TOKC_LEN) {   /* (stretched words are rare) */
        ts->lang = tkey;
        ts->gen = t->lex_gen;
        ts->flags = flags | (wi.flags & CX_LX_PHRASE_START);
        ts->nunits = (uint8_t)seg;
        memcpy(ts->src, src, (size_t)seg * sizeof *src);
        ts->nlen = (uint8_t)len;
        memcpy(ts->norm, norm, (size_t)len + 1);
        ts->has_stem = stem != NULL;
        ts->slen = (uint8_t)slen;
        if (stem) memcpy(ts->stem, stem, (size_t)slen);
    }
    int before = t->ntok;
    if (store_token(a, p, e, type, norm, len, stem, slen, flags) < 0) return -1;
    if (t->ntok > before) {   /* not when capped */
        t->toks[before].phrase_start = (uint8_t)pstart;
        a->lastw_p = p;
        a->lastw_e = e;
        a->lastw_tok = before;
    }
    return 0;
}

/* Does the UTF-16 text s[0..n) spell the (already normal) UTF-8 word w?
 * Arabic yeh and alef maksura count as Persian yeh. */
static int fa_is(const UChar *s, int32_t n, const char *w, int32_t wlen) {
    /* w is decoded on the fly (it used to be converted with u_strFromUTF8
     * on every test); like that conversion into an 8-unit buffer, a w of
     * more than 8 UTF-16 units or with invalid UTF-8 never matches.  Each
     * unit of a match takes at least a byte of w: a longer s cannot. */
    int32_t j = 0, i = 0;
    if (n > wlen) return 0;
    while (j < wlen) {
        UChar32 c;
        U8_NEXT(w, j, wlen, c);
        if (c < 0) return 0;
        UChar unit[2] = {(UChar)c, 0};
        int nu = 1;
        if (c > 0xFFFF) {
            unit[0] = U16_LEAD(c);
            unit[1] = U16_TRAIL(c);
            nu = 2;
        }
        for (int k = 0; k < nu; k++, i++) {
            if (i >= n) return 0;
            UChar x = (s[i] == 0x064A || s[i] == 0x0649) ? 0x06CC : s[i];
            if (x != unit[k]) return 0;
        }
    }
    return i == n && i <= 8;
}

/* Persian affixes typed as separate words: a standalone «می» / «نمی» is
 * joined with the word after it («می خواهم» -> می‌خواهم), and «های» /
 * «هایی», or «ها» followed by another word, with the word before it
 * («کتاب ها را» -> کتاب‌ها); a clause-final «ها» is the colloquial emphatic
 * particle («خوب بود ها») and stays alone.  Only blanks may separate the
 * two words.  The joined token's norm has a ZWNJ where the blanks were; its
 * surface is the source with the blanks.  Returns 1 when [p, e) was
 * emitted joined, 0 when not, -1 out of memory. */
static int fa_join(an_state *a, int32_t p, int32_t e) {
    cx_text *t = a->t;
    const UChar *u = t->u;
    int k = t->ntok - 1;
    if (k < 0 || a->lastw_tok != k || t->toks[k].type != CX_TOK_WORD || e - p > 60 || !is_arabic_script(u[p]))
        return 0;
    int32_t pp = a->lastw_p, pe = a->lastw_e;
    if (pe >= p || p - pe > 4 || pe - pp > 60 || !is_arabic_script(u[pp])) return 0;
    for (int32_t i = pp; i < p; i++)   /* blanks between, none inside (not joined already) */
        if ((i < pe) == (u[i] == ' ' || u[i] == '\t')) return 0;
    const char *prev = t->arena + t->toks[k].norm;
    int pre = !strcmp(prev, "می") || !strcmp(prev, "نمی");
    int32_t n = e - p;
    int post = 0;
#define FA_IS(w) fa_is(u + p, n, w, (int32_t)sizeof w - 1)
    if (!pre && !FA_IS("می") && !FA_IS("نمی")) {
        if (FA_IS("های") || FA_IS("هایی")) post = 1;
        else if (FA_IS("ها")) {
            int32_t j = e;
            while (j < a->n && (u[j] == ' ' || u[j] == '\t')) j++;
            post = j < a->n && (cprop_of(u[j]) & P_LM);
        }
    }
#undef FA_IS
    if (!pre && !post) return 0;
    UChar buf[128];
    int32_t o = 0;
    for (int32_t i = pp; i < pe; i++) buf[o++] = u[i];
    buf[o++] = 0x200C;
    for (int32_t i = p; i < e; i++) buf[o++] = u[i];
    t->alen = t->toks[k].norm;   /* the previous token's strings are the last in the arena */
    t->ntok = k;
    a->lastw_tok = -1;
    return emit_word_src(a, pp, e, CX_TOK_WORD, buf, o) < 0 ? -1 : 1;
}

/* Emit a word (or number) token for segment [p, e) of the text. */
static int emit_emoji(an_state *a, int32_t p, int32_t e);
static int emit_word(an_state *a, int32_t p, int32_t e, int type) {
    if (type == CX_TOK_NUMBER && e - p >= 2 && a->t->u[e - 1] == 0x20E3)
        return emit_emoji(a, p, e);   /* a keycap: "1️⃣" */
    if (a->lc->persian && !strcmp(a->lc->lang, "fa") && type == CX_TOK_WORD) {
        int r = fa_join(a, p, e);
        if (r) return r < 0 ? -1 : 0;
    }
    return emit_word_src(a, p, e, type, a->t->u + p, e - p);
}

/* Emit a span found by the pre-scan, with a type-specific normal form. */
static int emit_span(an_state *a, const span *sp) {
    cx_text *t = a->t;
    const UChar *u = t->u + sp->s;
    int32_t n = sp->e - sp->s;
    char buf[CX_TEXT_MAX_WORD], b1[CX_TEXT_MAX_WORD];
    int32_t len = 0, l1;
    int stretched = sp->stretched;
    switch (sp->type) {
    case CX_TOK_EMOTICON:
        len = (int32_t)strlen(sp->norm);
        memcpy(buf, sp->norm, (size_t)len + 1);
        break;
    case CX_TOK_MENTION:
    case CX_TOK_HASHTAG: {
        int st2;
        buf[0] = (char)u[0];
        len = 1 + norm_word(t, a->lc, u + 1, n - 1 > MAX_SEG16 ? MAX_SEG16 : n - 1, buf + 1, b1, &l1, &st2);
        if (len >= CX_TEXT_MAX_WORD) len = CX_TEXT_MAX_WORD - 1;
        buf[len] = '\0';
        break;
    }
    case CX_TOK_EMAIL:
        len = u16_to_u8(u, n, buf, CX_TEXT_MAX_WORD);
        for (int32_t i = 0; i < len; i++)
            if (buf[i] >= 'A' && buf[i] <= 'Z') buf[i] += 32;
        break;
    case CX_TOK_PII:   /* "[EMAIL]" -> "[email]" (n <= 34) */
        for (int32_t i = 0; i < n; i++) buf[len++] = (char)lower_ascii(u[i]);
        buf[len] = '\0';
        break;
    case CX_TOK_URL: {
        /* lower-case the scheme and the host; the path is case-sensitive */
        len = u16_to_u8(u, n, buf, CX_TEXT_MAX_WORD);
        char *h = strstr(buf, "://");
        h = h ? h + 3 : buf;
        char *end = strchr(h, '/');
        for (char *c = buf; c < (end ? end : buf + len); c++)
            if (*c >= 'A' && *c <= 'Z') *c += 32;
        break;
    }
    }
    uint32_t flags = stretched ? CX_TF_STRETCHED : 0;
    return store_token(a, sp->s, sp->e, sp->type, buf, len, NULL, 0, flags);
}

/* Emoji: a pictographic code point (or a regional-indicator flag).  Text-
 * style symbols below U+2300 (©, ®, ™, arrows) count only with VS16. */
static int is_emoji_seg(const UChar *u, int32_t p, int32_t e) {
    int32_t i = p;
    UChar32 c;
    U16_NEXT(u, i, e, c);
    if (c < 0x80 || !(cprop_of(c) & P_PICT)) return 0;
    if (u_hasBinaryProperty(c, UCHAR_EMOJI_PRESENTATION) || u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR))
        return 1;
    return c >= 0x2300 || (i < e && u[i] == 0xFE0F);
}

static int emit_emoji(an_state *a, int32_t p, int32_t e) {
    UChar tmp[64];
    int32_t o = 0;
    const UChar *u = a->t->u;
    for (int32_t i = p; i < e && o < 62;) {
        UChar32 c;
        U16_NEXT(u, i, e, c);
        if (c == 0xFE0E || c == 0xFE0F || (c >= 0x1F3FB && c <= 0x1F3FF)) continue;   /* VS, skin tones */
        U16_APPEND_UNSAFE(tmp, o, c);
    }
    char buf[CX_TEXT_MAX_WORD];
    int32_t len = o ? u16_to_u8(tmp, o, buf, sizeof buf) : u16_to_u8(u + p, e - p, buf, sizeof buf);
    return store_token(a, p, e, CX_TOK_EMOJI, buf, len, NULL, 0, 0);
}

/* Sentence-final marks kept as punctuation tokens, with their normal form. */
static const char *terminal_norm(UChar c) {
    switch (c) {
    case '!': case 0xFF01: case 0x01C3: return "!";
    case '?': case 0xFF1F: case 0x061F: case 0x037E: return "?";
    case 0x203C: return "!!";
    case 0x2047: return "??";
    case 0x2048: return "?!";
    case 0x2049: return "!?";
    case '.': case 0x3002: case 0x0964: case 0x0965: case 0x06D4: case 0xFF0E: case 0x0589: case 0x1362:
    case 0x104B: case 0xFF61:
        return ".";
    case 0x2026: return "...";
    default: return NULL;
    }
}

/* Clause marks: not kept as tokens, they set CLAUSE_END on the token before. */
static int is_clause_mark(const UChar *u, int32_t p, int32_t n) {
    switch (u[p]) {
    case ',': case ';': case ':': case 0x060C: case 0x061B: case 0x2013: case 0x2014: case 0x2015:
    case 0x3001: case 0xFF0C: case 0xFF1B: case 0xFF1A: case 0xFE50:
        return 1;
    case '-':
        return (p > 0 && u[p - 1] == ' ') || (p + 1 < n && u[p + 1] == ' ');
    default:
        return 0;
    }
}

/* Handle a non-word segment starting at p: emoji, kept punctuation (a run
 * of the same mark is one token: "!!!" -> "!" + STRETCHED, "..." -> "..."),
 * clause marks.  Returns the position after what was consumed, or -1. */
static int32_t emit_other(an_state *a, int32_t p, int32_t lim) {
    cx_text *t = a->t;
    const UChar *u = t->u;
    UChar32 c;
    int32_t i = p;
    U16_NEXT(u, i, lim, c);
    if (c <= ' ') return lim;
    if (c < 0x80 && c != '.' && c != '!' && c != '?' && c != ',' && c != ';' && c != ':' && c != '-')
        return lim;   /* other ASCII punctuation and symbols are dropped */
    if (c >= 0x80) {
        if (u_isUWhiteSpace(c)) return lim;
        if (is_emoji_seg(u, p, lim)) return emit_emoji(a, p, lim) < 0 ? -1 : lim;
    }
    const char *tn = terminal_norm((UChar)c);
    if (tn && c <= 0xFFFF) {
        int32_t r = p;
        while (r < a->n && u[r] == u[p]) r++;
        const char *nm = tn;
        uint32_t fl = 0;
        if (r - p >= 2 && !strcmp(tn, ".")) nm = "...";
        else if (r - p >= 2 && (!strcmp(tn, "!") || !strcmp(tn, "?"))) fl = CX_TF_STRETCHED;
        if (store_token(a, p, r, CX_TOK_PUNCT, nm, (int32_t)strlen(nm), NULL, 0, fl) < 0) return -1;
        return r;
    }
    if (is_clause_mark(u, p, a->n) && t->ntok && t->toks[t->ntok - 1].type != CX_TOK_PUNCT)
        t->toks[t->ntok - 1].flags |= CX_TF_CLAUSE_END;
    return lim;
}

/* French, Italian and Catalan elision: "l'avion" -> "l'" + "avion".
 * Returns the length of the elided prefix (apostrophe included) or 0. */
static int32_t elision_prefix(const UChar *u, int32_t p, int32_t e, const char *lang) {
    static const char *const fr[] = {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", NULL};
    static const char *const it[] = {"l", "d", "c", "dell", "all", "nell", "sull", "dall", "quell", "quest",
                                     "un", "tutt", NULL};
    static const char *const ca[] = {"l", "d", "m", "n", "s", "t", NULL};
    const char *const *list = !strcmp(lang, "fr") ? fr : !strcmp(lang, "it") ? it : ca;
    int32_t k = p;
    while (k < e && k - p < 7 && u[k] < 0x80 && ((u[k] | 32) >= 'a' && (u[k] | 32) <= 'z')) k++;
    if (k == p || k + 1 >= e || (u[k] != '\'' && u[k] != 0x2019)) return 0;
    for (int i = 0; list[i]; i++) {
        int32_t L = (int32_t)strlen(list[i]);
        if (L != k - p) continue;
        int ok = 1;
        for (int32_t j = 0; j < L && ok; j++)
            if ((char)(u[p + j] | 32) != list[i][j]) ok = 0;
        if (ok) return k - p + 1;
    }
    return 0;
}

/* ICU keeps "service.The" together ('.' joins letters, as in "e.g");
 * customers forget the space after a full stop.  Returns the position of
 * such a '.' (lower-case word, '.', capitalised word) or 0. */
static int32_t missing_space(const UChar *u, int32_t p, int32_t e) {
    for (int32_t k = p + 2; k + 2 < e; k++) {
        if (u[k] != '.') continue;
        if (u_islower(u[k - 1]) && u_isalpha(u[k - 2]) && u_isupper(u[k + 1]) && u_islower(u[k + 2])) return k;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* post passes                                                          */

/* Multi-word lexicon terms: join the norms of up to max_phrase tokens and
 * look them up, longest first; a hit marks every token of the phrase. */
static void apply_phrases(cx_text *t, const cx_lexlang *lx) {
    if (!lx || !lx->max_phrase) return;
    char key[CX_LX_MAX_PHRASE * CX_TEXT_MAX_WORD];
    for (int i = 0; i < t->ntok; i++) {
        if (!t->toks[i].phrase_start) continue;
        int maxk = lx->max_phrase;
        if (maxk > t->ntok - i) maxk = t->ntok - i;
        for (int k = maxk; k >= 2; k--) {
            size_t kl = 0;
            int ok = 1;
            for (int j = 0; j < k && ok; j++) {
                const tokrec *tk = &t->toks[i + j];
                if (tk->type != CX_TOK_WORD && tk->type != CX_TOK_NUMBER) ok = 0;
                else if (j && tk->sent != t->toks[i].sent) ok = 0;
                else {
                    if (j) key[kl++] = ' ';
                    memcpy(key + kl, t->arena + tk->norm, tk->norm_len);
                    kl += tk->norm_len;
                }
            }
            if (!ok) continue;
            const uint64_t *v = cx_hmap_get(lx->phrases, key, kl);
            if (!v) continue;
            uint32_t f = (uint32_t)*v & ~CX_LX_PHRASE_START;
            for (int j = 0; j < k; j++) t->toks[i + j].flags |= f;
            break;
        }
    }
}

/* Structural flags per sentence: SENT_END on its last token, CLAUSE_END on
 * its last non-punctuation token and before each contrast word,
 * QUESTION/EXCLAIM on all its tokens when its final marks (ignoring trailing
 * emoji) contain ? or !. */
static void apply_structure(cx_text *t) {
    tokrec *tk = t->toks;
    int n = t->ntok;
    /* an emoji or emoticon inside a sentence closes the clause before it
     * ("late 😡 never again") */
    for (int i = 1; i < n; i++)
        if ((tk[i].type == CX_TOK_EMOJI || tk[i].type == CX_TOK_EMOTICON) && tk[i - 1].sent == tk[i].sent &&
            tk[i - 1].type != CX_TOK_PUNCT && tk[i - 1].type != CX_TOK_EMOJI && tk[i - 1].type != CX_TOK_EMOTICON)
            tk[i - 1].flags |= CX_TF_CLAUSE_END;
    for (int i = 1; i < n; i++)
        if ((tk[i].flags & CX_TF_CONTRAST) && !(tk[i - 1].flags & CX_TF_CONTRAST) && tk[i - 1].sent == tk[i].sent &&
            tk[i - 1].type != CX_TOK_PUNCT)
            tk[i - 1].flags |= CX_TF_CLAUSE_END;
    for (int s = 0; s < n;) {
        int e = s;
        while (e < n && tk[e].sent == tk[s].sent) e++;
        tk[e - 1].flags |= CX_TF_SENT_END;
        /* the clause ends on its last word-like token: trailing emoji and
         * emoticons stay outside it (and outside a negation's scope) */
        int j = e - 1;
        while (j >= s && (tk[j].type == CX_TOK_PUNCT || tk[j].type == CX_TOK_EMOJI || tk[j].type == CX_TOK_EMOTICON))
            j--;
        if (j < s)
            for (j = e - 1; j >= s && tk[j].type == CX_TOK_PUNCT;) j--;
        if (j >= s) tk[j].flags |= CX_TF_CLAUSE_END;
        j = e - 1;
        while (j >= s && (tk[j].type == CX_TOK_EMOJI || tk[j].type == CX_TOK_EMOTICON)) j--;
        uint32_t f = 0;
        for (; j >= s && tk[j].type == CX_TOK_PUNCT; j--) {
            const char *nm = t->arena + tk[j].norm;
            if (strchr(nm, '?')) f |= CX_TF_QUESTION;
            if (strchr(nm, '!')) f |= CX_TF_EXCLAIM;
        }
        if (f)
            for (int k = s; k < e; k++) tk[k].flags |= f;
        s = e;
    }
}

/* Copy the tokens and the arena into the envelope pool: one allocation. */
static int materialize(cx_text *t, cx_env *env) {
    if (!t->ntok) return 0;
    size_t tsz = (size_t)t->ntok * sizeof(cx_token);
    char *mem = cx_env_alloc(env, tsz + t->alen);
    if (!mem) return -1;
    cx_token *out = (cx_token *)mem;
    char *strs = mem + tsz;
    memcpy(strs, t->arena, t->alen);
    uint32_t nsent = 0;
    for (int i = 0; i < t->ntok; i++) {
        const tokrec *r = &t->toks[i];
        out[i].norm = strs + r->norm;
        out[i].stem = strs + r->stem;
        out[i].surface = strs + r->surf;
        out[i].flags = r->flags;
        out[i].sent = r->sent;
        out[i].type = r->type;
        out[i].reserved = 0;
        if ((uint32_t)r->sent + 1 > nsent) nsent = (uint32_t)r->sent + 1;
    }
    env->tokens = out;
    env->n_tokens = (uint32_t)t->ntok;
    env->n_sents = nsent;
    return 0;
}

/* ------------------------------------------------------------------ */
/* the analysis                                                         */

static void choose_lang(cx_text *t, cx_env *env, const char *forced, const UChar *u, int32_t n) {
    char l[8];
    float conf = 1.0f;
    lang_canon(forced, l);
    if (!forced || !*forced) {
        lang_canon(env->lang_hint, l);
        if (!t->trust_hint || !env->lang_hint || !strcmp(l, "und")) {
            const char *d = t->lid ? cx_langid_detect(t->lid, u, n, &conf) : "und";
            if (conf < t->min_conf) d = "und";
            lang_canon(d, l);
            if (!strcmp(l, "und")) memcpy(l, t->default_lang, sizeof l);
        }
    }
    memcpy(env->lang, l, sizeof env->lang);
    env->lang_conf = conf;
}

/* Redaction placeholders ("[PHONE]") look like English words and would
 * sway the language identifier on short texts: blank them (in t->u) for
 * the detection only.  Returns 1 when something was blanked. */
static int mask_placeholders(cx_text *t, const an_state *a) {
    if (!memchr(a->text, '[', a->blen)) return 0;
    int any = 0;
    for (int32_t i = 0; i < a->n; i++) {
        if (t->u[i] != '[') continue;
        int32_t e = scan_placeholder(t, t->u, i, a->n);
        if (e < 0) continue;
        for (; i < e; i++) t->u[i] = ' ';
        i--;
        any = 1;
    }
    return any;
}

/* Undo mask_placeholders: a ' ' that was an ASCII character other than a
 * space in the source was blanked (placeholders are ASCII). */
static void unmask_placeholders(cx_text *t, const an_state *a) {
    for (int32_t i = 0; i < a->n; i++) {
        if (t->u[i] != ' ') continue;
        uint8_t b = (uint8_t)a->text[t->uoff[i]];
        if (b < 0x80 && b != ' ') t->u[i] = b;
    }
}

/* Per-sentence languages (langid.per_sentence, docs/LANGID.md): each
 * sentence of a record with several is identified on its own, from the
 * surfaces of its word tokens, without the n-gram ranking (a sentence is
 * short: only clear stop-word evidence counts, and the cost stays at a few
 * microseconds a sentence).  env->sent_lang is set only when two
 * sentences get different languages; an undetermined sentence then takes
 * the record's language (when that is "und" too: the first determined
 * sentence's).  0 / -1 (out of memory). */
static int sentence_langs(cx_text *t, cx_env *env) {
    if (!t->per_sentence || !t->lid || env->n_sents < 2) return 0;
    char(*sl)[8] = cx_env_alloc(env, env->n_sents * sizeof *sl);
    if (!sl) return -1;
    UChar buf[2048];
    const int32_t cap = (int32_t)(sizeof buf / sizeof buf[0]);
    uint32_t k = 0, first = UINT32_MAX;
    int differ = 0;
    for (uint32_t s = 0; s < env->n_sents; s++) {
        int32_t len = 0;
        for (; k < env->n_tokens && env->tokens[k].sent <= s; k++) {
            const cx_token *tk = &env->tokens[k];
            if (tk->type != CX_TOK_WORD || len >= cap - 1) continue;
            UErrorCode st = U_ZERO_ERROR;
            int32_t w = 0;
            u_strFromUTF8(buf + len, cap - 1 - len, &w, tk->surface, -1, &st);
            if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING) continue;
            len += w;
            buf[len++] = ' ';
        }
        float conf = 0;
        const char *d = len ? cx_langid_detect_quick(t->lid, buf, len, &conf) : "und";
        if (conf < t->min_conf) d = "und";
        lang_canon(d, sl[s]);
        if (strcmp(sl[s], "und")) {
            if (first == UINT32_MAX) first = s;
            else if (strcmp(sl[s], sl[first])) differ = 1;
        }
    }
    if (!differ) return 0;
    const char *fill = strcmp(env->lang, "und") ? env->lang : sl[first];
    for (uint32_t s = 0; s < env->n_sents; s++)
        if (!strcmp(sl[s], "und")) memcpy(sl[s], fill, sizeof sl[s]);
    env->sent_lang = sl;
    return 0;
}

/* The segmentation loop: spans from the pre-scan win; everything else is
 * typed by ICU's word-break rule status.  0 / -1 (out of memory). */
static int segment(an_state *a) {
    cx_text *t = a->t;
    const UChar *u = t->u;
    int32_t n = a->n, p = 0;
    int32_t wpos = 0;   /* the word iterator's position, as ubrk_current would give it */
    int si = 0;
    UErrorCode st = U_ZERO_ERROR;
    ubrk_setText(t->wbi, u, n, &st);
    int32_t f;
    a->need_sbi = sentences_possible(u, n, &f);
    a->sent_lim = INT32_MAX;
    if (a->need_sbi) {
        a->sent_end = sentence_window(u, n, f, &a->sent_start);
        ubrk_setText(t->sbi, u + a->sent_start, a->sent_end - a->sent_start, &st);
        ubrk_first(t->sbi);
        a->sent_lim = sent_next(a);
    }
    if (U_FAILURE(st)) {
        a->why = u_errorName(st);
        return -1;
    }
    while (p < n && t->ntok < CX_TEXT_MAX_TOKENS) {
        if (si < t->nspans && p >= t->spans[si].s) {
            if (emit_span(a, &t->spans[si]) < 0) return -1;
            p = t->spans[si++].e;
            /* a '?' or '.' inside a URL or address does not end a sentence */
            while (a->need_sbi && a->sent_lim < p) a->sent_lim = sent_next(a);
            continue;
        }
        /* An ASCII space or control character followed by an ASCII
         * character is stepped over without asking the iterator.  ICU
         * would give the same: such a character is never joined to what
         * precedes it except as the second space of a run (WB3d) or the
         * LF of a CR LF (WB3), so the segment holding it starts with a
         * character <= ' ', which no word rule tags: its status is
         * UBRK_WORD_NONE, and emit_other drops it whole (it drops every
         * segment that starts with a character <= ' ').  The ASCII
         * character after it is either joined to it the same way - and
         * is stepped over in turn, or dropped with the rest of the segment
         * by the iterator's path - or, as nothing else joins it (ASCII
         * holds no Extend, Format or ZWJ), starts a new segment, where
         * the iterator's path would have moved p too.  The iterator is
         * walked there by next() below, as after a span. */
        if (u[p] <= ' ' && p + 1 < n && u[p + 1] < 0x80) {
            p++;
            continue;
        }
        /* Walk forward with next() only: after a span or a run of marks
         * the position may be past the iterator's, and a random-access
         * following() makes ICU re-synchronise from a safe point, which
         * costs far more.  Whitespace comes back as its own segment. */
        int32_t q = wpos;
        while (q != UBRK_DONE && q <= p) q = ubrk_next(t->wbi);
        if (q == UBRK_DONE || q <= p) q = n;
        wpos = q;
        int status = ubrk_getRuleStatus(t->wbi);
        int32_t lim = q;
        if (si < t->nspans && t->spans[si].s < lim) lim = t->spans[si].s;
        if (status >= UBRK_WORD_NONE && status < UBRK_WORD_NONE_LIMIT) {
            int32_t r = emit_other(a, p, lim);
            if (r < 0) return -1;
            if (si < t->nspans && r > t->spans[si].s) r = t->spans[si].s;
            p = r > p ? r : lim;
            continue;
        }
        int type = (status >= UBRK_WORD_NUMBER && status < UBRK_WORD_NUMBER_LIMIT) ? CX_TOK_NUMBER : CX_TOK_WORD;
        int32_t e = lim;
        if (lim < q)   /* cut by a span: drop trailing joiners such as ':' or '.' */
            while (e > p && !is_wordch(u[e - 1])) e--;
        if (type == CX_TOK_WORD) {
            int32_t k = missing_space(u, p, e);
            if (k > 0) {
                if (emit_word(a, p, k, type) < 0) return -1;
                p = k + 1;
                continue;
            }
        }
        if (a->lc->elision && type == CX_TOK_WORD) {
            int32_t k = elision_prefix(u, p, e, a->lc->lang);
            if (k) {
                if (emit_word(a, p, p + k, CX_TOK_WORD) < 0) return -1;
                p += k;
            } else if (e == q && e < n && e - p <= 6 && (u[e] == '\'' || u[e] == 0x2019) &&
                       (e + 1 >= n || !is_wordch(u[e + 1]))) {
                e++;   /* an elided article written alone: "l'" */
                lim = e;
            }
        }
        if (e > p && t->ntok < CX_TEXT_MAX_TOKENS && emit_word(a, p, e, type) < 0) return -1;
        p = lim;
    }
    return 0;
}

int cx_text__analyze(cx_text *t, cx_env *env, const char *lang, const cx_lexicons *lex, char *err, size_t errlen) {
    env->n_tokens = 0;
    env->tokens = NULL;
    env->n_sents = 0;
    env->sent_lang = NULL;
    an_state a;
    memset(&a, 0, sizeof a);
    a.t = t;
    a.lastw_tok = -1;
    a.text = env->text ? env->text : "";
    a.blen = strlen(a.text);
    if (a.blen > CX_TEXT_MAX_INPUT) {
        a.blen = CX_TEXT_MAX_INPUT;
        while (a.blen && ((uint8_t)a.text[a.blen] & 0xC0) == 0x80) a.blen--;
    }
    t->ntok = 0;
    t->alen = 0;
    if (decode(t, &a) < 0) goto oom;
    int masked = mask_placeholders(t, &a);
    choose_lang(t, env, lang, t->u, a.n);
    if (masked) unmask_placeholders(t, &a);

    lctx lc;
    memset(&lc, 0, sizeof lc);
    memcpy(lc.lang, env->lang, sizeof lc.lang);
    lc.lx = cx_lex_find(lex, lc.lang);
    lc.stem = get_stemmer(t, lc.lang);
    lc.lkey = (uint32_t)(uint8_t)lc.lang[0] | (uint32_t)(uint8_t)lc.lang[1] << 8 | (uint32_t)(uint8_t)lc.lang[2] << 16 |
              1u << 24;   /* never 0 (an empty slot) */
    lc.lex_current = lex && lex == t->lex;
    lc.persian = !strcmp(lc.lang, "fa") || !strcmp(lc.lang, "ur");
    lc.elision = !strcmp(lc.lang, "fr") || !strcmp(lc.lang, "it") || !strcmp(lc.lang, "ca");
    lc.turkish = !strcmp(lc.lang, "tr") || !strcmp(lc.lang, "az");
    lc.english = !strcmp(lc.lang, "en");
    lc.stretch_min = !strcmp(lc.lang, "de") ? 4 : 3;   /* German writes "Schifffahrt" */
    a.lc = &lc;
    {
        /* a text of such characters only is NFKC: ICU's quick check would
         * say yes, so only the others ask it */
        UErrorCode st = U_ZERO_ERROR;
        lc.nfkc_ok = a.nfkc_plain || (unorm2_spanQuickCheckYes(t->nfkc, t->u, a.n, &st) == a.n && U_SUCCESS(st));
    }

    if (prescan(t, t->u, a.n) < 0) goto oom;
    if (segment(&a) < 0) goto oom;
    apply_phrases(t, lc.lx);
    apply_structure(t);
    if (materialize(t, env) < 0) goto oom;
    if (!lang && sentence_langs(t, env) < 0) goto oom;
    return 0;
oom:
    if (a.why) snprintf(err, errlen, "text analysis: ICU error %s", a.why);
    else snprintf(err, errlen, "text analysis: out of memory");
    t->ntok = 0;
    return -1;
}

/* Replace env->text by its redacted copy (in env's pool) and set
 * env->pii_count.  On failure the text is dropped (env->text = "") rather
 * than left unredacted, and -1 is returned with the reason. */
static int redact_env(cx_text *t, cx_env *env, char *err, size_t errlen) {
    env->pii_count = 0;
    if (!env->text) return 0;
    int n = cx_pii_redact(t->pii, env->text, strlen(env->text), &t->pbuf, NULL);
    const char *why = n < 0 ? cx_pii_error(t->pii) : NULL;
    if (n > 0) {
        char *s = cx_env_strndup(env, t->pbuf.data, t->pbuf.len);
        if (s) env->text = s;
        else why = "pii redaction: out of memory";
    }
    if (why) {
        snprintf(err, errlen, "%s", why);
        env->text = "";
        return -1;
    }
    env->pii_count = (uint32_t)n;
    return 0;
}

int cx_text_analyze(cx_text *t, cx_env *env, const char *lang, char *err, size_t errlen) {
    if (t->pii && redact_env(t, env, err, errlen) < 0) {
        env->n_tokens = 0;
        env->tokens = NULL;
        env->n_sents = 0;
        return -1;
    }
    return cx_text__analyze(t, env, lang, t->lex, err, errlen);
}

void cx_text_set_pii(cx_text *t, cx_pii *pii) { t->pii = pii; }

int cx_text_identify(cx_text *t, cx_env *env, char *err, size_t errlen) {
    an_state a;
    memset(&a, 0, sizeof a);
    a.t = t;
    a.text = env->text ? env->text : "";
    a.blen = strlen(a.text);
    if (a.blen > CX_TEXT_MAX_INPUT) {
        a.blen = CX_TEXT_MAX_INPUT;
        while (a.blen && ((uint8_t)a.text[a.blen] & 0xC0) == 0x80) a.blen--;
    }
    if (decode(t, &a) < 0) {
        snprintf(err, errlen, "text analysis: out of memory");
        return -1;
    }
    int masked = mask_placeholders(t, &a);   /* as cx_text__analyze does */
    choose_lang(t, env, NULL, t->u, a.n);
    if (masked) unmask_placeholders(t, &a);
    return 0;
}

/* ------------------------------------------------------------------ */
/* life cycle                                                           */

cx_text *cx_text_new(const cx_text_opts *opts, char *err, size_t errlen) {
    if (!opts || !opts->lexicon_dir || !*opts->lexicon_dir) {
        snprintf(err, errlen, "text analysis: no lexicon directory configured (lexicons.dir)");
        return NULL;
    }
    cx_text *t = cx_calloc(1, sizeof *t);
    if (!t) goto oom;
    t->trust_hint = opts->trust_hint;
    t->min_conf = opts->min_confidence == 0 ? 0.5f : opts->min_confidence;
    t->per_sentence = opts->per_sentence;
    t->lid_method = opts->langid_method;
    lang_canon(opts->default_lang ? opts->default_lang : "und", t->default_lang);
    if (!(t->lexdir = cx_strdup(opts->lexicon_dir))) goto oom;
    call_once(&cprop_once, cprop_build);
    call_once(&emo_once, emo_build);
    if (!(t->toks = cx_malloc(CX_TEXT_MAX_TOKENS * sizeof *t->toks))) goto oom;
    if (!(t->wordc = cx_calloc(WORDC_SLOTS, sizeof *t->wordc))) goto oom;
    if (!(t->tokc = cx_calloc(TOKC_SLOTS, sizeof *t->tokc))) goto oom;
    UErrorCode st = U_ZERO_ERROR;
    t->nfkc = unorm2_getNFKCInstance(&st);
    t->wbi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
    t->sbi = ubrk_open(UBRK_SENTENCE, "", NULL, 0, &st);
    if (U_FAILURE(st)) {
        snprintf(err, errlen, "text analysis: ICU initialisation failed: %s", u_errorName(st));
        cx_text_destroy(&t);
        return NULL;
    }
    if (cx_text_reload(t, err, errlen) < 0) {
        cx_text_destroy(&t);
        return NULL;
    }
    return t;
oom:
    snprintf(err, errlen, "text analysis: out of memory");
    cx_text_destroy(&t);
    return NULL;
}

void cx_text_destroy(cx_text **tp) {
    if (!tp || !*tp) return;
    cx_text *t = *tp;
    cx_lex_free(&t->lex);
    cx_langid_destroy(&t->lid);
    for (int i = 0; i < N_STEM; i++)
        if (t->stemmers[i]) sb_stemmer_delete(t->stemmers[i]);
    if (t->wbi) ubrk_close(t->wbi);
    if (t->sbi) ubrk_close(t->sbi);
    cx_free(t->u);
    cx_free(t->uoff);
    cx_free(t->spans);
    cx_free(t->toks);
    cx_free(t->wordc);
    cx_free(t->tokc);
    cx_free(t->arena);
    cx_buf_free(&t->pbuf);
    cx_free(t->lexdir);
    cx_free(t);
    *tp = NULL;
}

/* Build new lexicon tables and a new language identifier from the lexicon
 * directory; swap them in only when both succeeded. */
int cx_text_reload(cx_text *t, char *err, size_t errlen) {
    cx_lexicons *lx = cx_lex_load(t, t->lexdir, err, errlen);
    if (!lx) return -1;
    cx_langid *lid = cx_langid_new(t->lexdir, (cx_langid_method)t->lid_method, err, errlen);
    if (!lid) {
        cx_lex_free(&lx);
        return -1;
    }
    cx_lex_free(&t->lex);
    cx_langid_destroy(&t->lid);
    t->lex = lx;
    t->lid = lid;
    if (++t->lex_gen == 0) t->lex_gen = 1;   /* cached word flags came from the old tables (0: none) */
    return 0;
}

float cx_text_rule_weight(const cx_text *t, const char *lang, const char *norm, float dflt) {
    char l[8];
    lang_canon(lang, l);
    const cx_lexlang *lx = cx_lex_find(t->lex, l);
    if (!lx || !norm) return dflt;
    size_t n = strlen(norm);
    const uint64_t *v = strchr(norm, ' ') ? cx_hmap_get(lx->phrases, norm, n) : cx_hmap_get(lx->words, norm, n);
    if (!v && !strchr(norm, ' ')) v = cx_hmap_get(lx->stems, norm, n);
    if (!v) return dflt;
    float w = cx_lx_weight(*v);
    return w != 0 ? w : dflt;
}

int cx_text_lexicon_langs(const cx_text *t, char *buf, size_t n) {
    size_t o = 0;
    if (n) buf[0] = '\0';
    int cnt = t->lex ? t->lex->n : 0;
    for (int i = 0; i < cnt && o < n; i++) {
        int w = snprintf(buf + o, n - o, "%s%s", i ? " " : "", t->lex->langs[i].lang);
        if (w < 0) break;
        o += (size_t)w;
    }
    return cnt;
}

const char *cx_text_flag_names(uint32_t flags, char *buf, size_t n) {
    static const char *const names[] = {"STOP", "NEGATOR", "NEG_POST", "NEGATED_FORM", "CONTRAST", "INTENSIFIER",
                                        "DIMINISHER", "CLAUSE_END", "SENT_END", "ALLCAPS", "STRETCHED", "REQUEST",
                                        "QUESTION", "EXCLAIM"};
    size_t o = 0;
    if (n) buf[0] = '\0';
    for (int i = 0; i < 14 && o < n; i++) {
        if (!(flags & (1u << i))) continue;
        int w = snprintf(buf + o, n - o, "%s%s", o ? "|" : "", names[i]);
        if (w < 0) break;
        o += (size_t)w;
    }
    return buf;
}
