/* labelled.c - reading labelled JSON lines for cxflow-eval and cxflow-train
 * (see labelled.h). */
#include "labelled.h"
#include "cx_alloc.h"
#include "cx_tag_ltheme.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const lb_cls[LB_NCLS] = {"negative", "neutral", "positive"};

int lb_cls_of(const char *s) {
    for (int i = 0; i < LB_NCLS; i++)
        if (!strcmp(s, lb_cls[i])) return i;
    return -1;
}

void lb_data_free(lb_data *d) {
    for (size_t i = 0; i < d->n; i++) {
        cx_free(d->r[i].text);
        cx_free(d->r[i].gold);
    }
    cx_free(d->r);
    memset(d, 0, sizeof *d);
}

int lb_read_jsonl(const char *path, const char *text_key, const char *gold_key, lb_data *d, char *err,
                  size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)len, 0, &je);
        const char *t = o ? json_string_value(json_object_get(o, text_key)) : NULL;
        const char *g = o ? json_string_value(json_object_get(o, gold_key)) : NULL;
        if (!t || !g) {
            if (len > 1) d->skipped++;
            json_decref(o);
            continue;
        }
        if (d->n == d->cap) {
            size_t nc = d->cap ? d->cap * 2 : 1024;
            lb_rec *nr = cx_realloc(d->r, nc * sizeof *nr);
            if (!nr) { rc = -1; json_decref(o); break; }
            d->r = nr;
            d->cap = nc;
        }
        lb_rec *r = &d->r[d->n];
        r->text = cx_strdup(t);
        r->gold = cx_strdup(g);
        const char *lg = json_string_value(json_object_get(o, "lang"));
        snprintf(r->lang, sizeof r->lang, "%s", lg ? lg : "");
        json_decref(o);
        if (!r->text || !r->gold) {
            cx_free(r->text);
            cx_free(r->gold);
            rc = -1;
            break;
        }
        d->n++;
    }
    free(line);
    fclose(f);
    if (rc < 0) snprintf(err, errlen, "%s: out of memory", path);
    return rc;
}

size_t lb_keep_sentiment(lb_data *d, int half) {
    size_t unknown = 0, kept = 0;
    for (size_t i = 0; i < d->n; i++) {
        int ok = lb_cls_of(d->r[i].gold) >= 0;
        unknown += !ok;
        if (ok && half && (int)(i % 2) != half - 1) ok = 0;
        if (ok) d->r[kept++] = d->r[i];
        else {
            cx_free(d->r[i].text);
            cx_free(d->r[i].gold);
        }
    }
    d->n = kept;
    return unknown;
}

void lb_text_opts(const cx_conf *c, const char *lexdir, int detect, cx_text_opts *o) {
    memset(o, 0, sizeof *o);
    o->lexicon_dir = lexdir;
    o->default_lang = cx_conf_str(c, "tokenize.default_lang");
    o->trust_hint = !detect;
    o->min_confidence = (float)cx_conf_dbl(c, "langid.min_confidence");
    if (o->min_confidence <= 0) o->min_confidence = -1;
    o->per_sentence = cx_conf_bool(c, "langid.per_sentence");
    o->redact_pii = cx_conf_bool(c, "pii.redact");
}

/* ---- theme-labelled records ---- */

void lb_tdata_free(lb_tdata *d) {
    for (size_t i = 0; i < d->n; i++) cx_free(d->r[i].text);
    for (uint32_t i = 0; i < d->n_labels; i++) cx_free(d->labels[i]);
    cx_free(d->r);
    cx_free(d->lab);
    cx_free(d->labels);
    memset(d, 0, sizeof *d);
}

int lb_where_check(const char *w, char *err, size_t errlen) {
    const char *eq = strchr(w, '=');
    if (!eq || eq == w) {
        snprintf(err, errlen, "--where '%s': expected key.path=value (e.g. meta.relevance=true)", w);
        return -1;
    }
    return 0;
}

