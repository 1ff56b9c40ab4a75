/* cx_tag_learned.c - learned sentiment lexicons (see cx_tag_learned.h and
 * docs/LEXICONS.md "Learned lexicons"): the features of a record, the
 * loader of DIR/sentiment.tsv with "file:line: reason" errors, and scoring a
 * record (margin = sum of the weights of the terms present, label from the
 * cutpoints, compound = tanh of the distance to the neutral band).
 *
 * The model is kept apart from the authored scorer (cx_tag_score.c), which
 * only calls cx_learned_apply once it has its own raw sums. */
#include "cx_tag_learned.h"
#include "cx_tag_lfile.h"
#include "cx_alloc.h"
#include "cx_lexmap.h"
#include "cx_util.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEG_WINDOW 3   /* content tokens a negator reaches forward (as CX_TAG_NEG_WINDOW) */
#define POST_WINDOW 2  /* content tokens a post-negator reaches back (as CX_TAG_POST_WINDOW) */
#define MOD_FLAGS                                                                                    \
    (CX_TF_NEGATOR | CX_TF_NEG_POST | CX_TF_INTENSIFIER | CX_TF_DIMINISHER | CX_TF_CONTRAST | \
     CX_TF_REQUEST)

/* ---- the @lexicon value ---- */

/* The authored compound score: the raw sum is unbounded (a Tamil comment
 * repeating "super" sums to 150) and one such record drags a linear weight
 * on it towards zero; squashed as the tagger squashes it, it stays in
 * [-1, 1] (measured in docs/SENTIMENT.md). */
double cx_learned_lexicon_value(double raw) { return raw / sqrt(raw * raw + CX_LEARNED_ALPHA); }

/* ---- modes and feature names ---- */

static const char *const mode_names[] = {"file", "with", "instead"};

int cx_learned_mode_parse(const char *s) {
    for (int i = 0; i < 3; i++)
        if (s && !strcmp(s, mode_names[i])) return i;
    return -1;
}

const char *cx_learned_mode_name(int mode) { return mode >= 0 && mode < 3 ? mode_names[mode] : "?"; }

static const struct { const char *name; unsigned bit; } feat_names[] = {
    {"stems", CX_LF_STEMS}, {"bigrams", CX_LF_BIGRAMS}, {"emoji", CX_LF_EMOJI},
    {"negation", CX_LF_NEGATION}, {"marks", CX_LF_MARKS}, {"prefix", CX_LF_PREFIX}, {"words", CX_LF_WORDS},
};
#define N_FEAT_NAMES (sizeof feat_names / sizeof feat_names[0])

const char *cx_learned_features_name(unsigned feats, char *buf, size_t n) {
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_FEAT_NAMES; i++)
        if ((feats & feat_names[i].bit) && len < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? " " : "", feat_names[i].name);
    return buf;
}

int cx_learned_features_parse(const char *s, unsigned *feats, char *err, size_t n) {
    unsigned f = 0;
    while (*s) {
        size_t l = strcspn(s, " ,\t");
        if (l) {
            size_t i = 0;
            while (i < N_FEAT_NAMES && (strlen(feat_names[i].name) != l || strncmp(s, feat_names[i].name, l))) i++;
            if (i == N_FEAT_NAMES) {
                snprintf(err, n, "unknown feature kind '%.*s' (stems, bigrams, emoji, negation, marks, prefix, words)", (int)l, s);
                return -1;
            }
            f |= feat_names[i].bit;
        }
        s += l;
        while (*s == ' ' || *s == ',' || *s == '\t') s++;
    }
    if (!f) {
        snprintf(err, n, "no feature kinds (stems, bigrams, emoji, negation, marks, prefix, words)");
        return -1;
    }
    *feats = f;
    return 0;
}

/* ---- features ---- */

static const char *stem_of(const cx_token *k) { return k->stem && k->stem[0] ? k->stem : k->norm; }

/* A word or hashtag with a form; a bare "@" word is left out: terms
 * starting with '@' are reserved (@lexicon). */
static int is_wordlike(const cx_token *k) {
    return (k->type == CX_TOK_WORD || k->type == CX_TOK_HASHTAG) && k->norm && k->norm[0] && k->norm[0] != '@' &&
           (!k->stem || k->stem[0] != '@');
}

