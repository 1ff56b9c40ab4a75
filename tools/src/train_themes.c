/* train_themes.c - `cxflow-train themes`: learn a theme/intent model from
 * feedback labelled with "label_theme" and write it as the plain-text
 * weighted lexicon DIR/themes.tsv that the tag stage loads next to the
 * authored taxonomy (themes.learned = DIR; stages/tag/cx_tag_ltheme.h,
 * docs/LEXICONS.md "Learned themes").
 *
 *   cxflow-train themes FILE.jsonl -o DIR [--half 1|2 | --holdout PCT] [--where key=value]...
 *                [--model auto|softmax|one-vs-rest] [--thresholds global|label] [--l2 X|auto]
 *                [--features LIST|auto] [--min-count N] [--prune X] [--epochs N] [--lang L] [--detect]
 *
 * Records are read by lb_read_themes (tools/src/labelled.c: the same
 * reading, --where filter and --half / --holdout split as `cxflow-eval
 * themes`), analysed by the tokenize stage's analysis, and described by
 * the learned lexicons' features (cx_learned_features: stems, stem bigrams,
 * emoji, optionally "first5~" prefixes), each present or not.  The model is
 * linear, one weight per (label, term) plus a bias per label:
 *
 *   one logistic regression per label (one-vs-rest; the default), decided
 *     top-1 on single-label data (every label_theme a string) and by
 *     probability thresholds on multi-label data (lists);
 *   or, with --model softmax, softmax regression (single-label data, top-1);
 *
 * fitted by L-BFGS (batch, deterministic: no random order, no seed) on the
 * negative log-likelihood + l2/2 x |W|^2 (biases not penalised).  --l2 auto
 * picks l2 by 5-fold cross-validation on the training records (record i in
 * fold i mod 5; the grid from the largest l2 down, each fit starting from the
 * previous one), by accuracy (single-label) or micro-F1 (multi-label, at the
 * best global threshold); --features auto runs it with and without the
 * prefix terms.  The thresholds (global, or per label for labels with
 * enough examples) and whether a record always gets its best label
 * (at-least-one) come from the same out-of-fold probabilities.
 *
 * Exit 0; 1 on a failure (unwritable DIR, out of memory); 2 on bad usage or
 * unusable data (a bad JSON line, no labels, one label only). */
#include "train_themes.h"
#include "cx_alloc.h"
#include "cx_conf.h"
#include "cx_env.h"
#include "cx_lexmap.h"
#include "cx_tag_learned.h"
#include "cx_tag_ltheme.h"
#include "cx_text.h"
#include "cx_util.h"
#include "labelled.h"
#include "trainutil.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TT_FOLDS 5
#define TT_LBFGS_M 7
#define TT_MIN_LABEL_THR 20     /* positives a label needs for a threshold of its own */

/* l2 grid, from the strongest penalty down (warm starts follow it) */
static const double l2_grid[] = {8, 2, 0.5, 0.125, 0.03125};
#define N_GRID (sizeof l2_grid / sizeof l2_grid[0])

typedef struct tt_args {
    tu_common c;            /* file, out, half, l2 (< 0: auto), feats, ... */
    const char *where[LB_MAX_WHERE];
    int n_where;
    int holdout;
    int model;              /* -1 auto, CX_LTHEME_SOFTMAX, CX_LTHEME_OVR */
    int thr_label;          /* 1: per-label thresholds where a label has enough examples; 0: one global; -1 auto */
    double prune;           /* weights with |w| below are not written */
    cx_conf *conf;
} tt_args;

/* ---- the training data: sparse binary rows, labels per record ---- */

typedef struct mdata {
    size_t n;               /* records */
    uint32_t *rp, *ci;      /* rows: term columns of record i in ci[rp[i] .. rp[i+1]) */
    size_t nnz, cap;
    uint32_t *yo, *yi;      /* labels of record i: yi[yo[i] .. yo[i+1]), ascending */
    uint32_t F, L;          /* term columns, labels */
    int ovr;                /* one-vs-rest (sigmoid per label); else softmax */
    double *s, *r;          /* scratch: L scores, L residuals */
} mdata;

/* ---- the model: parameters W (F x L, row-major by term) then b (L) ---- */

static size_t n_params(const mdata *m) { return ((size_t)m->F + 1) * m->L; }

/* Scores of record i into s. */
static void scores(const mdata *m, const double *x, size_t i, double *s) {
    uint32_t L = m->L;
    memcpy(s, x + (size_t)m->F * L, L * sizeof *s);
    for (uint32_t k = m->rp[i]; k < m->rp[i + 1]; k++) {
        const double *w = x + (size_t)m->ci[k] * L;
        for (uint32_t l = 0; l < L; l++) s[l] += w[l];
    }
}

/* Probabilities of record i into p (softmax or sigmoids). */
static void probs(const mdata *m, const double *x, size_t i, double *p) {
    scores(m, x, i, p);
    uint32_t L = m->L;
    if (m->ovr) {
        for (uint32_t l = 0; l < L; l++) p[l] = tu_sigm(p[l]);
        return;
    }
    double mx = p[0], z = 0;
    for (uint32_t l = 1; l < L; l++) mx = p[l] > mx ? p[l] : mx;
    for (uint32_t l = 0; l < L; l++) z += (p[l] = exp(p[l] - mx));
    for (uint32_t l = 0; l < L; l++) p[l] /= z;
}

/* Negative log-likelihood of the records with i mod 5 != skip (skip < 0:
 * all) plus the penalty; the gradient into g. */
