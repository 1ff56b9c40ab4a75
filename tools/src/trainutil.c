/* trainutil.c - what cxflow-train's sentiment (train.c) and themes
 * (train_themes.c) trainers share; trainutil.h. */
#include "trainutil.h"
#include "cx_alloc.h"
#include "cx_lexmap.h"
#include "cx_tag_learned.h"
#include "cx_util.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int tu_quiet;

void tu_vsay(const char *fmt, va_list ap) {
    fputs("cxflow-train: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void tu_progress(const char *fmt, ...) {
    if (tu_quiet) return;
    va_list ap;
    va_start(ap, fmt);
    tu_vsay(fmt, ap);
    va_end(ap);
}

int tu_fail(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tu_vsay(fmt, ap);
    va_end(ap);
    return code;
}

double tu_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the term dictionary ---- */

void tu_dict_free(tu_dict *d) {
    for (uint32_t i = 0; i < d->n; i++) cx_free(d->s[i]);
    cx_free(d->s);
    cx_free(d->h);
    cx_free(d->df);
    cx_free(d->last);
    cx_free(d->slots);
    memset(d, 0, sizeof *d);
}

static int dict_rehash(tu_dict *d, uint32_t ns) {
    uint32_t *sl = cx_calloc(ns, sizeof *sl);
    if (!sl) return -1;
    for (uint32_t k = 0; k < d->n; k++) {
        uint32_t i = (uint32_t)d->h[k] & (ns - 1);
        while (sl[i]) i = (i + 1) & (ns - 1);
        sl[i] = k + 1;
    }
    cx_free(d->slots);
    d->slots = sl;
    d->nslots = ns;
    return 0;
}

long tu_dict_id(tu_dict *d, const char *term, size_t len) {
    uint64_t h = cx_lex_strhash(term, len);
    if (d->nslots)
        for (uint32_t i = (uint32_t)h & (d->nslots - 1); d->slots[i]; i = (i + 1) & (d->nslots - 1)) {
            uint32_t k = d->slots[i] - 1;
            if (d->h[k] == h && !strcmp(d->s[k], term)) return k;
        }
    if (d->n == d->cap) {
        uint32_t nc = d->cap ? d->cap * 2 : 4096;
        char **s = cx_realloc(d->s, nc * sizeof *s);
        if (s) d->s = s;
        uint64_t *hh = cx_realloc(d->h, nc * sizeof *hh);
        if (hh) d->h = hh;
        uint32_t *df = cx_realloc(d->df, nc * sizeof *df);
        if (df) d->df = df;
        uint32_t *last = cx_realloc(d->last, nc * sizeof *last);
        if (last) d->last = last;
        if (!s || !hh || !df || !last) return -1;
        d->cap = nc;
    }
    if ((d->n + 1) * 2 > d->nslots && dict_rehash(d, d->nslots ? d->nslots * 2 : 8192) < 0) return -1;
    if (!(d->s[d->n] = cx_strndup(term, len))) return -1;
    d->h[d->n] = h;
    d->df[d->n] = 0;
    d->last[d->n] = 0;
    uint32_t i = (uint32_t)h & (d->nslots - 1);
    while (d->slots[i]) i = (i + 1) & (d->nslots - 1);
    d->slots[i] = ++d->n;
    return d->n - 1;
}

int tu_keep_min_count(const tu_dict *dc, int min_count, uint32_t *rp, uint32_t *ci, size_t n, size_t *nnz, uint32_t *F,
                      uint32_t **remap) {
    uint32_t *r = *remap = cx_malloc((dc->n ? dc->n : 1) * sizeof *r), f = 0;
    if (!r) return -1;
    for (uint32_t j = 0; j < dc->n; j++) r[j] = dc->df[j] >= (uint32_t)min_count ? f++ : UINT32_MAX;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t b = rp[i], e = rp[i + 1];
        rp[i] = (uint32_t)w;
        for (uint32_t k = b; k < e; k++)
            if (r[ci[k]] != UINT32_MAX) ci[w++] = r[ci[k]];
    }
    rp[n] = (uint32_t)w;
    *nnz = w;
    *F = f;
    return 0;
}

/* ---- features ---- */

int tu_add_feature(void *vc, const char *term, size_t len, uint32_t sent) {
    (void)sent;
    tu_fctx *c = vc;
    long id = tu_dict_id(c->d, term, len);
    if (id < 0) { c->oom = 1; return 1; }
    if (c->d->last[id] == c->doc + 1) return 0; /* presence: once per record */
    c->d->last[id] = c->doc + 1;
    c->d->df[id]++;
    if (*c->nnz == *c->cap) {
        size_t nc = *c->cap ? *c->cap * 2 : 65536;
        uint32_t *ci = cx_realloc(*c->ci, nc * sizeof *ci);
        if (!ci) { c->oom = 1; return 1; }
        *c->ci = ci;
        *c->cap = nc;
    }
    (*c->ci)[(*c->nnz)++] = (uint32_t)id;
    return 0;
}

