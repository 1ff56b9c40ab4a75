/* text_cli.c - cxflow-text, a debug tool for the text analysis: reads UTF-8
 * lines from stdin and prints, per line, the language and its confidence,
 * the sentences and every token (type, flags, normalised form, stem).
 *
 *   cxflow-text [--lexicons DIR] [--lang X] [--hint X] [--default-lang X]
 *               [--json] [--bench N] [--no-redact]
 *
 * --bench N analyses all input lines N times and prints records/s instead.
 * PII (e-mails, phones, cards, IBANs) is redacted first, as in the
 * tokenize stage with pii.redact = true, unless --no-redact is given. */
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_pii.h"
#include "cx_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: cxflow-text [--lexicons DIR] [--lang X] [--hint X] [--default-lang X] [--json] [--bench N]\n"
            "                   [--no-redact]\n"
            "  reads UTF-8 lines from stdin; prints language, sentences and tokens per line\n"
            "  --lexicons DIR   lexicon directory (default $CXFLOW_LEXICONS or ./lexicons)\n"
            "  --lang X         force the language (no detection)\n"
            "  --hint X         pass X as the record's language hint (trusted)\n"
            "  --default-lang X language used when detection fails (default und)\n"
            "  --json           one JSON object per line\n"
            "  --bench N        analyse all lines N times, print records/s\n"
            "  --no-redact      keep e-mails, phones, cards and IBANs (default: redact them first)\n");
}

static void print_text(const cx_env *e) {
    printf("lang=%s conf=%.2f sentences=%u tokens=%u", e->lang, (double)e->lang_conf, e->n_sents, e->n_tokens);
    if (e->pii_count) printf(" pii=%u\n  redacted: %s", e->pii_count, e->text);
    printf("\n");
    char fl[256];
    for (uint32_t s = 0, i = 0; s < e->n_sents; s++) {
        printf("  sentence %u:", s);
        for (uint32_t j = i; j < e->n_tokens && e->tokens[j].sent == s; j++) printf(" %s", e->tokens[j].surface);
        printf("\n");
        for (; i < e->n_tokens && e->tokens[i].sent == s; i++) {
            const cx_token *t = &e->tokens[i];
            printf("    %-8s %-20s norm=%-16s stem=%-14s %s\n", cx_tok_type_name(t->type), t->surface, t->norm,
                   t->stem, cx_text_flag_names(t->flags, fl, sizeof fl));
        }
    }
}

static void print_json(const cx_env *e) {
    cx_buf b;
    cx_buf_init(&b);
    cx_buf_printf(&b, "{\"lang\":");
    cx_buf_json_str(&b, e->lang);
    cx_buf_printf(&b, ",\"conf\":%.3f,\"sentences\":%u,\"pii\":%u,", (double)e->lang_conf, e->n_sents, e->pii_count);
    if (e->pii_count) {
        cx_buf_printf(&b, "\"redacted\":");
        cx_buf_json_str(&b, e->text);
        cx_buf_printf(&b, ",");
    }
    cx_buf_printf(&b, "\"tokens\":[");
    char fl[256];
    for (uint32_t i = 0; i < e->n_tokens; i++) {
        const cx_token *t = &e->tokens[i];
        cx_buf_printf(&b, "%s{\"sent\":%u,\"type\":\"%s\",\"surface\":", i ? "," : "", t->sent,
                      cx_tok_type_name(t->type));
        cx_buf_json_str(&b, t->surface);
        cx_buf_printf(&b, ",\"norm\":");
        cx_buf_json_str(&b, t->norm);
        cx_buf_printf(&b, ",\"stem\":");
        cx_buf_json_str(&b, t->stem);
        cx_buf_printf(&b, ",\"flags\":");
        cx_buf_json_str(&b, cx_text_flag_names(t->flags, fl, sizeof fl));
        cx_buf_printf(&b, "}");
    }
    cx_buf_printf(&b, "]}\n");
    if (!b.oom) fwrite(b.data, 1, b.len, stdout);
    cx_buf_free(&b);
}

