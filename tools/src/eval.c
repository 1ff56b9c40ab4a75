/* eval.c - cxflow-eval: measure the analysis against labelled data.
 *
 *   cxflow-eval langid FILE.jsonl [--lexicons DIR] [-c FILE] [-o key=value]...
 *                      [--method combined|stopwords|textcat|cld2|stopwords+textcat] [--errors N] [--mixed N]
 *                      [--dump FILE]
 *   cxflow-eval sentiment FILE.jsonl [--lexicon DIR] [--detect] [--half 1|2] [--errors N] [--dump FILE]
 *                         [--learned DIR [--learned-mode file|with|instead]]
 *   cxflow-eval themes FILE.jsonl [--model DIR] [--half 1|2 | --holdout PCT] [--where KEY=VALUE]... [--top N]
 *
 * Each kind of evaluation is a subcommand with its own entry in `cmds`
 * (themes and cluster are meant to join langid and sentiment); they share the
 * argument parsing, the configuration and the JSONL reader below.
 *
 * langid reads JSON lines with the text in "text" and the gold language in
 * "lang", runs exactly the language identification of the tokenize stage
 * (cx_text_analyze, no language hint, langid.min_confidence from the
 * configuration) and prints per gold language the count, the correct ones,
 * the accuracy and the most common confusions, then
 *
 *   langid n=N accuracy=A docs_per_s=R
 *
 * where "und" counts as wrong and R is the rate of language identification
 * alone (cx_text_identify, the same decision without tokenisation) per
 * CPU-second, measured in a second pass that repeats the file for at least
 * a second.  The line before gives the full analysis' rate (per CPU-second,
 * per-sentence languages included when langid.per_sentence is on)
 * and the identification rate by the wall clock.  Exit status 0, or 2 on
 * bad usage or unreadable input. */
#include "cx_alloc.h"
#include "cx_conf.h"
#include "cx_env.h"
#include "cx_tagger.h"
#include "cx_tag_learned.h"
#include "cx_tag_ltheme.h"
#include "cx_text.h"
#include "clusterer.h"
#include "labelled.h"
#include "langid.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- shared by every evaluation ---- */

/* Options common to the subcommands. */
typedef struct ev_args {
    const char *file;        /* the JSONL input */
    const char *lexicons;    /* --lexicons DIR, or NULL: lexicons.dir of the configuration */
    const char *method;      /* --method (langid) */
    int errors;              /* --errors N: print up to N wrong records */
    int mixed;               /* --mixed N: print up to N records with per-sentence languages */
    const char *dump;        /* --dump FILE: every record's result as TSV (gold, got, conf, text) */
    int half;                /* --half 1|2: only the even (1) or odd (2) records (sentiment) */
    int detect;              /* --detect: ignore the records' "lang" (sentiment) */
    const char *learned;     /* --learned DIR (sentiment), or NULL: sentiment.learned of the configuration */
    const char *learned_mode;/* --learned-mode (sentiment), or NULL: sentiment.learned_mode */
    const char *model;       /* --model DIR (themes): learned themes, NULL: the authored taxonomy */
    int holdout;             /* --holdout PCT (themes): the held-back records */
    int top;                 /* --top N (themes): labels in the table */
    const char *where[LB_MAX_WHERE]; /* --where KEY=VALUE (themes) */
    int n_where;
    int negative_only;       /* --negative-only (cluster): only records the tag stage labels negative */
    cx_conf *conf;           /* -c FILE plus -o overrides (defaults without -c) */
} ev_args;

static double ev_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: rates per CPU-second do not depend on what
 * else runs on the machine. */
static double ev_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- langid ---- */

#define EV_MAX_LANGS 128
#define EV_MAX_CONF 16

typedef struct ev_count { char code[8]; size_t n; } ev_count;

/* Per gold language: totals and what it was taken for. */
typedef struct ev_lang {
    char gold[8];
    size_t n, correct;
    ev_count conf[EV_MAX_CONF];
    int nconf;
} ev_lang;

static ev_lang *ev_lang_of(ev_lang *t, int *n, const char *gold) {
    for (int i = 0; i < *n; i++)
        if (!strcmp(t[i].gold, gold)) return &t[i];
    if (*n >= EV_MAX_LANGS) return NULL;
    ev_lang *l = &t[(*n)++];
    memset(l, 0, sizeof *l);
    snprintf(l->gold, sizeof l->gold, "%s", gold);
    return l;
}

static void ev_confuse(ev_lang *l, const char *got) {
    for (int i = 0; i < l->nconf; i++)
        if (!strcmp(l->conf[i].code, got)) { l->conf[i].n++; return; }
    if (l->nconf < EV_MAX_CONF) {
        snprintf(l->conf[l->nconf].code, sizeof l->conf[l->nconf].code, "%s", got);
        l->conf[l->nconf++].n = 1;
    }
}

static int ev_cmp_lang(const void *a, const void *b) {
    return strcmp(((const ev_lang *)a)->gold, ((const ev_lang *)b)->gold);
}
static int ev_cmp_count(const void *a, const void *b) {
    const ev_count *x = a, *y = b;
    return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->code, y->code);
}

/* Canonical form of a gold label: lower case, region dropped ("pt-BR" -> "pt"). */
static void ev_canon(const char *in, char out[8]) {
    size_t i = 0;
    for (; in[i] && in[i] != '-' && in[i] != '_' && i < 7; i++) out[i] = (char)(in[i] | 32);
    out[i] = '\0';
}

