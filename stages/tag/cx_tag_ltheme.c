/* cx_tag_ltheme.c - learned themes (see cx_tag_ltheme.h and docs/LEXICONS.md
 * "Learned themes"): the loader of DIR/themes.tsv with "file:line: reason"
 * errors, scoring a record (per label: bias + the weights of the terms
 * present; softmax or sigmoid), the decision (top-1 or thresholds) and
 * appending the chosen labels to the record's themes.
 *
 * The model is kept apart from the authored theme matching
 * (cx_tag_score.c): cx_tagger_apply calls cx_ltheme_apply once the authored
 * scoring is done.  The features are the learned sentiment lexicons' own
 * (cx_learned_features), so the trainer and the tagger see the same terms. */
#include "cx_tag_ltheme.h"
#include "cx_alloc.h"
#include "cx_lexmap.h"
#include "cx_tag_learned.h"
#include "cx_tag_lfile.h"
#include "cx_util.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lt_label {
    const char *name;   /* the label as written */
    const char *id;     /* CX_LTHEME_PREFIX + name: the theme id */
    double bias, thr;   /* thr < 0: the global threshold */
    int line;           /* of its @bias line */
} lt_label;

typedef struct lt_term {
    const char *s;
    uint64_t hash;
    uint32_t first;     /* first entry + 1 (0: none) */
} lt_term;

typedef struct lt_entry {
    uint32_t label;
    uint32_t next;      /* next entry of the same term + 1 (0: end) */
    double w;
    int line;
} lt_entry;

struct cx_ltheme {
    cx_arena arena;
    lt_label *labels;
    uint32_t n_labels, cap_labels;
    lt_term *terms;
    uint32_t n_terms, cap_terms;
    uint32_t *slots, nslots;       /* term hash table: index + 1, 0 = empty; power of two */
    lt_entry *ent;
    uint32_t n_ent, cap_ent;
    cx_ltheme_info info;
    char langs[32][8];
    int n_langs, any_lang;
};

static int oom(char *err, size_t n) {
    snprintf(err, n, "out of memory loading the learned themes");
    return -1;
}

int cx_ltheme_label_ok(const char *s, const char **why) {
    size_t len = strlen(s);
    const char *w = NULL;
    if (!len) w = "empty label";
    else if (len > CX_LTHEME_MAX_LABEL) w = "label longer than 200 bytes";
    else if (!cx_lf_utf8_ok((const unsigned char *)s, len)) w = "label is not valid UTF-8";
    else if (s[0] == '@' || s[0] == '#') w = "label starts with '@' or '#' (reserved)";
    else if (s[0] == ' ' || s[len - 1] == ' ') w = "label starts or ends with a blank";
    else
        for (size_t i = 0; i < len && !w; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) w = "label contains a control character (tab, newline)";
    if (why) *why = w;
    return w == NULL;
}

/* ---- the term table ---- */

static long find(const cx_ltheme *m, const char *s, size_t len, uint64_t h) {
    if (!m->nslots) return -1;
    for (uint32_t i = (uint32_t)h & (m->nslots - 1);; i = (i + 1) & (m->nslots - 1)) {
        uint32_t v = m->slots[i];
        if (!v) return -1;
        const lt_term *t = &m->terms[v - 1];
        if (t->hash == h && !strncmp(t->s, s, len) && t->s[len] == '\0') return (long)(v - 1);
    }
}

static int rehash(cx_ltheme *m, uint32_t nslots) {
    uint32_t *ns = cx_calloc(nslots, sizeof *ns);
    if (!ns) return -1;
    for (uint32_t k = 0; k < m->n_terms; k++) {
        uint32_t i = (uint32_t)m->terms[k].hash & (nslots - 1);
        while (ns[i]) i = (i + 1) & (nslots - 1);
        ns[i] = k + 1;
    }
    cx_free(m->slots);
    m->slots = ns;
    m->nslots = nslots;
    return 0;
}

