/* test_learn.c - unit tests of learned sentiment lexicons: cxflow-train on
 * the fixture tests/data/learn/train.jsonl, the file it writes, loading it
 * into a tagger (modes with and instead, languages it does not cover), the
 * tagger reproducing the training accuracy written in the header, labels of
 * held-out sentences, two-class data, the feature extraction, the loader's
 * "file:line: reason" errors, and allocation failures.
 *
 * Usage: test_learn PATH-TO-cxflow-train (ctest passes it), run from the
 * source root.  The authored lexicon is the tag tests' fixture
 * (tests/data/tag/lexicons), so nothing depends on the shipped lexicons.
 * CX_LEARN_VERBOSE=1 prints the explanations. */
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_tag_learned.h"
#include "cx_tagger.h"
#include "cx_test.h"
#include "cx_text.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEX "tests/data/tag/lexicons"
#define TRAIN "tests/data/learn/train.jsonl"
#define TWOCLASS "tests/data/learn/twoclass.jsonl"

static const char *trainer;
static char tmp[256];
static cx_text *tx;
static int verbose;

/* Run cxflow-train with args (a shell-quoted string) into tmp/name; its
 * stdout and stderr go to tmp/name.log.  Returns the exit status. */
static int train(const char *name, const char *args) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' sentiment %s -o '%s/%s' --lexicon " LEX " >'%s/%s.log' 2>&1", trainer, args,
             tmp, name, tmp, name);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", tmp, name); }

static cx_tagger *tagger(const char *learned, int mode, char *err, size_t n) {
    cx_tagger_opts o = {.lexicon_dir = LEX, .positive_threshold = 0.05, .negative_threshold = -0.05, .text = tx,
                        .learned_dir = learned, .learned_mode = mode};
    return cx_tagger_new(&o, err, n);
}

/* Tokenize (with the record's language hint) and tag. */
static cx_env *tag(const cx_tagger *t, const char *text, const char *lang) {
    cx_env *e = cx_env_new();
    if (!e) return NULL;
    e->text = cx_env_strdup(e, text);
    e->lang_hint = lang;
    char err[512] = "";
    if (cx_text_analyze(tx, e, NULL, err, sizeof err) < 0 || cx_tagger_apply(t, e, err, sizeof err) < 0) {
        fprintf(stderr, "'%s': %s\n", text, err);
        cx_env_destroy(&e);
        return NULL;
    }
    if (verbose) printf("  %-45s %-8s %+.3f %s\n", text, cx_label_name(e->label), e->sentiment, e->explain);
    return e;
}

static int label(const cx_tagger *t, const char *text) {
    cx_env *e = tag(t, text, "en");
    int l = e ? e->label : -99;
    cx_env_destroy(&e);
    return l;
}

/* The tagger's accuracy on the records of a half of the fixture (as eval). */
static double accuracy_on(const cx_tagger *t, const char *file, int half) {
    FILE *f = fopen(file, "r");
    if (!f) return -1;
    char line[4096];
    size_t idx = 0, n = 0, ok = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        const char *text = o ? json_string_value(json_object_get(o, "text")) : NULL;
        const char *gold = o ? json_string_value(json_object_get(o, "label_sentiment")) : NULL;
        const char *lang = o ? json_string_value(json_object_get(o, "lang")) : NULL;
        if (text && gold) {
            int g = !strcmp(gold, "negative") ? -1 : !strcmp(gold, "neutral") ? 0 : !strcmp(gold, "positive") ? 1 : 9;
            if (g != 9 && (!half || (int)(idx % 2) == half - 1)) {
                cx_env *e = tag(t, text, lang);
                n++;
                ok += e && e->label == g;
                cx_env_destroy(&e);
            }
            idx++;
        }
        json_decref(o);
    }
    fclose(f);
    return n ? (double)ok / (double)n : -1;
}

/* ---- tests ---- */

