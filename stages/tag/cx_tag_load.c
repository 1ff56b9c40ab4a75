/* cx_tag_load.c - building a cx_tagger from a lexicon directory: file
 * discovery, line parsing with "file:line: reason" errors, normalisation of
 * every term through cx_text_analyze, and the lexicon maps (see cx_tagger.h
 * and docs/LEXICONS.md). */
#include "cx_tag_int.h"
#include "cx_util.h"
#include "cx_alloc.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define MAX_LANGS 64
#define MAX_FIELDS 8

/* ---- small helpers ---- */

static void warn(cx_tagger *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(cx_tagger *t, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!t->st.first_warning[0]) {
        size_t l = strlen(msg);
        if (l >= sizeof t->st.first_warning) l = sizeof t->st.first_warning - 1;
        memcpy(t->st.first_warning, msg, l);
        t->st.first_warning[l] = '\0';
    }
    if (t->st.warnings < CX_TAG_MAX_WARNINGS)
        t->warn_list[t->st.warnings] = cx_arena_strndup(&t->arena, msg, strlen(msg)); /* NULL on OOM: dropped */
    t->st.warnings++;
}

/* Make room for one more element in a cx_realloc'ed array. 0 / -1. */
static int grow(void **arr, uint32_t n, uint32_t *cap, size_t size) {
    if (n < *cap) return 0;
    uint32_t nc = *cap ? *cap * 2 : 32;
    void *p = cx_realloc(*arr, (size_t)nc * size);
    if (!p) return -1;
    *arr = p;
    *cap = nc;
    return 0;
}
#define GROW(arr, n, cap) grow((void **)&(arr), (n), &(cap), sizeof *(arr))

static int oom(char *err, size_t n) {
    snprintf(err, n, "out of memory loading lexicons");
    return -1;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\v' || *s == '\f') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\v' || e[-1] == '\f')) *--e = '\0';
    return s;
}

typedef int (*line_fn)(cx_tagger *t, void *ctx, char **f, int nf, const char *path, int line, char *err,
                       size_t n);

/* Call fn for every entry line of path: comments (#) and blank lines are
 * skipped, a UTF-8 byte-order mark is ignored, fields are separated by TAB
 * (a run of TABs counts as one separator) and trimmed of spaces. */
static int each_line(cx_tagger *t, const char *path, line_fn fn, void *ctx, char *err, size_t n) {
    char *buf;
    if (cx_read_text_file(path, &buf, NULL, err, n) < 0) return -1;
    char *p = buf;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
    int lineno = 0, rc = 0;
    while (*p && rc == 0) {
        lineno++;
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        if (nl) *nl = '\0';
        char *s = trim(p);
        p = next;
        if (!*s || *s == '#') continue;
        char *f[MAX_FIELDS];
        int nf = 0;
        while (*s) {
            char *tab = strchr(s, '\t');
            if (tab) *tab = '\0';
            if (nf < MAX_FIELDS) f[nf] = trim(s);
            nf++;
            if (!tab) break;
            s = tab + 1;
            while (*s == '\t') s++;
        }
        rc = fn(t, ctx, f, nf, path, lineno, err, n);
    }
    cx_free(buf);
    return rc;
}

/* ---- term normalisation ---- */

typedef struct tnorm {
    cx_env *env;
    const char *norm[CX_LEX_MAX_WORDS], *stem[CX_LEX_MAX_WORDS];
    unsigned n;
    int negform;      /* parity of CX_TF_NEGATED_FORM tokens */
    int first_type;   /* CX_TOK_* of the first token */
    int stem_differs; /* some stem differs from its normalised form */
    const char *skip; /* why the term was skipped */
} tnorm;

static void tnorm_done(tnorm *tn) { cx_env_destroy(&tn->env); }

/* Analyse term with the cx_text forced to lang, exactly as tokenize analyses
 * text, and collect the normalised words and stems.  Returns 1, 0 when the
 * term is skipped (why in tn->skip: no token, more than CX_LEX_MAX_WORDS, or
 * a punctuation token - a term that tokenizes into "." or "," would match in
 * every record), -1 with "path:line: reason" in err. */
static int norm_term(cx_text *tx, const char *lang, const char *term, tnorm *tn, const char *path,
                     int line, char *err, size_t n) {
    memset(tn, 0, sizeof *tn);
    if (!(tn->env = cx_env_new())) return oom(err, n);
    cx_env *e = tn->env;
    if (!(e->text = cx_env_strdup(e, term))) return oom(err, n);
    char terr[512] = "";
    if (cx_text_analyze(tx, e, lang, terr, sizeof terr) < 0) {
        snprintf(err, n, "%s:%d: cannot normalise '%s': %s", path, line, term, terr[0] ? terr : "failed");
        return -1;
    }
    if (e->n_tokens == 0) {
        tn->skip = "normalises to nothing";
        return 0;
    }
    if (e->n_tokens > CX_LEX_MAX_WORDS) {
        tn->skip = "more than 8 words";
        return 0;
    }
    tn->n = e->n_tokens;
    tn->first_type = e->tokens[0].type;
    for (unsigned j = 0; j < tn->n; j++) {
        const cx_token *k = &e->tokens[j];
        if (!k->norm || !k->norm[0]) {
            tn->skip = "normalises to an empty word";
            return 0;
        }
        if (k->type == CX_TOK_PUNCT) {
            tn->skip = "normalises to punctuation";
            return 0;
        }
        tn->norm[j] = k->norm;
        tn->stem[j] = k->stem && k->stem[0] ? k->stem : k->norm;
        if (strcmp(tn->stem[j], tn->norm[j])) tn->stem_differs = 1;
        if (k->flags & CX_TF_NEGATED_FORM) tn->negform ^= 1;
    }
    return 1;
}

/* The emoji lexicon takes only terms that tokenize as emoji or emoticons, or
 * as words that keep every character of the term ("xd"): ":d" analysed as
 * the word "d" would match the letter d in any text. */
static int emoji_ok(const char *term, const tnorm *tn) {
    size_t tl = 0, nl = 0;
    int words = 0;
    for (const char *p = term; *p; p++) tl += *p != ' ';
    for (unsigned j = 0; j < tn->n; j++) {
        const cx_token *k = &tn->env->tokens[j];
        if (k->type == CX_TOK_WORD) words = 1;
        else if (k->type != CX_TOK_EMOJI && k->type != CX_TOK_EMOTICON) return 0;
        nl += strlen(k->norm);
    }
    return !words || nl == tl;
}

/* Count a skipped term and say why (a warning, not an error: the lexicon
 * still loads). */