static int is_content(const cx_token *k) {
    return k->type != CX_TOK_PUNCT && !(k->flags & (CX_TF_STOP | MOD_FLAGS));
}

/* Does a clause end right after token i (its clause or sentence ends, or a
 * contrast word follows)? */
static int clause_ends(const cx_token *tk, uint32_t n, uint32_t i) {
    if (tk[i].flags & (CX_TF_CLAUSE_END | CX_TF_SENT_END)) return 1;
    return i + 1 >= n || tk[i + 1].sent != tk[i].sent || (tk[i + 1].flags & CX_TF_CONTRAST);
}

/* A post-negator at most POST_WINDOW content tokens after token i, in its clause. */
static int post_negated(const cx_token *tk, uint32_t n, uint32_t i) {
    uint32_t c = 0;
    for (uint32_t j = i; j + 1 < n && !clause_ends(tk, n, j);) {
        j++;
        if (tk[j].flags & CX_TF_NEG_POST) return 1;
        if (is_content(&tk[j]) && ++c >= POST_WINDOW) return 0;
    }
    return 0;
}

static int emit(cx_learned_feat_fn fn, void *ctx, char *buf, const char *a, const char *b, const char *c,
                uint32_t sent) {
    size_t la = strlen(a), lb = b ? strlen(b) : 0, lc = c ? strlen(c) : 0;
    if (la + lb + lc >= CX_LEARNED_MAX_TERM) return 0;
    memcpy(buf, a, la);
    if (b) memcpy(buf + la, b, lb);
    if (c) memcpy(buf + la + lb, c, lc);
    buf[la + lb + lc] = '\0';
    return fn(ctx, buf, la + lb + lc, sent);
}

/* The prefix feature of a word: its normalised form cut after
 * CX_LEARNED_PREFIX code points, with a '~' mark, when the word is longer.
 * It ties together the spellings and inflections a stemmer does not know
 * (romanised Tamil or Hindi, agglutinated forms): "semmaya", "semmaiya". */
static int emit_prefix(cx_learned_feat_fn fn, void *ctx, char *buf, const char *w, uint32_t sent) {
    size_t i = 0;
    int cps = 0;
    while (w[i] && cps < CX_LEARNED_PREFIX) {
        i++;
        while (((unsigned char)w[i] & 0xC0) == 0x80) i++;
        cps++;
    }
    if (!w[i] || i + 2 > CX_LEARNED_MAX_TERM) return 0; /* not longer than the prefix */
    memcpy(buf, w, i);
    buf[i] = '~';
    buf[i + 1] = '\0';
    return fn(ctx, buf, i + 1, sent);
}

int cx_learned_features(const cx_env *env, unsigned feats, cx_learned_feat_fn fn, void *ctx) {
    const cx_token *tk = env->tokens;
    uint32_t n = tk ? env->n_tokens : 0;
    char buf[CX_LEARNED_MAX_TERM];
    uint32_t scope = 0; /* content tokens the open negation scope still reaches */
    int rc;
    for (uint32_t i = 0; i < n; i++) {
        const cx_token *k = &tk[i];
        if (i > 0 && clause_ends(tk, n, i - 1)) scope = 0;
        if (is_wordlike(k)) {
            const char *s = stem_of(k);
            int negator = (k->flags & (CX_TF_NEGATOR | CX_TF_NEG_POST)) != 0;
            if ((feats & CX_LF_STEMS) && (rc = emit(fn, ctx, buf, s, NULL, NULL, k->sent))) return rc;
            if ((feats & CX_LF_PREFIX) && (rc = emit_prefix(fn, ctx, buf, k->norm, k->sent))) return rc;
            if ((feats & CX_LF_WORDS) && strcmp(k->norm, s) &&
                (rc = emit(fn, ctx, buf, CX_LEARNED_WORD, k->norm, NULL, k->sent)))
                return rc;
            if ((feats & CX_LF_NEGATION) && !negator && (scope || post_negated(tk, n, i)) &&
                (rc = emit(fn, ctx, buf, CX_LEARNED_NOT, s, NULL, k->sent)))
                return rc;
            if ((feats & CX_LF_BIGRAMS) && k->type == CX_TOK_WORD && i + 1 < n && tk[i + 1].type == CX_TOK_WORD &&
                is_wordlike(&tk[i + 1]) && !clause_ends(tk, n, i) &&
                (rc = emit(fn, ctx, buf, s, " ", stem_of(&tk[i + 1]), k->sent)))
                return rc;
        } else if ((k->type == CX_TOK_EMOJI || k->type == CX_TOK_EMOTICON) && (feats & CX_LF_EMOJI) && k->norm &&
                   k->norm[0]) {
            if ((rc = emit(fn, ctx, buf, k->norm, NULL, NULL, k->sent))) return rc;
        } else if (k->type == CX_TOK_PUNCT && (feats & CX_LF_MARKS) && k->norm) {
            if (strchr(k->norm, '?') && (rc = emit(fn, ctx, buf, "?", NULL, NULL, k->sent))) return rc;
            if (strchr(k->norm, '!') && (rc = emit(fn, ctx, buf, "!", NULL, NULL, k->sent))) return rc;
        }
        if (scope && is_content(k)) scope--;
        if (k->flags & CX_TF_NEGATOR) scope = NEG_WINDOW;
    }
    return 0;
}

