/* clubench.c - cxflow-clubench: the clustering engine alone on a long
 * synthetic stream, for speed and for memory that stays flat.
 *
 *   cxflow-clubench [--records N] [--every N] [-c FILE] [-o key=value]...
 *
 * Feeds N enriched records (default 10,000,000) straight into the clusterer
 * of the cluster stage (cluster.* of the configuration, all records, as with
 * cluster.negative_only = false) on one thread and prints, every --every
 * records (default 1,000,000): records so far, the rate per CPU-second of
 * the last block (the record generation included: it costs a few percent),
 * the resident memory (VmRSS), the heap in use (what the program holds,
 * without the allocator's free space: jemalloc's stats.allocated, or glibc's
 * mallinfo2 when built without jemalloc), live clusters, the vocabulary and
 * the centroid terms, and what the clusterer holds by structure
 * (cx_clusterer_get_mem: total, feature table, postings, display forms,
 * slots, centroid terms, examples, counters, resend window).  It ends with
 *
 *   bench_cluster records=N records_per_s=R rss_mb_start=A rss_mb_end=B rss_growth_pct=G
 *
 * where R is over the whole run, A is the largest resident memory seen in
 * the reports from 40% to 70% of the records (the caps are full by then;
 * the table shows when) and B the largest from 70% to the end, G their
 * difference in percent; heap_mb_start / heap_mb_end are the same for the
 * heap in use, and allocator= names the allocator.  The largest, not the last, because pruning makes the memory
 * a saw-tooth: "flat" means the later peaks are no higher than the earlier
 * ones.  The exit status is 1 when the resident memory grew by more than
 * 10%, 0 otherwise.
 *
 * The stream is built to hit every bound: problems ("topics") appear every
 * 2,000 records and fade (bursty, like real incidents), each record mixes
 * 3-4 words of its topic, 2-3 words of a 50,000-word background vocabulary
 * drawn by a Zipf-like law, and with probability 0.3 a word never seen
 * before (so the vocabulary grows without end), one of 40 theme ids per
 * topic, an event time advancing 100 ms per record (10M records = 11.6 days
 * of stream, so decay and retirement work), a (topic, partition, offset) for
 * the resend filter and 1% resends.  Deterministic (fixed seed). */
#include "clusterer.h"
#include "cx_alloc.h"
#include "cx_conf.h"
#include "cx_env.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BG_WORDS 50000
#define TOPIC_WORDS 12
#define THEMES 40

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) { kb = atol(line + 6); break; }
    fclose(f);
    return kb;
}

