/* test_ltheme.c - unit tests of learned themes: `cxflow-train themes` on the
 * fixtures tests/data/ltheme/ (single-label intents, multi-label lists with
 * --where), the file it writes, loading it into a tagger (themes
 * "learned.<label>" with probability and aspect sentiment, languages it
 * does not cover), the tagger reproducing the training accuracy of the
 * header, the --half / --holdout splits shared with `cxflow-eval themes`,
 * the evaluation's summary line (learned and authored), the trainer's and
 * the loader's errors ("file:line: reason"), and allocation failures.
 *
 * Usage: test_ltheme PATH-TO-cxflow-train PATH-TO-cxflow-eval (ctest passes
 * them), run from the source root.  The lexicons are the tag tests'
 * fixture (tests/data/tag/lexicons).  CX_LTHEME_VERBOSE=1 prints the
 * trainer's output. */
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_tag_learned.h"
#include "cx_tag_ltheme.h"
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
#define SINGLE "tests/data/ltheme/single.jsonl"
#define MULTI "tests/data/ltheme/multi.jsonl"
#define TAXO "tests/data/ltheme/taxonomy.jsonl"

static const char *trainer, *evaluator;
static char tmp[256];
static cx_text *tx;
static int verbose;

/* Run a tool with args into tmp/name.log (stdout and stderr); the exit status. */
static int run(const char *tool, const char *kind, const char *args, const char *name) {
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "'%s' %s %s --lexicon " LEX " >'%s/%s.log' 2>&1", tool, kind, args, tmp, name);
    int rc = system(cmd);
    if (verbose) {
        snprintf(cmd, sizeof cmd, "cat '%s/%s.log'", tmp, name);
        if (system(cmd) != 0) fprintf(stderr, "cannot show the log\n");
    }
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* cxflow-train themes ARGS -o tmp/name */
static int train(const char *name, const char *args) {
    char a[2000];
    snprintf(a, sizeof a, "%s -o '%s/%s' --quiet", args, tmp, name);
    return run(trainer, "themes", a, name);
}

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", tmp, name); }

static int log_has(const char *name, const char *needle) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s.log", tmp, name);
    return cx_t_contains(p, needle);
}

/* A number "key=V" from the last line of tmp/name.log that starts with
 * prefix; -1 when absent. */
static double summary(const char *name, const char *prefix, const char *key) {
    char p[600], line[4096], last[4096] = "";
    snprintf(p, sizeof p, "%s/%s.log", tmp, name);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, prefix, strlen(prefix))) snprintf(last, sizeof last, "%s", line);
    fclose(f);
    char want[64];
    snprintf(want, sizeof want, " %s=", key);
    const char *s = strstr(last, want);
    return s ? atof(s + strlen(want)) : -1;
}

static cx_tagger *tagger(const char *lthemes, char *err, size_t n) {
    cx_tagger_opts o = {.lexicon_dir = LEX, .positive_threshold = 0.05, .negative_threshold = -0.05, .text = tx,
                        .themes_learned_dir = lthemes};
    return cx_tagger_new(&o, err, n);
}

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
    return e;
}

/* The learned theme label of env (without the prefix), or NULL. */
static const cx_theme_hit *learned_hit(const cx_env *e, const char *label) {
    char id[256];
    snprintf(id, sizeof id, "%s%s", CX_LTHEME_PREFIX, label);
    for (uint32_t k = 0; e && k < e->n_themes; k++)
        if (!strcmp(e->themes[k].id, id)) return &e->themes[k];
    return NULL;
}

static size_t n_learned(const cx_env *e) {
    size_t n = 0;
    for (uint32_t k = 0; e && k < e->n_themes; k++) n += !strncmp(e->themes[k].id, CX_LTHEME_PREFIX, strlen(CX_LTHEME_PREFIX));
    return n;
}