/* Read stdin into an array of lines (newline stripped).  NULL when out of memory. */
static char **read_lines(size_t *count, size_t *bytes) {
    size_t n = 0, cap = 0;
    char **v = NULL, *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    *bytes = 0;
    while ((len = getline(&line, &lcap, stdin)) >= 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **nv = cx_realloc(v, cap * sizeof *nv);
            if (!nv) { free(line); return NULL; }
            v = nv;
        }
        if (!(v[n] = cx_strndup(line, (size_t)len))) { free(line); return NULL; }
        *bytes += (size_t)len;
        n++;
    }
    free(line);
    *count = n;
    return v;
}

int main(int argc, char **argv) {
    const char *lexdir = getenv("CXFLOW_LEXICONS"), *lang = NULL, *hint = NULL, *deflang = "und";
    int json = 0, redact = 1;
    long bench = 0;
    if (!lexdir) lexdir = "lexicons";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--no-redact")) redact = 0;
        else if (!strcmp(a, "--lang") && more) lang = argv[++i];
        else if (!strcmp(a, "--hint") && more) hint = argv[++i];
        else if (!strcmp(a, "--default-lang") && more) deflang = argv[++i];
        else if (!strcmp(a, "--lexicons") && more) lexdir = argv[++i];
        else if (!strcmp(a, "--bench") && more) bench = atol(argv[++i]);
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        else { usage(stderr); return 2; }
    }
    char err[512];
    cx_text_opts o = {.lexicon_dir = lexdir, .default_lang = deflang, .trust_hint = 1, .redact_pii = 0};
    cx_text *t = cx_text_new(&o, err, sizeof err);
    if (!t) {
        fprintf(stderr, "cxflow-text: %s\n", err);
        return 1;
    }
    cx_pii *pii = NULL;
    if (redact) {
        cx_pii_opts po = {.email = 1, .phone = 1, .card = 1, .iban = 1};
        if (!(pii = cx_pii_new(&po, err, sizeof err))) {
            fprintf(stderr, "cxflow-text: %s\n", err);
            cx_text_destroy(&t);
            return 1;
        }
        cx_text_set_pii(t, pii);
    }
    int rc = 0;
    if (bench > 0) {
        size_t nl, bytes;
        char **lines = read_lines(&nl, &bytes);
        if (!lines || !nl) {
            fprintf(stderr, "cxflow-text: no input\n");
            cx_text_destroy(&t);
            cx_pii_destroy(&pii);
            return 1;
        }
        unsigned long long toks = 0;
        struct timespec t0, t1, c0, c1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
        for (long r = 0; r < bench && !rc; r++)
            for (size_t i = 0; i < nl; i++) {
                cx_env *e = cx_env_new();
                if (!e) { rc = 1; break; }
                e->text = lines[i];
                e->lang_hint = hint;
                if (cx_text_analyze(t, e, lang, err, sizeof err) < 0) { fprintf(stderr, "%s\n", err); rc = 1; }
                toks += e->n_tokens;
                cx_env_destroy(&e);
            }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
        double recs = (double)nl * (double)bench;
        printf("%.0f records in %.3f s (%.3f s CPU): %.0f records/s (%.0f per CPU-second), %.1f MB/s, %.0f tokens/s "
               "(avg %.0f bytes, %.1f tokens/record)\n",
               recs, secs, cpu, recs / secs, recs / cpu, (double)bytes * (double)bench / secs / 1e6,
               (double)toks / secs, (double)bytes / (double)nl, (double)toks / recs);
        for (size_t i = 0; i < nl; i++) cx_free(lines[i]);
        cx_free(lines);
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, stdin)) >= 0) {
            while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
            cx_env *e = cx_env_new();
            if (!e) { rc = 1; break; }
            e->text = line;
            e->lang_hint = hint;
            if (cx_text_analyze(t, e, lang, err, sizeof err) < 0) {
                fprintf(stderr, "cxflow-text: %s\n", err);
                rc = 1;
            } else if (json) {
                print_json(e);
            } else {
                print_text(e);
            }
            cx_env_destroy(&e);
        }
        free(line);
    }
    cx_text_destroy(&t);
    cx_pii_destroy(&pii);
    return rc;
}