static int ev_langid(const ev_args *a) {
    char err[512], dir[4096];
    int method = cx_langid_method_parse(a->method ? a->method : "combined");
    if (method < 0) {
        fprintf(stderr, "cxflow-eval: unknown --method %s (combined, stopwords, textcat, cld2, stopwords+textcat)\n", a->method);
        return 2;
    }
    lb_data d = {0};
    if (lb_read_jsonl(a->file, "text", "lang", &d, err, sizeof err) < 0) {
        fprintf(stderr, "cxflow-eval: %s\n", err);
        lb_data_free(&d);
        return 2;
    }
    if (!d.n) {
        fprintf(stderr, "cxflow-eval: %s: no records with \"text\" and \"lang\"\n", a->file);
        lb_data_free(&d);
        return 2;
    }
    cx_text_opts o = {0};
    o.lexicon_dir = a->lexicons ? a->lexicons : cx_conf_path(a->conf, "lexicons.dir", dir, sizeof dir);
    o.default_lang = "und";   /* "und" must stay visible: it counts as wrong */
    o.trust_hint = 0;
    o.min_confidence = (float)cx_conf_dbl(a->conf, "langid.min_confidence");
    if (o.min_confidence <= 0) o.min_confidence = -1;
    o.per_sentence = cx_conf_bool(a->conf, "langid.per_sentence");
    o.langid_method = method;
    cx_text *t = cx_text_new(&o, err, sizeof err);
    if (!t) {
        fprintf(stderr, "cxflow-eval: %s\n", err);
        lb_data_free(&d);
        return 2;
    }
    char(*got)[8] = cx_calloc(d.n, sizeof *got);
    float *gconf = cx_calloc(d.n, sizeof *gconf);
    if (!got || !gconf) {
        cx_free(got);
        cx_free(gconf);
        fprintf(stderr, "cxflow-eval: out of memory\n");
        cx_text_destroy(&t);
        lb_data_free(&d);
        return 2;
    }

    /* pass 1: the full analysis, as in the tokenize stage */
    double t0 = ev_cpu(), analysis_s = 0;
    size_t failed = 0, mixed = 0, analysed = 0;
    for (int rep = 0; (rep == 0 || analysis_s < 1.0) && rep < 50; rep++) {   /* repeated for a stable rate */
    for (size_t i = 0; i < d.n; i++) {
        cx_env *e = cx_env_new();
        if (!e) { failed += rep == 0; continue; }
        e->text = d.r[i].text;
        if (cx_text_analyze(t, e, NULL, err, sizeof err) < 0) failed += rep == 0;
        if (rep) { cx_env_destroy(&e); continue; }
        memcpy(got[i], e->lang, sizeof got[i]);
        gconf[i] = e->lang_conf;
        if (e->sent_lang && (int)mixed < a->mixed) {
            printf("mixed lang=%s sentences=", e->lang);
            for (uint32_t k = 0; k < e->n_sents; k++) printf("%s%s", k ? "," : "", e->sent_lang[k]);
            printf(" text=%.200s\n", d.r[i].text);
        }
        mixed += e->sent_lang != NULL;
        cx_env_destroy(&e);
    }
    analysed += d.n;
    analysis_s = ev_cpu() - t0;
    }

    /* pass 2: language identification alone, repeated for a stable rate */
    size_t done = 0, differ = 0;
    cx_env *e = cx_env_new();
    t0 = ev_cpu();
    double w0 = ev_now(), el = 0;
    for (int rep = 0; e && (rep == 0 || el < 1.0) && rep < 50; rep++) {
        for (size_t i = 0; i < d.n; i++) {
            e->text = d.r[i].text;
            if (cx_text_identify(t, e, err, sizeof err) == 0 && rep == 0 && strcmp(e->lang, got[i])) differ++;
        }
        done += d.n;
        el = ev_cpu() - t0;
    }
    double wall = ev_now() - w0;
    cx_env_destroy(&e);
    double rate = el > 0 ? (double)done / el : 0;

    FILE *df = a->dump ? fopen(a->dump, "w") : NULL;
    if (a->dump && !df) fprintf(stderr, "cxflow-eval: cannot write %s\n", a->dump);
    ev_lang langs[EV_MAX_LANGS];
    int nl = 0, shown = 0;
    size_t correct = 0, und = 0;
    for (size_t i = 0; i < d.n; i++) {
        char gold[8];
        ev_canon(d.r[i].gold, gold);
        ev_lang *l = ev_lang_of(langs, &nl, gold);
        int ok = !strcmp(gold, got[i]);
        correct += ok;
        und += !strcmp(got[i], "und");
        if (df) {
            fprintf(df, "%s\t%s\t%.3f\t", gold, got[i], (double)gconf[i]);
            for (const char *p = d.r[i].text; *p; p++) fputc(*p == '\t' || *p == '\n' ? ' ' : *p, df);
            fputc('\n', df);
        }
        if (!l) continue;
        l->n++;
        if (ok) l->correct++;
        else ev_confuse(l, got[i]);
        if (!ok && shown < a->errors) {
            shown++;
            printf("miss gold=%s got=%s text=%.160s\n", gold, got[i], d.r[i].text);
        }
    }
    qsort(langs, (size_t)nl, sizeof langs[0], ev_cmp_lang);
    printf("method=%s file=%s lexicons=%s min_confidence=%.2f\n", cx_langid_method_name((cx_langid_method)method),
           a->file, o.lexicon_dir, (double)(o.min_confidence < 0 ? 0 : o.min_confidence));
    printf("%-5s %6s %7s %8s  %s\n", "lang", "n", "correct", "accuracy", "confused with");
    for (int i = 0; i < nl; i++) {
        ev_lang *l = &langs[i];
        qsort(l->conf, (size_t)l->nconf, sizeof l->conf[0], ev_cmp_count);
        printf("%-5s %6zu %7zu %8.4f ", l->gold, l->n, l->correct, l->n ? (double)l->correct / (double)l->n : 0.0);
        for (int k = 0; k < l->nconf && k < 5; k++) printf(" %s:%zu", l->conf[k].code, l->conf[k].n);
        printf("\n");
    }
    if (d.skipped) printf("skipped %zu lines without \"text\" and \"lang\"\n", d.skipped);
    if (failed) printf("analysis failed on %zu records\n", failed);
    if (differ) printf("warning: identification alone differs from the analysis on %zu records\n", differ);
    printf("und=%zu mixed_records=%zu analysis_docs_per_s=%.0f langid_wall_docs_per_s=%.0f\n", und, mixed,
           analysis_s > 0 ? (double)analysed / analysis_s : 0.0, wall > 0 ? (double)done / wall : 0.0);
    printf("langid n=%zu accuracy=%.4f docs_per_s=%.0f\n", d.n, (double)correct / (double)d.n, rate);
    if (df) fclose(df);
    cx_free(got);
    cx_free(gconf);
    cx_text_destroy(&t);
    lb_data_free(&d);
    return 0;
}


/* ---- sentiment ---- */

/* The tag stage's sentiment against "label_sentiment" (negative, neutral,
 * positive; records with null are skipped).  The text goes through the
 * tokenize stage's analysis (the record's "lang" as the hint unless
 * --detect, PII redaction as configured) and the tag stage's tagger. */