static void test_train_with(void) {
    CX_CHECK(train("with", TRAIN " --half 1 --l2 0.25 --quiet") == 0);
    char file[600], dir[512], v[512], err[512];
    path_of(dir, sizeof dir, "with");
    snprintf(file, sizeof file, "%s/sentiment.tsv", dir);
    CX_CHECK_STR(cx_t_header(file, "mode", v, sizeof v), "with");
    CX_CHECK_STR(cx_t_header(file, "classes", v, sizeof v), "negative neutral positive");
    CX_CHECK_STR(cx_t_header(file, "languages", v, sizeof v), "en");
    CX_CHECK_STR(cx_t_header(file, "half", v, sizeof v), "1 (even records)");
    CX_CHECK(!strncmp(cx_t_header(file, "records", v, sizeof v), "24 ", 3)); /* of 47 with a string label, even positions */
    CX_CHECK(cx_t_contains(file, "@lexicon\t"));
    cx_learned *l = cx_learned_load(dir, err, sizeof err);
    CX_CHECK(l != NULL);
    if (!l) { fprintf(stderr, "%s\n", err); return; }
    cx_learned_info li;
    cx_learned_get_info(l, &li);
    CX_CHECK(li.n_classes == 3 && li.mode == CX_LEARNED_WITH && li.has_lexicon && li.cut[0] < li.cut[1]);
    /* --features left to auto on 24 records (too few to cross-validate): the default kinds */
    CX_CHECK(li.feats == CX_LF_DEFAULT && !cx_t_contains(file, "# features-choice"));
    int found;
    CX_CHECK(cx_learned_weight(l, "crash", &found) < 0 && found);   /* "crashes" -> stem crash */
    CX_CHECK(cx_learned_weight(l, "tasti", &found) > 0 && found);
    cx_learned_destroy(&l);
    CX_CHECK(l == NULL);

    /* the tagger reproduces the training accuracy of the header */
    cx_tagger *t = tagger(dir, CX_LEARNED_FILE_MODE, err, sizeof err);
    CX_CHECK(t != NULL);
    if (!t) { fprintf(stderr, "%s\n", err); return; }
    cx_tagger_stats st;
    cx_tagger_get_stats(t, &st);
    CX_CHECK(st.learned_terms > 20 && st.learned_mode == CX_LEARNED_WITH);
    double acc = accuracy_on(t, TRAIN, 1);
    CX_CHECK_NEAR(acc, atof(cx_t_header(file, "training-accuracy", v, sizeof v)), 1e-4);
    CX_CHECK(acc >= 0.9);
    /* held-out sentences: the domain words are not in the authored fixture lexicon */
    CX_CHECK(label(t, "the app crashes when I pay") == CX_LABEL_NEGATIVE);
    CX_CHECK(label(t, "my soup was cold and soggy") == CX_LABEL_NEGATIVE);
    CX_CHECK(label(t, "quick delivery and tasty food") == CX_LABEL_POSITIVE);
    CX_CHECK(label(t, "smooth and quick") == CX_LABEL_POSITIVE);
    CX_CHECK(label(t, "how do I change my password") == CX_LABEL_NEUTRAL);
    CX_CHECK(accuracy_on(t, TRAIN, 2) >= 0.6); /* the other half, never seen */
    cx_env *e = tag(t, "The app crashes and freezes. Quick and tasty, thanks!", "en");
    CX_CHECK(e && e->explain && !strncmp(e->explain, "learned: ", 9));
    CX_CHECK(e && strstr(e->explain, "crash -") && strstr(e->explain, "@lexicon") && strstr(e->explain, "| lexicon: "));
    CX_CHECK(e && e->n_sents == 2 && e->sent_scores && e->sent_scores[0] < 0 && e->sent_scores[1] > 0);
    CX_CHECK(e && e->sentiment >= -1 && e->sentiment <= 1);
    cx_env_destroy(&e);
    /* a language the learned lexicon does not cover: the authored scoring */
    cx_tagger *plain = tagger(NULL, 0, err, sizeof err);
    CX_CHECK(plain != NULL);
    cx_env *a = tag(t, "das Essen war gut", "de"), *b = plain ? tag(plain, "das Essen war gut", "de") : NULL;
    CX_CHECK(a && b && a->label == b->label && a->sentiment == b->sentiment && !strcmp(a->explain, b->explain));
    cx_env_destroy(&a);
    cx_env_destroy(&b);
    /* without the learned lexicon the domain words mean nothing */
    if (plain) CX_CHECK(label(plain, "the app crashes when I pay") == CX_LABEL_NEUTRAL);
    cx_tagger_destroy(&plain);
    cx_tagger_destroy(&t);
}

