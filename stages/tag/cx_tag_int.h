/* cx_tag_int.h - internals shared by the tagger's loader (cx_tag_load.c) and
 * scorer (cx_tag_score.c).  Not part of the public API (cx_tagger.h). */
#ifndef CX_TAG_INT_H
#define CX_TAG_INT_H
#include "cx_lexmap.h"
#include "cx_tag_learned.h"
#include "cx_tag_ltheme.h"
#include "cx_tagger.h"

/* ---- scoring constants (documented in stages/tag/README.md) ---- */
#define CX_TAG_ALPHA 15.0            /* compound = sum / sqrt(sum^2 + ALPHA) */
#define CX_TAG_NEG_POS (-0.75)       /* a negated positive word: "not good" */
#define CX_TAG_NEG_NEG (-0.5)        /* a negated negative word: "not bad", "no problem" */
#define CX_TAG_INTENSIFIER 1.3       /* default intensifier weight */
#define CX_TAG_DIMINISHER 0.7        /* default diminisher weight */
#define CX_TAG_INT_MIN 0.3           /* clamp of stacked intensifiers/diminishers */
#define CX_TAG_INT_MAX 2.0
#define CX_TAG_CONTRAST 1.5          /* default weight of the clause after a contrast word */
#define CX_TAG_CONTRAST_BEFORE 0.75  /* clause before: CONTRAST_BEFORE / weight (0.5 for 1.5) */
#define CX_TAG_EXCLAIM 1.15          /* per '!' on the sentence sum, at most 3 */
#define CX_TAG_CAPS 1.2              /* sentiment word in capitals (text not all capitals) */
#define CX_TAG_STRETCH 1.1           /* sentiment word with stretched letters ("gooood") */
#define CX_TAG_QUESTION 0.25         /* mild positives in a question: mostly not praise */
#define CX_TAG_REQUEST 0.0           /* mild positives in a request / courtesy sentence: not praise */
#define CX_TAG_STRONG 3.0            /* |valence| at or above this is a strong word */
#define CX_TAG_NEG_WINDOW 3          /* content tokens a negator reaches forward */
#define CX_TAG_POST_WINDOW 2         /* content tokens a post-negator reaches back */
#define CX_TAG_INT_WINDOW 2          /* content tokens an intensifier reaches forward */
#define CX_TAG_COURTESY_MAX 4        /* content tokens of a courtesy sentence ("Thanks in advance") */
#define CX_TAG_COURTESY_VAL 1.5       /* after a question, courtesy words are this mild or milder */
#define CX_TAG_REQUEST_NEG 0.6       /* negatives weaker than this in a request: not a complaint ("refund") */
#define CX_TAG_HASH_MIN 3            /* code points of a lexicon word found inside a hashtag ("#unitedfail") */
#define CX_TAG_HASH_MAX 64           /* bytes of a hashtag body (or compound word) that is segmented */
#define CX_TAG_COMPOUND_MIN 5        /* code points of a negative lexicon word ending a compound ("bahnchaos") */
#define CX_TAG_COMPOUND_MAX 16       /* ... at most (longer ends are not looked up) */
#define CX_TAG_LONG_START 20         /* content tokens in sentences without sentiment before the margin starts */
#define CX_TAG_LONG_MARGIN 0.2       /* per such token beyond it, subtracted from a positive record sum */
#define CX_TAG_LONG_NEG 0.25         /* ... times this from a negative record sum */
#define CX_TAG_EMOTICON_ONLY 0.0     /* positive record sum made of ASCII emoticons only: tone, not a verdict */
#define CX_TAG_PROBLEM_PRIOR (-1.0)  /* record sum of a record without sentiment words that mentions a problem theme */
#define CX_TAG_POST_WINDOW_MAX 9     /* largest value of "option post_window N" */

#define CX_TAG_MAX_WARNINGS 200       /* warnings kept as text (all are counted) */
#define CX_TAG_EVIDENCE_MAX 4         /* evidence items kept per signal (distinct texts) */
#define CX_TAG_EVIDENCE_BYTES 64      /* bytes of one evidence item (cut on a UTF-8 boundary) */

/* The word a number token is matched as in signal terms ("called <num> times"):
 * no token normalises to it (a word token has no '<'). */
#define CX_TAG_NUM_WORD "<num>"

/* Signals, in the order env->signals lists them (the first three are the
 * historical ones: existing consumers read them in this order). */
enum {
    CX_SIG_QUESTION, CX_SIG_REQUEST, CX_SIG_CHURN, CX_SIG_EFFORT, CX_SIG_URGENCY, CX_SIG_LEGAL,
    CX_SIG_PRAISE, CX_SIG_SUGGESTION, CX_SIG__N
};
extern const char *const cx_tag_signal_names[CX_SIG__N];

