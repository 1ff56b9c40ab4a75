/* labelled.h - labelled JSON lines, shared by cxflow-eval and cxflow-train
 * so that both read, filter and split a data file in exactly the same way.
 *
 * A record is one JSON object per line with a string "text", a string gold
 * field ("label_sentiment", "lang", ...) and optionally a string "lang".
 * Lines that are not such objects (null labels included) are counted in
 * skipped and take no position: --half selects among the records read, in
 * file order. */
#ifndef CX_LABELLED_H
#define CX_LABELLED_H
#include <stddef.h>
#include <stdint.h>
#include "cx_conf.h"
#include "cx_text.h"

/* One labelled record: owned copies of the text and the gold label. */
typedef struct lb_rec {
    char *text;
    char *gold;
    char lang[8];            /* the record's "lang", "" when absent */
} lb_rec;

typedef struct lb_data {
    lb_rec *r;
    size_t n, cap;
    size_t skipped;          /* lines without a usable text or label */
} lb_data;

/* Read JSON lines: the string fields text_key and gold_key of each object.
 * 0 / -1 with a reason in err (unreadable file, out of memory). */
int lb_read_jsonl(const char *path, const char *text_key, const char *gold_key, lb_data *d, char *err,
                  size_t errlen);
void lb_data_free(lb_data *d);

/* The sentiment classes, in their order (CX_LABEL_* + 1). */
enum { LB_NEG, LB_NEU, LB_POS, LB_NCLS };
extern const char *const lb_cls[LB_NCLS];
int lb_cls_of(const char *s);    /* LB_*, or -1 for another label */

/* Keep the records whose gold is a sentiment class and, when half is 1 or
 * 2, only those at an even (1) or odd (2) position among the records read.
 * Returns the number of records dropped for an unknown label. */
size_t lb_keep_sentiment(lb_data *d, int half);

/* The text analysis of the tokenize stage as configured in c (lexicons from
 * lexdir; detect: ignore the records' "lang" hints). */
void lb_text_opts(const cx_conf *c, const char *lexdir, int detect, cx_text_opts *o);

/* ---- theme-labelled records ("label_theme") ---- */

/* One record with a "label_theme": the text, its language hint and its
 * labels (ids into lb_tdata.labels, lab[off .. off + n_lab)). */
typedef struct lb_trec {
    char *text;
    char lang[8];
    uint32_t off, n_lab;
    uint32_t line;           /* line in the file */
} lb_trec;

#define LB_MAX_WHERE 8

typedef struct lb_tdata {
    lb_trec *r;
    size_t n, cap;
    uint32_t *lab;           /* the records' label ids */
    size_t n_lab, cap_lab;
    char **labels;           /* distinct labels, sorted (byte order) */
    uint32_t n_labels, cap_labels;
    int multi;               /* some "label_theme" is a list: multi-label data */
    size_t lines;            /* non-blank lines read */
    size_t null_label;       /* records without a label_theme (null or absent): skipped */
    size_t no_text;          /* records without a string "text": skipped */
    size_t not_where;        /* records left out by --where */
} lb_tdata;

/* Read JSON lines with "text" and "label_theme": a string (one label), a
 * list of strings (multi-label; [] = no theme) or null (skipped).  Only the
 * records matching every where[i] ("key.path=value": the JSON value at the
 * dotted path equals value; true, false, null and numbers compare by their
 * JSON text, strings by their content) are kept.  Stops at the first line
 * that is not a JSON object or has a label_theme of another type, with
 * "file:line: reason".  0 / -1 with the reason in err. */
int lb_read_themes(const char *path, const char *const *where, int n_where, lb_tdata *d, char *err, size_t errlen);
void lb_tdata_free(lb_tdata *d);

/* A "--where key.path=value" condition: 0, or -1 with the reason. */
int lb_where_check(const char *w, char *err, size_t errlen);

/* Splits shared by `cxflow train themes` and `cxflow eval themes`:
 *   half 1|2: the even (1) or odd (2) positions among the records read (after --where)
 *   holdout PCT: a record is held back when lb_holdout_bucket(text) < PCT;
 *                the trainer keeps the others, the evaluation the held-back ones.
 * The bucket is a hash of the text (FNV-1a 64, mixed, mod 100): independent
 * of the file's order, and duplicate texts always fall on the same side. */
unsigned lb_holdout_bucket(const char *text);
/* Keep the records of the split (half 0 and holdout 0: all; held: the
 * held-back side of the holdout).  Returns the number kept. */
size_t lb_keep_split(lb_tdata *d, int half, int holdout, int held);

#endif