/* The index of term, added when new; -1 when out of memory. */
static long term_id(cx_ltheme *m, const char *s) {
    size_t len = strlen(s);
    uint64_t h = cx_lex_strhash(s, len);
    long e = find(m, s, len, h);
    if (e >= 0) return e;
    if (m->n_terms == m->cap_terms) {
        uint32_t nc = m->cap_terms ? m->cap_terms * 2 : 256;
        lt_term *nt = cx_realloc(m->terms, (size_t)nc * sizeof *nt);
        if (!nt) return -1;
        m->terms = nt;
        m->cap_terms = nc;
    }
    if ((m->n_terms + 1) * 2 > m->nslots && rehash(m, m->nslots ? m->nslots * 2 : 512) < 0) return -1;
    lt_term *t = &m->terms[m->n_terms];
    if (!(t->s = cx_arena_strndup(&m->arena, s, len))) return -1;
    t->hash = h;
    t->first = 0;
    uint32_t i = (uint32_t)h & (m->nslots - 1);
    while (m->slots[i]) i = (i + 1) & (m->nslots - 1);
    m->slots[i] = ++m->n_terms;
    return m->n_terms - 1;
}

/* ---- the loader ---- */

enum { HK_LANGUAGES, HK_FEATURES, HK_MODEL, HK_DECISION, HK_THRESHOLD, HK_AT_LEAST_ONE, HK_N };
static const char *const hk_names[HK_N] = {"languages", "features", "model", "decision", "threshold", "at-least-one"};

typedef struct lctx {
    cx_ltheme *m;
    const char *path;
    int seen[HK_N];          /* line of the key, 0 = not seen */
    int first_body;          /* line of the first label line, 0 = none yet */
    long cur;                /* label of the previous line (labels come in blocks) */
} lctx;

/* A probability threshold in (0, 1). */
static int parse_prob(const char *s, double *v) { return cx_parse_double(s, v) == 0 && *v > 0 && *v < 1 ? 0 : -1; }

static int header_line(void *ctx, char *s, int line, char *err, size_t n) {
    lctx *c = ctx;
    char *v;
    int k = cx_lf_header_key(s, hk_names, HK_N, c->seen, c->first_body, "the first label line", c->path, line, &v,
                             err, n);
    if (k < 0) return k == -1 ? 0 : -1;
    cx_ltheme_info *in = &c->m->info;
    char why[200];
    switch (k) {
    case HK_LANGUAGES:
        return cx_lf_set_langs(c->m->langs, &c->m->n_langs, 32, &c->m->any_lang, v, c->path, line, err, n);
    case HK_FEATURES:
        if (cx_learned_features_parse(v, &in->feats, why, sizeof why) < 0) {
            snprintf(err, n, "%s:%d: '# features:' %s", c->path, line, why);
            return -1;
        }
        return 0;
    case HK_MODEL:
        if (!strcmp(v, "softmax")) in->model = CX_LTHEME_SOFTMAX;
        else if (!strcmp(v, "one-vs-rest")) in->model = CX_LTHEME_OVR;
        else {
            snprintf(err, n, "%s:%d: '# model:' is 'softmax' or 'one-vs-rest', not '%s'", c->path, line, v);
            return -1;
        }
        return 0;
    case HK_DECISION:
        if (!strcmp(v, "top1")) in->decision = CX_LTHEME_TOP1;
        else if (!strcmp(v, "threshold")) in->decision = CX_LTHEME_THRESHOLD_DEC;
        else {
            snprintf(err, n, "%s:%d: '# decision:' is 'top1' or 'threshold', not '%s'", c->path, line, v);
            return -1;
        }
        return 0;
    case HK_THRESHOLD: {
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)strcspn(v, " \t("), v);
        if (parse_prob(num, &in->threshold) < 0) {
            snprintf(err, n, "%s:%d: bad '# threshold:' '%s' (a probability between 0 and 1)", c->path, line, num);
            return -1;
        }
        return 0;
    }
    case HK_AT_LEAST_ONE:
        if (!strncmp(v, "yes", 3) && (!v[3] || v[3] == ' ')) in->at_least_one = 1;
        else if (!strncmp(v, "no", 2) && (!v[2] || v[2] == ' ')) in->at_least_one = 0;
        else {
            snprintf(err, n, "%s:%d: '# at-least-one:' is 'yes' or 'no', not '%s'", c->path, line, v);
            return -1;
        }
        return 0;
    }
    return 0;
}

static long find_label(lctx *c, const char *name) {
    cx_ltheme *m = c->m;
    if (c->cur >= 0 && !strcmp(m->labels[c->cur].name, name)) return c->cur;
    for (uint32_t i = 0; i < m->n_labels; i++)
        if (!strcmp(m->labels[i].name, name)) return i;
    return -1;
}