/* rule kinds (bit set) */
enum {
    CX_RK_NEGATOR = 1, CX_RK_NEG_POST = 2, CX_RK_INTENSIFIER = 4, CX_RK_DIMINISHER = 8,
    CX_RK_CONTRAST = 16, CX_RK_REQUEST = 32, CX_RK_INT_POST = 64, CX_RK_DIM_POST = 128,
};

typedef struct cx_tag_senti {
    float v;            /* valence -4..4 */
    uint8_t negform;    /* parity of CX_TF_NEGATED_FORM tokens in the lexicon term */
} cx_tag_senti;

typedef struct cx_tag_rule {
    uint16_t kinds;     /* CX_RK_* */
    float weight;       /* 0 = the kind's default */
} cx_tag_rule;

typedef struct cx_tag_tterm {
    uint32_t theme;     /* index into the taxonomy */
    uint32_t next;      /* next theme of the same term + 1, 0 = end */
} cx_tag_tterm;

typedef struct cx_tag_lang {
    char code[8];
    size_t code_len;
    cx_lexmap senti, rules, themes, signals;
    const char **neg_prefix, **neg_suffix; /* normalised affixes (arena strings) */
    uint32_t n_prefix, n_suffix, cap_prefix, cap_suffix;
    uint8_t has_senti, has_themes, has_rules, has_signals;
    uint8_t has_post_mod;      /* some rule is an intensifier_post / diminisher_post */
    uint8_t request_clause;    /* option request_scope segment: a request marker covers its contrast segment only */
    int8_t post_window;        /* option post_window N: a post-negator negates only the nearest
                                * hit within N content tokens; -1 = default (all hits, 2 tokens) */
} cx_tag_lang;

typedef struct cx_tag_tax {
    cx_tag_theme pub;   /* id, parent, name */
    uint32_t parent_idx;/* index of the parent, UINT32_MAX when none (or undefined) */
    uint8_t churn;      /* its top-level id mentions churn */
    uint8_t implicit;   /* not in taxonomy.tsv */
    uint8_t problem;    /* marked @problem in taxonomy.tsv, or a sub-theme of one */
    uint8_t praise;     /* its top-level id is "praise" (the praise signal) */
    uint8_t user;       /* defined or overridden by the user taxonomy (themes.user_dir) */
} cx_tag_tax;

/* Local names of the themes in one language (themes/names/<lang>.tsv):
 * name[i] is theme i's name or NULL; n may be below the taxonomy size (themes
 * added later have none).  from_user[i]: the name came from the user dir. */
typedef struct cx_tag_names {
    char code[8];
    const char **name;
    uint8_t *from_user;
    uint32_t n;
} cx_tag_names;

struct cx_tagger {
    cx_arena arena;
    cx_lexvocab vocab;            /* every word of every map below, numbered (cx_lexmap.h) */
    cx_tag_lang *langs;
    size_t n_langs, cap_langs;
    cx_lexmap emoji;
    uint8_t emoji_words;          /* an emoji-lexicon term starts with a WORD token */
    cx_tag_senti *senti;
    uint32_t n_senti, cap_senti;
    cx_tag_rule *rules;
    uint32_t n_rules, cap_rules;
    cx_tag_tterm *tterms;
    uint32_t n_tterms, cap_tterms;
    cx_tag_tterm *sterms;         /* signal terms: .theme is the CX_SIG_* (a chain like tterms) */
    uint32_t n_sterms, cap_sterms;
    uint32_t num_word;            /* vocabulary id of CX_TAG_NUM_WORD, CX_LEX_NOWORD when no signal term has it */
    cx_tag_names *names;          /* local theme names per language */
    size_t n_names, cap_names;
    cx_tag_tax *tax;
    uint32_t n_tax, cap_tax;
    cx_lexmap tax_index;          /* theme id (one word) -> taxonomy index */
    int have_taxonomy;
    const char *user_dir;         /* themes.user_dir, an arena string ("" = none) */
    double pos_thr, neg_thr;
    int explain;
    cx_tagger_stats st;
    cx_learned *learned;          /* learned lexicon or NULL (cx_tag_learned.c) */
    int learned_mode;             /* CX_LEARNED_WITH or CX_LEARNED_INSTEAD */
    cx_ltheme *ltheme;            /* learned themes or NULL (cx_tag_ltheme.c) */
    char *warn_list[CX_TAG_MAX_WARNINGS]; /* arena strings, st.warnings may count more */
};

#endif
