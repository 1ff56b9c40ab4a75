/* broker.c - cxflow-broker: the embedded Kafka broker.
 *
 * Starts librdkafka's mock cluster (rd_kafka_mock_cluster_new) on localhost,
 * creates the input and dead-letter topics with kafka.partitions partitions,
 * writes the bootstrap address to run/broker.addr (and prints it), and runs
 * until SIGINT/SIGTERM.  The mock cluster speaks the real Kafka protocol, so
 * ingest, the sink and the producer use it exactly like a real cluster; it
 * keeps only a few MB per partition, so consumers must keep up. */
#include "cx_log.h"
#include "cx_metrics.h"
#include "cx_util.h"
#include "cx_kafka.h"
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int code;
    cx_conf *c = cx_stage_args(argc, argv, "broker",
                               "The embedded Kafka broker (librdkafka's mock cluster on localhost).\n"
                               "Prints and writes its bootstrap address to run/broker.addr.",
                               &code);
    if (!c) return code;
    cx_signals_install();
    char err[512], path[4200], tmp[4300];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    rd_kafka_conf_set(kc, "log_level", "3", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof err);
    if (!rk) { cx_error("rd_kafka_new: %s", err); cx_conf_destroy(&c); return 1; }
    int nb = (int)cx_conf_int(c, "kafka.embedded_brokers");
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, nb);
    if (!mc) { cx_error("could not start the mock cluster"); rd_kafka_destroy(rk); cx_conf_destroy(&c); return 1; }
    int parts = (int)cx_conf_int(c, "kafka.partitions");
    const char *topics[] = {cx_conf_str(c, "kafka.topic"), cx_conf_str(c, "kafka.dlq_topic")};
    for (size_t i = 0; i < 2; i++) {
        if (!*topics[i]) continue;
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i], parts, nb < 3 ? nb : 3);
        if (e) cx_warn("creating topic %s: %s", topics[i], rd_kafka_err2str(e));
    }
    const char *boot = rd_kafka_mock_cluster_bootstraps(mc);
    cx_kafka_addr_file(c, path, sizeof path);
    cx_mkdirs(path, 1);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", boot) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        cx_error("cannot write %s", path);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        cx_conf_destroy(&c);
        return 1;
    }
    cx_pidfile_write(c, "broker");
    printf("%s\n", boot);
    fflush(stdout);
    cx_info("embedded broker (librdkafka mock cluster, %d broker%s) at %s; topics %s, %s with %d partitions",
            nb, nb > 1 ? "s" : "", boot, topics[0], *topics[1] ? topics[1] : "(no dlq topic)", parts);
    cx_metrics *m = cx_metrics_new(c, "broker");
    while (!cx_stop) {
        rd_kafka_poll(rk, 200);
        if (m) cx_metrics_tick(m, 0);
    }
    cx_metrics_destroy(&m);
    cx_info("embedded broker stopping");
    unlink(path);
    cx_pidfile_remove(c, "broker");
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    cx_conf_destroy(&c);
    return 0;
}
