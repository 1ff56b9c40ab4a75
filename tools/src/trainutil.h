/* trainutil.h - the pieces cxflow-train's two kinds share (tools/src/train.c,
 * sentiment; tools/src/train_themes.c, themes): messages, the term
 * dictionary, feature collection into sparse rows, L-BFGS, dropping term
 * kinds, the output directory check and the options both take. */
#ifndef CX_TRAINUTIL_H
#define CX_TRAINUTIL_H

#include "cx_conf.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- messages: one line on stderr with "cxflow-train: " in front ---- */

extern int tu_quiet; /* set: tu_progress prints nothing */

void tu_vsay(const char *fmt, va_list ap);
void tu_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the message, returns code. */
int tu_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double tu_now_s(void); /* monotonic seconds */

/* ---- the term dictionary: feature string -> id, with document counts ---- */

typedef struct tu_dict {
    char **s;
    uint64_t *h;
    uint32_t *df;           /* records containing the term */
    uint32_t *last;         /* last record (+1) that counted it */
    uint32_t n, cap;
    uint32_t *slots, nslots;
} tu_dict;

void tu_dict_free(tu_dict *d);
/* The id of term, added when new; -1 when out of memory. */
long tu_dict_id(tu_dict *d, const char *term, size_t len);

/* ---- features of one record into sparse binary rows ---- */

typedef struct tu_fctx {
    tu_dict *d;
    uint32_t **ci;          /* the rows' term ids, grown as needed */
    size_t *nnz, *cap;
    uint32_t doc;           /* the record */
    int oom;
} tu_fctx;

/* cx_learned_features callback (ctx: tu_fctx): each term once per record. */
int tu_add_feature(void *ctx, const char *term, size_t len, uint32_t sent);

/* Languages seen, by count. */
typedef struct tu_lang_count {
    char code[8];
    size_t n;
} tu_lang_count;

/* Count one record of language code (at most max languages). */
void tu_lang_add(tu_lang_count *langs, int *n, int max, const char *code);
int tu_cmp_lang(const void *a, const void *b); /* qsort: most first, then by code */

/* The optional kind of a term: CX_LF_PREFIX for "first~", CX_LF_WORDS for
 * "=word", 0 for the others. */
unsigned tu_term_kind(const char *s);

/* Keep the terms of dc present in at least min_count records: *remap
 * (allocated here, dc->n entries, cx_free it) maps a dictionary id to its
 * column or UINT32_MAX, and the rows rp/ci (n records, *nnz entries of
 * dictionary ids) are rewritten to columns in place; *F = the columns.
 * 0, or -1 out of memory. */
int tu_keep_min_count(const tu_dict *dc, int min_count, uint32_t *rp, uint32_t *ci, size_t n, size_t *nnz, uint32_t *F,
                      uint32_t **remap);

/* Remove the columns (rows rp/ci of n records, *F columns) whose terms are of
 * a kind in drop; remap (dictionary id -> column, UINT32_MAX: none) follows.
 * -1 when out of memory. */
int tu_drop_kinds(uint32_t *rp, uint32_t *ci, size_t n, size_t *nnz, uint32_t *F, const tu_dict *dc, uint32_t *remap,
                  unsigned drop);

/* ---- L-BFGS ---- */

#define TU_LBFGS_MAX_M 16

/* The objective at x, its gradient into g. */
typedef double (*tu_objective)(void *ctx, const double *x, double *g);

typedef struct tu_lbfgs_opts {
    size_t m;               /* memory, <= TU_LBFGS_MAX_M */
    int maxit;
    double gtol;            /* > 0: converged when max |g| < gtol */
    double tol;             /* converged after nslow iterations in a row that gain less than tol of |f| (at least 1) */
    int nslow;
} tu_lbfgs_opts;

/* L-BFGS with a backtracking (Armijo) line search from x (np parameters).
 * Returns the iterations, -1 when out of memory; *converged when it stopped
 * on a tolerance (or could not progress) rather than on maxit; the final
 * objective into *fout when fout. */
int tu_lbfgs(tu_objective obj, void *ctx, size_t np, double *x, const tu_lbfgs_opts *o, int *converged, double *fout);

double tu_dot(const double *a, const double *b, size_t n);
double tu_sigm(double x);
/* Round to the 4 decimals written to the files, no "-0.0000". */
double tu_r4(double v);

/* ---- the command ---- */

/* Can we write file into dir?  Created when missing.  0 / -1 with a reason. */
int tu_check_out_dir(const char *dir, const char *file, char *err, size_t n);
/* An integer lo..hi; -1 when s is not one. */
int tu_parse_int(const char *s, int lo, int hi, int *v);

/* The options both kinds take. */
typedef struct tu_common {
    const char *file, *out, *lang, *lexicons, *conf_path;
    const char *over[64];
    int nover;
    int half, detect, epochs, min_count, quiet;
    double l2;              /* < 0: auto */
    unsigned feats;
    int feats_auto;         /* --features not given or auto */
} tu_common;

void tu_common_init(tu_common *c);

enum { TU_OPT_OTHER = 0, TU_OPT_DONE = 1, TU_OPT_HELP = 2 };

/* argv[*i] when it is one of the common options: TU_OPT_DONE (*i past its
 * value), TU_OPT_HELP for -h/--help, TU_OPT_OTHER when it is not (it then has
 * a value), or minus the exit status after a message. */
int tu_common_opt(tu_common *c, int argc, char **argv, int *i);

/* The configuration of c (-c, --set); NULL (after a message) on an error. */
cx_conf *tu_common_conf(const tu_common *c);

#endif