/* xorshift64*: a fixed stream of pseudo-random numbers */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}
static double rnd01(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

/* Zipf-like background word: rank ~ exp(U * ln BG_WORDS) favours low ranks. */
static unsigned bg_word(void) {
    double r = __builtin_exp(rnd01() * __builtin_log((double)BG_WORDS));
    unsigned w = (unsigned)r - 1;
    return w < BG_WORDS ? w : BG_WORDS - 1;
}

static int count_event(void *arg, const char *json, size_t len) {
    (void)json;
    (void)len;
    (*(uint64_t *)arg)++;
    return 0;
}

static void add_token(cx_env *e, const char *w) {
    cx_token *t = &e->tokens[e->n_tokens++];
    memset(t, 0, sizeof *t);
    t->norm = t->stem = t->surface = cx_env_strdup(e, w);
    t->type = CX_TOK_WORD;
}

int main(int argc, char **argv) {
    long long n = 10000000, every = 1000000;
    const char *conf_path = NULL;
    const char *over[64];
    int nover = 0;
    for (int i = 1; i < argc; i++) {
        int more = i + 1 < argc;
        if (!strcmp(argv[i], "--records") && more) n = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--every") && more) every = atoll(argv[++i]);
        else if (!strcmp(argv[i], "-c") && more) conf_path = argv[++i];
        else if (!strcmp(argv[i], "-o") && more && nover < 64) over[nover++] = argv[++i];
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: cxflow-clubench [--records N] [--every N] [-c FILE] [-o key=value]...\n");
            return 0;
        } else {
            fprintf(stderr, "cxflow-clubench: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (n < 1 || every < 1) {
        fprintf(stderr, "cxflow-clubench: --records and --every must be >= 1\n");
        return 2;
    }
    char err[512];
    cx_conf *conf = cx_conf_load(conf_path, err, sizeof err);
    if (!conf) { fprintf(stderr, "cxflow-clubench: %s\n", err); return 2; }
    for (int i = 0; i < nover; i++)
        if (cx_conf_set_kv(conf, over[i], err, sizeof err) < 0) {
            fprintf(stderr, "cxflow-clubench: -o: %s\n", err);
            cx_conf_destroy(&conf);
            return 2;
        }
    cx_clusterer_opts o;
    cx_clusterer_opts_from_conf(&o, conf);
    o.negative_only = 0;
    cx_conf_destroy(&conf);
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    if (!cl) { fprintf(stderr, "cxflow-clubench: %s\n", err); return 2; }
    char themes[THEMES][32];
    for (int i = 0; i < THEMES; i++) snprintf(themes[i], sizeof themes[i], "theme%02d.sub%d", i / 4, i % 4);
    uint64_t events = 0, fresh = 0;
    double t0 = cpu_s(), tb = t0;
    long rss_start = -1, rss_end = -1;
    double heap_start = 0, heap_end = 0;
    int rc = 0;
    printf("%12s %14s %9s %9s %9s %9s %9s | %s\n", "records", "records/cpu-s", "rss_mb", "heap_mb", "clusters",
           "vocab", "terms", "held MB: total feat post disp slot term ex ctr dedup");
    for (long long i = 0; i < n; i++) {
        cx_env *e = cx_env_new();
        if (!e) { fprintf(stderr, "cxflow-clubench: out of memory\n"); rc = 2; break; }
        /* the topic: mostly one of the last few problems, sometimes an old one */
        long long newest = i / 2000;
        long long topic = newest - (long long)(rnd() % 4);
        if (rnd01() < 0.2) topic = (long long)(rnd() % (uint64_t)(newest + 1));
        if (topic < 0) topic = 0;
        e->tokens = cx_env_alloc(e, 10 * sizeof *e->tokens);
        e->themes = cx_env_alloc(e, sizeof *e->themes);
        if (!e->tokens || !e->themes) { cx_env_destroy(&e); rc = 2; break; }
        char w[48];
        int nt = 3 + (int)(rnd() % 2), nb = 2 + (int)(rnd() % 2);
        for (int k = 0; k < nt; k++) {
            snprintf(w, sizeof w, "t%lldw%u", topic, (unsigned)(rnd() % TOPIC_WORDS));
            add_token(e, w);
        }
        for (int k = 0; k < nb; k++) {
            snprintf(w, sizeof w, "b%u", bg_word());
            add_token(e, w);
        }
        if (rnd01() < 0.3) {
            snprintf(w, sizeof w, "new%llu", (unsigned long long)fresh++);
            add_token(e, w);
        }
        e->themes[0].id = themes[topic % THEMES];
        e->themes[0].weight = 1;
        e->n_themes = 1;
        e->label = CX_LABEL_NEGATIVE;
        e->sentiment = -0.5f;
        e->topic = "bench";
        e->partition = (int32_t)(i % 8);
        /* 1% resends of a recent record */
        e->offset = rnd01() < 0.01 && i > 100 ? (i - 1 - (long long)(rnd() % 100)) / 8 : i / 8;
        e->ts_ms = 1700000000000LL + i * 100;
        snprintf(e->lang, sizeof e->lang, "en");
        if (cx_clusterer_add(cl, e, count_event, &events, err, sizeof err) < 0) {
            fprintf(stderr, "cxflow-clubench: %s\n", err);
            rc = 2;
        }
        if (i % 1024 == 0) cx_clusterer_tick(cl, i / 10, count_event, &events);
        cx_env_destroy(&e);
        if (rc) break;
        if ((i + 1) % every == 0 || i + 1 == n) {
            double now = cpu_s();
            cx_clusterer_stats st;
            cx_clusterer_get_stats(cl, &st);
            long kb = rss_kb();
            long long block = (i + 1) % every ? (i + 1) % every : every;
            size_t in_use = 0, mapped = 0;
            cx_alloc_stats(&in_use, &mapped);
            cx_clusterer_mem m;
            cx_clusterer_get_mem(cl, &m);
            double MB = 1048576.0;
            printf("%12lld %14.0f %9.1f %9.1f %9zu %9zu %9zu | %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f\n", i + 1,
                   (double)block / (now - tb), kb / 1024.0, in_use / MB, st.live, st.vocab,
                   st.terms, m.total / MB, m.features / MB, m.postings / MB, m.display / MB, m.slots / MB,
                   m.terms / MB, m.examples / MB, m.counters / MB, m.dedup / MB);
            fflush(stdout);
            tb = now;
            double heap = in_use / 1048576.0;
            if (i + 1 >= n * 2 / 5 && i + 1 < n * 7 / 10) {
                if (kb > rss_start) rss_start = kb;
                if (heap > heap_start) heap_start = heap;
            } else if (i + 1 >= n * 7 / 10) {
                if (kb > rss_end) rss_end = kb;
                if (heap > heap_end) heap_end = heap;
            }
        }
    }
    double total = cpu_s() - t0;
    char cerr[256];
    if (!rc && cx_clusterer_check(cl, cerr, sizeof cerr) < 0) {
        fprintf(stderr, "cxflow-clubench: clusterer state broken: %s\n", cerr);
        rc = 2;
    }
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    size_t in_use_end = 0, mapped_end = 0;
    const char *allocator = cx_alloc_stats(&in_use_end, &mapped_end);
    printf("clusters created=%llu merged=%llu retired=%llu live=%zu resends=%llu events=%llu\n",
           (unsigned long long)st.created, (unsigned long long)st.merged, (unsigned long long)st.retired, st.live,
           (unsigned long long)st.duplicates, (unsigned long long)events);
    if (rss_start < 0) rss_start = rss_end, heap_start = heap_end; /* too few reports for two windows */
    double growth = rss_start > 0 ? 100.0 * (double)(rss_end - rss_start) / (double)rss_start : 0;
    printf("bench_cluster records=%lld records_per_s=%.0f rss_mb_start=%.1f rss_mb_end=%.1f rss_growth_pct=%.1f "
           "heap_mb_start=%.1f heap_mb_end=%.1f allocator=%s\n", n, total > 0 ? (double)n / total : 0.0,
           rss_start / 1024.0, rss_end / 1024.0, growth, heap_start, heap_end, allocator);
    cx_clusterer_destroy(&cl);
    if (!rc && growth > 10) rc = 1;
    return rc;
}
