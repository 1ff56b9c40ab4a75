/* cx_tag_ltheme.h - learned themes: a theme/intent model fitted to the
 * user's labelled feedback (`cxflow train themes`, tools/src/train_themes.c),
 * written as the plain-text weighted lexicon DIR/themes.tsv
 * (docs/LEXICONS.md "Learned themes"), loaded by the tagger next to the
 * authored taxonomy (cx_tagger_opts.themes_learned_dir, config key
 * themes.learned) and applied after the authored scoring.
 *
 * The model is linear: per label a bias and one weight per term (the same
 * features as learned sentiment lexicons, cx_learned_features: stems, stem
 * bigrams, emoji, prefixes), each term counted once per record:
 *
 *   score[label] = bias[label] + sum of weight[label][term] over the terms present
 *   probability  = softmax over the labels (model softmax) or sigmoid(score) (one-vs-rest)
 *
 * Decision "top1": the label of the highest score; decision "threshold":
 * every label whose probability reaches its threshold (the label's own
 * @threshold line or the file's "# threshold:"), and with "# at-least-one:
 * yes" the best label when none does.  A record that has none of the
 * model's terms gets no learned label.
 *
 * Each chosen label is appended to env->themes as "learned.<label>"
 * (CX_LTHEME_PREFIX) with weight = its probability and sentiment = the
 * score of the sentence whose terms speak most for the label (the record's
 * sentiment when it has one sentence or no sentence scores).
 *
 * Ownership: cx_ltheme_load returns a model released with
 * cx_ltheme_destroy; it is read-only afterwards and may score records from
 * several threads.  Scratch memory of a scoring call comes from the
 * envelope's pool. */
#ifndef CX_TAG_LTHEME_H
#define CX_TAG_LTHEME_H
#include <stddef.h>
#include <stdint.h>
#include "cx_env.h"

#define CX_LTHEME_FILE "themes.tsv"     /* the file inside a learned-themes directory */
#define CX_LTHEME_PREFIX "learned."     /* theme id of a learned label: prefix + label */
#define CX_LTHEME_BIAS "@bias"          /* reserved term: the label's bias */
#define CX_LTHEME_THRESHOLD "@threshold"/* reserved term: the label's probability threshold */
#define CX_LTHEME_MAX_LABEL 200         /* bytes of a label */
#define CX_LTHEME_MAX_WEIGHT 1000.0     /* |weight| and |bias| accepted by the loader */

enum { CX_LTHEME_SOFTMAX = 0, CX_LTHEME_OVR = 1 };       /* "# model:" */
enum { CX_LTHEME_TOP1 = 0, CX_LTHEME_THRESHOLD_DEC = 1 }; /* "# decision:" */

typedef struct cx_ltheme cx_ltheme;

/* Is label usable as a label (non-empty, at most CX_LTHEME_MAX_LABEL bytes,
 * valid UTF-8, no control characters (tab, newline), not starting with '@'
 * or '#', no leading or trailing blank)?  1 / 0 with the reason in why. */
int cx_ltheme_label_ok(const char *label, const char **why);

/* Load DIR/themes.tsv (or the file itself when path names a file).  NULL
 * with "file:line: reason" in err for a bad number, a missing or malformed
 * header key, a term before its label's @bias line, a duplicate, invalid
 * UTF-8, ...; or the reason the file cannot be read. */
cx_ltheme *cx_ltheme_load(const char *path, char *err, size_t errlen);
void cx_ltheme_destroy(cx_ltheme **m);

typedef struct cx_ltheme_info {
    const char *path;        /* the file loaded */
    int model;               /* CX_LTHEME_SOFTMAX or CX_LTHEME_OVR */
    int decision;            /* CX_LTHEME_TOP1 or CX_LTHEME_THRESHOLD_DEC */
    double threshold;        /* the global probability threshold (decision threshold) */
    int at_least_one;        /* decision threshold: the best label when none reaches its threshold */
    unsigned feats;          /* CX_LF_* (cx_tag_learned.h) */
    size_t n_labels;
    size_t n_weights;        /* label-term weights */
    size_t n_terms;          /* distinct terms */
    const char *langs;       /* the "# languages:" value ("*" = every language) */
} cx_ltheme_info;
void cx_ltheme_get_info(const cx_ltheme *m, cx_ltheme_info *out);

/* Label i (i < n_labels, in file order) and its bias / threshold; NULL past the end. */
const char *cx_ltheme_label(const cx_ltheme *m, size_t i);
double cx_ltheme_bias(const cx_ltheme *m, size_t i);
double cx_ltheme_threshold(const cx_ltheme *m, size_t i);

/* The weight of term for label i; 0 with *found = 0 when absent. */
double cx_ltheme_weight(const cx_ltheme *m, size_t i, const char *term, int *found);

/* Does the model apply to records of language lang? ("# languages:", or "*") */
int cx_ltheme_covers(const cx_ltheme *m, const char *lang);

/* Score env: the probabilities of every label into prob (n_labels
 * entries, caller's); returns the number of the model's distinct terms
 * found in the record (0: no evidence, no label), or -1 when out of
 * memory. */
int cx_ltheme_scores(const cx_ltheme *m, cx_env *env, double *prob);

/* The labels decided from the probabilities: their indices into out (at
 * most n_labels), best first; returns how many. */
size_t cx_ltheme_decide(const cx_ltheme *m, const double *prob, uint32_t *out);

/* Tag env with the model when it covers env->lang: append the chosen
 * labels to env->themes ("learned.<label>", weight = probability, sentiment
 * = the best sentence's score) and, with explain, " | learned themes: ..."
 * to env->explain.  0, or -1 with a reason (out of memory). */
int cx_ltheme_apply(const cx_ltheme *m, cx_env *env, int explain, char *err, size_t errlen);

#endif
