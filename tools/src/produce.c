/* produce.c - cxflow-produce: files into a Kafka topic.
 *
 *   cxflow-produce [-c FILE] [-o key=value] [--topic T] [--format auto|jsonl|csv|text]
 *                  [--count N] [--quiet] FILE...
 *
 * JSONL lines are sent as they are (malformed lines too: the pipeline's dead
 * letters are there for them).  A CSV file with a header row becomes one JSON
 * object per row.  A plain-text file becomes one record per non-empty line
 * ({"text": line} when input.format = json).  "-" reads standard input.
 * --count N cycles through the input until N messages were sent (benchmarks).
 * --max-ahead N keeps the producer at most N messages ahead of what ingest has
 * consumed (read from run/metrics/ingest.prom): the embedded broker keeps only
 * about 5 MB per partition, so a long run must not outpace the pipeline.
 * On a terminal a progress bar shows rate and ETA; otherwise a summary line.
 * Exit status 1 when any message could not be delivered. */
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_kafka.h"
#include "cx_log.h"
#include "cx_util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { F_AUTO, F_JSONL, F_CSV, F_TEXT };

typedef struct prod {
    rd_kafka_t *rk;
    const char *topic;
    int wrap_json;          /* plain text -> {"text": ...} */
    long long sent, delivered, failed, target;
    long long bytes_done, bytes_total;
    int64_t start_ms, last_draw;
    int tty, quiet;
    long long max_ahead;
    char ingest_metrics[4200];
    cx_buf b;
} prod;

/* Messages ingest has consumed, from its metrics file; 0 while ingest has
 * not written it yet (it is starting). */
static double ingest_consumed(const prod *p) {
    FILE *f = fopen(p->ingest_metrics, "r");
    if (!f) return 0;
    char line[512];
    double v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "cxflow_records_in_total{", 24)) v = strtod(strrchr(line, ' ') + 1, NULL);
    fclose(f);
    return v;
}

/* Wait while we are more than max_ahead messages ahead of ingest.  Gives up
 * waiting when ingest's counter does not move for 30 s (then it is not
 * running, or was restarted and counts from zero). */
static void pace(prod *p) {
    if (!p->max_ahead || p->sent % 500) return;
    double last = -2;
    int64_t since = cx_mono_ms();
    for (;;) {
        double c = ingest_consumed(p);
        if (p->sent - (long long)c <= p->max_ahead || cx_stop) return;
        if (c != last) { last = c; since = cx_mono_ms(); }
        if (cx_mono_ms() - since > 30000) {
            fprintf(stderr, "produce: ingest has not consumed anything for 30 s; no longer pacing\n");
            p->max_ahead = 0;
            return;
        }
        rd_kafka_poll(p->rk, 20);
    }
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    prod *p = opaque;
    if (m->err) {
        if (p->failed < 5) fprintf(stderr, "produce: delivery failed: %s\n", rd_kafka_err2str(m->err));
        p->failed++;
    } else {
        p->delivered++;
    }
}

static void draw(prod *p, int final) {
    int64_t now = cx_mono_ms();
    if (p->quiet || (!final && (!p->tty || now - p->last_draw < 200))) return;
    p->last_draw = now;
    double secs = (now - p->start_ms) / 1000.0;
    double rate = secs > 0 ? p->sent / secs : 0;
    double frac = p->target ? (double)p->sent / (double)p->target
                            : p->bytes_total ? (double)p->bytes_done / (double)p->bytes_total : 0;
    if (frac > 1) frac = 1;
    if (p->tty && !final) {
        char bar[31];
        int fill = (int)(frac * 30);
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[30] = '\0';
        double eta = frac > 0.001 ? secs * (1 - frac) / frac : 0;
        fprintf(stderr, "\r[%s] %3.0f%% %lld msgs %.0f/s ETA %.0fs ", bar, frac * 100, p->sent, rate, eta);
        return;
    }
    if (p->tty) fprintf(stderr, "\r%60s\r", "");
    fprintf(stderr, "produced %lld messages to %s in %.1f s (%.0f msg/s): %lld delivered, %lld failed\n", p->sent,
            p->topic, secs, rate, p->delivered, p->failed);
}

static int send_msg(prod *p, const char *data, size_t len) {
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(p->topic),
                                                  RD_KAFKA_V_VALUE((void *)data, len),
                                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (!e) break;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
            p->failed++;
            return -1;
        }
        rd_kafka_poll(p->rk, 50);
        if (cx_stop) return -1;
    }
    p->sent++;
    rd_kafka_poll(p->rk, 0);
    pace(p);
    draw(p, 0);
    return 0;
}