/* label <TAB> @bias <TAB> b: declares the label. */
static int add_label(lctx *c, const char *name, double b, int line, char *err, size_t n) {
    cx_ltheme *m = c->m;
    long e = find_label(c, name);
    if (e >= 0) {
        snprintf(err, n, "%s:%d: duplicate %s line for label '%s' (first on line %d)", c->path, line, CX_LTHEME_BIAS,
                 name, m->labels[e].line);
        return -1;
    }
    if (m->n_labels == m->cap_labels) {
        uint32_t nc = m->cap_labels ? m->cap_labels * 2 : 32;
        lt_label *nl = cx_realloc(m->labels, (size_t)nc * sizeof *nl);
        if (!nl) return oom(err, n);
        m->labels = nl;
        m->cap_labels = nc;
    }
    lt_label *L = &m->labels[m->n_labels];
    size_t len = strlen(name), pl = strlen(CX_LTHEME_PREFIX);
    char *id = cx_arena_alloc(&m->arena, pl + len + 1);
    if (!id) return oom(err, n);
    memcpy(id, CX_LTHEME_PREFIX, pl);
    memcpy(id + pl, name, len + 1);
    L->id = id;
    L->name = id + pl;
    L->bias = b;
    L->thr = -1;
    L->line = line;
    c->cur = m->n_labels++;
    return 0;
}

static int body_line(void *ctx, char *s, int line, char *err, size_t n) {
    lctx *c = ctx;
    static const int required[] = {HK_LANGUAGES, HK_FEATURES, HK_MODEL, HK_DECISION};
    if (!c->first_body) { /* the header is complete: check it before the first label line */
        for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
            if (!c->seen[required[k]]) {
                snprintf(err, n, "%s:%d: missing '# %s:' header line (required before the first label line)",
                         c->path, line, hk_names[required[k]]);
                return -1;
            }
        if (c->m->info.decision == CX_LTHEME_THRESHOLD_DEC && !c->seen[HK_THRESHOLD]) {
            snprintf(err, n, "%s:%d: '# decision: threshold' needs a '# threshold:' header line", c->path, line);
            return -1;
        }
    }
    char *f[3];
    int nf = 0;
    for (char *p = s;; nf++) {
        char *tab = strchr(p, '\t');
        if (nf == 3) {
            snprintf(err, n, "%s:%d: expected 3 tab-separated fields (label, term, weight), got more", c->path, line);
            return -1;
        }
        f[nf] = p;
        if (!tab) { nf++; break; }
        *tab = '\0';
        p = tab + 1;
    }
    if (nf != 3) {
        snprintf(err, n, "%s:%d: expected 'label<TAB>term<TAB>weight'", c->path, line);
        return -1;
    }
    char *label = cx_lf_trim(f[0]), *term = cx_lf_trim(f[1]), *ws = cx_lf_trim(f[2]);
    const char *why;
    if (!cx_ltheme_label_ok(label, &why)) {
        snprintf(err, n, "%s:%d: %s", c->path, line, why);
        return -1;
    }
    if (!*term) {
        snprintf(err, n, "%s:%d: empty term", c->path, line);
        return -1;
    }
    if (!c->first_body) c->first_body = line;
    double w;
    if (!strcmp(term, CX_LTHEME_THRESHOLD)) {
        long li = find_label(c, label);
        if (li < 0) {
            snprintf(err, n, "%s:%d: %s of label '%s' before its %s line", c->path, line, CX_LTHEME_THRESHOLD, label,
                     CX_LTHEME_BIAS);
            return -1;
        }
        if (parse_prob(ws, &w) < 0) {
            snprintf(err, n, "%s:%d: bad %s '%s' for label '%s' (a probability between 0 and 1)", c->path, line,
                     CX_LTHEME_THRESHOLD, ws, label);
            return -1;
        }
        if (c->m->labels[li].thr >= 0) {
            snprintf(err, n, "%s:%d: duplicate %s for label '%s'", c->path, line, CX_LTHEME_THRESHOLD, label);
            return -1;
        }
        c->m->labels[li].thr = w;
        c->cur = li;
        return 0;
    }
    if (cx_parse_double(ws, &w) < 0 || fabs(w) > CX_LTHEME_MAX_WEIGHT) {
        snprintf(err, n, "%s:%d: bad weight '%s' for '%s' (a number, at most %g in size)", c->path, line, ws, term,
                 CX_LTHEME_MAX_WEIGHT);
        return -1;
    }
    if (!strcmp(term, CX_LTHEME_BIAS)) return add_label(c, label, w, line, err, n);
    if (term[0] == '@') {
        snprintf(err, n, "%s:%d: unknown reserved term '%s' (%s and %s are the only ones)", c->path, line, term,
                 CX_LTHEME_BIAS, CX_LTHEME_THRESHOLD);
        return -1;
    }
    char *sp = strchr(term, ' ');
    if (sp && (sp == term || !sp[1] || sp[1] == ' ' || strchr(sp + 1, ' '))) {
        snprintf(err, n, "%s:%d: term '%s' is not one stem or two stems separated by one space", c->path, line, term);
        return -1;
    }
    long li = find_label(c, label);
    if (li < 0) {
        snprintf(err, n, "%s:%d: term of label '%s' before its %s line (each label starts with 'label<TAB>%s<TAB>b')",
                 c->path, line, label, CX_LTHEME_BIAS, CX_LTHEME_BIAS);
        return -1;
    }
    c->cur = li;
    cx_ltheme *m = c->m;
    long ti = term_id(m, term);
    if (ti < 0) return oom(err, n);
    for (uint32_t e = m->terms[ti].first; e; e = m->ent[e - 1].next)
        if (m->ent[e - 1].label == (uint32_t)li) {
            snprintf(err, n, "%s:%d: duplicate term '%s' for label '%s' (first on line %d)", c->path, line, term,
                     label, m->ent[e - 1].line);
            return -1;
        }
    if (m->n_ent == m->cap_ent) {
        uint32_t nc = m->cap_ent ? m->cap_ent * 2 : 1024;
        lt_entry *ne = cx_realloc(m->ent, (size_t)nc * sizeof *ne);
        if (!ne) return oom(err, n);
        m->ent = ne;
        m->cap_ent = nc;
    }
    lt_entry *e = &m->ent[m->n_ent];
    e->label = (uint32_t)li;
    e->w = w;
    e->line = line;
    e->next = m->terms[ti].first;
    m->terms[ti].first = ++m->n_ent;
    return 0;
}

