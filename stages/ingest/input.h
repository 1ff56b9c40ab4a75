/* input.h - turning one Kafka message into a record envelope.
 *
 * cx_input_parse validates the raw bytes (size, UTF-8, JSON) and fills a
 * cx_env from a JSON object (field names from pipeline.conf: input.field.*)
 * or from a plain-text message.  When the message is malformed it returns -1
 * and writes the reason that goes into the dead letters ("oversized: 70000
 * bytes > input.max_bytes 65536", "invalid UTF-8 at byte 17", "unparsable
 * JSON: ... at line 1 column 9", "missing text field 'text'", ...).
 * Kept apart from the Kafka loop so unit tests and the fuzzer can drive it. */
#ifndef CX_INPUT_H
#define CX_INPUT_H
#include <stddef.h>
#include <stdint.h>
#include "cx_conf.h"
#include "cx_env.h"

typedef struct cx_input_opts {
    int json;                 /* input.format = json */
    size_t max_bytes;
    const char *f_text, *f_id, *f_ts, *f_channel, *f_product, *f_region, *f_lang, *f_rating, *f_nps;
} cx_input_opts;

void cx_input_opts_from_conf(cx_input_opts *o, const cx_conf *c);

/* Fill env (already holding topic/partition/offset/kafka_ts_ms) from the
 * payload.  0 on success; -1 with the dead-letter reason in why. */
int cx_input_parse(const cx_input_opts *o, const void *payload, size_t len, cx_env *env, char *why, size_t n);

/* Strict UTF-8 check (no overlongs, surrogates or code points > U+10FFFF).
 * Returns -1 when valid, else the byte offset of the first bad sequence. */
long cx_utf8_invalid_at(const unsigned char *s, size_t len);

/* Parse ISO 8601 ("2026-09-03", "2026-09-03T14:22:05Z", "...05.123+02:00",
 * "2026-09-03 14:22:05") into ms since epoch.  0 / -1. */
int cx_parse_iso8601(const char *s, int64_t *ms);

/* Standard base64 of n bytes into b (appended). 0 / -1. */
int cx_base64_append(cx_buf *b, const unsigned char *p, size_t n);

#endif
