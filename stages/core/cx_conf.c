/* cx_conf.c - parser and getters for pipeline.conf (see cx_conf.h). */
#include "cx_conf.h"
#include "cx_alloc.h"
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct extra {
    char *name;   /* full key, e.g. kafka.security.protocol */
    char *value;
    int line;
} extra;

struct cx_conf {
    char *file;          /* path as given, or NULL */
    char *dir;           /* its directory, for relative paths */
    char **values;       /* one per table key, owned */
    int *lines;          /* 0 = default, -1 = set on the command line */
    extra *extras;
    size_t nextras, capextras;
};

static int key_index(const char *name) {
    for (size_t i = 0; i < cx_conf_nkeys; i++)
        if (strcmp(cx_conf_keys[i].name, name) == 0) return (int)i;
    return -1;
}

/* Validate value against the key's type.  0 ok, -1 with why filled. */
static int check_value(const cx_conf_key *k, const char *v, char *why, size_t n) {
    char *end;
    switch (k->type) {
    case CX_CT_STR:
    case CX_CT_PATH:
        return 0;
    case CX_CT_INT: {
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || errno) { snprintf(why, n, "%s expects an integer, got '%s'", k->name, v); return -1; }
        if ((double)x < k->min || (double)x > k->max) {
            snprintf(why, n, "%s = %lld is out of range [%.0f, %.0f]", k->name, x, k->min, k->max);
            return -1;
        }
        return 0;
    }
    case CX_CT_DBL: {
        errno = 0;
        double x = strtod(v, &end);
        if (!*v || *end || errno || isnan(x)) { snprintf(why, n, "%s expects a number, got '%s'", k->name, v); return -1; }
        if (x < k->min || x > k->max) {
            snprintf(why, n, "%s = %g is out of range [%g, %g]", k->name, x, k->min, k->max);
            return -1;
        }
        return 0;
    }
    case CX_CT_BOOL:
        if (!strcasecmp(v, "true") || !strcasecmp(v, "false") || !strcmp(v, "1") || !strcmp(v, "0") ||
            !strcasecmp(v, "yes") || !strcasecmp(v, "no") || !strcasecmp(v, "on") || !strcasecmp(v, "off"))
            return 0;
        snprintf(why, n, "%s expects true or false, got '%s'", k->name, v);
        return -1;
    case CX_CT_ENUM: {
        size_t vl = strlen(v);
        for (const char *p = k->choices; *p;) {
            const char *bar = strchr(p, '|');
            size_t l = bar ? (size_t)(bar - p) : strlen(p);
            if (l == vl && strncmp(p, v, l) == 0) return 0;
            p += l + (bar ? 1 : 0);
        }
        snprintf(why, n, "%s must be one of %s, got '%s'", k->name, k->choices, v);
        return -1;
    }
    case CX_CT_ENDPOINT:
        if (!strncmp(v, "tcp://", 6) || !strncmp(v, "ipc://", 6) || !strncmp(v, "inproc://", 9)) {
            if (!strncmp(v, "tcp://", 6)) {
                const char *colon = strrchr(v + 6, ':');
                if (!colon || !colon[1] || strspn(colon + 1, "0123456789*") != strlen(colon + 1)) {
                    snprintf(why, n, "%s: a tcp endpoint needs host:port, got '%s'", k->name, v);
                    return -1;
                }
            }
            return 0;
        }
        snprintf(why, n, "%s must be a ZeroMQ endpoint (tcp://host:port or ipc://path), got '%s'", k->name, v);
        return -1;
    }
    return -1;
}

static cx_conf *conf_new(void) {
    cx_conf *c = cx_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->values = cx_calloc(cx_conf_nkeys, sizeof *c->values);
    c->lines = cx_calloc(cx_conf_nkeys, sizeof *c->lines);
    if (!c->values || !c->lines) { cx_conf_destroy(&c); return NULL; }
    for (size_t i = 0; i < cx_conf_nkeys; i++) {
        c->values[i] = cx_strdup(cx_conf_keys[i].def);
        if (!c->values[i]) { cx_conf_destroy(&c); return NULL; }
    }
    return c;
}

