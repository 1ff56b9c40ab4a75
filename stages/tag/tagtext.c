/* tagtext.c - cxflow-tagtext, a debugging CLI for the tagger: reads lines
 * from stdin, runs the real tokenizer (cx_text_analyze) and the tagger on
 * each, and prints label, score, language, themes, signals and the
 * explanation, tab-separated, one line per input line.  --tokens also dumps
 * each token with its stem and flags; --evidence adds the signals' evidence
 * as a seventh column. */
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_tag_learned.h"
#include "cx_tagger.h"
#include "cx_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: cxflow-tagtext [--lexicons DIR] [--user-dir DIR] [--lang CODE] [--tokens] [--evidence]\n"
            "                      [--pos T] [--neg T] [--themes] [--warnings]\n"
            "                      [--learned DIR [--learned-mode file|with|instead]]\n"
            "                      [--themes-learned DIR]\n"
            "Reads feedback lines from stdin and prints, tab-separated:\n"
            "  label  score  language  themes(id:mentions:sentiment,...)  signals  explanation\n"
            "  --lexicons DIR  lexicon directory (default: lexicons)\n"
            "  --user-dir DIR  user theme directory (themes.user_dir: taxonomy, terms, names, signals)\n"
            "  --lang CODE     force the language (default: detect)\n"
            "  --tokens        also print the tokens (norm/stem/flags)\n"
            "  --evidence      add a 7th column: the signals' evidence (effort=called 3 times|...;churn=...)\n"
            "  --pos T --neg T label thresholds (default 0.05 / -0.05)\n"
            "  --themes        print the theme taxonomy (id, parent, name) and exit; with --lang CODE the\n"
            "                  names in that language (English where it has none) and a 4th column:\n"
            "                  'local' or 'english'\n"
            "  --warnings      print every lexicon load warning and exit\n"
            "  --learned DIR   also load the learned lexicon DIR/sentiment.tsv (cxflow train sentiment)\n"
            "  --learned-mode M  with: learned terms plus the weighted authored score; instead: learned\n"
            "                  terms alone; file (default): the mode it was trained for\n"
            "  --themes-learned DIR  also load the learned themes DIR/themes.tsv (cxflow train themes):\n"
            "                  their labels appear as learned.<label>:probability:sentiment\n"
            "  --bench N       tokenize every line once, then tag them all N times and print\n"
            "                  records per CPU-second of the tagger alone (decoding excluded)\n");
}