/* The tagger's top-1 accuracy on the records of a half of a single-label file. */
static double accuracy_on(const cx_tagger *t, const char *file, int half) {
    FILE *f = fopen(file, "r");
    if (!f) return -1;
    char line[4096];
    size_t idx = 0, n = 0, ok = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        const char *text = o ? json_string_value(json_object_get(o, "text")) : NULL;
        const char *gold = o ? json_string_value(json_object_get(o, "label_theme")) : NULL;
        if (text && gold) {
            if (!half || (int)(idx % 2) == half - 1) {
                cx_env *e = tag(t, text, "en");
                n++;
                ok += learned_hit(e, gold) != NULL && n_learned(e) == 1;
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

static void test_single(void) {
    char dir[512], file[600], v[1024], err[512];
    /* the default model: one-vs-rest, decided top-1 on single-label data */
    CX_CHECK(train("singleauto", SINGLE " --half 1") == 0);
    path_of(dir, sizeof dir, "singleauto");
    snprintf(file, sizeof file, "%s/themes.tsv", dir);
    CX_CHECK_STR(cx_t_header(file, "model", v, sizeof v), "one-vs-rest");
    CX_CHECK_STR(cx_t_header(file, "decision", v, sizeof v), "top1");
    CX_CHECK(train("single", SINGLE " --half 1 --model softmax") == 0);
    path_of(dir, sizeof dir, "single");
    snprintf(file, sizeof file, "%s/themes.tsv", dir);
    CX_CHECK_STR(cx_t_header(file, "model", v, sizeof v), "softmax");
    CX_CHECK_STR(cx_t_header(file, "decision", v, sizeof v), "top1");
    CX_CHECK_STR(cx_t_header(file, "languages", v, sizeof v), "en");
    CX_CHECK_STR(cx_t_header(file, "split", v, sizeof v), "half 1 (even records)");
    CX_CHECK(!strncmp(cx_t_header(file, "records", v, sizeof v), "18 (of 36 ", 10)); /* null and absent labels skipped */
    CX_CHECK(!strncmp(cx_t_header(file, "labels", v, sizeof v), "3 (single-label", 15));
    /* 18 records: too few to cross-validate, so the default kinds and l2 */
    CX_CHECK_STR(cx_t_header(file, "features", v, sizeof v), "stems bigrams emoji");
    CX_CHECK(!cx_t_contains(file, "# features-choice") && !strncmp(cx_t_header(file, "l2", v, sizeof v), "1", 1));
    CX_CHECK(cx_t_contains(file, "card_arrival\t@bias\t"));
    cx_ltheme *m = cx_ltheme_load(dir, err, sizeof err);
    CX_CHECK(m != NULL);
    if (!m) { fprintf(stderr, "%s\n", err); return; }
    cx_ltheme_info in;
    cx_ltheme_get_info(m, &in);
    CX_CHECK(in.n_labels == 3 && in.model == CX_LTHEME_SOFTMAX && in.decision == CX_LTHEME_TOP1);
    CX_CHECK_STR(cx_ltheme_label(m, 0), "card_arrival"); /* labels sorted */
    CX_CHECK(cx_ltheme_label(m, 3) == NULL);
    int found;
    CX_CHECK(cx_ltheme_weight(m, 0, "card", &found) > 0 && found);      /* "card" speaks for card_arrival */
    CX_CHECK(cx_ltheme_weight(m, 1, "password", &found) > 0 && found);  /* password_reset */
    cx_ltheme_weight(m, 0, "no-such-term", &found);
    CX_CHECK(!found);
    CX_CHECK(cx_ltheme_covers(m, "en") && cx_ltheme_covers(m, "en-GB") && !cx_ltheme_covers(m, "de"));
    cx_ltheme_destroy(&m);
    CX_CHECK(m == NULL);

    cx_tagger *t = tagger(dir, err, sizeof err);
    CX_CHECK(t != NULL);
    if (!t) { fprintf(stderr, "%s\n", err); return; }
    cx_tagger_stats st;
    cx_tagger_get_stats(t, &st);
    CX_CHECK(st.ltheme_labels == 3 && st.ltheme_weights > 10);
    /* the tagger reproduces the training accuracy of the header; the other half was never seen */
    CX_CHECK_NEAR(accuracy_on(t, SINGLE, 1), atof(cx_t_header(file, "training-accuracy", v, sizeof v)), 1e-9);
    CX_CHECK(accuracy_on(t, SINGLE, 2) >= 0.75);
    cx_env *e = tag(t, "my card has still not arrived", "en");
    const cx_theme_hit *h = learned_hit(e, "card_arrival");
    CX_CHECK(h && h->weight > 0.5f && h->weight <= 1.0f && n_learned(e) == 1);
    cx_env_destroy(&e);
    e = tag(t, "I forgot my password", "en");
    CX_CHECK(learned_hit(e, "password_reset") && n_learned(e) == 1);
    cx_env_destroy(&e);
    /* aspect sentiment: the sentence that speaks for the label, not the record's (0 here) */
    e = tag(t, "The app is great. My card has not arrived, terrible.", "en");
    h = learned_hit(e, "card_arrival");
    CX_CHECK(h && e->n_sents == 2 && e->sent_scores && h->sentiment == e->sent_scores[1] && h->sentiment < 0);
    CX_CHECK(e && e->explain && strstr(e->explain, "learned themes: card_arrival 0."));
    cx_env_destroy(&e);
    /* the authored themes stay, the learned ones come after them */
    e = tag(t, "the courier lost my card", "en");
    CX_CHECK(e && e->n_themes >= 2 && !strcmp(e->themes[0].id, "delivery") && learned_hit(e, "card_arrival"));
    cx_env_destroy(&e);
    /* a language the model does not cover; a record without any of its terms */
    e = tag(t, "meine Karte ist nicht angekommen", "de");
    CX_CHECK(e && n_learned(e) == 0);
    cx_env_destroy(&e);
    e = tag(t, "zzz qqq", "en");
    CX_CHECK(e && n_learned(e) == 0);
    cx_env_destroy(&e);
    cx_tagger_destroy(&t);

    /* the evaluation of the other half through the tag stage */
    char args[1200];
    snprintf(args, sizeof args, SINGLE " --half 2 --model '%s'", dir);
    CX_CHECK(run(evaluator, "themes", args, "eval_single") == 0);
    CX_CHECK(log_has("eval_single", "label (by support)"));
    CX_CHECK(summary("eval_single", "themes ", "n") == 18);
    CX_CHECK(summary("eval_single", "themes ", "accuracy") >= 0.75);
    CX_CHECK(summary("eval_single", "themes ", "micro_f1") == summary("eval_single", "themes ", "accuracy"));
    CX_CHECK(summary("eval_single", "themes ", "macro_f1") > 0 && summary("eval_single", "themes ", "docs_per_s") > 0);
}

static void test_multi(void) {
    CX_CHECK(train("multi", MULTI " --where meta.relevance=true") == 0);
    char dir[512], file[600], v[1024], err[512];
    path_of(dir, sizeof dir, "multi");
    snprintf(file, sizeof file, "%s/themes.tsv", dir);
    CX_CHECK_STR(cx_t_header(file, "model", v, sizeof v), "one-vs-rest");
    CX_CHECK_STR(cx_t_header(file, "decision", v, sizeof v), "threshold");
    CX_CHECK_STR(cx_t_header(file, "where", v, sizeof v), "meta.relevance=true");
    CX_CHECK(!strncmp(cx_t_header(file, "records", v, sizeof v), "40 ", 3)); /* the 3 not relevant are left out */
    CX_CHECK(!strncmp(cx_t_header(file, "labels", v, sizeof v), "3 (multi-label data; 4 records without a label", 46));
    double thr = atof(cx_t_header(file, "threshold", v, sizeof v));
    CX_CHECK(thr > 0 && thr < 1);
    CX_CHECK(!strncmp(cx_t_header(file, "features-choice", v, sizeof v), "by the cross-validation (micro-F1: all ", 39));
    CX_CHECK(!strncmp(cx_t_header(file, "l2", v, sizeof v), "", 0) && strstr(v, "by 5-fold cross-validation"));
    cx_tagger *t = tagger(dir, err, sizeof err);
    CX_CHECK(t != NULL);
    if (!t) { fprintf(stderr, "%s\n", err); return; }
    cx_env *e = tag(t, "the courier was late and the pizza was cold", "en");
    CX_CHECK(learned_hit(e, "delivery") && learned_hit(e, "food") && !learned_hit(e, "app"));
    CX_CHECK(e && e->n_themes >= 2 && learned_hit(e, "delivery")->weight >= thr);
    cx_env_destroy(&e);
    e = tag(t, "the app crashes at checkout", "en");
    CX_CHECK(learned_hit(e, "app") && n_learned(e) == 1);
    cx_env_destroy(&e);
    cx_tagger_destroy(&t);
    CX_CHECK(run(evaluator, "themes", MULTI " --where meta.relevance=true --model /nonexistent", "eval_nomodel") == 2);
    CX_CHECK(log_has("eval_nomodel", "/nonexistent"));
    char args[1200];
    snprintf(args, sizeof args, MULTI " --where meta.relevance=true --model '%s' --top 2", dir);
    CX_CHECK(run(evaluator, "themes", args, "eval_multi") == 0);
    CX_CHECK(summary("eval_multi", "themes ", "n") == 40);
    CX_CHECK(summary("eval_multi", "themes ", "micro_f1") >= 0.9); /* its own training records */
    CX_CHECK(log_has("eval_multi", "multi-label") && log_has("eval_multi", "... 1 more labels"));
}

/* --holdout: the trainer keeps the records the evaluation leaves out */
static void test_splits(void) {
    CX_CHECK(train("holdout", SINGLE " --holdout 30") == 0);
    char dir[512], file[600], v[1024], args[1200];
    path_of(dir, sizeof dir, "holdout");
    snprintf(file, sizeof file, "%s/themes.tsv", dir);
    CX_CHECK_STR(cx_t_header(file, "split", v, sizeof v), "holdout 30 (trained on the 70% not held back)");
    int trained = atoi(cx_t_header(file, "records", v, sizeof v));
    snprintf(args, sizeof args, SINGLE " --holdout 30 --model '%s'", dir);
    CX_CHECK(run(evaluator, "themes", args, "eval_holdout") == 0);
    int held = (int)summary("eval_holdout", "themes ", "n");
    CX_CHECK(trained > 0 && held > 0 && trained + held == 36);
    /* half 1 and half 2 of the evaluation add up to the file */
    snprintf(args, sizeof args, SINGLE " --half 1 --model '%s'", dir);
    CX_CHECK(run(evaluator, "themes", args, "eval_h1") == 0);
    CX_CHECK(summary("eval_h1", "themes ", "n") == 18);
    CX_CHECK(run(evaluator, "themes", SINGLE " --half 1 --holdout 20", "eval_both") == 2);
}

/* Write text to tmp/name and return the path. */
static const char *write_file(const char *name, const char *text, char *path, size_t n) {
    snprintf(path, n, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

static void test_trainer_errors(void) {
    char p[600], args[1200];
    write_file("bad.jsonl", "{\"text\": \"a\", \"label_theme\": \"x\"}\n{\"text\": \"b\", \"label_theme\": \n", p, sizeof p);
    CX_CHECK(train("badjson", p) == 2);
    CX_CHECK(log_has("badjson", "bad.jsonl:2: not a JSON object"));
    write_file("num.jsonl", "{\"text\": \"a\", \"label_theme\": \"x\"}\n\n{\"text\": \"b\", \"label_theme\": 7}\n", p, sizeof p);
    CX_CHECK(train("badlabel", p) == 2);
    CX_CHECK(log_has("badlabel", "num.jsonl:3: \"label_theme\" is neither a string"));
    write_file("tab.jsonl", "{\"text\": \"a\", \"label_theme\": [\"x\\ty\"]}\n", p, sizeof p);
    CX_CHECK(train("tablabel", p) == 2);
    CX_CHECK(log_has("tablabel", "tab.jsonl:1: label 'x") && log_has("tablabel", "control character"));
    write_file("null.jsonl", "{\"text\": \"a\", \"label_theme\": null}\n{\"text\": \"b\"}\n", p, sizeof p);
    CX_CHECK(train("nolabels", p) == 2);
    CX_CHECK(log_has("nolabels", "no labelled records") && log_has("nolabels", "2 with a null label_theme"));
    write_file("one.jsonl", "{\"text\": \"a b\", \"label_theme\": \"x\"}\n{\"text\": \"c d\", \"label_theme\": \"x\"}\n", p,
               sizeof p);
    CX_CHECK(train("onelabel", p) == 2);
    CX_CHECK(log_has("onelabel", "only one label ('x')"));
    write_file("onelist.jsonl", "{\"text\": \"a b\", \"label_theme\": [\"x\"]}\n{\"text\": \"c\", \"label_theme\": [\"x\"]}\n",
               p, sizeof p);
    CX_CHECK(train("onelist", p) == 2);
    CX_CHECK(log_has("onelist", "every training record has the one label 'x'"));
    CX_CHECK(train("both", SINGLE " --half 1 --holdout 20") == 2);
    CX_CHECK(train("badwhere", SINGLE " --where relevance") == 2);
    CX_CHECK(log_has("badwhere", "expected key.path=value"));
    CX_CHECK(train("badmodel", SINGLE " --model trees") == 2);
    CX_CHECK(train("softmulti", MULTI " --model softmax") == 2);
    CX_CHECK(log_has("softmulti", "needs exactly one label per record"));
    /* an unwritable output directory (a file in the way) */
    snprintf(args, sizeof args, SINGLE " -o '%s/bad.jsonl/x'", tmp);
    CX_CHECK(run(trainer, "themes", args, "unwritable") == 1);
    CX_CHECK(log_has("unwritable", "cannot create"));
    CX_CHECK(run(trainer, "themes", "--help", "help") == 0);
    CX_CHECK(log_has("help", "--holdout PCT") && log_has("help", "--where KEY=VALUE"));
    /* the evaluation: the authored taxonomy needs taxonomy ids as gold labels */
    CX_CHECK(run(evaluator, "themes", SINGLE, "eval_notax") == 2);
    CX_CHECK(log_has("eval_notax", "none of the 3 gold labels") && log_has("eval_notax", "--model DIR"));
    CX_CHECK(run(evaluator, "themes", TAXO, "eval_tax") == 0);
    CX_CHECK(summary("eval_tax", "themes ", "n") == 8 && summary("eval_tax", "themes ", "accuracy") >= 0.5);
    write_file("mixed.jsonl", "{\"text\": \"late delivery again\", \"label_theme\": \"delivery.late\"}\n"
                              "{\"text\": \"the card is lost\", \"label_theme\": \"cards\"}\n", p, sizeof p);
    CX_CHECK(run(evaluator, "themes", p, "eval_mixed") == 0);
    CX_CHECK(log_has("eval_mixed", "warning: 1 of 2 gold labels are no taxonomy id ('cards')"));
    CX_CHECK(run(evaluator, "themes", p, "eval_mixed") == 0);
    write_file("badeval.jsonl", "[1, 2]\n", p, sizeof p);
    CX_CHECK(run(evaluator, "themes", p, "eval_bad") == 2);
    CX_CHECK(log_has("eval_bad", "badeval.jsonl:1: not a JSON object"));
}

/* Write text to tmp/name/themes.tsv and try to load it into a tagger;
 * returns the error ("" when it loaded). */
static const char *load_error(const char *name, const char *text, char *err, size_t n) {
    char dir[512], file[600];
    path_of(dir, sizeof dir, name);
    mkdir(dir, 0755);
    snprintf(file, sizeof file, "%s/themes.tsv", dir);
    FILE *f = fopen(file, "w");
    if (!f) return "cannot write";
    fputs(text, f);
    fclose(f);
    err[0] = '\0';
    cx_tagger *t = tagger(dir, err, n);
    if (t) {
        cx_tagger_destroy(&t);
        return "";
    }
    return err;
}

#define HEAD "# written-by: hand\n# languages: en\n# features: stems bigrams\n# model: one-vs-rest\n"

static void test_loader_errors(void) {
    char err[600];
    const char *e;
    const char *ok = HEAD "# decision: threshold\n# threshold: 0.5\n# at-least-one: yes\n#\n"
                          "late\t@bias\t-2\nlate\t@threshold\t0.4\nlate\tlate\t3\nlate\tcourier late\t1.5\n"
                          "cold\t@bias\t-2\ncold\tcold\t3\ncold\tlate\t-0.5\ncold\t#cold\t0.5\n";
    e = load_error("ok", ok, err, sizeof err);
    CX_CHECK_STR(e, "");
    e = load_error("nomodel", "# languages: en\n# features: stems\n# decision: top1\nx\t@bias\t0\n", err, sizeof err);
    CX_CHECK(strstr(e, "/nomodel/themes.tsv:4: missing '# model:' header line"));
    e = load_error("model", "# model: trees\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:1: '# model:' is 'softmax' or 'one-vs-rest', not 'trees'"));
    e = load_error("nothr", HEAD "# decision: threshold\nx\t@bias\t0\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:6: '# decision: threshold' needs a '# threshold:' header line"));
    e = load_error("badthr", HEAD "# decision: threshold\n# threshold: 1.5\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:6: bad '# threshold:' '1.5'"));
    e = load_error("before", HEAD "# decision: top1\nx\tlate\t1\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:6: term of label 'x' before its @bias line"));
    e = load_error("dupbias", HEAD "# decision: top1\nx\t@bias\t0\ny\t@bias\t0\nx\t@bias\t1\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:8: duplicate @bias line for label 'x' (first on line 6)"));
    e = load_error("dupterm", HEAD "# decision: top1\nx\t@bias\t0\nx\tlate\t1\ny\t@bias\t0\ny\tlate\t1\nx\tlate\t2\n", err,
                   sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:10: duplicate term 'late' for label 'x' (first on line 7)"));
    e = load_error("badw", HEAD "# decision: top1\nx\t@bias\t0\nx\tlate\tfast\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:7: bad weight 'fast' for 'late'"));
    e = load_error("bigw", HEAD "# decision: top1\nx\t@bias\t1e9\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:6: bad weight '1e9' for '@bias'"));
    e = load_error("lthr", HEAD "# decision: top1\nx\t@bias\t0\nx\t@threshold\t2\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:7: bad @threshold '2' for label 'x'"));
    e = load_error("reserved", HEAD "# decision: top1\nx\t@bias\t0\nx\t@other\t1\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:7: unknown reserved term '@other'"));
    e = load_error("fields", HEAD "# decision: top1\nx\t@bias\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:6: expected 'label<TAB>term<TAB>weight'"));
    e = load_error("fields4", HEAD "# decision: top1\nx\t@bias\t0\t1\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:6: expected 3 tab-separated fields"));
    e = load_error("words", HEAD "# decision: top1\nx\t@bias\t0\nx\tvery very late\t1\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:7: term 'very very late' is not one stem or two stems"));
    e = load_error("utf8", HEAD "# decision: top1\nx\t@bias\t0\nx\tla\xC3te\t1\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:7: invalid UTF-8"));
    e = load_error("late_hdr", HEAD "# decision: top1\nx\t@bias\t0\n# threshold: 0.5\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:7: header line '# threshold:' after the first label line (line 6)"));
    e = load_error("nolabels", HEAD "# decision: top1\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:5: no labels"));
    e = load_error("badlabel", HEAD "# decision: top1\n@x\t@bias\t0\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:6: label starts with '@' or '#'"));
    e = load_error("lang", "# languages: English\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:1: bad language code 'English'"));
    e = load_error("feat", "# features: stems words2\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:1: '# features:' unknown feature kind 'words2'"));
    e = load_error("duphdr", "# model: softmax\n# model: softmax\n", err, sizeof err);
    CX_CHECK(strstr(e, "themes.tsv:2: duplicate '# model:' header (first on line 1)"));
    char missing[512];
    path_of(missing, sizeof missing, "does-not-exist");
    cx_tagger *t = tagger(missing, err, sizeof err);
    CX_CHECK(t == NULL && strstr(err, "does-not-exist") && strstr(err, "No such file"));

    /* the hand-written model: scores, thresholds, at-least-one */
    char dir[512];
    path_of(dir, sizeof dir, "ok");
    cx_ltheme *m = cx_ltheme_load(dir, err, sizeof err);
    CX_CHECK(m != NULL);
    if (!m) return;
    cx_ltheme_info in;
    cx_ltheme_get_info(m, &in);
    CX_CHECK(in.n_labels == 2 && in.n_weights == 5 && in.n_terms == 4 && in.at_least_one && in.threshold == 0.5);
    CX_CHECK(cx_ltheme_threshold(m, 0) == 0.4 && cx_ltheme_threshold(m, 1) == 0.5 && cx_ltheme_bias(m, 1) == -2);
    int found;
    CX_CHECK(cx_ltheme_weight(m, 0, "courier late", &found) == 1.5 && found);
    CX_CHECK(cx_ltheme_weight(m, 1, "late", &found) == -0.5 && found);
    CX_CHECK(cx_ltheme_weight(m, 1, "#cold", &found) == 0.5 && found); /* "#word" is a hashtag term, not a comment */
    double p[2];
    uint32_t out[2];
    p[0] = 0.45, p[1] = 0.49; /* late reaches its own 0.4, cold misses the global 0.5 */
    CX_CHECK(cx_ltheme_decide(m, p, out) == 1 && out[0] == 0);
    p[0] = 0.3, p[1] = 0.2; /* none reaches: at-least-one gives the best */
    CX_CHECK(cx_ltheme_decide(m, p, out) == 1 && out[0] == 0);
    p[0] = 0.6, p[1] = 0.9; /* both, the best first */
    CX_CHECK(cx_ltheme_decide(m, p, out) == 2 && out[0] == 1 && out[1] == 0);
    cx_env *e2 = cx_env_new();
    e2->text = cx_env_strdup(e2, "the courier late again and the food cold");
    CX_CHECK(cx_text_analyze(tx, e2, "en", err, sizeof err) == 0);
    CX_CHECK(cx_ltheme_scores(m, e2, p) == 3); /* late, "courier late", cold */
    CX_CHECK_NEAR(p[0], 1 / (1 + exp(-(-2 + 3 + 1.5))), 1e-9);
    CX_CHECK_NEAR(p[1], 1 / (1 + exp(-(-2 + 3 - 0.5))), 1e-9);
    cx_env_destroy(&e2);
    cx_ltheme_destroy(&m);
    const char *why;
    CX_CHECK(cx_ltheme_label_ok("Zugfahrt", &why) && !cx_ltheme_label_ok("", &why) && !cx_ltheme_label_ok(" x", &why));
}

