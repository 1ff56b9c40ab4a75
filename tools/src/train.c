/* train.c - cxflow-train: learn a sentiment lexicon from labelled feedback
 * (the kind "themes", a theme/intent model, lives in train_themes.c).
 *
 *   cxflow-train sentiment FILE.jsonl -o DIR [--half 1|2] [--lang L] [--detect]
 *                [--mode with|instead] [--l2 X|auto] [--epochs N] [--min-count N]
 *                [--features LIST] [--class-weight none|balanced] [--lexicon DIR]
 *                [--quiet] [-c FILE] [--set key=value]...
 *
 * Reads JSON lines with "text" and "label_sentiment" (negative, neutral,
 * positive; null and other values are skipped) exactly like `cxflow-eval
 * sentiment` (tools/src/labelled.c, the same --half selection), runs the
 * tokenize stage's analysis on every record, and fits an ordinal logistic
 * regression on the record's features (cx_learned_features: stems, bigrams
 * of stems, emoji, ...; present or not) plus, in mode with, the authored
 * lexicon's score as the real-valued feature @lexicon (its raw sum from
 * cx_tagger_lexicon_score, squashed by cx_learned_lexicon_value into the
 * authored compound score in [-1, 1]):
 *
 *   margin s = sum of w[term] over the terms present (+ w[@lexicon] x raw)
 *   P(class <= k) = sigmoid(cut[k] - s), classes ordered negative < neutral < positive
 *
 * minimising the negative log-likelihood + l2/2 x |w|^2 (every weight,
 * @lexicon's too: unpenalised it diverges on data it separates; the
 * cutpoints are not penalised) with L-BFGS (batch, deterministic: no random
 * order, no seed).  Two-class data (e.g. positive/negative) gives ordinary
 * logistic regression with one cutpoint.  The cutpoints are kept in order
 * by parameterising cut[1] = cut[0] + exp(b).  --l2 auto (the default)
 * picks l2 by 5-fold cross-validation (record i in fold i mod 5) on the
 * training records, by macro-F1.
 *
 * Writes DIR/sentiment.tsv (docs/LEXICONS.md "Learned lexicons"), reads it
 * back with the tag stage's loader, and prints a summary.  Exit 0, 1 on a
 * failure (unwritable DIR, out of memory), 2 on bad usage or no labelled
 * records. */
#include "cx_alloc.h"
#include "cx_conf.h"
#include "cx_env.h"
#include "cx_lexmap.h"
#include "cx_tag_learned.h"
#include "cx_tagger.h"
#include "cx_text.h"
#include "cx_util.h"
#include "labelled.h"
#include "train_themes.h"
#include "trainutil.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TR_FOLDS 5
#define TR_LBFGS_M 10

static const double l2_grid[] = {0.0625, 0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32};
#define N_GRID (sizeof l2_grid / sizeof l2_grid[0])

typedef struct tr_args {
    tu_common c;              /* file, out, half, l2 (< 0: auto), feats (feats_auto: the prefix kind is
                               * chosen by the cross-validation), ... */
    int mode;
    int class_weight;         /* 0 none, 1 balanced, -1 auto (chosen with l2) */
    cx_conf *conf;
} tr_args;

/* ---- the training data: sparse binary rows ---- */

typedef struct tdata {
    size_t n;               /* records */
    uint32_t *rp;           /* row pointers, n + 1 */
    uint32_t *ci;           /* term ids */
    size_t nnz, cap;
    double *lex;            /* @lexicon value per record, or NULL (mode instead) */
    uint8_t *y;             /* class index 0..K-1 */
    double cw[3];           /* class weights */
    int K;                  /* classes */
    uint32_t F;             /* terms */
} tdata;


/* ---- the model: loss, gradient, prediction ---- */

/* Parameters: F term weights, then w[@lexicon] when t->lex, then the
 * cutpoint parameters: a (= cut[0]) and, with 3 classes, b (cut[1] =
 * a + exp(b)). */
static size_t n_params(const tdata *t) { return t->F + (t->lex ? 1 : 0) + (size_t)(t->K - 1); }

static void cutpoints(const tdata *t, const double *p, double cut[2]) {
    const double *c = p + t->F + (t->lex ? 1 : 0);
    cut[0] = c[0];
    if (t->K == 3) cut[1] = c[0] + exp(c[1]);
}

static double margin(const tdata *t, const double *p, size_t i) {
    double s = t->lex ? p[t->F] * t->lex[i] : 0;
    for (uint32_t k = t->rp[i]; k < t->rp[i + 1]; k++) s += p[t->ci[k]];
    return s;
}

