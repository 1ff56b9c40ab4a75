/* main.c - the tokenize stage: PULL envelopes on link.tokenize, redact PII
 * (pii.redact, pii.pattern.*), add the language, sentences and tokens
 * (cx_text_analyze), PUSH them to link.tag.
 * Everything but the analysis is the shared stage runner (cx_stage.h). */
#include "cx_alloc.h"
#include "cx_log.h"
#include "cx_pii.h"
#include <jansson.h>
#include <stdlib.h>
#include "cx_stage.h"
#include "cx_text.h"
#include <stdio.h>
#include <string.h>

typedef struct tok_ctx {
    cx_text *text;
    cx_pii *pii;        /* NULL when pii.redact is off */
    double *m_pii[5];   /* placeholders written: email, phone, card, iban, custom */
    double *m_tokens;   /* tokens produced */
    double *m_und;      /* records whose language stayed undetermined */
} tok_ctx;

/* The user patterns (pii.pattern.NAME = REGEX) collected from the conf. */
typedef struct pat_list {
    cx_pii_pattern *v;
    size_t n, cap;
} pat_list;

static int add_pattern(const char *name, const char *value, int line, void *arg) {
    (void)line;
    pat_list *l = arg;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        cx_pii_pattern *nv = cx_realloc(l->v, nc * sizeof *nv);
        if (!nv) return -1;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = (cx_pii_pattern){name, value};
    return 0;
}

/* Build the redactor from pii.redact and pii.pattern.*; *out stays NULL
 * when redaction is off.  A bad pattern is reported as "file:line:
 * pii.pattern.NAME: reason".  0 / -1. */
static int build_pii(const cx_conf *c, cx_pii **out, char *err, size_t errlen) {
    *out = NULL;
    if (!cx_conf_bool(c, "pii.redact")) {
        cx_warn("PII redaction is off (pii.redact = false): original texts reach the sink");
        return 0;
    }
    pat_list l = {0};
    if (cx_conf_each(c, "pii.pattern.", add_pattern, &l)) {
        cx_free(l.v);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    cx_pii_opts o = {.email = 1, .phone = 1, .card = 1, .iban = 1, .patterns = l.v, .npatterns = l.n};
    char why[512];
    *out = cx_pii_new(&o, why, sizeof why);
    cx_free(l.v);
    if (!*out) {
        const char *colon = strstr(why, ": ");
        if (!strncmp(why, "pii.pattern.", 12) && colon) {
            char key[128], where[512];
            snprintf(key, sizeof key, "%.*s", (int)(colon - why), why);
            snprintf(err, errlen, "%s: %s", cx_conf_origin(c, key, where, sizeof where), why);
        } else {
            snprintf(err, errlen, "%s", why);
        }
        return -1;
    }
    cx_info("PII redaction on: e-mails, phones, cards, IBANs and %zu user pattern(s)", o.npatterns);
    return 0;
}

/* Build the analyser from lexicons.dir, tokenize.default_lang,
 * tokenize.trust_hint, langid.min_confidence and langid.per_sentence. */
static int tok_init(void **ctxp, const cx_conf *c, cx_metrics *m, char *err, size_t errlen) {
    tok_ctx *ctx = cx_calloc(1, sizeof *ctx);
    if (!ctx) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char dir[4096];
    cx_text_opts o = {0};
    o.lexicon_dir = cx_conf_path(c, "lexicons.dir", dir, sizeof dir);
    o.default_lang = cx_conf_str(c, "tokenize.default_lang");
    o.trust_hint = cx_conf_bool(c, "tokenize.trust_hint");
    o.min_confidence = (float)cx_conf_dbl(c, "langid.min_confidence");
    if (o.min_confidence <= 0) o.min_confidence = -1;   /* 0 in the file: accept every guess */
    o.per_sentence = cx_conf_bool(c, "langid.per_sentence");
    if (!(ctx->text = cx_text_new(&o, err, errlen))) {
        cx_free(ctx);
        return -1;
    }
    if (build_pii(c, &ctx->pii, err, errlen) < 0) {
        cx_text_destroy(&ctx->text);
        cx_free(ctx);
        return -1;
    }
    cx_text_set_pii(ctx->text, ctx->pii);
    if (m) {
        static const char *const names[5][2] = {
            {"pii_email_total", "e-mail addresses redacted"},
            {"pii_phone_total", "phone numbers redacted"},
            {"pii_card_total", "payment card numbers redacted"},
            {"pii_iban_total", "IBANs redacted"},
            {"pii_custom_total", "matches of pii.pattern.* redacted"},
        };
        for (int i = 0; i < 5; i++) ctx->m_pii[i] = cx_metric(m, names[i][0], names[i][1], 0);
        ctx->m_tokens = cx_metric(m, "tokens_total", "tokens produced", 0);
        ctx->m_und = cx_metric(m, "lang_undetermined_total", "records whose language could not be determined", 0);
    }
    char langs[512];
    int n = cx_text_lexicon_langs(ctx->text, langs, sizeof langs);
    cx_info("lexicons from %s: %d language(s)%s%s", dir, n, n ? ": " : "", langs);
    *ctxp = ctx;
    return 0;
}

/* Redact every string inside a JSON value, in place.  Returns the number of
 * replacements, -1 when redaction failed. */
static int redact_json(cx_pii *pii, json_t *v, cx_buf *buf) {
    int n = 0, r;
    if (json_is_string(v)) {
        cx_pii_counts c = {0};
        r = cx_pii_redact(pii, json_string_value(v), json_string_length(v), buf, &c);
        if (r > 0 && json_string_setn(v, buf->data, buf->len) < 0) return -1;
        return r;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            if ((r = redact_json(pii, x, buf)) < 0) return -1;
            n += r;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if ((r = redact_json(pii, x, buf)) < 0) return -1;
            n += r;
        }
    }
    return n;
}

