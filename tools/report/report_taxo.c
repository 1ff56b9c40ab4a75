/* report_taxo.c - reads lexicons/themes/taxonomy.tsv (docs/LEXICONS.md:
 * "theme_id TAB parent_id-or-- TAB English name") so the report can show
 * theme names instead of ids.  The file is optional. */
#include "cx_alloc.h"
#include "report_int.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pair { char *id, *name; } pair;

static int pair_cmp(const void *a, const void *b) {
    return strcmp(((const pair *)a)->id, ((const pair *)b)->id);
}

/* Parse the file into a sorted array of (id, name) pairs.  Lines that are
 * comments, blank or lack a name are skipped; the id and name are trimmed of
 * surrounding blanks. */
int cx_rp_taxo_load(cx_rp_taxo *t, const char *dir, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    if (!dir || !*dir) return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/themes/taxonomy.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return 0; /* no taxonomy (yet): raw ids */
    pair *v = NULL;
    size_t n = 0, cap = 0;
    char line[2048];
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || !*p) continue;
        p[strcspn(p, "\r\n")] = '\0';
        char *t1 = strchr(p, '\t');
        if (!t1) continue;
        char *t2 = strchr(t1 + 1, '\t');
        if (!t2) continue;
        *t1 = '\0';
        char *name = t2 + 1;
        while (*name == ' ') name++;
        size_t nl = strlen(name);
        while (nl && (name[nl - 1] == ' ' || name[nl - 1] == '\t')) name[--nl] = '\0';
        size_t il = strlen(p);
        while (il && p[il - 1] == ' ') p[--il] = '\0';
        if (!il || !nl) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            pair *nv = cx_realloc(v, nc * sizeof *nv);
            if (!nv) { rc = -1; break; }
            v = nv;
            cap = nc;
        }
        v[n].id = cx_strdup(p);
        v[n].name = cx_strdup(name);
        if (!v[n].id || !v[n].name) { cx_free(v[n].id); cx_free(v[n].name); rc = -1; break; }
        n++;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = -2;
    }
    fclose(f);
    if (rc == 0 && n) {
        t->id = cx_malloc(n * sizeof *t->id);
        t->name = cx_malloc(n * sizeof *t->name);
        if (!t->id || !t->name) rc = -1;
    }
    if (rc < 0) {
        if (rc == -1) snprintf(err, errlen, "out of memory reading %s", path);
        for (size_t i = 0; i < n; i++) { cx_free(v[i].id); cx_free(v[i].name); }
        cx_free(v);
        cx_free(t->id);
        cx_free(t->name);
        memset(t, 0, sizeof *t);
        return -1;
    }
    qsort(v, n, sizeof *v, pair_cmp);
    for (size_t i = 0; i < n; i++) { t->id[i] = v[i].id; t->name[i] = v[i].name; }
    t->n = n;
    cx_free(v);
    return 0;
}

const char *cx_rp_taxo_name(const cx_rp_taxo *t, const char *id) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->id[mid], id);
        if (!c) return t->name[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

void cx_rp_taxo_free(cx_rp_taxo *t) {
    for (size_t i = 0; i < t->n; i++) { cx_free(t->id[i]); cx_free(t->name[i]); }
    cx_free(t->id);
    cx_free(t->name);
    memset(t, 0, sizeof *t);
}