static double logsig(double x) { return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x)); }

static int predict(const tdata *t, const double cut[2], double s) {
    int k = 0;
    while (k < t->K - 1 && s > cut[k]) k++;
    return k;
}

/* Negative log-likelihood of the records with fold != skip (skip < 0: all)
 * plus the penalty; the gradient into g. */
static double objective(const tdata *t, const double *p, double *g, double l2, int skip) {
    size_t np = n_params(t);
    memset(g, 0, np * sizeof *g);
    double cut[2];
    cutpoints(t, p, cut);
    double f = 0, gc[2] = {0, 0};
    for (size_t i = 0; i < t->n; i++) {
        if (skip >= 0 && (int)(i % TR_FOLDS) == skip) continue;
        double s = margin(t, p, i), ds, cw = t->cw[t->y[i]];
        int y = t->y[i];
        if (y == 0) {
            double d = cut[0] - s;
            f -= cw * logsig(d);
            ds = cw * tu_sigm(-d);
            gc[0] -= ds;
        } else if (y == t->K - 1) {
            double d = s - cut[t->K - 2];
            f -= cw * logsig(d);
            ds = -cw * tu_sigm(-d);
            gc[t->K - 2] -= ds;
        } else { /* the middle class of three */
            double d1 = cut[0] - s, d2 = cut[1] - s;
            f -= cw * (logsig(d2) + logsig(-d1) + log(-expm1(d1 - d2)));
            double r = 1 / expm1(d2 - d1);
            double g1 = cw * (tu_sigm(d1) + r), g2 = cw * (-tu_sigm(-d2) - r);
            gc[0] += g1;
            gc[1] += g2;
            ds = -(g1 + g2);
        }
        for (uint32_t k = t->rp[i]; k < t->rp[i + 1]; k++) g[t->ci[k]] += ds;
        if (t->lex) g[t->F] += ds * t->lex[i];
    }
    for (uint32_t j = 0; j < t->F + (t->lex ? 1 : 0); j++) {
        f += 0.5 * l2 * p[j] * p[j];
        g[j] += l2 * p[j];
    }
    double *gcp = g + t->F + (t->lex ? 1 : 0);
    gcp[0] = gc[0] + (t->K == 3 ? gc[1] : 0);
    if (t->K == 3) gcp[1] = gc[1] * (cut[1] - cut[0]);
    return f;
}

/* Starting point: zero weights, cutpoints at the logits of the cumulative
 * class shares. */
static void init_params(const tdata *t, double *p, int skip) {
    size_t np = n_params(t);
    memset(p, 0, np * sizeof *p);
    double cnt[3] = {0, 0, 0}, all = 0;
    for (size_t i = 0; i < t->n; i++)
        if (skip < 0 || (int)(i % TR_FOLDS) != skip) {
            cnt[t->y[i]]++;
            all++;
        }
    double c0 = (cnt[0] + 1) / (all + t->K), c1 = (cnt[0] + cnt[1] + 2) / (all + t->K);
    double *cp = p + t->F + (t->lex ? 1 : 0);
    cp[0] = log(c0 / (1 - c0));
    if (t->K == 3) {
        double th2 = log(c1 / (1 - c1));
        cp[1] = log(th2 - cp[0] > 1e-3 ? th2 - cp[0] : 1e-3);
    }
}

/* L-BFGS (tu_lbfgs) on the objective of the records with fold != skip. */
typedef struct objctx {
    const tdata *t;
    double l2;
    int skip;
} objctx;

static double objective_cb(void *ctx, const double *p, double *g) {
    const objctx *c = ctx;
    return objective(c->t, p, g, c->l2, c->skip);
}

static int lbfgs(const tdata *t, double *x, double l2, int skip, int maxit, int *converged, double *fout) {
    objctx c = {t, l2, skip};
    tu_lbfgs_opts o = {TR_LBFGS_M, maxit, 1e-5, 1e-9, 1};
    return tu_lbfgs(objective_cb, &c, n_params(t), x, &o, converged, fout);
}

/* Accuracy and macro-F1 (over the gold classes present, as cxflow-eval
 * computes them) of predictions pred[] against t->y for the records
 * selected by fold (fold < 0: all). */