/* ---- the lexicon ---- */

typedef struct lterm {
    const char *s;
    uint64_t hash;
    double w;
    int line;
} lterm;

struct cx_learned {
    cx_arena arena;
    lterm *terms;
    uint32_t n, cap;
    uint32_t *slots;          /* index + 1, 0 = empty */
    uint32_t nslots;          /* power of two */
    cx_learned_info info;
    char langs[CX_LEARNED_MAX_LANGS][8];
    int n_langs, any_lang;
};

static int oom(char *err, size_t n) {
    snprintf(err, n, "out of memory loading the learned lexicon");
    return -1;
}

static long find(const cx_learned *l, const char *s, size_t len, uint64_t h) {
    if (!l->nslots) return -1;
    for (uint32_t i = (uint32_t)h & (l->nslots - 1);; i = (i + 1) & (l->nslots - 1)) {
        uint32_t v = l->slots[i];
        if (!v) return -1;
        const lterm *t = &l->terms[v - 1];
        if (t->hash == h && !strncmp(t->s, s, len) && t->s[len] == '\0') return (long)(v - 1);
    }
}

static int rehash(cx_learned *l, uint32_t nslots) {
    uint32_t *ns = cx_calloc(nslots, sizeof *ns);
    if (!ns) return -1;
    for (uint32_t k = 0; k < l->n; k++) {
        uint32_t i = (uint32_t)l->terms[k].hash & (nslots - 1);
        while (ns[i]) i = (i + 1) & (nslots - 1);
        ns[i] = k + 1;
    }
    cx_free(l->slots);
    l->slots = ns;
    l->nslots = nslots;
    return 0;
}

/* Add term with weight w; the index of an existing equal term is returned
 * negated minus one in *dup. 0 / -1 (OOM). */
static int add_term(cx_learned *l, const char *s, double w, int line, long *dup) {
    size_t len = strlen(s);
    uint64_t h = cx_lex_strhash(s, len);
    long e = find(l, s, len, h);
    if (e >= 0) {
        *dup = e;
        return 0;
    }
    *dup = -1;
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 256;
        lterm *nt = cx_realloc(l->terms, (size_t)nc * sizeof *nt);
        if (!nt) return -1;
        l->terms = nt;
        l->cap = nc;
    }
    if ((l->n + 1) * 2 > l->nslots && rehash(l, l->nslots ? l->nslots * 2 : 512) < 0) return -1;
    lterm *t = &l->terms[l->n];
    if (!(t->s = cx_arena_strndup(&l->arena, s, len))) return -1;
    t->hash = h;
    t->w = w;
    t->line = line;
    uint32_t i = (uint32_t)h & (l->nslots - 1);
    while (l->slots[i]) i = (i + 1) & (l->nslots - 1);
    l->slots[i] = ++l->n;
    return 0;
}

/* the header keys the loader reads (the others are comments for people) */
enum { HK_LANGUAGES, HK_CLASSES, HK_MODE, HK_FEATURES, HK_CUTPOINTS, HK_N };
static const char *const hk_names[HK_N] = {"languages", "classes", "mode", "features", "cutpoints"};