static void test_modes(void) {
    char with[512], inst[512], err[512], v[512], file[600];
    path_of(with, sizeof with, "with");
    path_of(inst, sizeof inst, "instead");
    CX_CHECK(train("instead", TRAIN " --half 1 --mode instead --l2 1 --quiet") == 0);
    snprintf(file, sizeof file, "%s/sentiment.tsv", inst);
    CX_CHECK_STR(cx_t_header(file, "mode", v, sizeof v), "instead");
    CX_CHECK(!cx_t_contains(file, "@lexicon"));
    CX_CHECK(!strncmp(cx_t_header(file, "l2", v, sizeof v), "1", 1));
    /* an instead lexicon cannot run in mode with: no @lexicon weight */
    cx_tagger *t = tagger(inst, CX_LEARNED_WITH, err, sizeof err);
    CX_CHECK(t == NULL && strstr(err, "no @lexicon line") && strstr(err, "sentiment.tsv"));
    cx_tagger_destroy(&t);
    t = tagger(inst, CX_LEARNED_FILE_MODE, err, sizeof err);
    CX_CHECK(t != NULL);
    if (t) {
        CX_CHECK(label(t, "the app crashes when I pay") == CX_LABEL_NEGATIVE);
        cx_env *e = tag(t, "quick and tasty", "en");
        CX_CHECK(e && e->label == CX_LABEL_POSITIVE && !strstr(e->explain, "@lexicon") && !strstr(e->explain, "| lexicon"));
        cx_env_destroy(&e);
    }
    cx_tagger_destroy(&t);
    /* a with lexicon loaded instead: the @lexicon weight is left out */
    t = tagger(with, CX_LEARNED_INSTEAD, err, sizeof err);
    CX_CHECK(t != NULL);
    if (t) {
        cx_tagger_stats st;
        cx_tagger_get_stats(t, &st);
        CX_CHECK(st.learned_mode == CX_LEARNED_INSTEAD);
        cx_env *e = tag(t, "great food", "en");
        CX_CHECK(e && !strstr(e->explain, "@lexicon"));
        cx_env_destroy(&e);
    }
    cx_tagger_destroy(&t);
    /* a bad mode number is refused */
    t = tagger(with, 7, err, sizeof err);
    CX_CHECK(t == NULL);
}

static void test_two_classes(void) {
    CX_CHECK(train("two", TWOCLASS " --quiet --min-count 1") == 0);
    char dir[512], err[512], v[512], file[600];
    path_of(dir, sizeof dir, "two");
    snprintf(file, sizeof file, "%s/sentiment.tsv", dir);
    CX_CHECK_STR(cx_t_header(file, "classes", v, sizeof v), "negative positive");
    CX_CHECK(!strchr(cx_t_header(file, "cutpoints", v, sizeof v), ' '));   /* one cutpoint */
    CX_CHECK_STR(cx_t_header(file, "half", v, sizeof v), "all");
    /* 31 records, cross-validated: the prefix kind kept or left out by it, and the file says which */
    CX_CHECK(!strncmp(cx_t_header(file, "features-choice", v, sizeof v), "prefix ", 7));
    int kept = strstr(v, "kept") != NULL;
    CX_CHECK(!strcmp(cx_t_header(file, "features", v, sizeof v), kept ? "stems bigrams emoji prefix" : "stems bigrams emoji"));
    cx_tagger *t = tagger(dir, 0, err, sizeof err);
    CX_CHECK(t != NULL);
    if (!t) { fprintf(stderr, "%s\n", err); return; }
    CX_CHECK_NEAR(accuracy_on(t, TWOCLASS, 0), atof(cx_t_header(file, "training-accuracy", v, sizeof v)), 1e-4);
    CX_CHECK(label(t, "the app crashes when I pay") == CX_LABEL_NEGATIVE);
    CX_CHECK(label(t, "quick delivery and tasty food") == CX_LABEL_POSITIVE);
    cx_tagger_destroy(&t);

    /* prefix features asked for: written, named in the header, and used by the tagger
     * ("crashed" shares "crash~" with the training's "crashes"; its stem is another form) */
    CX_CHECK(train("prefix", TWOCLASS " --quiet --min-count 1 --features stems,prefix --l2 0.25 --class-weight none") == 0);
    path_of(dir, sizeof dir, "prefix");
    snprintf(file, sizeof file, "%s/sentiment.tsv", dir);
    CX_CHECK_STR(cx_t_header(file, "features", v, sizeof v), "stems prefix");
    CX_CHECK(!cx_t_contains(file, "# features-choice"));
    CX_CHECK(cx_t_contains(file, "crash~\t-"));
    t = tagger(dir, 0, err, sizeof err);
    CX_CHECK(t != NULL);
    if (!t) { fprintf(stderr, "%s\n", err); return; }
    CX_CHECK_NEAR(accuracy_on(t, TWOCLASS, 0), atof(cx_t_header(file, "training-accuracy", v, sizeof v)), 1e-4);
    cx_tagger_destroy(&t);
}