static int ev_sentiment(const ev_args *a) {
    char err[512], dir[4096];
    if (a->half < 0 || a->half > 2) {
        fprintf(stderr, "cxflow-eval: --half is 1 (even records) or 2 (odd records)\n");
        return 2;
    }
    lb_data d = {0};
    if (lb_read_jsonl(a->file, "text", "label_sentiment", &d, err, sizeof err) < 0) {
        fprintf(stderr, "cxflow-eval: %s\n", err);
        lb_data_free(&d);
        return 2;
    }
    size_t unknown = lb_keep_sentiment(&d, a->half);   /* the known labels (and the chosen half) */
    if (!d.n) {
        fprintf(stderr, "cxflow-eval: %s: no records with \"text\" and a \"label_sentiment\"\n", a->file);
        lb_data_free(&d);
        return 2;
    }
    cx_text_opts o;
    lb_text_opts(a->conf, a->lexicons ? a->lexicons : cx_conf_path(a->conf, "lexicons.dir", dir, sizeof dir),
                 a->detect, &o);
    char ldir[4096];
    const char *learned = a->learned ? a->learned : cx_conf_path(a->conf, "sentiment.learned", ldir, sizeof ldir);
    int lmode = cx_learned_mode_parse(a->learned_mode ? a->learned_mode : cx_conf_str(a->conf, "sentiment.learned_mode"));
    if (lmode < 0) {
        fprintf(stderr, "cxflow-eval: --learned-mode is file, with or instead\n");
        lb_data_free(&d);
        return 2;
    }
    cx_text *t = cx_text_new(&o, err, sizeof err);
    cx_tagger *tg = NULL;
    if (t) {
        cx_tagger_opts to = {.lexicon_dir = o.lexicon_dir,
                             .positive_threshold = cx_conf_dbl(a->conf, "sentiment.positive_threshold"),
                             .negative_threshold = cx_conf_dbl(a->conf, "sentiment.negative_threshold"),
                             .text = t,
                             .learned_dir = learned,
                             .learned_mode = lmode};
        tg = cx_tagger_new(&to, err, sizeof err);
    }
    cx_env **envs = cx_calloc(d.n, sizeof *envs);
    if (!t || !tg || !envs) {
        fprintf(stderr, "cxflow-eval: %s\n", envs ? err : "out of memory");
        cx_free(envs);
        cx_tagger_destroy(&tg);
        cx_text_destroy(&t);
        lb_data_free(&d);
        return 2;
    }
    /* pass 1: the tokenize stage's analysis of every record */
    size_t failed = 0;
    for (size_t i = 0; i < d.n; i++) {
        cx_env *e = envs[i] = cx_env_new();
        if (!e) { failed++; continue; }
        e->text = d.r[i].text;
        e->lang_hint = !a->detect && d.r[i].lang[0] ? d.r[i].lang : NULL;
        if (cx_text_analyze(t, e, NULL, err, sizeof err) < 0) failed++;
    }
    /* pass 2: the tagger alone, repeated for at least a CPU-second */
    int8_t *got = cx_calloc(d.n, 1);
    double t0 = ev_cpu(), el = 0;
    size_t done = 0;
    for (int rep = 0; got && (rep == 0 || el < 1.0) && rep < 200; rep++) {
        for (size_t i = 0; i < d.n; i++) {
            if (!envs[i]) continue;
            if (cx_tagger_apply(tg, envs[i], err, sizeof err) < 0) { if (!rep) failed++; continue; }
            if (!rep) got[i] = envs[i]->label;
            done++;
        }
        el = ev_cpu() - t0;
    }
    /* confusion matrix over the gold classes */
    size_t cm[LB_NCLS][LB_NCLS] = {{0}}, gold_n[LB_NCLS] = {0}, pred_n[LB_NCLS] = {0}, correct = 0;
    FILE *df = a->dump ? fopen(a->dump, "w") : NULL;
    if (a->dump && !df) fprintf(stderr, "cxflow-eval: cannot write %s\n", a->dump);
    int shown = 0;
    for (size_t i = 0; got && i < d.n; i++) {
        int g = lb_cls_of(d.r[i].gold), p = (int)got[i] + 1;   /* CX_LABEL_* -1..1 -> 0..2 */
        cm[g][p]++;
        gold_n[g]++;
        pred_n[p]++;
        correct += g == p;
        const cx_env *e = envs[i];
        if (df) {
            fprintf(df, "%s\t%s\t%+.3f\t%s\t", lb_cls[g], lb_cls[p], e ? (double)e->sentiment : 0.0, e ? e->lang : "");
            for (const char *q = d.r[i].text; *q; q++) fputc(*q == '\t' || *q == '\n' ? ' ' : *q, df);
            fprintf(df, "\t%s\n", e && e->explain ? e->explain : "");
        }
        if (g != p && shown < a->errors) {
            shown++;
            printf("miss gold=%s got=%s score=%+.3f text=%.200s\n     %s\n", lb_cls[g], lb_cls[p],
                   e ? (double)e->sentiment : 0.0, d.r[i].text, e && e->explain ? e->explain : "");
        }
    }
    if (df) fclose(df);
    printf("file=%s lexicons=%s thresholds=%+.2f/%+.2f%s%s\n", a->file, o.lexicon_dir,
           cx_conf_dbl(a->conf, "sentiment.negative_threshold"), cx_conf_dbl(a->conf, "sentiment.positive_threshold"),
           a->half ? (a->half == 1 ? " half=1(even records)" : " half=2(odd records)") : "",
           a->detect ? " lang=detected" : " lang=record");
    if (learned[0]) {
        cx_tagger_stats ts;
        cx_tagger_get_stats(tg, &ts);
        printf("learned=%s mode=%s terms=%zu\n", learned, cx_learned_mode_name(ts.learned_mode), ts.learned_terms);
    }
    printf("%-10s %9s %9s %9s %7s %9s %7s %7s\n", "gold\\pred", lb_cls[0], lb_cls[1], lb_cls[2], "n", "precision",
           "recall", "f1");
    double f1sum = 0;
    int nclasses = 0;
    for (int g = 0; g < LB_NCLS; g++) {
        if (!gold_n[g]) continue;
        double pr = pred_n[g] ? (double)cm[g][g] / (double)pred_n[g] : 0, rc = (double)cm[g][g] / (double)gold_n[g];
        double f1 = pr + rc > 0 ? 2 * pr * rc / (pr + rc) : 0;
        f1sum += f1;
        nclasses++;
        printf("%-10s %9zu %9zu %9zu %7zu %9.4f %7.4f %7.4f\n", lb_cls[g], cm[g][0], cm[g][1], cm[g][2], gold_n[g], pr,
               rc, f1);
    }
    if (unknown) printf("skipped %zu records without a sentiment label\n", unknown);
    if (d.skipped) printf("skipped %zu lines without \"text\" or with a null \"label_sentiment\"\n", d.skipped);
    if (failed) printf("analysis or tagging failed on %zu records\n", failed);
    if (nclasses == 2 && !gold_n[LB_NEU]) printf("two-class gold: a neutral prediction counts as wrong\n");
    printf("sentiment n=%zu accuracy=%.4f macro_f1=%.4f docs_per_s=%.0f\n", d.n, (double)correct / (double)d.n,
           nclasses ? f1sum / nclasses : 0.0, el > 0 ? (double)done / el : 0.0);
    for (size_t i = 0; i < d.n; i++) cx_env_destroy(&envs[i]);
    cx_free(envs);
    cx_free(got);
    cx_tagger_destroy(&tg);
    cx_text_destroy(&t);
    lb_data_free(&d);
    return 0;
}

/* ---- themes ---- */