static int parse(lctx *c, char *buf, size_t len, char *err, size_t n) {
    int line;
    if (cx_lf_lines(buf, len, c->path, header_line, body_line, c, &line, err, n) < 0) return -1;
    if (!c->m->n_labels) {
        snprintf(err, n, "%s:%d: no labels (a label starts with 'label<TAB>%s<TAB>b')", c->path, line ? line : 1,
                 CX_LTHEME_BIAS);
        return -1;
    }
    return 0;
}

cx_ltheme *cx_ltheme_load(const char *path, char *err, size_t errlen) {
    char file[4096], *buf = NULL;
    size_t len = 0;
    if (cx_lf_read(path, CX_LTHEME_FILE, "learned themes", file, sizeof file, &buf, &len, err, errlen) < 0) return NULL;
    cx_ltheme *m = cx_calloc(1, sizeof *m);
    if (!m) {
        cx_free(buf);
        oom(err, errlen);
        return NULL;
    }
    if (!(m->info.path = cx_arena_strndup(&m->arena, file, strlen(file)))) {
        cx_free(buf);
        oom(err, errlen);
        cx_ltheme_destroy(&m);
        return NULL;
    }
    lctx c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.path = m->info.path;
    c.cur = -1;
    int rc = parse(&c, buf, len, err, errlen);
    cx_free(buf);
    if (rc < 0) {
        cx_ltheme_destroy(&m);
        return NULL;
    }
    m->info.n_labels = m->n_labels;
    m->info.n_weights = m->n_ent;
    m->info.n_terms = m->n_terms;
    char lang_list[32 * 9 + 2] = "";
    size_t ll = 0;
    if (m->any_lang) snprintf(lang_list, sizeof lang_list, "*");
    for (int i = 0; i < m->n_langs; i++)
        ll += (size_t)snprintf(lang_list + ll, sizeof lang_list - ll, "%s%s", i ? " " : "", m->langs[i]);
    if (!(m->info.langs = cx_arena_strndup(&m->arena, lang_list, strlen(lang_list)))) {
        oom(err, errlen);
        cx_ltheme_destroy(&m);
        return NULL;
    }
    return m;
}

