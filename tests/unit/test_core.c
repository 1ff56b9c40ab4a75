/* test_core.c - unit tests of the shared library: configuration table and
 * parser, envelope encoding, event and ack frames, allocation failures. */
#include "cx_alloc.h"
#include "cx_conf.h"
#include "cx_env.h"
#include "cx_kafka.h"
#include "cx_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/cxtest-core-XXXXXX";

/* Write text to a file in tmpdir and load it; returns the conf or NULL with err. */
static cx_conf *load_text(const char *text, char *err, size_t n) {
    char path[256];
    snprintf(path, sizeof path, "%s/p.conf", tmpdir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return cx_conf_load(path, err, n);
}

static void test_conf_defaults(void) {
    char err[256];
    cx_conf *c = cx_conf_load(NULL, err, sizeof err);
    CX_CHECK(c != NULL);
    CX_CHECK_STR(cx_conf_str(c, "kafka.brokers"), "embedded");
    CX_CHECK(cx_conf_int(c, "kafka.partitions") == 4);
    CX_CHECK(cx_conf_bool(c, "cluster.negative_only") == 1);
    CX_CHECK_NEAR(cx_conf_dbl(c, "sentiment.positive_threshold"), 0.05, 1e-9);
    cx_conf_destroy(&c);
    CX_CHECK(c == NULL);
}

static void test_conf_parse(void) {
    char err[256];
    cx_conf *c = load_text("# comment\n\nkafka.topic = tickets   # trailing comment\n"
                           "input.field.text = \"body # not a comment\"\n"
                           "kafka.security.protocol = SASL_SSL\n"
                           "sink.sqlite = data/x.db\n"
                           "cluster.negative_only = no\n",
                           err, sizeof err);
    CX_CHECK(c != NULL);
    if (!c) { fprintf(stderr, "%s\n", err); return; }
    CX_CHECK_STR(cx_conf_str(c, "kafka.topic"), "tickets");
    CX_CHECK_STR(cx_conf_str(c, "input.field.text"), "body # not a comment");
    CX_CHECK(cx_conf_bool(c, "cluster.negative_only") == 0);
    char buf[512], want[512];
    snprintf(want, sizeof want, "%s/data/x.db", tmpdir);
    CX_CHECK_STR(cx_conf_path(c, "sink.sqlite", buf, sizeof buf), want);
    snprintf(want, sizeof want, "%s/p.conf:3", tmpdir);
    CX_CHECK_STR(cx_conf_origin(c, "kafka.topic", buf, sizeof buf), want);
    CX_CHECK(cx_conf_set(c, "kafka.partitions", "8", err, sizeof err) == 0);
    CX_CHECK(cx_conf_int(c, "kafka.partitions") == 8);
    CX_CHECK(cx_conf_set(c, "kafka.partitions", "0", err, sizeof err) == -1);
    CX_CHECK(strstr(err, "out of range") != NULL);
    cx_conf_destroy(&c);
}

static int count_cb(const char *name, const char *value, int line, void *arg) {
    (void)line;
    if (!strcmp(name, "security.protocol") && !strcmp(value, "SASL_SSL")) (*(int *)arg)++;
    return 0;
}

static void test_conf_passthrough(void) {
    char err[256];
    cx_conf *c = load_text("kafka.security.protocol = SASL_SSL\nkafka.topic = t\n", err, sizeof err);
    CX_CHECK(c != NULL);
    int n = 0;
    cx_conf_each(c, "kafka.", count_cb, &n);
    CX_CHECK(n == 1);
    cx_conf_destroy(&c);
}

/* Each bad file fails with file:line and a reason that names the problem. */
static void test_conf_errors(void) {
    struct { const char *text; const char *line; const char *why; } cases[] = {
        {"kafka.topic = a\nbogus.key = 1\n", ":2:", "unknown key 'bogus.key'"},
        {"kafka.partitions = 0\n", ":1:", "out of range"},
        {"kafka.partitions = many\n", ":1:", "expects an integer"},
        {"kafka.topic = a\n\nkafka.topic = b\n", ":3:", "duplicate key 'kafka.topic' (first set on line 1)"},
        {"input.field.text = \"open\n", ":1:", "unbalanced quote"},
        {"input.format = xml\n", ":1:", "must be one of json|text"},
        {"link.tag = http://x\n", ":1:", "ZeroMQ endpoint"},
        {"link.tag = tcp://host\n", ":1:", "host:port"},
        {"cluster.negative_only = maybe\n", ":1:", "true or false"},
        {"kafka.topic a\n", ":1:", "expected '='"},
        {"kafka.x = 1\nkafka.x = 2\n", ":2:", "duplicate key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        cx_conf *c = load_text(cases[i].text, err, sizeof err);
        CX_CHECK(c == NULL);
        if (!strstr(err, cases[i].line) || !strstr(err, cases[i].why) || !strstr(err, "p.conf")) {
            fprintf(stderr, "case %zu: got '%s'\n", i, err);
            CX_CHECK(0);
        }
        cx_conf_destroy(&c);
    }
    char err[512];
    cx_conf *c = load_text("sentiment.negative_threshold = 0.5\n", err, sizeof err);
    CX_CHECK(c == NULL && strstr(err, "below sentiment.positive_threshold"));
    CX_CHECK(cx_conf_load("/nonexistent/p.conf", err, sizeof err) == NULL && strstr(err, "cannot open"));
}

/* The template parses back to the defaults: pipeline.conf comes from it. */
static void test_conf_template_roundtrip(void) {
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/t.conf", tmpdir);
    FILE *f = fopen(path, "w");
    cx_conf_template(f);
    fclose(f);
    cx_conf *c = cx_conf_load(path, err, sizeof err);
    CX_CHECK(c != NULL);
    if (!c) { fprintf(stderr, "%s\n", err); return; }
    /* the template sets every key to its default, or to its shipped value where it has one */
    size_t shipped = 0;
    for (size_t i = 0; i < cx_conf_nkeys; i++) {
        const cx_conf_key *k = &cx_conf_keys[i];
        CX_CHECK_STR(cx_conf_str(c, k->name), k->shipped ? k->shipped : k->def);
        shipped += k->shipped != NULL;
    }
    cx_conf_destroy(&c);
    /* without the file those keys have their built-in default (cluster.checkpoint: off) */
    c = cx_conf_load(NULL, err, sizeof err);
    CX_CHECK(c != NULL && shipped > 0);
    if (c) CX_CHECK_STR(cx_conf_str(c, "cluster.checkpoint"), "");
    cx_conf_destroy(&c);
}

/* Pass-through kafka.* keys are checked before anything waits for a broker,
 * and an explicit kafka.bootstrap.servers wins over kafka.brokers. */
static void test_kafka_conf(void) {
    char err[512] = "";
    cx_conf *c = load_text("run.dir = nowhere\nkafka.security.protocol = BOGUS\n", err, sizeof err);
    CX_CHECK(c != NULL);
    rd_kafka_conf_t *kc = cx_kafka_conf(c, 0, NULL, err, sizeof err);
    CX_CHECK(kc == NULL && strstr(err, "p.conf:2: kafka.security.protocol"));
    cx_conf_destroy(&c);
    c = load_text("run.dir = nowhere\n", err, sizeof err);
    kc = cx_kafka_conf(c, 0, NULL, err, sizeof err);
    CX_CHECK(kc == NULL && strstr(err, "embedded broker is not running"));
    cx_conf_destroy(&c);
    c = load_text("run.dir = nowhere\nkafka.bootstrap.servers = 10.1.2.3:9092\n", err, sizeof err);
    kc = cx_kafka_conf(c, 0, NULL, err, sizeof err);
    CX_CHECK(kc != NULL);
    if (kc) {
        char v[128];
        size_t n = sizeof v;
        CX_CHECK(rd_kafka_conf_get(kc, "bootstrap.servers", v, &n) == RD_KAFKA_CONF_OK && !strcmp(v, "10.1.2.3:9092"));
        rd_kafka_conf_destroy(kc);
    }
    cx_conf_destroy(&c);
}

static cx_env *sample_env(void) {
    cx_env *e = cx_env_new();
    e->topic = "feedback";
    e->partition = 3;
    e->offset = 1234567890123LL;
    e->id = cx_env_strdup(e, "nw-1");
    e->ts_ms = 1788225974000LL;
    e->ingest_us = 42;
    e->kafka_ts_ms = 7;
    e->channel = "chat";
    e->lang_hint = "fa";
    e->score = 2;
    e->score_kind = CX_SCORE_RATING;
    e->meta_json = "{\"tier\":\"gold\"}";
    e->text = cx_env_strdup(e, "پول برنگشت 😡");
    memcpy(e->lang, "fa", 3);
    e->lang_conf = 0.9f;
    e->n_tokens = 3;
    e->tokens = cx_env_alloc(e, 3 * sizeof(cx_token));
    e->tokens[0] = (cx_token){"پول", "پول", "پول", CX_TF_STOP, 0, CX_TOK_WORD, 0};
    e->tokens[1] = (cx_token){"برنگشت", "برگشت", "برنگشت", CX_TF_NEGATED_FORM | CX_TF_SENT_END, 0, CX_TOK_WORD, 0};
    e->tokens[2] = (cx_token){"😡", "😡", "😡", 0, 1, CX_TOK_EMOJI, 0};
    e->n_sents = 2;
    e->tagged = 1;
    e->sentiment = -0.75f;
    e->label = CX_LABEL_NEGATIVE;
    e->sent_scores = cx_env_alloc(e, 2 * sizeof(float));
    e->sent_scores[0] = -0.5f;
    e->sent_scores[1] = -0.9f;
    e->n_themes = 1;
    e->themes = cx_env_alloc(e, sizeof(cx_theme_hit));
    e->themes[0] = (cx_theme_hit){"refunds_returns", 1, -0.7f};
    e->explain = "برنگشت -2.0";
    e->signals = "churn,effort";
    e->signal_evidence = "churn=cancel my account;effort=called 3 times|had to explain again";
    e->cluster_id = 99;
    return e;
}

static void test_env_roundtrip(void) {
    cx_env *e = sample_env();
    cx_buf b;
    cx_buf_init(&b);
    CX_CHECK(cx_env_encode(e, &b) == 0);
    CX_CHECK(cx_msg_kind(b.data, b.len) == CX_MSG_RECORD);
    char err[128];
    cx_env *d = cx_env_decode(b.data, b.len, err, sizeof err);
    CX_CHECK(d != NULL);
    if (d) {
        CX_CHECK_STR(d->topic, "feedback");
        CX_CHECK(d->partition == 3 && d->offset == 1234567890123LL);
        CX_CHECK_STR(d->id, "nw-1");
        CX_CHECK(d->ts_ms == e->ts_ms && d->ingest_us == 42 && d->kafka_ts_ms == 7);
        CX_CHECK_STR(d->channel, "chat");
        CX_CHECK(d->product == NULL);
        CX_CHECK_STR(d->lang_hint, "fa");
        CX_CHECK(d->score_kind == CX_SCORE_RATING && d->score == 2);
        CX_CHECK_STR(d->meta_json, "{\"tier\":\"gold\"}");
        CX_CHECK_STR(d->text, e->text);
        CX_CHECK_STR(d->lang, "fa");
        CX_CHECK_NEAR(d->lang_conf, 0.9, 1e-6);
        CX_CHECK(d->n_tokens == 3);
        CX_CHECK_STR(d->tokens[1].stem, "برگشت");
        CX_CHECK_STR(d->tokens[1].norm, "برنگشت");
        CX_CHECK(d->tokens[1].flags == (CX_TF_NEGATED_FORM | CX_TF_SENT_END));
        CX_CHECK(d->tokens[2].type == CX_TOK_EMOJI && d->tokens[2].sent == 1);
        CX_CHECK(d->n_sents == 2 && d->sent_scores && d->sent_scores[1] < -0.8f);
        CX_CHECK(d->tagged && d->label == CX_LABEL_NEGATIVE);
        CX_CHECK_NEAR(d->sentiment, -0.75, 1e-6);
        CX_CHECK(d->n_themes == 1);
        CX_CHECK_STR(d->themes[0].id, "refunds_returns");
        CX_CHECK_STR(d->explain, "برنگشت -2.0");
        CX_CHECK_STR(d->signals, "churn,effort");
        CX_CHECK_STR(d->signal_evidence, "churn=cancel my account;effort=called 3 times|had to explain again");
        CX_CHECK(d->cluster_id == 99);
        CX_CHECK(d->error == NULL);
    }
    cx_env_destroy(&d);
    cx_env_destroy(&e);
    cx_buf_free(&b);
}

/* Every truncation of a valid frame, and flipped bytes, decode to an error
 * or a valid envelope - never a crash (ASan checks the reads). */
static void test_env_hostile(void) {
    cx_env *e = sample_env();
    cx_buf b;
    cx_buf_init(&b);
    cx_env_encode(e, &b);
    char err[128];
    int errors = 0;
    for (size_t cut = 0; cut < b.len; cut++) {
        cx_env *d = cx_env_decode(b.data, cut, err, sizeof err);
        if (!d) errors++;
        cx_env_destroy(&d);
    }
    CX_CHECK(errors > 0);
    srand(7);
    for (int round = 0; round < 2000; round++) {
        char *copy = cx_malloc(b.len);
        memcpy(copy, b.data, b.len);
        for (int k = 0; k < 3; k++) copy[4 + rand() % (int)(b.len - 4)] ^= (char)(1 << (rand() % 8));
        cx_env *d = cx_env_decode(copy, b.len, err, sizeof err);
        cx_env_destroy(&d);
        cx_free(copy);
    }
    CX_CHECK(cx_env_decode("XX\1\1", 4, err, sizeof err) == NULL && strstr(err, "magic"));
    CX_CHECK(cx_env_decode("CX\7\1", 4, err, sizeof err) == NULL && strstr(err, "version"));
    cx_env_destroy(&e);
    cx_buf_free(&b);
}

static void test_event_and_ack(void) {
    cx_buf b;
    cx_buf_init(&b);
    const char *j = "{\"type\":\"cluster\"}";
    CX_CHECK(cx_event_encode(j, strlen(j), &b) == 0);
    const char *out;
    size_t ol;
    CX_CHECK(cx_event_decode(b.data, b.len, &out, &ol) == 0 && ol == strlen(j) && !memcmp(out, j, ol));
    cx_ack_item items[3] = {{0, 10}, {3, 1LL << 40}, {2, 0}};
    CX_CHECK(cx_ack_encode("feedback", items, 3, &b) == 0);
    char topic[64];
    cx_ack_item *got = NULL;
    size_t n = 0;
    CX_CHECK(cx_ack_decode(b.data, b.len, topic, sizeof topic, &got, &n) == 0);
    CX_CHECK(n == 3 && got[1].partition == 3 && got[1].offset == 1LL << 40);
    CX_CHECK_STR(topic, "feedback");
    cx_free(got);
    CX_CHECK(cx_ack_decode(b.data, b.len - 1, topic, sizeof topic, &got, &n) == -1);
    cx_buf_free(&b);
}

static void test_json_escape(void) {
    cx_buf b;
    cx_buf_init(&b);
    cx_buf_json_str(&b, "a\"b\\c\n\x01 é");
    CX_CHECK_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001 é\"");
    cx_buf_free(&b);
}

/* The Nth allocation fails: encoding and decoding report it, nothing leaks. */
static void test_alloc_failures(void) {
    cx_env *e = sample_env();
    cx_buf b;
    cx_buf_init(&b);
    cx_env_encode(e, &b);
    char err[128];
    for (long n = 1; n < 40; n++) {
        cx_alloc_fail_at(n, 1);
        cx_env *d = cx_env_decode(b.data, b.len, err, sizeof err);
        cx_alloc_fail_at(0, 0);
        if (!d) CX_CHECK(strstr(err, "out of memory") != NULL);
        cx_env_destroy(&d);
    }
    cx_alloc_fail_at(1, 0);
    cx_buf b2;
    cx_buf_init(&b2);
    CX_CHECK(cx_env_encode(e, &b2) == -1);
    cx_alloc_fail_at(0, 0);
    CX_CHECK(cx_env_encode(e, &b2) == 0);
    cx_buf_free(&b2);
    cx_env_destroy(&e);
    cx_buf_free(&b);
}

int main(void) {
    if (!mkdtemp(tmpdir)) return 2;
    CX_RUN(test_conf_defaults);
    CX_RUN(test_conf_parse);
    CX_RUN(test_conf_passthrough);
    CX_RUN(test_conf_errors);
    CX_RUN(test_conf_template_roundtrip);
    CX_RUN(test_kafka_conf);
    CX_RUN(test_env_roundtrip);
    CX_RUN(test_env_hostile);
    CX_RUN(test_event_and_ack);
    CX_RUN(test_json_escape);
    CX_RUN(test_alloc_failures);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    CX_DONE();
}