static void score_preds(const tdata *t, const uint8_t *pred, int fold, double *acc, double *mf1) {
    size_t cm[3][3] = {{0}}, n = 0, ok = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (fold >= 0 && (int)(i % TR_FOLDS) != fold) continue;
        cm[t->y[i]][pred[i]]++;
        n++;
        ok += t->y[i] == pred[i];
    }
    double sum = 0;
    int nc = 0;
    for (int g = 0; g < t->K; g++) {
        size_t gold = 0, pr = 0;
        for (int k = 0; k < t->K; k++) {
            gold += cm[g][k];
            pr += cm[k][g];
        }
        if (!gold) continue;
        double p = pr ? (double)cm[g][g] / (double)pr : 0, r = (double)cm[g][g] / (double)gold;
        sum += p + r > 0 ? 2 * p * r / (p + r) : 0;
        nc++;
    }
    *acc = n ? (double)ok / (double)n : 0;
    *mf1 = nc ? sum / nc : 0;
}

/* Class weights: 1 each, or (balanced) n / (K x records of the class) on
 * the training records, so that every class weighs the same in the loss. */
static void set_class_weights(tdata *t, int balanced) {
    size_t cnt[3] = {0, 0, 0};
    for (size_t i = 0; i < t->n; i++) cnt[t->y[i]]++;
    for (int k = 0; k < 3; k++)
        t->cw[k] = balanced && cnt[k] ? (double)t->n / ((double)t->K * (double)cnt[k]) : 1;
}

/* Choose l2 (and, when *cw < 0, the class weighting) by cross-validation:
 * for each value of the grid, train on four folds and predict the fifth;
 * the best pooled macro-F1 wins (ties: the larger l2, the simpler model;
 * then no class weights). */
static int choose_l2(tdata *t, const double *grid, size_t ngrid, int maxit, double *best_l2, int *cw, double *best_f1,
                     char *report, size_t rn) {
    size_t np = n_params(t);
    double *p = cx_malloc(np * sizeof *p);
    uint8_t *pred = cx_malloc(t->n ? t->n : 1);
    if (!p || !pred) {
        cx_free(p);
        cx_free(pred);
        return -1;
    }
    double best = -1;
    size_t rl = 0;
    report[0] = '\0';
    int cw_from = *cw < 0 ? 0 : *cw, cw_to = *cw < 0 ? 1 : *cw, best_cw = cw_from;
    for (int c = cw_from; c <= cw_to; c++) {
    set_class_weights(t, c);
    if (cw_to > cw_from && rl < rn)
        rl += (size_t)snprintf(report + rl, rn - rl, "%sclass-weight %s:", c ? "; " : " ", c ? "balanced" : "none");
    for (size_t gi = 0; gi < ngrid; gi++) {
        double t0 = tu_now_s();
        for (int fold = 0; fold < TR_FOLDS; fold++) {
            init_params(t, p, fold);
            int conv;
            if (lbfgs(t, p, grid[gi], fold, maxit, &conv, NULL) < 0) {
                cx_free(p);
                cx_free(pred);
                return -1;
            }
            double cut[2];
            cutpoints(t, p, cut);
            for (size_t i = (size_t)fold; i < t->n; i += TR_FOLDS) pred[i] = (uint8_t)predict(t, cut, margin(t, p, i));
        }
        double acc, mf1;
        score_preds(t, pred, -1, &acc, &mf1);
        tu_progress("cross-validation l2=%g class-weight=%s: macro-F1 %.4f accuracy %.4f (%.1f s)", grid[gi],
                 c ? "balanced" : "none", mf1, acc, tu_now_s() - t0);
        if (rl < rn) rl += (size_t)snprintf(report + rl, rn - rl, " %g=%.4f", grid[gi], mf1);
        if (mf1 > best || (mf1 == best && c == best_cw)) {
            best = mf1;
            *best_l2 = grid[gi];
            best_cw = c;
        }
    }
    }
    *cw = best_cw;
    if (best_f1) *best_f1 = best;
    set_class_weights(t, best_cw);
    cx_free(p);
    cx_free(pred);
    return 0;
}

/* Remove the prefix-feature columns from t in place; remap (dictionary id ->
 * column) follows. */
static int drop_prefix(tdata *t, const tu_dict *dc, uint32_t *remap) {
    return tu_drop_kinds(t->rp, t->ci, t->n, &t->nnz, &t->F, dc, remap, CX_LF_PREFIX);
}

/* l2 and class weights by cross-validation (choose_l2), and with
 * --features left to its default, whether to keep the prefix features: the
 * grid runs with them and again without, the better pooled macro-F1 wins
 * (a tie: without, the smaller model). */
