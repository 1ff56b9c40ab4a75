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

#endif