static int send_text_line(prod *p, const char *line, size_t len) {
    if (!p->wrap_json) return send_msg(p, line, len);
    char *s = cx_strndup(line, len);
    if (!s) return -1;
    cx_buf_reset(&p->b);
    cx_buf_append(&p->b, "{\"text\":", 8);
    cx_buf_json_str(&p->b, s);
    cx_buf_append(&p->b, "}", 1);
    cx_free(s);
    return send_msg(p, p->b.data, p->b.len);
}

/* Parse one CSV record (RFC 4180) from f into fields; returns the number of
 * fields, 0 at end of file, -1 on a malformed record. */
static int csv_record(FILE *f, cx_buf *field_data, size_t *starts, int maxf, long long *bytes) {
    cx_buf_reset(field_data);
    int nf = 0, c, inq = 0, any = 0;
    starts[nf++] = 0;
    while ((c = fgetc(f)) != EOF) {
        (*bytes)++;
        any = 1;
        if (inq) {
            if (c == '"') {
                int d = fgetc(f);
                if (d == '"') { cx_buf_append(field_data, "\"", 1); (*bytes)++; continue; }
                inq = 0;
                if (d == EOF) break;
                c = d;
                (*bytes)++;
            } else {
                char ch = (char)c;
                cx_buf_append(field_data, &ch, 1);
                continue;
            }
        }
        if (c == '"') { inq = 1; continue; }
        if (c == ',') {
            cx_buf_append(field_data, "", 1);
            if (nf == maxf) return -1;
            starts[nf++] = field_data->len;
            continue;
        }
        if (c == '\n') break;
        if (c == '\r') continue;
        char ch = (char)c;
        cx_buf_append(field_data, &ch, 1);
    }
    if (!any) return 0;
    if (inq) return -1;
    cx_buf_append(field_data, "", 1);
    return nf;
}

static int produce_csv(prod *p, FILE *f, const char *name) {
    enum { MAXF = 256 };
    size_t hs[MAXF], rs[MAXF];
    cx_buf hdr, row;
    cx_buf_init(&hdr);
    cx_buf_init(&row);
    int nh = csv_record(f, &hdr, hs, MAXF, &p->bytes_done), rc = 0;
    if (nh <= 0) { fprintf(stderr, "%s: no CSV header row\n", name); rc = -1; }
    long long line = 1;
    while (rc == 0 && !cx_stop) {
        int nr = csv_record(f, &row, rs, MAXF, &p->bytes_done);
        line++;
        if (nr == 0) break;
        if (nr < 0) { fprintf(stderr, "%s: record %lld: malformed CSV (skipped)\n", name, line); continue; }
        if (nr == 1 && !row.data[0]) continue; /* blank line */
        cx_buf_reset(&p->b);
        cx_buf_append(&p->b, "{", 1);
        for (int i = 0; i < nh && i < nr; i++) {
            if (i) cx_buf_append(&p->b, ",", 1);
            cx_buf_json_str(&p->b, hdr.data + hs[i]);
            cx_buf_append(&p->b, ":", 1);
            cx_buf_json_str(&p->b, row.data + rs[i]);
        }
        cx_buf_append(&p->b, "}", 1);
        if (send_msg(p, p->b.data, p->b.len) < 0) rc = -1;
    }
    cx_buf_free(&hdr);
    cx_buf_free(&row);
    return rc;
}

static int produce_lines(prod *p, FILE *f, int fmt) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (!cx_stop && (n = getline(&line, &cap, f)) >= 0) {
        p->bytes_done += n;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        if (!n) continue;
        if ((fmt == F_JSONL ? send_msg(p, line, (size_t)n) : send_text_line(p, line, (size_t)n)) < 0) { rc = -1; break; }
        if (p->target && p->sent >= p->target) break;
    }
    free(line);
    return rc;
}

static int detect(const char *path) {
    const char *dot = strrchr(path, '.');
    if (dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".ndjson") || !strcmp(dot, ".json"))) return F_JSONL;
    if (dot && !strcmp(dot, ".csv")) return F_CSV;
    return F_TEXT;
}

static void usage(FILE *o) {
    fprintf(o, "usage: cxflow produce [-c FILE] [--topic T] [--format auto|jsonl|csv|text] [--count N]\n"
               "                      [--max-ahead N] [--quiet] FILE...\n\n"
               "Sends files to a Kafka topic (default: kafka.topic; the embedded broker when\n"
               "kafka.brokers = embedded).  JSONL lines go as they are; CSV rows (header row\n"
               "first) become JSON objects; text lines become {\"text\": ...}.  '-' is stdin.\n"
               "--count N cycles through the input until N messages were sent.\n"
               "--max-ahead N stays at most N messages ahead of ingest (long runs on the\n"
               "embedded broker, which keeps only about 5 MB per partition).\n");
}