static double objective(mdata *m, const double *x, double *g, double l2, int skip) {
    size_t np = n_params(m);
    uint32_t L = m->L;
    memset(g, 0, np * sizeof *g);
    double f = 0, *s = m->s, *r = m->r, *gb = g + (size_t)m->F * L;
    for (size_t i = 0; i < m->n; i++) {
        if (skip >= 0 && (int)(i % TT_FOLDS) == skip) continue;
        scores(m, x, i, s);
        const uint32_t *y = m->yi + m->yo[i], ny = m->yo[i + 1] - m->yo[i];
        if (m->ovr) {
            uint32_t q = 0;
            for (uint32_t l = 0; l < L; l++) {
                int pos = q < ny && y[q] == l;
                q += pos;
                double e = exp(-fabs(s[l])); /* one exp for both: softplus(s) and sigmoid(s) */
                f += (s[l] > 0 ? s[l] : 0) + log1p(e) - (pos ? s[l] : 0);
                r[l] = (s[l] >= 0 ? 1 / (1 + e) : e / (1 + e)) - pos;
            }
        } else {
            double mx = s[0], z = 0;
            for (uint32_t l = 1; l < L; l++) mx = s[l] > mx ? s[l] : mx;
            for (uint32_t l = 0; l < L; l++) z += (r[l] = exp(s[l] - mx));
            f += mx + log(z) - s[y[0]];
            for (uint32_t l = 0; l < L; l++) r[l] /= z;
            r[y[0]] -= 1;
        }
        for (uint32_t k = m->rp[i]; k < m->rp[i + 1]; k++) {
            double *gw = g + (size_t)m->ci[k] * L;
            for (uint32_t l = 0; l < L; l++) gw[l] += r[l];
        }
        for (uint32_t l = 0; l < L; l++) gb[l] += r[l];
    }
    size_t nw = (size_t)m->F * L;
    double pen = 0;
    for (size_t j = 0; j < nw; j++) {
        pen += x[j] * x[j];
        g[j] += l2 * x[j];
    }
    return f + 0.5 * l2 * pen;
}

/* Zero weights, biases at the log of each label's share (+1 smoothing) of
 * the records with i mod 5 != skip (softmax), or its log-odds (one-vs-rest). */
static void init_params(const mdata *m, double *x, int skip) {
    memset(x, 0, n_params(m) * sizeof *x);
    double *b = x + (size_t)m->F * m->L, all = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (skip >= 0 && (int)(i % TT_FOLDS) == skip) continue;
        all++;
        for (uint32_t k = m->yo[i]; k < m->yo[i + 1]; k++) b[m->yi[k]]++;
    }
    for (uint32_t l = 0; l < m->L; l++) {
        double p = (b[l] + 1) / (all + 2);
        b[l] = m->ovr ? log(p / (1 - p)) : log(p);
    }
}

/* L-BFGS (tu_lbfgs) on the objective of the records with i mod 5 != skip;
 * converged: two iterations in a row that gain less than tol of the objective. */
typedef struct objctx {
    mdata *m;
    double l2;
    int skip;
} objctx;

static double objective_cb(void *ctx, const double *x, double *g) {
    const objctx *c = ctx;
    return objective(c->m, x, g, c->l2, c->skip);
}

static int lbfgs(mdata *m, double *x, double l2, int skip, int maxit, double tol, int *converged, double *fout) {
    objctx c = {m, l2, skip};
    tu_lbfgs_opts o = {TT_LBFGS_M, maxit, 0, tol, 2};
    return tu_lbfgs(objective_cb, &c, n_params(m), x, &o, converged, fout);
}

/* ---- predictions and scores ---- */

/* Per-label counts of a set of predictions. */
typedef struct counts {
    size_t *tp, *fp, *fn;
    size_t exact, n;
} counts;

static double f1(size_t tp, size_t fp, size_t fn) { return tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0; }

/* The labels decided for probabilities p (n = L): top-1, or those reaching
 * their threshold (thr[l], or the global one when thr is NULL) with the best
 * one when none does and at_least_one. */
static size_t decide(const double *p, uint32_t L, int top1, const double *thr, double gthr, int at_least_one,
                     uint32_t *out) {
    uint32_t best = 0;
    for (uint32_t l = 1; l < L; l++)
        if (p[l] > p[best]) best = l;
    if (top1) {
        out[0] = best;
        return 1;
    }
    size_t k = 0;
    for (uint32_t l = 0; l < L; l++)
        if (p[l] >= (thr ? thr[l] : gthr)) out[k++] = l;
    if (!k && at_least_one) out[k++] = best;
    return k;
}

/* Count the decided labels pred (np of them) of record i against its gold. */
static void count_record(const mdata *m, size_t i, const uint32_t *pred, size_t npred, counts *c) {
    const uint32_t *y = m->yi + m->yo[i];
    uint32_t ny = m->yo[i + 1] - m->yo[i];
    size_t hit = 0;
    for (size_t k = 0; k < npred; k++) {
        int in = 0;
        for (uint32_t q = 0; q < ny && !in; q++) in = y[q] == pred[k];
        if (in) { c->tp[pred[k]]++; hit++; }
        else c->fp[pred[k]]++;
    }
    for (uint32_t q = 0; q < ny; q++) {
        int in = 0;
        for (size_t k = 0; k < npred && !in; k++) in = pred[k] == y[q];
        if (!in) c->fn[y[q]]++;
    }
    c->exact += hit == ny && npred == ny;
    c->n++;
}

static void summarise(const counts *c, uint32_t L, double *acc, double *micro, double *macro) {
    size_t tp = 0, fp = 0, fn = 0;
    double sum = 0;
    int nl = 0;
    for (uint32_t l = 0; l < L; l++) {
        tp += c->tp[l];
        fp += c->fp[l];
        fn += c->fn[l];
        if (c->tp[l] + c->fn[l]) { /* labels with gold examples */
            sum += f1(c->tp[l], c->fp[l], c->fn[l]);
            nl++;
        }
    }
    if (acc) *acc = c->n ? (double)c->exact / (double)c->n : 0;
    if (micro) *micro = f1(tp, fp, fn);
    if (macro) *macro = nl ? sum / nl : 0;
}

static int counts_new(counts *c, uint32_t L) {
    memset(c, 0, sizeof *c);
    c->tp = cx_calloc(L, sizeof *c->tp);
    c->fp = cx_calloc(L, sizeof *c->fp);
    c->fn = cx_calloc(L, sizeof *c->fn);
    return c->tp && c->fp && c->fn ? 0 : -1;
}
static void counts_reset(counts *c, uint32_t L) {
    memset(c->tp, 0, L * sizeof *c->tp);
    memset(c->fp, 0, L * sizeof *c->fp);
    memset(c->fn, 0, L * sizeof *c->fn);
    c->exact = c->n = 0;
}
static void counts_free(counts *c) {
    cx_free(c->tp);
    cx_free(c->fp);
    cx_free(c->fn);
}

/* The best global threshold (and at-least-one) for out-of-fold
 * probabilities P (n x L floats) by micro-F1.  Candidates 0.05 .. 0.95. */
