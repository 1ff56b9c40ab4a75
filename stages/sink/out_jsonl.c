/* out_jsonl.c - the JSON-lines output (sink.jsonl): one enriched record per
 * line, appended; flushed at each batch commit.
 *
 * Rotation (sink.jsonl_rotate_mb, sink.jsonl_keep): at a batch commit that
 * leaves the file past the size, FILE becomes FILE.1 (FILE.1 becomes FILE.2,
 * and so on; FILE.<keep> and beyond are deleted) and a new FILE is opened.
 * Only at a commit, so a batch and every line stay whole in one file. */
#include "cx_alloc.h"
#include "output.h"
#include "cx_log.h"
#include "cx_util.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct jl {
    FILE *f;
    char path[4096];
    int64_t rotate_bytes; /* 0: never */
    int keep;
} jl;

static int jl_record(cx_output *o, const cx_env *env, const char *json, size_t len, char *err, size_t errlen) {
    jl *j = o->ctx;
    if (env->error) return 0; /* dead letters go to dlq.file */
    if (!j->f && !(j->f = fopen(j->path, "a"))) { /* a reopen after a rotation failed */
        snprintf(err, errlen, "cannot open %s: %s", j->path, strerror(errno));
        return -1;
    }
    if (fwrite(json, 1, len, j->f) != len) {
        snprintf(err, errlen, "%s: write failed: %s", j->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* FILE -> FILE.1 -> ... -> FILE.<keep>; what would go beyond is deleted. */
static void jl_rotate(jl *j) {
    char from[4200], to[4200];
    /* FILE.<keep> and any older ones (left by a larger keep) make room */
    for (int i = j->keep > 0 ? j->keep : 1;; i++) {
        snprintf(to, sizeof to, "%s.%d", j->path, i);
        if (unlink(to) != 0) break;
    }
    for (int i = j->keep - 1; i >= 1; i--) {
        snprintf(from, sizeof from, "%s.%d", j->path, i);
        snprintf(to, sizeof to, "%s.%d", j->path, i + 1);
        if (rename(from, to) != 0 && errno != ENOENT)
            cx_warn("rotating %s: cannot rename %s: %s", j->path, from, strerror(errno));
    }
    snprintf(to, sizeof to, "%s.1", j->path);
    if (j->keep > 0 ? rename(j->path, to) != 0 : unlink(j->path) != 0) {
        /* the records are safely in the file: keep appending to it */
        cx_warn("rotating %s: %s; it keeps growing", j->path, strerror(errno));
        return;
    }
    fclose(j->f);
    /* when this fails, the next record tries again and fails its batch */
    if (!(j->f = fopen(j->path, "a"))) cx_error("cannot open %s after rotating it: %s", j->path, strerror(errno));
}

static int jl_commit(cx_output *o, char *err, size_t errlen) {
    jl *j = o->ctx;
    if (!j->f) return 0; /* nothing written since a failed reopen */
    if (fflush(j->f) != 0) {
        snprintf(err, errlen, "%s: write failed: %s", j->path, strerror(errno));
        clearerr(j->f);
        return -1;
    }
    struct stat st;
    if (j->rotate_bytes > 0 && fstat(fileno(j->f), &st) == 0 && st.st_size >= j->rotate_bytes) jl_rotate(j);
    return 0;
}

static void jl_close(cx_output *o) {
    jl *j = o->ctx;
    if (j && j->f) fclose(j->f);
    cx_free(j);
    o->ctx = NULL;
}

cx_output *cx_out_jsonl_open(const cx_conf *c, char *err, size_t errlen) {
    err[0] = '\0';
    char path[4096];
    cx_conf_path(c, "sink.jsonl", path, sizeof path);
    if (!*path) return NULL;
    cx_output *o = cx_calloc(1, sizeof *o);
    jl *j = cx_calloc(1, sizeof *j);
    if (!o || !j) {
        cx_free(o);
        cx_free(j);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(j->path, sizeof j->path, "%s", path);
    j->rotate_bytes = (int64_t)(cx_conf_dbl(c, "sink.jsonl_rotate_mb") * 1048576.0);
    j->keep = (int)cx_conf_int(c, "sink.jsonl_keep");
    if (cx_mkdirs(path, 1) < 0 || !(j->f = fopen(path, "a"))) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        cx_free(j);
        cx_free(o);
        return NULL;
    }
    o->name = "jsonl";
    o->ctx = j;
    o->record = jl_record;
    o->commit = jl_commit;
    o->close = jl_close;
    return o;
}
