/* cx_kafka.c - librdkafka configuration from pipeline.conf (see cx_kafka.h). */
#include "cx_kafka.h"
#include "cx_log.h"
#include "cx_util.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *cx_kafka_addr_file(const cx_conf *c, char *buf, size_t n) {
    char dir[4096];
    cx_conf_path(c, "run.dir", dir, sizeof dir);
    snprintf(buf, n, "%s/broker.addr", dir);
    return buf;
}

int cx_kafka_bootstrap(const cx_conf *c, char *buf, size_t n, int wait_ms, char *err, size_t errlen) {
    const char *b = cx_conf_str(c, "kafka.brokers");
    if (strcmp(b, "embedded")) { snprintf(buf, n, "%s", b); return 0; }
    char path[4200];
    cx_kafka_addr_file(c, path, sizeof path);
    int64_t until = cx_mono_ms() + wait_ms;
    do {
        FILE *f = fopen(path, "r");
        if (f) {
            int ok = fgets(buf, (int)n, f) != NULL;
            fclose(f);
            if (ok) {
                buf[strcspn(buf, "\r\n")] = '\0';
                if (*buf) return 0;
            }
        }
        if (wait_ms <= 0 || cx_stop) break;
        usleep(100 * 1000);
    } while (cx_mono_ms() < until);
    snprintf(err, errlen, "kafka.brokers = embedded, but the embedded broker is not running (no %s); "
             "start it with `tools/cxflow broker` or `tools/cxflow run`", path);
    return -1;
}

void cx_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    cx_log(level <= 3 ? CX_LOG_ERROR : level <= 4 ? CX_LOG_WARN : level <= 6 ? CX_LOG_INFO : CX_LOG_DEBUG,
           "librdkafka %s: %s", fac, buf);
}

int cx_kafka_set(rd_kafka_conf_t *kc, const char *name, const char *value, char *err, size_t errlen) {
    char e[512];
    if (rd_kafka_conf_set(kc, name, value, e, sizeof e) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "librdkafka property %s: %s", name, e);
        return -1;
    }
    return 0;
}

typedef struct { rd_kafka_conf_t *kc; const cx_conf *c; char *err; size_t errlen; } pass_arg;

static int pass_one(const char *name, const char *value, int line, void *arg) {
    pass_arg *a = arg;
    char e[512];
    if (rd_kafka_conf_set(a->kc, name, value, e, sizeof e) != RD_KAFKA_CONF_OK) {
        if (line > 0) snprintf(a->err, a->errlen, "%s:%d: kafka.%s: %s", cx_conf_file(a->c), line, name, e);
        else snprintf(a->err, a->errlen, "command line: kafka.%s: %s", name, e);
        return -1;
    }
    return 0;
}

rd_kafka_conf_t *cx_kafka_conf(const cx_conf *c, int wait_ms, const char *const *defaults, char *err,
                               size_t errlen) {
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    if (cx_kafka_set(kc, "client.id", "cxflow", err, errlen) < 0) goto fail;
    for (size_t i = 0; defaults && defaults[i]; i += 2)
        if (cx_kafka_set(kc, defaults[i], defaults[i + 1], err, errlen) < 0) goto fail;
    /* pass-through keys first: a bad one is reported with file:line at once,
     * not after waiting for a broker */
    pass_arg a = {kc, c, err, errlen};
    if (cx_conf_each(c, "kafka.", pass_one, &a) != 0) goto fail;
    char boot[1024];
    size_t bl = sizeof boot;
    if (rd_kafka_conf_get(kc, "bootstrap.servers", boot, &bl) == RD_KAFKA_CONF_OK && boot[0])
        return kc; /* kafka.bootstrap.servers given explicitly: it wins over kafka.brokers */
    if (cx_kafka_bootstrap(c, boot, sizeof boot, wait_ms, err, errlen) < 0 ||
        cx_kafka_set(kc, "bootstrap.servers", boot, err, errlen) < 0)
        goto fail;
    return kc;
fail:
    rd_kafka_conf_destroy(kc);
    return NULL;
}
