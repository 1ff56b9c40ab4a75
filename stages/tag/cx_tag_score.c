/* cx_tag_score.c - tagging one record: lexicon matching (longest phrase
 * first), the sentiment rules driven by the tokenizer's CX_TF_* flags,
 * sentence and record scores, aspect sentiment of themes, signals and the
 * explanation string.  The rules and constants are listed in cx_tag_int.h and
 * explained in stages/tag/README.md.
 *
 * Work per record is linear in the number of tokens (times the longest
 * phrase length), and scratch memory comes from a stack buffer or, for long
 * records, the envelope's pool. */
#include "cx_tag_int.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NONE UINT32_MAX
#define MOD_FLAGS                                                                                    \
    (CX_TF_NEGATOR | CX_TF_NEG_POST | CX_TF_INTENSIFIER | CX_TF_DIMINISHER | CX_TF_CONTRAST | \
     CX_TF_REQUEST)

/* per-token scratch */
typedef struct tsc {
    uint32_t wn, ws;   /* vocabulary id of norm / stem (CX_LEX_NOWORD: in no lexicon; ws also
                          when the token has no stem) */
    uint32_t clause;   /* clause index */
    uint32_t seg;      /* contrast segment: part of a sentence between contrast words */
    uint32_t cpos;     /* number of content tokens in [0, i] (window distances) */
    uint8_t matchable; /* lexicons may match it (not a URL, e-mail, mention, PII or empty) */
    uint8_t inflected; /* it has a stem and the stem differs from its normalised form (also 1
                          when neither has an id: such a token ends every walk anyway) */
    uint8_t joins;     /* matchable and a phrase may run on to it from the token before (same
                          sentence, no clause end in between) */
    uint8_t number;    /* a number token: signal terms match it as CX_TAG_NUM_WORD */
    uint16_t starts;   /* start bits (cx_lexvocab.starts) of wn, and of ws when inflected: the
                          kinds of map in which a term can begin at this token; and the
                          continuation bits of wn and ws (of CX_TAG_NUM_WORD too for a number):
                          the kinds of map in which a phrase can go on with it */
    uint32_t negby;    /* the negator whose forward scope covers it (CX_TAG_NEG_WINDOW content
                          tokens of its clause), or NONE; for theme and signal mentions
                          (neg_scopes) */
} tsc;

/* hit flags */
enum {
    HF_PRENEG = 1,    /* negated by a negator before it */
    HF_POSTNEG = 2,   /* negated by a post-negator (or negated verb) after it */
    HF_SELFNEG = 4,   /* the token is a negated form of a lexicon word */
    HF_CAPS = 8,
    HF_STRETCH = 16,
    HF_QUESTION = 32,
    HF_REQUEST = 64,
    HF_AFTER = 128,   /* in a clause after a contrast word */
    HF_BEFORE = 256,  /* in a clause before a contrast word */
    HF_CONCORD = 512, /* in a negator's scope, negated on its own: not negated again */
};

/* a sentiment hit: one lexicon term matched at tokens [start, start+len) */
typedef struct shit {
    uint32_t start, len;
    uint32_t neg_tok, mod_tok, after_tok, before_tok; /* tokens that changed it, or NONE */
    uint32_t pmod_tok;                                /* intensifier_post / diminisher_post, or NONE */
    uint32_t pmod_end;                                /* the token after them (consumed up to here) */
    float base, imult, after_w, before_w;
    float pmult;      /* weight of the intensifier_post / diminisher_post words right after it */
    double v;         /* final contribution (before the sentence's '!') */
    uint16_t flags;
} shit;

/* a theme mention at tokens [tok, end) */
typedef struct thit {
    uint32_t theme, tok, end;
} thit;

/* a signal-lexicon mention at tokens [tok, end) */
typedef struct ghit {
    uint32_t sig, tok, end;
} ghit;

typedef struct sinfo {
    uint32_t first_word;              /* first non-punctuation token, or NONE */
    uint32_t first_ctr, last_ctr;     /* contrast tokens in the sentence, or NONE */
    float first_ctr_w, last_ctr_w;
    float excl;                       /* exclamation multiplier */
    uint32_t content;                 /* content tokens */
    uint8_t question, request, exclaim_flag, strong, has_neg, n_excl;
    uint8_t has_hit;                  /* a sentiment hit with a valence (not a 0 entry) */
    double sum;                       /* weighted (contrast) sum, times excl */
} sinfo;

typedef struct work {
    const cx_tagger *t;
    const cx_token *tk;
    uint32_t n;
    tsc *sc;
    shit *hits;
    uint32_t nh;
    thit *th;
    uint32_t nth, th_cap;
    ghit *sg;
    uint32_t nsg;
    int praise_ok;      /* a praise theme has a positive aspect sentiment */
    int neg_ready;      /* sc[].negby is computed for the current hits (neg_scopes) */
    sinfo *s;
    uint32_t ns;
    uint32_t n_clauses;
    double *craw;       /* per clause: sum without contrast weights */
    uint8_t *chas;      /* per clause: has a sentiment hit */
    uint8_t *creq;      /* per contrast segment: has a request marker (option request_scope segment) */
    double *sraw;       /* per contrast segment: sum without contrast weights */
    const cx_tag_lang *L;
    int mostly_caps;
    double margin;      /* long-text margin taken off the record sum */
    int emo_only;       /* every sentiment hit is an emoticon */
    uint32_t prior;     /* problem theme + 1 that gave the record CX_TAG_PROBLEM_PRIOR, 0 = none */
} work;

static const float excl_mult[4] = {1.0f, 1.15f, 1.3225f, 1.520875f};

static double normalise(double x) { return x / sqrt(x * x + CX_TAG_ALPHA); }

static const char *tok_text(const cx_token *k) {
    return k->surface && k->surface[0] ? k->surface : k->norm ? k->norm : "?";
}

/* ---- matching ---- */

typedef struct mt {
    uint32_t len;
    const cx_lex_entry *e;
} mt;

/* A stem key built from an inflected lexicon word ("refunded" -> refund)
 * matches only inflected text words ("refunds"), never the bare base form
 * ("refund"), which the lexicon would list itself if it carried sentiment. */
static inline int stem_ok(const cx_lex_entry *e, const tsc *sc, uint32_t i) {
    if (!(e->flags & CX_LEX_STEMKEY) || !e->infl) return 1;
    for (unsigned j = 0; j < e->n; j++)
        if (((e->infl >> j) & 1) && !sc[i + j].inflected) return 0;
    return 1;
}

/* Every stored term of m starting at token i, shortest first, at most one
 * per length, matching either all normalised forms or all stems (an exact
 * normalised match wins over a stem match of the same length).  A phrase
 * never crosses a clause end.  out has room for CX_LEX_MAX_WORDS; returns
 * the number found.
 *
 * The norm and stem sequences are walked down m's trie side by side, one
 * probe per word (the words' vocabulary ids come from prepare()); en / es
 * are the entries of token i's own norm / stem (es only for an inflected
 * token), found by matches_at.  While every token so far has its stem equal
 * to its normalised form the two sequences are one and only the norm walk is
 * done; a token without a stem ends the stem walk at the first later token
 * whose stem differs. */
static inline __attribute__((always_inline)) int
matches_walk_impl(const cx_lexmap *m, const work *w, uint32_t i, const cx_lex_entry *en, const cx_lex_entry *es,
                  mt *out, uint32_t num) {
    const tsc *sc = w->sc;
    uint32_t maxl = m->max_len;
    if (maxl > w->n - i) maxl = w->n - i;
    int isnum = num != CX_LEX_NOWORD && sc[i].number;
    int same = isnum || !sc[i].inflected, stemless = !isnum && same && sc[i].ws != sc[i].wn, found = 0;
    for (uint32_t l = 1;;) {
        if (en && (en->flags & CX_LEX_VALUE) && stem_ok(en, sc, i)) {
            out[found].len = l;
            out[found++].e = en;
        } else if (es && (es->flags & CX_LEX_VALUE) && stem_ok(es, sc, i)) {
            out[found].len = l;
            out[found++].e = es;
        }
        /* the sequences a longer term could still continue (NULL: none) */
        const cx_lex_entry *pn = en && (en->flags & CX_LEX_PREFIX) ? en : NULL;
        const cx_lex_entry *ps = same ? (stemless ? NULL : pn) : es && (es->flags & CX_LEX_PREFIX) ? es : NULL;
        if ((!pn && !ps) || ++l > maxl) break;
        uint32_t j = i + l - 1;
        if (!sc[j].joins) break;
        if (num != CX_LEX_NOWORD && sc[j].number) {
            /* a number in a signal term: "<num>", norm and stem alike */
            en = pn ? cx_lexmap_next(m, pn, num) : NULL;
            es = !same && ps ? cx_lexmap_next(m, ps, num) : NULL;
            continue;
        }
        same = same && !sc[j].inflected;
        en = pn ? cx_lexmap_next(m, pn, sc[j].wn) : NULL;
        if (same) {
            es = NULL;
            stemless |= sc[j].ws != sc[j].wn;
        } else {
            es = ps ? cx_lexmap_next(m, ps, sc[j].ws) : NULL;
        }
    }
    return found;
}

/* The walk for the sentiment, rule and theme maps (no number word: the
 * compiler drops its branches) and for the signal maps (num: the vocabulary
 * id of CX_TAG_NUM_WORD). */
static __attribute__((noinline)) int matches_walk(const cx_lexmap *m, const work *w, uint32_t i,
                                                  const cx_lex_entry *en, const cx_lex_entry *es, mt *out) {
    return matches_walk_impl(m, w, i, en, es, out, CX_LEX_NOWORD);
}
static __attribute__((noinline)) int matches_walk_num(const cx_lexmap *m, const work *w, uint32_t i,
                                                      const cx_lex_entry *en, const cx_lex_entry *es, mt *out,
                                                      uint32_t num) {
    return matches_walk_impl(m, w, i, en, es, out, num);
}

