/* test_tag.c - unit tests of the tag stage's tagger (stages/tag): lexicon
 * loading and errors, the sentiment rules (negation scope, post-negators,
 * contrast, intensifiers, exclamation, capitals, questions, requests),
 * emoji, six languages, themes with aspect sentiment, negated problem
 * themes, signals with evidence, local theme names, the user theme
 * directory, the explanation, and allocation failures.
 *
 * Envelopes are built by running the real tokenizer (cx_text_analyze) on a
 * sentence with the small fixture lexicons in tests/data/tag/lexicons, so the
 * tests do not depend on the shipped lexicons.  Run from the source root
 * (ctest does).  Set CX_TAG_VERBOSE=1 to print every explanation. */
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_tagger.h"
#include "cx_test.h"
#include "cx_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURE "tests/data/tag/lexicons"

static cx_text *tx;
static cx_tagger *tg;
static int verbose;

static cx_tagger *make_tagger(const char *dir, cx_text *text, char *err, size_t n) {
    cx_tagger_opts o = {.lexicon_dir = dir, .positive_threshold = 0.05, .negative_threshold = -0.05, .text = text};
    return cx_tagger_new(&o, err, n);
}

/* Tokenize text (forced to lang) and tag it with the fixture tagger. */
static cx_env *tag(const char *text, const char *lang) {
    cx_env *e = cx_env_new();
    if (!e) return NULL;
    e->text = cx_env_strdup(e, text);
    char err[512] = "";
    if (cx_text_analyze(tx, e, lang, err, sizeof err) < 0) {
        fprintf(stderr, "analyze '%s': %s\n", text, err);
        cx_env_destroy(&e);
        return NULL;
    }
    if (cx_tagger_apply(tg, e, err, sizeof err) < 0) {
        fprintf(stderr, "apply '%s': %s\n", text, err);
        cx_env_destroy(&e);
        return NULL;
    }
    if (verbose)
        printf("  [%s] %-50s %+.3f %-8s %s\n", lang ? lang : "?", text, e->sentiment, cx_label_name(e->label),
               e->explain ? e->explain : "");
    return e;
}

/* The compound score of text; NAN when tagging failed. */
static double score(const char *text, const char *lang) {
    cx_env *e = tag(text, lang);
    if (!e) return NAN;
    double s = e->sentiment;
    cx_env_destroy(&e);
    return s;
}

static int label(const char *text, const char *lang) {
    cx_env *e = tag(text, lang);
    if (!e) return -99;
    int l = e->label;
    cx_env_destroy(&e);
    return l;
}

static const cx_theme_hit *theme(const cx_env *e, const char *id) {
    for (uint32_t i = 0; e && i < e->n_themes; i++)
        if (!strcmp(e->themes[i].id, id)) return &e->themes[i];
    return NULL;
}

static const char *bad_dir(const char *sub, const char *file, const char *content);
static void rm_dir(const char *dir);
static void expect_error(const char *sub, const char *file, const char *content, const char *want);

/* ---- tests ---- */

static void test_basic_polarity(void) {
    CX_CHECK(score("the food was good", "en") > 0.05);
    CX_CHECK(score("the food was terrible", "en") < -0.05);
    CX_CHECK(label("the food was good", "en") == CX_LABEL_POSITIVE);
    CX_CHECK(label("the food was terrible", "en") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("the parcel arrived on tuesday", "en") == CX_LABEL_NEUTRAL);
    /* stems: "problems" matches the lexicon's "problem" */
    CX_CHECK(score("problems everywhere", "en") < 0);
    cx_env *e = tag("good", "en");
    CX_CHECK(e && e->tagged);
    /* compound = sum / sqrt(sum^2 + 15) */
    if (e) CX_CHECK_NEAR(e->sentiment, 1.9 / sqrt(1.9 * 1.9 + 15), 1e-4);
    cx_env_destroy(&e);
}

/* Stems widen a lexicon word to its inflections, but a stem taken from an
 * inflected lexicon word does not match the bare base form in text. */
static void test_stem_matching(void) {
    CX_CHECK(score("problems everywhere", "en") < 0);      /* problem -> problems */
    CX_CHECK(label("I got refunded", "en") == CX_LABEL_POSITIVE);
    CX_CHECK(label("where is my refund", "en") == CX_LABEL_NEUTRAL); /* not "refunded" */
    CX_CHECK(label("help me", "en") == CX_LABEL_NEUTRAL);           /* not "helpful" */
    CX_CHECK(label("no me gusta", "es") == CX_LABEL_NEGATIVE);      /* gustar -> gusta */
}

static void test_negation_scope(void) {
    double nb = score("not bad", "en"), ng = score("not good", "en");
    CX_CHECK(nb > 0);
    CX_CHECK(ng < 0);
    CX_CHECK(nb > ng);
    /* a negated positive is weaker than the positive, a negated negative weaker than the negative */
    CX_CHECK(ng > score("bad", "en"));
    CX_CHECK(nb < score("good", "en"));
    CX_CHECK(label("no problems at all", "en") != CX_LABEL_NEGATIVE);
    CX_CHECK(score("there was no problem", "en") >= 0);
    /* scope: a negator reaches a few words ahead within its clause only */
    CX_CHECK(score("not good, terrible", "en") < score("not good", "en"));
    CX_CHECK(score("the food was not good", "en") < 0);
    CX_CHECK(score("not the delivery, the food was good", "en") > 0);
}

static void test_contrast(void) {
    CX_CHECK(score("the food was great but the delivery was terrible", "en") < -0.05);
    CX_CHECK(score("the delivery was terrible but the food was great", "en") > 0.05);
    CX_CHECK(label("the food was great. but the delivery was terrible", "en") == CX_LABEL_NEGATIVE);
}

static void test_intensity(void) {
    double g = score("the staff was good", "en");
    CX_CHECK(score("the staff was very good", "en") > g);
    CX_CHECK(score("the staff was extremely good", "en") > score("the staff was very good", "en"));
    CX_CHECK(score("the staff was slightly good", "en") < g);
    CX_CHECK(score("the staff was slightly good", "en") > 0);
    CX_CHECK(score("very rude", "en") < score("rude", "en"));
    /* "not very good" is negative */
    CX_CHECK(score("not very good", "en") < 0);
}

static void test_exclamation_caps(void) {
    double g = score("good", "en");
    CX_CHECK(score("good!", "en") > g);
    CX_CHECK(score("good!!!", "en") > score("good!", "en"));
    CX_CHECK(score("terrible!", "en") < score("terrible", "en"));
    CX_CHECK(score("TERRIBLE service", "en") < score("terrible service", "en"));
}