/* The tag stage's themes against "label_theme" (tools/src/labelled.c reads,
 * filters with --where and splits with --half / --holdout exactly as
 * `cxflow-train themes`).  With --model DIR the learned themes of DIR
 * (their "learned." prefix removed) are the predictions; without, the
 * authored taxonomy's themes, each mapped to its nearest ancestor (itself
 * included) that is a gold label of the file.
 *
 * Single-label gold (every label_theme a string): the prediction is the
 * theme of the highest weight (ties: the first); accuracy = top-1.
 * Multi-label gold (lists): every predicted theme counts; accuracy = exact
 * set match; [] is gold "no theme".  micro-F1 pools the labels' true and
 * false positives and negatives; macro-F1 averages the F1 of the labels
 * with gold examples. */

typedef struct ev_lab {
    char *name;                  /* owned */
    size_t gold, pred, tp;
} ev_lab;

typedef struct ev_labs {
    ev_lab *l;
    size_t n, cap;
} ev_labs;

static long ev_lab_find(const ev_labs *t, const char *s) {
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->l[i].name, s)) return (long)i;
    return -1;
}

static long ev_lab_add(ev_labs *t, const char *s) {
    long i = ev_lab_find(t, s);
    if (i >= 0) return i;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 128;
        ev_lab *nl = cx_realloc(t->l, nc * sizeof *nl);
        if (!nl) return -1;
        t->l = nl;
        t->cap = nc;
    }
    ev_lab *l = &t->l[t->n];
    memset(l, 0, sizeof *l);
    if (!(l->name = cx_strdup(s))) return -1;
    return (long)t->n++;
}

static int ev_cmp_support(const void *a, const void *b) {
    const ev_lab *x = a, *y = b;
    if (x->gold != y->gold) return x->gold < y->gold ? 1 : -1;
    return strcmp(x->name, y->name);
}

static double ev_f1(size_t tp, size_t pred, size_t gold) { return pred + gold ? 2.0 * (double)tp / (double)(pred + gold) : 0; }

/* The predicted label of theme id: learned "learned.X" -> X (model mode,
 * authored themes ignored); authored id -> its nearest ancestor that is a
 * gold label (else the id itself).  NULL: not a prediction of this mode. */
static const char *ev_theme_label(const cx_tagger *tg, const ev_labs *gold, int learned, const char *id) {
    size_t pl = strlen(CX_LTHEME_PREFIX);
    int is_learned = !strncmp(id, CX_LTHEME_PREFIX, pl);
    if (learned) return is_learned ? id + pl : NULL;
    if (is_learned) return NULL;
    for (const char *cur = id; cur;) {
        if (ev_lab_find(gold, cur) >= 0) return cur;
        const char *parent = NULL;
        for (size_t i = 0; i < cx_tagger_n_themes(tg); i++) {
            const cx_tag_theme *x = cx_tagger_theme(tg, i);
            if (!strcmp(x->id, cur)) { parent = x->parent; break; }
        }
        cur = parent;
    }
    return id;
}

/* The tokenize and tag stages' analysis as configured, for the themes and
 * cluster evaluations (no explanations; --model: learned themes).  On
 * failure *t or *tg stays NULL with the reason in err. */
static void ev_analysis_new(const ev_args *a, char *dir, size_t dirlen, cx_text_opts *o, cx_text **t, cx_tagger **tg,
                            char *err, size_t errlen) {
    lb_text_opts(a->conf, a->lexicons ? a->lexicons : cx_conf_path(a->conf, "lexicons.dir", dir, dirlen), a->detect, o);
    *t = cx_text_new(o, err, errlen);
    *tg = NULL;
    if (!*t) return;
    cx_tagger_opts to = {.lexicon_dir = o->lexicon_dir,
                         .positive_threshold = cx_conf_dbl(a->conf, "sentiment.positive_threshold"),
                         .negative_threshold = cx_conf_dbl(a->conf, "sentiment.negative_threshold"),
                         .text = *t,
                         .no_explain = 1,
                         .themes_learned_dir = a->model};
    *tg = cx_tagger_new(&to, err, errlen);
}