/* Every allocation of loading and of scoring may fail: no crash, no leak
 * (ASan), an error or a result. */
static void test_alloc_failures(void) {
    char dir[512], err[512];
    path_of(dir, sizeof dir, "single");
    int loaded = 0;
    for (long n = 1; n < 2000 && !loaded; n++) {
        cx_alloc_fail_at(n, 0);
        cx_ltheme *m = cx_ltheme_load(dir, err, sizeof err);
        cx_alloc_fail_at(0, 0);
        loaded = cx_alloc_failures() == 0 || m != NULL;
        if (!m) CX_CHECK(strstr(err, "out of memory") || strstr(err, "themes") || strstr(err, "read"));
        cx_ltheme_destroy(&m);
    }
    CX_CHECK(loaded);
    cx_tagger *t = tagger(dir, err, sizeof err);
    CX_CHECK(t != NULL);
    if (!t) return;
    int ok = 0;
    for (long n = 1; n < 300 && !ok; n++) {
        cx_env *e = cx_env_new();
        e->text = cx_env_strdup(e, "The app is great. My card has not arrived!");
        e->lang_hint = "en";
        if (cx_text_analyze(tx, e, NULL, err, sizeof err) < 0) { cx_env_destroy(&e); break; }
        long before = cx_alloc_failures();
        cx_alloc_fail_at(n, 1);
        int rc = cx_tagger_apply(t, e, err, sizeof err);
        cx_alloc_fail_at(0, 0);
        ok = rc == 0 && cx_alloc_failures() == before;
        if (rc < 0) CX_CHECK(strstr(err, "out of memory"));
        if (ok) CX_CHECK(learned_hit(e, "card_arrival") != NULL);
        cx_env_destroy(&e);
    }
    CX_CHECK(ok);
    cx_tagger_destroy(&t);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: test_ltheme PATH-TO-cxflow-train PATH-TO-cxflow-eval\n");
        return 2;
    }
    trainer = argv[1];
    evaluator = argv[2];
    verbose = getenv("CX_LTHEME_VERBOSE") != NULL;
    snprintf(tmp, sizeof tmp, "/tmp/cx-test-ltheme-XXXXXX");
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
    CX_RUN(test_single);
    CX_RUN(test_multi);
    CX_RUN(test_splits);
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
