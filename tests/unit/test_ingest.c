/* test_ingest.c - unit tests of ingest's input parsing and in-flight table. */
#include "cx_alloc.h"
#include "cx_test.h"
#include "inflight.h"
#include "input.h"
#include <stdlib.h>
#include <string.h>

static cx_input_opts opts(int json) {
    cx_input_opts o = {json, 1000, "text", "id", "timestamp", "channel", "product", "region", "lang", "rating", "nps"};
    return o;
}

static void test_utf8(void) {
    CX_CHECK(cx_utf8_invalid_at((const unsigned char *)"plain ascii", 11) == -1);
    const char *ok = "ناراضی 😡 ক্ষমা தாமதம் Größe";
    CX_CHECK(cx_utf8_invalid_at((const unsigned char *)ok, strlen(ok)) == -1);
    CX_CHECK(cx_utf8_invalid_at((const unsigned char *)"ab\xff", 3) == 2);
    CX_CHECK(cx_utf8_invalid_at((const unsigned char *)"\xc0\xaf", 2) == 0);          /* overlong '/' */
    CX_CHECK(cx_utf8_invalid_at((const unsigned char *)"x\xed\xa0\x80", 4) == 1);     /* surrogate */
    CX_CHECK(cx_utf8_invalid_at((const unsigned char *)"\xf4\x90\x80\x80", 4) == 0);  /* > U+10FFFF */
    CX_CHECK(cx_utf8_invalid_at((const unsigned char *)"\xe2\x82", 2) == 0);          /* truncated */
}

static void test_iso8601(void) {
    int64_t ms;
    CX_CHECK(cx_parse_iso8601("2026-09-03T14:22:05Z", &ms) == 0 && ms == 1788445325000LL);
    CX_CHECK(cx_parse_iso8601("2026-09-03T16:22:05+02:00", &ms) == 0 && ms == 1788445325000LL);
    CX_CHECK(cx_parse_iso8601("2026-09-03 14:22:05.250", &ms) == 0 && ms == 1788445325250LL);
    CX_CHECK(cx_parse_iso8601("2026-09-03", &ms) == 0 && ms == 1788393600000LL);
    CX_CHECK(cx_parse_iso8601("03/09/2026", &ms) == -1);
    CX_CHECK(cx_parse_iso8601("2026-13-03", &ms) == -1);
    CX_CHECK(cx_parse_iso8601("2026-09-03T14:22:05Zjunk", &ms) == -1);
}

static int parse(cx_input_opts *o, const char *s, cx_env **out, char *why, size_t n) {
    *out = cx_env_new();
    return cx_input_parse(o, s, strlen(s), *out, why, n);
}

static void test_json_record(void) {
    cx_input_opts o = opts(1);
    cx_env *e;
    char why[256];
    CX_CHECK(parse(&o, "{\"id\":17,\"text\":\"Refund still missing\",\"timestamp\":\"2026-09-03T14:22:05Z\","
                       "\"channel\":\"chat\",\"lang\":\"en\",\"rating\":\"2\",\"tier\":\"gold\",\"extra\":[1,2]}",
                   &e, why, sizeof why) == 0);
    CX_CHECK_STR(e->id, "17");
    CX_CHECK_STR(e->text, "Refund still missing");
    CX_CHECK(e->ts_ms == 1788445325000LL);
    CX_CHECK_STR(e->channel, "chat");
    CX_CHECK_STR(e->lang_hint, "en");
    CX_CHECK(e->score_kind == CX_SCORE_RATING && e->score == 2);
    CX_CHECK(e->meta_json && strstr(e->meta_json, "\"tier\":\"gold\"") && strstr(e->meta_json, "\"extra\":[1,2]"));
    CX_CHECK(!strstr(e->meta_json, "Refund"));
    cx_env_destroy(&e);
    CX_CHECK(parse(&o, "{\"text\":\"x\",\"nps\":9,\"rating\":5,\"timestamp\":1788445325}", &e, why, sizeof why) == 0);
    CX_CHECK(e->score_kind == CX_SCORE_NPS && e->score == 9);
    CX_CHECK(e->ts_ms == 1788445325000LL);
    CX_CHECK(e->meta_json == NULL);
    cx_env_destroy(&e);
    /* configurable field names */
    o.f_text = "body";
    CX_CHECK(parse(&o, "{\"body\":\"Kein Geld zurück\"}", &e, why, sizeof why) == 0);
    CX_CHECK_STR(e->text, "Kein Geld zurück");
    cx_env_destroy(&e);
}