static void skipped(cx_tagger *t, const tnorm *tn, const char *term, const char *path, int line) {
    t->st.skipped++;
    warn(t, "%s:%d: term '%s' skipped: %s", path, line, term, tn->skip ? tn->skip : "unusable");
}

/* Store the normalised-word key and, when it differs, the stem key of tn.
 * idx[k] / created[k] per key (0: exact words, 1: stems); returns the number
 * of keys, -1 on OOM.  created[0] is 2 when the exact words were so far only
 * another term's stem key ("refund" listed after "refunded"): the exact term
 * takes the key over (its payload is valid and may be replaced or extended).  A new stem key records which of its words were
 * inflected in the lexicon (see cx_lex_entry.infl and stem_ok in the
 * scorer). */
static int put_both(cx_lexmap *m, const tnorm *tn, long idx[2], int created[2]) {
    idx[0] = cx_lexmap_put(m, tn->norm, tn->n, &created[0]);
    if (idx[0] < 0) return -1;
    cx_lex_entry *e = cx_lexmap_entry(m, idx[0]);
    if (!created[0] && (e->flags & CX_LEX_STEMKEY)) created[0] = 2;
    if (created[0]) {
        e->flags &= (uint8_t)~CX_LEX_STEMKEY;
        e->infl = 0;
    }
    if (!tn->stem_differs) return 1;
    idx[1] = cx_lexmap_put(m, tn->stem, tn->n, &created[1]);
    if (idx[1] < 0) return -1;
    if (created[1]) {
        e = cx_lexmap_entry(m, idx[1]);
        e->flags |= CX_LEX_STEMKEY;
        e->infl = 0;
        for (unsigned j = 0; j < tn->n; j++)
            if (strcmp(tn->norm[j], tn->stem[j])) e->infl |= (uint8_t)(1u << j);
    }
    return 2;
}

/* ---- taxonomy ---- */

static int is_churn_id(const char *id) {
    size_t top = strcspn(id, ".");
    for (size_t i = 0; i + 5 <= top; i++)
        if (!memcmp(id + i, "churn", 5)) return 1;
    return 0;
}

static long tax_find(const cx_tagger *t, const char *id) {
    const cx_lex_entry *e = cx_lexmap_get_str(&t->tax_index, id, strlen(id));
    return e && (e->flags & CX_LEX_VALUE) ? (long)e->val : -1;
}

static int is_praise_id(const char *id) {
    size_t top = strcspn(id, ".");
    return top == 6 && !memcmp(id, "praise", 6);
}

/* Add a theme; -1 on OOM, -2 when the id exists. */
static long tax_add(cx_tagger *t, const char *id, const char *parent, const char *name, int implicit) {
    int created;
    const char *w[1] = {id};
    long ei = cx_lexmap_put(&t->tax_index, w, 1, &created);
    if (ei < 0) return -1;
    if (!created) return -2;
    if (GROW(t->tax, t->n_tax, t->cap_tax) < 0) return -1;
    cx_tag_tax *x = &t->tax[t->n_tax];
    memset(x, 0, sizeof *x);
    x->pub.id = cx_arena_strndup(&t->arena, id, strlen(id));
    x->pub.parent = parent ? cx_arena_strndup(&t->arena, parent, strlen(parent)) : NULL;
    x->pub.name = cx_arena_strndup(&t->arena, name, strlen(name));
    if (!x->pub.id || (parent && !x->pub.parent) || !x->pub.name) return -1;
    x->churn = (uint8_t)is_churn_id(id);
    x->praise = (uint8_t)is_praise_id(id);
    x->implicit = (uint8_t)implicit;
    cx_lexmap_entry(&t->tax_index, ei)->val = t->n_tax;
    return t->n_tax++;
}

static int valid_id(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ') return 0;
    return 1;
}

/* What a loader is reading: the shipped lexicons or the user dir. */
typedef struct tctx {
    int user;
} tctx;

/* taxonomy.tsv: theme_id, parent_id or "-", English name; or a directive
 * "@problem<TAB>theme_id": the theme (and its sub-themes) names a problem
 * (a late delivery, a missing item).  Directives come after the themes.
 * In the user dir's taxonomy.tsv a line whose id the shipped taxonomy
 * defines renames and reparents that theme (x->user = 2); a new id adds a
 * theme (x->user = 1); an id twice in the user file is an error. */
static int tax_line(cx_tagger *t, void *ctx, char **f, int nf, const char *path, int line, char *err,
                    size_t n) {
    int user = ctx && ((tctx *)ctx)->user;
    if (nf >= 1 && f[0][0] == '@') {
        if (strcmp(f[0], "@problem") || nf != 2) {
            snprintf(err, n, "%s:%d: unknown directive '%s' (known: @problem<TAB>theme_id)", path, line, f[0]);
            return -1;
        }
        long i = tax_find(t, f[1]);
        if (i < 0) {
            snprintf(err, n, "%s:%d: @problem: theme '%s' is not defined above", path, line, f[1]);
            return -1;
        }
        t->tax[i].problem = 1;
        return 0;
    }
    if (nf != 3) {
        snprintf(err, n, "%s:%d: expected 3 tab-separated fields (theme_id, parent_id or -, name), got %d", path,
                 line, nf);
        return -1;
    }
    if (!valid_id(f[0]) || !valid_id(f[1])) {
        snprintf(err, n, "%s:%d: a theme id must be non-empty without spaces", path, line);
        return -1;
    }
    const char *parent = strcmp(f[1], "-") ? f[1] : NULL;
    if (parent && !strcmp(parent, f[0])) {
        snprintf(err, n, "%s:%d: theme '%s' is its own parent", path, line, f[0]);
        return -1;
    }
    long r = tax_add(t, f[0], parent, f[2][0] ? f[2] : f[0], 0);
    if (r == -1) return oom(err, n);
    if (r == -2 && user) {
        cx_tag_tax *x = &t->tax[tax_find(t, f[0])];
        if (x->user) {
            snprintf(err, n, "%s:%d: duplicate theme id '%s'", path, line, f[0]);
            return -1;
        }
        /* an override of a shipped theme: new parent and name */
        x->pub.parent = parent ? cx_arena_strndup(&t->arena, parent, strlen(parent)) : NULL;
        x->pub.name = cx_arena_strndup(&t->arena, f[2][0] ? f[2] : f[0], strlen(f[2][0] ? f[2] : f[0]));
        if ((parent && !x->pub.parent) || !x->pub.name) return oom(err, n);
        x->user = 2;
        return 0;
    }
    if (r == -2) {
        snprintf(err, n, "%s:%d: duplicate theme id '%s'", path, line, f[0]);
        return -1;
    }
    if (user) t->tax[r].user = 1;
    return 0;
}

