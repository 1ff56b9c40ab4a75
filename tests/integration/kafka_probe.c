/* kafka_probe.c - test helper: facts about a topic on a (mock) Kafka cluster.
 *
 *   kafka_probe BOOTSTRAP messages TOPIC          sum over partitions of (high - low) watermarks
 *   kafka_probe BOOTSTRAP committed TOPIC GROUP   "committed=C high=H" summed over partitions
 *   kafka_probe BOOTSTRAP dump TOPIC              every message now in the topic as one JSON array
 *                                                 [{"key": "...", "value": VALUE}, ...], VALUE verbatim
 *                                                 (the topic must hold JSON values)
 *
 * Used by the integration and fault tests to prove that offsets were
 * committed and that dead letters reached their topic, and by the sink tests
 * to read what the Kafka output produced (SQLite reads the dump with
 * json_each(readfile(...))). */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Print every message of TOPIC from the low to the high watermark of each
 * partition (the high ones as they are now: the messages produced so far). */
static int dump(rd_kafka_t *rk, const char *topic, int np) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
    int64_t *hi = calloc((size_t)np + 1, sizeof *hi);
    int left = 0;
    for (int p = 0; p < np; p++) {
        int64_t lo;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi[p], 10000)) { fprintf(stderr, "watermarks failed\n"); return 1; }
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = lo;
        if (hi[p] > lo) left++;
    }
    if (rd_kafka_assign(rk, l)) { fprintf(stderr, "assign failed\n"); return 1; }
    printf("[");
    int first = 1, idle = 0;
    while (left > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m) {
            if (++idle == 30) { fprintf(stderr, "%d partitions of %s not read to their end in 30 s\n", left, topic); return 1; }
            continue;
        }
        idle = 0;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        printf("%s{\"key\":\"", first ? "" : ",\n");
        first = 0;
        for (size_t i = 0; i < m->key_len; i++) {
            char ch = ((const char *)m->key)[i];
            if (ch == '"' || ch == '\\') putchar('\\');
            putchar(ch);
        }
        printf("\",\"value\":%.*s}", (int)m->len, m->payload ? (const char *)m->payload : "null");
        if (m->offset + 1 == hi[m->partition]) left--;
        rd_kafka_message_destroy(m);
    }
    printf("]\n");
    rd_kafka_topic_partition_list_destroy(l);
    free(hi);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: kafka_probe BOOTSTRAP messages|committed|dump TOPIC [GROUP]\n"); return 2; }
    char err[512];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    rd_kafka_conf_set(kc, "bootstrap.servers", argv[1], err, sizeof err);
    rd_kafka_conf_set(kc, "group.id", argc > 4 ? argv[4] : "kafka-probe", err, sizeof err);
    rd_kafka_conf_set(kc, "log_level", "3", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof err);
    if (!rk) { fprintf(stderr, "%s\n", err); return 1; }
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, argv[3], NULL);
    if (rd_kafka_metadata(rk, 0, t, &md, 10000) || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "no metadata for %s\n", argv[3]);
        return 1;
    }
    int np = md->topics[0].partition_cnt;
    if (!strcmp(argv[2], "dump")) {
        int rc = dump(rk, argv[3], np);
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(t);
        rd_kafka_destroy(rk);
        return rc;
    }
    long long total = 0, committed = 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, argv[3], p, &lo, &hi, 10000)) { fprintf(stderr, "watermarks failed\n"); return 1; }
        total += !strcmp(argv[2], "messages") ? hi - lo : hi;
        rd_kafka_topic_partition_list_add(l, argv[3], p);
    }
    if (!strcmp(argv[2], "committed")) {
        if (rd_kafka_committed(rk, l, 10000)) { fprintf(stderr, "committed() failed\n"); return 1; }
        for (int i = 0; i < l->cnt; i++)
            if (l->elems[i].offset > 0) committed += l->elems[i].offset;
        printf("committed=%lld high=%lld\n", committed, total);
    } else {
        printf("%lld\n", total);
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    rd_kafka_destroy(rk);
    return 0;
}