static double best_global(const mdata *m, const float *P, int skip, counts *c, uint32_t *pred, double *pb,
                          double *thr, int *alo) {
    double best = -1;
    *thr = 0.5; /* kept only if every micro-F1 were NaN */
    *alo = 0;
    for (int a = 0; a <= 1; a++)
        for (int t = 2; t <= 38; t++) {
            double th = t * 0.025;
            counts_reset(c, m->L);
            for (size_t i = 0; i < m->n; i++) {
                if (skip >= 0 && (int)(i % TT_FOLDS) == skip) continue;
                for (uint32_t l = 0; l < m->L; l++) pb[l] = P[i * m->L + l];
                size_t k = decide(pb, m->L, 0, NULL, th, a, pred);
                count_record(m, i, pred, k, c);
            }
            double mi;
            summarise(c, m->L, NULL, &mi, NULL);
            if (mi > best + 1e-12) {
                best = mi;
                *thr = th;
                *alo = a;
            }
        }
    return best;
}

/* ---- cross-validation ---- */

typedef struct cvres {
    double l2, metric;      /* chosen l2 and its pooled metric (accuracy or micro-F1) */
    double thr;             /* multi-label: best global threshold */
    int alo;                /* multi-label: at-least-one */
    float *P;               /* multi-label: out-of-fold probabilities at the chosen l2 (n x L), caller frees */
    char report[512];
} cvres;

/* Cross-validate the l2 grid on m: 5 folds, each walking the grid from the
 * largest l2 down with warm starts.  Single-label: pooled top-1 accuracy;
 * multi-label: pooled micro-F1 at the best global threshold.  Ties: the
 * larger l2.  0 / -1 (out of memory). */
static int cross_validate(mdata *m, const double *grid, size_t ngrid, int maxit, cvres *res) {
    size_t np = n_params(m), n = m->n;
    uint32_t L = m->L;
    double *x = cx_malloc(np * sizeof *x), *pb = cx_malloc(L * sizeof *pb);
    uint32_t *pred = cx_malloc((L ? L : 1) * sizeof *pred);
    float *P = cx_malloc(ngrid * n * L * sizeof *P); /* out-of-fold probabilities per grid value */
    counts c;
    memset(&c, 0, sizeof c);
    int rc = -1;
    if (!x || !pb || !pred || !P || counts_new(&c, L) < 0) goto out;
    double t0 = tu_now_s();
    for (int fold = 0; fold < TT_FOLDS; fold++) {
        init_params(m, x, fold);
        for (size_t gi = 0; gi < ngrid; gi++) {
            int conv;
            if (lbfgs(m, x, grid[gi], fold, maxit, 1e-5, &conv, NULL) < 0) goto out;
            for (size_t i = (size_t)fold; i < n; i += TT_FOLDS) {
                probs(m, x, i, pb);
                for (uint32_t l = 0; l < L; l++) P[(gi * n + i) * L + l] = (float)pb[l];
            }
        }
        tu_progress("cross-validation: fold %d of %d done (%.1f s)", fold + 1, TT_FOLDS, tu_now_s() - t0);
    }
    size_t rl = 0, bgi = 0;
    res->metric = -1;
    res->report[0] = '\0';
    for (size_t gi = 0; gi < ngrid; gi++) {
        const float *Pg = P + gi * n * L;
        double metric, thr = 0.5;
        int alo = 0;
        if (!m->ovr || m->yo[n] == n) { /* top-1 accuracy */
            size_t ok = 0;
            for (size_t i = 0; i < n; i++) {
                uint32_t best = 0;
                for (uint32_t l = 1; l < L; l++)
                    if (Pg[i * L + l] > Pg[i * L + best]) best = l;
                ok += m->yo[i + 1] > m->yo[i] && m->yi[m->yo[i]] == best;
            }
            metric = (double)ok / (double)n;
        } else {
            metric = best_global(m, Pg, -1, &c, pred, pb, &thr, &alo);
        }
        tu_progress("cross-validation l2=%g: %s %.4f", grid[gi], m->ovr && m->yo[n] != n ? "micro-F1" : "accuracy",
                 metric);
        if (rl < sizeof res->report)
            rl += (size_t)snprintf(res->report + rl, sizeof res->report - rl, " %g=%.4f", grid[gi], metric);
        if (metric > res->metric + 1e-12) {
            res->metric = metric;
            res->l2 = grid[gi];
            res->thr = thr;
            res->alo = alo;
            bgi = gi;
        }
    }
    res->P = NULL;
    if (m->ovr) {
        if (!(res->P = cx_malloc(n * L * sizeof *res->P))) goto out;
        memcpy(res->P, P + bgi * n * L, n * L * sizeof *res->P);
    }
    rc = 0;
out:
    counts_free(&c);
    cx_free(x);
    cx_free(pb);
    cx_free(pred);
    cx_free(P);
    return rc;
}

/* Per-label thresholds from out-of-fold probabilities: for a label with at
 * least TT_MIN_LABEL_THR positive records, the threshold 0.05..0.95 with the
 * best F1 of that label; the others keep the global one. */
static void label_thresholds(const mdata *m, const float *P, int skip, double gthr, double *thr, int *own) {
    uint32_t L = m->L;
    for (uint32_t l = 0; l < L; l++) {
        thr[l] = gthr;
        own[l] = 0;
        size_t pos = 0;
        for (size_t i = 0; i < m->n; i++)
            if (skip < 0 || (int)(i % TT_FOLDS) != skip)
                for (uint32_t k = m->yo[i]; k < m->yo[i + 1]; k++) pos += m->yi[k] == l;
        if (pos < TT_MIN_LABEL_THR) continue;
        double best = -1;
        for (int t = 2; t <= 38; t++) {
            double th = t * 0.025;
            size_t tp = 0, fp = 0, fn = 0;
            for (size_t i = 0; i < m->n; i++) {
                if (skip >= 0 && (int)(i % TT_FOLDS) == skip) continue;
                int gold = 0;
                for (uint32_t k = m->yo[i]; k < m->yo[i + 1]; k++) gold |= m->yi[k] == l;
                int p = P[i * L + l] >= th;
                tp += p && gold;
                fp += p && !gold;
                fn += !p && gold;
            }
            double v = f1(tp, fp, fn);
            if (v > best + 1e-12) {
                best = v;
                thr[l] = th;
            }
        }
        own[l] = 1;
    }
}

/* Global or per-label thresholds?  Each is chosen on the out-of-fold
 * probabilities of four folds and applied to the fifth; the pooled
 * micro-F1 of both into mf[0] (global) and mf[1] (per label).  0 / -1. */