/* What matches_walk() finds when neither first entry is the prefix of a
 * longer term (most words: a one-word term or nothing): no walk, no call. */
static inline int single_match(const cx_lex_entry *en, const cx_lex_entry *es, const tsc *sc, uint32_t i,
                               mt *out) {
    const cx_lex_entry *e = en && (en->flags & CX_LEX_VALUE) && stem_ok(en, sc, i)   ? en
                            : es && (es->flags & CX_LEX_VALUE) && stem_ok(es, sc, i) ? es
                                                                                     : NULL;
    if (!e) return 0;
    out[0].len = 1;
    out[0].e = e;
    return 1;
}

/* Can a phrase of m starting at token i go on to token i + 1?  Not when
 * the token does not join it or its words (norm, stem; "<num>" for a
 * number) are no later word of any phrase of m's kind: the walk would then
 * find no more than single_match(). */
static inline int continues(const cx_lexmap *m, const work *w, uint32_t i) {
    return i + 1 < w->n && w->sc[i + 1].joins && (w->sc[i + 1].starts & CX_LEX_CONT(m->start_bit));
}

/* matches_walk() from token i.  Most tokens start no term of m (a stop
 * word, a word of another language's lexicon): the one or two probes that
 * say so are inline. */
static inline __attribute__((always_inline)) int matches_at(const cx_lexmap *m, const work *w, uint32_t i, mt *out) {
    const tsc *c = &w->sc[i];
    if (!(c->starts & m->start_bit)) return 0; /* neither probe could find anything */
    const cx_lex_entry *en = cx_lexmap_next(m, NULL, c->wn);
    const cx_lex_entry *es = c->inflected ? cx_lexmap_next(m, NULL, c->ws) : NULL;
    if (!en && !es) return 0;
    if ((!((en ? en->flags : 0) & CX_LEX_PREFIX) && !((es ? es->flags : 0) & CX_LEX_PREFIX)) ||
        !continues(m, w, i))
        return single_match(en, es, w->sc, i, out);
    return matches_walk(m, w, i, en, es, out);
}

/* matches_at() for a signal map: a number token is matched as the word
 * CX_TAG_NUM_WORD (num, its vocabulary id). */
static inline __attribute__((always_inline)) int matches_at_num(const cx_lexmap *m, const work *w, uint32_t i, mt *out, uint32_t num) {
    const tsc *c = &w->sc[i];
    if (num != CX_LEX_NOWORD && c->number) {
        const cx_lex_entry *en = cx_lexmap_next(m, NULL, num);
        return en ? matches_walk_num(m, w, i, en, NULL, out, num) : 0;
    }
    if (!(c->starts & m->start_bit)) return 0;
    const cx_lex_entry *en = cx_lexmap_next(m, NULL, c->wn);
    const cx_lex_entry *es = c->inflected ? cx_lexmap_next(m, NULL, c->ws) : NULL;
    if (!en && !es) return 0;
    if ((!((en ? en->flags : 0) & CX_LEX_PREFIX) && !((es ? es->flags : 0) & CX_LEX_PREFIX)) ||
        !continues(m, w, i))
        return single_match(en, es, w->sc, i, out);
    return matches_walk_num(m, w, i, en, es, out, num);
}

/* The longest stored term of m starting at token i. */
static inline __attribute__((always_inline)) int longest(const cx_lexmap *m, const work *w, uint32_t i, mt *out) {
    mt all[CX_LEX_MAX_WORDS];
    int k = matches_at(m, w, i, all);
    if (k) *out = all[k - 1];
    return k > 0;
}

/* Look a negated verb form up after removing its negation affix: the rest
 * as it is, then up to three trailing code points shorter (a light stem for
 * languages whose stemmer keeps inflection), never below 3 code points. */
static const cx_lex_entry *strip_lookup(const cx_lexmap *m, const char *r, size_t len) {
    if (len >= 3 && (unsigned char)r[0] == 0xE2 && (unsigned char)r[1] == 0x80 && (unsigned char)r[2] == 0x8C) {
        r += 3; /* ZWNJ after a Persian prefix */
        len -= 3;
    }
    if (len && r[0] == '-') { r++; len--; }
    size_t cps = 0;
    for (size_t k = 0; k < len; k++) cps += ((unsigned char)r[k] & 0xC0) != 0x80;
    if (cps < 2) return NULL;
    for (int cut = 0; cut <= 3; cut++) {
        if (cut && cps < 3) break;
        const cx_lex_entry *e = cx_lexmap_get_str(m, r, len);
        if (e && (e->flags & CX_LEX_VALUE)) return e;
        do len--; while (len > 0 && ((unsigned char)r[len] & 0xC0) == 0x80);
        cps--;
    }
    return NULL;
}

/* The sentiment entry of a negated verb form once one of the language's
 * negator_prefix / negator_suffix affixes is removed, or NULL. */
static const cx_lex_entry *negform_lookup(const cx_tag_lang *L, const char *norm) {
    size_t len = strlen(norm);
    for (uint32_t k = 0; k < L->n_prefix; k++) {
        size_t pl = strlen(L->neg_prefix[k]);
        if (pl < len && !memcmp(norm, L->neg_prefix[k], pl)) {
            const cx_lex_entry *e = strip_lookup(&L->senti, norm + pl, len - pl);
            if (e) return e;
        }
    }
    for (uint32_t k = 0; k < L->n_suffix; k++) {
        size_t sl = strlen(L->neg_suffix[k]);
        if (sl < len && !memcmp(norm + len - sl, L->neg_suffix[k], sl)) {
            const cx_lex_entry *e = strip_lookup(&L->senti, norm, len - sl);
            if (e) return e;
        }
    }
    return NULL;
}

static shit *new_hit(work *w, uint32_t start, uint32_t len, float base) {
    shit *h = &w->hits[w->nh++];
    memset(h, 0, sizeof *h);
    h->start = start;
    h->len = len;
    h->base = base;
    h->imult = h->pmult = 1.0f;
    h->pmod_tok = NONE;
    h->pmod_end = start + len;
    h->after_w = h->before_w = 1.0f;
    h->neg_tok = h->mod_tok = h->after_tok = h->before_tok = NONE;
    return h;
}

/* Is theme a the same as theme b or one of its ancestors? */
static int same_or_ancestor(const cx_tagger *t, uint32_t a, uint32_t b) {
    for (int depth = 0; b != NONE && depth < 16; depth++, b = t->tax[b].parent_idx)
        if (a == b) return 1;
    return 0;
}

/* A theme mention is dropped when a longer mention already found covers its
 * tokens and is about the same theme or a sub-theme of it ("late delivery"
 * covers "delivery"); a longer phrase of an unrelated theme ("promised a
 * refund": promises) does not hide it (refunds). */
static int theme_covered(const work *w, const thit *h) {
    for (uint32_t k = w->nth; k-- > 0;) {
        const thit *d = &w->th[k];
        if (d->tok + CX_LEX_MAX_WORDS < h->tok) break;
        if (d->tok <= h->tok && d->end >= h->end && d->end - d->tok > h->end - h->tok &&
            same_or_ancestor(w->t, h->theme, d->theme))
            return 1;
    }
    return 0;
}

/* ---- negated mentions ---- */

/* The token that negates the theme or signal mention at tokens [start,
 * end), or NONE.  The mention counts (NONE) when it carries a negation of its
 * own (a negator, post-negator or negated form among its tokens: "still no
 * answer", "nicht angekommen"; negative concord, as for sentiment words).
 * Otherwise it is negated
 *  - by a negator at most CX_TAG_NEG_WINDOW content tokens before it in its
 *    clause ("no problems with the delivery", "I will not cancel",
 *    "nicht dringend"; sc[].negby, from prepare());
 *  - by a post-negator after it in its clause, at most CX_TAG_POST_WINDOW
 *    content tokens away (the language's post_window option when set); a
 *    token that is both a negator and a post-negator (German "nicht") only
 *    when no content token follows it in its clause ("ich kündige nicht");
 *  - by a negated verb form (not a modifier) right after it (مشکلی نبود).
 * L may be NULL (emoji only). */
static void neg_scopes(work *w);

static uint32_t mention_neg(work *w, const cx_tag_lang *L, uint32_t start, uint32_t end) {
    const cx_token *tk = w->tk;
    const tsc *sc = w->sc;
    for (uint32_t j = start; j < end; j++)
        if (tk[j].flags & (CX_TF_NEGATOR | CX_TF_NEG_POST | CX_TF_NEGATED_FORM)) return NONE;
    if (!w->neg_ready) neg_scopes(w); /* only records with a problem or signal mention pay for it */
    if (sc[start].negby != NONE) return sc[start].negby;
    uint32_t last = end - 1, window = L && L->post_window >= 0 ? (uint32_t)L->post_window : CX_TAG_POST_WINDOW;
    for (uint32_t j = end; j < w->n && sc[j].clause == sc[last].clause; j++) {
        uint32_t f = tk[j].flags, d = sc[j].cpos - sc[last].cpos;
        if ((f & CX_TF_NEGATED_FORM) && !(f & MOD_FLAGS)) return d <= 1 ? j : NONE;
        if (f & CX_TF_NEG_POST) {
            if (d > window) return NONE;
            if (!(f & CX_TF_NEGATOR)) return j;
            for (uint32_t k = j + 1; k < w->n && sc[k].clause == sc[j].clause; k++)
                if (sc[k].cpos != sc[j].cpos) return NONE; /* a content token follows: it negates forwards */
            return j;
        }
        if (d > CX_TAG_POST_WINDOW_MAX) return NONE;
    }
    return NONE;
}