static int choose_cv(tdata *t, const tu_dict *dc, uint32_t *remap, const double *grid, size_t ngrid, const tr_args *a,
                     unsigned *feats, double *l2, int *cw, double prefix_f1[2], char *report, size_t rn) {
    int cw_in = *cw;
    double with_f1 = -1;
    if (!a->c.feats_auto) return choose_l2(t, grid, ngrid, a->c.epochs, l2, cw, NULL, report, rn);
    tu_progress("cross-validation with prefix features");
    char rep_with[1024];
    double l2_with = *l2;
    int cw_with = cw_in;
    if (choose_l2(t, grid, ngrid, a->c.epochs, &l2_with, &cw_with, &with_f1, rep_with, sizeof rep_with) < 0) return -1;
    tdata keep = *t;
    uint32_t *ci = cx_malloc((t->nnz ? t->nnz : 1) * sizeof *ci), *rp = cx_malloc((t->n + 1) * sizeof *rp),
             *rm = cx_malloc((dc->n ? dc->n : 1) * sizeof *rm);
    if (!ci || !rp || !rm) {
        cx_free(ci);
        cx_free(rp);
        cx_free(rm);
        return -1;
    }
    memcpy(ci, t->ci, t->nnz * sizeof *ci);
    memcpy(rp, t->rp, (t->n + 1) * sizeof *rp);
    memcpy(rm, remap, dc->n * sizeof *rm);
    if (drop_prefix(t, dc, remap) < 0) {
        cx_free(ci);
        cx_free(rp);
        cx_free(rm);
        return -1;
    }
    tu_progress("cross-validation without prefix features");
    double without_f1;
    *cw = cw_in;
    if (choose_l2(t, grid, ngrid, a->c.epochs, l2, cw, &without_f1, report, rn) < 0) {
        cx_free(ci);
        cx_free(rp);
        cx_free(rm);
        return -1;
    }
    if (with_f1 > without_f1) { /* back to the columns with prefixes */
        memcpy(t->ci, ci, keep.nnz * sizeof *ci);
        memcpy(t->rp, rp, (t->n + 1) * sizeof *rp);
        memcpy(remap, rm, dc->n * sizeof *rm);
        t->nnz = keep.nnz;
        t->F = keep.F;
        *l2 = l2_with;
        *cw = cw_with;
        snprintf(report, rn, "%s", rep_with);
        set_class_weights(t, cw_with);
    } else {
        *feats &= ~(unsigned)CX_LF_PREFIX;
    }
    prefix_f1[0] = with_f1;
    prefix_f1[1] = without_f1;
    tu_progress("prefix features: cross-validated macro-F1 %.4f with, %.4f without: %s", with_f1, without_f1,
             with_f1 > without_f1 ? "kept" : "left out");
    cx_free(ci);
    cx_free(rp);
    cx_free(rm);
    return 0;
}

/* ---- output ---- */

typedef struct wterm {
    const char *s;
    double w;
} wterm;

static int cmp_wterm(const void *a, const void *b) {
    const wterm *x = a, *y = b;
    double ax = fabs(x->w), ay = fabs(y->w);
    if (ax != ay) return ax > ay ? -1 : 1;
    return strcmp(x->s, y->s);
}

/* ---- the command ---- */