static int compare_thresholds(const mdata *m, const float *P, double mf[2]) {
    uint32_t L = m->L;
    double *pb = cx_malloc(L * sizeof *pb), *thr = cx_malloc(L * sizeof *thr);
    uint32_t *pred = cx_malloc(L * sizeof *pred);
    int *own = cx_malloc(L * sizeof *own), rc = -1;
    counts c, pooled[2];
    memset(&c, 0, sizeof c);
    memset(pooled, 0, sizeof pooled);
    if (!pb || !thr || !pred || !own || counts_new(&c, L) < 0 || counts_new(&pooled[0], L) < 0 ||
        counts_new(&pooled[1], L) < 0)
        goto out;
    for (int fold = 0; fold < TT_FOLDS; fold++) {
        double g;
        int alo;
        best_global(m, P, fold, &c, pred, pb, &g, &alo);
        label_thresholds(m, P, fold, g, thr, own);
        for (int v = 0; v < 2; v++)
            for (size_t i = (size_t)fold; i < m->n; i += TT_FOLDS) {
                for (uint32_t l = 0; l < L; l++) pb[l] = P[i * L + l];
                size_t k = decide(pb, L, 0, v ? thr : NULL, g, alo, pred);
                count_record(m, i, pred, k, &pooled[v]);
            }
    }
    summarise(&pooled[0], L, NULL, &mf[0], NULL);
    summarise(&pooled[1], L, NULL, &mf[1], NULL);
    rc = 0;
out:
    counts_free(&c);
    counts_free(&pooled[0]);
    counts_free(&pooled[1]);
    cx_free(pb);
    cx_free(thr);
    cx_free(pred);
    cx_free(own);
    return rc;
}

/* ---- optional feature kinds (--features auto) ---- */

/* Remove the columns of m whose terms are of a kind in drop; remap
 * (dictionary id -> column) follows. */
static int drop_kinds(mdata *m, const tu_dict *dc, uint32_t *remap, unsigned drop) {
    return tu_drop_kinds(m->rp, m->ci, m->n, &m->nnz, &m->F, dc, remap, drop);
}

/* The columns of m and the remap, to go back to after dropping kinds. */
typedef struct colsave {
    uint32_t *ci, *rp, *remap;
    size_t nnz;
    uint32_t F;
} colsave;

static int cols_save(colsave *c, const mdata *m, const uint32_t *remap, uint32_t ndict) {
    c->ci = cx_malloc((m->nnz ? m->nnz : 1) * sizeof *c->ci);
    c->rp = cx_malloc((m->n + 1) * sizeof *c->rp);
    c->remap = cx_malloc((ndict ? ndict : 1) * sizeof *c->remap);
    if (!c->ci || !c->rp || !c->remap) return -1;
    memcpy(c->ci, m->ci, m->nnz * sizeof *c->ci);
    memcpy(c->rp, m->rp, (m->n + 1) * sizeof *c->rp);
    memcpy(c->remap, remap, ndict * sizeof *c->remap);
    c->nnz = m->nnz;
    c->F = m->F;
    return 0;
}

static void cols_restore(const colsave *c, mdata *m, uint32_t *remap, uint32_t ndict) {
    memcpy(m->ci, c->ci, c->nnz * sizeof *c->ci);
    memcpy(m->rp, c->rp, (m->n + 1) * sizeof *c->rp);
    memcpy(remap, c->remap, ndict * sizeof *c->remap);
    m->nnz = c->nnz;
    m->F = c->F;
}

static void cols_free(colsave *c) {
    cx_free(c->ci);
    cx_free(c->rp);
    cx_free(c->remap);
}

/* ---- output ---- */

typedef struct wterm {
    const char *s;
    double w;
} wterm;

static int cmp_wterm(const void *a, const void *b) {
    const wterm *x = a, *y = b;
    if (x->w != y->w) return x->w > y->w ? -1 : 1;
    return strcmp(x->s, y->s);
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: cxflow-train themes FILE.jsonl -o DIR [options]\n"
            "\n"
            "Learns a theme/intent model from labelled feedback and writes DIR/themes.tsv, a plain-text weighted\n"
            "lexicon (per label a bias and label <TAB> term <TAB> weight lines) that the tag stage loads next to\n"
            "the authored taxonomy (themes.learned = DIR): its labels appear in a record's themes as\n"
            "learned.<label>.  FILE.jsonl has one JSON object per line with \"text\", \"label_theme\" (a string;\n"
            "or a list of strings for multi-label data, [] = no theme; null: skipped) and an optional \"lang\".\n"
            "Format and reviewing: docs/LEXICONS.md \"Learned themes\"; measurements: docs/THEMES.md.\n"
            "\n"
            "  -o, --output DIR     where to write themes.tsv (created when missing; required)\n"
            "  --half 1|2           train on the even (1) or odd (2) records only (the same split as\n"
            "                       `cxflow eval themes --half`: evaluate on the other half)\n"
            "  --holdout PCT        hold back PCT%% of the records (1..90; those whose text hashes into the\n"
            "                       first PCT of 100 buckets) and train on the rest; `cxflow eval themes\n"
            "                       --holdout PCT` evaluates on exactly the held-back ones\n"
            "  --where KEY=VALUE    only records whose JSON value at KEY (a dotted path) is VALUE, e.g.\n"
            "                       --where meta.relevance=true (repeatable: all must hold)\n"
            "  --model M            auto (default): one-vs-rest (top-1 for single-label data, thresholds\n"
            "                       for lists); softmax (single-label data only) | one-vs-rest\n"
            "  --thresholds auto|global|label\n"
            "                       multi-label decision: one probability threshold for every label, or one\n"
            "                       per label with at least %d training examples (both from the out-of-fold\n"
            "                       probabilities); auto (default): whichever does better when chosen on four\n"
            "                       folds and applied to the fifth\n"
            "  --l2 X|auto          L2 penalty (default auto: 5-fold cross-validation on the training records\n"
            "                       over %g..%g; record i is in fold i mod 5)\n"
            "  --features LIST      comma-separated: stems,bigrams,emoji,negation,marks,prefix; or auto (default:\n"
            "                       stems,bigrams,emoji, plus prefix when the cross-validation prefers it)\n"
            "  --min-count N        keep terms present in at least N training records (default 2)\n"
            "  --prune X            do not write weights with |w| < X (default 0.01; 0 writes all)\n"
            "  --epochs N           at most N L-BFGS iterations per fit (default 300)\n"
            "  --lang L             force the language of every record (default: its \"lang\" as a hint)\n"
            "  --detect             ignore the records' \"lang\" and detect the language\n"
            "  --lexicon DIR        the lexicons for the text analysis (default: lexicons.dir)\n"
            "  --quiet              no progress on stderr\n"
            "  -c FILE              the configuration (analysis settings); --set key=value overrides a key\n",
            TT_MIN_LABEL_THR, l2_grid[N_GRID - 1], l2_grid[0]);
}