void tu_lang_add(tu_lang_count *langs, int *n, int max, const char *code) {
    int li = 0;
    while (li < *n && strcmp(langs[li].code, code)) li++;
    if (li == *n && *n < max) {
        snprintf(langs[*n].code, sizeof langs[*n].code, "%s", code);
        langs[(*n)++].n = 0;
    }
    if (li < *n) langs[li].n++;
}

int tu_cmp_lang(const void *a, const void *b) {
    const tu_lang_count *x = a, *y = b;
    return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->code, y->code);
}

unsigned tu_term_kind(const char *s) {
    size_t l = strlen(s);
    if (l > 1 && s[l - 1] == '~') return CX_LF_PREFIX;
    if (l > 1 && s[0] == '=') return CX_LF_WORDS;
    return 0;
}

int tu_drop_kinds(uint32_t *rp, uint32_t *ci, size_t n, size_t *nnz, uint32_t *F, const tu_dict *dc, uint32_t *remap,
                  unsigned drop) {
    uint32_t *col = cx_malloc((*F ? *F : 1) * sizeof *col), nf = 0; /* old column -> new, UINT32_MAX: dropped */
    if (!col) return -1;
    for (uint32_t k = 0; k < *F; k++) col[k] = UINT32_MAX;
    for (uint32_t j = 0; j < dc->n; j++)
        if (remap[j] != UINT32_MAX && !(tu_term_kind(dc->s[j]) & drop)) col[remap[j]] = 0;
    for (uint32_t k = 0; k < *F; k++)
        if (col[k] != UINT32_MAX) col[k] = nf++;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t b = rp[i], e = rp[i + 1];
        rp[i] = (uint32_t)w;
        for (uint32_t k = b; k < e; k++)
            if (col[ci[k]] != UINT32_MAX) ci[w++] = col[ci[k]];
    }
    rp[n] = (uint32_t)w;
    *nnz = w;
    *F = nf;
    for (uint32_t j = 0; j < dc->n; j++)
        if (remap[j] != UINT32_MAX) remap[j] = col[remap[j]];
    cx_free(col);
    return 0;
}

/* ---- L-BFGS ---- */

double tu_dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

double tu_sigm(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }

double tu_r4(double v) {
    double r = round(v * 10000) / 10000;
    return r == 0 ? 0 : r; /* no "-0.0000" */
}

int tu_lbfgs(tu_objective obj, void *ctx, size_t np, double *x, const tu_lbfgs_opts *o, int *converged, double *fout) {
    size_t M = o->m;
    double *buf = cx_malloc((4 + 2 * M) * np * sizeof *buf);
    if (!buf) return -1;
    double *g = buf, *d = buf + np, *xn = buf + 2 * np, *gn = buf + 3 * np;
    double *S = buf + 4 * np, *Y = S + M * np, rho[TU_LBFGS_MAX_M], alpha[TU_LBFGS_MAX_M];
    size_t nm = 0, head = 0;
    double f = obj(ctx, x, g);
    int it = 0, slow = 0;
    *converged = 0;
    for (; it < o->maxit; it++) {
        memcpy(d, g, np * sizeof *d); /* two-loop recursion: d = -H g */
        for (size_t k = 0; k < nm; k++) {
            size_t j = (head + M - 1 - k) % M;
            alpha[j] = rho[j] * tu_dot(S + j * np, d, np);
            double a = alpha[j], *yj = Y + j * np;
            for (size_t i = 0; i < np; i++) d[i] -= a * yj[i];
        }
        double gamma = 1;
        if (nm) {
            size_t j = (head + M - 1) % M;
            gamma = tu_dot(S + j * np, Y + j * np, np) / tu_dot(Y + j * np, Y + j * np, np);
        }
        for (size_t i = 0; i < np; i++) d[i] *= gamma;
        for (size_t k = nm; k-- > 0;) {
            size_t j = (head + M - 1 - k) % M;
            double b = rho[j] * tu_dot(Y + j * np, d, np), c = alpha[j] - b, *sj = S + j * np;
            for (size_t i = 0; i < np; i++) d[i] += sj[i] * c;
        }
        for (size_t i = 0; i < np; i++) d[i] = -d[i];
        double gd = tu_dot(g, d, np);
        if (!(gd < 0)) { /* not a descent direction: restart from the gradient */
            for (size_t i = 0; i < np; i++) d[i] = -g[i];
            gd = -tu_dot(g, g, np);
            nm = 0;
        }
        double step = nm ? 1 : 1 / sqrt(-gd > 1 ? -gd : 1), fn = f;
        int ok = 0;
        for (int ls = 0; ls < 40; ls++) {
            for (size_t i = 0; i < np; i++) xn[i] = x[i] + step * d[i];
            fn = obj(ctx, xn, gn);
            if (isfinite(fn) && fn <= f + 1e-4 * step * gd) { ok = 1; break; }
            step *= 0.5;
        }
        if (!ok) { *converged = 1; break; } /* no progress possible along d */
        double *sj = S + head * np, *yj = Y + head * np;
        for (size_t i = 0; i < np; i++) {
            sj[i] = xn[i] - x[i];
            yj[i] = gn[i] - g[i];
        }
        double sy = tu_dot(sj, yj, np);
        if (sy > 1e-12) {
            rho[head] = 1 / sy;
            head = (head + 1) % M;
            if (nm < M) nm++;
        }
        double drop = f - fn;
        memcpy(x, xn, np * sizeof *x);
        memcpy(g, gn, np * sizeof *g);
        f = fn;
        double gmax = 0;
        if (o->gtol > 0)
            for (size_t i = 0; i < np; i++) gmax = fabs(g[i]) > gmax ? fabs(g[i]) : gmax;
        slow = drop < o->tol * (fabs(f) > 1 ? fabs(f) : 1) ? slow + 1 : 0;
        if ((o->gtol > 0 && gmax < o->gtol) || slow >= o->nslow) {
            *converged = 1;
            it++;
            break;
        }
    }
    if (fout) *fout = f;
    cx_free(buf);
    return it;
}

