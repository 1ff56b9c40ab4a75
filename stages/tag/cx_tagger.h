/* cx_tagger.h - the tag stage's analysis: lexicon sentiment with rules,
 * keyword themes with aspect sentiment, and simple signals.
 *
 * A cx_tagger is built once from a lexicon directory (docs/LEXICONS.md):
 *   sentiment/<lang>.tsv, sentiment/emoji.tsv, rules/<lang>.tsv,
 *   themes/taxonomy.tsv, themes/<lang>.tsv, themes/names/<lang>.tsv,
 *   signals/<lang>.tsv
 * and optionally a user theme directory (themes.user_dir) with
 *   taxonomy.tsv, <lang>.tsv, names/<lang>.tsv, signals/<lang>.tsv
 * that adds to, overrides and removes from the shipped themes and signals.
 * Whatever subset of these files exists is loaded; a malformed line fails the
 * build with "file:line: reason".  Every term is normalised with
 * cx_text_analyze (forced to the file's language) so it is keyed by exactly
 * the normalised words and stems the tokenize stage produces for text.
 *
 * cx_tagger_apply then reads env->tokens (with the CX_TF_* flags set by
 * tokenize) and fills env->sentiment, label, sent_scores, themes, signals and
 * explain.  The scoring rules and their constants are described in
 * stages/tag/README.md.
 *
 * Threading: after cx_tagger_new returns, the tagger is read-only; apply may
 * run concurrently on different envelopes.  All per-record scratch memory
 * comes from the envelope's pool. */
#ifndef CX_TAGGER_H
#define CX_TAGGER_H
#include <stddef.h>
#include "cx_env.h"
#include "cx_text.h"

typedef struct cx_tagger cx_tagger;

typedef struct cx_tagger_opts {
    const char *lexicon_dir;   /* directory with sentiment/, rules/, themes/ */
    double positive_threshold; /* compound >= this is positive (e.g. 0.05) */
    double negative_threshold; /* compound <= this is negative (e.g. -0.05) */
    cx_text *text;             /* normalises lexicon terms; used only by cx_tagger_new */
    int no_explain;            /* skip building env->explain (faster) */
    const char *learned_dir;   /* a learned lexicon (DIR/sentiment.tsv, cxflow-train); NULL or "" = none */
    int learned_mode;          /* CX_LEARNED_FILE_MODE (0: the file's own), CX_LEARNED_WITH or
                                  CX_LEARNED_INSTEAD (cx_tag_learned.h) */
    const char *user_dir;      /* user theme directory (themes.user_dir); NULL or "" = none */
    const char *themes_learned_dir; /* learned themes (DIR/themes.tsv, cxflow train themes, cx_tag_ltheme.h);
                                  NULL or "" = none */
} cx_tagger_opts;

/* Build a tagger.  NULL with a reason in err ("file:line: reason" for a bad
 * lexicon line, or the missing directory, or "out of memory"). */
cx_tagger *cx_tagger_new(const cx_tagger_opts *o, char *err, size_t errlen);
void cx_tagger_destroy(cx_tagger **t);

/* Tag one record.  0 on success; -1 with a reason in err (out of memory).
 * A record without tokens is tagged neutral with score 0 (by the authored
 * lexicon; a learned lexicon decides from its cutpoints).
 *
 * With a learned lexicon (opts.learned_dir) whose languages include the
 * record's, sentiment, label and sentence scores come from the learned
 * lexicon (docs/LEXICONS.md "Learned lexicons"); themes and their aspect
 * sentiment still come from the authored lexicon and rules.
 *
 * With learned themes (opts.themes_learned_dir) whose languages include the
 * record's, the labels they choose are appended to env->themes as
 * "learned.<label>" (cx_tag_ltheme.h, docs/LEXICONS.md "Learned themes"). */
int cx_tagger_apply(const cx_tagger *t, cx_env *env, char *err, size_t errlen);

/* The authored lexicon's raw score of a record: the record sum of the
 * sentiment rules before squashing (the input of the compound score, and
 * the value of a learned lexicon's @lexicon feature).  Tags env like
 * cx_tagger_apply without the learned lexicon (env's tag fields are
 * overwritten).  0 / -1 with a reason in err (out of memory). */
int cx_tagger_lexicon_score(const cx_tagger *t, cx_env *env, double *sum, char *err, size_t errlen);

/* The theme taxonomy (taxonomy.tsv plus ids that only appear in a
 * themes/<lang>.tsv file, which get name = id).  parent is NULL for a
 * top-level theme. */
typedef struct cx_tag_theme {
    const char *id;
    const char *parent;
    const char *name;
} cx_tag_theme;
size_t cx_tagger_n_themes(const cx_tagger *t);
const cx_tag_theme *cx_tagger_theme(const cx_tagger *t, size_t i); /* NULL past the end */

/* The index of theme id, or -1 when the taxonomy has no such theme. */
long cx_tagger_theme_index(const cx_tagger *t, const char *id);

/* Theme i's name in language lang (themes/names/<lang>.tsv, the user dir's
 * names/<lang>.tsv winning), falling back to the English name of the
 * taxonomy when the language has no name for it (lang NULL: English).
 * "pt-BR" finds pt.  NULL past the end.  The string belongs to the tagger. */
const char *cx_tagger_theme_name(const cx_tagger *t, size_t i, const char *lang);

/* Does language lang have a local name for theme i? 1 / 0. */
int cx_tagger_has_theme_name(const cx_tagger *t, size_t i, const char *lang);

/* What was loaded, for the start-up log line and tests. */
typedef struct cx_tagger_stats {
    size_t n_langs;            /* languages with a sentiment or theme lexicon */
    size_t sentiment_terms;    /* over all languages, plus emoji */
    size_t emoji_terms;
    size_t rule_terms;
    size_t theme_terms;
    size_t signal_terms;       /* signals/<lang>.tsv terms, shipped and user */
    size_t theme_names;        /* local theme names, over all languages */
    size_t removed;            /* terms removed by '-' lines of the user dir */
    size_t duplicates;         /* terms that normalised to an already stored one (first wins) */
    size_t skipped;            /* terms that normalised to nothing, to punctuation, or were too long */
    size_t warnings;           /* unknown rule kinds, unknown theme ids, ... */
    char first_warning[256];
    size_t learned_terms;      /* terms of the learned lexicon (0: none loaded) */
    int learned_mode;          /* CX_LEARNED_WITH or CX_LEARNED_INSTEAD when one is loaded */
    size_t ltheme_labels;      /* labels of the learned themes (0: none loaded) */
    size_t ltheme_weights;     /* their label-term weights */
} cx_tagger_stats;
void cx_tagger_get_stats(const cx_tagger *t, cx_tagger_stats *s);

/* The i-th load warning (skipped terms with the reason, unknown rule kinds,
 * theme ids missing from the taxonomy), "file:line: ..."; the first 200 are
 * kept.  NULL past the end. */
const char *cx_tagger_warning(const cx_tagger *t, size_t i);

/* ISO codes of the languages with lexicons, i < n_langs; NULL past the end. */
const char *cx_tagger_lang(const cx_tagger *t, size_t i);

#endif