typedef struct lctx {
    cx_learned *l;
    const char *path;
    int seen[HK_N];           /* line of the key, 0 = not seen */
    char cut_text[128];
    int first_term;           /* line of the first term, 0 = none yet */
    int last_line;
} lctx;

static int set_classes(cx_learned *l, char *v, const char *path, int line, char *err, size_t n) {
    static const char *const names[3] = {"negative", "neutral", "positive"};
    int last = -1, k = 0;
    for (char *s = v; *s;) {
        size_t len = strcspn(s, " ,");
        if (len) {
            int c = -1;
            for (int i = 0; i < 3; i++)
                if (strlen(names[i]) == len && !strncmp(s, names[i], len)) c = i;
            if (c < 0 || c <= last) {
                snprintf(err, n, "%s:%d: '# classes:' must list 2 or 3 of negative neutral positive, in that order",
                         path, line);
                return -1;
            }
            l->info.classes[k++] = (int8_t)(c - 1); /* CX_LABEL_* */
            last = c;
        }
        s += len;
        while (*s == ' ' || *s == ',') s++;
    }
    if (k < 2) {
        snprintf(err, n, "%s:%d: '# classes:' must list 2 or 3 of negative neutral positive, in that order", path,
                 line);
        return -1;
    }
    l->info.n_classes = k;
    return 0;
}

static int header_line(void *ctx, char *s, int line, char *err, size_t n) {
    lctx *c = ctx;
    char *v;
    int k = cx_lf_header_key(s, hk_names, HK_N, c->seen, c->first_term, "the first term", c->path, line, &v, err, n);
    if (k < 0) return k == -1 ? 0 : -1;
    cx_learned *l = c->l;
    switch (k) {
    case HK_LANGUAGES:
        return cx_lf_set_langs(l->langs, &l->n_langs, CX_LEARNED_MAX_LANGS, &l->any_lang, v, c->path, line, err, n);
    case HK_CLASSES:
        return set_classes(l, v, c->path, line, err, n);
    case HK_MODE: {
        int m = cx_learned_mode_parse(v);
        if (m != CX_LEARNED_WITH && m != CX_LEARNED_INSTEAD) {
            snprintf(err, n, "%s:%d: '# mode:' is 'with' or 'instead', not '%s'", c->path, line, v);
            return -1;
        }
        l->info.mode = m;
        return 0;
    }
    case HK_FEATURES: {
        char why[200];
        if (cx_learned_features_parse(v, &l->info.feats, why, sizeof why) < 0) {
            snprintf(err, n, "%s:%d: '# features:' %s", c->path, line, why);
            return -1;
        }
        return 0;
    }
    case HK_CUTPOINTS:
        snprintf(c->cut_text, sizeof c->cut_text, "%s", v);
        return 0;
    }
    return 0;
}

/* The cutpoints once the classes are known. */
static int set_cutpoints(lctx *c, char *err, size_t n) {
    cx_learned *l = c->l;
    int want = l->info.n_classes - 1, k = 0, line = c->seen[HK_CUTPOINTS];
    char *s = c->cut_text;
    while (*s) {
        size_t len = strcspn(s, " ,\t");
        if (len) {
            char num[64];
            double v;
            snprintf(num, sizeof num, "%.*s", (int)(len < 63 ? len : 63), s);
            if (cx_parse_double(num, &v) < 0 || fabs(v) > CX_LEARNED_MAX_WEIGHT) {
                snprintf(err, n, "%s:%d: bad cutpoint '%s' (a number, at most %g in size)", c->path, line, num,
                         CX_LEARNED_MAX_WEIGHT);
                return -1;
            }
            if (k == want) {
                snprintf(err, n, "%s:%d: %d classes need %d cutpoint%s, got more", c->path, line, l->info.n_classes,
                         want, want == 1 ? "" : "s");
                return -1;
            }
            l->info.cut[k++] = v;
        }
        s += len;
        while (*s == ' ' || *s == ',' || *s == '\t') s++;
    }
    if (k != want) {
        snprintf(err, n, "%s:%d: %d classes need %d cutpoint%s, got %d", c->path, line, l->info.n_classes, want,
                 want == 1 ? "" : "s", k);
        return -1;
    }
    if (k == 2 && !(l->info.cut[0] < l->info.cut[1])) {
        snprintf(err, n, "%s:%d: cutpoints out of order: %g is not below %g", c->path, line, l->info.cut[0],
                 l->info.cut[1]);
        return -1;
    }
    return 0;
}