/* sc[].negby from the sentiment hits just found: a negator opens a scope
 * over the next CX_TAG_NEG_WINDOW content tokens of its clause, unless it is
 * inside a sentiment phrase ("not refunded", "no reply": consumed, as in
 * modifiers()), so "if this is not refunded I will call my lawyer" keeps
 * its lawyer. */
static void neg_scopes(work *w) {
    const tsc *sc = w->sc;
    uint32_t neg = NONE, neg_cpos = 0, hp = 0;
    for (uint32_t i = 0; i < w->n; i++) {
        if (i > 0 && sc[i].clause != sc[i - 1].clause) neg = NONE;
        while (hp < w->nh && w->hits[hp].pmod_end <= i) hp++;
        int consumed = hp < w->nh && w->hits[hp].start <= i && i < w->hits[hp].pmod_end;
        if ((w->tk[i].flags & CX_TF_NEGATOR) && !consumed) {
            neg = i;
            neg_cpos = sc[i].cpos;
        }
        w->sc[i].negby = neg != NONE && neg != i && sc[i].cpos - neg_cpos <= CX_TAG_NEG_WINDOW ? neg : NONE;
    }
    w->neg_ready = 1;
}

/* The nearest ancestor of theme x that is not a problem theme, or NONE. */
static uint32_t non_problem_ancestor(const cx_tagger *t, uint32_t x) {
    for (int depth = 0; x != NONE && depth < 16; depth++) {
        x = t->tax[x].parent_idx;
        if (x != NONE && !t->tax[x].problem) return x;
    }
    return NONE;
}

/* ---- hashtags ---- */

/* The sentiment entry of one exact lexicon word given as bytes (never a
 * key built from another word's stem), or NULL. */
static const cx_lex_entry *word_entry(const cx_lexmap *m, const char *s, size_t len) {
    if (!len) return NULL;
    const cx_lex_entry *e = cx_lexmap_get_str(m, s, len);
    return e && (e->flags & CX_LEX_VALUE) && !(e->flags & CX_LEX_STEMKEY) ? e : NULL;
}

static size_t n_cps(const char *s, size_t len) {
    size_t c = 0;
    for (size_t k = 0; k < len; k++) c += ((unsigned char)s[k] & 0xC0) != 0x80;
    return c;
}

/* The valence of one part of a hashtag body (b, n bytes, normalised):
 *   1. the whole part is a lexicon word ("fail", "ripoff");
 *   2. it splits into a two-word lexicon phrase ("neveragain", "badservice");
 *   3. a negator word + a lexicon word ("nothappy", "notcool"): negated;
 *   4. else a lexicon word of >= CX_TAG_HASH_MIN code points at its start
 *      and/or end, the rest being >= 2 code points ("worstairline",
 *      "unitedfail"); both add up.
 * One pass over the split points, two map probes each (the start's entry
 * also tells whether a phrase starts with it).  Returns 1 with *v and *neg
 * when something matched. */
static int hashtag_part(const work *w, const cx_tag_lang *L, const char *b, size_t n, float *v, int *neg) {
    const cx_tagger *t = w->t;
    const cx_lex_entry *e = word_entry(&L->senti, b, n);
    *neg = 0;
    if (e) {
        *v = t->senti[e->val].v;
        return 1;
    }
    size_t cps = n_cps(b, n);
    if (cps < 4) return 0;
    const cx_lex_entry *pre = NULL, *suf = NULL, *negw = NULL;
    size_t pre_len = 0, suf_len = 0, ca = 0;
    for (size_t k = 1; k < n; k++) {
        if (((unsigned char)b[k] & 0xC0) == 0x80) continue;
        size_t cb = cps - ++ca;
        if (ca < 2 || cb < 2) continue;
        const cx_lex_entry *ea = cx_lexmap_get_str(&L->senti, b, k);
        const cx_lex_entry *eb = word_entry(&L->senti, b + k, n - k);
        if (ea && (ea->flags & CX_LEX_PREFIX)) { /* 2: a phrase starts with the first part */
            const cx_lexvocab *voc = L->senti.vocab;
            const cx_lex_entry *p =
                cx_lexmap_next(&L->senti, ea, cx_lexvocab_find(voc, b + k, n - k));
            if (p && (p->flags & CX_LEX_VALUE) && !(p->flags & CX_LEX_STEMKEY)) {
                *v = t->senti[p->val].v;
                return 1;
            }
        }
        if (ea && (!(ea->flags & CX_LEX_VALUE) || (ea->flags & CX_LEX_STEMKEY))) ea = NULL;
        if (eb && !negw && k <= 8 && L->has_rules) { /* 3 */
            const cx_lex_entry *r = cx_lexmap_get_str(&L->rules, b, k);
            if (r && (r->flags & CX_LEX_VALUE) && (t->rules[r->val].kinds & CX_RK_NEGATOR)) negw = eb;
        }
        if (ea && ca >= CX_TAG_HASH_MIN) { /* 4: the longest start */
            pre = ea;
            pre_len = k;
        }
        if (eb && cb >= CX_TAG_HASH_MIN && !suf) { /* 4: the longest end */
            suf = eb;
            suf_len = n - k;
        }
    }
    if (negw) {
        *v = t->senti[negw->val].v;
        *neg = 1;
        return 1;
    }
    if (pre && suf && pre_len + suf_len > n) suf = NULL; /* overlapping: the start wins */
    if (!pre && !suf) return 0;
    *v = (pre ? t->senti[pre->val].v : 0.0f) + (suf ? t->senti[suf->val].v : 0.0f);
    return 1;
}

/* A hashtag token whose body (without '#') carries sentiment: the body as
 * one word, or its parts separated by '_' each segmented by hashtag_part; a
 * part that is a negator word negates the next part ("#not_happy").  A
 * negated part counts with its negation factor already applied, so parts
 * add up.  Returns 1 with the summed valence in *v. */
static int hashtag_value(const work *w, const cx_tag_lang *L, const cx_token *k, float *v) {
    const char *b = k->norm;
    if (!b || b[0] != '#') return 0;
    b++;
    size_t n = strlen(b);
    if (!n || n > CX_TAG_HASH_MAX) return 0;
    double sum = 0;
    int neg_next = 0;
    for (size_t s = 0; s < n;) {
        size_t e = s;
        while (e < n && b[e] != '_') e++;
        float pv;
        int pn;
        if (e > s && hashtag_part(w, L, b + s, e - s, &pv, &pn)) {
            pn ^= neg_next;
            sum += pn ? pv * (pv > 0 ? CX_TAG_NEG_POS : CX_TAG_NEG_NEG) : pv;
            neg_next = 0;
        } else if (e > s && L->has_rules) {
            const cx_lex_entry *r = cx_lexmap_get_str(&L->rules, b + s, e - s);
            neg_next = r && (r->flags & CX_LEX_VALUE) && (w->t->rules[r->val].kinds & CX_RK_NEGATOR);
        }
        s = e + 1;
    }
    if (sum == 0) return 0;
    *v = (float)sum;
    return 1;
}

/* ---- closed compounds ---- */

/* Languages that write noun compounds as one word (Bahnchaos, Zugausfall,
 * Weichenstörung). */
static int compounding(const cx_tag_lang *L) {
    return !strcmp(L->code, "de");
}

/* A compound word that is not in the lexicon but ends in a negative lexicon
 * word of >= CX_TAG_COMPOUND_MIN code points after a head of >= 3 code
 * points ("bahnchaos" -> chaos, "weichenstörung" -> störung).  The longest
 * lexicon word at the end decides, so a listed neutral or positive word
 * blocks a shorter negative one inside it ("mehrwertsteuer": steuer 0, not
 * teuer).  Positive words are not looked for (a head often changes them:
 * "bergspitze").  Returns the valence or 0. */
static float compound_value(const cx_tag_lang *L, const cx_tagger *t, const char *norm) {
    size_t n = strlen(norm), cps = n_cps(norm, n);
    if (cps < 3 + CX_TAG_COMPOUND_MIN || n > CX_TAG_HASH_MAX) return 0;
    size_t ca = 0;
    for (size_t k = 1; k < n; k++) {
        if (((unsigned char)norm[k] & 0xC0) == 0x80) continue;
        if (++ca < 3) continue;
        if (cps - ca > CX_TAG_COMPOUND_MAX) continue;
        if (cps - ca < CX_TAG_COMPOUND_MIN) break;
        const cx_lex_entry *e = word_entry(&L->senti, norm + k, n - k);
        if (e) {
            float v = t->senti[e->val].v;
            return v < 0 ? v : 0;
        }
    }
    return 0;
}

/* intensifier_post / diminisher_post words right after hit h (from token
 * i, same clause, at most two): "جيد جدا", "enak sekali", "bom demais".
 * Their weights multiply h (the product clamped with the intensifiers
 * before it); the tokens are consumed.  Returns the token after them. */
static uint32_t post_mods(work *w, const cx_tag_lang *L, shit *h, uint32_t i) {
    for (int k = 0; k < 2 && i < w->n && w->sc[i].matchable; k++) {
        if ((w->tk[i - 1].flags & (CX_TF_CLAUSE_END | CX_TF_SENT_END)) || w->tk[i].sent != w->tk[i - 1].sent) break;
        mt m;
        if (!longest(&L->rules, w, i, &m)) break;
        const cx_tag_rule *r = &w->t->rules[m.e->val];
        if (!(r->kinds & (CX_RK_INT_POST | CX_RK_DIM_POST))) break;
        float def = (r->kinds & CX_RK_INT_POST) ? CX_TAG_INTENSIFIER : CX_TAG_DIMINISHER;
        h->pmult *= r->weight > 0 ? r->weight : def;
        if (h->pmod_tok == NONE) h->pmod_tok = i;
        i += m.len;
        h->pmod_end = i;
    }
    return i;
}

/* Find the sentiment hits and theme mentions of the record with language L
 * (NULL: emoji only).  A single word that is a negator, contrast,
 * intensifier, diminisher or request marker is a modifier, never a
 * sentiment word; a phrase starting with one ("no reply") is a phrase.
 * Returns the number of hits plus mentions. */
