/* supervise.c - cxflow-run: starts the pipeline's processes as one supervised group.
 *
 *   cxflow-run [-c FILE] [-o key=value]... [--stages LIST] [--no-broker]
 *
 * Starts, in this order, the embedded broker (when kafka.brokers = embedded),
 * sink, cluster, tag, tokenize and ingest (downstream first, so nothing waits
 * on a missing peer), each with its stderr appended to run/<stage>.log.  A
 * stage that exits unexpectedly is restarted after 200 ms, doubling up to
 * supervisor.max_backoff_ms (reset once it has run for 30 s); its exit status
 * and last log lines are logged.  SIGINT/SIGTERM stops the group cleanly:
 * ingest first (it waits for in-flight acknowledgements and commits), then
 * the others downstream, each given supervisor.grace_ms before SIGKILL.
 * When dashboard.listen is set, the live dashboard (cxflow-dash) starts last
 * and stops first; it only reads the sink's database.
 * SIGHUP is passed on to the stages that reload their lexicons on it
 * (tokenize, tag), once each has written its pid file (its handler is in
 * place by then); `cxflow reload` signals them directly and waits for the
 * outcome.
 * --stages runs only some stages on this machine (a distributed deployment:
 * the links in pipeline.conf then name the other machines). */
#include "cx_alloc.h"
#include "cx_kafka.h"
#include "cx_log.h"
#include "cx_util.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { NSTAGES = 7, DASH = 6 };
static const char *order[NSTAGES] = {"broker", "sink", "cluster", "tag", "tokenize", "ingest", "dash"};
/* cxflow-dash exits with this when it cannot listen (address taken, bad
 * address): restarting would only fail again, and the pipeline runs on
 * without its dashboard. */
#define DASH_NO_LISTEN 3

typedef struct child {
    const char *name;
    int enabled;
    pid_t pid;
    int64_t started_ms, restart_at_ms, backoff_ms;
    int restarts;
} child;

static char bindir[PATH_MAX], rundir[4096];
static char **pass_argv;   /* -c/-o arguments handed to every stage */
static int pass_argc;

static void last_lines(const char *name, int n) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.log", rundir, name);
    FILE *f = fopen(path, "r");
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f), from = sz > 4096 ? sz - 4096 : 0;
    fseek(f, from, SEEK_SET);
    char buf[4097];
    size_t got = fread(buf, 1, 4096, f);
    fclose(f);
    buf[got] = '\0';
    /* keep the last n lines */
    int seen = 0;
    char *p = buf + got;
    while (p > buf) {
        if (*--p == '\n' && p != buf + got - 1 && ++seen == n) { p++; break; }
    }
    cx_warn("last lines of %s/%s.log:\n%s", rundir, name, p);
}

/* The embedded broker starts empty: its offsets begin at 0 again, so a
 * cluster checkpoint of an earlier run describes another stream - its resend
 * filter would take the new records for resends of the old ones.  Remove it
 * (with SQLite's -wal and -shm files). */
static void forget_checkpoint(const cx_conf *c) {
    char path[4096], side[4200];
    cx_conf_path(c, "cluster.checkpoint", path, sizeof path);
    if (!*path || access(path, F_OK) != 0) return;
    cx_info("the embedded broker starts empty: removing the cluster checkpoint %s of an earlier run", path);
    if (unlink(path) < 0) cx_warn("cannot remove %s: %s", path, strerror(errno));
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static pid_t spawn(child *ch) {
    char exe[PATH_MAX + 64], log[4200];
    snprintf(exe, sizeof exe, "%s/cxflow-%s", bindir, ch->name);
    snprintf(log, sizeof log, "%s/%s.log", rundir, ch->name);
    pid_t pid = fork();
    if (pid < 0) { cx_error("fork: %s", strerror(errno)); return -1; }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) { dup2(fd, 2); dup2(fd, 1); close(fd); }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) { dup2(devnull, 0); close(devnull); }
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        char **av = calloc((size_t)pass_argc + 2, sizeof *av);
        if (!av) _exit(127);
        av[0] = exe;
        for (int i = 0; i < pass_argc; i++) av[i + 1] = pass_argv[i];
        execv(exe, av);
        fprintf(stderr, "cannot start %s: %s\n", exe, strerror(errno));
        _exit(127);
    }
    ch->pid = pid;
    ch->started_ms = cx_mono_ms();
    cx_info("started %s (pid %d)", ch->name, (int)pid);
    return pid;
}

static void describe_exit(const char *name, int status, char *buf, size_t n) {
    (void)name;
    if (WIFEXITED(status)) snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else snprintf(buf, n, "stopped (status %d)", status);
}