/* Does object o satisfy "a.b.c=value"? */
static int where_match(json_t *o, const char *w) {
    const char *eq = strchr(w, '=');
    const char *p = w;
    json_t *v = o;
    while (v && p < eq) {
        size_t l = strcspn(p, ".=");
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(l < 255 ? l : 255), p);
        v = json_is_object(v) ? json_object_get(v, key) : NULL;
        p += l;
        if (*p == '.') p++;
    }
    const char *want = eq + 1;
    if (!v) return !strcmp(want, "null");
    if (json_is_string(v)) return !strcmp(json_string_value(v), want);
    if (json_is_true(v)) return !strcmp(want, "true");
    if (json_is_false(v)) return !strcmp(want, "false");
    if (json_is_null(v)) return !strcmp(want, "null");
    if (json_is_number(v)) {
        char *end;
        double x = strtod(want, &end);
        return *want && !*end && x == json_number_value(v);
    }
    return 0;
}

/* The id of label s (the labels are kept in first-seen order while reading
 * and sorted at the end); -1 when out of memory. */
static long label_id(lb_tdata *d, const char *s) {
    for (uint32_t i = d->n_labels; i-- > 0;) /* recent labels first: files are often grouped */
        if (!strcmp(d->labels[i], s)) return i;
    if (d->n_labels == d->cap_labels) {
        uint32_t nc = d->cap_labels ? d->cap_labels * 2 : 64;
        char **nl = cx_realloc(d->labels, nc * sizeof *nl);
        if (!nl) return -1;
        d->labels = nl;
        d->cap_labels = nc;
    }
    if (!(d->labels[d->n_labels] = cx_strdup(s))) return -1;
    return d->n_labels++;
}

static int add_lab(lb_tdata *d, uint32_t id) {
    if (d->n_lab == d->cap_lab) {
        size_t nc = d->cap_lab ? d->cap_lab * 2 : 4096;
        uint32_t *nl = cx_realloc(d->lab, nc * sizeof *nl);
        if (!nl) return -1;
        d->lab = nl;
        d->cap_lab = nc;
    }
    d->lab[d->n_lab++] = id;
    return 0;
}

static const lb_tdata *sort_ctx;
static int cmp_label_ix(const void *a, const void *b) {
    return strcmp(sort_ctx->labels[*(const uint32_t *)a], sort_ctx->labels[*(const uint32_t *)b]);
}
static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sort the labels and renumber the records' label ids (each record's in
 * ascending order). */
static int sort_labels(lb_tdata *d) {
    uint32_t L = d->n_labels;
    uint32_t *ord = cx_malloc((L ? L : 1) * sizeof *ord), *rank = cx_malloc((L ? L : 1) * sizeof *rank);
    char **nl = cx_malloc((L ? L : 1) * sizeof *nl);
    if (!ord || !rank || !nl) {
        cx_free(ord);
        cx_free(rank);
        cx_free(nl);
        return -1;
    }
    for (uint32_t i = 0; i < L; i++) ord[i] = i;
    sort_ctx = d;
    qsort(ord, L, sizeof *ord, cmp_label_ix);
    for (uint32_t i = 0; i < L; i++) {
        rank[ord[i]] = i;
        nl[i] = d->labels[ord[i]];
    }
    for (size_t k = 0; k < d->n_lab; k++) d->lab[k] = rank[d->lab[k]];
    for (size_t i = 0; i < d->n; i++) qsort(d->lab + d->r[i].off, d->r[i].n_lab, sizeof *d->lab, cmp_u32);
    cx_free(d->labels);
    d->labels = nl;
    d->cap_labels = L;
    cx_free(ord);
    cx_free(rank);
    return 0;
}

