/* cx_tag_learned.h - learned sentiment lexicons: the features a record
 * offers, the lexicon file (DIR/sentiment.tsv, docs/LEXICONS.md "Learned
 * lexicons") and scoring a record with it.
 *
 * A learned lexicon is an ordinal logistic regression written as a lexicon:
 * one weight per term (a word stem, a bigram of stems "stem1 stem2", an
 * emoji, a negated stem "not_stem", and optionally the reserved @lexicon for
 * the authored lexicon's raw score), plus cutpoints that split the margin
 * (the sum of the weights of the terms present) into negative | neutral |
 * positive.  cxflow-train (tools/src/train.c) writes it; the tagger loads it
 * (cx_tagger_opts.learned_dir) and scores records with it after the authored
 * scoring (cx_tag_score.c calls cx_learned_apply).
 *
 * The feature extraction below is the single definition used by both the
 * trainer and the tagger, so a term learned from text is matched exactly
 * the same way at tagging time.
 *
 * Ownership: cx_learned_load returns a model the caller releases with
 * cx_learned_destroy; it is read-only afterwards and may score records from
 * several threads.  Scratch memory of a scoring call comes from the
 * envelope's pool. */
#ifndef CX_TAG_LEARNED_H
#define CX_TAG_LEARNED_H
#include <stddef.h>
#include <stdint.h>
#include "cx_env.h"

#define CX_LEARNED_FILE "sentiment.tsv"      /* the file inside a learned-lexicon directory */
#define CX_LEARNED_LEXICON "@lexicon"        /* reserved term: the authored lexicon's raw score */
#define CX_LEARNED_NOT "not_"                /* marker of a stem inside a negation scope */
#define CX_LEARNED_MAX_TERM 600              /* bytes of a feature string, NUL included */
#define CX_LEARNED_MAX_WEIGHT 1000.0         /* |weight| and |cutpoint| accepted by the loader */
#define CX_LEARNED_MAX_LANGS 32

/* feature kinds (bit set; the file's "# features:" header names them) */
enum {
    CX_LF_STEMS = 1,     /* each word or hashtag token's stem (its norm when it has none) */
    CX_LF_BIGRAMS = 2,   /* "stem1 stem2" of consecutive words in one clause */
    CX_LF_EMOJI = 4,     /* each emoji or emoticon token's normalised form */
    CX_LF_NEGATION = 8,  /* also "not_stem" for a word in a negation scope */
    CX_LF_MARKS = 16,    /* "?" and "!" sentence marks */
    CX_LF_PREFIX = 32,   /* "stem~" of a long word's first CX_LEARNED_PREFIX characters */
    CX_LF_WORDS = 64,    /* "=word": a word's normalised form when it differs from its stem
                          * ("=charged" next to the stem "charg"): tense and number */
};
#define CX_LEARNED_WORD "="                  /* marker of a word feature */
/* Characters (code points) kept by a prefix feature; words of more than this
 * many characters get one. */
#define CX_LEARNED_PREFIX 5
#define CX_LF_DEFAULT (CX_LF_STEMS | CX_LF_BIGRAMS | CX_LF_EMOJI)

/* learned mode: how the learned lexicon combines with the authored one */
enum {
    CX_LEARNED_FILE_MODE = 0, /* the mode the file was trained for (its "# mode:" header) */
    CX_LEARNED_WITH = 1,      /* margin includes w(@lexicon) x the authored raw score */
    CX_LEARNED_INSTEAD = 2,   /* margin from the learned terms alone */
};

/* The value of the @lexicon feature for an authored raw score (the record
 * or sentence sum of the authored rules, before squashing): the authored
 * compound score raw / sqrt(raw^2 + CX_LEARNED_ALPHA), in [-1, 1]. */
#define CX_LEARNED_ALPHA 15.0   /* = CX_TAG_ALPHA */
double cx_learned_lexicon_value(double raw);

/* "with", "instead" (and "file" for CX_LEARNED_FILE_MODE); -1 when unknown. */
int cx_learned_mode_parse(const char *s);
const char *cx_learned_mode_name(int mode);

/* "stems bigrams emoji" for a feature set, into buf; returns buf.  Parse:
 * 0, or -1 with the unknown name in err. */
const char *cx_learned_features_name(unsigned feats, char *buf, size_t n);
int cx_learned_features_parse(const char *s, unsigned *feats, char *err, size_t n);

/* Called once per feature occurrence: term (NUL-terminated, len bytes) in
 * sentence sent.  A term may occur several times in a record; callers that
 * want presence deduplicate.  Return non-zero to stop. */
typedef int (*cx_learned_feat_fn)(void *ctx, const char *term, size_t len, uint32_t sent);

/* Every feature occurrence of env's tokens for the feature set feats, in
 * token order.  Returns 0, or the callback's non-zero value. */
int cx_learned_features(const cx_env *env, unsigned feats, cx_learned_feat_fn fn, void *ctx);

/* ---- the lexicon ---- */

typedef struct cx_learned cx_learned;

/* Load DIR/sentiment.tsv (or the file itself when path names a file).
 * NULL with "file:line: reason" in err for a bad number, a missing or
 * malformed header key, cutpoints out of order, a duplicate term, invalid
 * UTF-8, ...; or the reason the file cannot be read. */
cx_learned *cx_learned_load(const char *path, char *err, size_t errlen);
void cx_learned_destroy(cx_learned **l);

typedef struct cx_learned_info {
    const char *path;        /* the file loaded */
    int mode;                /* CX_LEARNED_WITH or CX_LEARNED_INSTEAD: the file's mode */
    unsigned feats;          /* CX_LF_* */
    size_t n_terms;          /* weighted terms, @lexicon not counted */
    int has_lexicon;         /* an @lexicon line exists */
    double w_lexicon;        /* its weight (0 when absent) */
    int n_classes;           /* 2 or 3 */
    int8_t classes[3];       /* CX_LABEL_* in ascending order */
    double cut[2];           /* n_classes - 1 cutpoints, ascending */
    const char *langs;       /* the "# languages:" value ("*" = every language) */
} cx_learned_info;
void cx_learned_get_info(const cx_learned *l, cx_learned_info *out);

/* The weight of term (exact feature string); 0 with *found = 0 when absent. */
double cx_learned_weight(const cx_learned *l, const char *term, int *found);

/* Does the lexicon apply to records of language lang? (its "# languages:"
 * list, or "*"; a region suffix "pt-BR" is ignored) */
int cx_learned_covers(const cx_learned *l, const char *lang);

/* The label and compound score for a margin: label from the cutpoints
 * (margin above the last cutpoint below a class ... see docs), compound =
 * tanh of the margin's distance to the neutral band, 0 inside it. */
void cx_learned_decide(const cx_learned *l, double margin, int8_t *label, double *compound);

/* Score env with the learned lexicon in mode (CX_LEARNED_WITH or
 * CX_LEARNED_INSTEAD): overwrites env->sentiment, env->label and
 * env->sent_scores (when env has sentences) and, when explain is set,
 * prefixes env->explain with the learned terms ("learned: ...; margin ...")
 * followed by " | lexicon: " and the authored explanation in mode with.
 * lex_total is the authored lexicon's raw record sum and lex_sent its
 * n_sents sentence sums (may be NULL when mode is instead).  *margin (may be
 * NULL) receives the record's margin.  0, or -1 with a reason (out of
 * memory). */
int cx_learned_apply(const cx_learned *l, int mode, cx_env *env, double lex_total, const double *lex_sent,
                     int explain, double *margin, char *err, size_t errlen);

#endif