static int ev_themes(const ev_args *a) {
    char err[1024], dir[4096];
    if (a->half < 0 || a->half > 2) {
        fprintf(stderr, "cxflow-eval: --half is 1 (even records) or 2 (odd records)\n");
        return 2;
    }
    if (a->holdout < 0 || a->holdout > 90) {
        fprintf(stderr, "cxflow-eval: --holdout is a percentage 1..90\n");
        return 2;
    }
    if (a->half && a->holdout) {
        fprintf(stderr, "cxflow-eval: --half and --holdout are two different splits: give one\n");
        return 2;
    }
    for (int i = 0; i < a->n_where; i++)
        if (lb_where_check(a->where[i], err, sizeof err) < 0) {
            fprintf(stderr, "cxflow-eval: %s\n", err);
            return 2;
        }
    lb_tdata d;
    memset(&d, 0, sizeof d);
    if (lb_read_themes(a->file, a->where, a->n_where, &d, err, sizeof err) < 0) {
        fprintf(stderr, "cxflow-eval: %s\n", err);
        lb_tdata_free(&d);
        return 2;
    }
    size_t read = d.n;
    lb_keep_split(&d, a->half, a->holdout, 1);
    if (!d.n) {
        fprintf(stderr, "cxflow-eval: %s: no records with \"text\" and a \"label_theme\"%s (%zu with null, %zu left out "
                "by --where)\n", a->file, read ? " in this split" : "", d.null_label, d.not_where);
        lb_tdata_free(&d);
        return 2;
    }
    cx_text_opts o;
    cx_text *t = NULL;
    cx_tagger *tg = NULL;
    ev_analysis_new(a, dir, sizeof dir, &o, &t, &tg, err, sizeof err);
    int rc = 2, learned = a->model && a->model[0];
    ev_labs labs = {0};
    cx_env **envs = cx_calloc(d.n, sizeof *envs);
    long *pl = NULL;      /* predicted label ids per record, -1 terminated slots */
    size_t *po = NULL;
    if (!t || !tg || !envs) {
        fprintf(stderr, "cxflow-eval: %s\n", envs ? err : "out of memory");
        goto out;
    }
    /* the gold labels first (their order: the file's sorted labels) */
    for (uint32_t l = 0; l < d.n_labels; l++)
        if (ev_lab_add(&labs, d.labels[l]) < 0) goto oom;
    size_t n_gold_labels = labs.n;
    if (!learned) { /* gold labels must be taxonomy ids */
        size_t unknown = 0;
        char list[512] = "";
        size_t ll = 0;
        for (size_t l = 0; l < n_gold_labels; l++) {
            int known = 0;
            for (size_t i = 0; i < cx_tagger_n_themes(tg) && !known; i++) known = !strcmp(cx_tagger_theme(tg, i)->id, labs.l[l].name);
            if (known) continue;
            if (unknown++ < 8 && ll < sizeof list)
                ll += (size_t)snprintf(list + ll, sizeof list - ll, "%s'%s'", unknown > 1 ? ", " : "", labs.l[l].name);
        }
        if (unknown == n_gold_labels) {
            fprintf(stderr, "cxflow-eval: none of the %zu gold labels of %s is a theme id of the taxonomy (%s/themes/"
                    "taxonomy.tsv), e.g. %s: evaluate a learned model with --model DIR (cxflow train themes)\n",
                    n_gold_labels, a->file, o.lexicon_dir, list);
            goto out;
        }
        if (unknown)
            fprintf(stderr, "cxflow-eval: warning: %zu of %zu gold labels are no taxonomy id (%s%s); the authored "
                    "themes never predict them\n", unknown, n_gold_labels, list, unknown > 8 ? ", ..." : "");
    }
    /* pass 1: the tokenize stage's analysis */
    size_t failed = 0;
    for (size_t i = 0; i < d.n; i++) {
        cx_env *e = envs[i] = cx_env_new();
        if (!e) { failed++; continue; }
        e->text = d.r[i].text;
        e->lang_hint = !a->detect && d.r[i].lang[0] ? d.r[i].lang : NULL;
        if (cx_text_analyze(t, e, NULL, err, sizeof err) < 0) failed++;
    }
    /* pass 2: the tagger alone, repeated for at least a CPU-second */
    double t0 = ev_cpu(), el = 0;
    size_t done = 0;
    if (!(po = cx_calloc(d.n + 1, sizeof *po))) goto oom;
    for (int rep = 0; rep == 0 || (el < 1.0 && rep < 200); rep++) {
        for (size_t i = 0; i < d.n; i++) {
            if (!envs[i]) continue;
            if (cx_tagger_apply(tg, envs[i], err, sizeof err) < 0) { if (!rep) failed++; continue; }
            done++;
        }
        el = ev_cpu() - t0;
    }
    /* predictions: label ids per record (single-label gold: the top theme only) */
    size_t cap = 0, np = 0;
    for (size_t i = 0; i < d.n; i++) cap += envs[i] ? envs[i]->n_themes : 0;
    if (!(pl = cx_malloc((cap ? cap : 1) * sizeof *pl))) goto oom;
    for (size_t i = 0; i < d.n; i++) {
        po[i] = np;
        const cx_env *e = envs[i];
        if (!e) continue;
        float bw = -1;
        long top = -1;
        for (uint32_t k = 0; k < e->n_themes; k++) {
            const char *lab = ev_theme_label(tg, &labs, learned, e->themes[k].id);
            if (!lab) continue;
            long id = ev_lab_add(&labs, lab);
            if (id < 0) goto oom;
            if (!d.multi) {
                if (e->themes[k].weight > bw) { bw = e->themes[k].weight; top = id; }
                continue;
            }
            int dup = 0;
            for (size_t q = po[i]; q < np; q++) dup |= pl[q] == id;
            if (!dup) pl[np++] = id;
        }
        if (!d.multi && top >= 0) pl[np++] = top;
    }
    po[d.n] = np;
    /* scores */
    size_t exact = 0, shown = 0, no_pred = 0;
    FILE *df = a->dump ? fopen(a->dump, "w") : NULL;
    if (a->dump && !df) fprintf(stderr, "cxflow-eval: cannot write %s\n", a->dump);
    for (size_t i = 0; i < d.n; i++) {
        const uint32_t *g = d.lab + d.r[i].off;
        uint32_t ng = d.r[i].n_lab;
        size_t hit = 0;
        for (uint32_t q = 0; q < ng; q++) labs.l[g[q]].gold++;
        for (size_t k = po[i]; k < po[i + 1]; k++) {
            labs.l[pl[k]].pred++;
            for (uint32_t q = 0; q < ng; q++)
                if ((long)g[q] == pl[k]) { labs.l[pl[k]].tp++; hit++; }
        }
        size_t npred = po[i + 1] - po[i];
        no_pred += npred == 0;
        int ok = hit == ng && npred == ng;
        exact += ok;
        if (df || (!ok && shown < (size_t)a->errors)) {
            char gs[512] = "", ps[512] = "";
            size_t gl = 0, pln = 0;
            for (uint32_t q = 0; q < ng && gl < sizeof gs; q++)
                gl += (size_t)snprintf(gs + gl, sizeof gs - gl, "%s%s", q ? "," : "", labs.l[g[q]].name);
            for (size_t k = po[i]; k < po[i + 1] && pln < sizeof ps; k++)
                pln += (size_t)snprintf(ps + pln, sizeof ps - pln, "%s%s", k > po[i] ? "," : "", labs.l[pl[k]].name);
            if (!ok && shown < (size_t)a->errors) {
                shown++;
                printf("miss gold=%s got=%s text=%.200s\n", gs, npred ? ps : "-", d.r[i].text);
            }
            if (df) {
                fprintf(df, "%s\t%s\t", gs, ps);
                for (const char *q = d.r[i].text; *q; q++) fputc(*q == '\t' || *q == '\n' ? ' ' : *q, df);
                fputc('\n', df);
            }
        }
    }
    if (df) fclose(df);
    size_t tp = 0, pred = 0, gold = 0, nl = 0;
    double f1sum = 0;
    for (size_t l = 0; l < labs.n; l++) {
        tp += labs.l[l].tp;
        pred += labs.l[l].pred;
        gold += labs.l[l].gold;
        if (labs.l[l].gold) {
            f1sum += ev_f1(labs.l[l].tp, labs.l[l].pred, labs.l[l].gold);
            nl++;
        }
    }
    printf("file=%s %s%s%s%s\n", a->file, learned ? "model=" : "taxonomy=", learned ? a->model : o.lexicon_dir,
           a->half ? (a->half == 1 ? " half=1(even records)" : " half=2(odd records)") : "",
           a->holdout ? " holdout(held-back records)" : "");
    for (int i = 0; i < a->n_where; i++) printf("where %s\n", a->where[i]);
    if (learned) {
        cx_tagger_stats ts;
        cx_tagger_get_stats(tg, &ts);
        printf("learned labels=%zu weights=%zu\n", ts.ltheme_labels, ts.ltheme_weights);
    }
    printf("gold: %zu labels, %s\n", n_gold_labels, d.multi ? "multi-label (lists; every predicted theme counts)"
                                                            : "single-label (the top theme counts)");
    qsort(labs.l, labs.n, sizeof *labs.l, ev_cmp_support);
    int top = a->top > 0 ? a->top : 20;
    printf("%-40s %7s %7s %7s %9s %7s %7s\n", "label (by support)", "gold", "pred", "tp", "precision", "recall", "f1");
    for (size_t l = 0; l < labs.n && (int)l < top; l++) {
        const ev_lab *x = &labs.l[l];
        if (!x->gold) break;
        printf("%-40.40s %7zu %7zu %7zu %9.4f %7.4f %7.4f\n", x->name, x->gold, x->pred, x->tp,
               x->pred ? (double)x->tp / (double)x->pred : 0.0, (double)x->tp / (double)x->gold,
               ev_f1(x->tp, x->pred, x->gold));
    }
    if ((size_t)top < nl) printf("... %zu more labels with gold examples (--top N)\n", nl - (size_t)top);
    size_t extra = 0, extra_pred = 0;
    for (size_t l = 0; l < labs.n; l++)
        if (!labs.l[l].gold && labs.l[l].pred) { extra++; extra_pred += labs.l[l].pred; }
    if (extra) printf("%zu predicted labels have no gold example here (%zu predictions, all false positives)\n", extra, extra_pred);
    if (no_pred) printf("%zu records got no %s theme\n", no_pred, learned ? "learned" : "matching");
    if (failed) printf("analysis or tagging failed on %zu records\n", failed);
    printf("themes n=%zu accuracy=%.4f micro_f1=%.4f macro_f1=%.4f docs_per_s=%.0f\n", d.n,
           (double)exact / (double)d.n, ev_f1(tp, pred, gold), nl ? f1sum / (double)nl : 0.0,
           el > 0 ? (double)done / el : 0.0);
    rc = 0;
    goto out;
oom:
    fprintf(stderr, "cxflow-eval: out of memory\n");
    rc = 2;
out:
    for (size_t i = 0; envs && i < d.n; i++) cx_env_destroy(&envs[i]);
    for (size_t l = 0; l < labs.n; l++) cx_free(labs.l[l].name);
    cx_free(labs.l);
    cx_free(envs);
    cx_free(pl);
    cx_free(po);
    cx_tagger_destroy(&tg);
    cx_text_destroy(&t);
    lb_tdata_free(&d);
    return rc;
}