void cx_conf_destroy(cx_conf **cp) {
    if (!cp || !*cp) return;
    cx_conf *c = *cp;
    if (c->values)
        for (size_t i = 0; i < cx_conf_nkeys; i++) cx_free(c->values[i]);
    cx_free(c->values);
    cx_free(c->lines);
    for (size_t i = 0; i < c->nextras; i++) { cx_free(c->extras[i].name); cx_free(c->extras[i].value); }
    cx_free(c->extras);
    cx_free(c->file);
    cx_free(c->dir);
    cx_free(c);
    *cp = NULL;
}

static int add_extra(cx_conf *c, const char *key, const char *value, int line) {
    if (c->nextras == c->capextras) {
        size_t nc = c->capextras ? c->capextras * 2 : 8;
        extra *ne = cx_realloc(c->extras, nc * sizeof *ne);
        if (!ne) return -1;
        c->extras = ne;
        c->capextras = nc;
    }
    extra *e = &c->extras[c->nextras];
    e->name = cx_strdup(key);
    e->value = cx_strdup(value);
    e->line = line;
    if (!e->name || !e->value) { cx_free(e->name); cx_free(e->value); return -1; }
    c->nextras++;
    return 0;
}

static int is_extra_key(const char *key) {
    return (!strncmp(key, "kafka.", 6) && key[6]) || (!strncmp(key, "pii.pattern.", 12) && key[12]);
}

/* Set key at line (line 0 means command line). */
static int set_at(cx_conf *c, const char *key, const char *value, int line, char *why, size_t n) {
    int i = key_index(key);
    if (i < 0) {
        if (!is_extra_key(key)) { snprintf(why, n, "unknown key '%s'", key); return -1; }
        for (size_t j = 0; j < c->nextras; j++)
            if (!strcmp(c->extras[j].name, key)) {
                if (line > 0) { snprintf(why, n, "duplicate key '%s' (first set on line %d)", key, c->extras[j].line); return -1; }
                char *nv = cx_strdup(value);
                if (!nv) { snprintf(why, n, "out of memory"); return -1; }
                cx_free(c->extras[j].value);
                c->extras[j].value = nv;
                return 0;
            }
        if (add_extra(c, key, value, line) < 0) { snprintf(why, n, "out of memory"); return -1; }
        return 0;
    }
    if (line > 0 && c->lines[i] > 0) {
        snprintf(why, n, "duplicate key '%s' (first set on line %d)", key, c->lines[i]);
        return -1;
    }
    if (check_value(&cx_conf_keys[i], value, why, n) < 0) return -1;
    char *nv = cx_strdup(value);
    if (!nv) { snprintf(why, n, "out of memory"); return -1; }
    cx_free(c->values[i]);
    c->values[i] = nv;
    c->lines[i] = line > 0 ? line : -1;
    return 0;
}

int cx_conf_set(cx_conf *c, const char *key, const char *value, char *err, size_t errlen) {
    char why[512];
    if (set_at(c, key, value, 0, why, sizeof why) < 0) {
        snprintf(err, errlen, "command line: %s", why);
        return -1;
    }
    return 0;
}

int cx_conf_set_kv(cx_conf *c, const char *kv, char *err, size_t errlen) {
    const char *eq = strchr(kv, '=');
    char key[256];
    if (!eq || (size_t)(eq - kv) >= sizeof key) {
        snprintf(err, errlen, "expected key=value, got '%s'", kv);
        return -1;
    }
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    return cx_conf_set(c, key, eq + 1, err, errlen);
}

/* Parse one line in place.  Returns 1 for key/value, 0 for blank, -1 error. */
static int parse_line(char *s, char **key, char **val, char *why, size_t n) {
    while (isspace((unsigned char)*s)) s++;
    if (!*s || *s == '#') return 0;
    char *k = s;
    while (*s && (isalnum((unsigned char)*s) || *s == '.' || *s == '_' || *s == '-')) s++;
    char *kend = s;
    while (*s == ' ' || *s == '\t') s++;
    if (kend == k) { snprintf(why, n, "expected 'key = value'"); return -1; }
    if (*s != '=') { snprintf(why, n, "expected '=' after key '%.*s'", (int)(kend - k), k); return -1; }
    *kend = '\0';
    s++;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '"') {
        char *out = ++s, *v = out;
        for (;;) {
            if (!*s || *s == '\n' || *s == '\r') { snprintf(why, n, "unbalanced quote in value of '%s'", k); return -1; }
            if (*s == '\\' && (s[1] == '"' || s[1] == '\\')) { *out++ = s[1]; s += 2; continue; }
            if (*s == '"') break;
            *out++ = *s++;
        }
        s++;
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
        if (*s && *s != '#') { snprintf(why, n, "unexpected text after quoted value of '%s'", k); return -1; }
        *out = '\0';
        *key = k;
        *val = v;
        return 1;
    }
    char *v = s;
    /* an unquoted value ends at a '#' that follows whitespace, or the line end */
    for (char *p = s; *p; p++)
        if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) { *p = '\0'; break; }
    if (strchr(v, '"')) { snprintf(why, n, "unbalanced quote in value of '%s'", k); return -1; }
    size_t l = strlen(v);
    while (l && isspace((unsigned char)v[l - 1])) v[--l] = '\0';
    *key = k;
    *val = v;
    return 1;
}