static uint32_t match_all(work *w, const cx_tag_lang *L) {
    const cx_tagger *t = w->t;
    const cx_token *tk = w->tk;
    w->nh = w->nth = 0;
    int emoji_on = t->emoji.n_values > 0;
    int senti_on = L && L->has_senti, compounds = senti_on && compounding(L), post_on = L && L->has_post_mod;
    for (uint32_t i = 0; i < w->n;) {
        if (!w->sc[i].matchable) { i++; continue; }
        const cx_token *k = &tk[i];
        int emo_type = k->type == CX_TOK_EMOJI || k->type == CX_TOK_EMOTICON;
        int emo_ok = emoji_on && (k->type != CX_TOK_WORD || t->emoji_words);
        mt m = {0, NULL};
        int got = 0;
        if (emo_type && emo_ok) got = longest(&t->emoji, w, i, &m);
        if (!got && senti_on) got = longest(&L->senti, w, i, &m);
        if (!got && !emo_type && emo_ok) got = longest(&t->emoji, w, i, &m);
        if (got && m.len == 1 && (k->flags & MOD_FLAGS)) got = 0;
        if (got) {
            const cx_tag_senti *sv = &t->senti[m.e->val];
            int par = 0;
            for (uint32_t j = i; j < i + m.len; j++) par ^= (tk[j].flags & CX_TF_NEGATED_FORM) != 0;
            shit *h = new_hit(w, i, m.len, sv->v);
            if (par != sv->negform) h->flags |= HF_SELFNEG;
            i += m.len;
            if (post_on) i = post_mods(w, L, h, i);
            continue;
        }
        float hv;
        if (senti_on && k->type == CX_TOK_HASHTAG && hashtag_value(w, L, k, &hv)) {
            new_hit(w, i, 1, hv);
            i++;
            continue;
        }
        if (compounds && k->type == CX_TOK_WORD && !(k->flags & (MOD_FLAGS | CX_TF_STOP)) && k->norm &&
            (hv = compound_value(L, t, k->norm)) != 0) {
            new_hit(w, i, 1, hv);
            i++;
            continue;
        }
        if (senti_on && (k->flags & CX_TF_NEGATED_FORM) && !(k->flags & MOD_FLAGS)) {
            const cx_lex_entry *e = negform_lookup(L, k->norm);
            if (e) new_hit(w, i, 1, t->senti[e->val].v)->flags |= HF_SELFNEG;
        }
        i++;
    }
    w->neg_ready = 0;
    if (L && L->has_themes) {
        for (uint32_t i = 0; i < w->n; i++) {
            mt all[CX_LEX_MAX_WORDS];
            int k = w->sc[i].matchable ? matches_at(&L->themes, w, i, all) : 0;
            while (k-- > 0) /* longest first */
                for (uint32_t c = all[k].e->val + 1; c && w->nth < w->th_cap; c = t->tterms[c - 1].next) {
                    thit h = {t->tterms[c - 1].theme, i, i + all[k].len};
                    if (theme_covered(w, &h)) continue;
                    /* a negated problem ("the delivery was not late", "no
                     * double charge") is no complaint: it counts for the
                     * nearest non-problem ancestor (delivery, billing), or not
                     * at all */
                    if (t->tax[h.theme].problem && mention_neg(w, L, h.tok, h.end) != NONE) {
                        h.theme = non_problem_ancestor(t, h.theme);
                        if (h.theme == NONE || theme_covered(w, &h)) continue;
                    }
                    w->th[w->nth++] = h;
                }
        }
    }
    return w->nh + w->nth;
}

/* The signal-lexicon mentions of the record with language L (signals/<lang>.tsv):
 * at each token every stored term starting there, longest first; a mention
 * covered by a longer one of the same signal is dropped, and so is a mention
 * in a negation scope (mention_neg: "I will not cancel", "no rush"). */
static void match_signals(work *w, const cx_tag_lang *L) {
    const cx_tagger *t = w->t;
    w->nsg = 0;
    if (!L || !L->has_signals) return;
    for (uint32_t i = 0; i < w->n; i++) {
        if (!w->sc[i].matchable) continue;
        mt all[CX_LEX_MAX_WORDS];
        int k = matches_at_num(&L->signals, w, i, all, t->num_word);
        while (k-- > 0)
            for (uint32_t c = all[k].e->val + 1; c && w->nsg < w->th_cap; c = t->sterms[c - 1].next) {
                ghit h = {t->sterms[c - 1].theme, i, i + all[k].len};
                int covered = 0;
                for (uint32_t q = w->nsg; q-- > 0 && !covered;) {
                    const ghit *d = &w->sg[q];
                    if (d->tok + CX_LEX_MAX_WORDS < h.tok) break;
                    covered = d->sig == h.sig && d->tok <= h.tok && d->end >= h.end;
                }
                if (!covered && mention_neg(w, L, h.tok, h.end) == NONE) w->sg[w->nsg++] = h;
            }
    }
}

/* ---- pass 0: per-token and per-sentence facts ---- */

/* Lay out the scratch arrays (stack or envelope pool) and compute, in one
 * pass over the tokens: clause and contrast-segment indexes, content-token
 * positions (for the rule windows), the norm/stem hashes used by every
 * lexicon lookup, and per sentence the question/request/exclamation facts. */
static int prepare(work *w, cx_env *env, void *stack, size_t stack_len) {
    const cx_token *tk = w->tk;
    uint32_t n = w->n, ns = env->n_sents;
    for (uint32_t i = 0; i < n; i++)
        if ((uint32_t)tk[i].sent + 1 > ns) ns = (uint32_t)tk[i].sent + 1;
    w->ns = ns;
    w->th_cap = 2 * n + 8;
    /* one block for all of them: from the caller's stack buffer when it is
     * big enough (most records), else from the envelope's pool.  The arrays
     * live only while the record is tagged; taking them from the pool used
     * to cost a new pool chunk (a malloc) per record. */
#define SCRATCH_ALIGN(x) (((x) + 15) & ~(size_t)15)
    size_t o_sc = 0, o_hits = o_sc + SCRATCH_ALIGN((size_t)n * sizeof *w->sc),
           o_th = o_hits + SCRATCH_ALIGN((size_t)n * sizeof *w->hits),
           o_sg = o_th + SCRATCH_ALIGN((size_t)w->th_cap * sizeof *w->th),
           o_s = o_sg + SCRATCH_ALIGN((size_t)w->th_cap * sizeof *w->sg),
           o_craw = o_s + SCRATCH_ALIGN((size_t)ns * sizeof *w->s),
           o_sraw = o_craw + SCRATCH_ALIGN((size_t)n * sizeof *w->craw),
           o_chas = o_sraw + SCRATCH_ALIGN((size_t)n * sizeof *w->sraw), o_creq = o_chas + SCRATCH_ALIGN(n),
           total = o_creq + SCRATCH_ALIGN(n);
#undef SCRATCH_ALIGN
    char *blk = total <= stack_len ? stack : cx_env_alloc(env, total);
    if (!blk) return -1;
    w->sc = (tsc *)(void *)(blk + o_sc);
    w->hits = (shit *)(void *)(blk + o_hits);
    w->th = (thit *)(void *)(blk + o_th);
    w->sg = (ghit *)(void *)(blk + o_sg);
    w->s = (sinfo *)(void *)(blk + o_s);
    w->craw = (double *)(void *)(blk + o_craw);
    w->sraw = (double *)(void *)(blk + o_sraw);
    w->chas = (uint8_t *)(blk + o_chas);
    w->creq = (uint8_t *)(blk + o_creq);
    memset(w->sraw, 0, n * sizeof *w->sraw);
    memset(w->s, 0, ns * sizeof *w->s);
    memset(w->craw, 0, n * sizeof *w->craw);
    memset(w->chas, 0, n);
    memset(w->creq, 0, n);
    for (uint32_t k = 0; k < ns; k++) {
        w->s[k].first_word = w->s[k].first_ctr = w->s[k].last_ctr = NONE;
        w->s[k].first_ctr_w = w->s[k].last_ctr_w = 1.0f;
    }
    uint32_t clause = 0, seg = 0, cpos = 0, words = 0, caps = 0;
    for (uint32_t i = 0; i < n; i++) {
        const cx_token *k = &tk[i];
        uint32_t f = k->flags;
        int new_sent = i > 0 && k->sent != tk[i - 1].sent;
        int after_end = i > 0 && (tk[i - 1].flags & (CX_TF_CLAUSE_END | CX_TF_SENT_END));
        if (new_sent || after_end || (i > 0 && (f & CX_TF_CONTRAST))) clause++;
        if (new_sent || (i > 0 && (f & CX_TF_CONTRAST))) seg++;
        tsc *c = &w->sc[i];
        c->clause = clause;
        c->seg = seg;
        int content = k->type != CX_TOK_PUNCT && !(f & (CX_TF_STOP | MOD_FLAGS));
        if (content) cpos++;
        c->cpos = cpos;
        c->number = k->type == CX_TOK_NUMBER;
        int matchable = k->norm && k->norm[0] && k->type != CX_TOK_URL && k->type != CX_TOK_EMAIL &&
                        k->type != CX_TOK_MENTION && k->type != CX_TOK_PII;
        c->matchable = (uint8_t)matchable;
        c->joins = matchable && i > 0 && !new_sent && !after_end;
        if (matchable) {
            /* the only string work of the matcher: every lexicon lookup of
             * this record goes by these vocabulary ids */
            size_t nl = strlen(k->norm);
            c->wn = cx_lexvocab_find(&w->t->vocab, k->norm, nl);
            if (!k->stem || !k->stem[0]) {
                c->inflected = 0;
                c->ws = CX_LEX_NOWORD; /* no stem matches no stem key */
            } else if (k->stem == k->norm) {
                c->inflected = 0;
                c->ws = c->wn;
            } else {
                /* equal ids are equal strings; an id and no id are different
                 * ones; with neither, the token ends every walk whatever
                 * inflected says, so no strcmp is needed */
                size_t sl = strlen(k->stem);
                c->ws = cx_lexvocab_find(&w->t->vocab, k->stem, sl);
                c->inflected = c->ws != c->wn || c->ws == CX_LEX_NOWORD;
            }
            {
                const cx_lexvocab *v = &w->t->vocab;
                uint16_t bn = cx_lexvocab_starts(v, c->wn), bs = cx_lexvocab_starts(v, c->ws);
                c->starts = (uint16_t)((bn | (c->inflected ? bs : 0)) & 0xff) | (uint16_t)((bn | bs) & 0xff00);
                if (c->number) c->starts |= cx_lexvocab_starts(v, w->t->num_word) & 0xff00;
            }
        } else {
            c->inflected = 0;
            c->wn = c->ws = CX_LEX_NOWORD;
            c->starts = 0;
        }
        sinfo *S = &w->s[k->sent];
        if (content) S->content++;
        if (f & CX_TF_QUESTION) S->question = 1;
        if (f & CX_TF_REQUEST) {
            S->request = 1;
            w->creq[seg] = 1;
        }
        if (f & CX_TF_EXCLAIM) S->exclaim_flag = 1;
        if (k->type == CX_TOK_PUNCT) {
            /* the surface keeps "!!!" (the normalised form may collapse it) */
            for (const char *p = tok_text(k); *p; p++)
                if (*p == '!' && S->n_excl < 3) S->n_excl++;
        } else if (S->first_word == NONE) {
            S->first_word = i;
        }
        if (k->type == CX_TOK_WORD) {
            words++;
            if (f & CX_TF_ALLCAPS) caps++;
        }
    }
    for (uint32_t k = 0; k < ns; k++) {
        sinfo *S = &w->s[k];
        if (S->exclaim_flag && !S->n_excl) S->n_excl = 1;
        S->excl = excl_mult[S->n_excl];
    }
    w->n_clauses = clause + 1;
    w->mostly_caps = words > 0 && caps * 10 >= words * 8;
    return 0;
}