/* The theme index of id, adding an implicit theme (parent = the longest
 * known dotted prefix) when the taxonomy does not define it. */
static long theme_index(cx_tagger *t, const char *id, const char *path, int line) {
    long i = tax_find(t, id);
    if (i >= 0) return i;
    if (t->have_taxonomy) warn(t, "%s:%d: theme '%s' is not in themes/taxonomy.tsv", path, line, id);
    char par[256];
    const char *parent = NULL;
    snprintf(par, sizeof par, "%s", id);
    for (char *dot = strrchr(par, '.'); dot; dot = strrchr(par, '.')) {
        *dot = '\0';
        if (tax_find(t, par) >= 0) { parent = par; break; }
    }
    return tax_add(t, id, parent, id, 1);
}

/* ---- per-language files ---- */

typedef struct lctx {
    const char *lang;
    cx_text *tx;
    cx_lexmap *map;
    cx_tag_lang *L;
    int user;           /* a file of the user dir: '-' lines remove a term */
} lctx;

/* sentiment/<lang>.tsv and emoji.tsv: term, valence in -4..4.  The first
 * term stored under a key keeps it (see put_both). */
static int senti_line(cx_tagger *t, void *vctx, char **f, int nf, const char *path, int line, char *err,
                      size_t n) {
    lctx *c = vctx;
    if (nf != 2) {
        snprintf(err, n, "%s:%d: expected 2 tab-separated fields (term, valence), got %d", path, line, nf);
        return -1;
    }
    double v;
    if (cx_parse_double(f[1], &v) < 0) {
        snprintf(err, n, "%s:%d: bad valence '%s' (a number from -4 to 4)", path, line, f[1]);
        return -1;
    }
    if (v < -4.0 || v > 4.0) {
        snprintf(err, n, "%s:%d: valence %s out of range -4..4", path, line, f[1]);
        return -1;
    }
    if (!f[0][0]) {
        snprintf(err, n, "%s:%d: empty term", path, line);
        return -1;
    }
    tnorm tn;
    int r = norm_term(c->tx, c->lang, f[0], &tn, path, line, err, n);
    if (r == 1 && c->map == &t->emoji && !emoji_ok(f[0], &tn)) {
        tn.skip = "does not tokenize as an emoji or emoticon";
        r = 0;
    }
    if (r <= 0) {
        if (r == 0) skipped(t, &tn, f[0], path, line);
        tnorm_done(&tn);
        return r;
    }
    if (c->map == &t->emoji && tn.first_type == CX_TOK_WORD) t->emoji_words = 1;
    if (GROW(t->senti, t->n_senti, t->cap_senti) < 0) { tnorm_done(&tn); return oom(err, n); }
    uint32_t p = t->n_senti;
    long idx[2];
    int created[2] = {0, 0};
    int k = put_both(c->map, &tn, idx, created);
    tnorm_done(&tn);
    if (k < 0) return oom(err, n);
    int used = 0;
    for (int j = 0; j < k; j++)
        if (created[j]) {
            cx_lexmap_entry(c->map, idx[j])->val = p;
            used = 1;
        }
    if (!created[0]) t->st.duplicates++;
    if (used) {
        t->senti[p].v = (float)v;
        t->senti[p].negform = (uint8_t)tn.negform;
        t->n_senti++;
        if (c->map == &t->emoji) t->st.emoji_terms++;
        else t->st.sentiment_terms++;
    }
    return 0;
}

static const struct { const char *name; int kind; } rule_kinds[] = {
    {"negator", CX_RK_NEGATOR},       {"negator_post", CX_RK_NEG_POST}, {"intensifier", CX_RK_INTENSIFIER},
    {"diminisher", CX_RK_DIMINISHER}, {"contrast", CX_RK_CONTRAST},     {"request", CX_RK_REQUEST},
    {"intensifier_post", CX_RK_INT_POST}, {"diminisher_post", CX_RK_DIM_POST},
};

/* Append a negation affix (normalised like text when it analyses to one token). */
static int add_affix(cx_tagger *t, lctx *c, const char *term, int prefix, const char *path, int line,
                     char *err, size_t n) {
    tnorm tn;
    int r = norm_term(c->tx, c->lang, term, &tn, path, line, err, n);
    if (r < 0) { tnorm_done(&tn); return -1; }
    const char *s = r == 1 && tn.n == 1 ? tn.norm[0] : term;
    char *a = cx_arena_strndup(&t->arena, s, strlen(s));
    tnorm_done(&tn);
    if (!a) return oom(err, n);
    cx_tag_lang *L = c->L;
    if (prefix) {
        if (GROW(L->neg_prefix, L->n_prefix, L->cap_prefix) < 0) return oom(err, n);
        L->neg_prefix[L->n_prefix++] = a;
    } else {
        if (GROW(L->neg_suffix, L->n_suffix, L->cap_suffix) < 0) return oom(err, n);
        L->neg_suffix[L->n_suffix++] = a;
    }
    return 0;
}

/* rules/<lang>.tsv: kind, term, optional weight.  The tokenizer turns the
 * same file into token flags; the tagger keeps it for the weights of
 * multi-word rules and for the negation affixes. */