cx_conf *cx_conf_load(const char *path, char *err, size_t errlen) {
    cx_conf *c = conf_new();
    if (!c) { snprintf(err, errlen, "out of memory"); return NULL; }
    if (!path) return c;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        cx_conf_destroy(&c);
        return NULL;
    }
    c->file = cx_strdup(path);
    const char *slash = strrchr(path, '/');
    c->dir = slash ? cx_strndup(path, (size_t)(slash - path)) : cx_strdup(".");
    if (!c->file || !c->dir) { snprintf(err, errlen, "out of memory"); goto fail; }
    char buf[8192];
    int line = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        size_t l = strlen(buf);
        if (l == sizeof buf - 1 && buf[l - 1] != '\n') {
            snprintf(err, errlen, "%s:%d: line too long (max %zu bytes)", path, line, sizeof buf - 2);
            goto fail;
        }
        char *k, *v, why[512];
        int r = parse_line(buf, &k, &v, why, sizeof why);
        if (r == 0) continue;
        if (r < 0 || set_at(c, k, v, line, why, sizeof why) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, line, why);
            goto fail;
        }
    }
    if (ferror(f)) { snprintf(err, errlen, "%s: read error", path); goto fail; }
    fclose(f);
    /* cross-key checks */
    if (cx_conf_dbl(c, "sentiment.negative_threshold") >= cx_conf_dbl(c, "sentiment.positive_threshold")) {
        char o[256];
        snprintf(err, errlen, "%s: sentiment.negative_threshold must be below sentiment.positive_threshold",
                 cx_conf_origin(c, "sentiment.negative_threshold", o, sizeof o));
        cx_conf_destroy(&c);
        return NULL;
    }
    return c;
fail:
    fclose(f);
    cx_conf_destroy(&c);
    return NULL;
}

static int idx_checked(const char *key, cx_conf_type t1, cx_conf_type t2) {
    int i = key_index(key);
    assert(i >= 0 && "config key not in cx_conf_keys[]");
    assert(cx_conf_keys[i].type == t1 || cx_conf_keys[i].type == t2);
    (void)t1; (void)t2;
    return i;
}

const char *cx_conf_str(const cx_conf *c, const char *key) {
    int i = key_index(key);
    assert(i >= 0 && "config key not in cx_conf_keys[]");
    return c->values[i];
}

long long cx_conf_int(const cx_conf *c, const char *key) {
    return strtoll(c->values[idx_checked(key, CX_CT_INT, CX_CT_INT)], NULL, 10);
}

double cx_conf_dbl(const cx_conf *c, const char *key) {
    return strtod(c->values[idx_checked(key, CX_CT_DBL, CX_CT_DBL)], NULL);
}

int cx_conf_bool(const cx_conf *c, const char *key) {
    const char *v = c->values[idx_checked(key, CX_CT_BOOL, CX_CT_BOOL)];
    return !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on");
}

const char *cx_conf_path(const cx_conf *c, const char *key, char *buf, size_t n) {
    const char *v = c->values[idx_checked(key, CX_CT_PATH, CX_CT_PATH)];
    if (!*v || v[0] == '/' || !c->dir) snprintf(buf, n, "%s", v);
    else snprintf(buf, n, "%s/%s", c->dir, v);
    return buf;
}

const char *cx_conf_origin(const cx_conf *c, const char *key, char *buf, size_t n) {
    int i = key_index(key);
    if (i >= 0 && c->lines[i] > 0) snprintf(buf, n, "%s:%d", c->file, c->lines[i]);
    else if (i >= 0 && c->lines[i] < 0) snprintf(buf, n, "command line");
    else {
        for (size_t j = 0; j < c->nextras; j++)
            if (!strcmp(c->extras[j].name, key)) {
                if (c->extras[j].line > 0) snprintf(buf, n, "%s:%d", c->file, c->extras[j].line);
                else snprintf(buf, n, "command line");
                return buf;
            }
        snprintf(buf, n, "%s (default)", c->file ? c->file : "built-in");
    }
    return buf;
}