/* ---- pass 2: negation, intensity and contrast ---- */

/* The weight of the rule of the given kind starting at token i (the
 * longest rule phrase there), or def; *len is the phrase length. */
static float rule_weight(const work *w, uint32_t i, int kind, float def, uint32_t *len) {
    *len = 1;
    const cx_tag_lang *L = w->L;
    mt m;
    if (!L || !L->has_rules || !w->sc[i].matchable || !longest(&L->rules, w, i, &m)) return def;
    const cx_tag_rule *r = &w->t->rules[m.e->val];
    if (!(r->kinds & kind)) return def;
    *len = m.len;
    return r->weight > 0 ? r->weight : def;
}

/* An emoji or emoticon says how the writer feels; a negator does not turn
 * it around ("ist noch nicht abzusehen :-("). */
static int is_emo(const work *w, const shit *h) {
    uint8_t ty = w->tk[h->start].type;
    return ty == CX_TOK_EMOJI || ty == CX_TOK_EMOTICON;
}

/* A post-negator at token i negates the hits just before it in the same
 * clause, at most window content tokens back (never an emoji).  Returns
 * how many. */
static int post_negate(work *w, uint32_t hp, uint32_t i, uint32_t window) {
    int c = 0;
    if (w->L && w->L->post_window >= 0) {
        /* option post_window N: only the nearest hit, at most N content
         * tokens between it and the post-negator */
        if (w->tk[i].flags & MOD_FLAGS) window = (uint32_t)w->L->post_window;
        for (uint32_t k = hp; k-- > 0;) {
            shit *h = &w->hits[k];
            if (is_emo(w, h)) continue;
            uint32_t end = h->start + h->len - 1;
            if (w->sc[end].clause != w->sc[i].clause || w->sc[i].cpos - w->sc[end].cpos > window) return 0;
            if (h->flags & (HF_PRENEG | HF_POSTNEG)) return 0;
            h->flags |= HF_POSTNEG;
            h->neg_tok = i;
            return 1;
        }
        return 0;
    }
    for (uint32_t k = hp; k-- > 0;) {
        shit *h = &w->hits[k];
        uint32_t end = h->start + h->len - 1;
        if (w->sc[end].clause != w->sc[i].clause || w->sc[i].cpos - w->sc[end].cpos > window) break;
        if (h->flags & (HF_PRENEG | HF_POSTNEG) || is_emo(w, h)) continue;
        h->flags |= HF_POSTNEG;
        h->neg_tok = i;
        c++;
    }
    return c;
}

/* Negative concord: does hit h carry a negation of its own (a negated
 * form, or a negator / post-negator / negated form among the tokens of a
 * phrase: "не отвечают", "no problem")?  A negator whose scope reaches such
 * a hit agrees with that negation and does not turn it around again:
 * "никогда не отвечают", "nunca não chegou", "jamais aucun problème". */
static int own_negation(const work *w, const shit *h) {
    if (h->flags & HF_SELFNEG) return 1;
    for (uint32_t j = h->start; j < h->start + h->len; j++)
        if (w->tk[j].flags & (CX_TF_NEGATOR | CX_TF_NEG_POST | CX_TF_NEGATED_FORM)) return 1;
    return 0;
}

/* One forward pass over the tokens.  A negator opens a scope that covers the
 * next CX_TAG_NEG_WINDOW content tokens of its clause; intensifiers and
 * diminishers multiply into a pending weight taken by the next sentiment
 * word within CX_TAG_INT_WINDOW content tokens; a contrast word makes the
 * rest of its sentence "after" it.  A token that is both a negator and a
 * post-negator (Bengali না) negates backwards when a sentiment word precedes
 * it in its clause, otherwise forwards.  A negated verb form that is not a
 * sentiment word itself negates the word right before it (خوب نبود). */
static void modifiers(work *w) {
    const cx_token *tk = w->tk;
    const tsc *sc = w->sc;
    uint32_t hp = 0, neg_tok = NONE, pend_tok = NONE, ctr_tok = NONE;
    uint32_t neg_cpos = 0, pend_cpos = 0, clause = NONE, sent = NONE;
    float pend = 1.0f, ctr_w = 1.0f;
    for (uint32_t i = 0; i < w->n;) {
        if (sc[i].clause != clause) {
            clause = sc[i].clause;
            neg_tok = pend_tok = NONE;
            pend = 1.0f;
        }
        if (tk[i].sent != sent) {
            sent = tk[i].sent;
            ctr_tok = NONE;
            ctr_w = 1.0f;
        }
        if (hp < w->nh && w->hits[hp].start == i) {
            shit *h = &w->hits[hp++];
            if (neg_tok != NONE && sc[i].cpos - neg_cpos <= CX_TAG_NEG_WINDOW && !is_emo(w, h)) {
                /* negative concord: a hit negated on its own is not negated again */
                h->flags |= own_negation(w, h) ? HF_CONCORD : HF_PRENEG;
                h->neg_tok = neg_tok;
            }
            if (pend_tok != NONE && sc[i].cpos - pend_cpos <= CX_TAG_INT_WINDOW) {
                h->imult = pend < CX_TAG_INT_MIN ? CX_TAG_INT_MIN : pend > CX_TAG_INT_MAX ? CX_TAG_INT_MAX : pend;
                h->mod_tok = pend_tok;
            }
            pend_tok = NONE;
            pend = 1.0f;
            if (ctr_tok != NONE) {
                h->after_tok = ctr_tok;
                h->after_w = ctr_w;
            }
            /* the intensifier_post / diminisher_post words after it are
             * consumed: "جيد نوعا ما" - its ما negates nothing */
            i = h->pmod_end;
            continue;
        }
        uint32_t f = tk[i].flags, len;
        if (f & CX_TF_CONTRAST) {
            ctr_w = rule_weight(w, i, CX_RK_CONTRAST, CX_TAG_CONTRAST, &len);
            ctr_tok = i;
            sinfo *S = &w->s[tk[i].sent];
            if (S->first_ctr == NONE) {
                S->first_ctr = i;
                S->first_ctr_w = ctr_w;
            }
            S->last_ctr = i;
            S->last_ctr_w = ctr_w;
            i += len;
            continue;
        }
        int pre = (f & CX_TF_NEGATOR) != 0, post = (f & CX_TF_NEG_POST) != 0;
        if (pre && post) {
            /* a sentiment word right after it (the next content token of
             * the clause) is what it negates: "klingt nicht schön" */
            int next = hp < w->nh && sc[w->hits[hp].start].clause == sc[i].clause &&
                       sc[w->hits[hp].start].cpos == sc[i].cpos + 1;
            if (!next && post_negate(w, hp, i, CX_TAG_POST_WINDOW)) pre = 0;
        } else if (post) {
            post_negate(w, hp, i, CX_TAG_POST_WINDOW);
        } else if ((f & CX_TF_NEGATED_FORM) && !pre) {
            post_negate(w, hp, i, 1);
        }
        if (pre) {
            neg_tok = i;
            neg_cpos = sc[i].cpos;
        }
        if (f & (CX_TF_INTENSIFIER | CX_TF_DIMINISHER)) {
            float wt = (f & CX_TF_INTENSIFIER) ? rule_weight(w, i, CX_RK_INTENSIFIER, CX_TAG_INTENSIFIER, &len)
                                               : rule_weight(w, i, CX_RK_DIMINISHER, CX_TAG_DIMINISHER, &len);
            pend *= wt;
            if (pend_tok == NONE) pend_tok = i;
            pend_cpos = sc[i + len - 1].cpos;
            i += len;
            continue;
        }
        i++;
    }
}

/* ---- pass 3: combine ---- */