int main(int argc, char **argv) {
    const char *topic = NULL, *cfile = NULL;
    int fmt = F_AUTO, quiet = 0;
    long long count = 0, max_ahead = 0;
    char **files = cx_calloc((size_t)argc + 1, sizeof *files), **cargv = cx_calloc((size_t)argc + 1, sizeof *cargv);
    int nfiles = 0, cargc = 1;
    if (!files || !cargv) return 1;
    cargv[0] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { usage(stdout); return 0; }
        else if (!strcmp(argv[i], "--topic") && i + 1 < argc) topic = argv[++i];
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--max-ahead") && i + 1 < argc) max_ahead = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--quiet")) quiet = 1;
        else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            const char *f = argv[++i];
            fmt = !strcmp(f, "jsonl") ? F_JSONL : !strcmp(f, "csv") ? F_CSV : !strcmp(f, "text") ? F_TEXT
                  : !strcmp(f, "auto") ? F_AUTO : -1;
            if (fmt < 0) { fprintf(stderr, "produce: unknown format '%s'\n", f); return 2; }
        } else if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "-o")) && i + 1 < argc) {
            if (!strcmp(argv[i], "-c")) cfile = argv[i + 1];
            cargv[cargc++] = argv[i];
            cargv[cargc++] = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) { fprintf(stderr, "produce: unknown option '%s'\n", argv[i]); usage(stderr); return 2; }
        else files[nfiles++] = argv[i];
    }
    (void)cfile;
    if (!nfiles) { fprintf(stderr, "produce: no input files\n"); usage(stderr); return 2; }
    int code;
    cx_conf *c = cx_stage_args(cargc, cargv, "produce", "", &code);
    if (!c) return code;
    cx_signals_install();
    prod p;
    memset(&p, 0, sizeof p);
    cx_buf_init(&p.b);
    p.topic = topic ? topic : cx_conf_str(c, "kafka.topic");
    p.wrap_json = !strcmp(cx_conf_str(c, "input.format"), "json");
    p.tty = isatty(2);
    p.quiet = quiet;
    p.target = count;
    p.max_ahead = max_ahead;
    char rundir[4096];
    snprintf(p.ingest_metrics, sizeof p.ingest_metrics, "%s/metrics/ingest.prom",
             cx_conf_path(c, "run.dir", rundir, sizeof rundir));
    char err[1024];
    const char *defs[] = {"linger.ms", "20", "enable.idempotence", "true", "queue.buffering.max.messages", "200000",
                          "log_level", "3", NULL};
    rd_kafka_conf_t *kc = cx_kafka_conf(c, 10000, defs, err, sizeof err);
    if (!kc) { fprintf(stderr, "produce: %s\n", err); cx_conf_destroy(&c); return 1; }
    rd_kafka_conf_set_opaque(kc, &p);
    rd_kafka_conf_set_dr_msg_cb(kc, dr_cb);
    p.rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof err);
    if (!p.rk) { fprintf(stderr, "produce: %s\n", err); cx_conf_destroy(&c); return 1; }
    for (int i = 0; i < nfiles; i++) {
        struct stat st;
        if (strcmp(files[i], "-") && stat(files[i], &st) == 0) p.bytes_total += st.st_size;
    }
    p.start_ms = cx_mono_ms();
    int rc = 0;
    do {
        for (int i = 0; i < nfiles && rc == 0 && !cx_stop; i++) {
            FILE *f = strcmp(files[i], "-") ? fopen(files[i], "r") : stdin;
            if (!f) { fprintf(stderr, "produce: cannot open %s: %s\n", files[i], strerror(errno)); rc = -1; break; }
            int ff = fmt == F_AUTO ? detect(files[i]) : fmt;
            rc = ff == F_CSV ? produce_csv(&p, f, files[i]) : produce_lines(&p, f, ff);
            if (f != stdin) fclose(f);
            if (p.target && p.sent >= p.target) break;
        }
        if (p.target && p.sent == 0) break;
    } while (rc == 0 && p.target && p.sent < p.target && !cx_stop);
    while (rd_kafka_outq_len(p.rk) > 0 && !cx_stop) {
        rd_kafka_poll(p.rk, 100);
        draw(&p, 0);
    }
    draw(&p, 1);
    rd_kafka_flush(p.rk, 5000);
    rd_kafka_destroy(p.rk);
    cx_buf_free(&p.b);
    cx_conf_destroy(&c);
    cx_free(files);
    cx_free(cargv);
    return rc < 0 || p.failed || cx_stop ? 1 : 0;
}
