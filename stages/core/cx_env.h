/* cx_env.h - the record envelope that travels between stages.
 *
 * One envelope is one feedback record plus everything the stages learnt about
 * it.  Ingest creates it from a Kafka message; tokenize adds the language,
 * sentences and tokens; tag adds sentiment, themes and signals; cluster adds
 * the cluster id; sink stores it.  On the wire it is one ZeroMQ frame in a
 * versioned tag-length-value format documented in docs/ENVELOPE.md: unknown
 * tags are skipped, so a newer stage can talk to an older one.
 *
 * Ownership: every string and array hanging off a cx_env lives in the
 * envelope's own pool (cx_env_alloc / cx_env_strdup) and is freed by
 * cx_env_destroy.  Never free them one by one. */
#ifndef CX_ENV_H
#define CX_ENV_H
#include <stddef.h>
#include <stdint.h>

#define CX_ENV_MAGIC0 'C'
#define CX_ENV_MAGIC1 'X'
#define CX_ENV_VERSION 1

/* message kinds (byte 3 of a frame) */
enum { CX_MSG_RECORD = 1, CX_MSG_EVENT = 2, CX_MSG_ACK = 3 };

/* token types */
enum {
    CX_TOK_WORD = 0, CX_TOK_NUMBER, CX_TOK_EMOJI, CX_TOK_EMOTICON, CX_TOK_URL,
    CX_TOK_EMAIL, CX_TOK_MENTION, CX_TOK_HASHTAG, CX_TOK_PUNCT, CX_TOK_PII, CX_TOK__COUNT
};
const char *cx_tok_type_name(int type);

/* token flags (bit set) */
enum {
    CX_TF_STOP = 1 << 0,        /* stop word */
    CX_TF_NEGATOR = 1 << 1,     /* negates what follows (not, kein, هیچ) */
    CX_TF_NEG_POST = 1 << 2,    /* negates what precedes (নিয়ে না, نیست, இல்லை) */
    CX_TF_NEGATED_FORM = 1 << 3,/* the word itself is a negated verb form (نمی‌آید, வரவில்லை) */
    CX_TF_CONTRAST = 1 << 4,    /* but, aber, اما */
    CX_TF_INTENSIFIER = 1 << 5, /* very, sehr, خیلی */
    CX_TF_DIMINISHER = 1 << 6,  /* slightly, etwas */
    CX_TF_CLAUSE_END = 1 << 7,  /* last token of a clause (before , ; : - or a contrast word) */
    CX_TF_SENT_END = 1 << 8,    /* last token of a sentence */
    CX_TF_ALLCAPS = 1 << 9,     /* written in capitals in the source (>= 2 letters) */
    CX_TF_STRETCHED = 1 << 10,  /* letters repeated in the source ("sooo") */
    CX_TF_REQUEST = 1 << 11,    /* please, kindly, bitte */
    CX_TF_QUESTION = 1 << 12,   /* the sentence ends with a question mark */
    CX_TF_EXCLAIM = 1 << 13,    /* the sentence ends with '!' */
};

typedef struct cx_token {
    const char *norm;   /* normalised form (NFKC, case folded, script fixes) */
    const char *stem;   /* Snowball or light stem; equals norm when none */
    const char *surface;/* the text as written (for readable labels) */
    uint32_t flags;     /* CX_TF_* */
    uint16_t sent;      /* sentence index */
    uint8_t type;       /* CX_TOK_* */
    uint8_t reserved;
} cx_token;

typedef struct cx_theme_hit {
    const char *id;     /* theme id, e.g. "refunds_returns.not_received" */
    float weight;       /* strength of the match (number of mentions, >0) */
    float sentiment;    /* sentiment of the clauses that mention it, [-1,1] */
} cx_theme_hit;

enum { CX_SCORE_NONE = 0, CX_SCORE_RATING = 1, CX_SCORE_NPS = 2 };
enum { CX_LABEL_NEGATIVE = -1, CX_LABEL_NEUTRAL = 0, CX_LABEL_POSITIVE = 1 };

typedef struct cx_pool_chunk cx_pool_chunk;