/* Stop one child: SIGTERM, wait up to grace, then SIGKILL. */
static void stop_child(child *ch, int64_t grace_ms) {
    if (ch->pid <= 0) return;
    kill(ch->pid, SIGTERM);
    int64_t until = cx_mono_ms() + grace_ms;
    int status;
    while (cx_mono_ms() < until) {
        pid_t r = waitpid(ch->pid, &status, WNOHANG);
        if (r == ch->pid) { ch->pid = 0; cx_info("%s stopped", ch->name); return; }
        usleep(20 * 1000);
    }
    cx_warn("%s did not stop within %lld ms: SIGKILL", ch->name, (long long)grace_ms);
    kill(ch->pid, SIGKILL);
    waitpid(ch->pid, &status, 0);
    ch->pid = 0;
}

/* SIGHUP to the reloading stages that are up.  A stage that has not written
 * its pid file yet may not have its handler installed (SIGHUP would kill
 * it): it is skipped with a warning. */
static void forward_hup(child *ch) {
    for (int i = 0; i < NSTAGES; i++) {
        if (ch[i].pid <= 0 || (strcmp(ch[i].name, "tokenize") && strcmp(ch[i].name, "tag"))) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.pid", rundir, ch[i].name);
        FILE *f = fopen(path, "r");
        long p = 0;
        if (f) {
            if (fscanf(f, "%ld", &p) != 1) p = 0;
            fclose(f);
        }
        if (p != ch[i].pid) {
            cx_warn("SIGHUP: %s is still starting and was not signalled; send SIGHUP again once it runs", ch[i].name);
            continue;
        }
        kill(ch[i].pid, SIGHUP);
        cx_info("SIGHUP: passed on to %s (pid %d)", ch[i].name, (int)ch[i].pid);
    }
}

static int wait_broker(const cx_conf *c, child *broker) {
    char path[4200];
    cx_kafka_addr_file(c, path, sizeof path);
    int64_t until = cx_mono_ms() + 15000;
    while (cx_mono_ms() < until && !cx_stop) {
        if (access(path, R_OK) == 0) return 0;
        int status;
        if (waitpid(broker->pid, &status, WNOHANG) == broker->pid) {
            broker->pid = 0;
            cx_error("the embedded broker exited during start-up");
            last_lines("broker", 10);
            return -1;
        }
        usleep(50 * 1000);
    }
    cx_error("the embedded broker did not publish its address in %s", path);
    return -1;
}

