/* ctl.c - cxflow-ctl: status, stop, wait and config for operators and scripts.
 *
 *   cxflow-ctl status [-c FILE]            which processes run, with their counters
 *   cxflow-ctl stop [-c FILE]              SIGTERM to the supervisor; waits until it is gone
 *   cxflow-ctl wait [-c FILE] --records N [--timeout S]
 *                                          until N records are in the SQLite sink
 *                                          (without SQLite: the sink's records_stored_total)
 *   cxflow-ctl reload [-c FILE] [STAGE...] [--timeout S] [--no-wait]
 *                                          SIGHUP to tokenize and tag (or the STAGEs named):
 *                                          they rebuild their lexicons; waits for the outcome
 *   cxflow-ctl config [-c FILE] --template | --markdown | --check
 */
#include "cx_conf.h"
#include "cx_util.h"
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *stages[] = {"supervisor", "broker", "ingest", "tokenize", "tag", "cluster", "sink"};

static long read_pid(const char *rundir, const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.pid", rundir, name);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1) pid = 0;
        fclose(f);
    }
    return pid;
}

/* Value of cxflow_<name> in run/metrics/<stage>.prom, or -1. */
static double metric(const char *rundir, const char *stage, const char *name) {
    char path[4200], line[512], want[128];
    snprintf(path, sizeof path, "%s/metrics/%s.prom", rundir, stage);
    snprintf(want, sizeof want, "cxflow_%s{", name);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    double v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, want, strlen(want))) {
            char *sp = strrchr(line, ' ');
            if (sp) v = strtod(sp + 1, NULL);
        }
    fclose(f);
    return v;
}

static int cmd_status(const cx_conf *c) {
    char rundir[4096];
    cx_conf_path(c, "run.dir", rundir, sizeof rundir);
    int running = 0;
    printf("%-11s %-8s %-8s %12s %12s %9s %8s  %s\n", "process", "pid", "state", "in", "out", "rss_mb", "up_s",
           "note");
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
        const char *s = stages[i];
        long pid = read_pid(rundir, s);
        int alive = pid > 0 && kill((pid_t)pid, 0) == 0;
        running += alive;
        double in = metric(rundir, s, "records_in_total");
        double out = metric(rundir, s, !strcmp(s, "sink") ? "records_stored_total" : "records_out_total");
        double rss = metric(rundir, s, "peak_rss_bytes"), up = metric(rundir, s, "uptime_seconds");
        double hb = metric(rundir, s, "heartbeat_ms");
        char note[128] = "";
        if (!strcmp(s, "ingest")) {
            double inflight = metric(rundir, s, "inflight"), dlq = metric(rundir, s, "dead_letters_total");
            double paused = metric(rundir, s, "paused"), up_k = metric(rundir, s, "kafka_up");
            snprintf(note, sizeof note, "inflight %.0f, dead letters %.0f%s%s", inflight < 0 ? 0 : inflight,
                     dlq < 0 ? 0 : dlq, paused > 0 ? ", PAUSED (backpressure)" : "", up_k == 0 ? ", DEGRADED (brokers down)" : "");
        }
        if (alive && hb > 0 && cx_now_ms() - hb > 10000) snprintf(note + strlen(note), sizeof note - strlen(note), "%sno heartbeat for %.0f s",
                                                                  *note ? ", " : "", (cx_now_ms() - hb) / 1000);
        char pids[24] = "-";
        if (pid > 0) snprintf(pids, sizeof pids, "%ld", pid);
        char ins[24] = "-", outs[24] = "-", rsss[24] = "-", ups[24] = "-";
        if (in >= 0) snprintf(ins, sizeof ins, "%.0f", in);
        if (out >= 0) snprintf(outs, sizeof outs, "%.0f", out);
        if (rss >= 0) snprintf(rsss, sizeof rsss, "%.1f", rss / 1048576.0);
        if (up >= 0) snprintf(ups, sizeof ups, "%.0f", up);
        printf("%-11s %-8s %-8s %12s %12s %9s %8s  %s\n", s, pids, alive ? "running" : pid > 0 ? "dead" : "stopped",
               alive ? ins : "-", alive ? outs : "-", alive ? rsss : "-", alive ? ups : "-", alive ? note : "");
    }
    return running ? 0 : 3;
}

static int cmd_stop(const cx_conf *c) {
    char rundir[4096];
    cx_conf_path(c, "run.dir", rundir, sizeof rundir);
    long pid = read_pid(rundir, "supervisor");
    if (pid <= 0 || kill((pid_t)pid, 0) != 0) { printf("cxflow is not running\n"); return 0; }
    kill((pid_t)pid, SIGTERM);
    int64_t until = cx_mono_ms() + 6 * cx_conf_int(c, "supervisor.grace_ms") + 5000;
    while (kill((pid_t)pid, 0) == 0 && cx_mono_ms() < until) usleep(50 * 1000);
    if (kill((pid_t)pid, 0) == 0) { fprintf(stderr, "supervisor %ld did not stop\n", pid); return 1; }
    printf("cxflow stopped\n");
    return 0;
}