static int term_line(void *ctx, char *s, int line, char *err, size_t n) {
    lctx *c = ctx;
    char *tab = strchr(s, '\t');
    if (!tab) {
        snprintf(err, n, "%s:%d: expected 'term<TAB>weight'", c->path, line);
        return -1;
    }
    *tab = '\0';
    char *term = cx_lf_trim(s), *ws = cx_lf_trim(tab + 1);
    if (strchr(ws, '\t')) {
        snprintf(err, n, "%s:%d: expected 2 tab-separated fields (term, weight), got more", c->path, line);
        return -1;
    }
    if (!*term) {
        snprintf(err, n, "%s:%d: empty term", c->path, line);
        return -1;
    }
    char *sp = strchr(term, ' ');
    if (sp && (sp == term || !sp[1] || sp[1] == ' ' || strchr(sp + 1, ' '))) {
        snprintf(err, n, "%s:%d: term '%s' is not one stem or two stems separated by one space", c->path, line,
                 term);
        return -1;
    }
    if (term[0] == '@' && strcmp(term, CX_LEARNED_LEXICON)) {
        snprintf(err, n, "%s:%d: unknown reserved term '%s' (the only one is %s)", c->path, line, term,
                 CX_LEARNED_LEXICON);
        return -1;
    }
    double w;
    if (cx_parse_double(ws, &w) < 0 || fabs(w) > CX_LEARNED_MAX_WEIGHT) {
        snprintf(err, n, "%s:%d: bad weight '%s' for '%s' (a number, at most %g in size)", c->path, line, ws, term,
                 CX_LEARNED_MAX_WEIGHT);
        return -1;
    }
    if (!c->first_term) c->first_term = line;
    cx_learned *l = c->l;
    if (!strcmp(term, CX_LEARNED_LEXICON)) {
        if (l->info.has_lexicon) {
            snprintf(err, n, "%s:%d: duplicate term '%s'", c->path, line, term);
            return -1;
        }
        l->info.has_lexicon = 1;
        l->info.w_lexicon = w;
        return 0;
    }
    long dup;
    if (add_term(l, term, w, line, &dup) < 0) return oom(err, n);
    if (dup >= 0) {
        snprintf(err, n, "%s:%d: duplicate term '%s' (first on line %d)", c->path, line, term, l->terms[dup].line);
        return -1;
    }
    return 0;
}

static int parse(lctx *c, char *buf, size_t len, char *err, size_t n) {
    int line;
    if (cx_lf_lines(buf, len, c->path, header_line, term_line, c, &line, err, n) < 0) return -1;
    c->last_line = line;
    for (int k = 0; k < HK_N; k++)
        if (!c->seen[k]) {
            int at = c->first_term ? c->first_term : line ? line : 1;
            snprintf(err, n, "%s:%d: missing '# %s:' header line (required before the first term)", c->path, at,
                     hk_names[k]);
            return -1;
        }
    return set_cutpoints(c, err, n);
}

cx_learned *cx_learned_load(const char *path, char *err, size_t errlen) {
    char file[4096], *buf = NULL;
    size_t len = 0;
    if (cx_lf_read(path, CX_LEARNED_FILE, "learned lexicon", file, sizeof file, &buf, &len, err, errlen) < 0) return NULL;
    cx_learned *l = cx_calloc(1, sizeof *l);
    if (!l) {
        cx_free(buf);
        oom(err, errlen);
        return NULL;
    }
    if (!(l->info.path = cx_arena_strndup(&l->arena, file, strlen(file)))) {
        cx_free(buf);
        oom(err, errlen);
        cx_learned_destroy(&l);
        return NULL;
    }
    lctx c;
    memset(&c, 0, sizeof c);
    c.l = l;
    c.path = l->info.path;
    int rc = parse(&c, buf, len, err, errlen);
    cx_free(buf);
    if (rc < 0) {
        cx_learned_destroy(&l);
        return NULL;
    }
    l->info.n_terms = l->n;
    char lang_list[CX_LEARNED_MAX_LANGS * 9 + 2] = "";
    size_t ll = 0;
    if (l->any_lang) snprintf(lang_list, sizeof lang_list, "*");
    for (int i = 0; i < l->n_langs; i++)
        ll += (size_t)snprintf(lang_list + ll, sizeof lang_list - ll, "%s%s", i ? " " : "", l->langs[i]);
    if (!(l->info.langs = cx_arena_strndup(&l->arena, lang_list, strlen(lang_list)))) {
        oom(err, errlen);
        cx_learned_destroy(&l);
        return NULL;
    }
    return l;
}