static void usage(FILE *f) {
    fprintf(f,
            "usage: cxflow-train sentiment FILE.jsonl -o DIR [options]\n"
            "       cxflow-train themes FILE.jsonl -o DIR [options]   (a theme/intent model: themes --help)\n"
            "\n"
            "Learns a domain sentiment lexicon from labelled feedback and writes DIR/sentiment.tsv, a plain-text\n"
            "file of term <TAB> weight lines that the tag stage loads (sentiment.learned = DIR) with or instead\n"
            "of the authored lexicon.  FILE.jsonl has one JSON object per line with \"text\" and\n"
            "\"label_sentiment\" (negative | neutral | positive; null and other values are skipped) and an\n"
            "optional \"lang\" (the language hint).  Format, modes and reviewing: docs/LEXICONS.md.\n"
            "\n"
            "  -o, --output DIR     where to write sentiment.tsv (created when missing; required)\n"
            "  --half 1|2           train on the even (1) or odd (2) records only, the same split as\n"
            "                       `cxflow eval sentiment --half` (evaluate on the other half)\n"
            "  --lang L             force the language of every record (default: its \"lang\" as a hint)\n"
            "  --detect             ignore the records' \"lang\" and detect the language\n"
            "  --mode with|instead  with (default): also learn how far to trust the authored lexicon's\n"
            "                       score (the @lexicon term); instead: learned terms alone\n"
            "  --l2 X|auto          L2 penalty (default auto: 5-fold cross-validation on the training\n"
            "                       records over %g..%g, by macro-F1; record i is in fold i mod 5)\n"
            "  --epochs N           at most N L-BFGS iterations, each a pass over the data (default 300)\n"
            "  --min-count N        keep terms present in at least N training records (default 2)\n"
            "  --features LIST      comma-separated: stems,bigrams,emoji,negation,marks,prefix; or auto\n"
            "                       (default auto: stems,bigrams,emoji, plus prefix when the\n"
            "                       cross-validation prefers it)\n"
            "  --class-weight auto|none|balanced\n"
            "                       balanced: weight each class by the inverse of its share; auto (default):\n"
            "                       whichever the cross-validation prefers (with --l2 X: at that l2)\n"
            "  --lexicon DIR        the authored lexicons (default: lexicons.dir of the configuration)\n"
            "  --quiet              no progress on stderr\n"
            "  -c FILE              the configuration (analysis settings); --set key=value overrides a key\n",
            l2_grid[0], l2_grid[N_GRID - 1]);
}