/* ---- the command ---- */

static int train(const tt_args *a) {
    char err[1024], lexdir[4096];
    int rc = 2;
    lb_tdata d;
    memset(&d, 0, sizeof d);
    if (lb_read_themes(a->c.file, a->where, a->n_where, &d, err, sizeof err) < 0) {
        lb_tdata_free(&d);
        return tu_fail(2, "%s", err);
    }
    size_t read = d.n;
    lb_keep_split(&d, a->c.half, a->holdout, 0);
    char split[128];
    if (a->c.half) snprintf(split, sizeof split, "half %d (%s records)", a->c.half, a->c.half == 1 ? "even" : "odd");
    else if (a->holdout)
        snprintf(split, sizeof split, "holdout %d (trained on the %d%% not held back)", a->holdout, 100 - a->holdout);
    else snprintf(split, sizeof split, "all");
    if (!d.n) {
        rc = tu_fail(2, "%s: no labelled records%s (JSON lines with a string \"text\" and a \"label_theme\" string or "
                     "list; %zu lines, %zu with a null label_theme, %zu without text, %zu left out by --where)",
                  a->c.file, read ? " in this split" : "", d.lines, d.null_label, d.no_text, d.not_where);
        lb_tdata_free(&d);
        return rc;
    }
    /* the labels present in the training records, renumbered */
    uint32_t L0 = d.n_labels, L = 0;
    size_t *lab_n = cx_calloc(L0 ? L0 : 1, sizeof *lab_n);
    uint32_t *lmap = cx_malloc((L0 ? L0 : 1) * sizeof *lmap);
    tu_dict dc;
    memset(&dc, 0, sizeof dc);
    mdata m;
    memset(&m, 0, sizeof m);
    cx_text *tx = NULL;
    double *x = NULL, *pb = NULL, *thr = NULL;
    int *own = NULL;
    uint32_t *remap = NULL, *pred = NULL;
    uint8_t *kept_col = NULL;
    wterm *wt = NULL;
    cvres cv;
    memset(&cv, 0, sizeof cv);
    counts cnt;
    memset(&cnt, 0, sizeof cnt);
    if (!lab_n || !lmap) goto oom;
    size_t empty = 0, multi_n = 0;
    for (size_t i = 0; i < d.n; i++) {
        for (uint32_t k = 0; k < d.r[i].n_lab; k++) lab_n[d.lab[d.r[i].off + k]]++;
        empty += d.r[i].n_lab == 0;
        multi_n += d.r[i].n_lab > 1;
    }
    for (uint32_t l = 0; l < L0; l++) lmap[l] = lab_n[l] ? L++ : UINT32_MAX;
    /* auto: one-vs-rest for both kinds of data.  On single-label data it beat
     * softmax in the cross-validation of the training part (banking77 0.8830
     * vs 0.8793, bitext 0.9858 vs 0.9845; docs/THEMES.md), at about 1.3x the
     * training time. */
    int ovr = a->model != CX_LTHEME_SOFTMAX;
    if (!L) {
        rc = tu_fail(2, "%s: the %zu training records have no labels (every label_theme is an empty list)", a->c.file, d.n);
        goto out;
    }
    if ((!ovr || !d.multi) && L < 2) {
        rc = tu_fail(2, "%s: the training records have only one label ('%s'); a theme model needs two or more (or "
                     "lists with empty ones, for a yes/no model of one label)", a->c.file, d.labels[0]);
        goto out;
    }
    if (ovr && L == 1 && !empty) {
        uint32_t l = 0;
        while (!lab_n[l]) l++;
        rc = tu_fail(2, "%s: every training record has the one label '%s': nothing to learn", a->c.file, d.labels[l]);
        goto out;
    }
    if (!ovr && (empty || multi_n)) {
        rc = tu_fail(2, "%s: --model softmax needs exactly one label per record (%zu records have none, %zu several); "
                     "use --model one-vs-rest", a->c.file, empty, multi_n);
        goto out;
    }
    tu_progress("%s: %zu labelled records read, %zu used (%s), %u labels, %s%s", a->c.file, read, d.n, split, L,
             d.multi ? "multi-label" : "single-label", ovr ? " -> one-vs-rest" : " -> softmax");

    /* analysis and features */
    cx_text_opts o;
    lb_text_opts(a->conf, a->c.lexicons ? a->c.lexicons : cx_conf_path(a->conf, "lexicons.dir", lexdir, sizeof lexdir),
                 a->c.detect, &o);
    if (!(tx = cx_text_new(&o, err, sizeof err))) {
        rc = tu_fail(1, "%s", err);
        goto out;
    }
    m.n = d.n;
    m.L = L;
    m.ovr = ovr;
    m.rp = cx_malloc((d.n + 1) * sizeof *m.rp);
    m.yo = cx_malloc((d.n + 1) * sizeof *m.yo);
    m.yi = cx_malloc((d.n_lab ? d.n_lab : 1) * sizeof *m.yi);
    m.s = cx_malloc(L * sizeof *m.s);
    m.r = cx_malloc(L * sizeof *m.r);
    if (!m.rp || !m.yo || !m.yi || !m.s || !m.r) goto oom;
    tu_lang_count langs[64];
    int nlangs = 0;
    size_t failed = 0, ny = 0;
    unsigned feats = a->c.feats | (a->c.feats_auto ? (unsigned)(CX_LF_PREFIX | CX_LF_WORDS) : 0u);
    double t0 = tu_now_s();
    for (size_t i = 0; i < d.n; i++) {
        m.rp[i] = (uint32_t)m.nnz;
        m.yo[i] = (uint32_t)ny;
        for (uint32_t k = 0; k < d.r[i].n_lab; k++) m.yi[ny++] = lmap[d.lab[d.r[i].off + k]]; /* ascending */
        cx_env *e = cx_env_new();
        if (!e) goto oom;
        e->text = d.r[i].text;
        e->lang_hint = !a->c.detect && d.r[i].lang[0] ? d.r[i].lang : NULL;
        if (cx_text_analyze(tx, e, a->c.lang, err, sizeof err) < 0) {
            failed++;
            e->n_tokens = 0;
        }
        tu_lang_add(langs, &nlangs, 64, e->lang);
        tu_fctx fc = {&dc, &m.ci, &m.nnz, &m.cap, (uint32_t)i, 0};
        cx_learned_features(e, feats, tu_add_feature, &fc);
        cx_env_destroy(&e);
        if (fc.oom) goto oom;
        if ((i + 1) % 2000 == 0) tu_progress("analysed %zu / %zu records", i + 1, d.n);
    }
    m.rp[d.n] = (uint32_t)m.nnz;
    m.yo[d.n] = (uint32_t)ny;
    if (failed) tu_progress("warning: the analysis failed on %zu records (used without features)", failed);
    qsort(langs, (size_t)nlangs, sizeof langs[0], tu_cmp_lang);

    /* keep the terms present in at least min_count records */
    uint32_t F = 0;
    if (tu_keep_min_count(&dc, a->c.min_count, m.rp, m.ci, d.n, &m.nnz, &F, &remap) < 0) goto oom;
    m.F = F;
    tu_progress("%zu records analysed in %.2f s: %u distinct terms, %u in at least %d records", d.n, tu_now_s() - t0, dc.n, F,
             a->c.min_count);

    /* l2 (and the optional feature kinds) by cross-validation */
    double l2 = a->c.l2, gthr = 0.5;
    int alo = 0, cv_done = 0;
    char choice[256] = "", fbuf[128];
    int chose = 0; /* the optional kinds were chosen by the cross-validation */
    const char *metric_name = ovr && d.multi ? "micro-F1" : "accuracy";
    int small = d.n < 5 * TT_FOLDS;
    if (!small && (l2 < 0 || ovr)) {
        double one[1] = {l2};
        const double *grid = l2 < 0 ? l2_grid : one;
        size_t ng = l2 < 0 ? N_GRID : 1;
        if (a->c.feats_auto) {
            /* every optional kind, then without each of them, then (when dropping each one alone
             * did not hurt) without both: the best pooled metric wins (a tie: the smaller model) */
            static const unsigned opt[] = {CX_LF_PREFIX, CX_LF_WORDS, CX_LF_PREFIX | CX_LF_WORDS};
            const unsigned nopt = sizeof opt / sizeof opt[0];
            double vm[4] = {-1, -1, -1, -1};
            colsave full;
            memset(&full, 0, sizeof full);
            if (cols_save(&full, &m, remap, dc.n) < 0) { cols_free(&full); goto oom; }
            unsigned best_drop = 0;
            size_t fl = 0;
            for (unsigned v = 0; v <= nopt; v++) {
                unsigned drop = v ? opt[v - 1] : 0;
                if (v == 3 && !(vm[1] >= vm[0] - 1e-12 && vm[2] >= vm[0] - 1e-12)) break;
                char nb[128];
                cx_learned_features_name(feats & ~drop, nb, sizeof nb);
                if (v) {
                    cols_restore(&full, &m, remap, dc.n);
                    if (drop_kinds(&m, &dc, remap, drop) < 0) { cols_free(&full); goto oom; }
                }
                tu_progress("cross-validation with features %s (%u columns)", nb, m.F);
                cvres r;
                memset(&r, 0, sizeof r);
                if (cross_validate(&m, grid, ng, a->c.epochs, &r) < 0) { cols_free(&full); cx_free(r.P); goto oom; }
                if (fl < sizeof choice)
                    fl += (size_t)snprintf(choice + fl, sizeof choice - fl, "%s%s%s %.4f", v ? ", " : "",
                                           v ? "without " : "all", drop == CX_LF_PREFIX  ? "prefix"
                                                                   : drop == CX_LF_WORDS ? "words"
                                                                   : drop                ? "both"
                                                                                         : "",
                                           r.metric);
                vm[v] = r.metric;
                if (!v || r.metric >= cv.metric - 1e-12) {
                    cx_free(cv.P);
                    cv = r;
                    best_drop = drop;
                } else cx_free(r.P);
            }
            cols_restore(&full, &m, remap, dc.n);
            cols_free(&full);
            if (best_drop && drop_kinds(&m, &dc, remap, best_drop) < 0) goto oom;
            feats &= ~best_drop;
            chose = 1;
            cx_learned_features_name(feats, fbuf, sizeof fbuf);
            tu_progress("features: %s by the cross-validation (%s: %s)", fbuf, metric_name, choice);
        } else if (cross_validate(&m, grid, ng, a->c.epochs, &cv) < 0) {
            goto oom;
        }
        l2 = cv.l2;
        gthr = cv.thr;
        alo = cv.alo;
        cv_done = 1;
    } else {
        if (l2 < 0) l2 = 1;
        if (small) tu_progress("only %zu records: l2 = %g, threshold 0.5, without cross-validation", d.n, l2);
    }
    if (a->c.feats_auto && !chose) { /* nothing cross-validated: the default kinds */
        if (drop_kinds(&m, &dc, remap, CX_LF_PREFIX | CX_LF_WORDS) < 0) goto oom;
        feats &= ~(unsigned)(CX_LF_PREFIX | CX_LF_WORDS);
    }
    F = m.F;
    /* thresholds */
    int top1 = !ovr || !d.multi;
    if (!(thr = cx_malloc(L * sizeof *thr)) || !(own = cx_calloc(L, sizeof *own))) goto oom;
    for (uint32_t l = 0; l < L; l++) thr[l] = gthr;
    size_t n_own = 0;
    double thr_cmp[2] = {-1, -1};
    int use_label = a->thr_label == 1;
    if (!top1 && cv_done && cv.P && a->thr_label < 0) { /* auto: by a cross-validation of the thresholds */
        if (compare_thresholds(&m, cv.P, thr_cmp) < 0) goto oom;
        use_label = thr_cmp[1] > thr_cmp[0] + 1e-12;
        tu_progress("thresholds chosen on 4 folds, applied to the 5th: micro-F1 %.4f global, %.4f per label: %s",
                 thr_cmp[0], thr_cmp[1], use_label ? "per label" : "global");
    }
    if (!top1 && cv_done && cv.P && use_label) {
        label_thresholds(&m, cv.P, -1, gthr, thr, own);
        for (uint32_t l = 0; l < L; l++) n_own += own[l];
    }
    if (!top1) tu_progress("decision: threshold %.3f%s, at least one label: %s", gthr,
                        n_own ? " (global) and per-label thresholds" : "", alo ? "yes" : "no");

    /* the final fit on every training record */
    size_t np = n_params(&m);
    if (!(x = cx_malloc(np * sizeof *x)) || !(pb = cx_malloc(L * sizeof *pb)) || !(pred = cx_malloc(L * sizeof *pred)))
        goto oom;
    init_params(&m, x, -1);
    int conv;
    double fval, t2 = tu_now_s();
    int iters = lbfgs(&m, x, l2, -1, a->c.epochs, 1e-6, &conv, &fval);
    if (iters < 0) goto oom;
    tu_progress("trained with l2=%g: %d iterations%s, loss %.2f (%.1f s)", l2, iters, conv ? " (converged)" : "", fval,
             tu_now_s() - t2);
    /* round and prune as written; a column with no weight left is no term of the file */
    size_t nweights = 0, nall = (size_t)F * L;
    if (!(kept_col = cx_calloc(F ? F : 1, 1))) goto oom;
    for (size_t j = 0; j < nall; j++) {
        x[j] = tu_r4(x[j]);
        if (fabs(x[j]) < a->prune) x[j] = 0;
        if (x[j] != 0) {
            nweights++;
            kept_col[j / L] = 1;
        }
    }
    for (uint32_t l = 0; l < L; l++) x[(size_t)F * L + l] = tu_r4(x[(size_t)F * L + l]);
    /* training scores with the model as written (as the tagger computes them) */
    if (counts_new(&cnt, L) < 0) goto oom;
    size_t no_evidence = 0;
    for (size_t i = 0; i < d.n; i++) {
        int ev = 0;
        for (uint32_t k = m.rp[i]; k < m.rp[i + 1] && !ev; k++) ev = kept_col[m.ci[k]];
        size_t k = 0;
        if (ev) {
            probs(&m, x, i, pb);
            k = decide(pb, L, top1, n_own ? thr : NULL, gthr, alo, pred);
        } else no_evidence++;
        count_record(&m, i, pred, k, &cnt);
    }
    double tacc, tmicro, tmacro;
    summarise(&cnt, L, &tacc, &tmicro, &tmacro);

    /* the file */
    char path[4200], tmp[4300], date[32];
    snprintf(path, sizeof path, "%s/%s", a->c.out, CX_LTHEME_FILE);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    FILE *f = fopen(tmp, "w");
    if (!f) {
        rc = tu_fail(1, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    fprintf(f, "# cxflow learned themes: label <TAB> term <TAB> weight (docs/LEXICONS.md, \"Learned themes\")\n");
    fprintf(f, "# written-by: cxflow-train %s (tools/cxflow train themes)\n", CX_VERSION);
    fprintf(f, "# source: %s\n", a->c.file);
    for (int i = 0; i < a->n_where; i++) fprintf(f, "# where: %s\n", a->where[i]);
    fprintf(f, "# split: %s\n", split);
    fprintf(f, "# records: %zu (of %zu with a label_theme%s; %zu with null, %zu without text)\n", d.n, read,
            a->n_where ? " matching --where" : "", d.null_label, d.no_text);
    fprintf(f, "# date: %s\n", date);
    fprintf(f, "# languages:");
    if (a->c.lang) fprintf(f, " %s", a->c.lang);
    else
        for (int i = 0; i < nlangs; i++) fprintf(f, " %s", langs[i].code);
    fprintf(f, "\n# language-records:");
    for (int i = 0; i < nlangs; i++) fprintf(f, "%s %s %zu", i ? "," : "", langs[i].code, langs[i].n);
    fprintf(f, "\n# labels: %u (%s", L, d.multi ? "multi-label data" : "single-label data");
    if (d.multi) fprintf(f, "; %zu records without a label, %zu with several", empty, multi_n);
    fprintf(f, ")\n# label-records:");
    for (uint32_t l = 0, k = 0; l < L0; l++)
        if (lab_n[l]) fprintf(f, "%s %s %zu", k++ ? "," : "", d.labels[l], lab_n[l]);
    fprintf(f, "\n# model: %s\n", ovr ? "one-vs-rest" : "softmax");
    fprintf(f, "# decision: %s\n", top1 ? "top1" : "threshold");
    if (!top1) {
        fprintf(f, "# threshold: %.3f (%s)\n", gthr,
                cv_done ? "global, by the cross-validation" : "default: too few records to cross-validate");
        if (thr_cmp[0] >= 0)
            fprintf(f, "#   (thresholds %s: chosen on 4 folds and applied to the 5th, micro-F1 %.4f global, %.4f per label)\n",
                    use_label ? "per label" : "global", thr_cmp[0], thr_cmp[1]);
        if (n_own) fprintf(f, "#   (%zu labels with %d or more examples have an @threshold of their own)\n", n_own,
                           TT_MIN_LABEL_THR);
        fprintf(f, "# at-least-one: %s\n", alo ? "yes" : "no");
    }
    fprintf(f, "# features: %s\n", cx_learned_features_name(feats, fbuf, sizeof fbuf));
    if (chose) fprintf(f, "# features-choice: by the cross-validation (%s: %s)\n", metric_name, choice);
    if (cv_done && a->c.l2 < 0)
        fprintf(f, "# l2: %g (by 5-fold cross-validation on these records, %s:%s)\n", l2, metric_name, cv.report);
    else fprintf(f, "# l2: %g\n", l2);
    fprintf(f, "# epochs: %d (L-BFGS iterations, at most %d%s)\n", iters, a->c.epochs, conv ? ", converged" : "");
    fprintf(f, "# min-count: %d (%u of %u terms)\n", a->c.min_count, F, dc.n);
    fprintf(f, "# prune: %g (%zu of %zu weights written)\n", a->prune, nweights, nall);
    fprintf(f, "# training-accuracy: %.4f\n", tacc);
    fprintf(f, "# training-micro-f1: %.4f\n", tmicro);
    fprintf(f, "# training-macro-f1: %.4f\n", tmacro);
    fprintf(f, "#\n"
               "# score[label] = @bias + the sum of the label's weights of the terms present in a record (each once);\n"
               "# probability = %s; decision: %s.\n"
               "# Terms are the analyser's stems (`tools/cxflow tokenize` shows them in [brackets]), \"stem1 stem2\"\n"
               "# bigrams, emoji, \"first~\" for the first 5 characters of a longer word (features: prefix).\n"
               "# Each label: its @bias line first, then its terms by weight, strongest evidence first; edit or delete\n"
               "# lines freely.\n",
            ovr ? "sigmoid(score) per label" : "softmax of the scores over the labels",
            top1 ? "the label of the highest score" : "every label whose probability reaches its threshold");
    if (!(wt = cx_malloc((F ? F : 1) * sizeof *wt))) { fclose(f); unlink(tmp); goto oom; }
    for (uint32_t l0 = 0; l0 < L0; l0++) {
        if (lmap[l0] == UINT32_MAX) continue;
        uint32_t l = lmap[l0];
        fprintf(f, "%s\t%s\t%.4f\n", d.labels[l0], CX_LTHEME_BIAS, x[(size_t)F * L + l]);
        if (own[l]) fprintf(f, "%s\t%s\t%.3f\n", d.labels[l0], CX_LTHEME_THRESHOLD, thr[l]);
        uint32_t nw = 0;
        for (uint32_t j = 0; j < dc.n; j++)
            if (remap[j] != UINT32_MAX && x[(size_t)remap[j] * L + l] != 0) {
                wt[nw].s = dc.s[j];
                wt[nw++].w = x[(size_t)remap[j] * L + l];
            }
        qsort(wt, nw, sizeof *wt, cmp_wterm);
        for (uint32_t k = 0; k < nw; k++) fprintf(f, "%s\t%s\t%.4f\n", d.labels[l0], wt[k].s, wt[k].w);
    }
    int werr = ferror(f);
    if (fclose(f) != 0 || werr) {
        unlink(tmp);
        rc = tu_fail(1, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, path) < 0) {
        rc = tu_fail(1, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    cx_ltheme *chk = cx_ltheme_load(path, err, sizeof err); /* read it back with the tag stage's loader */
    if (!chk) {
        rc = tu_fail(1, "the written model does not load: %s", err);
        goto out;
    }
    cx_ltheme_destroy(&chk);
    printf("wrote %s: %u labels, %zu weights, %s, decision %s, l2 %g, features %s\n", path, L, nweights,
           ovr ? "one-vs-rest" : "softmax", top1 ? "top1" : "threshold", l2, fbuf);
    if (no_evidence) printf("%zu training records have none of the model's terms (no learned label)\n", no_evidence);
    printf("train n=%zu accuracy=%.4f micro_f1=%.4f macro_f1=%.4f\n", d.n, tacc, tmicro, tmacro);
    rc = 0;
    goto out;
oom:
    rc = tu_fail(1, "out of memory");
out:
    counts_free(&cnt);
    cx_free(cv.P);
    cx_free(wt);
    cx_free(kept_col);
    cx_free(x);
    cx_free(pb);
    cx_free(pred);
    cx_free(thr);
    cx_free(own);
    cx_free(remap);
    cx_free(m.rp);
    cx_free(m.ci);
    cx_free(m.yo);
    cx_free(m.yi);
    cx_free(m.s);
    cx_free(m.r);
    cx_free(lab_n);
    cx_free(lmap);
    tu_dict_free(&dc);
    cx_text_destroy(&tx);
    lb_tdata_free(&d);
    return rc;
}

int train_themes_main(int argc, char **argv) {
    tt_args a;
    memset(&a, 0, sizeof a);
    tu_common_init(&a.c);
    a.model = -1;
    a.thr_label = -1;
    a.prune = 0.01;
    char err[512];
    for (int i = 2; i < argc; i++) {
        int r = tu_common_opt(&a.c, argc, argv, &i);
        if (r == TU_OPT_HELP) { usage(stdout); return 0; }
        if (r < 0) return -r;
        if (r == TU_OPT_DONE) continue;
        const char *s = argv[i];
        if (!strcmp(s, "--holdout")) {
            if (tu_parse_int(argv[++i], 1, 90, &a.holdout) < 0) return tu_fail(2, "--holdout is a percentage 1..90");
        } else if (!strcmp(s, "--where")) {
            if (a.n_where == LB_MAX_WHERE) return tu_fail(2, "at most %d --where conditions", LB_MAX_WHERE);
            if (lb_where_check(argv[++i], err, sizeof err) < 0) return tu_fail(2, "%s", err);
            a.where[a.n_where++] = argv[i];
        } else if (!strcmp(s, "--model")) {
            const char *x = argv[++i];
            if (!strcmp(x, "auto")) a.model = -1;
            else if (!strcmp(x, "softmax")) a.model = CX_LTHEME_SOFTMAX;
            else if (!strcmp(x, "one-vs-rest") || !strcmp(x, "ovr")) a.model = CX_LTHEME_OVR;
            else return tu_fail(2, "--model is auto, softmax or one-vs-rest");
        } else if (!strcmp(s, "--thresholds")) {
            const char *x = argv[++i];
            if (!strcmp(x, "global")) a.thr_label = 0;
            else if (!strcmp(x, "label")) a.thr_label = 1;
            else if (!strcmp(x, "auto")) a.thr_label = -1;
            else return tu_fail(2, "--thresholds is auto, global or label");
        } else if (!strcmp(s, "--prune")) {
            const char *x = argv[++i];
            char *end;
            if ((a.prune = strtod(x, &end)), *end || !(a.prune >= 0) || a.prune > 100)
                return tu_fail(2, "--prune is a number from 0 to 100");
        } else {
            fprintf(stderr, "cxflow-train: unexpected argument '%s'\n", s);
            usage(stderr);
            return 2;
        }
    }
    if (!a.c.file) return tu_fail(2, "themes needs a labelled JSONL file (see --help)");
    if (!a.c.out) return tu_fail(2, "-o DIR is required: where to write the learned themes (e.g. -o lexicons/learned/intents)");
    if (a.c.half && a.holdout) return tu_fail(2, "--half and --holdout are two different splits: give one");
    tu_quiet = a.c.quiet;
    char cerr[1024];
    if (tu_check_out_dir(a.c.out, CX_LTHEME_FILE, cerr, sizeof cerr) < 0) return tu_fail(1, "%s", cerr);
    if (!(a.conf = tu_common_conf(&a.c))) return 2;
    double t0 = tu_now_s();
    int rc = train(&a);
    if (rc == 0) tu_progress("done in %.1f s", tu_now_s() - t0);
    cx_conf_destroy(&a.conf);
    return rc;
}