static int negated(const shit *h) {
    return ((h->flags & (HF_PRENEG | HF_POSTNEG)) != 0) ^ ((h->flags & HF_SELFNEG) != 0);
}

/* A short sentence right after a request ("Thank you in advance.") with no
 * negative word is courtesy, not praise; after a question ("Can I pay by
 * card? Thanks!") only its mild words are (thanks, cheers: valence up to
 * CX_TAG_COURTESY_VAL), "...? The app is good." stays praise. */
static int courtesy(const work *w, uint32_t si, const shit *h) {
    const sinfo *S = &w->s[si];
    if (si == 0 || S->request || S->content > CX_TAG_COURTESY_MAX || S->has_neg) return 0;
    const sinfo *P = &w->s[si - 1];
    return P->request || (P->question && fabsf(h->base) <= CX_TAG_COURTESY_VAL);
}

/* Apply the word- and sentence-level weights to every hit and add up the
 * sentence, clause and record sums. */
static double combine(work *w) {
    const cx_token *tk = w->tk;
    for (uint32_t k = 0; k < w->nh; k++) {
        const shit *h = &w->hits[k];
        sinfo *S = &w->s[tk[h->start].sent];
        if (fabsf(h->base) >= CX_TAG_STRONG) S->strong = 1;
        if (h->base != 0) S->has_hit = 1;
        if ((h->base < 0) != negated(h) && h->base != 0) S->has_neg = 1;
    }
    for (uint32_t k = 0; k < w->nh; k++) {
        shit *h = &w->hits[k];
        uint32_t si = tk[h->start].sent;
        sinfo *S = &w->s[si];
        double v = h->base;
        if (negated(h)) v *= h->base > 0 ? CX_TAG_NEG_POS : CX_TAG_NEG_NEG;
        if (h->pmod_tok != NONE) {
            float im = h->imult * h->pmult;
            v *= im < CX_TAG_INT_MIN ? CX_TAG_INT_MIN : im > CX_TAG_INT_MAX ? CX_TAG_INT_MAX : im;
        } else {
            v *= h->imult;
        }
        for (uint32_t j = h->start; j < h->start + h->len; j++) {
            if ((tk[j].flags & CX_TF_ALLCAPS) && !w->mostly_caps && !(h->flags & HF_CAPS)) {
                h->flags |= HF_CAPS;
                v *= CX_TAG_CAPS;
            }
            if ((tk[j].flags & CX_TF_STRETCHED) && !(h->flags & HF_STRETCH)) {
                h->flags |= HF_STRETCH;
                v *= CX_TAG_STRETCH;
            }
        }
        if (v > 0 && S->question && !S->strong) {
            v *= CX_TAG_QUESTION;
            h->flags |= HF_QUESTION;
        }
        int req = S->request && (!w->L || !w->L->request_clause || w->creq[w->sc[h->start].seg]);
        if ((v > 0 && fabsf(h->base) < CX_TAG_STRONG && (req || courtesy(w, si, h))) ||
            (v < 0 && fabsf(h->base) < CX_TAG_REQUEST_NEG && req)) {
            v *= CX_TAG_REQUEST;
            h->flags |= HF_REQUEST;
        }
        double raw = v;
        if (h->after_tok != NONE) {
            v *= h->after_w;
            h->flags |= HF_AFTER;
        }
        if (S->last_ctr != NONE && S->last_ctr > h->start) {
            h->before_tok = S->last_ctr;
            h->before_w = (float)(CX_TAG_CONTRAST_BEFORE / S->last_ctr_w);
        } else if (si + 1 < w->ns && w->s[si + 1].first_ctr != NONE &&
                   w->s[si + 1].first_ctr == w->s[si + 1].first_word) {
            h->before_tok = w->s[si + 1].first_ctr;
            h->before_w = (float)(CX_TAG_CONTRAST_BEFORE / w->s[si + 1].first_ctr_w);
        }
        if (h->before_tok != NONE) {
            v *= h->before_w;
            h->flags |= HF_BEFORE;
        }
        h->v = v;
        S->sum += v * S->excl;
        uint32_t c = w->sc[h->start].clause;
        w->craw[c] += raw * S->excl;
        w->chas[c] = 1;
        w->sraw[w->sc[h->start].seg] += raw * S->excl;
    }
    double total = 0;
    for (uint32_t k = 0; k < w->ns; k++) total += w->s[k].sum;
    return total;
}

/* ---- themes ---- */

typedef struct tacc {
    uint32_t theme, count, cur_seg, last_clause;
    double acc, cacc;
    int chas, any;      /* any: some mentioning segment carried sentiment */
    int contrast;       /* some mentioning sentence has a contrast word */
} tacc;

static void tacc_flush(const work *w, tacc *a) {
    if (a->cur_seg == NONE) return;
    a->acc += a->chas ? a->cacc : w->sraw[a->cur_seg];
    a->any |= a->chas || w->sraw[a->cur_seg] != 0;
    a->cur_seg = NONE;
}

/* Aspect sentiment: for every contrast segment (a sentence, or the part of
 * it between contrast words) mentioning a theme, the sum of the mentioning
 * clauses that carry sentiment, or the whole segment when none does ("the
 * courier came at noon, terrible"); the segment boundary keeps "excellent"
 * out of "excellent service but the delivery took ages".  Contrast weights
 * are left out (they rank clauses for the record's overall score, not for
 * the aspect).  A theme mentioned only in segments without sentiment, in
 * sentences without a contrast word, takes the record's score: short
 * feedback is mostly about one thing ("The refund is still not here. Very
 * disappointed.").  Weight = number of mentions.  Only the most specific
 * theme is stored: mentions of a theme whose sub-theme the record also
 * mentions count for the sub-theme. */
static int themes(work *w, cx_env *env, double total) {
    if (!w->nth) return 0;
    tacc *a = cx_env_alloc(env, w->nth * sizeof *a);
    if (!a) return -1;
    uint32_t na = 0;
    for (uint32_t k = 0; k < w->nth; k++) {
        const thit *m = &w->th[k];
        uint32_t j = 0;
        while (j < na && a[j].theme != m->theme) j++;
        if (j == na) {
            memset(&a[na], 0, sizeof a[na]);
            a[na].theme = m->theme;
            a[na].cur_seg = a[na].last_clause = NONE;
            na++;
        }
        tacc *x = &a[j];
        x->count++;
        if (w->s[w->tk[m->tok].sent].first_ctr != NONE) x->contrast = 1;
        uint32_t sg = w->sc[m->tok].seg, c = w->sc[m->tok].clause;
        if (sg != x->cur_seg) {
            tacc_flush(w, x);
            x->cur_seg = sg;
            x->cacc = 0;
            x->chas = 0;
            x->last_clause = NONE;
        }
        if (c != x->last_clause) {
            x->last_clause = c;
            if (w->chas[c]) {
                x->cacc += w->craw[c];
                x->chas = 1;
            }
        }
    }
    for (uint32_t j = 0; j < na; j++) tacc_flush(w, &a[j]);
    /* keep the most specific id: a theme whose sub-theme is also in the
     * record is folded into the first such sub-theme */
    for (uint32_t j = 0; j < na; j++) {
        if (!a[j].count) continue;
        for (uint32_t k = 0; k < na; k++) {
            if (k == j || !a[k].count || !same_or_ancestor(w->t, a[j].theme, a[k].theme)) continue;
            a[k].count += a[j].count;
            a[k].acc += a[j].acc;
            a[k].any |= a[j].any;
            a[k].contrast |= a[j].contrast;
            a[j].count = 0;
            break;
        }
    }
    env->themes = cx_env_alloc(env, na * sizeof *env->themes);
    if (!env->themes) return -1;
    uint32_t no = 0;
    for (uint32_t j = 0; j < na; j++) {
        if (!a[j].count) continue;
        cx_theme_hit *o = &env->themes[no++];
        if (!(o->id = cx_env_strdup(env, w->t->tax[a[j].theme].pub.id))) return -1;
        o->weight = (float)a[j].count;
        o->sentiment = (float)normalise(a[j].any || a[j].contrast ? a[j].acc : total);
        if (w->t->tax[a[j].theme].praise && o->sentiment >= w->t->pos_thr && o->sentiment > 0) w->praise_ok = 1;
    }
    env->n_themes = no;
    return 0;
}

/* ---- signals ---- */

/* Evidence collected for the signals of one record. */
typedef struct sigev {
    char item[CX_SIG__N][CX_TAG_EVIDENCE_MAX][CX_TAG_EVIDENCE_BYTES + 1];
    uint8_t n[CX_SIG__N];
    uint8_t on[CX_SIG__N];
} sigev;

/* Add evidence text s[0..len) to signal sig: cut on a UTF-8 boundary, the
 * separators of the evidence field (';', '|', '=', ',') made blanks; a text
 * the signal already has is not added twice. */
static void ev_add(sigev *g, int sig, const char *s, size_t len) {
    g->on[sig] = 1;
    if (g->n[sig] >= CX_TAG_EVIDENCE_MAX) return;
    if (len > CX_TAG_EVIDENCE_BYTES) {
        len = CX_TAG_EVIDENCE_BYTES;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) len--;
    }
    char *d = g->item[sig][g->n[sig]];
    for (size_t k = 0; k < len; k++) d[k] = s[k] == ';' || s[k] == '|' || s[k] == '=' || s[k] == ',' ? ' ' : s[k];
    d[len] = '\0';
    for (uint8_t k = 0; k < g->n[sig]; k++)
        if (!strcmp(g->item[sig][k], d)) return;
    g->n[sig]++;
}

