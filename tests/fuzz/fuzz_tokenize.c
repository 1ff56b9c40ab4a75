/* fuzz_tokenize.c - libFuzzer target for the tokenize stage's text analysis
 * (stages/tokenize/cx_text.c): UTF-8 decoding, normalisation, segmentation,
 * token typing, lexicon flags, stemming and PII redaction.
 *
 * One cx_text is built on the first call with the shipped lexicons
 * (CX_FUZZ_LEXICONS, set by tests/fuzz/CMakeLists.txt to the source tree's
 * lexicons/; $CXFLOW_LEXICONS overrides it) and reused, as the stage does.
 * Each input is analysed as record text with language detection and with
 * a few forced languages that switch on language-specific code (Persian
 * letter fixes and affix joining, Bengali and Tamil rules, German stretch
 * rule, Turkish case folding, Greek accents, French elision, CJK), every
 * other call with the PII redactor (cx_pii.h: all built-in detectors and a
 * user pattern) attached, and once through cx_pii_redact directly.  After
 * every call the result is checked against the contracts of cx_text.h and
 * cx_pii.h; a violation aborts, which libFuzzer reports like a crash.
 *
 * The same file is linked into fuzz_tokenize_replay (tests/fuzz/replay.c),
 * which ctest runs over tests/fuzz/corpus/tokenize without libFuzzer. */
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_pii.h"
#include "cx_text.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#ifndef CX_FUZZ_LEXICONS
#define CX_FUZZ_LEXICONS "lexicons"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cx_text *T;
static cx_pii *P;

static void fail(const char *what, const char *lang) {
    fprintf(stderr, "fuzz_tokenize: contract violated (lang %s): %s\n", lang ? lang : "detect", what);
    abort();
}

static int valid_utf8(const char *s) {
    const uint8_t *p = (const uint8_t *)s;
    int32_t n = (int32_t)strlen(s), i = 0;
    while (i < n) {
        UChar32 c;
        U8_NEXT(p, i, n, c);
        if (c < 0) return 0;
    }
    return 1;
}

/* The guarantees of cx_text.h that hold for every input. */
static void check(const cx_env *e, const char *lang) {
    if (e->n_tokens > CX_TEXT_MAX_TOKENS) fail("too many tokens", lang);
    if (e->n_tokens && !e->tokens) fail("tokens missing", lang);
    if (!e->n_tokens && e->n_sents) fail("sentences without tokens", lang);
    if (lang && strcmp(e->lang, lang)) fail("forced language not used", lang);
    uint32_t prev_sent = 0;
    for (uint32_t i = 0; i < e->n_tokens; i++) {
        const cx_token *k = &e->tokens[i];
        if (!k->norm || !k->stem || !k->surface) fail("NULL string", lang);
        if (!k->norm[0]) fail("empty norm", lang);
        if (strlen(k->norm) >= CX_TEXT_MAX_WORD || strlen(k->stem) >= CX_TEXT_MAX_WORD) fail("word bound", lang);
        if (!valid_utf8(k->norm) || !valid_utf8(k->stem) || !valid_utf8(k->surface)) fail("invalid UTF-8", lang);
        if (k->type >= CX_TOK__COUNT) fail("bad type", lang);
        if (k->sent < prev_sent || k->sent >= e->n_sents) fail("sentence index", lang);
        prev_sent = k->sent;
    }
    if (e->n_tokens && !(e->tokens[e->n_tokens - 1].flags & CX_TF_SENT_END)) fail("last token not SENT_END", lang);
}

static void init(void) {
    const char *dir = getenv("CXFLOW_LEXICONS");
    char err[512];
    cx_text_opts o = {.lexicon_dir = dir && *dir ? dir : CX_FUZZ_LEXICONS, .default_lang = "und", .trust_hint = 1};
    T = cx_text_new(&o, err, sizeof err);
    static const cx_pii_pattern pats[] = {{"ORDER", "(?i)\\bord-?[0-9]{6,10}\\b"}};
    cx_pii_opts po = {.email = 1, .phone = 1, .card = 1, .iban = 1, .patterns = pats, .npatterns = 1};
    if (T) P = cx_pii_new(&po, err, sizeof err);
    if (!T || !P) {
        fprintf(stderr, "fuzz_tokenize: %s\n", err);
        exit(1);
    }
}

/* cx_pii_redact on its own: a placeholder count matches a rewritten,
 * NUL-terminated, valid UTF-8 output (the input is valid UTF-8 only
 * sometimes, so only NUL termination and length are checked then). */
static void check_redact(const char *text, size_t len) {
    cx_buf out;
    cx_buf_init(&out);
    int n = cx_pii_redact(P, text, len, &out, NULL);
    if (n > 0) {
        if (!out.data || out.data[out.len] != '\0' || strlen(out.data) != out.len) fail("pii output", "pii");
        if (valid_utf8(text) && !valid_utf8(out.data)) fail("pii broke UTF-8", "pii");
        if (!strchr(out.data, '[')) fail("pii count without placeholder", "pii");
    } else if (n < 0 && !cx_pii_error(P)) {
        fail("pii failure without reason", "pii");
    }
    cx_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const langs[] = {NULL, "fa", "bn", "ta", "de", "tr", "el", "fr", "zh"};
    if (!T) init();
    if (size > CX_TEXT_MAX_INPUT + 16) return 0;
    /* record text is a C string: an embedded NUL ends it, as in the stage */
    char *text = cx_malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
        cx_env *e = cx_env_new();
        if (!e) break;
        e->text = text;
        e->lang_hint = size && (data[0] & 1) ? "pt-BR" : NULL;
        char err[256];
        cx_text_set_pii(T, i & 1 ? P : NULL);
        if (cx_text_analyze(T, e, langs[i], err, sizeof err) == 0) {
            check(e, langs[i]);
            for (uint32_t k = 0; k < e->n_tokens; k++)
                if (e->tokens[k].type == CX_TOK_PII && e->tokens[k].norm[0] != '[') fail("PII token norm", langs[i]);
        } else if (i & 1 && e->text && e->text[0]) {
            fail("failed redaction left the text", langs[i]);
        }
        cx_env_destroy(&e);
    }
    cx_text_set_pii(T, NULL);
    check_redact(text, strlen(text));
    cx_free(text);
    return 0;
}