void cx_learned_destroy(cx_learned **lp) {
    if (!lp || !*lp) return;
    cx_learned *l = *lp;
    cx_free(l->terms);
    cx_free(l->slots);
    cx_arena_free(&l->arena);
    cx_free(l);
    *lp = NULL;
}

void cx_learned_get_info(const cx_learned *l, cx_learned_info *out) { *out = l->info; }

double cx_learned_weight(const cx_learned *l, const char *term, int *found) {
    if (!strcmp(term, CX_LEARNED_LEXICON)) {
        if (found) *found = l->info.has_lexicon;
        return l->info.w_lexicon;
    }
    size_t len = strlen(term);
    long i = find(l, term, len, cx_lex_strhash(term, len));
    if (found) *found = i >= 0;
    return i >= 0 ? l->terms[i].w : 0;
}

int cx_learned_covers(const cx_learned *l, const char *lang) {
    if (l->any_lang) return 1;
    size_t cl = strcspn(lang, "-_");
    for (int i = 0; i < l->n_langs; i++)
        if (strlen(l->langs[i]) == cl && !strncmp(l->langs[i], lang, cl)) return 1;
    return 0;
}

void cx_learned_decide(const cx_learned *l, double margin, int8_t *label, double *compound) {
    int k = 0, nc = l->info.n_classes;
    while (k < nc - 1 && margin > l->info.cut[k]) k++;
    *label = l->info.classes[k];
    if (*label > 0) *compound = tanh(margin - l->info.cut[k - 1]);
    else if (*label < 0) *compound = tanh(margin - l->info.cut[0]);
    else *compound = 0;
}

/* ---- scoring ---- */

typedef struct hit {
    uint32_t idx, sent;
} hit;

typedef struct sctx {
    const cx_learned *l;
    hit *h;
    uint32_t n, cap;
} sctx;

static int collect(void *vc, const char *term, size_t len, uint32_t sent) {
    sctx *c = vc;
    long i = find(c->l, term, len, cx_lex_strhash(term, len));
    if (i >= 0 && c->n < c->cap) {
        c->h[c->n].idx = (uint32_t)i;
        c->h[c->n++].sent = sent;
    }
    return 0;
}