static void test_question_request(void) {
    CX_CHECK(score("is the app good?", "en") < score("the app is good", "en"));
    CX_CHECK(score("is the app good?", "en") >= 0);
    /* a question weighs mild praise words a quarter */
    CX_CHECK(score("is the app good?", "en") < 0.5 * score("the app is good", "en"));
    /* negatives are not damped by a question */
    CX_CHECK(score("why is support so terrible?", "en") < -0.05);
    /* request markers are not praise */
    CX_CHECK(label("please refund my order", "en") != CX_LABEL_POSITIVE);
    CX_CHECK(label("kindly refund my money. thank you.", "en") != CX_LABEL_POSITIVE);
    CX_CHECK(label("thank you, the agent was great", "en") == CX_LABEL_POSITIVE);
    /* thanks after a question is courtesy too, a sentence of praise is not */
    CX_CHECK(label("when do you open? thank you.", "en") == CX_LABEL_NEUTRAL);
    CX_CHECK(label("when do you open? the app is good.", "en") == CX_LABEL_POSITIVE);
    cx_env *e = tag("can you please refund my order?", "en");
    CX_CHECK(e && e->signals && strstr(e->signals, "question") && strstr(e->signals, "request"));
    cx_env_destroy(&e);
}

static void test_emoji(void) {
    CX_CHECK(label("😡", "en") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("delivery 😡😡", "en") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("thanks 😀", "en") == CX_LABEL_POSITIVE);
    /* emoji work whatever the language */
    CX_CHECK(label("😡", "de") == CX_LABEL_NEGATIVE);
}

static void test_persian(void) {
    CX_CHECK(label("غذا خوب نبود", "fa") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("عالی بود", "fa") == CX_LABEL_POSITIVE);
    CX_CHECK(label("غذا خوب بود", "fa") == CX_LABEL_POSITIVE);
    CX_CHECK(label("مشکل نیست", "fa") != CX_LABEL_NEGATIVE);
}

static void test_bengali(void) {
    CX_CHECK(label("খাবার ভালো না", "bn") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("খাবার ভালো", "bn") == CX_LABEL_POSITIVE);
    CX_CHECK(label("কোনো সমস্যা নেই", "bn") != CX_LABEL_NEGATIVE);
}

static void test_tamil(void) {
    CX_CHECK(label("சாப்பாடு நல்லா இல்லை", "ta") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("சாப்பாடு நல்லா இருந்தது", "ta") == CX_LABEL_POSITIVE);
}

static void test_german_spanish(void) {
    CX_CHECK(score("nicht schlecht", "de") > 0);
    CX_CHECK(label("das essen war nicht gut", "de") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("kein Problem", "de") != CX_LABEL_NEGATIVE);
    CX_CHECK(label("sehr gut aber die lieferung war schlecht", "de") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("no me gustó", "es") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("me gustó mucho", "es") == CX_LABEL_POSITIVE);
    CX_CHECK(label("la comida fue excelente", "es") == CX_LABEL_POSITIVE);
}

static void test_phrases(void) {
    cx_env *e = tag("my refund not received after two weeks", "en");
    CX_CHECK(e && e->label == CX_LABEL_NEGATIVE);
    /* the phrase matched as one term: its "not" did not negate anything */
    CX_CHECK(e && e->explain && strstr(e->explain, "refund not received -3.0"));
    CX_CHECK(e && e->explain && !strstr(e->explain, "negated"));
    CX_CHECK(theme(e, "refunds") != NULL);
    cx_env_destroy(&e);
    CX_CHECK(label("I was on hold for an hour", "en") == CX_LABEL_NEGATIVE);
}

static void test_themes(void) {
    cx_env *e = tag("the food was great but the delivery was terrible", "en");
    const cx_theme_hit *d = theme(e, "delivery"), *f = theme(e, "food_quality");
    CX_CHECK(d && f);
    if (d) CX_CHECK(d->sentiment < -0.05);
    if (f) CX_CHECK(f->sentiment > 0.05);
    if (d) CX_CHECK_NEAR(d->weight, 1, 1e-6);
    cx_env_destroy(&e);
    /* the most specific theme is stored (late delivery, not delivery) */
    e = tag("late delivery again, the courier was rude", "en");
    d = theme(e, "delivery.late"); /* "courier" (delivery) counts for its sub-theme */
    CX_CHECK(d && d->weight == 2 && d->sentiment < 0);
    CX_CHECK(theme(e, "delivery") == NULL);
    cx_env_destroy(&e);
    /* a longer phrase of an unrelated theme does not hide a shorter one */
    e = tag("I was promised a refund two weeks ago", "en");
    CX_CHECK(theme(e, "promises") && theme(e, "refunds"));
    cx_env_destroy(&e);
    /* a theme mentioned only in neutral sentences takes the record's score */
    e = tag("The courier came at noon. Terrible experience.", "en");
    d = theme(e, "delivery");
    CX_CHECK(d && d->sentiment < -0.05);
    cx_env_destroy(&e);
    /* a theme and its sub-theme in one record: only the sub-theme is stored */
    e = tag("the delivery was late delivery again", "en");
    CX_CHECK(e && e->n_themes == 1 && theme(e, "delivery.late") && theme(e, "delivery.late")->weight == 2);
    cx_env_destroy(&e);
    /* two mentions */
    e = tag("delivery was slow. the delivery guy was helpful.", "en");
    d = theme(e, "delivery");
    if (d) CX_CHECK_NEAR(d->weight, 2, 1e-6);
    CX_CHECK(d != NULL);
    cx_env_destroy(&e);
    /* a neutral clause takes the sentiment of its contrast segment, not of
     * the clause before the contrast word */
    e = tag("the agent was great but the delivery took ages", "en");
    d = theme(e, "delivery.late");
    CX_CHECK(d && d->sentiment <= 0);
    CX_CHECK(theme(e, "support") && theme(e, "support")->sentiment > 0);
    cx_env_destroy(&e);
    /* a neutral clause takes its sentence's sentiment */
    e = tag("the courier came at noon, terrible", "en");
    d = theme(e, "delivery");
    CX_CHECK(d && d->sentiment < 0);
    cx_env_destroy(&e);
    /* other languages */
    e = tag("غذا خوب نبود", "fa");
    f = theme(e, "food_quality");
    CX_CHECK(f && f->sentiment < 0);
    cx_env_destroy(&e);
    e = tag("la comida fue excelente", "es");
    CX_CHECK(theme(e, "food_quality") != NULL);
    cx_env_destroy(&e);
}

