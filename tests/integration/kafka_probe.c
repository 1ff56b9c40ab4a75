/* kafka_probe.c - test helper: facts about a topic on a (mock) Kafka cluster.
 *
 *   kafka_probe BOOTSTRAP messages TOPIC          sum over partitions of (high - low) watermarks
 *   kafka_probe BOOTSTRAP committed TOPIC GROUP   "committed=C high=H" summed over partitions
 *
 * Used by the integration and fault tests to prove that offsets were
 * committed and that dead letters reached their topic. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: kafka_probe BOOTSTRAP messages|committed TOPIC [GROUP]\n"); return 2; }
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