static int rule_line(cx_tagger *t, void *vctx, char **f, int nf, const char *path, int line, char *err,
                     size_t n) {
    lctx *c = vctx;
    if (nf != 2 && nf != 3) {
        snprintf(err, n, "%s:%d: expected 2 or 3 tab-separated fields (kind, term[, weight]), got %d", path, line,
                 nf);
        return -1;
    }
    if (!f[1][0]) {
        snprintf(err, n, "%s:%d: empty term", path, line);
        return -1;
    }
    double w = 0;
    int opt = !strcmp(f[0], "option");
    if (opt && nf == 3 && cx_parse_double(f[2], &w) < 0) w = -1;
    if (!opt && nf == 3 && (cx_parse_double(f[2], &w) < 0 || w <= 0 || w > 10)) {
        snprintf(err, n, "%s:%d: bad weight '%s' (a number above 0, at most 10)", path, line, f[2]);
        return -1;
    }
    if (!strcmp(f[0], "option")) {
        /* option<TAB>name<TAB>value: per-language settings of the rules */
        cx_tag_lang *L = c->L;
        if (!strcmp(f[1], "post_window")) {
            if (nf != 3 || w < 0 || w != (double)(int)w || w > CX_TAG_POST_WINDOW_MAX) {
                snprintf(err, n, "%s:%d: option post_window takes a whole number of tokens, 0 to %d", path, line,
                         CX_TAG_POST_WINDOW_MAX);
                return -1;
            }
            L->post_window = (int8_t)w;
        } else if (!strcmp(f[1], "request_scope")) {
            if (nf != 3 || (strcmp(f[2], "segment") && strcmp(f[2], "sentence"))) {
                snprintf(err, n, "%s:%d: option request_scope is 'segment' or 'sentence'", path, line);
                return -1;
            }
            L->request_clause = !strcmp(f[2], "segment");
        } else {
            warn(t, "%s:%d: unknown option '%s' (ignored)", path, line, f[1]);
        }
        return 0;
    }
    if (!strcmp(f[0], "negator_prefix")) return add_affix(t, c, f[1], 1, path, line, err, n);
    if (!strcmp(f[0], "negator_suffix")) return add_affix(t, c, f[1], 0, path, line, err, n);
    int kind = 0;
    for (size_t i = 0; i < sizeof rule_kinds / sizeof rule_kinds[0]; i++)
        if (!strcmp(f[0], rule_kinds[i].name)) kind = rule_kinds[i].kind;
    if (!kind) {
        warn(t, "%s:%d: unknown rule kind '%s' (ignored)", path, line, f[0]);
        return 0;
    }
    if (kind & (CX_RK_INT_POST | CX_RK_DIM_POST)) c->L->has_post_mod = 1;
    tnorm tn;
    int r = norm_term(c->tx, c->lang, f[1], &tn, path, line, err, n);
    if (r <= 0) {
        if (r == 0) skipped(t, &tn, f[1], path, line);
        tnorm_done(&tn);
        return r;
    }
    if (GROW(t->rules, t->n_rules, t->cap_rules) < 0) { tnorm_done(&tn); return oom(err, n); }
    uint32_t p = t->n_rules;
    long idx[2];
    int created[2] = {0, 0};
    int k = put_both(c->map, &tn, idx, created);
    tnorm_done(&tn);
    if (k < 0) return oom(err, n);
    int used = 0;
    for (int j = 0; j < k; j++) {
        cx_lex_entry *e = cx_lexmap_entry(c->map, idx[j]);
        if (created[j]) {
            e->val = p;
            used = 1;
        } else {
            t->rules[e->val].kinds |= (uint16_t)kind;
            if (w > 0) t->rules[e->val].weight = (float)w;
        }
    }
    if (used) {
        t->rules[p].kinds = (uint16_t)kind;
        t->rules[p].weight = (float)w;
        t->n_rules++;
        t->st.rule_terms++;
    }
    return 0;
}

/* The entry of the stored sequence words[0..n), or NULL. */
static cx_lex_entry *map_find(cx_lexmap *m, const char *const *words, unsigned n) {
    const cx_lex_entry *e = NULL;
    for (unsigned j = 0; j < n; j++) {
        size_t l = strlen(words[j]);
        e = cx_lexmap_next(m, e, cx_lexvocab_find(m->vocab, words[j], l));
        if (!e) return NULL;
    }
    return (cx_lex_entry *)e;
}

/* Take value v out of the chain (tterms or sterms) of entry e; an entry
 * whose chain becomes empty stops being a term (it may stay a prefix).
 * Returns 1 when v was there. */
static int unchain(cx_lexmap *m, cx_tag_tterm *chain, cx_lex_entry *e, uint32_t v) {
    if (!e || !(e->flags & CX_LEX_VALUE)) return 0;
    uint32_t *link = NULL; /* the link that points at k (NULL: e->val) */
    for (uint32_t k = e->val + 1; k; k = chain[k - 1].next) {
        if (chain[k - 1].theme == v) {
            uint32_t next = chain[k - 1].next;
            if (link) *link = next;
            else if (next) e->val = next - 1;
            else {
                e->flags &= (uint8_t)~CX_LEX_VALUE;
                m->n_values--;
            }
            return 1;
        }
        link = &chain[k - 1].next;
    }
    return 0;
}

/* A '-' line of the user dir: remove the term from the theme (or signal) v
 * of map m: its exact words, and its stem key when that key is only a stem
 * key (not another term's exact words).  Returns 1 when something was
 * removed. */
static int remove_term(cx_lexmap *m, cx_tag_tterm *chain, const tnorm *tn, uint32_t v) {
    int r = unchain(m, chain, map_find(m, tn->norm, tn->n), v);
    if (tn->stem_differs) {
        cx_lex_entry *e = map_find(m, tn->stem, tn->n);
        if (e && (e->flags & CX_LEX_STEMKEY)) r |= unchain(m, chain, e, v);
    }
    return r;
}

/* Prepend v to the chain of entry e unless it is already there. */
static int chain_add(cx_tag_tterm **arr, uint32_t *n, uint32_t *cap, cx_lex_entry *e, int created, uint32_t v,
                     const cx_tag_tterm *chain) {
    if (!created)
        for (uint32_t k = e->val + 1; k; k = chain[k - 1].next)
            if (chain[k - 1].theme == v) return 0;
    if (grow((void **)arr, *n, cap, sizeof **arr) < 0) return -1;
    (*arr)[*n].theme = v;
    (*arr)[*n].next = created ? 0 : e->val + 1;
    e->val = (*n)++;
    return 1;
}

/* Store tn in map m under value v (a theme or signal), in the chain
 * arrays given.  Returns 1 when added, 0 when the term already had v, -1 on
 * OOM. */
static int add_chained(cx_lexmap *m, cx_tag_tterm **arr, uint32_t *n, uint32_t *cap, const tnorm *tn, uint32_t v) {
    long idx[2];
    int created[2] = {0, 0};
    int k = put_both(m, tn, idx, created);
    if (k < 0) return -1;
    int added = 0;
    for (int j = 0; j < k; j++) {
        /* a taken-over stem key (created 2) keeps its values: add to its chain */
        /* (a term removed by a '-' line and listed again is created anew) */
        int a = chain_add(arr, n, cap, cx_lexmap_entry(m, idx[j]), created[j] == 1, v, *arr);
        if (a < 0) return -1;
        added |= a;
    }
    return added;
}

/* A removal line "-id<TAB>term" outside the user dir, or a removal that
 * finds nothing. */
static int removal_only_user(const char *path, int line, char *err, size_t n) {
    snprintf(err, n, "%s:%d: a leading '-' removes a shipped term; it is only for the user theme directory "
             "(themes.user_dir)", path, line);
    return -1;
}

/* themes/<lang>.tsv: theme_id, term.  A term listed under several themes
 * keeps all of them (a chain of cx_tag_tterm).  In the user dir,
 * "-theme_id<TAB>term" removes a shipped term from the theme. */
