/* main.c - the tokenize stage: PULL envelopes on link.tokenize, add the
 * language, sentences and tokens (cx_text_analyze), PUSH them to link.tag.
 * Everything but the analysis is the shared stage runner (cx_stage.h). */
#include "cx_alloc.h"
#include "cx_log.h"
#include "cx_stage.h"
#include "cx_text.h"
#include <stdio.h>
#include <string.h>

typedef struct tok_ctx {
    cx_text *text;
    double *m_tokens;   /* tokens produced */
    double *m_und;      /* records whose language stayed undetermined */
} tok_ctx;

/* Build the analyser from lexicons.dir, tokenize.default_lang and
 * tokenize.trust_hint. */
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
    if (!(ctx->text = cx_text_new(&o, err, errlen))) {
        cx_free(ctx);
        return -1;
    }
    if (m) {
        ctx->m_tokens = cx_metric(m, "tokens_total", "tokens produced", 0);
        ctx->m_und = cx_metric(m, "lang_undetermined_total", "records whose language could not be determined", 0);
    }
    char langs[512];
    int n = cx_text_lexicon_langs(ctx->text, langs, sizeof langs);
    cx_info("lexicons from %s: %d language(s)%s%s", dir, n, n ? ": " : "", langs);
    *ctxp = ctx;
    return 0;
}

static int tok_process(void *vctx, cx_env *env, cx_stage_io *io, char *err, size_t errlen) {
    (void)io;
    tok_ctx *ctx = vctx;
    if (cx_text_analyze(ctx->text, env, NULL, err, errlen) < 0) return -1;
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