static int train_sentiment(const tr_args *a) {
    char err[1024], lexdir[4096];
    int rc = 1;
    if (tu_check_out_dir(a->c.out, CX_LEARNED_FILE, err, sizeof err) < 0) return tu_fail(1, "%s", err);
    lb_data d = {0};
    if (lb_read_jsonl(a->c.file, "text", "label_sentiment", &d, err, sizeof err) < 0) {
        lb_data_free(&d);
        return tu_fail(2, "%s", err);
    }
    size_t read = d.n, skipped_lines = d.skipped;
    size_t unknown = lb_keep_sentiment(&d, a->c.half);
    if (!d.n) {
        lb_data_free(&d);
        return tu_fail(2, "%s: no labelled records%s (JSON lines with a string \"text\" and \"label_sentiment\" "
                       "negative, neutral or positive; %zu lines skipped, %zu with another label)",
                    a->c.file, a->c.half ? (a->c.half == 1 ? " in half 1" : " in half 2") : "", skipped_lines, unknown);
    }
    size_t cls_n[3] = {0, 0, 0};
    for (size_t i = 0; i < d.n; i++) cls_n[lb_cls_of(d.r[i].gold)]++;
    int K = (cls_n[0] > 0) + (cls_n[1] > 0) + (cls_n[2] > 0);
    if (K < 2) {
        lb_data_free(&d);
        return tu_fail(2, "%s: the training records have only one class (%s); a lexicon needs two or three", a->c.file,
                    lb_cls[cls_n[0] ? 0 : cls_n[1] ? 1 : 2]);
    }
    int cls_map[3], k2c[3], K_ = 0; /* class -> ordinal index and back */
    for (int c = 0; c < 3; c++) {
        cls_map[c] = cls_n[c] ? K_ : -1;
        if (cls_n[c]) k2c[K_++] = c;
    }
    tu_progress("%s: %zu labelled records read, %zu used%s (negative %zu, neutral %zu, positive %zu)", a->c.file, read,
             d.n, a->c.half ? (a->c.half == 1 ? " (half 1: even records)" : " (half 2: odd records)") : "", cls_n[0],
             cls_n[1], cls_n[2]);

    /* analysis and features */
    cx_text_opts o;
    lb_text_opts(a->conf, a->c.lexicons ? a->c.lexicons : cx_conf_path(a->conf, "lexicons.dir", lexdir, sizeof lexdir),
                 a->c.detect, &o);
    cx_text *tx = cx_text_new(&o, err, sizeof err);
    cx_tagger *tg = NULL;
    if (tx && a->mode == CX_LEARNED_WITH) {
        cx_tagger_opts to = {.lexicon_dir = o.lexicon_dir,
                             .positive_threshold = cx_conf_dbl(a->conf, "sentiment.positive_threshold"),
                             .negative_threshold = cx_conf_dbl(a->conf, "sentiment.negative_threshold"),
                             .text = tx,
                             .no_explain = 1};
        tg = cx_tagger_new(&to, err, sizeof err);
    }
    tu_dict dc = {0};
    tdata t;
    memset(&t, 0, sizeof t);
    tu_lang_count langs[64];
    int nlangs = 0;
    double *p = NULL;
    uint8_t *pred = NULL;
    wterm *wt = NULL;
    uint32_t *remap = NULL;
    if (!tx || (a->mode == CX_LEARNED_WITH && !tg)) {
        tu_fail(1, "%s", err);
        goto out;
    }
    t.n = d.n;
    t.K = K;
    t.rp = cx_malloc((d.n + 1) * sizeof *t.rp);
    t.y = cx_malloc(d.n);
    if (a->mode == CX_LEARNED_WITH) t.lex = cx_malloc(d.n * sizeof *t.lex);
    if (!t.rp || !t.y || (a->mode == CX_LEARNED_WITH && !t.lex)) goto oom;
    double t0 = tu_now_s();
    size_t failed = 0;
    unsigned feats = a->c.feats | (a->c.feats_auto ? (unsigned)CX_LF_PREFIX : 0u);
    for (size_t i = 0; i < d.n; i++) {
        t.rp[i] = (uint32_t)t.nnz;
        t.y[i] = (uint8_t)cls_map[lb_cls_of(d.r[i].gold)];
        cx_env *e = cx_env_new();
        if (!e) goto oom;
        e->text = d.r[i].text;
        e->lang_hint = !a->c.detect && d.r[i].lang[0] ? d.r[i].lang : NULL;
        double raw = 0;
        if (cx_text_analyze(tx, e, a->c.lang, err, sizeof err) < 0 ||
            (tg && cx_tagger_lexicon_score(tg, e, &raw, err, sizeof err) < 0)) {
            failed++;
            e->n_tokens = 0;
        }
        if (t.lex) t.lex[i] = cx_learned_lexicon_value(raw);
        tu_lang_add(langs, &nlangs, 64, e->lang);
        tu_fctx fc = {&dc, &t.ci, &t.nnz, &t.cap, (uint32_t)i, 0};
        cx_learned_features(e, feats, tu_add_feature, &fc);
        cx_env_destroy(&e);
        if (fc.oom) goto oom;
        if ((i + 1) % 2000 == 0) tu_progress("analysed %zu / %zu records", i + 1, d.n);
    }
    t.rp[d.n] = (uint32_t)t.nnz;
    if (failed) tu_progress("warning: the analysis failed on %zu records (used without features)", failed);
    qsort(langs, (size_t)nlangs, sizeof langs[0], tu_cmp_lang);

    /* keep the terms present in at least min_count records */
    uint32_t F = 0;
    if (tu_keep_min_count(&dc, a->c.min_count, t.rp, t.ci, d.n, &t.nnz, &F, &remap) < 0) goto oom;
    t.F = F;
    tu_progress("%zu records analysed in %.2f s: %u distinct terms, %u in at least %d records", d.n, tu_now_s() - t0, dc.n,
             F, a->c.min_count);
    /* l2 and class weights, then the final fit on every training record */
    double l2 = a->c.l2;
    int cw = a->class_weight;
    char cvrep[1024] = "";
    double prefix_f1[2] = {-1, -1}; /* cross-validated macro-F1 with and without the prefix features */
    if (l2 < 0 || cw < 0) {
        if (d.n < 5 * TR_FOLDS) {
            if (l2 < 0) l2 = 1;
            if (cw < 0) cw = 0;
            tu_progress("only %zu records: l2 = %g, class-weight %s, without cross-validation", d.n, l2,
                     cw ? "balanced" : "none");
        } else if (l2 >= 0) { /* only the class weighting to choose: a grid of one l2 */
            double one[1] = {l2};
            if (choose_cv(&t, &dc, remap, one, 1, a, &feats, &l2, &cw, prefix_f1, cvrep, sizeof cvrep) < 0) goto oom;
        } else if (choose_cv(&t, &dc, remap, l2_grid, N_GRID, a, &feats, &l2, &cw, prefix_f1, cvrep, sizeof cvrep) < 0) {
            goto oom;
        }
    }
    if (a->c.feats_auto && prefix_f1[0] < 0) { /* nothing cross-validated: the default kinds */
        if (drop_prefix(&t, &dc, remap) < 0) goto oom;
        feats &= ~(unsigned)CX_LF_PREFIX;
    }
    F = t.F;
    set_class_weights(&t, cw);
    size_t np = n_params(&t);
    if (!(p = cx_malloc(np * sizeof *p)) || !(pred = cx_malloc(d.n))) goto oom;
    init_params(&t, p, -1);
    int conv;
    double fval, t1 = tu_now_s();
    int iters = lbfgs(&t, p, l2, -1, a->c.epochs, &conv, &fval);
    if (iters < 0) goto oom;
    tu_progress("trained with l2=%g: %d iterations%s, loss %.2f (%.1f s)", l2, iters, conv ? " (converged)" : "", fval,
             tu_now_s() - t1);
    for (uint32_t j = 0; j < F + (t.lex ? 1 : 0); j++) p[j] = tu_r4(p[j]);
    double cut[2];
    cutpoints(&t, p, cut);
    cut[0] = tu_r4(cut[0]);
    if (K == 3) {
        cut[1] = tu_r4(cut[1]);
        if (cut[1] <= cut[0]) cut[1] = cut[0] + 0.0001;
    }
    for (size_t i = 0; i < d.n; i++) pred[i] = (uint8_t)predict(&t, cut, margin(&t, p, i));
    double acc, mf1;
    score_preds(&t, pred, -1, &acc, &mf1);

    /* the file: header, @lexicon, terms by |weight| */
    if (!(wt = cx_malloc((F ? F : 1) * sizeof *wt))) goto oom;
    uint32_t nw = 0;
    for (uint32_t j = 0; j < dc.n; j++)
        if (remap[j] != UINT32_MAX && p[remap[j]] != 0) {
            wt[nw].s = dc.s[j];
            wt[nw++].w = p[remap[j]];
        }
    qsort(wt, nw, sizeof *wt, cmp_wterm);
    char path[4200], tmp[4300], fbuf[128], date[32];
    snprintf(path, sizeof path, "%s/%s", a->c.out, CX_LEARNED_FILE);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    FILE *f = fopen(tmp, "w");
    if (!f) {
        tu_fail(1, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    fprintf(f, "# cxflow learned sentiment lexicon: term <TAB> weight (docs/LEXICONS.md, \"Learned lexicons\")\n");
    fprintf(f, "# written-by: cxflow-train %s (tools/cxflow train sentiment)\n", CX_VERSION);
    fprintf(f, "# source: %s\n", a->c.file);
    fprintf(f, "# records: %zu (of %zu with a sentiment label; %zu lines without text or label, %zu other labels)\n",
            d.n, read - unknown, skipped_lines, unknown);
    fprintf(f, "# half: %s\n", a->c.half == 1 ? "1 (even records)" : a->c.half == 2 ? "2 (odd records)" : "all");
    fprintf(f, "# date: %s\n", date);
    fprintf(f, "# languages:");
    if (a->c.lang) fprintf(f, " %s", a->c.lang);
    else
        for (int i = 0; i < nlangs; i++) fprintf(f, " %s", langs[i].code);
    fprintf(f, "\n# language-records:");
    for (int i = 0; i < nlangs; i++) fprintf(f, "%s %s %zu", i ? "," : "", langs[i].code, langs[i].n);
    fprintf(f, "\n# classes:");
    for (int k = 0; k < K; k++) fprintf(f, " %s", lb_cls[k2c[k]]);
    fprintf(f, "\n# class-records:");
    for (int k = 0; k < K; k++) fprintf(f, "%s %s %zu", k ? "," : "", lb_cls[k2c[k]], cls_n[k2c[k]]);
    fprintf(f, "\n# mode: %s\n", cx_learned_mode_name(a->mode));
    fprintf(f, "# features: %s\n", cx_learned_features_name(feats, fbuf, sizeof fbuf));
    if (a->c.feats_auto && prefix_f1[0] >= 0)
        fprintf(f, "# features-choice: prefix %s by the cross-validation (macro-F1 %.4f with, %.4f without)\n",
                (feats & CX_LF_PREFIX) ? "kept" : "left out", prefix_f1[0], prefix_f1[1]);
    if (K == 3) fprintf(f, "# cutpoints: %.4f %.4f\n", cut[0], cut[1]);
    else fprintf(f, "# cutpoints: %.4f\n", cut[0]);
    if (cvrep[0]) fprintf(f, "# l2: %g (by 5-fold cross-validation on these records, macro-F1:%s)\n", l2, cvrep);
    else fprintf(f, "# l2: %g\n", l2);
    fprintf(f, "# class-weight: %s%s\n", cw ? "balanced" : "none",
            a->class_weight < 0 && cvrep[0] ? " (by the cross-validation)" : "");
    fprintf(f, "# epochs: %d (L-BFGS iterations, at most %d%s)\n", iters, a->c.epochs, conv ? ", converged" : "");
    fprintf(f, "# min-count: %d (%u of %u terms; %u with a non-zero weight)\n", a->c.min_count, F, dc.n, nw);
    fprintf(f, "# training-accuracy: %.4f\n", acc);
    fprintf(f, "# training-macro-f1: %.4f\n", mf1);
    fprintf(f, "#\n"
               "# margin = the sum of the weights of the terms present in a record (each once)%s;\n"
               "# label: negative up to the first cutpoint, then neutral (3 classes) up to the next, then positive.\n"
               "# Terms are the analyser's stems (`tools/cxflow tokenize` shows them in [brackets]), \"stem1 stem2\"\n"
               "# bigrams, emoji, \"not_stem\" for a word after a negator, \"first~\" for the first 5 characters of a\n"
               "# longer word (features: prefix); edit weights or delete lines freely.\n",
            t.lex ? " + the @lexicon weight x the authored lexicon's compound score (-1..1)" : "");
    if (t.lex) fprintf(f, "%s\t%.4f\n", CX_LEARNED_LEXICON, p[F]);
    for (uint32_t j = 0; j < nw; j++) fprintf(f, "%s\t%.4f\n", wt[j].s, wt[j].w);
    int werr = ferror(f);
    if (fclose(f) != 0 || werr) {
        unlink(tmp);
        tu_fail(1, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, path) < 0) {
        tu_fail(1, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    /* read it back with the tag stage's loader */
    cx_learned *chk = cx_learned_load(path, err, sizeof err);
    if (!chk) {
        tu_fail(1, "the written lexicon does not load: %s", err);
        goto out;
    }
    cx_learned_destroy(&chk);
    printf("wrote %s: %u terms%s, %d classes, cutpoints", path, nw, t.lex ? " + @lexicon" : "", K);
    for (int k = 0; k < K - 1; k++) printf(" %.4f", cut[k]);
    printf(", l2 %g, mode %s\n", l2, cx_learned_mode_name(a->mode));
    printf("train n=%zu accuracy=%.4f macro_f1=%.4f\n", d.n, acc, mf1);
    rc = 0;
    goto out;
oom:
    tu_fail(1, "out of memory");
out:
    cx_free(wt);
    cx_free(p);
    cx_free(pred);
    cx_free(remap);
    cx_free(t.rp);
    cx_free(t.ci);
    cx_free(t.y);
    cx_free(t.lex);
    tu_dict_free(&dc);
    cx_tagger_destroy(&tg);
    cx_text_destroy(&tx);
    lb_data_free(&d);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "themes")) return train_themes_main(argc, argv); /* tools/src/train_themes.c */
    if (strcmp(argv[1], "sentiment")) {
        fprintf(stderr, "cxflow-train: unknown kind '%s' (sentiment or themes)\n", argv[1]);
        return 2;
    }
    tr_args a;
    memset(&a, 0, sizeof a);
    tu_common_init(&a.c);
    a.mode = CX_LEARNED_WITH;
    a.class_weight = -1;
    for (int i = 2; i < argc; i++) {
        int r = tu_common_opt(&a.c, argc, argv, &i);
        if (r == TU_OPT_HELP) { usage(stdout); return 0; }
        if (r < 0) return -r;
        if (r == TU_OPT_DONE) continue;
        const char *s = argv[i];
        if (!strcmp(s, "--mode")) {
            a.mode = cx_learned_mode_parse(argv[++i]);
            if (a.mode != CX_LEARNED_WITH && a.mode != CX_LEARNED_INSTEAD) return tu_fail(2, "--mode is with or instead");
        } else if (!strcmp(s, "--class-weight")) {
            const char *x = argv[++i];
            if (!strcmp(x, "balanced")) a.class_weight = 1;
            else if (!strcmp(x, "none")) a.class_weight = 0;
            else if (!strcmp(x, "auto")) a.class_weight = -1;
            else return tu_fail(2, "--class-weight is auto, none or balanced");
        } else {
            fprintf(stderr, "cxflow-train: unexpected argument '%s'\n", s);
            usage(stderr);
            return 2;
        }
    }
    if (!a.c.file) return tu_fail(2, "sentiment needs a labelled JSONL file (see --help)");
    if (!a.c.out) return tu_fail(2, "-o DIR is required: where to write the learned lexicon (e.g. -o lexicons/learned/shop)");
    tu_quiet = a.c.quiet;
    if (!(a.conf = tu_common_conf(&a.c))) return 2;
    int rc = train_sentiment(&a);
    cx_conf_destroy(&a.conf);
    return rc;
}