static int theme_line(cx_tagger *t, void *vctx, char **f, int nf, const char *path, int line, char *err,
                      size_t n) {
    lctx *c = vctx;
    if (nf != 2) {
        snprintf(err, n, "%s:%d: expected 2 tab-separated fields (theme_id, term), got %d", path, line, nf);
        return -1;
    }
    int removal = f[0][0] == '-';
    if (removal && !c->user) return removal_only_user(path, line, err, n);
    const char *id = f[0] + removal;
    if (!valid_id(id)) {
        snprintf(err, n, "%s:%d: a theme id must be non-empty without spaces", path, line);
        return -1;
    }
    if (!f[1][0]) {
        snprintf(err, n, "%s:%d: empty term", path, line);
        return -1;
    }
    if (removal && tax_find(t, id) < 0) {
        snprintf(err, n, "%s:%d: theme '%s' is not in the taxonomy: nothing to remove", path, line, id);
        return -1;
    }
    long th = theme_index(t, id, path, line);
    if (th < 0) return oom(err, n);
    tnorm tn;
    int r = norm_term(c->tx, c->lang, f[1], &tn, path, line, err, n);
    if (r <= 0) {
        if (r == 0) skipped(t, &tn, f[1], path, line);
        tnorm_done(&tn);
        return r;
    }
    if (removal) {
        if (remove_term(c->map, t->tterms, &tn, (uint32_t)th)) t->st.removed++;
        else warn(t, "%s:%d: nothing to remove: '%s' is not a term of theme '%s'", path, line, f[1], id);
        tnorm_done(&tn);
        return 0;
    }
    int added = add_chained(c->map, &t->tterms, &t->n_tterms, &t->cap_tterms, &tn, (uint32_t)th);
    tnorm_done(&tn);
    if (added < 0) return oom(err, n);
    if (added) t->st.theme_terms++;
    else t->st.duplicates++;
    return 0;
}

/* ---- signals ---- */

const char *const cx_tag_signal_names[CX_SIG__N] = {"question", "request", "churn",  "effort",
                                                    "urgency",  "legal",   "praise", "suggestion"};

/* signals/<lang>.tsv: signal, term.  "<num>" in a term stands for any number
 * token, and so does every number written in a signal term ("called 3
 * times" = "called <num> times").  In the user dir "-signal<TAB>term"
 * removes a shipped term. */
static int signal_line(cx_tagger *t, void *vctx, char **f, int nf, const char *path, int line, char *err,
                       size_t n) {
    lctx *c = vctx;
    if (nf != 2) {
        snprintf(err, n, "%s:%d: expected 2 tab-separated fields (signal, term), got %d", path, line, nf);
        return -1;
    }
    int removal = f[0][0] == '-';
    if (removal && !c->user) return removal_only_user(path, line, err, n);
    const char *name = f[0] + removal;
    int sig = -1;
    for (int k = 0; k < CX_SIG__N; k++)
        if (k != CX_SIG_REQUEST && !strcmp(name, cx_tag_signal_names[k])) sig = k;
    if (sig < 0) {
        snprintf(err, n, "%s:%d: unknown signal '%s' (known: effort, churn, urgency, legal, praise, suggestion, "
                 "question%s)", path, line, name,
                 strcmp(name, "request") ? "" : "; request comes from the request markers of rules/<lang>.tsv");
        return -1;
    }
    if (!f[1][0]) {
        snprintf(err, n, "%s:%d: empty term", path, line);
        return -1;
    }
    if (strlen(f[1]) > 512) {
        snprintf(err, n, "%s:%d: term longer than 512 bytes", path, line);
        return -1;
    }
    /* "<num>" -> a digit, analysed as a number token like any other */
    char term[1024];
    size_t tl = 0;
    for (const char *p = f[1]; *p && tl + 2 < sizeof term;) {
        if (!strncmp(p, "<num>", 5)) {
            if (tl && term[tl - 1] != ' ') term[tl++] = ' ';
            term[tl++] = '7';
            p += 5;
            if (*p && *p != ' ') term[tl++] = ' ';
        } else {
            term[tl++] = *p++;
        }
    }
    term[tl] = '\0';
    tnorm tn;
    int r = norm_term(c->tx, c->lang, term, &tn, path, line, err, n);
    int words = 0;
    if (r == 1) {
        tn.stem_differs = 0;
        for (unsigned j = 0; j < tn.n; j++) {
            if (tn.env->tokens[j].type == CX_TOK_NUMBER) tn.norm[j] = tn.stem[j] = CX_TAG_NUM_WORD;
            else words++;
            if (strcmp(tn.norm[j], tn.stem[j])) tn.stem_differs = 1;
        }
        if (!words) {
            tnorm_done(&tn);
            snprintf(err, n, "%s:%d: term '%s' is only a number: it would match every number", path, line, f[1]);
            return -1;
        }
    }
    if (r <= 0) {
        if (r == 0) skipped(t, &tn, f[1], path, line);
        tnorm_done(&tn);
        return r;
    }
    if (removal) {
        if (remove_term(c->map, t->sterms, &tn, (uint32_t)sig)) t->st.removed++;
        else warn(t, "%s:%d: nothing to remove: '%s' is not a term of signal '%s'", path, line, f[1], name);
        tnorm_done(&tn);
        return 0;
    }
    int added = add_chained(c->map, &t->sterms, &t->n_sterms, &t->cap_sterms, &tn, (uint32_t)sig);
    tnorm_done(&tn);
    if (added < 0) return oom(err, n);
    if (added) t->st.signal_terms++;
    else t->st.duplicates++;
    return 0;
}

/* ---- local theme names ---- */

typedef struct nctx {
    cx_tag_names *nm;
    uint8_t *seen;      /* per theme: named by this file already (line number, capped) */
    int user;
} nctx;

/* names/<lang>.tsv: theme_id, the theme's name in that language.  The
 * theme must be in the taxonomy; an id twice in one file is an error; a
 * user file's name replaces the shipped one. */
static int name_line(cx_tagger *t, void *vctx, char **f, int nf, const char *path, int line, char *err,
                     size_t n) {
    nctx *c = vctx;
    if (nf != 2) {
        snprintf(err, n, "%s:%d: expected 2 tab-separated fields (theme_id, name), got %d", path, line, nf);
        return -1;
    }
    long i = tax_find(t, f[0]);
    if (i < 0) {
        snprintf(err, n, "%s:%d: theme '%s' is not in themes/taxonomy.tsv%s", path, line, f[0],
                 c->user ? " (nor in the user taxonomy.tsv)" : "");
        return -1;
    }
    if (!f[1][0]) {
        snprintf(err, n, "%s:%d: empty name", path, line);
        return -1;
    }
    if (c->seen[i]) {
        snprintf(err, n, "%s:%d: duplicate theme id '%s' (it already has a name in this file)", path, line, f[0]);
        return -1;
    }
    c->seen[i] = 1;
    cx_tag_names *nm = c->nm;
    if (!nm->name[i] || c->user) {
        if (!nm->name[i]) t->st.theme_names++;
        if (!(nm->name[i] = cx_arena_strndup(&t->arena, f[1], strlen(f[1])))) return oom(err, n);
        nm->from_user[i] = (uint8_t)c->user;
    }
    return 0;
}