/* ---- the command ---- */

int tu_check_out_dir(const char *dir, const char *file, char *err, size_t n) {
    if (cx_mkdirs(dir, 0) < 0) {
        snprintf(err, n, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.%s.probe", dir, file);
    FILE *f = fopen(probe, "w");
    if (!f) {
        snprintf(err, n, "cannot write into %s: %s", dir, strerror(errno));
        return -1;
    }
    fclose(f);
    unlink(probe);
    return 0;
}

int tu_parse_int(const char *s, int lo, int hi, int *v) {
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (!*s || *end || errno || x < lo || x > hi) return -1;
    *v = (int)x;
    return 0;
}

void tu_common_init(tu_common *c) {
    memset(c, 0, sizeof *c);
    c->l2 = -1;
    c->epochs = 300;
    c->min_count = 2;
    c->feats = CX_LF_DEFAULT;
    c->feats_auto = 1;
}

int tu_common_opt(tu_common *c, int argc, char **argv, int *ip) {
    int i = *ip;
    const char *s = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    char err[512];
    if (!strcmp(s, "-h") || !strcmp(s, "--help")) return TU_OPT_HELP;
    else if (!strcmp(s, "--quiet")) c->quiet = 1;
    else if (!strcmp(s, "--detect")) c->detect = 1;
    else if (s[0] != '-' && !c->file) c->file = s;
    else if (!v) return -tu_fail(2, "%s needs a value (see --help)", s);
    else if (!strcmp(s, "-o") || !strcmp(s, "--output")) c->out = argv[++i];
    else if (!strcmp(s, "-c")) c->conf_path = argv[++i];
    else if (!strcmp(s, "--set") && c->nover < 64) c->over[c->nover++] = argv[++i];
    else if (!strcmp(s, "--lang")) c->lang = argv[++i];
    else if (!strcmp(s, "--lexicon") || !strcmp(s, "--lexicons")) c->lexicons = argv[++i];
    else if (!strcmp(s, "--half")) {
        if (tu_parse_int(argv[++i], 1, 2, &c->half) < 0)
            return -tu_fail(2, "--half is 1 (even records) or 2 (odd records)");
    } else if (!strcmp(s, "--l2")) {
        const char *x = argv[++i];
        char *end;
        if (!strcmp(x, "auto")) c->l2 = -1;
        else if ((c->l2 = strtod(x, &end)), *end || !(c->l2 >= 0) || c->l2 > 1e6)
            return -tu_fail(2, "--l2 is a number from 0 to 1e6, or auto");
    } else if (!strcmp(s, "--epochs")) {
        if (tu_parse_int(argv[++i], 1, 100000, &c->epochs) < 0) return -tu_fail(2, "--epochs is an integer 1..100000");
    } else if (!strcmp(s, "--min-count")) {
        if (tu_parse_int(argv[++i], 1, 1000000, &c->min_count) < 0)
            return -tu_fail(2, "--min-count is an integer >= 1");
    } else if (!strcmp(s, "--features")) {
        const char *fv = argv[++i];
        if (!strcmp(fv, "auto")) c->feats_auto = 1, c->feats = CX_LF_DEFAULT;
        else if (cx_learned_features_parse(fv, &c->feats, err, sizeof err) < 0) return -tu_fail(2, "--features: %s", err);
        else c->feats_auto = 0;
    } else
        return TU_OPT_OTHER;
    *ip = i;
    return TU_OPT_DONE;
}

cx_conf *tu_common_conf(const tu_common *c) {
    char err[512];
    cx_conf *conf = cx_conf_load(c->conf_path, err, sizeof err);
    if (!conf) {
        tu_fail(2, "%s", err);
        return NULL;
    }
    for (int i = 0; i < c->nover; i++) {
        if (cx_conf_set_kv(conf, c->over[i], err, sizeof err) < 0) {
            cx_conf_destroy(&conf);
            tu_fail(2, "--set: %s", err);
            return NULL;
        }
    }
    return conf;
}