static int cmp_hit(const void *a, const void *b) {
    const hit *x = a, *y = b;
    if (x->sent != y->sent) return x->sent < y->sent ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_idx(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct xbuf {
    char b[1400];
    size_t len;
} xbuf;

static void xprintf(xbuf *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void xprintf(xbuf *x, const char *fmt, ...) {
    if (x->len >= sizeof x->b - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(x->b + x->len, sizeof x->b - x->len, fmt, ap);
    va_end(ap);
    if (r < 0) return;
    x->len += (size_t)r;
    if (x->len >= sizeof x->b) x->len = sizeof x->b - 1;
}

/* The explanation's learned part: the terms with the largest |weight|
 * first, the @lexicon product, the margin against the cutpoints and the
 * compound. */
static void explain_learned(const cx_learned *l, xbuf *x, const uint32_t *u, uint32_t nu, double lexw,
                            double lex_total, int use_lex, double margin, double compound) {
    xprintf(x, "learned:");
    /* order by |w| descending: a partial selection of the top 8 */
    uint32_t top[8], nt = 0;
    for (uint32_t k = 0; k < nu; k++) {
        double a = fabs(l->terms[u[k]].w);
        uint32_t p = nt < 8 ? nt++ : 8;
        if (p == 8 && a <= fabs(l->terms[top[7]].w)) continue;
        if (p == 8) p = 7;
        while (p > 0 && fabs(l->terms[top[p - 1]].w) < a) {
            top[p] = top[p - 1];
            p--;
        }
        top[p] = u[k];
    }
    for (uint32_t k = 0; k < nt; k++) {
        const lterm *t = &l->terms[top[k]];
        int quote = strchr(t->s, ' ') != NULL;
        xprintf(x, "%s %s%.60s%s %+.2f", k ? "," : "", quote ? "\"" : "", t->s, quote ? "\"" : "", t->w);
    }
    if (nu > nt) xprintf(x, ", +%u more", nu - nt);
    if (use_lex) xprintf(x, "%s @lexicon %+.2f\xC3\x97(%+.1f)", nt ? "," : "", lexw, lex_total);
    else if (!nt) xprintf(x, " no learned terms");
    if (l->info.n_classes == 3)
        xprintf(x, "; margin %+.2f (cutpoints %+.2f/%+.2f) \xE2\x86\x92 %+.2f", margin, l->info.cut[0], l->info.cut[1],
                compound);
    else
        xprintf(x, "; margin %+.2f (cutpoint %+.2f) \xE2\x86\x92 %+.2f", margin, l->info.cut[0], compound);
}

int cx_learned_apply(const cx_learned *l, int mode, cx_env *env, double lex_total, const double *lex_sent,
                     int explain, double *margin_out, char *err, size_t errlen) {
    int use_lex = mode == CX_LEARNED_WITH;
    double lexw = use_lex ? l->info.w_lexicon : 0;
    sctx c = {l, NULL, 0, 4 * (env->tokens ? env->n_tokens : 0) + 8};
    if (!(c.h = cx_env_alloc(env, c.cap * sizeof *c.h))) goto oom;
    cx_learned_features(env, l->info.feats, collect, &c);
    /* the record: each term once */
    uint32_t *u = cx_env_alloc(env, (c.n ? c.n : 1) * sizeof *u), nu = 0;
    if (!u) goto oom;
    for (uint32_t k = 0; k < c.n; k++) u[k] = c.h[k].idx;
    qsort(u, c.n, sizeof *u, cmp_idx);
    double lexv = cx_learned_lexicon_value(lex_total);
    double margin = lexw * lexv;
    for (uint32_t k = 0; k < c.n; k++)
        if (k == 0 || u[k] != u[k - 1]) {
            u[nu++] = u[k];
            margin += l->terms[u[k]].w;
        }
    int8_t label;
    double compound;
    cx_learned_decide(l, margin, &label, &compound);
    env->label = label;
    env->sentiment = (float)compound;
    /* each sentence: its own terms once, plus its share of the authored score */
    if (env->n_sents) {
        if (!env->sent_scores && !(env->sent_scores = cx_env_alloc(env, env->n_sents * sizeof *env->sent_scores)))
            goto oom;
        double *sm = cx_env_alloc(env, env->n_sents * sizeof *sm);
        if (!sm) goto oom;
        for (uint32_t s = 0; s < env->n_sents; s++) sm[s] = lex_sent ? lexw * cx_learned_lexicon_value(lex_sent[s]) : 0;
        qsort(c.h, c.n, sizeof *c.h, cmp_hit);
        for (uint32_t k = 0; k < c.n; k++)
            if ((k == 0 || cmp_hit(&c.h[k], &c.h[k - 1])) && c.h[k].sent < env->n_sents)
                sm[c.h[k].sent] += l->terms[c.h[k].idx].w;
        for (uint32_t s = 0; s < env->n_sents; s++) {
            int8_t sl;
            double sc;
            cx_learned_decide(l, sm[s], &sl, &sc);
            env->sent_scores[s] = (float)sc;
        }
    }
    if (margin_out) *margin_out = margin;
    if (explain) {
        xbuf x;
        x.len = 0;
        x.b[0] = '\0';
        explain_learned(l, &x, u, nu, lexw, lexv, use_lex, margin, compound);
        if (use_lex && env->explain) xprintf(&x, " | lexicon: %s", env->explain);
        if (x.len >= sizeof x.b - 1) { /* cut on a UTF-8 boundary, mark with " …" */
            size_t e = sizeof x.b - 8;
            while (e > 0 && ((unsigned char)x.b[e] & 0xC0) == 0x80) e--;
            memcpy(x.b + e, " \xE2\x80\xA6", 4);
            x.len = e + 4;
        }
        if (!(env->explain = cx_env_strndup(env, x.b, x.len))) goto oom;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}