static long long count_records(const char *db) {
    sqlite3 *h;
    if (access(db, R_OK) != 0 || sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return -1;
    sqlite3_busy_timeout(h, 2000);
    sqlite3_stmt *st;
    long long n = -1;
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM records", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return n;
}

static int cmd_wait(const cx_conf *c, long long want, double timeout_s) {
    char db[4096], rundir[4096];
    cx_conf_path(c, "sink.sqlite", db, sizeof db);
    cx_conf_path(c, "run.dir", rundir, sizeof rundir);
    int64_t start = cx_mono_ms(), last = 0;
    int tty = isatty(2);
    for (;;) {
        /* without SQLite: what the running sink stage says it stored (its
         * metric starts from zero when the stage restarts) */
        long long n = *db ? count_records(db) : (long long)metric(rundir, "sink", "records_stored_total");
        int64_t now = cx_mono_ms();
        if (n >= want) {
            if (tty) fprintf(stderr, "\r%60s\r", "");
            fprintf(stderr, "%lld records in the sink after %.1f s\n", n, (now - start) / 1000.0);
            return 0;
        }
        if (now - start > timeout_s * 1000) {
            fprintf(stderr, "\ntimed out after %.0f s: %lld of %lld records in the sink (%s); see %s/*.log\n",
                    timeout_s, n < 0 ? 0 : n, want, *db ? db : "records_stored_total of the sink stage", rundir);
            return 1;
        }
        if (now - last >= (tty ? 250 : 5000)) {
            last = now;
            fprintf(stderr, tty ? "\rwaiting for the sink: %lld / %lld records  " : "waiting for the sink: %lld / %lld records\n",
                    n < 0 ? 0 : n, want);
        }
        usleep(100 * 1000);
    }
}

/* The stages that rebuild something on SIGHUP (cx_stage_ops.reload). */
static const char *reloadable[] = {"tokenize", "tag"};

/* The reason of the last failed reload in run/<stage>.log, into buf ("" when
 * none is found in the last 64 KB). */
static void last_reload_error(const char *rundir, const char *stage, char *buf, size_t n) {
    static const char mark[] = "reload failed, keeping the old state: ";
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.log", rundir, stage);
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        if (sz > 65536) fseek(f, sz - 65536, SEEK_SET);
        else rewind(f);
    }
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        const char *m = strstr(line, mark);
        if (!m) continue;
        snprintf(buf, n, "%s", m + sizeof mark - 1);
        buf[strcspn(buf, "\n")] = '\0';
    }
    fclose(f);
}

/* SIGHUP to each stage of names[0..n) (default: every reloadable stage),
 * then, unless no_wait, wait until each one's reloads_total or
 * reload_failures_total has moved.  0 when every stage reloaded, 1 when one
 * failed, is not running or did not answer in time, 2 for an unknown stage. */
static int cmd_reload(const cx_conf *c, const char **names, int n, double timeout_s, int no_wait) {
    const size_t nr = sizeof reloadable / sizeof reloadable[0];
    if (!n) {
        names = reloadable;
        n = (int)nr;
    }
    for (int i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nr && strcmp(names[i], reloadable[k])) k++;
        if (k == nr) {
            fprintf(stderr, "cxflow reload: '%s' has nothing to reload (stages that reload: tokenize, tag)\n", names[i]);
            return 2;
        }
    }
    char rundir[4096];
    cx_conf_path(c, "run.dir", rundir, sizeof rundir);
    long pid[8];
    double ok0[8], bad0[8];
    int done[8], rc = 0;
    if (n > 8) n = 8;
    for (int i = 0; i < n; i++) {
        pid[i] = read_pid(rundir, names[i]);
        done[i] = 0;
        ok0[i] = metric(rundir, names[i], "reloads_total");
        bad0[i] = metric(rundir, names[i], "reload_failures_total");
        if (pid[i] <= 0 || kill((pid_t)pid[i], 0) != 0) {
            printf("%s: not running (no live pid in %s/%s.pid)\n", names[i], rundir, names[i]);
            done[i] = 1;
            rc = 1;
        } else if (kill((pid_t)pid[i], SIGHUP) != 0) {
            printf("%s: cannot signal pid %ld: %s\n", names[i], pid[i], strerror(errno));
            done[i] = 1;
            rc = 1;
        } else if (no_wait) {
            printf("%s: SIGHUP sent (pid %ld); the outcome is logged in %s/%s.log\n", names[i], pid[i], rundir, names[i]);
            done[i] = 1;
        }
    }
    int64_t start = cx_mono_ms();
    for (;;) {
        int pending = 0;
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            double ok = metric(rundir, names[i], "reloads_total"), bad = metric(rundir, names[i], "reload_failures_total");
            double secs = (cx_mono_ms() - start) / 1000.0;
            if (bad > bad0[i]) {
                char why[1024];
                last_reload_error(rundir, names[i], why, sizeof why);
                printf("%s: reload FAILED after %.1f s, still running with the lexicons it had: %s\n", names[i], secs,
                       why[0] ? why : "see its log");
                done[i] = 1;
                rc = 1;
            } else if (ok > ok0[i]) {
                printf("%s: reloaded (pid %ld, %.1f s)\n", names[i], pid[i], secs);
                done[i] = 1;
            } else if (kill((pid_t)pid[i], 0) != 0) {
                printf("%s: exited during the reload; see %s/%s.log\n", names[i], rundir, names[i]);
                done[i] = 1;
                rc = 1;
            } else {
                pending++;
            }
        }
        if (!pending) break;
        if (cx_mono_ms() - start > timeout_s * 1000) {
            for (int i = 0; i < n; i++)
                if (!done[i]) printf("%s: no outcome after %.0f s; see %s/%s.log\n", names[i], timeout_s, rundir, names[i]);
            rc = 1;
            break;
        }
        usleep(100 * 1000);
    }
    return rc;
}