static void dump_tokens(const cx_env *e) {
    static const char *names[] = {"STOP", "NEG", "NEGPOST", "NEGFORM", "CONTRAST", "INTENS", "DIMIN",
                                  "CLAUSE_END", "SENT_END", "CAPS", "STRETCH", "REQUEST", "QUESTION", "EXCLAIM"};
    for (uint32_t i = 0; i < e->n_tokens; i++) {
        const cx_token *k = &e->tokens[i];
        printf("  #%u s%u %-8s %s", i, k->sent, cx_tok_type_name(k->type), k->norm);
        if (k->stem && strcmp(k->stem, k->norm)) printf(" [%s]", k->stem);
        for (int b = 0; b < 14; b++)
            if (k->flags & (1u << b)) printf(" %s", names[b]);
        printf("\n");
    }
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Tokenize every stdin line once into an encoded frame, then N rounds of
 * decode + tag; only the tagging is timed. */
static int run_bench(cx_text *tx, cx_tagger *t, const char *lang, long rounds) {
    static char line[65536];
    char err[512];
    cx_buf *frames = NULL;
    size_t n = 0, cap = 0, tokens = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        cx_env *e = cx_env_new();
        if (!e || !(e->text = cx_env_strdup(e, line)) || cx_text_analyze(tx, e, lang, err, sizeof err) < 0) {
            cx_env_destroy(&e);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            cx_buf *nf = cx_realloc(frames, cap * sizeof *nf);
            if (!nf) { cx_env_destroy(&e); break; }
            frames = nf;
        }
        cx_buf_init(&frames[n]);
        if (cx_env_encode(e, &frames[n]) == 0) {
            tokens += e->n_tokens;
            n++;
        }
        cx_env_destroy(&e);
    }
    if (!n) {
        fprintf(stderr, "cxflow-tagtext: no input lines\n");
        cx_free(frames);
        return 1;
    }
    /* CPU time of the process, not the wall clock: the rate is per CPU-second
     * of one core and other work on the machine changes it less.  Decoding
     * is timed in a loop of its own and subtracted. */
    double d0 = cpu_s();
    for (long r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            cx_env *e = cx_env_decode(frames[i].data, frames[i].len, err, sizeof err);
            cx_env_destroy(&e);
        }
    double decode_s = cpu_s() - d0, t0 = cpu_s();
    long recs = 0, neg = 0;
    for (long r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            cx_env *e = cx_env_decode(frames[i].data, frames[i].len, err, sizeof err);
            if (!e) continue;
            cx_tagger_apply(t, e, err, sizeof err);
            neg += e->label < 0;
            recs++;
            cx_env_destroy(&e);
        }
    double all = cpu_s() - t0, tag_s = all - decode_s;
    if (tag_s <= 0) tag_s = 1e-9;
    printf("%ld records (%zu distinct, %.1f tokens each), tag %.3f CPU-s = %.0f records/s (%.0f ns/record); "
           "with decode %.0f records/s; %ld negative\n",
           recs, n, (double)tokens / n, tag_s, recs / tag_s, tag_s * 1e9 / recs, recs / all, neg);
    for (size_t i = 0; i < n; i++) cx_buf_free(&frames[i]);
    cx_free(frames);
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = "lexicons", *lang = NULL, *learned = NULL, *user_dir = NULL, *lthemes = NULL;
    int learned_mode = CX_LEARNED_FILE_MODE;
    int tokens = 0, list_themes = 0, list_warnings = 0, evidence = 0;
    long bench = 0;
    double pos = 0.05, neg = -0.05;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--lexicons") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(a, "--lang") && i + 1 < argc) lang = argv[++i];
        else if (!strcmp(a, "--pos") && i + 1 < argc) pos = atof(argv[++i]);
        else if (!strcmp(a, "--neg") && i + 1 < argc) neg = atof(argv[++i]);
        else if (!strcmp(a, "--user-dir") && i + 1 < argc) user_dir = argv[++i];
        else if (!strcmp(a, "--tokens")) tokens = 1;
        else if (!strcmp(a, "--evidence")) evidence = 1;
        else if (!strcmp(a, "--themes")) list_themes = 1;
        else if (!strcmp(a, "--warnings")) list_warnings = 1;
        else if (!strcmp(a, "--bench") && i + 1 < argc) bench = atol(argv[++i]);
        else if (!strcmp(a, "--learned") && i + 1 < argc) learned = argv[++i];
        else if (!strcmp(a, "--themes-learned") && i + 1 < argc) lthemes = argv[++i];
        else if (!strcmp(a, "--learned-mode") && i + 1 < argc) {
            if ((learned_mode = cx_learned_mode_parse(argv[++i])) < 0) {
                fprintf(stderr, "cxflow-tagtext: --learned-mode is file, with or instead\n");
                return 2;
            }
        }
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        else { usage(stderr); return 2; }
    }
    char err[1024];
    cx_text_opts to = {.lexicon_dir = dir, .default_lang = "und", .trust_hint = 1, .redact_pii = 0};
    cx_text *tx = cx_text_new(&to, err, sizeof err);
    if (!tx) { fprintf(stderr, "cxflow-tagtext: %s\n", err); return 1; }
    cx_tagger_opts o = {.lexicon_dir = dir, .positive_threshold = pos, .negative_threshold = neg, .text = tx,
                        .learned_dir = learned, .learned_mode = learned_mode, .user_dir = user_dir,
                        .themes_learned_dir = lthemes};
    cx_tagger *t = cx_tagger_new(&o, err, sizeof err);
    if (!t) { fprintf(stderr, "cxflow-tagtext: %s\n", err); cx_text_destroy(&tx); return 1; }
    cx_tagger_stats st;
    cx_tagger_get_stats(t, &st);
    if (st.warnings) fprintf(stderr, "cxflow-tagtext: %zu lexicon warnings; first: %s\n", st.warnings, st.first_warning);
    if (list_warnings) {
        for (size_t i = 0; cx_tagger_warning(t, i); i++) printf("%s\n", cx_tagger_warning(t, i));
        if (st.warnings > 200) printf("... %zu warnings in all\n", st.warnings);
        cx_tagger_destroy(&t);
        cx_text_destroy(&tx);
        return 0;
    }
    if (list_themes) {
        for (size_t i = 0; i < cx_tagger_n_themes(t); i++) {
            const cx_tag_theme *x = cx_tagger_theme(t, i);
            if (lang)
                printf("%s\t%s\t%s\t%s\n", x->id, x->parent ? x->parent : "-", cx_tagger_theme_name(t, i, lang),
                       cx_tagger_has_theme_name(t, i, lang) ? "local" : "english");
            else
                printf("%s\t%s\t%s\n", x->id, x->parent ? x->parent : "-", x->name);
        }
        cx_tagger_destroy(&t);
        cx_text_destroy(&tx);
        return 0;
    }
    static char line[65536];
    int rc = 0;
    if (bench > 0) {
        rc = run_bench(tx, t, lang, bench);
        cx_tagger_destroy(&t);
        cx_text_destroy(&tx);
        return rc;
    }
    while (fgets(line, sizeof line, stdin)) {
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        cx_env *e = cx_env_new();
        if (!e || !(e->text = cx_env_strdup(e, line))) { fprintf(stderr, "out of memory\n"); rc = 1; break; }
        if (cx_text_analyze(tx, e, lang, err, sizeof err) < 0 || cx_tagger_apply(t, e, err, sizeof err) < 0) {
            printf("error\t\t\t\t\t%s\n", err);
            cx_env_destroy(&e);
            continue;
        }
        if (tokens) dump_tokens(e);
        printf("%s\t%+.3f\t%s\t", cx_label_name(e->label), e->sentiment, e->lang);
        for (uint32_t k = 0; k < e->n_themes; k++)
            printf("%s%s:%g:%+.2f", k ? "," : "", e->themes[k].id, e->themes[k].weight, e->themes[k].sentiment);
        printf("\t%s\t%s", e->signals ? e->signals : "", e->explain ? e->explain : "");
        if (evidence) printf("\t%s", e->signal_evidence ? e->signal_evidence : "");
        printf("\n");
        fflush(stdout);
        cx_env_destroy(&e);
    }
    cx_tagger_destroy(&t);
    cx_text_destroy(&tx);
    return rc;
}