/* ---- cluster ---- */

/* Event times given to the records of a file, in file order: one a second. */
#define EV_CLUSTER_T0 1700000000000LL
#define EV_CLUSTER_STEP_MS 1000

typedef struct ev_pair { int64_t c; uint32_t g; char lang[8]; } ev_pair;

static int ev_cmp_pair(const void *a, const void *b) {
    const ev_pair *x = a, *y = b;
    if (x->c != y->c) return x->c < y->c ? -1 : 1;
    return x->g < y->g ? -1 : x->g > y->g;
}

/* Cross-language recall: among the pairs of records with the same gold
 * label and different languages, how many share a cluster.  Sorts p. */
static int ev_cmp_glang(const void *a, const void *b) {
    const ev_pair *x = a, *y = b;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    return strcmp(x->lang, y->lang);
}

static int ev_cmp_gclang(const void *a, const void *b) {
    const ev_pair *x = a, *y = b;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    if (x->c != y->c) return x->c < y->c ? -1 : 1;
    return strcmp(x->lang, y->lang);
}

/* Pairs in different languages within a run [i, j) of p that is sorted by
 * language: (n^2 - sum over languages of n_l^2) / 2. */
static double ev_mixed_pairs(const ev_pair *p, size_t i, size_t j) {
    double n = (double)(j - i), same = 0;
    for (size_t a = i; a < j;) {
        size_t b = a;
        while (b < j && !strcmp(p[b].lang, p[a].lang)) b++;
        same += (double)(b - a) * (double)(b - a);
        a = b;
    }
    return (n * n - same) / 2;
}

static void ev_cross_language(ev_pair *p, size_t n, double *pairs, double *joined) {
    *pairs = *joined = 0;
    qsort(p, n, sizeof *p, ev_cmp_glang);          /* runs of one gold label */
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && p[j].g == p[i].g; j++) {}
        *pairs += ev_mixed_pairs(p, i, j);
    }
    qsort(p, n, sizeof *p, ev_cmp_gclang);         /* runs of one (gold, cluster) */
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && p[j].g == p[i].g && p[j].c == p[i].c; j++) {}
        if (p[i].c > 0) *joined += ev_mixed_pairs(p, i, j);
    }
}

static double ev_xlogx(double x) { return x > 0 ? x * log(x) : 0; }

/* External clustering measures of a predicted partition (cluster ids) against
 * gold classes, from their contingency table:
 *   NMI = I(C;G) / ((H(C) + H(G)) / 2)   (arithmetic normalisation, the
 *         scikit-learn default; never above the geometric one)
 *   ARI = Hubert-Arabie adjusted Rand index over pairs
 *   purity = sum over clusters of the largest gold class / n */
typedef struct ev_cscore { double nmi, ari, purity; size_t clusters; } ev_cscore;

static int ev_cluster_scores(ev_pair *p, size_t n, uint32_t n_gold, ev_cscore *out) {
    size_t *gn = cx_calloc(n_gold ? n_gold : 1, sizeof *gn);
    if (!gn) return -1;
    qsort(p, n, sizeof *p, ev_cmp_pair);
    double N = (double)n, hc = 0, hg = 0, mi = 0, sum_ij = 0, sum_a = 0, sum_b = 0;
    size_t pure = 0, k = 0;
    for (size_t i = 0; i < n; i++) gn[p[i].g]++;
    for (uint32_t g = 0; g < n_gold; g++) {
        hg -= ev_xlogx((double)gn[g] / N);
        sum_b += (double)gn[g] * ((double)gn[g] - 1) / 2;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i, best = 0;
        while (j < n && p[j].c == p[i].c) j++;
        double nc = (double)(j - i);
        hc -= ev_xlogx(nc / N);
        sum_a += nc * (nc - 1) / 2;
        for (size_t a = i; a < j;) {
            size_t b = a;
            while (b < j && p[b].g == p[a].g) b++;
            double nij = (double)(b - a);
            mi += nij / N * log(N * nij / (nc * (double)gn[p[a].g]));
            sum_ij += nij * (nij - 1) / 2;
            if (b - a > best) best = b - a;
            a = b;
        }
        pure += best;
        k++;
        i = j;
    }
    cx_free(gn);
    double expected = N > 1 ? sum_a * sum_b / (N * (N - 1) / 2) : 0, maxi = (sum_a + sum_b) / 2;
    out->nmi = hc + hg > 0 ? 2 * mi / (hc + hg) : 1.0;
    out->ari = maxi - expected != 0 ? (sum_ij - expected) / (maxi - expected) : 1.0;
    out->purity = N > 0 ? (double)pure / N : 0;
    out->clusters = k;
    return 0;
}

/* The events of an evaluation run: counted, and the merges remembered so a
 * record's cluster can be followed to the cluster that absorbed it (as the
 * sink's clusters table does with merged_into). */
typedef struct ev_events {
    size_t n;
    int64_t (*merge)[2];     /* (absorbed, survivor) */
    size_t n_merge, cap_merge;
} ev_events;