static int cmd_config(const cx_conf *c, const char *what) {
    if (!strcmp(what, "--template")) { cx_conf_template(stdout); return 0; }
    if (!strcmp(what, "--markdown")) { cx_conf_markdown(stdout); return 0; }
    if (!strcmp(what, "--check")) { printf("%s: OK\n", cx_conf_file(c)); return 0; }
    fprintf(stderr, "cxflow config: expected --template, --markdown or --check\n");
    return 2;
}

static void usage(FILE *o) {
    fprintf(o, "usage: cxflow-ctl status|stop|wait|reload|config [-c FILE] [options]\n"
               "  status                       processes, counters, health\n"
               "  stop                         stop a running `cxflow run`\n"
               "  wait --records N [--timeout S]   wait until N records are in the SQLite sink\n"
               "  reload [STAGE...] [--timeout S] [--no-wait]\n"
               "                               SIGHUP: tokenize and tag (default both) rebuild their lexicons;\n"
               "                               prints each outcome (exit 1 when one failed: the old lexicons stay)\n"
               "  config --template|--markdown|--check\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) { usage(argc < 2 ? stderr : stdout); return argc < 2 ? 2 : 0; }
    const char *cmd = argv[1];
    char *cargv[64];
    int cargc = 1;
    cargv[0] = argv[0];
    long long want = -1;
    double timeout = 300;
    const char *what = "";
    const char *stages_arg[8];
    int nstages = 0, no_wait = 0, timeout_set = 0;
    for (int i = 2; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "-o")) && i + 1 < argc && cargc < 62) {
            cargv[cargc++] = argv[i];
            cargv[cargc++] = argv[++i];
        } else if (!strcmp(argv[i], "--records") && i + 1 < argc) want = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) { timeout = atof(argv[++i]); timeout_set = 1; }
        else if (!strcmp(argv[i], "--no-wait") && !strcmp(cmd, "reload")) no_wait = 1;
        else if (argv[i][0] != '-' && !strcmp(cmd, "reload") && nstages < 8) stages_arg[nstages++] = argv[i];
        else if (!strncmp(argv[i], "--", 2) && !strcmp(cmd, "config")) what = argv[i];
        else { fprintf(stderr, "cxflow-ctl: unknown argument '%s'\n", argv[i]); usage(stderr); return 2; }
    }
    cargv[cargc] = NULL;
    int code;
    cx_conf *c = cx_stage_args(cargc, cargv, "cxflow", "", &code);
    if (!c) return code;
    int rc;
    if (!strcmp(cmd, "status")) rc = cmd_status(c);
    else if (!strcmp(cmd, "stop")) rc = cmd_stop(c);
    else if (!strcmp(cmd, "wait")) {
        if (want < 0) { fprintf(stderr, "cxflow-ctl wait: --records N is required\n"); rc = 2; }
        else rc = cmd_wait(c, want, timeout);
    } else if (!strcmp(cmd, "reload")) rc = cmd_reload(c, stages_arg, nstages, timeout_set ? timeout : 120, no_wait);
    else if (!strcmp(cmd, "config")) rc = cmd_config(c, what);
    else { usage(stderr); rc = 2; }
    cx_conf_destroy(&c);
    return rc;
}