typedef struct cx_env {
    /* source coordinates and identity (ingest) */
    const char *topic;
    int32_t partition;
    int64_t offset;
    const char *id;
    int64_t ts_ms;          /* event time, ms since epoch */
    int64_t ingest_us;      /* when ingest first sent it (latency), us since epoch */
    int64_t kafka_ts_ms;    /* the Kafka message timestamp (produce-to-sink latency) */
    /* record fields (ingest) */
    const char *channel, *product, *region, *lang_hint; /* NULL when absent */
    double score;
    uint8_t score_kind;     /* CX_SCORE_* */
    const char *meta_json;  /* other JSON fields, as a JSON object text, or NULL */
    const char *text;       /* the feedback text (redacted by tokenize when on) */
    const char *error;      /* set by a stage that could not process it: the sink dead-letters it */
    /* tokenize */
    char lang[8];           /* ISO 639-1, or "und" */
    float lang_conf;
    uint32_t n_tokens;
    cx_token *tokens;
    uint32_t n_sents;
    char (*sent_lang)[8];   /* n_sents language codes when the sentences differ in language, else NULL */
    uint32_t pii_count;
    /* tag */
    float sentiment;        /* compound, [-1, 1] */
    int8_t label;           /* CX_LABEL_* */
    uint8_t tagged;
    float *sent_scores;     /* n_sents entries, or NULL */
    uint32_t n_themes;
    cx_theme_hit *themes;
    const char *signals;    /* comma-separated signal names, or NULL */
    const char *signal_evidence; /* "name=text|text;name=text" per signal of signals, or NULL */
    const char *explain;    /* human-readable explanation, or NULL */
    /* cluster */
    int64_t cluster_id;     /* 0 = not clustered */
    /* internals */
    cx_pool_chunk *pool;
} cx_env;

/* A new empty envelope.  NULL when out of memory.  Release with cx_env_destroy. */
cx_env *cx_env_new(void);
void cx_env_destroy(cx_env **env);

/* Pool allocation: memory lives until cx_env_destroy.  NULL when out of memory. */
void *cx_env_alloc(cx_env *env, size_t n);
char *cx_env_strndup(cx_env *env, const char *s, size_t n);
char *cx_env_strdup(cx_env *env, const char *s);   /* NULL in, NULL out */

/* A growable byte buffer (used for encoding). */
typedef struct cx_buf {
    char *data;
    size_t len, cap;
    int oom;               /* sticky: an append failed */
} cx_buf;
void cx_buf_init(cx_buf *b);
void cx_buf_free(cx_buf *b);
void cx_buf_reset(cx_buf *b);
int cx_buf_append(cx_buf *b, const void *p, size_t n);
int cx_buf_printf(cx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* append s as a JSON string literal (quotes included, escaped) */
int cx_buf_json_str(cx_buf *b, const char *s);

/* Encode env as a CX_MSG_RECORD frame into out (out is reset first).
 * Returns 0, or -1 when out of memory. */
int cx_env_encode(const cx_env *env, cx_buf *out);

/* Decode a frame.  Returns a new envelope (caller owns) or NULL with a reason
 * in err (bad magic, unsupported version, truncated field...). */
cx_env *cx_env_decode(const void *data, size_t len, char *err, size_t errlen);

/* Kind of a frame (CX_MSG_*), or -1 when it is not a cxflow frame. */
int cx_msg_kind(const void *data, size_t len);

/* An event frame carries one JSON object (cluster events, alerts). */
int cx_event_encode(const char *json, size_t len, cx_buf *out);
/* Points *json into data (not NUL-terminated: *jlen bytes). 0 or -1. */
int cx_event_decode(const void *data, size_t len, const char **json, size_t *jlen);

/* An ack frame: the sink tells ingest which source records are durably stored. */
typedef struct cx_ack_item { int32_t partition; int64_t offset; } cx_ack_item;
int cx_ack_encode(const char *topic, const cx_ack_item *items, size_t n, cx_buf *out);
/* Decodes into a newly allocated array (*items, caller frees with cx_free)
 * and copies the topic into topic (topiclen bytes). */
int cx_ack_decode(const void *data, size_t len, char *topic, size_t topiclen, cx_ack_item **items, size_t *n);

const char *cx_label_name(int label);

#endif