static int ev_on_event(void *arg, const char *json, size_t len) {
    ev_events *ev = arg;
    ev->n++;
    static const char pat[] = "\"event\":\"merged\"";
    if (!memmem(json, len, pat, sizeof pat - 1)) return 0;
    json_t *o = json_loadb(json, len, 0, NULL);
    int64_t from = o ? (int64_t)json_integer_value(json_object_get(o, "cluster_id")) : 0;
    int64_t into = o ? (int64_t)json_integer_value(json_object_get(o, "merged_into")) : 0;
    json_decref(o);
    if (from <= 0 || into <= 0) return 0;
    if (ev->n_merge == ev->cap_merge) {
        size_t nc = ev->cap_merge ? ev->cap_merge * 2 : 64;
        int64_t (*nm)[2] = cx_realloc(ev->merge, nc * sizeof *nm);
        if (!nm) return 0;
        ev->merge = nm;
        ev->cap_merge = nc;
    }
    ev->merge[ev->n_merge][0] = from;
    ev->merge[ev->n_merge][1] = into;
    ev->n_merge++;
    return 0;
}

/* The cluster id that absorbed id, through every later merge. */
static int64_t ev_resolve(const ev_events *ev, int64_t id) {
    for (size_t i = 0; i < ev->n_merge; i++)
        if (ev->merge[i][0] == id) id = ev->merge[i][1]; /* merges are in time order */
    return id;
}

static int ev_cluster(const ev_args *a) {
    char err[1024], dir[4096];
    lb_tdata d;
    memset(&d, 0, sizeof d);
    if (lb_read_themes(a->file, a->where, a->n_where, &d, err, sizeof err) < 0) {
        fprintf(stderr, "cxflow-eval: %s\n", err);
        lb_tdata_free(&d);
        return 2;
    }
    if (!d.n) {
        fprintf(stderr, "cxflow-eval: %s: no records with \"text\" and a \"label_theme\"\n", a->file);
        lb_tdata_free(&d);
        return 2;
    }
    cx_text_opts o;
    cx_text *t = NULL;
    cx_tagger *tg = NULL;
    cx_clusterer *cl = NULL;
    cx_clusterer_opts co;
    cx_clusterer_opts_from_conf(&co, a->conf);
    co.negative_only = a->negative_only;
    ev_analysis_new(a, dir, sizeof dir, &o, &t, &tg, err, sizeof err);
    if (t && tg) cl = cx_clusterer_new(&co, err, sizeof err);
    int rc = 2;
    cx_env **envs = cx_calloc(d.n, sizeof *envs);
    ev_pair *pairs = cx_calloc(d.n, sizeof *pairs);
    if (!t || !tg || !cl || !envs || !pairs) {
        fprintf(stderr, "cxflow-eval: %s\n", envs && pairs ? err : "out of memory");
        goto out;
    }
    /* the tokenize and tag stages' work first, then the clustering alone is timed */
    size_t failed = 0;
    double a0 = ev_cpu();
    for (size_t i = 0; i < d.n; i++) {
        cx_env *e = envs[i] = cx_env_new();
        if (!e) { failed++; continue; }
        e->text = d.r[i].text;
        e->id = NULL;
        e->offset = -1;
        e->partition = -1;
        e->ts_ms = EV_CLUSTER_T0 + (int64_t)i * EV_CLUSTER_STEP_MS;
        e->lang_hint = !a->detect && d.r[i].lang[0] ? d.r[i].lang : NULL;
        if (cx_text_analyze(t, e, NULL, err, sizeof err) < 0 || cx_tagger_apply(tg, e, err, sizeof err) < 0) failed++;
    }
    double analysis_s = ev_cpu() - a0;
    ev_events events = {0};
    size_t n = 0, unclustered = 0, not_neg = 0;
    double c0 = ev_cpu();
    for (size_t i = 0; i < d.n; i++) {
        if (!envs[i]) continue;
        if (cx_clusterer_add(cl, envs[i], ev_on_event, &events, err, sizeof err) < 0) failed++;
    }
    double clu_s = ev_cpu() - c0;
    /* the records scored: all, or with --negative-only those the tag stage
     * labelled negative; an unclustered record (no usable feature) counts as a
     * cluster of its own */
    int64_t solo = -1;
    for (size_t i = 0; i < d.n; i++) {
        const cx_env *e = envs[i];
        if (a->negative_only && (!e || e->label != CX_LABEL_NEGATIVE)) { not_neg++; continue; }
        pairs[n].g = d.lab[d.r[i].off];
        snprintf(pairs[n].lang, sizeof pairs[n].lang, "%s", e && e->lang[0] ? e->lang : "und");
        if (e && e->cluster_id > 0) pairs[n].c = ev_resolve(&events, e->cluster_id);
        else { pairs[n].c = solo--; unclustered++; }
        n++;
    }
    if (!n) {
        fprintf(stderr, "cxflow-eval: no record to score (%zu not negative)\n", not_neg);
        goto out;
    }
    if (a->dump) {
        FILE *df = fopen(a->dump, "w");
        if (!df) fprintf(stderr, "cxflow-eval: cannot write %s\n", a->dump);
        for (size_t i = 0; df && i < d.n; i++) {
            const cx_env *e = envs[i];
            fprintf(df, "%lld\t%s\t%s\t%s\t", e && e->cluster_id > 0 ? (long long)ev_resolve(&events, e->cluster_id) : 0LL, d.labels[d.lab[d.r[i].off]],
                    e ? cx_label_name(e->label) : "-", e ? e->lang : "-");
            for (const char *q = d.r[i].text; *q; q++) fputc(*q == '\t' || *q == '\n' ? ' ' : *q, df);
            fputc('\n', df);
        }
        if (df) fclose(df);
    }
    ev_cscore sc;
    if (ev_cluster_scores(pairs, n, d.n_labels, &sc) < 0) {
        fprintf(stderr, "cxflow-eval: out of memory\n");
        goto out;
    }
    double xpairs, xjoined;
    ev_cross_language(pairs, n, &xpairs, &xjoined);
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    printf("file=%s records=%zu gold_labels=%u%s%s\n", a->file, d.n, d.n_labels,
           d.multi ? " (multi-label gold: the first label counts)" : "",
           a->negative_only ? " negative-only" : "");
    if (co.method == CX_CLU_LEADER) printf("clusterer: leader similarity=%.3f", co.similarity);
    else printf("clusterer: dmm alpha=%g beta=%g theme_weight=%g recency=%g/%g", co.alpha, co.beta, co.theme_weight,
                co.recency_weight, co.recency_records);
    printf(" created=%llu merged=%llu split=%llu retired=%llu live=%zu events=%zu vocab=%zu\n",
           (unsigned long long)st.created, (unsigned long long)st.merged, (unsigned long long)st.split,
           (unsigned long long)st.retired, st.live, events.n, st.vocab);
    if (unclustered) printf("%zu records had no usable feature (each scored as its own cluster)\n", unclustered);
    if (not_neg) printf("%zu records not labelled negative were left out\n", not_neg);
    if (failed) printf("analysis, tagging or clustering failed on %zu records\n", failed);
    if (xpairs > 0)
        printf("cross-language: %.0f pairs of records with one gold label in different languages, %.0f in one cluster "
               "(%.1f%%)\n", xpairs, xjoined, 100.0 * xjoined / xpairs);
    printf("analysis (tokenize + tag): %.0f records per CPU-second\n", analysis_s > 0 ? (double)d.n / analysis_s : 0.0);
    printf("cluster n=%zu clusters=%zu nmi=%.4f ari=%.4f purity=%.4f docs_per_s=%.0f\n", n, sc.clusters, sc.nmi,
           sc.ari, sc.purity, clu_s > 0 ? (double)d.n / clu_s : 0.0);
    rc = 0;
out:
    for (size_t i = 0; envs && i < d.n; i++) cx_env_destroy(&envs[i]);
    cx_free(envs);
    cx_free(pairs);
    cx_free(events.merge);
    cx_clusterer_destroy(&cl);
    cx_tagger_destroy(&tg);
    cx_text_destroy(&t);
    lb_tdata_free(&d);
    return rc;
}