static void test_rejects(void) {
    cx_input_opts o = opts(1);
    struct { const char *in; const char *why; } cases[] = {
        {"not json", "unparsable JSON"},
        {"{\"text\": \"unterminated}", "unparsable JSON"},
        {"[1,2]", "not an object"},
        {"{\"id\":1}", "missing text field 'text'"},
        {"{\"text\":null}", "missing text field"},
        {"{\"text\":42}", "is not a string"},
        {"{\"text\":\"   \"}", "empty text"},
        {"{\"text\":\"a\\u0000b\"}", "unparsable JSON"},
        {"", "empty message"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cx_env *e;
        char why[256] = "";
        CX_CHECK(parse(&o, cases[i].in, &e, why, sizeof why) == -1);
        if (!strstr(why, cases[i].why)) { fprintf(stderr, "case %zu: '%s'\n", i, why); CX_CHECK(0); }
        cx_env_destroy(&e);
    }
    char big[1200];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cx_env *e;
    char why[256];
    CX_CHECK(parse(&o, big, &e, why, sizeof why) == -1 && strstr(why, "oversized: 1199 bytes > input.max_bytes 1000"));
    cx_env_destroy(&e);
    CX_CHECK(parse(&o, "{\"text\":\"caf\xc3\"}", &e, why, sizeof why) == -1 && strstr(why, "invalid UTF-8 at byte 12"));
    cx_env_destroy(&e);
}

static void test_text_format(void) {
    cx_input_opts o = opts(0);
    cx_env *e;
    char why[128];
    CX_CHECK(parse(&o, "die App stürzt ab\r\n", &e, why, sizeof why) == 0);
    CX_CHECK_STR(e->text, "die App stürzt ab");
    cx_env_destroy(&e);
    CX_CHECK(parse(&o, "\n", &e, why, sizeof why) == -1);
    cx_env_destroy(&e);
}

static void test_base64(void) {
    cx_buf b;
    cx_buf_init(&b);
    cx_base64_append(&b, (const unsigned char *)"any carnal pleas", 16);
    CX_CHECK_STR(b.data, "YW55IGNhcm5hbCBwbGVhcw==");
    cx_buf_reset(&b);
    cx_base64_append(&b, (const unsigned char *)"\xff\x00", 2);
    CX_CHECK_STR(b.data, "/wA=");
    cx_buf_free(&b);
}

/* Offsets advance only over the acknowledged prefix of each partition. */
static void test_inflight_commit_order(void) {
    cx_inflight *t = cx_inflight_new();
    for (int64_t o = 10; o < 15; o++) CX_CHECK(cx_inflight_add(t, 0, o, "x", 1, 0) != NULL);
    CX_CHECK(cx_inflight_add(t, 2, 100, "y", 1, 0) != NULL);
    CX_CHECK(cx_inflight_count(t) == 6 && cx_inflight_unsent(t) == 6);
    cx_ack_item adv[8];
    CX_CHECK(cx_inflight_ack(t, 0, 12) == 1);
    CX_CHECK(cx_inflight_advance(t, adv, 8) == 0);          /* 10 and 11 not done yet */
    CX_CHECK(cx_inflight_ack(t, 0, 10) == 1);
    CX_CHECK(cx_inflight_advance(t, adv, 8) == 1 && adv[0].partition == 0 && adv[0].offset == 11);
    CX_CHECK(cx_inflight_ack(t, 0, 11) == 1);               /* 11 and 12 are done: next is 13 */
    CX_CHECK(cx_inflight_advance(t, adv, 8) == 1 && adv[0].offset == 13);
    CX_CHECK(cx_inflight_ack(t, 0, 11) == 0);               /* duplicate ack */
    CX_CHECK(cx_inflight_ack(t, 0, 99) == 0);               /* unknown */
    CX_CHECK(cx_inflight_ack(t, 7, 1) == 0);                /* unknown partition */
    CX_CHECK(cx_inflight_ack(t, 2, 100) == 1);
    CX_CHECK(cx_inflight_advance(t, adv, 8) == 1 && adv[0].partition == 2 && adv[0].offset == 101);
    CX_CHECK(cx_inflight_count(t) == 2);
    cx_inflight_destroy(&t);
}

static void test_inflight_send_and_expire(void) {
    cx_inflight *t = cx_inflight_new();
    cx_inflight_add(t, 1, 5, "abc", 3, 0);
    cx_inflight_add(t, 1, 6, "def", 3, 0);
    cx_if_entry *e = cx_inflight_peek_unsent(t);
    CX_CHECK(e && e->offset == 5 && e->len == 3 && !memcmp(e->data, "abc", 3));
    cx_inflight_sent(t, e, 1000);
    e = cx_inflight_peek_unsent(t);
    CX_CHECK(e && e->offset == 6);
    cx_inflight_sent(t, e, 1000);
    CX_CHECK(cx_inflight_peek_unsent(t) == NULL);
    CX_CHECK(cx_inflight_expire(t, 1500, 1000) == 0);       /* not yet */
    CX_CHECK(cx_inflight_ack(t, 1, 6) == 1);
    CX_CHECK(cx_inflight_expire(t, 2000, 1000) == 1);       /* offset 5 again */
    e = cx_inflight_peek_unsent(t);
    CX_CHECK(e && e->offset == 5);
    cx_inflight_sent(t, e, 2000);
    CX_CHECK(e->tries == 2);
    CX_CHECK(cx_inflight_expire(t, 3500, 1000) == 0);       /* second try waits 2x */
    CX_CHECK(cx_inflight_expire(t, 4000, 1000) == 1);
    /* acknowledged while queued for resend: it is skipped and freed */
    CX_CHECK(cx_inflight_ack(t, 1, 5) == 1);
    CX_CHECK(cx_inflight_peek_unsent(t) == NULL);
    CX_CHECK(cx_inflight_count(t) == 0);
    cx_inflight_destroy(&t);
}

static void test_inflight_revoke_and_dlq(void) {
    cx_inflight *t = cx_inflight_new();
    cx_inflight_add(t, 0, 1, "a", 1, 0);
    cx_inflight_add(t, 0, 2, NULL, 0, 1);                    /* dead letter: not sent */
    cx_inflight_add(t, 1, 1, "b", 1, 0);
    CX_CHECK(cx_inflight_unsent(t) == 2);
    CX_CHECK(cx_inflight_revoke(t, 0) == 2);
    cx_if_entry *e = cx_inflight_peek_unsent(t);             /* the revoked one is skipped */
    CX_CHECK(e && e->partition == 1);
    CX_CHECK(cx_inflight_ack(t, 0, 1) == 0);
    CX_CHECK(cx_inflight_count(t) == 1);
    cx_inflight_add(t, 0, 7, NULL, 0, 1);
    CX_CHECK(cx_inflight_ack(t, 0, 7) == 1);
    cx_ack_item adv[4];
    size_t n = cx_inflight_advance(t, adv, 4);
    CX_CHECK(n == 1 && adv[0].partition == 0 && adv[0].offset == 8);
    cx_inflight_destroy(&t);
}

/* Many records across partitions in random ack order: every committed
 * offset is exactly one past a fully acknowledged prefix. */
static void test_inflight_random(void) {
    cx_inflight *t = cx_inflight_new();
    enum { P = 4, N = 3000 };
    int acked[P][N] = {{0}};
    for (int i = 0; i < N; i++)
        for (int p = 0; p < P; p++) cx_inflight_add(t, p, i, "z", 1, 0);
    srand(3);
    int64_t committed[P] = {0, 0, 0, 0};
    for (int k = 0; k < P * N * 2; k++) {
        int p = rand() % P, o = rand() % N;
        cx_inflight_ack(t, p, o);
        acked[p][o] = 1;
        cx_ack_item adv[P];
        size_t n = cx_inflight_advance(t, adv, P);
        for (size_t j = 0; j < n; j++) {
            CX_CHECK(adv[j].offset > committed[adv[j].partition]);
            committed[adv[j].partition] = adv[j].offset;
            for (int64_t q = 0; q < adv[j].offset; q++) CX_CHECK(acked[adv[j].partition][q]);
        }
    }
    cx_inflight_destroy(&t);
}

int main(void) {
    CX_RUN(test_utf8);
    CX_RUN(test_iso8601);
    CX_RUN(test_json_record);
    CX_RUN(test_rejects);
    CX_RUN(test_text_format);
    CX_RUN(test_base64);
    CX_RUN(test_inflight_commit_order);
    CX_RUN(test_inflight_send_and_expire);
    CX_RUN(test_inflight_revoke_and_dlq);
    CX_RUN(test_inflight_random);
    CX_DONE();
}