void cx_ltheme_destroy(cx_ltheme **mp) {
    if (!mp || !*mp) return;
    cx_ltheme *m = *mp;
    cx_free(m->labels);
    cx_free(m->terms);
    cx_free(m->slots);
    cx_free(m->ent);
    cx_arena_free(&m->arena);
    cx_free(m);
    *mp = NULL;
}

void cx_ltheme_get_info(const cx_ltheme *m, cx_ltheme_info *out) { *out = m->info; }

const char *cx_ltheme_label(const cx_ltheme *m, size_t i) { return i < m->n_labels ? m->labels[i].name : NULL; }
double cx_ltheme_bias(const cx_ltheme *m, size_t i) { return i < m->n_labels ? m->labels[i].bias : 0; }

double cx_ltheme_threshold(const cx_ltheme *m, size_t i) {
    if (i >= m->n_labels) return 0;
    return m->labels[i].thr >= 0 ? m->labels[i].thr : m->info.threshold;
}

double cx_ltheme_weight(const cx_ltheme *m, size_t i, const char *term, int *found) {
    size_t len = strlen(term);
    long t = find(m, term, len, cx_lex_strhash(term, len));
    if (t >= 0)
        for (uint32_t e = m->terms[t].first; e; e = m->ent[e - 1].next)
            if (m->ent[e - 1].label == i) {
                if (found) *found = 1;
                return m->ent[e - 1].w;
            }
    if (found) *found = 0;
    return 0;
}

int cx_ltheme_covers(const cx_ltheme *m, const char *lang) {
    if (m->any_lang) return 1;
    size_t cl = strcspn(lang, "-_");
    for (int i = 0; i < m->n_langs; i++)
        if (strlen(m->langs[i]) == cl && !strncmp(m->langs[i], lang, cl)) return 1;
    return 0;
}

/* ---- scoring ---- */

typedef struct hit {
    uint32_t idx, sent;
} hit;

typedef struct sctx {
    const cx_ltheme *m;
    hit *h;
    uint32_t n, cap;
} sctx;

