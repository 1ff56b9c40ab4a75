/* main.c - the cxflow-tag stage process: PULL enriched-by-tokenize records on
 * link.tag, add sentiment, themes, signals and an explanation with the
 * cx_tagger, PUSH them to link.cluster.  SIGHUP rebuilds the lexicons and
 * swaps them in only when the rebuild succeeded. */
#include "cx_alloc.h"
#include "cx_log.h"
#include "cx_stage.h"
#include "cx_tag_learned.h"
#include "cx_tagger.h"
#include "cx_text.h"
#include <stdio.h>

typedef struct tag_ctx {
    cx_tagger *tagger;
    double *m_pos, *m_neg, *m_neu, *m_theme_hits, *m_terms, *m_reloads;
} tag_ctx;

/* Build a tagger from the configuration: a throw-away cx_text normalises the
 * lexicon terms exactly as tokenize normalises text. */
static cx_tagger *build(const cx_conf *c, char *err, size_t n) {
    char dir[4096];
    cx_conf_path(c, "lexicons.dir", dir, sizeof dir);
    if (!dir[0]) {
        snprintf(err, n, "lexicons.dir is empty: the tag stage needs lexicons");
        return NULL;
    }
    cx_text_opts to = {.lexicon_dir = dir, .default_lang = "und", .trust_hint = 1, .redact_pii = 0};
    cx_text *tx = cx_text_new(&to, err, n);
    if (!tx) return NULL;
    char learned[4096], user_dir[4096], lthemes[4096];
    cx_conf_path(c, "sentiment.learned", learned, sizeof learned);
    cx_conf_path(c, "themes.user_dir", user_dir, sizeof user_dir);
    cx_conf_path(c, "themes.learned", lthemes, sizeof lthemes);
    cx_tagger_opts o = {.lexicon_dir = dir,
                        .positive_threshold = cx_conf_dbl(c, "sentiment.positive_threshold"),
                        .negative_threshold = cx_conf_dbl(c, "sentiment.negative_threshold"),
                        .text = tx,
                        .learned_dir = learned,
                        .learned_mode = cx_learned_mode_parse(cx_conf_str(c, "sentiment.learned_mode")),
                        .user_dir = user_dir,
                        .themes_learned_dir = lthemes};
    cx_tagger *t = cx_tagger_new(&o, err, n);
    cx_text_destroy(&tx);
    if (!t) return NULL;
    cx_tagger_stats st;
    cx_tagger_get_stats(t, &st);
    char langs[256] = "";
    size_t len = 0;
    for (size_t i = 0; cx_tagger_lang(t, i) && len < sizeof langs - 8; i++)
        len += (size_t)snprintf(langs + len, sizeof langs - len, "%s%s", i ? "," : "", cx_tagger_lang(t, i));
    cx_info("lexicons from %s: languages %s; %zu sentiment terms (%zu emoji), %zu rules, %zu theme terms, "
            "%zu themes, %zu local theme names, %zu signal terms; %zu duplicates, %zu skipped",
            dir, langs[0] ? langs : "none", st.sentiment_terms, st.emoji_terms, st.rule_terms, st.theme_terms,
            cx_tagger_n_themes(t), st.theme_names, st.signal_terms, st.duplicates, st.skipped);
    if (user_dir[0]) cx_info("user themes from %s: %zu terms removed", user_dir, st.removed);
    if (st.warnings) cx_warn("%zu lexicon warnings; first: %s", st.warnings, st.first_warning);
    if (learned[0])
        cx_info("learned lexicon %s: %zu terms, mode %s", learned, st.learned_terms,
                cx_learned_mode_name(st.learned_mode));
    if (lthemes[0])
        cx_info("learned themes %s: %zu labels, %zu weights (themes learned.<label>)", lthemes, st.ltheme_labels,
                st.ltheme_weights);
    return t;
}

static int tag_init(void **ctx, const cx_conf *c, cx_metrics *m, char *err, size_t n) {
    tag_ctx *x = cx_calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, n, "out of memory");
        return -1;
    }
    if (!(x->tagger = build(c, err, n))) {
        cx_free(x);
        return -1;
    }
    static double dummy[6];
    x->m_pos = cx_metric(m, "tag_positive_total", "records labelled positive", 0);
    x->m_neg = cx_metric(m, "tag_negative_total", "records labelled negative", 0);
    x->m_neu = cx_metric(m, "tag_neutral_total", "records labelled neutral", 0);
    x->m_theme_hits = cx_metric(m, "tag_theme_hits_total", "distinct themes found, summed over records", 0);
    x->m_terms = cx_metric(m, "tag_lexicon_terms", "sentiment terms loaded", 1);
    x->m_reloads = cx_metric(m, "tag_reloads_total", "successful lexicon reloads", 0);
    double **all[] = {&x->m_pos, &x->m_neg, &x->m_neu, &x->m_theme_hits, &x->m_terms, &x->m_reloads};
    for (size_t i = 0; i < 6; i++)
        if (!*all[i]) *all[i] = &dummy[i];
    cx_tagger_stats st;
    cx_tagger_get_stats(x->tagger, &st);
    *x->m_terms = (double)st.sentiment_terms;
    *ctx = x;
    return 0;
}

static int tag_process(void *ctx, cx_env *env, cx_stage_io *io, char *err, size_t n) {
    (void)io;
    tag_ctx *x = ctx;
    if (cx_tagger_apply(x->tagger, env, err, n) < 0) return -1;
    if (env->label > 0) (*x->m_pos)++;
    else if (env->label < 0) (*x->m_neg)++;
    else (*x->m_neu)++;
    *x->m_theme_hits += env->n_themes;
    return 0;
}

/* SIGHUP: build a complete new tagger first; the old one stays in place
 * when anything fails. */
static int tag_reload(void *ctx, const cx_conf *c, char *err, size_t n) {
    tag_ctx *x = ctx;
    cx_tagger *t = build(c, err, n);
    if (!t) return -1;
    cx_tagger_destroy(&x->tagger);
    x->tagger = t;
    cx_tagger_stats st;
    cx_tagger_get_stats(t, &st);
    *x->m_terms = (double)st.sentiment_terms;
    (*x->m_reloads)++;
    return 0;
}

static void tag_fini(void *ctx) {
    tag_ctx *x = ctx;
    cx_tagger_destroy(&x->tagger);
    cx_free(x);
}

static const cx_stage_ops tag_ops = {
    .name = "tag",
    .summary = "lexicon sentiment with rules, keyword themes and signals",
    .in_key = "link.tag",
    .out_key = "link.cluster",
    .init = tag_init,
    .process = tag_process,
    .tick = NULL,
    .reload = tag_reload,
    .fini = tag_fini,
};

int main(int argc, char **argv) { return cx_stage_main(argc, argv, &tag_ops); }