int lb_read_themes(const char *path, const char *const *where, int n_where, lb_tdata *d, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int rc = 0;
    uint32_t ln = 0;
    err[0] = '\0';
    while (rc == 0 && (len = getline(&line, &lcap, f)) >= 0) {
        ln++;
        size_t b = strspn(line, " \t\r\n");
        if (b == (size_t)len) continue; /* blank */
        d->lines++;
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)len, 0, &je);
        if (!o || !json_is_object(o)) {
            snprintf(err, errlen, "%s:%u: not a JSON object%s%s", path, ln, o ? "" : ": ", o ? "" : je.text);
            json_decref(o);
            rc = -1;
            break;
        }
        json_t *lt = json_object_get(o, "label_theme");
        const char *t = json_string_value(json_object_get(o, "text"));
        if (lt && !json_is_null(lt) && !json_is_string(lt) && !json_is_array(lt)) {
            snprintf(err, errlen, "%s:%u: \"label_theme\" is neither a string, a list of strings nor null", path, ln);
            rc = -1;
        }
        for (size_t k = 0; rc == 0 && json_is_array(lt) && k < json_array_size(lt); k++)
            if (!json_is_string(json_array_get(lt, k))) {
                snprintf(err, errlen, "%s:%u: \"label_theme\" list item %zu is not a string", path, ln, k + 1);
                rc = -1;
            }
        int keep = rc == 0;
        if (keep && (!lt || json_is_null(lt))) { d->null_label++; keep = 0; }
        else if (keep && !t) { d->no_text++; keep = 0; }
        for (int w = 0; keep && w < n_where; w++)
            if (!where_match(o, where[w])) { d->not_where++; keep = 0; }
        if (!keep) {
            json_decref(o);
            continue;
        }
        if (d->n == d->cap) {
            size_t nc = d->cap ? d->cap * 2 : 1024;
            lb_trec *nr = cx_realloc(d->r, nc * sizeof *nr);
            if (!nr) { rc = -2; json_decref(o); break; }
            d->r = nr;
            d->cap = nc;
        }
        lb_trec *r = &d->r[d->n];
        memset(r, 0, sizeof *r);
        r->off = (uint32_t)d->n_lab;
        r->line = ln;
        const char *lg = json_string_value(json_object_get(o, "lang"));
        snprintf(r->lang, sizeof r->lang, "%s", lg ? lg : "");
        if (json_is_array(lt)) d->multi = 1;
        size_t nl = json_is_array(lt) ? json_array_size(lt) : 1;
        for (size_t k = 0; rc == 0 && k < nl; k++) {
            const char *s = json_is_array(lt) ? json_string_value(json_array_get(lt, k)) : json_string_value(lt);
            const char *why;
            if (!cx_ltheme_label_ok(s, &why)) {
                snprintf(err, errlen, "%s:%u: label '%.80s': %s", path, ln, s, why);
                rc = -1;
                break;
            }
            long id = label_id(d, s);
            if (id < 0) { rc = -2; break; }
            int dup = 0; /* ["a", "a"] counts once */
            for (uint32_t q = r->off; q < d->n_lab; q++) dup |= d->lab[q] == (uint32_t)id;
            if (!dup && add_lab(d, (uint32_t)id) < 0) rc = -2;
        }
        r->n_lab = (uint32_t)(d->n_lab - r->off);
        if (rc == 0 && !(r->text = cx_strdup(t))) rc = -2;
        json_decref(o);
        if (rc == 0) d->n++;
    }
    free(line);
    fclose(f);
    if (rc == 0 && sort_labels(d) < 0) rc = -2;
    if (rc == -2) snprintf(err, errlen, "%s: out of memory", path);
    return rc < 0 ? -1 : 0;
}

unsigned lb_holdout_bucket(const char *text) {
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    h ^= h >> 33; /* murmur3's finaliser: the low bits depend on every byte */
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return (unsigned)(h % 100);
}

size_t lb_keep_split(lb_tdata *d, int half, int holdout, int held) {
    size_t kept = 0;
    for (size_t i = 0; i < d->n; i++) {
        int ok = 1;
        if (half) ok = (int)(i % 2) == half - 1;
        if (holdout) ok = ((int)lb_holdout_bucket(d->r[i].text) < holdout) == (held != 0);
        if (ok) d->r[kept++] = d->r[i];
        else cx_free(d->r[i].text);
    }
    d->n = kept;
    return kept;
}