/* Evidence from the surface text of tokens [tok, end), joined by blanks. */
static void ev_span(sigev *g, int sig, const work *w, uint32_t tok, uint32_t end) {
    char b[CX_TAG_EVIDENCE_BYTES * 2];
    size_t len = 0;
    for (uint32_t j = tok; j < end && len < CX_TAG_EVIDENCE_BYTES; j++) {
        const char *s = tok_text(&w->tk[j]);
        size_t l = strlen(s);
        if (j > tok) b[len++] = ' ';
        if (l > sizeof b - len - 1) l = sizeof b - len - 1;
        memcpy(b + len, s, l);
        len += l;
    }
    ev_add(g, sig, b, len);
}

/* env->signals (the names, comma separated, in CX_SIG_* order) and
 * env->signal_evidence ("effort=called 3 times|had to explain again;churn=cancel my account"):
 *  - question: a sentence ends with '?' (evidence "?"), or a question term;
 *  - request: a request marker of rules/<lang>.tsv (evidence: the marker);
 *  - churn: a churn term, or a mention of a theme whose top-level id
 *    contains "churn" (cancellation_churn) that no negator reaches;
 *  - praise: a praise term, or a mention of the praise theme when its aspect
 *    sentiment is positive;
 *  - effort, urgency, legal, suggestion: their terms.
 * Terms come from signals/<lang>.tsv (match_signals: negated ones do not
 * count).  At most CX_TAG_EVIDENCE_MAX distinct texts per signal. */
static int signals(work *w, cx_env *env) {
    sigev g;
    memset(g.n, 0, sizeof g.n);
    memset(g.on, 0, sizeof g.on);
    const cx_token *tk = w->tk;
    const cx_tagger *t = w->t;
    for (uint32_t k = 0; k < w->ns; k++)
        if (w->s[k].question) ev_add(&g, CX_SIG_QUESTION, "?", 1);
    for (uint32_t i = 0; i < w->n; i++) {
        if (!(tk[i].flags & CX_TF_REQUEST)) continue;
        uint32_t e = i + 1;
        while (e < w->n && (tk[e].flags & CX_TF_REQUEST) && tk[e].sent == tk[i].sent && !(tk[e - 1].flags & CX_TF_CLAUSE_END)) e++;
        ev_span(&g, CX_SIG_REQUEST, w, i, e);
        i = e - 1;
    }
    for (uint32_t j = 0; j < w->nth; j++) {
        const thit *h = &w->th[j];
        const cx_tag_tax *x = &t->tax[h->theme];
        if (!x->churn && !(x->praise && w->praise_ok)) continue;
        if (mention_neg(w, w->L, h->tok, h->end) != NONE) continue;
        ev_span(&g, x->churn ? CX_SIG_CHURN : CX_SIG_PRAISE, w, h->tok, h->end);
    }
    for (uint32_t j = 0; j < w->nsg; j++) ev_span(&g, (int)w->sg[j].sig, w, w->sg[j].tok, w->sg[j].end);
    char names[128], ev[CX_SIG__N * (CX_TAG_EVIDENCE_MAX * (CX_TAG_EVIDENCE_BYTES + 1) + 16)];
    size_t nl = 0, el = 0;
    for (int sig = 0; sig < CX_SIG__N; sig++) {
        if (!g.on[sig]) continue;
        const char *name = cx_tag_signal_names[sig];
        size_t l = strlen(name);
        if (nl) names[nl++] = ',';
        memcpy(names + nl, name, l);
        nl += l;
        if (el) ev[el++] = ';';
        memcpy(ev + el, name, l);
        el += l;
        ev[el++] = '=';
        for (uint8_t k = 0; k < g.n[sig]; k++) {
            if (k) ev[el++] = '|';
            size_t il = strlen(g.item[sig][k]);
            memcpy(ev + el, g.item[sig][k], il);
            el += il;
        }
    }
    if (!nl) return 0;
    if (!(env->signals = cx_env_strndup(env, names, nl))) return -1;
    return (env->signal_evidence = cx_env_strndup(env, ev, el)) ? 0 : -1;
}

/* ---- explanation ---- */

typedef struct xb {
    char b[1024];
    size_t len;
    int full;
} xb;

/* The explanation is written for every record, a few dozen short pieces
 * each: xput and xlit copy without a library call for the usual short
 * pieces, xs takes the length of a literal at compile time, xnum rounds and
 * formats without lround or a division loop for one-digit integer parts. */
/* The room check shared by both writers: 0 when the text does not fit (the
 * explanation then ends with " …"). */
static inline __attribute__((always_inline)) int xroom(xb *x, size_t n) {
    if (x->full) return 0;
    if (x->len + n + 8 > sizeof x->b) {
        memcpy(x->b + x->len, " \xE2\x80\xA6", 4); /* " …" */
        x->len += 4;
        x->full = 1;
        return 0;
    }
    return 1;
}

/* Text of any length (a token, a number): overlapping fixed-size copies, no
 * library call up to 16 bytes (there is room: len + n + 8 <= sizeof b).
 * Literals go through xlit: with a literal's size in view gcc warns about
 * the 8-byte loads of the branches it cannot rule out. */
static inline __attribute__((always_inline)) void xput(xb *x, const char *s, size_t n) {
    if (!xroom(x, n)) return;
    char *d = x->b + x->len;
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else {
        for (size_t k = 0; k < n; k++) d[k] = s[k];
    }
    x->len += n;
}

/* A string literal: inline, its length is a constant and the byte loop
 * unrolls to a few stores. */
static inline __attribute__((always_inline)) void xlit(xb *x, const char *s, size_t n) {
    if (!xroom(x, n)) return;
    char *d = x->b + x->len;
    for (size_t k = 0; k < n; k++) d[k] = s[k];
    x->len += n;
}
static void xs_(xb *x, const char *s) { xput(x, s, strlen(s)); }
#define xs(x, lit) xlit((x), (lit), sizeof(lit) - 1)

/* A number with dec (0, 1 or 2) decimals; with dec 2 trailing zeros are
 * dropped ("1.3", "0.25", "2"); sign forces a '+' on positives.  Rounding is
 * lround's (half away from zero): the fraction a - trunc(a) is exact for
 * these magnitudes, so no a + 0.5 double rounding can creep in. */
static void xnum(xb *x, double v, int dec, int sign) {
    char t[40];
    int k = 0;
    long scale = dec == 2 ? 100 : dec == 1 ? 10 : 1;
    double a = fabs(v);
    if (a > 1e12) a = 1e12;
    double as = a * (double)scale;
    long q = (long)as;
    if (as - (double)q >= 0.5) q++;
    long ip = q / scale, fp = q % scale;
    if (v < 0 && q) t[k++] = '-';
    else if (sign) t[k++] = '+';
    if (ip < 10) {
        t[k++] = (char)('0' + ip);
    } else {
        char d[24];
        int nd = 0;
        do { d[nd++] = (char)('0' + ip % 10); ip /= 10; } while (ip && nd < 20);
        while (nd) t[k++] = d[--nd];
    }
    if (dec == 1) {
        t[k++] = '.';
        t[k++] = (char)('0' + fp);
    } else if (dec == 2 && fp) {
        t[k++] = '.';
        t[k++] = (char)('0' + fp / 10);
        if (fp % 10) t[k++] = (char)('0' + fp % 10);
    }
    xput(x, t, (size_t)k);
}


/* A token's text, cut to at most max bytes on a UTF-8 boundary. */
static void xtok(xb *x, const cx_token *k, size_t max) {
    const char *s = tok_text(k);
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    xput(x, s, n);
}

static inline __attribute__((always_inline)) void xmul(xb *x, double m, const char *why, const cx_token *k) {
    xs(x, " \xC3\x97"); /* " ×" */
    xnum(x, m, 2, 0);
    xs(x, " (");
    xs_(x, why);
    if (k) {
        if (why[0]) xs(x, " ");
        xtok(x, k, 24);
    }
    xs(x, ")");
}

/* env->explain: every sentiment term with its valence and the rules that
 * changed it, sentence exclamation factors, and the sums. */
static int explain(work *w, cx_env *env, double total, double compound, const cx_tag_lang *fallback) {
    xb x;
    x.len = 0;
    x.full = 0;
    int items = 0;
    if (fallback) {
        xs(&x, "lexicon ");
        xput(&x, fallback->code, fallback->code_len);
        xs(&x, " (language ");
        xs_(&x, env->lang);
        xs(&x, ")");
        items++;
    }
    const cx_token *tk = w->tk;
    for (uint32_t k = 0; k < w->nh; k++) {
        const shit *h = &w->hits[k];
        if (h->base == 0) continue;
        if (items++) xs(&x, "; ");
        for (uint32_t j = h->start; j < h->start + h->len; j++) {
            if (j > h->start) xs(&x, " ");
            xtok(&x, &tk[j], 64);
        }
        xs(&x, " ");
        xnum(&x, h->base, 1, 1);
        if (h->mod_tok != NONE) xmul(&x, h->imult, "", &tk[h->mod_tok]);
        if (h->pmod_tok != NONE) xmul(&x, h->pmult, "", &tk[h->pmod_tok]);
        if (h->flags & (HF_PRENEG | HF_POSTNEG)) {
            xs(&x, " negated (");
            xtok(&x, &tk[h->neg_tok], 24);
            xs(&x, ")");
        }
        if (h->flags & HF_SELFNEG) xs(&x, " negated (negative form)");
        if ((h->flags & HF_SELFNEG) && (h->flags & (HF_PRENEG | HF_POSTNEG))) xs(&x, " = double negation");
        if (h->flags & HF_CONCORD) {
            xs(&x, " concord (");
            xtok(&x, &tk[h->neg_tok], 24);
            xs(&x, ")");
        }
        if (h->flags & HF_CAPS) xmul(&x, CX_TAG_CAPS, "capitals", NULL);
        if (h->flags & HF_STRETCH) xmul(&x, CX_TAG_STRETCH, "stretched", NULL);
        if (h->flags & HF_QUESTION) xmul(&x, CX_TAG_QUESTION, "question", NULL);
        if (h->flags & HF_REQUEST) xmul(&x, CX_TAG_REQUEST, "request", NULL);
        if (h->flags & HF_AFTER) xmul(&x, h->after_w, "after", &tk[h->after_tok]);
        if (h->flags & HF_BEFORE) xmul(&x, h->before_w, "before", &tk[h->before_tok]);
        if (fabs(h->v - h->base) > 1e-6) {
            xs(&x, " \xE2\x86\x92 "); /* " → " */
            xnum(&x, h->v, 1, 1);
        }
    }
    for (uint32_t s = 0; s < w->ns; s++) {
        const sinfo *S = &w->s[s];
        if (!S->n_excl || S->sum == 0) continue;
        if (items++) xs(&x, "; ");
        xlit(&x, "!!!", S->n_excl);
        xs(&x, " \xC3\x97");
        xnum(&x, S->excl, 2, 0);
        xs(&x, " (sentence ");
        xnum(&x, s + 1, 0, 0);
        xs(&x, ")");
    }
    if (!items && w->prior) {
        xs(&x, "no sentiment terms; problem theme ");
        xs_(&x, w->t->tax[w->prior - 1].pub.id);
        xs(&x, " \xE2\x86\x92 ");
        xnum(&x, compound, 2, 1);
    } else if (!items) {
        xs(&x, "no sentiment terms");
    } else {
        xs(&x, "; sum ");
        xnum(&x, total, 1, 1);
        if (w->emo_only) {
            xs(&x, " \xC3\x97");
            xnum(&x, CX_TAG_EMOTICON_ONLY, 2, 0);
            xs(&x, " (emoticons only)");
        }
        if (w->margin > 0) {
            xs(&x, " (long text ");
            xnum(&x, total > 0 ? -w->margin : w->margin, 1, 1);
            xs(&x, ")");
        }
        xs(&x, " \xE2\x86\x92 ");
        xnum(&x, compound, 2, 1);
    }
    return (env->explain = cx_env_strndup(env, x.b, x.len)) ? 0 : -1;
}