static void test_trainer_errors(void) {
    char v[512];
    /* no labelled records in the file */
    char empty[512], log[600];
    snprintf(empty, sizeof empty, "%s/empty.jsonl", tmp);
    FILE *f = fopen(empty, "w");
    if (f) {
        fputs("{\"text\": \"hello\", \"label_sentiment\": null}\n", f);
        fclose(f);
    }
    CX_CHECK(train("nolabels", empty) == 2);
    snprintf(log, sizeof log, "%s/nolabels.log", tmp);
    CX_CHECK(cx_t_contains(log, "no labelled records"));
    /* an unwritable output directory (a file in the way) */
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "'%s' sentiment " TRAIN " -o %s/empty.jsonl/x --lexicon " LEX " 2>%s/unwritable.log",
             trainer, tmp, tmp);
    int rc = system(cmd);
    CX_CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    snprintf(log, sizeof log, "%s/unwritable.log", tmp);
    CX_CHECK(cx_t_contains(log, "cannot create"));
    /* bad usage */
    CX_CHECK(train("badhalf", TRAIN " --half 3") == 2);
    CX_CHECK(train("badfeat", TRAIN " --features stems,trigrams") == 2);
    snprintf(log, sizeof log, "%s/badfeat.log", tmp);
    CX_CHECK(cx_t_contains(log, "unknown feature kind 'trigrams'"));
    (void)v;
}

/* Write text to tmp/name and try to load it; returns the tagger's error. */
static const char *load_error(const char *name, const char *text, char *err, size_t n) {
    char dir[512], file[600];
    path_of(dir, sizeof dir, name);
    mkdir(dir, 0755);
    snprintf(file, sizeof file, "%s/sentiment.tsv", dir);
    FILE *f = fopen(file, "w");
    if (!f) return "cannot write";
    fputs(text, f);
    fclose(f);
    err[0] = '\0';
    cx_tagger *t = tagger(dir, 0, err, n);
    if (t) {
        cx_tagger_destroy(&t);
        return "";
    }
    return err;
}

#define HEAD                                                                         \
    "# written-by: hand\n# languages: en\n# classes: negative neutral positive\n" \
    "# mode: instead\n# features: stems bigrams emoji\n"