static cx_tag_names *names_of(const cx_tagger *t, const char *code, size_t cl) {
    for (size_t k = 0; k < t->n_names; k++)
        if (strlen(t->names[k].code) == cl && !memcmp(t->names[k].code, code, cl)) return &t->names[k];
    return NULL;
}

/* Load one names file for language code (after the taxonomies). */
static int load_names(cx_tagger *t, const char *path, const char *code, int user, char *err, size_t n) {
    cx_tag_names *nm = names_of(t, code, strlen(code));
    if (!nm) {
        if (t->n_names == t->cap_names) {
            size_t nc = t->cap_names ? t->cap_names * 2 : 8;
            cx_tag_names *p = cx_realloc(t->names, nc * sizeof *p);
            if (!p) return oom(err, n);
            t->names = p;
            t->cap_names = nc;
        }
        nm = &t->names[t->n_names++];
        memset(nm, 0, sizeof *nm);
        snprintf(nm->code, sizeof nm->code, "%s", code);
    }
    if (nm->n < t->n_tax) {
        const char **a = cx_realloc(nm->name, t->n_tax * sizeof *a);
        if (!a) return oom(err, n);
        nm->name = a;
        uint8_t *u = cx_realloc(nm->from_user, t->n_tax);
        if (!u) return oom(err, n);
        nm->from_user = u;
        memset(nm->name + nm->n, 0, (t->n_tax - nm->n) * sizeof *a);
        memset(nm->from_user + nm->n, 0, t->n_tax - nm->n);
        nm->n = t->n_tax;
    }
    nctx c = {nm, cx_calloc(t->n_tax + 1, 1), user};
    if (!c.seen) return oom(err, n);
    int r = each_line(t, path, name_line, &c, err, n);
    cx_free(c.seen);
    return r;
}

/* ---- discovery ---- */

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A language file name: 2-3 lower-case letters + ".tsv" (names/ and
 * signals/ inside a themes directory are directories, never languages). */
static int is_lang_file(const char *name, char code[8]) {
    size_t len = strlen(name);
    if (len < 6 || len > 7 || strcmp(name + len - 4, ".tsv")) return 0;
    for (size_t i = 0; i < len - 4; i++)
        if (name[i] < 'a' || name[i] > 'z') return 0;
    memcpy(code, name, len - 4);
    code[len - 4] = '\0';
    return 1;
}

static int cmp_code(const void *a, const void *b) { return strcmp(a, b); }

/* Add the language codes of the regular files <code>.tsv in dir to
 * codes (no duplicates).  A missing dir adds nothing. */
static int scan_langs(const char *dir, char codes[][8], size_t *n, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char code[8], path[PATH_MAX];
        if (!is_lang_file(de->d_name, code)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (!file_exists(path)) continue;
        size_t k = 0;
        while (k < *n && strcmp(codes[k], code)) k++;
        if (k < *n) continue;
        if (*n == MAX_LANGS) {
            closedir(d);
            snprintf(err, errlen, "%s: more than %d languages", dir, MAX_LANGS);
            return -1;
        }
        memcpy(codes[(*n)++], code, 8);
    }
    closedir(d);
    return 0;
}

/* Collect the language codes that have a file in sentiment/, rules/,
 * themes/ or signals/ of dir, or in the user dir (udir: <code>.tsv and
 * signals/<code>.tsv; NULL = none). */
static int find_langs(const char *dir, const char *udir, char codes[][8], size_t *n, char *err, size_t errlen) {
    static const char *subs[] = {"sentiment", "rules", "themes", "signals"};
    *n = 0;
    char path[PATH_MAX];
    for (size_t s = 0; s < 4; s++) {
        snprintf(path, sizeof path, "%s/%s", dir, subs[s]);
        if (scan_langs(path, codes, n, err, errlen) < 0) return -1;
    }
    if (udir) {
        if (scan_langs(udir, codes, n, err, errlen) < 0) return -1;
        snprintf(path, sizeof path, "%s/signals", udir);
        if (scan_langs(path, codes, n, err, errlen) < 0) return -1;
    }
    qsort(codes, *n, sizeof codes[0], cmp_code);
    return 0;
}

/* Load rules, sentiment, themes and signals of one language (whatever
 * exists), the user dir's theme terms and signals after the shipped ones. */
static int load_lang(cx_tagger *t, cx_text *tx, const char *dir, const char *code, char *err, size_t n) {
    if (t->n_langs == t->cap_langs) {
        size_t nc = t->cap_langs ? t->cap_langs * 2 : 8;
        cx_tag_lang *nl = cx_realloc(t->langs, nc * sizeof *nl);
        if (!nl) return oom(err, n);
        t->langs = nl;
        t->cap_langs = nc;
    }
    cx_tag_lang *L = &t->langs[t->n_langs++];
    memset(L, 0, sizeof *L);
    L->post_window = -1;
    snprintf(L->code, sizeof L->code, "%s", code);
    L->code_len = strlen(L->code);
    cx_lexmap_init(&L->senti, &t->vocab, CX_LEX_START_SENTI);
    cx_lexmap_init(&L->rules, &t->vocab, CX_LEX_START_RULES);
    cx_lexmap_init(&L->themes, &t->vocab, CX_LEX_START_THEMES);
    cx_lexmap_init(&L->signals, &t->vocab, CX_LEX_START_SIGNALS);
    char path[PATH_MAX];
    const char *udir = t->user_dir[0] ? t->user_dir : NULL;
    lctx c = {code, tx, NULL, L, 0};

    snprintf(path, sizeof path, "%s/rules/%s.tsv", dir, code);
    if (file_exists(path)) {
        c.map = &L->rules;
        if (each_line(t, path, rule_line, &c, err, n) < 0) return -1;
        L->has_rules = 1;
    }
    snprintf(path, sizeof path, "%s/sentiment/%s.tsv", dir, code);
    if (file_exists(path)) {
        c.map = &L->senti;
        if (each_line(t, path, senti_line, &c, err, n) < 0) return -1;
        L->has_senti = 1;
    }
    c.map = &L->themes;
    snprintf(path, sizeof path, "%s/themes/%s.tsv", dir, code);
    if (file_exists(path)) {
        if (each_line(t, path, theme_line, &c, err, n) < 0) return -1;
        L->has_themes = 1;
    }
    snprintf(path, sizeof path, "%s/%s.tsv", udir ? udir : "", code);
    if (udir && file_exists(path)) {
        c.user = 1;
        if (each_line(t, path, theme_line, &c, err, n) < 0) return -1;
        L->has_themes = 1;
        c.user = 0;
    }
    c.map = &L->signals;
    snprintf(path, sizeof path, "%s/signals/%s.tsv", dir, code);
    if (file_exists(path)) {
        if (each_line(t, path, signal_line, &c, err, n) < 0) return -1;
        L->has_signals = 1;
    }
    snprintf(path, sizeof path, "%s/signals/%s.tsv", udir ? udir : "", code);
    if (udir && file_exists(path)) {
        c.user = 1;
        if (each_line(t, path, signal_line, &c, err, n) < 0) return -1;
        L->has_signals = 1;
    }
    if (!L->signals.n_values) L->has_signals = 0;
    return 0;
}