/* ---- command table and argument parsing ---- */

typedef struct ev_cmd {
    const char *name;
    int (*run)(const ev_args *a);
    const char *usage;
} ev_cmd;

static const ev_cmd cmds[] = {
    {"langid", ev_langid,
     "langid FILE.jsonl [--lexicons DIR] [--method combined|stopwords|textcat|cld2|stopwords+textcat] [--errors N] [--mixed N]\n"
     "        [--dump FILE]\n"
     "        language identification against \"lang\"; ends with `langid n=N accuracy=A docs_per_s=R`"},
    {"sentiment", ev_sentiment,
     "sentiment FILE.jsonl [--lexicon DIR] [--detect] [--half 1|2] [--errors N] [--dump FILE]\n"
     "        [--learned DIR [--learned-mode file|with|instead]]\n"
     "        the tag stage's sentiment against \"label_sentiment\" (confusion matrix, per-class F1);\n"
     "        --learned: with a learned lexicon (cxflow train sentiment; default: sentiment.learned);\n"
     "        ends with `sentiment n=N accuracy=A macro_f1=F docs_per_s=R` (R: tagging alone per CPU-second)"},
    {"themes", ev_themes,
     "themes FILE.jsonl [--model DIR] [--half 1|2 | --holdout PCT] [--where KEY=VALUE]... [--top N] [--errors N]\n"
     "        [--dump FILE] [--lexicon DIR] [--detect]\n"
     "        the tag stage's themes against \"label_theme\" (a string, or a list for multi-label data; null:\n"
     "        skipped): --model DIR the learned themes of DIR (cxflow train themes), else the authored taxonomy\n"
     "        (gold labels must be its theme ids); --holdout PCT evaluates the PCT%% that `cxflow train themes\n"
     "        --holdout PCT` held back; per-label precision/recall/F1 of the N labels with most support, then\n"
     "        `themes n=N accuracy=A micro_f1=F macro_f1=M docs_per_s=R` (accuracy: top-1 for single-label\n"
     "        gold, exact set match for lists)"},
    {"cluster", ev_cluster,
     "cluster FILE.jsonl [--negative-only] [--where KEY=VALUE]... [--lexicon DIR] [--detect] [--model DIR] [--dump FILE]\n"
     "        the cluster stage's clustering (cluster.* of the configuration), one pass in file order, against\n"
     "        \"label_theme\" (lists: the first label); --negative-only: only the records the tag stage labels\n"
     "        negative; ends with `cluster n=N clusters=K nmi=X ari=Y purity=P docs_per_s=R` (R: clustering\n"
     "        alone per CPU-second); --dump: per record cluster id, gold, sentiment label, language, text (TSV)"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: cxflow-eval KIND ... [-c FILE] [-o key=value]...\n\nkinds:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) fprintf(out, "  %s\n", cmds[i].usage);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const ev_cmd *cmd = NULL;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name)) cmd = &cmds[i];
    if (!cmd) {
        fprintf(stderr, "cxflow-eval: unknown kind '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    ev_args a = {0};
    const char *conf_path = NULL;
    const char *over[64];
    int nover = 0;
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(s, "-c") && more) conf_path = argv[++i];
        else if (!strcmp(s, "-o") && more && nover < 64) over[nover++] = argv[++i];
        else if ((!strcmp(s, "--lexicons") || !strcmp(s, "--lexicon")) && more) a.lexicons = argv[++i];
        else if (!strcmp(s, "--half") && more) a.half = atoi(argv[++i]);
        else if (!strcmp(s, "--detect")) a.detect = 1;
        else if (!strcmp(s, "--negative-only")) a.negative_only = 1;
        else if (!strcmp(s, "--learned") && more) a.learned = argv[++i];
        else if (!strcmp(s, "--learned-mode") && more) a.learned_mode = argv[++i];
        else if (!strcmp(s, "--method") && more) a.method = argv[++i];
        else if (!strcmp(s, "--errors") && more) a.errors = atoi(argv[++i]);
        else if (!strcmp(s, "--dump") && more) a.dump = argv[++i];
        else if (!strcmp(s, "--mixed") && more) a.mixed = atoi(argv[++i]);
        else if (!strcmp(s, "--model") && more) a.model = argv[++i];
        else if (!strcmp(s, "--holdout") && more) a.holdout = atoi(argv[++i]);
        else if (!strcmp(s, "--top") && more) a.top = atoi(argv[++i]);
        else if (!strcmp(s, "--where") && more && a.n_where < LB_MAX_WHERE) a.where[a.n_where++] = argv[++i];
        else if (s[0] != '-' && !a.file) a.file = s;
        else {
            fprintf(stderr, "cxflow-eval: unexpected argument '%s'\n", s);
            usage(stderr);
            return 2;
        }
    }
    if (!a.file) {
        fprintf(stderr, "cxflow-eval: %s needs an input file\n", cmd->name);
        return 2;
    }
    char err[512];
    a.conf = cx_conf_load(conf_path, err, sizeof err);
    if (!a.conf) {
        fprintf(stderr, "cxflow-eval: %s\n", err);
        return 2;
    }
    for (int i = 0; i < nover; i++) {
        if (cx_conf_set_kv(a.conf, over[i], err, sizeof err) < 0) {
            fprintf(stderr, "cxflow-eval: -o: %s\n", err);
            cx_conf_destroy(&a.conf);
            return 2;
        }
    }
    int rc = cmd->run(&a);
    cx_conf_destroy(&a.conf);
    return rc;
}