static int collect(void *vc, const char *term, size_t len, uint32_t sent) {
    sctx *c = vc;
    long i = find(c->m, term, len, cx_lex_strhash(term, len));
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

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The model's hits in env (term, sentence) into *h and the distinct terms
 * into *u; returns how many distinct terms, -1 when out of memory. */
static long gather(const cx_ltheme *m, cx_env *env, sctx *c, uint32_t **u) {
    c->m = m;
    c->n = 0;
    c->cap = 4 * (env->tokens ? env->n_tokens : 0) + 8;
    if (!(c->h = cx_env_alloc(env, c->cap * sizeof *c->h))) return -1;
    cx_learned_features(env, m->info.feats, collect, c);
    if (!(*u = cx_env_alloc(env, (c->n ? c->n : 1) * sizeof **u))) return -1;
    for (uint32_t k = 0; k < c->n; k++) (*u)[k] = c->h[k].idx;
    qsort(*u, c->n, sizeof **u, cmp_u32);
    uint32_t nu = 0;
    for (uint32_t k = 0; k < c->n; k++)
        if (k == 0 || (*u)[k] != (*u)[k - 1]) (*u)[nu++] = (*u)[k];
    return nu;
}

static void probabilities(const cx_ltheme *m, const uint32_t *u, uint32_t nu, double *p) {
    uint32_t L = m->n_labels;
    for (uint32_t l = 0; l < L; l++) p[l] = m->labels[l].bias;
    for (uint32_t k = 0; k < nu; k++)
        for (uint32_t e = m->terms[u[k]].first; e; e = m->ent[e - 1].next) p[m->ent[e - 1].label] += m->ent[e - 1].w;
    if (m->info.model == CX_LTHEME_SOFTMAX) {
        double mx = p[0], z = 0;
        for (uint32_t l = 1; l < L; l++) mx = p[l] > mx ? p[l] : mx;
        for (uint32_t l = 0; l < L; l++) z += (p[l] = exp(p[l] - mx));
        for (uint32_t l = 0; l < L; l++) p[l] /= z;
    } else {
        for (uint32_t l = 0; l < L; l++) p[l] = p[l] >= 0 ? 1 / (1 + exp(-p[l])) : exp(p[l]) / (1 + exp(p[l]));
    }
}

int cx_ltheme_scores(const cx_ltheme *m, cx_env *env, double *prob) {
    sctx c;
    uint32_t *u;
    long nu = gather(m, env, &c, &u);
    if (nu < 0) return -1;
    probabilities(m, u, (uint32_t)nu, prob);
    return (int)nu;
}

size_t cx_ltheme_decide(const cx_ltheme *m, const double *p, uint32_t *out) {
    uint32_t L = m->n_labels, best = 0;
    for (uint32_t l = 1; l < L; l++)
        if (p[l] > p[best]) best = l;
    if (m->info.decision == CX_LTHEME_TOP1) {
        out[0] = best;
        return 1;
    }
    size_t k = 0;
    for (uint32_t l = 0; l < L; l++) {
        if (!(p[l] >= cx_ltheme_threshold(m, l))) continue;
        size_t j = k++; /* insertion by probability, descending (ties: file order) */
        while (j > 0 && p[out[j - 1]] < p[l]) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = l;
    }
    if (!k && m->info.at_least_one) out[k++] = best;
    return k;
}

/* The sentence whose own terms add the most to label l's score (ties: the
 * first); -1 when no sentence has a positive sum. */
static long best_sentence(const cx_ltheme *m, sctx *c, uint32_t l) {
    long best = -1;
    double bs = 0, cur = 0;
    for (uint32_t k = 0; k <= c->n; k++) {
        if (k == c->n || (k > 0 && c->h[k].sent != c->h[k - 1].sent)) {
            if (cur > bs) {
                bs = cur;
                best = c->h[k - 1].sent;
            }
            cur = 0;
            if (k == c->n) break;
        }
        if (k > 0 && !cmp_hit(&c->h[k], &c->h[k - 1])) continue;
        for (uint32_t e = m->terms[c->h[k].idx].first; e; e = m->ent[e - 1].next)
            if (m->ent[e - 1].label == l) cur += m->ent[e - 1].w;
    }
    return best;
}

int cx_ltheme_apply(const cx_ltheme *m, cx_env *env, int explain, char *err, size_t errlen) {
    if (!cx_ltheme_covers(m, env->lang)) return 0;
    sctx c;
    uint32_t *u, *chosen;
    long nu = gather(m, env, &c, &u);
    if (nu < 0) goto oom;
    if (nu == 0) return 0; /* no evidence: no learned label */
    double *p = cx_env_alloc(env, m->n_labels * sizeof *p);
    if (!p || !(chosen = cx_env_alloc(env, m->n_labels * sizeof *chosen))) goto oom;
    probabilities(m, u, (uint32_t)nu, p);
    size_t k = cx_ltheme_decide(m, p, chosen);
    if (!k) return 0;
    cx_theme_hit *th = cx_env_alloc(env, (env->n_themes + k) * sizeof *th);
    if (!th) goto oom;
    if (env->n_themes) memcpy(th, env->themes, env->n_themes * sizeof *th);
    qsort(c.h, c.n, sizeof *c.h, cmp_hit);
    for (size_t i = 0; i < k; i++) {
        cx_theme_hit *h = &th[env->n_themes + i];
        /* a copy: a reload may replace the model before the record is sent on */
        if (!(h->id = cx_env_strdup(env, m->labels[chosen[i]].id))) goto oom;
        h->weight = (float)p[chosen[i]];
        long s = env->n_sents > 1 && env->sent_scores ? best_sentence(m, &c, chosen[i]) : -1;
        h->sentiment = s >= 0 && (uint32_t)s < env->n_sents ? env->sent_scores[s] : env->sentiment;
    }
    env->themes = th;
    env->n_themes += (uint32_t)k;
    if (explain) {
        char x[600];
        size_t len = (size_t)snprintf(x, sizeof x, "%slearned themes:", env->explain ? " | " : "");
        for (size_t i = 0; i < k && len < sizeof x; i++)
            len += (size_t)snprintf(x + len, sizeof x - len, "%s %.60s %.2f", i ? "," : "", m->labels[chosen[i]].name,
                                    p[chosen[i]]);
        if (len >= sizeof x) len = sizeof x - 1;
        size_t el = env->explain ? strlen(env->explain) : 0;
        char *ne = cx_env_alloc(env, el + len + 1);
        if (!ne) goto oom;
        if (el) memcpy(ne, env->explain, el);
        memcpy(ne + el, x, len);
        ne[el + len] = '\0';
        env->explain = ne;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}