/* The record's other input fields (meta_json) can carry personal data too
 * (an "email" or "phone" field): every string value is redacted like the
 * text.  When it cannot be done the metadata is dropped rather than kept. */
static int redact_meta(tok_ctx *ctx, cx_env *env) {
    json_error_t je;
    json_t *m = json_loads(env->meta_json, 0, &je);
    if (!m) { env->meta_json = NULL; return 0; }
    cx_buf buf;
    cx_buf_init(&buf);
    int n = redact_json(ctx->pii, m, &buf);
    if (n > 0) {
        char *s = json_dumps(m, JSON_COMPACT);
        env->meta_json = s ? cx_env_strdup(env, s) : NULL;
        free(s);
    } else if (n < 0) {
        env->meta_json = NULL;
    }
    cx_buf_free(&buf);
    json_decref(m);
    return n;
}

static int tok_process(void *vctx, cx_env *env, cx_stage_io *io, char *err, size_t errlen) {
    (void)io;
    tok_ctx *ctx = vctx;
    int rc = cx_text_analyze(ctx->text, env, NULL, err, errlen);
    if (rc == 0 && ctx->pii && env->meta_json) {
        int n = redact_meta(ctx, env);
        if (n > 0) env->pii_count += (uint32_t)n;
    }
    if (ctx->pii) {
        cx_pii_counts t;
        cx_pii_totals(ctx->pii, &t);
        const uint64_t v[5] = {t.email, t.phone, t.card, t.iban, t.custom};
        for (int i = 0; i < 5; i++)
            if (ctx->m_pii[i]) *ctx->m_pii[i] = (double)v[i];
    }
    if (rc < 0) return -1;
    if (ctx->m_tokens) *ctx->m_tokens += env->n_tokens;
    if (ctx->m_und && !strcmp(env->lang, "und")) (*ctx->m_und)++;
    return 0;
}

static int tok_reload(void *vctx, const cx_conf *c, char *err, size_t errlen) {
    (void)c;
    tok_ctx *ctx = vctx;
    return cx_text_reload(ctx->text, err, errlen);
}

static void tok_fini(void *vctx) {
    tok_ctx *ctx = vctx;
    if (!ctx) return;
    cx_text_destroy(&ctx->text);
    cx_pii_destroy(&ctx->pii);   /* after the cx_text that borrows it */
    cx_free(ctx);
}

int main(int argc, char **argv) {
    static const cx_stage_ops ops = {
        .name = "tokenize",
        .summary = "detect the language, normalise, segment, tag tokens (cxflow stage 2)",
        .in_key = "link.tokenize",
        .out_key = "link.tag",
        .init = tok_init,
        .process = tok_process,
        .tick = NULL,
        .reload = tok_reload,
        .fini = tok_fini,
    };
    return cx_stage_main(argc, argv, &ops);
}