/* Load every names/<lang>.tsv of dir (user: the user dir's). */
static int load_all_names(cx_tagger *t, const char *dir, int user, char *err, size_t n) {
    char ndir[PATH_MAX];
    snprintf(ndir, sizeof ndir, "%s/names", dir);
    char codes[MAX_LANGS][8];
    size_t nc = 0;
    if (scan_langs(ndir, codes, &nc, err, n) < 0) return -1;
    qsort(codes, nc, sizeof codes[0], cmp_code);
    for (size_t i = 0; i < nc; i++) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/%s.tsv", ndir, codes[i]);
        if (load_names(t, path, codes[i], user, err, n) < 0) return -1;
    }
    return 0;
}

/* After both taxonomies: warn about parents that do not exist and sub-theme
 * ids that do not start with their parent's (not for a theme the user
 * reparented on purpose); refuse a parent chain that loops. */
static int check_taxonomy(cx_tagger *t, const char *dir, char *err, size_t n) {
    char ship[PATH_MAX], user[PATH_MAX];
    snprintf(ship, sizeof ship, "%s/themes/taxonomy.tsv", dir);
    snprintf(user, sizeof user, "%s/taxonomy.tsv", t->user_dir);
    for (uint32_t i = 0; i < t->n_tax; i++) {
        const cx_tag_theme *x = &t->tax[i].pub;
        const char *path = t->tax[i].user ? user : ship;
        if (!x->parent || t->tax[i].implicit) continue;
        if (tax_find(t, x->parent) < 0)
            warn(t, "%s: parent '%s' of theme '%s' is not defined", path, x->parent, x->id);
        size_t pl = strlen(x->parent);
        if (t->tax[i].user != 2 && (strncmp(x->id, x->parent, pl) || x->id[pl] != '.'))
            warn(t, "%s: theme '%s' does not start with its parent's id '%s.'", path, x->id, x->parent);
    }
    for (uint32_t i = 0; i < t->n_tax; i++) {
        long p = t->tax[i].pub.parent ? tax_find(t, t->tax[i].pub.parent) : -1;
        t->tax[i].parent_idx = p >= 0 ? (uint32_t)p : UINT32_MAX;
    }
    for (uint32_t i = 0; i < t->n_tax; i++) {
        uint32_t p = t->tax[i].parent_idx;
        for (uint32_t d = 0; p != UINT32_MAX && d <= t->n_tax; d++, p = t->tax[p].parent_idx)
            if (p == i) {
                snprintf(err, n, "%s: theme '%s': its parents lead back to it (%s)", t->tax[i].user ? user : ship,
                         t->tax[i].pub.id, t->tax[i].pub.parent);
                return -1;
            }
    }
    return 0;
}

/* ---- learned lexicon ---- */

_Static_assert(CX_LEARNED_ALPHA == CX_TAG_ALPHA, "the @lexicon value is the authored compound score");

/* Load the learned lexicon of o->learned_dir and settle its mode: the one
 * asked for, else the file's.  Mode with needs the file's @lexicon weight
 * (a lexicon trained --mode instead has none). */
static int load_learned(cx_tagger *t, const cx_tagger_opts *o, char *err, size_t n) {
    if (o->learned_mode < CX_LEARNED_FILE_MODE || o->learned_mode > CX_LEARNED_INSTEAD) {
        snprintf(err, n, "learned lexicon mode %d: expected file, with or instead", o->learned_mode);
        return -1;
    }
    if (!(t->learned = cx_learned_load(o->learned_dir, err, n))) return -1;
    cx_learned_info li;
    cx_learned_get_info(t->learned, &li);
    t->learned_mode = o->learned_mode ? o->learned_mode : li.mode;
    if (t->learned_mode == CX_LEARNED_WITH && !li.has_lexicon) {
        snprintf(err, n,
                 "%s: no %s line, so it cannot be used in mode 'with' (it was trained --mode %s); use mode "
                 "'instead' or 'file'",
                 li.path, CX_LEARNED_LEXICON, cx_learned_mode_name(li.mode));
        return -1;
    }
    t->st.learned_terms = li.n_terms;
    t->st.learned_mode = t->learned_mode;
    return 0;
}

/* ---- public ---- */

/* Build the tagger: the taxonomies first (the shipped one, then the user
 * dir's; theme and name lines refer to them), the local names, then each
 * language's rules, sentiment, themes and signals (shipped, then the user
 * dir's), then the emoji lexicon. */