static void test_loader_errors(void) {
    char err[512];
    const char *e;
    e = load_error("ok", HEAD "# cutpoints: -1 1\n#\n# a comment: not a header\nlate\t-1.5\nnot arrive\t-2\n#delayed\t-1\n", err, sizeof err);
    CX_CHECK_STR(e, "");
    e = load_error("badw", HEAD "# cutpoints: -1 1\nlate\t-1.5\nslow\tfast\n", err, sizeof err);
    CX_CHECK(strstr(e, "/badw/sentiment.tsv:8: bad weight 'fast' for 'slow'"));
    e = load_error("inf", HEAD "# cutpoints: -1 1\nlate\tinf\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:7: bad weight 'inf'"));
    e = load_error("dup", HEAD "# cutpoints: -1 1\nlate\t-1.5\nslow\t-1\nlate\t-1\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:9: duplicate term 'late' (first on line 7)"));
    e = load_error("nocut", HEAD "late\t-1.5\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:6: missing '# cutpoints:' header line"));
    e = load_error("order", HEAD "# cutpoints: 1 -1\nlate\t-1.5\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:6: cutpoints out of order"));
    e = load_error("count", HEAD "# cutpoints: 0.5\nlate\t-1.5\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:6: 3 classes need 2 cutpoints, got 1"));
    e = load_error("utf8", HEAD "# cutpoints: -1 1\nla\xC3te\t-1.5\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:7: invalid UTF-8"));
    e = load_error("late_hdr", HEAD "late\t-1.5\n# cutpoints: -1 1\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:7: header line '# cutpoints:' after the first term (line 6)"));
    e = load_error("reserved", HEAD "# cutpoints: -1 1\n@other\t1\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:7: unknown reserved term '@other'"));
    e = load_error("words", HEAD "# cutpoints: -1 1\nvery very late\t-1\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:7: term 'very very late' is not one stem or two stems"));
    e = load_error("fields", HEAD "# cutpoints: -1 1\nlate\t-1\t2\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:7: expected 2 tab-separated fields"));
    e = load_error("notab", HEAD "# cutpoints: -1 1\nlate -1\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:7: expected 'term<TAB>weight'"));
    e = load_error("mode", "# languages: en\n# classes: negative positive\n# mode: maybe\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:3: '# mode:' is 'with' or 'instead'"));
    e = load_error("classes", "# classes: positive negative\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:1: '# classes:' must list 2 or 3"));
    e = load_error("lang", "# languages: English\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:1: bad language code 'English'"));
    e = load_error("feat", "# features: stems lemmas\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:1: '# features:' unknown feature kind 'lemmas'"));
    e = load_error("duphdr", "# mode: with\n# mode: with\n", err, sizeof err);
    CX_CHECK(strstr(e, "sentiment.tsv:2: duplicate '# mode:' header (first on line 1)"));
    char missing[512];
    path_of(missing, sizeof missing, "does-not-exist");
    cx_tagger *t = tagger(missing, 0, err, sizeof err);
    CX_CHECK(t == NULL && strstr(err, "does-not-exist") && strstr(err, "No such file"));
    /* the hand-written file: hashtags are terms, "# " lines comments */
    char dir[512];
    path_of(dir, sizeof dir, "ok");
    cx_learned *l = cx_learned_load(dir, err, sizeof err);
    CX_CHECK(l != NULL);
    if (l) {
        int found;
        CX_CHECK_NEAR(cx_learned_weight(l, "#delayed", &found), -1, 1e-9);
        CX_CHECK(found);
        CX_CHECK_NEAR(cx_learned_weight(l, "not arrive", &found), -2, 1e-9);
        cx_learned_weight(l, "@lexicon", &found);
        CX_CHECK(!found);
        CX_CHECK(cx_learned_covers(l, "en") && cx_learned_covers(l, "en-GB") && !cx_learned_covers(l, "de"));
        int8_t lab;
        double c;
        cx_learned_decide(l, -1.5, &lab, &c);
        CX_CHECK(lab == CX_LABEL_NEGATIVE && fabs(c - tanh(-0.5)) < 1e-9);
        cx_learned_decide(l, 0.3, &lab, &c);
        CX_CHECK(lab == CX_LABEL_NEUTRAL && c == 0);
        cx_learned_decide(l, 1, &lab, &c);   /* on a cutpoint: the lower class */
        CX_CHECK(lab == CX_LABEL_NEUTRAL);
        cx_learned_decide(l, 3, &lab, &c);
        CX_CHECK(lab == CX_LABEL_POSITIVE && fabs(c - tanh(2)) < 1e-9);
        cx_learned_destroy(&l);
    }
}

typedef struct feats {
    char all[2048];
    size_t len;
} feats;

static int collect(void *ctx, const char *term, size_t len, uint32_t sent) {
    feats *f = ctx;
    f->len += (size_t)snprintf(f->all + f->len, sizeof f->all - f->len, "%s%s@%u", f->len ? "|" : "", term, sent);
    (void)len;
    return 0;
}