const char *cx_conf_file(const cx_conf *c) { return c->file ? c->file : "(built-in defaults)"; }

int cx_conf_each(const cx_conf *c, const char *prefix, cx_conf_each_cb cb, void *arg) {
    size_t pl = strlen(prefix);
    for (size_t j = 0; j < c->nextras; j++)
        if (!strncmp(c->extras[j].name, prefix, pl)) {
            int r = cb(c->extras[j].name + pl, c->extras[j].value, c->extras[j].line, arg);
            if (r) return r;
        }
    return 0;
}

static const char *type_name(const cx_conf_key *k, char *buf, size_t n) {
    switch (k->type) {
    case CX_CT_STR: return "string";
    case CX_CT_PATH: return "path";
    case CX_CT_BOOL: return "true|false";
    case CX_CT_ENDPOINT: return "ZeroMQ endpoint";
    case CX_CT_ENUM: snprintf(buf, n, "one of %s", k->choices); return buf;
    case CX_CT_INT: snprintf(buf, n, "integer %.0f..%.0f", k->min, k->max); return buf;
    case CX_CT_DBL: snprintf(buf, n, "number %g..%g", k->min, k->max); return buf;
    }
    return "?";
}

static int needs_quotes(const char *v) { return !*v || strchr(v, '#') || strchr(v, ' ') || strchr(v, '"'); }

void cx_conf_template(FILE *out) {
    fprintf(out, "# pipeline.conf - cxflow configuration.\n"
                 "#\n"
                 "# Generated from the one table of keys (stages/core/cx_conf_keys.c) by\n"
                 "# `tools/cxflow config --template`; a test checks this file against it.\n"
                 "# Syntax: key = value; '#' starts a comment; quote values with spaces or '#'.\n"
                 "# Relative paths are relative to this file's directory.\n"
                 "# An unknown key or a bad value stops start-up with file:line and the reason.\n"
                 "#\n"
                 "# Any other kafka.* key is passed to librdkafka without the prefix, e.g.\n"
                 "#   kafka.security.protocol = SASL_SSL\n"
                 "#   kafka.sasl.mechanism = SCRAM-SHA-512\n"
                 "# pii.pattern.NAME = REGEX (PCRE2) adds a redaction pattern: matches become [NAME].\n");
    const char *section = "";
    for (size_t i = 0; i < cx_conf_nkeys; i++) {
        const cx_conf_key *k = &cx_conf_keys[i];
        if (strcmp(section, k->section)) {
            section = k->section;
            fprintf(out, "\n# ---- %s ----\n", section);
        }
        char tb[128];
        fprintf(out, "\n# %s (%s)\n", k->help, type_name(k, tb, sizeof tb));
        const char *v = k->def;
        if (k->shipped) {
            fprintf(out, "# (the built-in default, when this line is absent: \"%s\")\n", k->def);
            v = k->shipped;
        }
        if (needs_quotes(v)) fprintf(out, "%s = \"%s\"\n", k->name, v);
        else fprintf(out, "%s = %s\n", k->name, v);
    }
}

void cx_conf_markdown(FILE *out) {
    fprintf(out, "# Configuration keys\n\n"
                 "Generated by `tools/cxflow config --markdown` from stages/core/cx_conf_keys.c.\n\n"
                 "| key | type | default | meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; i < cx_conf_nkeys; i++) {
        const cx_conf_key *k = &cx_conf_keys[i];
        char tb[128];
        if (k->shipped)
            fprintf(out, "| `%s` | %s | `%s` (pipeline.conf: `%s`) | %s |\n", k->name, type_name(k, tb, sizeof tb),
                    *k->def ? k->def : "\"\"", k->shipped, k->help);
        else
            fprintf(out, "| `%s` | %s | `%s` | %s |\n", k->name, type_name(k, tb, sizeof tb), k->def, k->help);
    }
    fprintf(out, "| `kafka.<property>` | string | | passed to librdkafka as `<property>` |\n"
                 "| `pii.pattern.<NAME>` | PCRE2 regex | | extra redaction pattern; matches become `[NAME]` |\n");
}