cx_tagger *cx_tagger_new(const cx_tagger_opts *o, char *err, size_t n) {
    if (!o || !o->lexicon_dir || !o->text) {
        snprintf(err, n, "cx_tagger_new: lexicon_dir and text are required");
        return NULL;
    }
    if (o->positive_threshold < o->negative_threshold) {
        snprintf(err, n, "sentiment.positive_threshold (%g) is below sentiment.negative_threshold (%g)",
                 o->positive_threshold, o->negative_threshold);
        return NULL;
    }
    struct stat st;
    if (stat(o->lexicon_dir, &st) < 0) {
        snprintf(err, n, "lexicon directory %s: %s", o->lexicon_dir, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, n, "lexicon directory %s: not a directory", o->lexicon_dir);
        return NULL;
    }
    cx_tagger *t = cx_calloc(1, sizeof *t);
    if (!t) { oom(err, n); return NULL; }
    t->pos_thr = o->positive_threshold;
    t->neg_thr = o->negative_threshold;
    t->explain = !o->no_explain;
    cx_lexmap_init(&t->emoji, &t->vocab, CX_LEX_START_EMOJI);
    cx_lexmap_init(&t->tax_index, &t->vocab, 0);

    const char *dir = o->lexicon_dir;
    char path[PATH_MAX];
    if (o->user_dir && o->user_dir[0]) {
        int bad = stat(o->user_dir, &st) < 0;
        if (bad || !S_ISDIR(st.st_mode)) {
            snprintf(err, n, "user theme directory (themes.user_dir) %s: %s", o->user_dir,
                     bad ? strerror(errno) : "not a directory");
            goto fail;
        }
    }
    t->user_dir = cx_arena_strndup(&t->arena, o->user_dir ? o->user_dir : "", o->user_dir ? strlen(o->user_dir) : 0);
    if (!t->user_dir) {
        oom(err, n);
        goto fail;
    }
    const char *udir = t->user_dir[0] ? t->user_dir : NULL;
    snprintf(path, sizeof path, "%s/themes/taxonomy.tsv", dir);
    if (file_exists(path)) {
        if (each_line(t, path, tax_line, NULL, err, n) < 0) goto fail;
        t->have_taxonomy = 1;
    }
    snprintf(path, sizeof path, "%s/taxonomy.tsv", udir ? udir : "");
    if (udir && file_exists(path)) {
        tctx uc = {1};
        if (each_line(t, path, tax_line, &uc, err, n) < 0) goto fail;
        t->have_taxonomy = 1;
    }
    snprintf(path, sizeof path, "%s/themes", dir);
    if (load_all_names(t, path, 0, err, n) < 0) goto fail;
    if (udir && load_all_names(t, udir, 1, err, n) < 0) goto fail;
    char codes[MAX_LANGS][8];
    size_t nc;
    if (find_langs(dir, udir, codes, &nc, err, n) < 0) goto fail;
    for (size_t i = 0; i < nc; i++)
        if (load_lang(t, o->text, dir, codes[i], err, n) < 0) goto fail;
    snprintf(path, sizeof path, "%s/sentiment/emoji.tsv", dir);
    if (file_exists(path)) {
        lctx c = {"en", o->text, &t->emoji, NULL, 0};
        if (each_line(t, path, senti_line, &c, err, n) < 0) goto fail;
    }
    if (check_taxonomy(t, dir, err, n) < 0) goto fail;
    for (uint32_t i = 0; i < t->n_tax; i++) /* a sub-theme of a problem theme is one */
        for (uint32_t p = t->tax[i].parent_idx, d = 0; p != UINT32_MAX && d < 16 && !t->tax[i].problem; d++) {
            t->tax[i].problem = t->tax[p].problem;
            p = t->tax[p].parent_idx;
        }
    t->num_word = cx_lexvocab_find(&t->vocab, CX_TAG_NUM_WORD, strlen(CX_TAG_NUM_WORD));
    for (size_t i = 0; i < t->n_langs; i++)
        if (t->langs[i].has_senti || t->langs[i].has_themes) t->st.n_langs++;
    t->st.sentiment_terms += t->st.emoji_terms;
    if (o->learned_dir && o->learned_dir[0] && load_learned(t, o, err, n) < 0) goto fail;
    /* hook: learned themes (cx_tag_ltheme.c), loaded next to the taxonomy */
    if (o->themes_learned_dir && o->themes_learned_dir[0]) {
        if (!(t->ltheme = cx_ltheme_load(o->themes_learned_dir, err, n))) goto fail;
        cx_ltheme_info lt;
        cx_ltheme_get_info(t->ltheme, &lt);
        t->st.ltheme_labels = lt.n_labels;
        t->st.ltheme_weights = lt.n_weights;
    }
    return t;
fail:
    cx_tagger_destroy(&t);
    return NULL;
}

void cx_tagger_destroy(cx_tagger **tp) {
    if (!tp || !*tp) return;
    cx_tagger *t = *tp;
    for (size_t i = 0; i < t->n_langs; i++) {
        cx_tag_lang *L = &t->langs[i];
        cx_lexmap_free(&L->senti);
        cx_lexmap_free(&L->rules);
        cx_lexmap_free(&L->themes);
        cx_lexmap_free(&L->signals);
        cx_free(L->neg_prefix);
        cx_free(L->neg_suffix);
    }
    cx_free(t->langs);
    cx_lexmap_free(&t->emoji);
    cx_lexmap_free(&t->tax_index);
    cx_lexvocab_free(&t->vocab);
    cx_free(t->senti);
    cx_free(t->rules);
    cx_free(t->tterms);
    cx_free(t->sterms);
    for (size_t i = 0; i < t->n_names; i++) {
        cx_free(t->names[i].name);
        cx_free(t->names[i].from_user);
    }
    cx_free(t->names);
    cx_free(t->tax);
    cx_learned_destroy(&t->learned);
    cx_ltheme_destroy(&t->ltheme); /* hook: learned themes */
    cx_arena_free(&t->arena);
    cx_free(t);
    *tp = NULL;
}

size_t cx_tagger_n_themes(const cx_tagger *t) { return t->n_tax; }

const cx_tag_theme *cx_tagger_theme(const cx_tagger *t, size_t i) {
    return i < t->n_tax ? &t->tax[i].pub : NULL;
}

long cx_tagger_theme_index(const cx_tagger *t, const char *id) { return id ? tax_find(t, id) : -1; }

static const cx_tag_names *names_for(const cx_tagger *t, const char *lang) {
    if (!lang) return NULL;
    return names_of(t, lang, strcspn(lang, "-_")); /* "pt-BR" -> pt */
}

int cx_tagger_has_theme_name(const cx_tagger *t, size_t i, const char *lang) {
    const cx_tag_names *nm = names_for(t, lang);
    return nm && i < nm->n && nm->name[i] != NULL;
}

const char *cx_tagger_theme_name(const cx_tagger *t, size_t i, const char *lang) {
    if (i >= t->n_tax) return NULL;
    const cx_tag_names *nm = names_for(t, lang);
    return nm && i < nm->n && nm->name[i] ? nm->name[i] : t->tax[i].pub.name;
}

void cx_tagger_get_stats(const cx_tagger *t, cx_tagger_stats *s) { *s = t->st; }

const char *cx_tagger_warning(const cx_tagger *t, size_t i) {
    return i < t->st.warnings && i < CX_TAG_MAX_WARNINGS ? t->warn_list[i] : NULL;
}

const char *cx_tagger_lang(const cx_tagger *t, size_t i) {
    size_t k = 0;
    for (size_t j = 0; j < t->n_langs; j++)
        if (t->langs[j].has_senti || t->langs[j].has_themes) {
            if (k == i) return t->langs[j].code;
            k++;
        }
    return NULL;
}