static void test_features(void) {
    cx_env *e = cx_env_new();
    char err[256];
    e->text = cx_env_strdup(e, "The delivery was not quick, sadly. Great food! \xF0\x9F\x98\x80 #yum");
    CX_CHECK(cx_text_analyze(tx, e, "en", err, sizeof err) == 0);
    feats f = {"", 0};
    cx_learned_features(e, CX_LF_DEFAULT, collect, &f);
    /* stems and the bigrams inside a clause; not across "," or a sentence end */
    CX_CHECK(strstr(f.all, "the@0|the deliveri@0|deliveri@0|deliveri was@0|was@0|was not@0|not@0|not quick@0|quick@0|sad@0"));
    CX_CHECK(!strstr(f.all, "quick sad"));
    CX_CHECK(strstr(f.all, "great@1|great food@1|food@1"));
    CX_CHECK(strstr(f.all, "\xF0\x9F\x98\x80@1") && strstr(f.all, "#yum@2"));
    CX_CHECK(!strstr(f.all, "not_"));
    f.len = 0;
    f.all[0] = '\0';
    cx_learned_features(e, CX_LF_STEMS | CX_LF_NEGATION | CX_LF_MARKS, collect, &f);
    CX_CHECK(strstr(f.all, "not@0|quick@0|not_quick@0|sad@0") && !strstr(f.all, "not_sad") && !strstr(f.all, "not_not"));
    CX_CHECK(strstr(f.all, "!@1") && !strstr(f.all, " "));
    /* prefix: a word longer than 5 characters also gives its first 5 and '~' */
    f.len = 0;
    f.all[0] = '\0';
    cx_learned_features(e, CX_LF_STEMS | CX_LF_PREFIX, collect, &f);
    CX_CHECK(strstr(f.all, "deliveri@0|deliv~@0|") && !strstr(f.all, "quick~") && !strstr(f.all, "sadly~"));
    /* words: a word's normalised form when it differs from its stem, marked "=" */
    f.len = 0;
    f.all[0] = '\0';
    cx_learned_features(e, CX_LF_STEMS | CX_LF_WORDS, collect, &f);
    CX_CHECK(strstr(f.all, "deliveri@0|=delivery@0|") && !strstr(f.all, "=quick") && strstr(f.all, "sad@0|=sadly@0"));
    char names[128];
    CX_CHECK_STR(cx_learned_features_name(CX_LF_DEFAULT | CX_LF_MARKS, names, sizeof names), "stems bigrams emoji marks");
    unsigned fs;
    CX_CHECK(cx_learned_features_parse("stems, negation", &fs, err, sizeof err) == 0 && fs == (CX_LF_STEMS | CX_LF_NEGATION));
    CX_CHECK(cx_learned_mode_parse("instead") == CX_LEARNED_INSTEAD && cx_learned_mode_parse("x") == -1);
    cx_env_destroy(&e);
}

/* Every allocation of loading and of scoring may fail: no crash, no leak
 * (ASan), an error or a result. */
static void test_alloc_failures(void) {
    char dir[512], err[512];
    path_of(dir, sizeof dir, "with");
    int loaded = 0;
    for (long n = 1; n < 400 && !loaded; n++) {
        cx_alloc_fail_at(n, 0);
        cx_learned *l = cx_learned_load(dir, err, sizeof err);
        cx_alloc_fail_at(0, 0);
        loaded = cx_alloc_failures() == 0 || l != NULL;
        if (!l) CX_CHECK(strstr(err, "out of memory") || strstr(err, "learned lexicon"));
        cx_learned_destroy(&l);
    }
    cx_tagger *t = tagger(dir, 0, err, sizeof err);
    CX_CHECK(t != NULL);
    if (!t) return;
    int ok = 0;
    for (long n = 1; n < 200 && !ok; n++) {
        cx_env *e = cx_env_new();
        e->text = cx_env_strdup(e, "The app crashes. Tasty food though!");
        e->lang_hint = "en";
        if (cx_text_analyze(tx, e, NULL, err, sizeof err) < 0) { cx_env_destroy(&e); break; }
        long before = cx_alloc_failures();
        cx_alloc_fail_at(n, 1);
        int rc = cx_tagger_apply(t, e, err, sizeof err);
        cx_alloc_fail_at(0, 0);
        ok = rc == 0 && cx_alloc_failures() == before;
        if (rc < 0) CX_CHECK(strstr(err, "out of memory"));
        cx_env_destroy(&e);
    }
    CX_CHECK(ok);
    cx_tagger_destroy(&t);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_learn PATH-TO-cxflow-train\n");
        return 2;
    }
    trainer = argv[1];
    verbose = getenv("CX_LEARN_VERBOSE") != NULL;
    snprintf(tmp, sizeof tmp, "/tmp/cx-test-learn-XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    char err[512];
    cx_text_opts to = {.lexicon_dir = LEX, .default_lang = "und", .trust_hint = 1};
    tx = cx_text_new(&to, err, sizeof err);
    if (!tx) {
        fprintf(stderr, "cx_text_new: %s\n", err);
        return 1;
    }
    CX_RUN(test_features);
    CX_RUN(test_train_with);
    CX_RUN(test_modes);
    CX_RUN(test_two_classes);
    CX_RUN(test_trainer_errors);
    CX_RUN(test_loader_errors);
    CX_RUN(test_alloc_failures);
    cx_text_destroy(&tx);
    if (!cx_t_failed) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    } else {
        fprintf(stderr, "kept %s for inspection\n", tmp);
    }
    CX_DONE();
}