int main(int argc, char **argv) {
    const char *only = NULL;
    int no_broker = 0;
    char **cargv = cx_calloc((size_t)argc + 1, sizeof *cargv);
    pass_argv = cx_calloc((size_t)argc + 1, sizeof *pass_argv);
    if (!cargv || !pass_argv) return 1;
    int cargc = 1;
    cargv[0] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--stages") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--no-broker")) no_broker = 1;
        else if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "-o")) && i + 1 < argc) {
            cargv[cargc++] = argv[i];
            cargv[cargc++] = argv[i + 1];
            pass_argv[pass_argc++] = argv[i];
            pass_argv[pass_argc++] = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: cxflow run [-c FILE] [-o key=value]... [--stages LIST] [--no-broker]\n\n"
                   "Starts the embedded broker (kafka.brokers = embedded) and the stages sink, cluster,\n"
                   "tag, tokenize and ingest as one supervised group, and the live dashboard when\n"
                   "dashboard.listen is set. A crashed stage is restarted\n"
                   "with backoff; Ctrl-C or SIGTERM (`cxflow stop`) stops everything cleanly.\n"
                   "Logs: run/<stage>.log; metrics: run/metrics/<stage>.prom; `cxflow status`.\n"
                   "  --stages LIST   only these stages on this machine (comma separated; the\n"
                   "                  dashboard runs with sink, or when the list names dash)\n"
                   "  --no-broker     do not start the embedded broker here\n");
            return 0;
        } else {
            fprintf(stderr, "cxflow run: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    int code;
    cx_conf *c = cx_stage_args(cargc, cargv, "supervisor", "", &code);
    if (!c) return code;
    cx_signals_install();
    ssize_t l = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
    if (l <= 0) { cx_error("cannot find my own executable"); return 1; }
    bindir[l] = '\0';
    *strrchr(bindir, '/') = '\0';
    cx_conf_path(c, "run.dir", rundir, sizeof rundir);
    cx_mkdirs(rundir, 0);
    char pidpath[4200];
    snprintf(pidpath, sizeof pidpath, "%s/supervisor.pid", rundir);
    FILE *pf = fopen(pidpath, "r");
    if (pf) {
        long other = 0;
        if (fscanf(pf, "%ld", &other) == 1 && other > 0 && other != getpid() && kill((pid_t)other, 0) == 0) {
            fprintf(stderr, "cxflow run: already running (supervisor pid %ld, %s); `cxflow stop` first\n", other, pidpath);
            fclose(pf);
            return 1;
        }
        fclose(pf);
    }
    cx_pidfile_write(c, "supervisor");
    int embedded = !strcmp(cx_conf_str(c, "kafka.brokers"), "embedded") && !no_broker;
    child ch[NSTAGES];
    memset(ch, 0, sizeof ch);
    int64_t max_backoff = cx_conf_int(c, "supervisor.max_backoff_ms"), grace = cx_conf_int(c, "supervisor.grace_ms");
    /* the dashboard reads the SQLite sink: none without it */
    int dash_on = *cx_conf_str(c, "dashboard.listen") != '\0' && *cx_conf_str(c, "sink.sqlite") != '\0';
    for (int i = 0; i < NSTAGES; i++) {
        ch[i].name = order[i];
        ch[i].backoff_ms = 200;
        ch[i].enabled = i == 0 ? embedded : i == DASH ? dash_on : 1;
        if (only) {
            char want[64];
            snprintf(want, sizeof want, ",%s,", order[i]);
            char list[1024];
            snprintf(list, sizeof list, ",%s,", only);
            ch[i].enabled = strstr(list, want) != NULL && (i != 0 || embedded);
            /* the dashboard goes where the sink (its database) is, unless named */
            if (i == DASH) ch[i].enabled = dash_on && (strstr(list, want) || strstr(list, ",sink,"));
        }
    }
    int rc = 0;
    if (ch[0].enabled && ch[2].enabled) forget_checkpoint(c);
    if (ch[0].enabled) {
        char addr[4200];
        unlink(cx_kafka_addr_file(c, addr, sizeof addr)); /* a stale address from a killed run */
        if (spawn(&ch[0]) < 0 || wait_broker(c, &ch[0]) < 0) { rc = 1; cx_stop = 1; }
    }
    for (int i = 1; i < NSTAGES && !cx_stop; i++)
        if (ch[i].enabled) spawn(&ch[i]);
    if (ch[DASH].enabled && !cx_stop) cx_info("dashboard: http://%s/ (dashboard.listen)", cx_conf_str(c, "dashboard.listen"));
    if (!cx_stop) cx_info("pipeline running (supervisor pid %d); stop with Ctrl-C or `cxflow stop`", (int)getpid());
    while (!cx_stop) {
        if (cx_reload) {
            cx_reload = 0;
            forward_hup(ch);
        }
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        int64_t now = cx_mono_ms();
        if (pid > 0) {
            for (int i = 0; i < NSTAGES; i++) {
                if (ch[i].pid != pid) continue;
                char why[128];
                describe_exit(ch[i].name, status, why, sizeof why);
                ch[i].pid = 0;
                if (i == DASH && WIFEXITED(status) && WEXITSTATUS(status) == DASH_NO_LISTEN) {
                    cx_error("dashboard %s: it cannot listen on %s, not restarted (the pipeline runs on)", why,
                             cx_conf_str(c, "dashboard.listen"));
                    last_lines(ch[i].name, 3);
                    ch[i].enabled = 0;
                    continue;
                }
                if (now - ch[i].started_ms > 30000) ch[i].backoff_ms = 200;
                ch[i].restart_at_ms = now + ch[i].backoff_ms;
                cx_error("%s %s; restarting in %lld ms", ch[i].name, why, (long long)ch[i].backoff_ms);
                last_lines(ch[i].name, 8);
                ch[i].backoff_ms = ch[i].backoff_ms * 2 > max_backoff ? max_backoff : ch[i].backoff_ms * 2;
                if (i == 0) cx_error("the embedded broker lost its data; producers must send again");
            }
            continue;
        }
        for (int i = 0; i < NSTAGES; i++) {
            if (!ch[i].enabled || ch[i].pid || now < ch[i].restart_at_ms) continue;
            ch[i].restarts++;
            if (i == 0) {
                char addr[4200];
                unlink(cx_kafka_addr_file(c, addr, sizeof addr));
            }
            spawn(&ch[i]);
        }
        usleep(50 * 1000);
    }
    cx_info("stopping the pipeline");
    for (int i = NSTAGES - 1; i >= 1; i--) stop_child(&ch[i], grace);
    stop_child(&ch[0], grace);
    unlink(pidpath);
    cx_conf_destroy(&c);
    cx_free(cargv);
    cx_free(pass_argv);
    cx_info("pipeline stopped");
    return rc;
}