/* env->signals and env->signal_evidence of text (NULL-safe copies). */
static void sig_of(const char *text, const char *lang, char *names, size_t nn, char *ev, size_t en) {
    cx_env *e = tag(text, lang);
    snprintf(names, nn, "%s", e && e->signals ? e->signals : "");
    snprintf(ev, en, "%s", e && e->signal_evidence ? e->signal_evidence : "");
    if (verbose) printf("    signals %s | %s\n", names, ev);
    cx_env_destroy(&e);
}

static void test_signals(void) {
    cx_env *e = tag("how do I cancel my subscription?", "en");
    CX_CHECK(e && e->signals && strstr(e->signals, "churn") && strstr(e->signals, "question"));
    CX_CHECK(theme(e, "cancellation_churn") != NULL);
    /* names keep the historical order; evidence names the same signals */
    CX_CHECK(e && e->signals && !strcmp(e->signals, "question,churn"));
    CX_CHECK(e && e->signal_evidence && !strcmp(e->signal_evidence, "question=?|how do I;churn=cancel my subscription"));
    cx_env_destroy(&e);
    e = tag("the food was good", "en");
    CX_CHECK(e && e->signals == NULL && e->signal_evidence == NULL);
    cx_env_destroy(&e);

    char nm[512], ev[1024];
    /* lexicon terms with <num>: any number token, digits of any script */
    sig_of("I called 3 times and had to explain again", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "effort");
    CX_CHECK_STR(ev, "effort=called 3 times|had to explain again");
    sig_of("I called 12 times", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(ev, "effort=called 12 times");
    sig_of("I called ۳ times", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "effort");
    sig_of("I called three times", "en", nm, sizeof nm, ev, sizeof ev); /* number words: only where listed */
    CX_CHECK_STR(nm, "");
    sig_of("I called times", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "");
    /* a phrase with a negator of its own counts ("still no answer") */
    sig_of("still no answer from you", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(ev, "effort=still no answer");
    /* every kind */
    sig_of("urgent: I will call my lawyer and do a chargeback", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "urgency,legal");
    CX_CHECK_STR(ev, "urgency=urgent;legal=lawyer|chargeback");
    sig_of("it would be nice if you had dark mode", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK(strstr(nm, "suggestion") != NULL && strstr(ev, "suggestion=it would be nice if"));
    sig_of("keep up the good work", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "praise");
    sig_of("I am switching to another bank", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(ev, "churn=switching to");
    /* the same text twice is one evidence item */
    sig_of("urgent, urgent, URGENT", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK(!strncmp(ev, "urgency=urgent", 14) && !strstr(ev, "urgent|urgent"));
    /* structural signals: '?' and request markers */
    sig_of("where is it?", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(ev, "question=?");
    sig_of("please refund my order", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(ev, "request=please");
}

/* A signal mention in a negator's scope does not count. */
static void test_signal_negation(void) {
    char nm[512], ev[1024];
    sig_of("no rush", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "");
    sig_of("it is not urgent", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "");
    sig_of("I will not cancel my account", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "");
    sig_of("I did not cancel my subscription", "en", nm, sizeof nm, ev, sizeof ev); /* the churn theme too */
    CX_CHECK_STR(nm, "");
    sig_of("es ist nicht dringend", "de", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "");
    sig_of("es ist dringend", "de", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(ev, "urgency=dringend");
    sig_of("ich habe 5 mal angerufen", "de", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(ev, "effort=5 mal angerufen");
    /* the scope ends at a clause end; beyond 3 content words it is over */
    sig_of("no, this is urgent", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "urgency");
    sig_of("not happy, the parcel is late and honestly it is urgent", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "urgency");
    /* a phrase with its own negator is not negated again (concord) */
    sig_of("never again", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(ev, "churn=never again");
    /* a negator inside a sentiment phrase is consumed by it and reaches nothing after it */
    sig_of("refund not received so i need it urgent", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "urgency");
    sig_of("i did not need it urgent", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(nm, "");
}

/* A negated mention of a problem theme counts for its nearest non-problem
 * ancestor: "the delivery was not late" is about the delivery, not a late
 * one, and is no complaint (no problem prior, positive aspect). */
static void test_negated_problem(void) {
    cx_env *e = tag("it was not a late delivery", "en");
    CX_CHECK(theme(e, "delivery.late") == NULL && theme(e, "delivery") != NULL);
    CX_CHECK(e && e->label != CX_LABEL_NEGATIVE);
    cx_env_destroy(&e);
    e = tag("the delivery never took ages", "en");
    CX_CHECK(theme(e, "delivery.late") == NULL && theme(e, "delivery") != NULL);
    CX_CHECK(e && e->explain && !strstr(e->explain, "problem theme"));
    cx_env_destroy(&e);
    e = tag("the delivery took ages", "en"); /* not negated: the problem and its prior */
    CX_CHECK(theme(e, "delivery.late") != NULL && e && e->label == CX_LABEL_NEGATIVE);
    cx_env_destroy(&e);
    e = tag("die lieferung war nicht verspätet", "de");
    CX_CHECK(theme(e, "delivery.late") == NULL && theme(e, "delivery") != NULL);
    cx_env_destroy(&e);
    e = tag("die lieferung war verspätet", "de");
    CX_CHECK(theme(e, "delivery.late") != NULL);
    cx_env_destroy(&e);
    /* a non-problem theme in a negation scope stays (its aspect turns) */
    e = tag("no problem with the refund", "en");
    CX_CHECK(theme(e, "refunds") != NULL);
    cx_env_destroy(&e);
    /* a problem theme without a non-problem ancestor is dropped (user dir
     * test: delivery.drone.crash under delivery.drone) */
}

/* Post-negators and ambiguous negators on mentions (own rules). */
static void test_mention_post_negation(void) {
    const char *dir = bad_dir("rules", "de.tsv", "negator\tnicht\nnegator_post\tnicht\n");
    bad_dir("signals", "de.tsv", "churn\tkündige\neffort\tangerufen\n");
    bad_dir("sentiment", "de.tsv", "gut\t2.0\n");
    char err[512] = "";
    cx_text_opts to = {.lexicon_dir = dir, .default_lang = "und", .trust_hint = 1};
    cx_text *otx = cx_text_new(&to, err, sizeof err);
    cx_tagger *ot = otx ? make_tagger(dir, otx, err, sizeof err) : NULL;
    CX_CHECK(ot != NULL);
    if (!ot) fprintf(stderr, "mention post-negation: %s\n", err);
    cx_text *stx = tx;
    cx_tagger *stg = tg;
    if (ot) {
        tx = otx;
        tg = ot;
        char nm[512], ev[1024];
        sig_of("ich kündige nicht", "de", nm, sizeof nm, ev, sizeof ev); /* nothing after: backwards */
        CX_CHECK_STR(nm, "");
        sig_of("ich kündige", "de", nm, sizeof nm, ev, sizeof ev);
        CX_CHECK_STR(nm, "churn");
        /* a content word after it: it negates forwards, not the word before */
        sig_of("ich habe angerufen und nicht erreicht", "de", nm, sizeof nm, ev, sizeof ev);
        CX_CHECK_STR(nm, "effort");
    }
    tx = stx;
    tg = stg;
    cx_tagger_destroy(&ot);
    cx_text_destroy(&otx);
    rm_dir(dir);
}

/* themes/names/<lang>.tsv: local names, English fallback. */
static void test_theme_names(void) {
    long d = cx_tagger_theme_index(tg, "delivery"), f = cx_tagger_theme_index(tg, "refunds");
    CX_CHECK(d >= 0 && f >= 0 && cx_tagger_theme_index(tg, "nope") < 0);
    if (d < 0 || f < 0) return;
    CX_CHECK_STR(cx_tagger_theme_name(tg, (size_t)d, "de"), "Lieferung");
    CX_CHECK_STR(cx_tagger_theme_name(tg, (size_t)d, "de-AT"), "Lieferung");
    CX_CHECK_STR(cx_tagger_theme_name(tg, (size_t)d, "en"), "Delivery");
    CX_CHECK_STR(cx_tagger_theme_name(tg, (size_t)d, NULL), "Delivery");
    CX_CHECK_STR(cx_tagger_theme_name(tg, (size_t)f, "de"), "Refunds"); /* no German name: English */
    CX_CHECK(cx_tagger_has_theme_name(tg, (size_t)d, "de") && !cx_tagger_has_theme_name(tg, (size_t)f, "de"));
    CX_CHECK(cx_tagger_theme_name(tg, cx_tagger_n_themes(tg), "de") == NULL);
    cx_tagger_stats st;
    cx_tagger_get_stats(tg, &st);
    CX_CHECK(st.theme_names == 3 && st.signal_terms >= 16);
}

/* Errors of names and signals files, with file:line. */
static void test_names_signals_errors(void) {
    const char *tax = "delivery\t-\tDelivery\n";
    bad_dir("themes", "taxonomy.tsv", tax);
    expect_error("themes/names", "de.tsv", "delivery\tLieferung\nnope\tNein\n",
                 "themes/names/de.tsv:2: theme 'nope' is not in themes/taxonomy.tsv");
    bad_dir("themes", "taxonomy.tsv", tax);
    expect_error("themes/names", "de.tsv", "delivery\tLieferung\n# c\ndelivery\tZustellung\n",
                 "themes/names/de.tsv:3: duplicate theme id 'delivery'");
    bad_dir("themes", "taxonomy.tsv", tax);
    expect_error("themes/names", "de.tsv", "delivery\n", "themes/names/de.tsv:1: expected 2");
    expect_error("signals", "en.tsv", "effort\tcalled <num> times\nanger\tfurious\n",
                 "signals/en.tsv:2: unknown signal 'anger'");
    expect_error("signals", "en.tsv", "request\tplease\n", "signals/en.tsv:1: unknown signal 'request'");
    expect_error("signals", "en.tsv", "urgency\t<num>\n", "signals/en.tsv:1: term '<num>' is only a number");
    expect_error("signals", "en.tsv", "-urgency\tasap\n", "signals/en.tsv:1: a leading '-'");
    expect_error("themes", "en.tsv", "-delivery\tparcel\n", "themes/en.tsv:1: a leading '-'");
    /* the names/ directory is no language */
    bad_dir("themes", "taxonomy.tsv", tax);
    const char *dir = bad_dir("themes/names", "de.tsv", "delivery\tLieferung\n");
    char err[512] = "";
    cx_tagger *t = make_tagger(dir, tx, err, sizeof err);
    CX_CHECK(t != NULL);
    if (t) {
        cx_tagger_stats st;
        cx_tagger_get_stats(t, &st);
        CX_CHECK(st.n_langs == 0 && cx_tagger_lang(t, 0) == NULL);
        CX_CHECK_STR(cx_tagger_theme_name(t, 0, "de"), "Lieferung");
    }
    cx_tagger_destroy(&t);
    rm_dir(dir);
}

#define USER_FIXTURE "tests/data/tag/user"

static cx_tagger *make_user_tagger(const char *dir, const char *user, char *err, size_t n) {
    cx_tagger_opts o = {.lexicon_dir = dir, .positive_threshold = 0.05, .negative_threshold = -0.05, .text = tx,
                        .user_dir = user};
    return cx_tagger_new(&o, err, n);
}

/* themes.user_dir: new themes, renamed and reparented ones, terms added and
 * removed, names and signals. */
static void test_user_dir(void) {
    char err[1024] = "";
    cx_tagger *ut = make_user_tagger(FIXTURE, USER_FIXTURE, err, sizeof err);
    CX_CHECK(ut != NULL);
    if (!ut) {
        fprintf(stderr, "user dir: %s\n", err);
        return;
    }
    cx_tagger_stats st;
    cx_tagger_get_stats(ut, &st);
    CX_CHECK(st.warnings == 0 && st.removed == 2);
    if (st.warnings) fprintf(stderr, "user dir warning: %s\n", st.first_warning);
    long dr = cx_tagger_theme_index(ut, "delivery.drone"), pr = cx_tagger_theme_index(ut, "promises");
    long dl = cx_tagger_theme_index(ut, "delivery");
    CX_CHECK(dr >= 0 && pr >= 0 && dl >= 0);
    if (dr >= 0 && pr >= 0 && dl >= 0) {
        CX_CHECK_STR(cx_tagger_theme(ut, (size_t)dr)->parent, "delivery");
        CX_CHECK_STR(cx_tagger_theme(ut, (size_t)pr)->parent, "support");     /* reparented */
        CX_CHECK_STR(cx_tagger_theme(ut, (size_t)pr)->name, "Broken promises"); /* renamed */
        CX_CHECK_STR(cx_tagger_theme_name(ut, (size_t)dr, "de"), "Drohnenlieferung");
        CX_CHECK_STR(cx_tagger_theme_name(ut, (size_t)dl, "de"), "Zustellung"); /* the user's name wins */
    }
    cx_tagger *saved = tg;
    tg = ut;
    cx_env *e = tag("the drone was fast", "en");
    CX_CHECK(theme(e, "delivery.drone") != NULL);
    cx_env_destroy(&e);
    e = tag("the helpdesk was great", "en"); /* an added term */
    CX_CHECK(theme(e, "support") != NULL);
    cx_env_destroy(&e);
    e = tag("the agent was great", "en"); /* a removed term */
    CX_CHECK(e && e->n_themes == 0);
    cx_env_destroy(&e);
    e = tag("the drone crashed", "en"); /* a user problem theme */
    CX_CHECK(theme(e, "delivery.drone.crash") != NULL && e && e->label == CX_LABEL_NEGATIVE);
    cx_env_destroy(&e);
    e = tag("the drone never crashed", "en"); /* negated: its non-problem parent */
    CX_CHECK(theme(e, "delivery.drone.crash") == NULL && theme(e, "delivery.drone") != NULL);
    cx_env_destroy(&e);
    /* a reparented theme folds into... its new parent's record shape:
     * "promised a refund" (promises, now under support) and "support" give the sub-theme */
    e = tag("the support promised a refund", "en");
    CX_CHECK(theme(e, "promises") != NULL && theme(e, "support") == NULL);
    cx_env_destroy(&e);
    char nm[512], ev[1024];
    sig_of("I will go to the ombudsman", "en", nm, sizeof nm, ev, sizeof ev);
    CX_CHECK_STR(ev, "legal=ombudsman");
    sig_of("I need it asap", "en", nm, sizeof nm, ev, sizeof ev); /* removed by the user */
    CX_CHECK_STR(nm, "");
    sig_of("this is urgent", "en", nm, sizeof nm, ev, sizeof ev); /* the other shipped terms stay */
    CX_CHECK_STR(nm, "urgency");
    tg = saved;
    cx_tagger_destroy(&ut);
}

/* A bad user file stops the build (start-up, or a refused reload) with
 * file:line; a removal that finds nothing is a warning. */
static void test_user_dir_errors(void) {
    char udir[256], path[512], err[1024];
    snprintf(udir, sizeof udir, "/tmp/cx_test_tag_user_%d", (int)getpid());
    struct { const char *file, *content, *want; } cases[] = {
        {"taxonomy.tsv", "a\t-\tA\na\t-\tB\n", "taxonomy.tsv:2: duplicate theme id 'a'"},
        {"taxonomy.tsv", "delivery\tdelivery.late\tDelivery\n", "parents lead back"},
        {"taxonomy.tsv", "x\t-\n", "taxonomy.tsv:1: expected 3"},
        {"en.tsv", "# remove\n-nope\tthing\n", "en.tsv:2: theme 'nope' is not in the taxonomy"},
        {"en.tsv", "delivery\n", "en.tsv:1: expected 2"},
        {"names/de.tsv", "nope\tNein\n", "names/de.tsv:1: theme 'nope' is not in themes/taxonomy.tsv"},
        {"signals/en.tsv", "# x\nhappy\tyay\n", "signals/en.tsv:2: unknown signal 'happy'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rm_dir(udir);
        mkdir(udir, 0700);
        snprintf(path, sizeof path, "%s/names", udir);
        mkdir(path, 0700);
        snprintf(path, sizeof path, "%s/signals", udir);
        mkdir(path, 0700);
        snprintf(path, sizeof path, "%s/%s", udir, cases[k].file);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(cases[k].content, f);
            fclose(f);
        }
        err[0] = '\0';
        cx_tagger *t = make_user_tagger(FIXTURE, udir, err, sizeof err);
        CX_CHECK(t == NULL);
        if (!strstr(err, cases[k].want)) {
            fprintf(stderr, "user dir error '%s' does not contain '%s'\n", err, cases[k].want);
            cx_t_cur_failed = 1;
        }
        cx_tagger_destroy(&t);
    }
    /* removing a term that is not there: a warning */
    rm_dir(udir);
    mkdir(udir, 0700);
    snprintf(path, sizeof path, "%s/en.tsv", udir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("-delivery\tspaceship\n", f);
        fclose(f);
    }
    cx_tagger *t = make_user_tagger(FIXTURE, udir, err, sizeof err);
    CX_CHECK(t != NULL);
    if (t) {
        cx_tagger_stats st;
        cx_tagger_get_stats(t, &st);
        CX_CHECK(st.warnings == 1 && strstr(st.first_warning, "en.tsv:1: nothing to remove"));
    }
    cx_tagger_destroy(&t);
    rm_dir(udir);
    /* a missing user dir */
    t = make_user_tagger(FIXTURE, "/nonexistent/cxflow-user", err, sizeof err);
    CX_CHECK(t == NULL && strstr(err, "themes.user_dir") && strstr(err, "/nonexistent/cxflow-user"));
    cx_tagger_destroy(&t);
}

static void test_explanation(void) {
    cx_env *e = tag("the food was not good", "en");
    CX_CHECK(e && e->explain && strstr(e->explain, "good +1.9") && strstr(e->explain, "negated (not)"));
    cx_env_destroy(&e);
    e = tag("the agent was very rude", "en");
    CX_CHECK(e && e->explain && strstr(e->explain, "rude -2.1") && strstr(e->explain, "(very)"));
    cx_env_destroy(&e);
    e = tag("the food was great but the delivery was terrible", "en");
    CX_CHECK(e && e->explain && strstr(e->explain, "after but") && strstr(e->explain, "before but"));
    cx_env_destroy(&e);
    e = tag("খাবার ভালো না", "bn");
    CX_CHECK(e && e->explain && strstr(e->explain, "negated (না)"));
    cx_env_destroy(&e);
    e = tag("the parcel arrived", "en");
    CX_CHECK(e && e->explain && strstr(e->explain, "no sentiment"));
    cx_env_destroy(&e);
}

static void test_sentence_scores(void) {
    cx_env *e = tag("Great food. Terrible delivery.", "en");
    CX_CHECK(e && e->n_sents == 2 && e->sent_scores);
    if (e && e->n_sents == 2 && e->sent_scores) {
        CX_CHECK(e->sent_scores[0] > 0);
        CX_CHECK(e->sent_scores[1] < 0);
    }
    cx_env_destroy(&e);
}

static void test_und_fallback(void) {
    /* a record whose language tokenize could not decide: the tagger tries
     * every loaded language and keeps the one with most matches */
    cx_env *e = cx_env_new();
    e->text = cx_env_strdup(e, "the food was terrible");
    char err[256];
    CX_CHECK(cx_text_analyze(tx, e, "en", err, sizeof err) == 0);
    memcpy(e->lang, "und", 4);
    CX_CHECK(cx_tagger_apply(tg, e, err, sizeof err) == 0);
    CX_CHECK(e->label == CX_LABEL_NEGATIVE);
    CX_CHECK(e->explain && strstr(e->explain, "lexicon en"));
    cx_env_destroy(&e);
    /* a language without lexicons falls back the same way */
    e = cx_env_new();
    e->text = cx_env_strdup(e, "nicht schlecht");
    CX_CHECK(cx_text_analyze(tx, e, "de", err, sizeof err) == 0);
    memcpy(e->lang, "xx", 3);
    CX_CHECK(cx_tagger_apply(tg, e, err, sizeof err) == 0);
    CX_CHECK(e->sentiment > 0);
    cx_env_destroy(&e);
}

static void test_empty(void) {
    cx_env *e = cx_env_new();
    char err[256];
    CX_CHECK(cx_tagger_apply(tg, e, err, sizeof err) == 0);
    CX_CHECK(e->tagged && e->label == CX_LABEL_NEUTRAL && e->sentiment == 0 && e->n_themes == 0);
    cx_env_destroy(&e);
}

static void test_taxonomy(void) {
    size_t n = cx_tagger_n_themes(tg);
    CX_CHECK(n >= 6);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        const cx_tag_theme *x = cx_tagger_theme(tg, i);
        if (!strcmp(x->id, "delivery.late")) {
            found = 1;
            CX_CHECK_STR(x->parent, "delivery");
            CX_CHECK_STR(x->name, "Late delivery");
        }
        if (!strcmp(x->id, "delivery")) CX_CHECK(x->parent == NULL);
    }
    CX_CHECK(found);
    CX_CHECK(cx_tagger_theme(tg, n) == NULL);
    cx_tagger_stats st;
    cx_tagger_get_stats(tg, &st);
    CX_CHECK(st.n_langs == 6);
    CX_CHECK(st.emoji_terms == 5);
    CX_CHECK(st.warnings == 0);
    CX_CHECK_STR(cx_tagger_lang(tg, 0), "bn");
}

/* Write a lexicon directory under /tmp with one file, return its path. */
static const char *bad_dir(const char *sub, const char *file, const char *content) {
    static char dir[256];
    char path[512];
    snprintf(dir, sizeof dir, "/tmp/cx_test_tag_%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, file);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(content, f);
        fclose(f);
    }
    return dir;
}

static void rm_dir(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static void expect_error(const char *sub, const char *file, const char *content, const char *want) {
    char err[512] = "";
    const char *dir = bad_dir(sub, file, content);
    cx_tagger *t = make_tagger(dir, tx, err, sizeof err);
    CX_CHECK(t == NULL);
    if (!strstr(err, want)) {
        fprintf(stderr, "error '%s' does not contain '%s'\n", err, want);
        cx_t_cur_failed = 1;
    }
    cx_tagger_destroy(&t);
    rm_dir(dir);
}

static void test_malformed(void) {
    expect_error("sentiment", "en.tsv", "# header\ngood\t2.0\nbad\tvery\n", "sentiment/en.tsv:3: bad valence");
    expect_error("sentiment", "en.tsv", "good\t2.0\t1\n", "sentiment/en.tsv:1: expected 2");
    expect_error("sentiment", "en.tsv", "good 2.0\n", "en.tsv:1: expected 2");
    expect_error("sentiment", "de.tsv", "\n\ngut\t9\n", "de.tsv:3: valence 9 out of range");
    expect_error("rules", "en.tsv", "intensifier\tvery\t-1\n", "rules/en.tsv:1: bad weight");
    expect_error("themes", "taxonomy.tsv", "a\t-\tA\na\t-\tB\n", "taxonomy.tsv:2: duplicate theme id");
    expect_error("themes", "en.tsv", "delivery\n", "themes/en.tsv:1: expected 2");
    char err[256];
    CX_CHECK(make_tagger("/nonexistent/cxflow", tx, err, sizeof err) == NULL);
    CX_CHECK(strstr(err, "/nonexistent/cxflow") != NULL);
    /* an unknown rule kind is a warning, not an error */
    const char *dir = bad_dir("rules", "en.tsv", "shouting\tvery\n");
    cx_tagger *t = make_tagger(dir, tx, err, sizeof err);
    CX_CHECK(t != NULL);
    if (t) {
        cx_tagger_stats st;
        cx_tagger_get_stats(t, &st);
        CX_CHECK(st.warnings == 1 && strstr(st.first_warning, "en.tsv:1"));
    }
    cx_tagger_destroy(&t);
    rm_dir(dir);
}

/* Hashtags: the body as a lexicon word, a phrase, a negator + word, or a
 * lexicon word at the start or end of a compound tag. */
static void test_hashtags(void) {
    CX_CHECK(label("delivery #terrible", "en") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("an hour #onhold", "en") == CX_LABEL_NEGATIVE);           /* the phrase "on hold" */
    CX_CHECK(label("the courier #notgood", "en") == CX_LABEL_NEGATIVE);      /* not + good */
    CX_CHECK(label("the courier #nothappy", "en") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("order 55 #appterrible", "en") == CX_LABEL_NEGATIVE);     /* ... + terrible */
    CX_CHECK(label("order 55 #greatdelivery", "en") == CX_LABEL_POSITIVE);   /* great + ... */
    CX_CHECK(label("order 55 #not_good", "en") == CX_LABEL_NEGATIVE);        /* parts split at '_' */
    CX_CHECK(label("order 55 #delivery", "en") == CX_LABEL_NEUTRAL);
    cx_env *e = tag("late again #notgood", "en");
    CX_CHECK(e && e->explain && strstr(e->explain, "#notgood -1.4"));
    cx_env_destroy(&e);
}

/* German closed compounds ending in a negative lexicon word. */
static void test_compounds(void) {
    CX_CHECK(label("das war grottenschlecht", "de") == CX_LABEL_NEGATIVE);  /* ... + schlecht */
    CX_CHECK(label("ein Serviceproblem", "de") == CX_LABEL_NEGATIVE);       /* ... + problem */
    CX_CHECK(label("ein Supertoll", "de") == CX_LABEL_NEUTRAL);             /* positive ends are not looked for */
    CX_CHECK(label("bad service problem", "en") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("serviceproblem", "en") == CX_LABEL_NEUTRAL);            /* English: no compounds */
}

/* Emoji and emoticons: never negated; a smile alone is not a verdict, a
 * frown alone is. */
static void test_emoticon_rules(void) {
    CX_CHECK(label("on the train :)", "en") == CX_LABEL_NEUTRAL);
    CX_CHECK(label("still in the queue :(", "en") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("the food was good :)", "en") == CX_LABEL_POSITIVE);
    CX_CHECK(label("on the train 😀", "en") == CX_LABEL_POSITIVE);         /* an emoji is not an emoticon */
    CX_CHECK(label("not yet :(", "en") == CX_LABEL_NEGATIVE);              /* not negated */
    cx_env *e = tag("on the train :)", "en");
    CX_CHECK(e && e->explain && strstr(e->explain, "emoticons only"));
    cx_env_destroy(&e);
}

/* A few sentiment words in a long text that mostly says nothing evaluative
 * are incidental: the tokens of the sentences without sentiment take a
 * margin off a positive sum (a quarter of it off a negative one). */
static void test_long_text(void) {
    const char *filler = " The parcel arrived on Tuesday with the courier from the depot near the station.";
    char buf[1024] = "The food was good.";
    CX_CHECK(label(buf, "en") == CX_LABEL_POSITIVE);
    for (int k = 0; k < 8; k++) strcat(buf, filler);
    CX_CHECK(label(buf, "en") == CX_LABEL_NEUTRAL);
    cx_env *e = tag(buf, "en");
    CX_CHECK(e && e->explain && strstr(e->explain, "(long text"));
    cx_env_destroy(&e);
    /* the same words in sentences that carry sentiment: no margin */
    char one[1024] = "the food was good";
    for (int k = 0; k < 4; k++) strcat(one, " and the parcel arrived on tuesday with the courier from the depot");
    CX_CHECK(label(one, "en") == CX_LABEL_POSITIVE);
    /* a negative sum loses a quarter of the margin only */
    char neg[1024] = "The food was terrible.";
    for (int k = 0; k < 8; k++) strcat(neg, filler);
    CX_CHECK(label(neg, "en") == CX_LABEL_NEGATIVE);
}

/* Rules that need their own small lexicons (tokenizer flags come from the
 * rules files): an ambiguous negator (negator and negator_post, German
 * "nicht") negates the sentiment word right after it, else the one before;
 * words of ending reverse what ends; a weak negative in a request is not a
 * complaint; a neutral word listed first keeps its stem from a sentiment
 * word; a listed neutral compound end blocks a shorter negative one. */
static void test_own_lexicons(void) {
    const char *dir = bad_dir("rules", "de.tsv",
                              "negator\tnicht\nnegator_post\tnicht\nnegator\tbeendet\nnegator_post\tbeendet\n"
                              "request\tbitte\n");
    bad_dir("rules", "en.tsv", "negator\tnot\nrequest\tplease\n");
    bad_dir("sentiment", "de.tsv", "schön\t2.0\nteuer\t-1.5\nstreik\t-1.2\nerstattung\t-0.5\nsteuer\t0.0\n");
    bad_dir("sentiment", "en.tsv", "response\t0.0\nresponsive\t2.0\nrefund\t-0.5\n");
    char err[512] = "";
    cx_text_opts to = {.lexicon_dir = dir, .default_lang = "und", .trust_hint = 1};
    cx_text *otx = cx_text_new(&to, err, sizeof err);
    CX_CHECK(otx != NULL);
    cx_tagger *ot = otx ? make_tagger(dir, otx, err, sizeof err) : NULL;
    CX_CHECK(ot != NULL);
    if (!ot) fprintf(stderr, "own lexicons: %s\n", err);
    cx_text *stx = tx;
    cx_tagger *stg = tg;
    if (ot) {
        tx = otx;
        tg = ot;
        /* "nicht" before a sentiment word negates it, not the word before */
        cx_env *e = tag("die teuer fahrt klingt nicht schön", "de");
        CX_CHECK(e && e->explain && strstr(e->explain, "schön +2.0 negated (nicht)") && !strstr(e->explain, "teuer -1.5 negated"));
        CX_CHECK(e && e->label == CX_LABEL_NEGATIVE);
        cx_env_destroy(&e);
        CX_CHECK(label("das ist teuer nicht", "de") == CX_LABEL_POSITIVE); /* nothing after: backwards */
        /* the end of something bad is good, before or after the word */
        CX_CHECK(label("der streik ist beendet", "de") == CX_LABEL_POSITIVE);
        CX_CHECK(label("die gewerkschaft beendet den streik", "de") == CX_LABEL_POSITIVE);
        CX_CHECK(label("die schön zeit ist beendet", "de") == CX_LABEL_NEGATIVE);
        /* a compound ending in a listed neutral word is not a shorter negative one */
        CX_CHECK(label("die mehrwertsteuer", "de") == CX_LABEL_NEUTRAL);
        CX_CHECK(label("das ist sauteuer", "de") == CX_LABEL_NEGATIVE);
        /* a weak negative in a request is not a complaint */
        CX_CHECK(label("bitte die erstattung", "de") == CX_LABEL_NEUTRAL);
        CX_CHECK(label("please refund my order", "en") == CX_LABEL_NEUTRAL);
        CX_CHECK(label("where is my refund", "en") == CX_LABEL_NEGATIVE);
        /* "response" is listed (0) before "responsive": it owns the stem */
        CX_CHECK(label("thanks for the responses", "en") == CX_LABEL_NEUTRAL);
        CX_CHECK(label("the agent was responsive", "en") == CX_LABEL_POSITIVE);
    }
    tx = stx;
    tg = stg;
    cx_tagger_destroy(&ot);
    cx_text_destroy(&otx);
    rm_dir(dir);
}

/* The shipped lexicons (whatever exists of them) load without error. */
static void test_real_lexicons(void) {
    struct stat st;
    if (stat("lexicons", &st) < 0) {
        printf("  (no lexicons/ directory: skipped)\n");
        return;
    }
    char err[1024] = "";
    cx_text_opts to = {.lexicon_dir = "lexicons", .default_lang = "und", .trust_hint = 1};
    cx_text *rtx = cx_text_new(&to, err, sizeof err);
    CX_CHECK(rtx != NULL);
    if (!rtx) {
        fprintf(stderr, "cx_text_new(lexicons): %s\n", err);
        return;
    }
    cx_tagger *t = make_tagger("lexicons", rtx, err, sizeof err);
    if (!t) fprintf(stderr, "real lexicons: %s\n", err);
    CX_CHECK(t != NULL);
    if (t) {
        cx_tagger_stats s;
        cx_tagger_get_stats(t, &s);
        printf("  real lexicons: %zu languages, %zu sentiment terms, %zu rules, %zu theme terms, %zu themes, "
               "%zu duplicates, %zu warnings%s%s\n",
               s.n_langs, s.sentiment_terms, s.rule_terms, s.theme_terms, cx_tagger_n_themes(t), s.duplicates,
               s.warnings, s.warnings ? ": " : "", s.first_warning);
    }
    cx_tagger_destroy(&t);
    cx_text_destroy(&rtx);
}

/* Every allocation of building and applying may fail: no crash, no leak
 * (checked under ASan), and a clean error. */
static void test_alloc_failures(void) {
    char err[512];
    int built = 0;
    for (long n = 1; n < 200000 && !built; n += n < 200 ? 1 : n / 8) {
        cx_alloc_fail_at(n, 0);
        cx_tagger *t = make_tagger(FIXTURE, tx, err, sizeof err);
        cx_alloc_fail_at(0, 0);
        if (t) built = 1;
        cx_tagger_destroy(&t);
    }
    CX_CHECK(built);
    int ok = 0;
    for (long n = 1; n < 64 && !ok; n++) {
        cx_env *e = cx_env_new();
        e->text = cx_env_strdup(e, "the food was great but the delivery was terrible! please refund 😡");
        if (cx_text_analyze(tx, e, "en", err, sizeof err) < 0) {
            cx_env_destroy(&e);
            continue;
        }
        cx_alloc_fail_at(n, 1);
        int r = cx_tagger_apply(tg, e, err, sizeof err);
        cx_alloc_fail_at(0, 0);
        if (r < 0) CX_CHECK(strstr(err, "out of memory") != NULL);
        else ok = 1;
        cx_env_destroy(&e);
    }
    CX_CHECK(ok);
}

/* intensifier_post / diminisher_post: the word after the sentiment word */
static void test_post_modifiers(void) {
    double base = score("good", "en"), up = score("good indeed", "en"), down = score("good ish", "en");
    CX_CHECK(up > base);
    CX_CHECK(down < base && down > 0);
    CX_CHECK(score("terrible indeed", "en") < score("terrible", "en"));
    cx_env *e = tag("good indeed", "en");
    CX_CHECK(e && e->explain && strstr(e->explain, "indeed"));
    cx_env_destroy(&e);
}

/* negative concord: a negator inside an active negation scope does not
 * flip it again (fixture es: "no funciona" is a phrase with its own "no") */
static void test_negative_concord(void) {
    CX_CHECK(label("no funciona", "es") == CX_LABEL_NEGATIVE);
    CX_CHECK(label("nunca no funciona", "es") == CX_LABEL_NEGATIVE);
    CX_CHECK(score("nunca no funciona", "es") == score("no funciona", "es"));
    cx_env *e = tag("nunca no funciona", "es");
    CX_CHECK(e && e->explain && strstr(e->explain, "concord (nunca)") && !strstr(e->explain, "negated"));
    cx_env_destroy(&e);
    /* two negators before a word negate it once: "no tuve ningún problema" */
    CX_CHECK(label("no tuve ningún problema", "es") == CX_LABEL_POSITIVE);
    CX_CHECK(score("no tuve ningún problema", "es") == score("ningún problema", "es"));
    CX_CHECK(label("nunca no es bueno", "es") == CX_LABEL_NEGATIVE);
}

/* option post_window 0 (fixture fa): a post-negator negates only the word
 * right before it, not a sentiment word further back */
static void test_post_window(void) {
    CX_CHECK(label("غذا خوب نبود", "fa") == CX_LABEL_NEGATIVE);
    /* عالی is two content words before نبود: not negated with window 0 */
    CX_CHECK(label("عالی غذا سس نبود", "fa") == CX_LABEL_POSITIVE);
    /* only the nearest of two hits */
    cx_env *e = tag("عالی خوب نبود", "fa");
    CX_CHECK(e && e->explain && strstr(e->explain, "عالی +3.3;"));
    cx_env_destroy(&e);
}

/* @problem in the taxonomy: a problem theme without sentiment words is a
 * mild complaint; with sentiment words the words decide */
static void test_problem_prior(void) {
    double s = score("the delivery took ages", "en");
    CX_CHECK(s < -0.05 && s > -0.5);
    CX_CHECK(score("the courier came at noon", "en") == 0);
    CX_CHECK(score("the delivery took ages but it was great", "en") > 0);
    cx_env *e = tag("the delivery took ages", "en");
    CX_CHECK(e && e->explain && strstr(e->explain, "problem theme delivery.late"));
    cx_env_destroy(&e);
}

/* option request_scope segment (fixture fa): a request marker does not
 * cancel the praise before a contrast word (sentence scope would) */
static void test_request_scope(void) {
    CX_CHECK(score("لطفا خوب", "fa") == 0);
    CX_CHECK(label("غذا خوب بود اما لطفا زود بیایید", "fa") == CX_LABEL_POSITIVE);
}

int main(void) {
    verbose = getenv("CX_TAG_VERBOSE") != NULL;
    char err[1024] = "";
    cx_text_opts to = {.lexicon_dir = FIXTURE, .default_lang = "und", .trust_hint = 1};
    tx = cx_text_new(&to, err, sizeof err);
    if (!tx) {
        fprintf(stderr, "cx_text_new(%s): %s\n", FIXTURE, err);
        return 1;
    }
    tg = make_tagger(FIXTURE, tx, err, sizeof err);
    if (!tg) {
        fprintf(stderr, "cx_tagger_new(%s): %s\n", FIXTURE, err);
        return 1;
    }
    CX_RUN(test_basic_polarity);
    CX_RUN(test_stem_matching);
    CX_RUN(test_negation_scope);
    CX_RUN(test_contrast);
    CX_RUN(test_intensity);
    CX_RUN(test_exclamation_caps);
    CX_RUN(test_question_request);
    CX_RUN(test_emoji);
    CX_RUN(test_persian);
    CX_RUN(test_bengali);
    CX_RUN(test_tamil);
    CX_RUN(test_german_spanish);
    CX_RUN(test_phrases);
    CX_RUN(test_themes);
    CX_RUN(test_signals);
    CX_RUN(test_signal_negation);
    CX_RUN(test_negated_problem);
    CX_RUN(test_mention_post_negation);
    CX_RUN(test_theme_names);
    CX_RUN(test_names_signals_errors);
    CX_RUN(test_user_dir);
    CX_RUN(test_user_dir_errors);
    CX_RUN(test_explanation);
    CX_RUN(test_sentence_scores);
    CX_RUN(test_und_fallback);
    CX_RUN(test_empty);
    CX_RUN(test_taxonomy);
    CX_RUN(test_malformed);
    CX_RUN(test_hashtags);
    CX_RUN(test_compounds);
    CX_RUN(test_emoticon_rules);
    CX_RUN(test_long_text);
    CX_RUN(test_own_lexicons);
    CX_RUN(test_real_lexicons);
    CX_RUN(test_post_modifiers);
    CX_RUN(test_negative_concord);
    CX_RUN(test_post_window);
    CX_RUN(test_problem_prior);
    CX_RUN(test_request_scope);
    CX_RUN(test_alloc_failures);
    cx_tagger_destroy(&tg);
    cx_text_destroy(&tx);
    CX_DONE();
}