/* ---- the record's verdict ---- */

/* The record sum that the compound score is taken of.
 *  - A smile alone is tone or politeness, not a verdict: when every
 *    sentiment hit of the record is an ASCII emoticon (":)", ";)", "^^";
 *    not an emoji) and the sum is positive, it counts CX_TAG_EMOTICON_ONLY
 *    times ("in der Bahn ;)").  A frown alone (":(") still counts.
 *  - Sentiment words in a long text that mostly says nothing evaluative
 *    (news, forum posts, travel blogs) are incidental: each content token of
 *    the sentences without any sentiment hit, beyond CX_TAG_LONG_START,
 *    takes CX_TAG_LONG_MARGIN off the magnitude of a positive sum, and
 *    CX_TAG_LONG_NEG times that off a negative one (a long complaint often
 *    names its problem with few sentiment words), never past zero.  Short
 *    feedback, and long feedback whose sentences carry sentiment, are
 *    unaffected.
 * w->emo_only and w->margin are kept for the explanation. */
static double verdict(work *w, double total) {
    uint32_t nz = 0, ne = 0, quiet = 0;
    for (uint32_t k = 0; k < w->nh; k++) {
        if (w->hits[k].v == 0) continue;
        nz++;
        ne += w->tk[w->hits[k].start].type == CX_TOK_EMOTICON;
    }
    w->emo_only = nz && ne == nz && total > 0;
    if (w->emo_only) total *= CX_TAG_EMOTICON_ONLY;
    for (uint32_t k = 0; k < w->ns; k++)
        if (!w->s[k].has_hit) quiet += w->s[k].content;
    w->margin = quiet > CX_TAG_LONG_START ? CX_TAG_LONG_MARGIN * (quiet - CX_TAG_LONG_START) : 0;
    if (total < 0) w->margin *= CX_TAG_LONG_NEG;
    if (w->margin <= 0 || total == 0) {
        w->margin = 0;
        return total;
    }
    double a = fabs(total) - w->margin;
    if (a <= 0) {
        w->margin = fabs(total);
        return 0;
    }
    return total > 0 ? a : -a;
}

/* A record without any sentiment word (no hit with a valence) that mentions
 * a problem theme ("@problem" in taxonomy.tsv: a late delivery, a missing
 * item, cold food) gets CX_TAG_PROBLEM_PRIOR: naming the problem is the
 * complaint. */
static double problem_prior(work *w, double adjusted) {
    w->prior = 0;
    uint32_t content = 0;
    for (uint32_t k = 0; k < w->nh; k++)
        if (w->hits[k].base != 0) return adjusted;
    for (uint32_t k = 0; k < w->ns; k++) content += w->s[k].content;
    if (content > CX_TAG_LONG_START) return adjusted;
    for (uint32_t j = 0; j < w->nth; j++)
        if (w->t->tax[w->th[j].theme].problem) {
            w->prior = w->th[j].theme + 1;
            return CX_TAG_PROBLEM_PRIOR;
        }
    return adjusted;
}

/* ---- public ---- */

static const cx_tag_lang *find_lang(const cx_tagger *t, const char *code) {
    size_t cl = strcspn(code, "-_"); /* "pt-BR" -> pt (a lexicon code has neither '-' nor '_') */
    for (size_t i = 0; i < t->n_langs; i++) {
        const cx_tag_lang *L = &t->langs[i];
        if (!L->has_senti && !L->has_themes) continue;
        if (L->code_len == cl && !memcmp(L->code, code, cl)) return L;
    }
    return NULL;
}

/* The learned lexicon's say on a record (cx_tag_learned.c), given the
 * authored raw sums: the record's total and each sentence's sum (NULL when
 * the record has no tokens). */
static int learned(const cx_tagger *t, cx_env *env, double total, const work *w, char *err, size_t errlen) {
    double *ss = NULL;
    if (w && env->n_sents) {
        if (!(ss = cx_env_alloc(env, env->n_sents * sizeof *ss))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (uint32_t k = 0; k < env->n_sents; k++) ss[k] = k < w->ns ? w->s[k].sum : 0;
    }
    return cx_learned_apply(t->learned, t->learned_mode, env, total, ss, t->explain, NULL, err, errlen);
}

/* Tag one record: choose the lexicon language (env->lang, or for "und" and
 * languages without lexicons the loaded language with the most hits), match,
 * apply the rules, and write the tag fields of env; then let the learned
 * lexicon decide when use_learned is set and it covers env->lang.  *raw
 * (may be NULL) receives the authored record sum. */
static int tag_record(const cx_tagger *t, cx_env *env, int use_learned, double *raw, char *err, size_t errlen) {
    use_learned = use_learned && t->learned && cx_learned_covers(t->learned, env->lang);
    if (raw) *raw = 0;
    env->sentiment = 0;
    env->label = CX_LABEL_NEUTRAL;
    env->sent_scores = NULL;
    env->n_themes = 0;
    env->themes = NULL;
    env->signals = NULL;
    env->signal_evidence = NULL;
    env->explain = NULL;
    env->tagged = 1;
    if (!env->n_tokens || !env->tokens) {
        if (env->n_sents) {
            if (!(env->sent_scores = cx_env_alloc(env, env->n_sents * sizeof *env->sent_scores))) goto oom;
            memset(env->sent_scores, 0, env->n_sents * sizeof *env->sent_scores);
        }
        if (t->explain && !(env->explain = cx_env_strdup(env, "no tokens"))) goto oom;
        return use_learned ? learned(t, env, 0, NULL, err, errlen) : 0;
    }
    work w;
    memset(&w, 0, sizeof w);
    w.t = t;
    w.tk = env->tokens;
    w.n = env->n_tokens;
    /* scratch of prepare() for records of up to ~40 tokens */
    _Alignas(16) char scratch[8192];
    if (prepare(&w, env, scratch, sizeof scratch) < 0) goto oom;

    const cx_tag_lang *L = find_lang(t, env->lang), *fallback = NULL;
    if (!L) {
        uint32_t best = 0;
        for (size_t i = 0; i < t->n_langs; i++) {
            const cx_tag_lang *c = &t->langs[i];
            if (!c->has_senti && !c->has_themes) continue;
            uint32_t score = match_all(&w, c);
            if (score > best) {
                best = score;
                L = c;
            }
        }
        fallback = L;
    }
    w.L = L;
    match_all(&w, L);
    match_signals(&w, L);
    modifiers(&w);
    double total = combine(&w);
    double compound = normalise(problem_prior(&w, verdict(&w, total)));
    env->sentiment = (float)compound;
    env->label = compound >= t->pos_thr ? CX_LABEL_POSITIVE : compound <= t->neg_thr ? CX_LABEL_NEGATIVE
                                                                                       : CX_LABEL_NEUTRAL;
    if (env->n_sents) {
        if (!(env->sent_scores = cx_env_alloc(env, env->n_sents * sizeof *env->sent_scores))) goto oom;
        for (uint32_t k = 0; k < env->n_sents; k++) env->sent_scores[k] = (float)normalise(w.s[k].sum);
    }
    if (themes(&w, env, total) < 0 || signals(&w, env) < 0) goto oom;
    if (t->explain && explain(&w, env, total, compound, fallback) < 0) goto oom;
    if (raw) *raw = total;
    return use_learned ? learned(t, env, total, &w, err, errlen) : 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

int cx_tagger_apply(const cx_tagger *t, cx_env *env, char *err, size_t errlen) {
    if (tag_record(t, env, 1, NULL, err, errlen) < 0) return -1;
    /* hook: learned themes (cx_tag_ltheme.c) are appended after the authored ones */
    return t->ltheme ? cx_ltheme_apply(t->ltheme, env, t->explain, err, errlen) : 0;
}

int cx_tagger_lexicon_score(const cx_tagger *t, cx_env *env, double *sum, char *err, size_t errlen) {
    return tag_record(t, env, 0, sum, err, errlen);
}
