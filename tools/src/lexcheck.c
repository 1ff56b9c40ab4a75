/* lexcheck.c - cxflow-lexcheck: validate a lexicon directory before the
 * pipeline loads it (`tools/cxflow lexicon check [DIR]`).
 *
 *   cxflow-lexcheck [-c FILE] [-o key=value]... [DIR]
 *
 * DIR defaults to lexicons.dir of the configuration.  Every problem is
 * printed as "file:line: reason" (an error) or "file:line: warning: reason",
 * "file: ..." alone for a problem of the whole file, sorted by file and line,
 * then one summary line
 *
 *   lexicon_check files=N entries=M errors=E warnings=W
 *
 * Exit status 0 without errors, 1 with errors, 2 on bad usage (no such
 * directory, bad arguments or configuration).
 *
 * The checks go through the loaders themselves wherever they can, so that
 * the checker and the pipeline cannot disagree:
 *  - every file the tag stage reads (themes/taxonomy.tsv, sentiment/<lang>.tsv
 *    and emoji.tsv, rules/<lang>.tsv, themes/<lang>.tsv, themes/names/<lang>.tsv,
 *    signals/<lang>.tsv) is loaded alone by
 *    cx_tagger_new in a scratch directory.  That loader stops at the first
 *    bad line, so the line is reported, blanked, and the file loaded again
 *    until it loads; then its warnings are reported (terms it skips, unknown
 *    rule kinds, theme ids missing from the taxonomy, undefined parents);
 *  - the tokenize stage's loader, in report mode (cx_lex_load_report),
 *    names every line of stopwords/, stemming/ and rules/ it skips;
 *  - duplicates are found on the key each loader stores a term under: the
 *    words cx_text_analyze makes of the term with the file's language forced
 *    (plus the kind for rules, the theme for themes), the suffix as
 *    cx_text__norm_term normalises it, and for stop words also the key of
 *    the language identifier, which reads the same files;
 *  - a language is known when the language identifier can name it or
 *    Snowball has a stemmer for it.
 * What no loader checks is added here: the encoding (UTF-8 without a BOM,
 * LF line endings, no NUL, lines the tokenize loader can read whole), plain
 * decimal numbers, rule weights that make sense for their kind, file
 * names, and (a warning) one-word theme and signal terms whose stem is the
 * stem of an inflected stop word of their language: the tag stage matches
 * terms on stems, so such a term fires on every occurrence of the stop word
 * ("comida" and "como" share the stem com).  At most one error is reported
 * per line (the first found).
 *
 * Learned lexicons (lexicons/learned/NAME/sentiment.tsv) are loaded with
 * cx_learned_load when this build has it; that loader stops at the first
 * problem of a file.
 *
 * A user theme directory (themes.user_dir: taxonomy.tsv, <lang>.tsv,
 * names/<lang>.tsv, signals/<lang>.tsv, and none of the lexicon
 * subdirectories) is recognised as such, or named with --user: its files are
 * loaded by cx_tagger_new together with the lexicons of lexicons.dir (or
 * --lexicons DIR), exactly as the tag stage loads them, line by line until
 * they load. */
#include "cx_alloc.h"
#include "cx_conf.h"
#include "cx_env.h"
#include "cx_log.h"
#include "cx_tag_int.h"
#include "cx_tagger.h"
#include "cx_text.h"
#include "cx_text_int.h"
#include "langid.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unicode/utf8.h>

#if defined(__has_include)
#if __has_include("cx_tag_learned.h")
#include "cx_tag_learned.h"
#include "cx_tag_ltheme.h"
#define LC_HAVE_LEARNED 1
#endif
#endif

#define LC_MAX_LOADER_ERRORS 100  /* tag-loader errors per file before giving up on it */
#define LC_MAX_UTF8_ERRORS 20     /* invalid UTF-8 lines reported per file */
#define LC_MAX_KEY 2048           /* bytes of a duplicate key */
/* The tokenize loader reads lines with fgets into 4096 bytes: a longer line
 * (its '\n' included) is read as two. */
#define LC_LEX_MAX_LINE 4094

/* What a file is, by its place and name. */
enum { K_TAX, K_SENTI, K_EMOJI, K_RULES, K_THEMES, K_STOP, K_STEM, K_NAMES, K_SIGNALS };

typedef struct lc_file {
    char *rel;            /* "sentiment/en.tsv" */
    char *path;           /* DIR/rel, as printed and as the tokenize loader names it */
    int kind;             /* K_* */
    char lang[8];         /* the file's language; "en" for emoji.tsv (the tag loader's choice) */
    char *data;           /* the whole file, NUL-terminated */
    size_t len;
    int nlines;
    unsigned char *bad;   /* bad[line]: an error was reported for the line (1..nlines) */
    int has_nul;          /* the tag loader refuses the whole file */
    int entries;
} lc_file;

typedef struct lc_problem {
    const char *path;     /* the file or directory (lc_file.path, or owned by lc.paths) */
    int line;             /* 0: the whole file */
    int warning;
    size_t seq;           /* order of discovery, for a stable sort */
    char *msg;
} lc_problem;

typedef struct lc {
    char dir[4096];       /* as given, without trailing slashes */
    lc_file *f;
    size_t nf, capf;
    lc_problem *p;
    size_t np, capp;
    size_t errors, warnings, entries;
    cx_text *tx;          /* built on dir exactly like the stages build theirs */
    char scratch[4096];   /* scratch directory for the tag loader ("" until made) */
    char *paths[64];      /* paths of path_warning problems */
    size_t npaths;
    char *taxdata;        /* taxonomy.tsv with its bad lines blanked (for themes and names files) */
    char base[4096];      /* user-dir mode: the lexicons the user dir adds to ("" otherwise) */
    size_t taxlen;
    int oom;
} lc;

/* ---- problems ---- */

/* Record a problem of file fi (line 0: the whole file).  An error on a line
 * that already has one is dropped: the first reason found is the one shown. */
static void problem(lc *c, int fi, int line, int warning, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void problem(lc *c, int fi, int line, int warning, const char *fmt, ...) {
    lc_file *f = &c->f[fi];
    if (line < 0 || line > f->nlines) line = 0;
    if (!warning && line > 0) {
        if (f->bad[line]) return;
        f->bad[line] = 1;
    }
    if (c->np == c->capp) {
        size_t nc = c->capp ? c->capp * 2 : 64;
        lc_problem *np = cx_realloc(c->p, nc * sizeof *np);
        if (!np) { c->oom = 1; return; }
        c->p = np;
        c->capp = nc;
    }
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *m = cx_strdup(msg);
    if (!m) { c->oom = 1; return; }
    c->p[c->np] = (lc_problem){f->path, line, warning, c->np, m};
    c->np++;
    if (warning) c->warnings++;
    else c->errors++;
}

/* A warning about a path that is not a lexicon file (a stray file or
 * directory). */
static void path_warning(lc *c, const char *path, const char *msg) {
    if (c->np == c->capp) {
        size_t nc = c->capp ? c->capp * 2 : 64;
        lc_problem *np = cx_realloc(c->p, nc * sizeof *np);
        if (np) {
            c->p = np;
            c->capp = nc;
        }
    }
    if (c->npaths == sizeof c->paths / sizeof c->paths[0] || c->np == c->capp) {
        printf("%s: warning: %s\n", path, msg);   /* no room to sort it in: print it now */
        c->warnings++;
        return;
    }
    char *p = cx_strdup(path), *m = cx_strdup(msg);
    if (!p || !m) { cx_free(p); cx_free(m); c->oom = 1; return; }
    c->paths[c->npaths++] = p;
    c->p[c->np] = (lc_problem){p, 0, 1, c->np, m};
    c->np++;
    c->warnings++;
}

static int cmp_problem(const void *a, const void *b) {
    const lc_problem *x = a, *y = b;
    int r = strcmp(x->path, y->path);
    if (r) return r;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- files ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names in directory path, sorted; NULL when it cannot be read. */
static char **list_dir(const char *path, size_t *n) {
    DIR *d = opendir(path);
    *n = 0;
    if (!d) return NULL;
    size_t cap = 16;
    char **v = cx_malloc(cap * sizeof *v);
    struct dirent *de;
    while (v && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (*n == cap) {
            char **nv = cx_realloc(v, cap * 2 * sizeof *nv);
            if (!nv) break;
            v = nv;
            cap *= 2;
        }
        if (!(v[*n] = cx_strdup(de->d_name))) break;
        (*n)++;
    }
    closedir(d);
    if (v && *n) qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void free_list(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) cx_free(v[i]);
    cx_free(v);
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The language code of a file name "<code><ext>" as both loaders accept
 * it: 2-3 lower-case ASCII letters.  1 / 0. */
static int lang_name(const char *name, const char *ext, char code[8]) {
    size_t n = strlen(name), el = strlen(ext);
    if (n <= el || strcmp(name + n - el, ext)) return 0;
    n -= el;
    if (n < 2 || n > 3) return 0;
    for (size_t i = 0; i < n; i++) {
        if (name[i] < 'a' || name[i] > 'z') return 0;
        code[i] = name[i];
    }
    code[n] = '\0';
    return 1;
}

/* Read a whole file; 0 / -1 with errno. */
static int slurp(const char *path, char **out, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    size_t cap = 65536, n = 0;
    char *b = cx_malloc(cap);
    while (b) {
        if (cap - n < 2) {
            char *nb = cx_realloc(b, cap * 2);
            if (!nb) { cx_free(b); b = NULL; break; }
            b = nb;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n - 1, fp);
        n += r;
        if (!r) break;
    }
    int bad = !b || ferror(fp);
    fclose(fp);
    if (bad) {
        cx_free(b);
        errno = b ? EIO : ENOMEM;
        return -1;
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return 0;
}

/* Register DIR/rel as a file of kind (lang: its language).  Returns its
 * index, -1 when it cannot be read (reported) or memory ran out. */
static int add_file(lc *c, const char *rel, int kind, const char *lang) {
    if (c->nf == c->capf) {
        size_t nc = c->capf ? c->capf * 2 : 64;
        lc_file *nf = cx_realloc(c->f, nc * sizeof *nf);
        if (!nf) { c->oom = 1; return -1; }
        c->f = nf;
        c->capf = nc;
    }
    lc_file *f = &c->f[c->nf];
    memset(f, 0, sizeof *f);
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", c->dir, rel);
    f->rel = cx_strdup(rel);
    f->path = cx_strdup(path);
    f->kind = kind;
    snprintf(f->lang, sizeof f->lang, "%s", lang);
    if (!f->rel || !f->path) {
        cx_free(f->rel);
        cx_free(f->path);
        c->oom = 1;
        return -1;
    }
    int fi = (int)c->nf++;
    if (slurp(path, &f->data, &f->len) < 0) {
        f->data = NULL;
        problem(c, fi, 0, 0, "cannot read: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < f->len; i++) f->nlines += f->data[i] == '\n';
    if (f->len && f->data[f->len - 1] != '\n') f->nlines++;
    if (!(f->bad = cx_calloc((size_t)f->nlines + 2, 1))) { c->oom = 1; return -1; }
    return fi;
}

/* Line number -> its text: iterate with next_line from pos 0.  Returns the
 * line's start and length (without '\n'), 0 at the end. */
static int next_line(const lc_file *f, size_t *pos, const char **s, size_t *n) {
    if (*pos >= f->len) return 0;
    const char *p = f->data + *pos;
    const char *nl = memchr(p, '\n', f->len - *pos);
    *s = p;
    *n = nl ? (size_t)(nl - p) : f->len - *pos;
    *pos += *n + (nl != NULL);
    return 1;
}

/* A NUL-terminated copy of the n bytes at s in *buf (grown as needed, at
 * least 4 KiB), or NULL when memory runs out (*buf is then freed). */
static char *line_copy(char **buf, size_t *cap, const char *s, size_t n) {
    if (n + 1 > *cap) {
        cx_free(*buf);
        *cap = n + 1 > 4096 ? n + 1 : 4096;
        if (!(*buf = cx_malloc(*cap))) {
            *cap = 0;
            return NULL;
        }
    }
    memcpy(*buf, s, n);
    (*buf)[n] = '\0';
    return *buf;
}

/* ---- encoding ---- */

/* UTF-8 without a BOM, no NUL, LF line endings; lines the tokenize loader
 * reads whole. */
static void check_encoding(lc *c, int fi) {
    lc_file *f = &c->f[fi];
    const uint8_t *d = (const uint8_t *)f->data;
    if (f->len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
        problem(c, fi, 1, 0, "starts with a UTF-8 byte-order mark: save the file without it");
    int read_by_lex = f->kind == K_RULES || f->kind == K_STOP || f->kind == K_STEM || f->kind == K_SENTI;
    int line = 1, utf8_bad = 0, cr = 0, cr_line = 0, bad_line = 0;
    size_t start = 0;
    for (size_t i = 0; i <= f->len;) {
        if (i == f->len || d[i] == '\n') {
            if (read_by_lex && i - start > LC_LEX_MAX_LINE)
                problem(c, fi, line, 0, "line of %zu bytes: the tokenize stage reads at most %d per line", i - start,
                        LC_LEX_MAX_LINE);
            if (i == f->len) break;
            line++;
            start = ++i;
            continue;
        }
        if (d[i] == '\r') {
            if (!cr++) cr_line = line;
            i++;
            continue;
        }
        if (d[i] == 0) {
            if (!f->has_nul)
                problem(c, fi, line, 0, "NUL byte (not a text file: the tag stage refuses the whole file)");
            f->has_nul = 1;
            i++;
            continue;
        }
        if (d[i] < 0x80) { i++; continue; }
        int32_t j = (int32_t)i, len = f->len > INT32_MAX ? INT32_MAX : (int32_t)f->len;
        UChar32 cp;
        U8_NEXT(d, j, len, cp);
        if (cp < 0 && bad_line != line) {
            bad_line = line;
            if (++utf8_bad <= LC_MAX_UTF8_ERRORS)
                problem(c, fi, line, 0, "invalid UTF-8 (byte 0x%02X at byte %zu of the line)", d[i], i - start + 1);
        }
        i = (size_t)j > i ? (size_t)j : i + 1;
    }
    if (utf8_bad > LC_MAX_UTF8_ERRORS)
        problem(c, fi, 0, 0, "%d more lines with invalid UTF-8", utf8_bad - LC_MAX_UTF8_ERRORS);
    if (cr) problem(c, fi, cr_line, 0, "CR line ending (%d line%s from here): save with LF line endings only", cr,
                    cr > 1 ? "s" : "");
}

/* ---- the tag stage's loader ---- */

/* "PREFIX:LINE: rest" or "PREFIX: rest" -> line (0 without one) and rest.
 * 1 when msg starts with prefix. */
static int parse_loc(const char *msg, const char *prefix, int *line, const char **rest) {
    size_t pl = strlen(prefix);
    if (strncmp(msg, prefix, pl) || msg[pl] != ':') return 0;
    const char *p = msg + pl + 1;
    *line = 0;
    if (isdigit((unsigned char)*p)) {
        char *end;
        long l = strtol(p, &end, 10);
        if (*end != ':') return 0;
        *line = l > 0 && l < INT32_MAX ? (int)l : 0;
        p = end + 1;
    }
    while (*p == ' ') p++;
    *rest = p;
    return 1;
}

static int write_all(const char *path, const char *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    int rc = fwrite(data, 1, len, fp) == len ? 0 : -1;
    if (fclose(fp) != 0) rc = -1;
    return rc;
}

/* Blank line (1-based) of data in place: spaces, so that the loader skips
 * it and every other line keeps its number. */
static void blank_line(char *data, size_t len, int line) {
    size_t i = 0;
    for (int l = 1; l < line && i < len; i++)
        if (data[i] == '\n') l++;
    for (; i < len && data[i] != '\n'; i++) data[i] = ' ';
}

/* The line of taxonomy.tsv that defines theme id, 0 when none does. */
static int tax_line_of(const lc_file *f, const char *id, size_t idlen) {
    size_t pos = 0, n;
    const char *s;
    for (int line = 1; next_line(f, &pos, &s, &n); line++) {
        while (n && (*s == ' ' || *s == '\t')) { s++; n--; }
        size_t k = 0;
        while (k < n && s[k] != '\t' && s[k] != ' ') k++;
        if (k == idlen && !memcmp(s, id, k) && !f->bad[line]) return line;
    }
    return 0;
}

/* A loader warning of taxonomy.tsv has no line: find the first quoted theme
 * id in msg that the taxonomy defines. */
static int tax_warning_line(const lc_file *f, const char *msg) {
    for (const char *q = strchr(msg, '\''); q; q = strchr(q, '\'')) {
        const char *e = strchr(q + 1, '\'');
        if (!e) break;
        int line = tax_line_of(f, q + 1, (size_t)(e - q - 1));
        if (line) return line;
        q = e + 1;
    }
    return 0;
}

/* Which tag-loader warnings are errors here: the loader goes on without the
 * line (a skipped term, an ignored rule kind) or guesses (a theme id missing
 * from the taxonomy, a parent that does not exist). */
static int tag_warning_is_error(const char *msg) {
    return strstr(msg, " skipped: ") || strstr(msg, "unknown rule kind") || strstr(msg, "not in themes/taxonomy.tsv") ||
           strstr(msg, "is not defined") || strstr(msg, "parents lead back");
}

/* Load file fi alone with cx_tagger_new (themes files with the taxonomy)
 * until it loads, reporting each line the loader stops at, then its
 * warnings. */
static void tag_check(lc *c, int fi) {
    lc_file *f = &c->f[fi];
    if (f->has_nul || !f->data) return;
    char target[8192], tax[8192];
    snprintf(target, sizeof target, "%s/%s", c->scratch, f->rel);
    snprintf(tax, sizeof tax, "%s/themes/taxonomy.tsv", c->scratch);
    char *copy = cx_malloc(f->len + 1);
    if (!copy) { c->oom = 1; return; }
    memcpy(copy, f->data, f->len + 1);
    for (int errors = 0;; errors++) {
        if (errors == LC_MAX_LOADER_ERRORS) {
            problem(c, fi, 0, 0, "more than %d lines the tag stage refuses: the rest of the file was not loaded",
                    LC_MAX_LOADER_ERRORS);
            break;
        }
        if (write_all(target, copy, f->len) < 0 ||
            ((f->kind == K_THEMES || f->kind == K_NAMES) && c->taxdata && write_all(tax, c->taxdata, c->taxlen) < 0)) {
            problem(c, fi, 0, 0, "cannot write a scratch copy under %s: %s", c->scratch, strerror(errno));
            break;
        }
        cx_tagger_opts o = {.lexicon_dir = c->scratch, .positive_threshold = 0.05, .negative_threshold = -0.05,
                            .text = c->tx, .no_explain = 1};
        char err[1024] = "";
        cx_tagger *t = cx_tagger_new(&o, err, sizeof err);
        int line;
        const char *rest;
        if (!t) {
            if (parse_loc(err, target, &line, &rest) && line > 0 && line <= f->nlines) {
                problem(c, fi, line, 0, "%s", rest);
                blank_line(copy, f->len, line);
                continue;
            }
            if (parse_loc(err, target, &line, &rest)) problem(c, fi, 0, 0, "%s", rest);
            else problem(c, fi, 0, 0, "the tag stage cannot load it: %s", err);
            break;
        }
        cx_tagger_stats st;
        cx_tagger_get_stats(t, &st);
        for (size_t i = 0; cx_tagger_warning(t, i); i++) {
            const char *w = cx_tagger_warning(t, i);
            if (!parse_loc(w, target, &line, &rest)) continue;   /* the taxonomy's, when checking themes */
            if (!line && f->kind == K_TAX) line = tax_warning_line(f, rest);
            problem(c, fi, line, !tag_warning_is_error(rest), "%s", rest);
        }
        if (st.warnings > CX_TAG_MAX_WARNINGS)
            problem(c, fi, 0, 1, "the tag loader gave %zu warnings; only the first %d are shown", st.warnings,
                    CX_TAG_MAX_WARNINGS);
        cx_tagger_destroy(&t);
        break;
    }
    unlink(target);
    if (f->kind == K_THEMES || f->kind == K_NAMES) unlink(tax);
    if (f->kind == K_TAX) {
        cx_free(c->taxdata);
        c->taxdata = copy;
        c->taxlen = f->len;
    } else {
        cx_free(copy);
    }
}

/* ---- the tokenize stage's loader ---- */

static void lex_report(void *arg, const char *path, int line, int warning, const char *why) {
    lc *c = arg;
    for (size_t i = 0; i < c->nf; i++)
        if (!strcmp(c->f[i].path, path)) {
            problem(c, (int)i, line, warning, "%s%s", line ? "the tokenize stage skips this line: " : "", why);
            return;
        }
}

/* ---- our own checks, on the lines the loaders accepted ---- */

/* Split an entry line the way the tag loader does (comments and blank lines
 * give 0; a run of TABs separates two fields; fields are trimmed).  s is
 * modified.  *runs is set when a run of several TABs was seen. */
static int split_fields(char *s, char **f, int max, int *runs) {
    while (*s == ' ' || *s == '\t' || *s == '\v' || *s == '\f') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\v' || e[-1] == '\f')) *--e = '\0';
    if (!*s || *s == '#') return 0;
    int nf = 0;
    *runs = 0;
    while (*s) {
        char *tab = strchr(s, '\t');
        if (tab) *tab = '\0';
        char *a = s;
        while (*a == ' ') a++;
        char *b = a + strlen(a);
        while (b > a && b[-1] == ' ') *--b = '\0';
        if (nf < max) f[nf] = a;
        nf++;
        if (!tab) break;
        s = tab + 1;
        if (*s == '\t') *runs = 1;
        while (*s == '\t') s++;
    }
    return nf;
}

/* A plain decimal number: [+-]digits[.digits] (what the format promises;
 * the loader's strtod would also take "1e1", "0x2" or "inf"). */
static int plain_number(const char *s) {
    if (*s == '+' || *s == '-') s++;
    int digits = 0;
    while (isdigit((unsigned char)*s)) { s++; digits++; }
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char)*s)) { s++; digits++; }
    }
    return digits && !*s;
}

/* One key under which a loader stores an entry, for the duplicate check. */
typedef struct lc_key {
    char *key;
    int line;
    double val;          /* valence, weight or minimum; NAN when none */
    char *alt;           /* stop words: the language identifier's key, NULL when it ignores the word */
} lc_key;

typedef struct lc_keys {
    lc_key *v;
    size_t n, cap;
} lc_keys;

static void keys_add(lc *c, lc_keys *k, const char *key, int line, double val, const char *alt) {
    if (k->n == k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 256;
        lc_key *nv = cx_realloc(k->v, nc * sizeof *nv);
        if (!nv) { c->oom = 1; return; }
        k->v = nv;
        k->cap = nc;
    }
    char *a = cx_strdup(key), *b = alt ? cx_strdup(alt) : NULL;
    if (!a || (alt && !b)) { cx_free(a); cx_free(b); c->oom = 1; return; }
    k->v[k->n++] = (lc_key){a, line, val, b};
}

static int cmp_key(const void *x, const void *y) {
    const lc_key *a = x, *b = y;
    int r = strcmp(a->key, b->key);
    return r ? r : (a->line > b->line) - (a->line < b->line);
}

/* Report every entry whose key an earlier line of the file already has. */
static void keys_report(lc *c, int fi, lc_keys *k) {
    if (k->n) qsort(k->v, k->n, sizeof *k->v, cmp_key);
    int kind = c->f[fi].kind;
    for (size_t i = 0, j; i < k->n; i = j) {
        for (j = i + 1; j < k->n && !strcmp(k->v[j].key, k->v[i].key); j++) {
            const lc_key *a = &k->v[i], *b = &k->v[j];
            if (kind == K_STOP) {
                /* the language identifier reads single words with its own key: a
                 * spelling it has not seen yet is not a duplicate for it */
                int seen = !b->alt;
                for (size_t m = i; m < j && !seen; m++) seen = k->v[m].alt && !strcmp(k->v[m].alt, b->alt);
                if (!seen) continue;
            }
            const char *shown = strchr(b->key, '\t') ? strchr(b->key, '\t') + 1 : b->key;
            /* the same value: a harmless repeat (often a spelling variant the
             * normalisation already unifies); another value: one is ignored */
            int va = a->val == a->val, vb = b->val == b->val;
            if (va == vb && (!va || a->val == b->val)) {
                problem(c, fi, b->line, 1, "same as line %d after normalisation ('%s'): this line adds nothing",
                        a->line, shown);
                continue;
            }
            const char *what = kind == K_STEM ? "minimum stem" : kind == K_RULES ? "weight" : "valence";
            char here[32] = "none", there[32] = "none";
            if (vb) snprintf(here, sizeof here, "%g", b->val);
            if (va) snprintf(there, sizeof there, "%g", a->val);
            problem(c, fi, b->line, 0, "duplicate of line %d after normalisation ('%s') with another %s (%s here, %s "
                    "there): %s", a->line, shown, what, here, there,
                    kind == K_RULES ? "the last weight given wins" : "this line is ignored");
        }
    }
    for (size_t i = 0; i < k->n; i++) {
        cx_free(k->v[i].key);
        cx_free(k->v[i].alt);
    }
    cx_free(k->v);
    memset(k, 0, sizeof *k);
}

/* The key the tag loader stores term under (norm_term in cx_tag_load.c):
 * the normalised words of cx_text_analyze with lang forced, joined by
 * spaces.  0 when the loader skips the term (no key). */
/* term analysed as the tag loader analyses it (language forced), or NULL
 * when the analysis fails (c->oom set when out of memory). */
static cx_env *analyze_term(lc *c, const char *lang, const char *term) {
    cx_env *e = cx_env_new();
    if (!e || !(e->text = cx_env_strdup(e, term))) {
        cx_env_destroy(&e);
        c->oom = 1;
        return NULL;
    }
    char err[256];
    if (cx_text_analyze(c->tx, e, lang, err, sizeof err) < 0) cx_env_destroy(&e);
    return e;
}

static int tag_key(lc *c, const char *lang, const char *term, char *key, size_t cap) {
    cx_env *e = analyze_term(c, lang, term);
    if (!e) return 0;
    int ok = e->n_tokens > 0 && e->n_tokens <= CX_LEX_MAX_WORDS;
    size_t o = 0;
    for (uint32_t i = 0; ok && i < e->n_tokens; i++) {
        const cx_token *k = &e->tokens[i];
        size_t l = k->norm ? strlen(k->norm) : 0;
        if (!l || k->type == CX_TOK_PUNCT || o + l + 2 > cap) ok = 0;
        else {
            if (i) key[o++] = ' ';
            memcpy(key + o, k->norm, l);
            o += l;
        }
    }
    key[o] = '\0';
    cx_env_destroy(&e);
    return ok;
}

/* The key the tokenize loader stores a stop word under (add_term in
 * cx_lex.c): the non-punctuation words of the analysis without lexicon
 * tables.  0 when it has none or more than it takes. */
static int lex_key(lc *c, const char *lang, const char *term, char *key, size_t cap) {
    cx_env *e = cx_env_new();
    if (!e) { c->oom = 1; return 0; }
    e->text = term;
    char err[256];
    int ok = cx_text__analyze(c->tx, e, lang, NULL, err, sizeof err) == 0;
    size_t o = 0;
    int k = 0;
    for (uint32_t i = 0; ok && i < e->n_tokens; i++) {
        const cx_token *t = &e->tokens[i];
        if (t->type == CX_TOK_PUNCT) continue;
        size_t l = strlen(t->norm);
        if (++k > CX_LX_MAX_PHRASE || o + l + 2 > cap) ok = 0;
        else {
            if (o) key[o++] = ' ';
            memcpy(key + o, t->norm, l);
            o += l;
        }
    }
    key[o] = '\0';
    cx_env_destroy(&e);
    return ok && k > 0;
}

/* Kinds of rules/<lang>.tsv, as both loaders know them. */
static const char *const rule_kinds[] = {"negator", "negator_post", "negator_prefix", "negator_suffix",
                                         "intensifier", "diminisher", "contrast", "request",
                                         "intensifier_post", "diminisher_post", "option"};

/* The weight of a rule line: does it make sense for its kind? */
static void check_weight(lc *c, int fi, int line, const char *kind, const char *ws, double w) {
    if (!strcmp(kind, "option")) return; /* the tag loader checks option values */
    if (!strcmp(kind, "intensifier") || !strcmp(kind, "intensifier_post")) {
        if (w <= 1)
            problem(c, fi, line, 0, "an intensifier's weight multiplies the next sentiment word and must be above 1 "
                    "(%s; %g when left out)", ws, CX_TAG_INTENSIFIER);
        else if (w > CX_TAG_INT_MAX)
            problem(c, fi, line, 1, "intensifier weight %s: the tagger caps stacked weights at %g", ws, CX_TAG_INT_MAX);
    } else if (!strcmp(kind, "diminisher") || !strcmp(kind, "diminisher_post")) {
        if (w >= 1)
            problem(c, fi, line, 0, "a diminisher's weight multiplies the next sentiment word and must be below 1 "
                    "(%s; %g when left out)", ws, CX_TAG_DIMINISHER);
        else if (w < CX_TAG_INT_MIN)
            problem(c, fi, line, 1, "diminisher weight %s: the tagger caps stacked weights at %g", ws, CX_TAG_INT_MIN);
    } else if (strcmp(kind, "contrast")) {
        problem(c, fi, line, 1, "a %s takes no weight (%s is ignored)", kind, ws);
    }
}

/* Field-level checks and duplicate keys of a file the tag stage reads. */
static void check_tag_lines(lc *c, int fi) {
    lc_file *f = &c->f[fi];
    lc_keys keys = {0};
    size_t pos = 0, n;
    const char *s;
    char *buf = NULL;
    size_t bcap = 0;
    for (int line = 1; next_line(f, &pos, &s, &n); line++) {
        char *p = line_copy(&buf, &bcap, s, n);
        if (!p) { c->oom = 1; break; }
        if (line == 1 && (uint8_t)p[0] == 0xEF && (uint8_t)p[1] == 0xBB && (uint8_t)p[2] == 0xBF) p += 3;
        char *fl[8];
        int runs = 0, nf = split_fields(p, fl, 8, &runs);
        if (!nf) continue;
        f->entries++;
        if (f->bad[line]) continue;
        if (runs) problem(c, fi, line, 1, "fields separated by more than one TAB (write one)");
        char key[LC_MAX_KEY];
        double v = NAN;
        if (f->kind == K_SENTI || f->kind == K_EMOJI) {
            if (nf != 2) continue;
            if (!plain_number(fl[1])) {
                problem(c, fi, line, 0, "valence '%s' is not a plain decimal number from -4 to 4", fl[1]);
                continue;
            }
            v = strtod(fl[1], NULL);
            if (tag_key(c, f->lang, fl[0], key, sizeof key)) keys_add(c, &keys, key, line, v, NULL);
        } else if (f->kind == K_RULES) {
            if (nf < 2 || nf > 3) continue;
            int known = 0;
            for (size_t i = 0; i < sizeof rule_kinds / sizeof rule_kinds[0]; i++) known |= !strcmp(fl[0], rule_kinds[i]);
            if (!known) {
                problem(c, fi, line, 0, "unknown rule kind '%s' (known: negator, negator_post, negator_prefix, "
                        "negator_suffix, intensifier, diminisher, contrast, request, intensifier_post, diminisher_post, "
                        "option)", fl[0]);
                continue;
            }
            if (!strcmp(fl[0], "option")) continue; /* option<TAB>name<TAB>value: values checked by the tag loader */
            if (nf == 3) {
                if (!plain_number(fl[2])) {
                    problem(c, fi, line, 0, "weight '%s' is not a plain decimal number", fl[2]);
                    continue;
                }
                v = strtod(fl[2], NULL);
                check_weight(c, fi, line, fl[0], fl[2], v);
            }
            size_t kl = strlen(fl[0]);
            memcpy(key, fl[0], kl);
            key[kl] = '\t';
            int ok;
            if (!strcmp(fl[0], "negator_prefix") || !strcmp(fl[0], "negator_suffix"))
                ok = cx_text__norm_term(c->tx, f->lang, fl[1], strlen(fl[1]), key + kl + 1, sizeof key - kl - 1) > 0;
            else
                ok = tag_key(c, f->lang, fl[1], key + kl + 1, sizeof key - kl - 1);
            if (ok) keys_add(c, &keys, key, line, v, NULL);
        } else if (f->kind == K_SIGNALS) {
            if (nf != 2) continue;
            /* the loader reads "<num>" as a number token */
            char term[1024];
            size_t tl = 0;
            for (const char *q = fl[1]; *q && tl + 4 < sizeof term;) {
                if (!strncmp(q, "<num>", 5)) { memcpy(term + tl, " 7 ", 3); tl += 3; q += 5; }
                else term[tl++] = *q++;
            }
            term[tl] = '\0';
            size_t kl = strlen(fl[0]);
            if (kl + 2 >= sizeof key) continue;
            memcpy(key, fl[0], kl);
            key[kl] = '\t';
            if (tag_key(c, f->lang, term, key + kl + 1, sizeof key - kl - 1)) keys_add(c, &keys, key, line, v, NULL);
        } else if (f->kind == K_THEMES) {
            if (nf != 2) continue;
            size_t kl = strlen(fl[0]);
            if (kl + 2 >= sizeof key) continue;
            memcpy(key, fl[0], kl);
            key[kl] = '\t';
            if (tag_key(c, f->lang, fl[1], key + kl + 1, sizeof key - kl - 1)) keys_add(c, &keys, key, line, v, NULL);
        }
    }
    cx_free(buf);
    keys_report(c, fi, &keys);
}

/* Trim the way the tokenize loader does: blanks, and a trailing CR/LF. */
static char *lex_trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

/* stopwords/<lang>.txt and stemming/<lang>.tsv, read as the tokenize loader
 * reads them. */
static void check_lex_lines(lc *c, int fi) {
    lc_file *f = &c->f[fi];
    lc_keys keys = {0};
    size_t pos = 0, n;
    const char *s;
    char *buf = NULL;
    size_t bcap = 0;
    for (int line = 1; next_line(f, &pos, &s, &n); line++) {
        if (!line_copy(&buf, &bcap, s, n)) { c->oom = 1; break; }
        char *p = lex_trim(buf);
        if (!*p || *p == '#') continue;
        f->entries++;
        if (f->bad[line]) continue;
        char *tab = strchr(p, '\t');
        if (tab) *tab++ = '\0';
        char *term = lex_trim(p), *rest = tab ? lex_trim(tab) : NULL;
        char key[LC_MAX_KEY];
        if (f->kind == K_STOP) {
            if (rest && *rest) problem(c, fi, line, 1, "text after the TAB is ignored (one stop word per line)");
            if (!lex_key(c, f->lang, term, key, sizeof key)) continue;
            char alt[128];
            int single = !strchr(term, ' ') && cx_langid_word_key(term, strlen(term), alt, sizeof alt) > 0;
            keys_add(c, &keys, key, line, NAN, single ? alt : NULL);
        } else {
            double min = 2;
            if (rest && *rest) {
                if (!plain_number(rest) || strchr(rest, '.')) {
                    problem(c, fi, line, 0, "minimum stem '%s' is not a whole number from 1 to 32", rest);
                    continue;
                }
                min = strtod(rest, NULL);
            }
            if (strstr(term, "\xE2\x80\x8C"))
                problem(c, fi, line, 1, "write the suffix without the ZWNJ (a ZWNJ before the cut suffix goes with it)");
            if (cx_text__norm_term(c->tx, f->lang, term, strlen(term), key, sizeof key) > 0)
                keys_add(c, &keys, key, line, min, NULL);
        }
    }
    cx_free(buf);
    keys_report(c, fi, &keys);
}

/* ---- one-word terms that match a stop word's inflections ---- */

/* A one-word term, analysed as the tag loader analyses it (norm_term in
 * cx_tag_load.c): its normalised word and its stem (the normalised word
 * when it has none).  0 when term is not exactly one word. */
static int one_word(lc *c, const char *lang, const char *term, char *norm, size_t ncap, char *stem, size_t scap) {
    cx_env *e = analyze_term(c, lang, term);
    if (!e) return 0;
    int ok = e->n_tokens == 1 &&
             e->tokens[0].type == CX_TOK_WORD && e->tokens[0].norm && e->tokens[0].norm[0];
    if (ok) {
        const cx_token *k = &e->tokens[0];
        const char *st = k->stem && k->stem[0] ? k->stem : k->norm;
        ok = strlen(k->norm) < ncap && strlen(st) < scap;
        if (ok) {
            strcpy(norm, k->norm);
            strcpy(stem, st);
        }
    }
    cx_env_destroy(&e);
    return ok;
}

typedef struct lc_stop {
    char *norm, *stem;
    const char *what;     /* "stop word", "request word", ... */
    int listed;           /* the file being checked lists the word itself (its exact key wins) */
} lc_stop;

static int cmp_stop(const void *x, const void *y) {
    const lc_stop *a = x, *b = y;
    int r = strcmp(a->stem, b->stem);
    return r ? r : strcmp(a->norm, b->norm);
}

static void stop_add(lc *c, lc_stop **v, size_t *n, size_t *cap, const char *norm, const char *stem,
                     const char *what) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i].norm, norm)) return;   /* a stop word that is also a rule word: once */
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 128;
        lc_stop *nv = cx_realloc(*v, nc * sizeof *nv);
        if (!nv) { c->oom = 1; return; }
        *v = nv;
        *cap = nc;
    }
    lc_stop x = {cx_strdup(norm), cx_strdup(stem), what, 0};
    if (!x.norm || !x.stem) {
        cx_free(x.norm);
        cx_free(x.stem);
        c->oom = 1;
        return;
    }
    (*v)[(*n)++] = x;
}

/* The rule kinds whose words are whole words of the text (not affixes). */
static const char *rule_word_what(const char *kind) {
    static const struct { const char *kind, *what; } k[] = {
        {"negator", "negator"}, {"negator_post", "negator"}, {"intensifier", "intensifier"},
        {"diminisher", "diminisher"}, {"contrast", "contrast word"}, {"request", "request word"},
        {"intensifier_post", "intensifier"}, {"diminisher_post", "diminisher"}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (!strcmp(kind, k[i].kind)) return k[i].what;
    return NULL;
}

/* A line of file f as fields (0 for comments, blank and bad lines). */
static int entry_fields(lc_file *f, int line, const char *s, size_t n, char **buf, size_t *bcap, char **fl, int max) {
    char *p = line_copy(buf, bcap, s, n);
    if (!p) return -1;
    if (line == 1 && (uint8_t)p[0] == 0xEF && (uint8_t)p[1] == 0xBB && (uint8_t)p[2] == 0xBF) p += 3;
    int runs = 0, nf = split_fields(p, fl, max, &runs);
    return f->bad[line] ? 0 : nf;
}

/* The tag stage stores a term under its normalised words and under its
 * stems, and matches a text word on its stem when the normalised word does
 * not match.  Stop words and the words of the rules are words like any other
 * there: a one-word theme or signal term whose stem is the stem of an
 * inflected stop word ("comida" -> com, like "como") fires on every
 * occurrence of that word.  Warn about every such term of themes/<lang>.tsv
 * and signals/<lang>.tsv, with the stop words of stopwords/<lang>.txt and
 * the words of rules/<lang>.tsv analysed the same way; a word the file lists
 * as a term itself is left out (its exact key wins over the stem). */
static void check_stop_stems(lc *c) {
    char *buf = NULL;
    size_t bcap = 0, pos, n;
    const char *s;
    for (size_t fi = 0; fi < c->nf; fi++) {
        lc_file *f = &c->f[fi];
        if ((f->kind != K_THEMES && f->kind != K_SIGNALS) || !f->data) continue;
        lc_stop *sw = NULL;
        size_t nsw = 0, capsw = 0;
        char norm[256], stem[256];
        /* the words a stem can reach: inflected ones (an uninflected word is
         * matched by a term's stem key only when it is the term) */
        for (int pass = 0; pass < 2; pass++)
            for (size_t si = 0; si < c->nf; si++) {
                lc_file *sf = &c->f[si];
                if (sf->kind != (pass ? K_RULES : K_STOP) || !sf->data || strcmp(sf->lang, f->lang)) continue;
                pos = 0;
                for (int line = 1; next_line(sf, &pos, &s, &n); line++) {
                    const char *word, *what = "stop word";
                    char *fl[4];
                    if (pass == 0) {
                        if (!line_copy(&buf, &bcap, s, n)) { c->oom = 1; break; }
                        char *p = lex_trim(buf);
                        if (!*p || *p == '#' || sf->bad[line]) continue;
                        char *tab = strchr(p, '\t');
                        if (tab) *tab = '\0';
                        word = lex_trim(p);
                    } else {
                        int nf = entry_fields(sf, line, s, n, &buf, &bcap, fl, 4);
                        if (nf < 0) { c->oom = 1; break; }
                        if (nf < 2 || !(what = rule_word_what(fl[0]))) continue;
                        word = fl[1];
                    }
                    if (one_word(c, f->lang, word, norm, sizeof norm, stem, sizeof stem) && strcmp(norm, stem))
                        stop_add(c, &sw, &nsw, &capsw, norm, stem, what);
                }
            }
        if (!nsw) continue;
        qsort(sw, nsw, sizeof *sw, cmp_stop);
        /* the words the file lists as one-word terms */
        pos = 0;
        for (int line = 1; next_line(f, &pos, &s, &n); line++) {
            char *fl[4];
            int nf = entry_fields(f, line, s, n, &buf, &bcap, fl, 4);
            if (nf < 0) { c->oom = 1; break; }
            if (nf != 2 || !one_word(c, f->lang, fl[1], norm, sizeof norm, stem, sizeof stem)) continue;
            for (size_t m = 0; m < nsw; m++)
                if (!strcmp(sw[m].norm, norm)) sw[m].listed = 1;
        }
        pos = 0;
        for (int line = 1; next_line(f, &pos, &s, &n); line++) {
            char *fl[4];
            int nf = entry_fields(f, line, s, n, &buf, &bcap, fl, 4);
            if (nf < 0) { c->oom = 1; break; }
            if (nf != 2 || strchr(fl[1], '<') || !one_word(c, f->lang, fl[1], norm, sizeof norm, stem, sizeof stem))
                continue;
            size_t lo = 0, hi = nsw;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(sw[mid].stem, stem) < 0) lo = mid + 1;
                else hi = mid;
            }
            char words[512] = "", whose[1024] = "";
            size_t o = 0, ow = 0;
            int hits = 0, mixed = 0;
            const char *what = NULL;
            for (size_t m = lo; m < nsw && !strcmp(sw[m].stem, stem); m++) {
                if (sw[m].listed || !strcmp(sw[m].norm, norm)) continue;
                int w = snprintf(words + o, sizeof words - o, "%s'%s'", hits ? ", " : "", sw[m].norm);
                if (w > 0 && (size_t)w < sizeof words - o) o += (size_t)w;
                w = snprintf(whose + ow, sizeof whose - ow, "%s'%s' (%s)", hits ? ", " : "", sw[m].norm, sw[m].what);
                if (w > 0 && (size_t)w < sizeof whose - ow) ow += (size_t)w;
                if (what && strcmp(what, sw[m].what)) mixed = 1;
                what = sw[m].what;
                hits++;
            }
            if (!hits) continue;
            if (mixed)
                problem(c, (int)fi, line, 1, "term '%s' matches every %s (its stem '%s' is that of %s; use phrases or "
                        "forms whose stem is no such word's)", fl[1], words, stem, whose);
            else
                problem(c, (int)fi, line, 1, "term '%s' matches every %s (its stem '%s' is that of the %s%s %s; use "
                        "phrases or forms whose stem is no such word's)", fl[1], words, stem, what,
                        hits > 1 ? "s" : "", words);
        }
        for (size_t i = 0; i < nsw; i++) {
            cx_free(sw[i].norm);
            cx_free(sw[i].stem);
        }
        cx_free(sw);
    }
    cx_free(buf);
}

/* ---- learned lexicons ---- */

#ifdef LC_HAVE_LEARNED
/* lexicons/learned/NAME/themes.tsv (learned themes): the tag stage's loader.  0 when there is none. */
static int check_learned_themes(lc *c, const char *name) {
    char rel[4096], path[8192];
    snprintf(rel, sizeof rel, "learned/%s/%s", name, CX_LTHEME_FILE);
    snprintf(path, sizeof path, "%s/%s", c->dir, rel);
    if (!is_file(path)) return 0;
    int fi = add_file(c, rel, K_SENTI, "");
    if (fi < 0) return 1;
    c->f[fi].kind = -1;   /* counted, but none of the checks above */
    c->f[fi].entries = 0;
    char err[1024] = "";
    cx_ltheme *m = cx_ltheme_load(path, err, sizeof err);
    if (m) {
        cx_ltheme_info info;
        cx_ltheme_get_info(m, &info);
        c->f[fi].entries = (int)(info.n_weights + info.n_labels);
        cx_ltheme_destroy(&m);
        return 1;
    }
    int line;
    const char *rest;
    if (parse_loc(err, path, &line, &rest)) problem(c, fi, line, 0, "%s (the learned-themes loader stops here)", rest);
    else problem(c, fi, 0, 0, "%s", err);
    return 1;
}
#endif

/* lexicons/learned/NAME/sentiment.tsv and themes.tsv: their own loaders, when this build has them. */
static void check_learned(lc *c) {
    char dir[8192];
    snprintf(dir, sizeof dir, "%s/learned", c->dir);
    size_t n;
    char **names = list_dir(dir, &n);
    if (!names) return;
#ifdef LC_HAVE_LEARNED
    for (size_t i = 0; i < n; i++) {
        char rel[4096], path[8192];
        snprintf(rel, sizeof rel, "learned/%s/%s", names[i], CX_LEARNED_FILE);
        snprintf(path, sizeof path, "%s/%s", c->dir, rel);
        int has_themes = check_learned_themes(c, names[i]);
        if (!is_file(path)) {
            if (!has_themes)
                printf("%s/learned/%s: note: no %s or %s: not a learned lexicon, not checked\n", c->dir, names[i],
                       CX_LEARNED_FILE, CX_LTHEME_FILE);
            continue;
        }
        int fi = add_file(c, rel, K_SENTI, "");
        if (fi < 0) continue;
        c->f[fi].kind = -1;   /* counted, but none of the checks above */
        c->f[fi].entries = 0;
        char err[1024] = "";
        cx_learned *l = cx_learned_load(path, err, sizeof err);
        if (l) {
            cx_learned_info info;
            cx_learned_get_info(l, &info);
            c->f[fi].entries = (int)info.n_terms + info.has_lexicon;
            cx_learned_destroy(&l);
            continue;
        }
        int line;
        const char *rest;
        if (parse_loc(err, path, &line, &rest)) problem(c, fi, line, 0, "%s (the learned-lexicon loader stops here)", rest);
        else problem(c, fi, 0, 0, "%s", err);
    }
#else
    if (n) printf("%s/learned: note: not checked (this build has no loader for learned lexicons)\n", c->dir);
#endif
    free_list(names, n);
}

/* ---- the directory ---- */

/* Is a language code one cxflow knows? */
static void check_lang(lc *c, int fi) {
    const char *code = c->f[fi].lang;
    if (strlen(code) != 2)
        problem(c, fi, 0, 0, "'%s' is not a two-letter ISO 639-1 code: no record is ever given this language", code);
    else if (!cx_langid_known(code) && !cx_text_has_stemmer(code))
        problem(c, fi, 0, 0, "'%s' is not a language cxflow knows (the language identifier's and Snowball's "
                "tables): only records with the language hint '%s' would use it", code, code);
}

/* Register the files of DIR/sub; kind per name.  Names the loaders do not
 * read are warned about. */
static void scan_sub(lc *c, const char *sub) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", c->dir, sub);
    size_t n;
    char **names = list_dir(path, &n);
    if (!names) return;
    int stop = !strcmp(sub, "stopwords");
    for (size_t i = 0; i < n; i++) {
        char rel[4096], code[8], fpath[12288];
        snprintf(rel, sizeof rel, "%s/%s", sub, names[i]);
        snprintf(fpath, sizeof fpath, "%s/%s", c->dir, rel);
        size_t nl = strlen(names[i]);
        if (nl > 3 && !strcmp(names[i] + nl - 3, ".md")) continue;   /* documentation */
        if (!strcmp(sub, "themes") && !strcmp(names[i], "names") && is_dir(fpath)) continue; /* themes/names: scanned itself */
        if (!is_file(fpath)) {
            path_warning(c, fpath, "not a lexicon file (ignored by cxflow)");
            continue;
        }
        int kind = -1;
        const char *lang = code;
        if (!strcmp(sub, "sentiment") && !strcmp(names[i], "emoji.tsv")) { kind = K_EMOJI; lang = "en"; }
        else if (!strcmp(sub, "themes") && !strcmp(names[i], "taxonomy.tsv")) { kind = K_TAX; lang = ""; }
        else if (lang_name(names[i], stop ? ".txt" : ".tsv", code))
            kind = !strcmp(sub, "sentiment") ? K_SENTI : !strcmp(sub, "rules") ? K_RULES
                 : !strcmp(sub, "themes") ? K_THEMES : !strcmp(sub, "themes/names") ? K_NAMES
                 : !strcmp(sub, "signals") ? K_SIGNALS : stop ? K_STOP : K_STEM;
        if (kind < 0) {
            path_warning(c, fpath, stop ? "not read by cxflow (a stop-word file is named <language>.txt)"
                                        : "not read by cxflow (a lexicon file is named <language>.tsv)");
            continue;
        }
        int fi = add_file(c, rel, kind, lang);
        if (fi < 0) continue;
        if (kind != K_EMOJI && kind != K_TAX) check_lang(c, fi);
        check_encoding(c, fi);
    }
    free_list(names, n);
}

static const char *const subdirs[] = {"themes", "sentiment", "rules", "stopwords", "stemming", "signals"};

/* Check everything under c->dir. */
static void check_dir(lc *c) {
    size_t n;
    char **names = list_dir(c->dir, &n);
    for (size_t i = 0; names && i < n; i++) {
        int known = !strcmp(names[i], "learned");
        for (size_t k = 0; k < sizeof subdirs / sizeof subdirs[0]; k++) known |= !strcmp(names[i], subdirs[k]);
        size_t nl = strlen(names[i]);
        if (!known && !(nl > 3 && !strcmp(names[i] + nl - 3, ".md"))) {
            char p[8192];
            snprintf(p, sizeof p, "%s/%s", c->dir, names[i]);
            path_warning(c, p, "not read by cxflow");
        }
    }
    free_list(names, n);
    for (size_t k = 0; k < sizeof subdirs / sizeof subdirs[0]; k++) scan_sub(c, subdirs[k]);
    scan_sub(c, "themes/names");

    /* the tag stage's loader: the taxonomy first (themes files are loaded with it) */
    int have_tax = 0, have_themes = 0;
    for (size_t i = 0; i < c->nf; i++) {
        have_tax |= c->f[i].kind == K_TAX;
        have_themes |= c->f[i].kind == K_THEMES;
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < c->nf; i++) {
            int k = c->f[i].kind;
            if ((pass == 0) == (k == K_TAX) && (k == K_TAX || k == K_SENTI || k == K_EMOJI || k == K_RULES ||
                                                 k == K_THEMES || k == K_NAMES || k == K_SIGNALS))
                tag_check(c, (int)i);
        }
    if (have_themes && !have_tax) {
        char p[8192];
        snprintf(p, sizeof p, "%s/themes", c->dir);
        path_warning(c, p, "no taxonomy.tsv: theme ids are not checked");
    }

    /* the tokenize stage's loader */
    char err[512] = "";
    cx_lexicons *lx = cx_lex_load_report(c->tx, c->dir, lex_report, c, err, sizeof err);
    if (!lx) {
        fprintf(stderr, "cxflow-lexcheck: %s\n", err);
        c->oom = 1;
    }
    cx_lex_free(&lx);

    for (size_t i = 0; i < c->nf; i++) {
        int k = c->f[i].kind;
        if (!c->f[i].data) continue;
        if (k == K_STOP || k == K_STEM) check_lex_lines(c, (int)i);
        else if (k >= 0) check_tag_lines(c, (int)i);
    }
    check_stop_stems(c);
    check_learned(c);
}

/* ---- a user theme directory (themes.user_dir) ---- */

/* Does dir look like a user theme directory: none of the lexicon
 * subdirectories, and a taxonomy.tsv, names/, signals/ or <lang>.tsv? */
static int looks_like_user_dir(const char *dir) {
    static const char *const lex[] = {"themes", "sentiment", "rules", "stopwords", "stemming"};
    char p[8192];
    for (size_t k = 0; k < sizeof lex / sizeof lex[0]; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, lex[k]);
        if (is_dir(p)) return 0;
    }
    snprintf(p, sizeof p, "%s/taxonomy.tsv", dir);
    if (is_file(p)) return 1;
    snprintf(p, sizeof p, "%s/names", dir);
    if (is_dir(p)) return 1;
    snprintf(p, sizeof p, "%s/signals", dir);
    if (is_dir(p)) return 1;
    size_t n;
    char **names = list_dir(dir, &n);
    int any = 0;
    for (size_t i = 0; names && i < n && !any; i++) {
        char code[8];
        any = lang_name(names[i], ".tsv", code);
    }
    free_list(names, n);
    return any;
}

/* Register the files of the user dir (sub: "", "names" or "signals"). */
static void scan_user(lc *c, const char *sub) {
    char path[8192];
    snprintf(path, sizeof path, "%s%s%s", c->dir, *sub ? "/" : "", sub);
    size_t n;
    char **names = list_dir(path, &n);
    if (!names) return;
    for (size_t i = 0; i < n; i++) {
        char rel[4096], code[8], fpath[12288];
        snprintf(rel, sizeof rel, "%s%s%s", sub, *sub ? "/" : "", names[i]);
        snprintf(fpath, sizeof fpath, "%s/%s", c->dir, rel);
        size_t nl = strlen(names[i]);
        if (nl > 3 && !strcmp(names[i] + nl - 3, ".md")) continue;
        if (!*sub && (!strcmp(names[i], "names") || !strcmp(names[i], "signals")) && is_dir(fpath)) continue;
        int kind = -1;
        const char *lang = code;
        if (!*sub && !strcmp(names[i], "taxonomy.tsv")) { kind = K_TAX; lang = ""; }
        else if (is_file(fpath) && lang_name(names[i], ".tsv", code))
            kind = !*sub ? K_THEMES : !strcmp(sub, "names") ? K_NAMES : K_SIGNALS;
        if (kind < 0) {
            path_warning(c, fpath, "not read by cxflow (a user theme directory holds taxonomy.tsv, <language>.tsv, "
                         "names/<language>.tsv and signals/<language>.tsv)");
            continue;
        }
        int fi = add_file(c, rel, kind, lang);
        if (fi < 0) continue;
        if (kind != K_TAX) check_lang(c, fi);
        check_encoding(c, fi);
    }
    free_list(names, n);
}

/* Load the user dir with the base lexicons (cx_tagger_new with user_dir =
 * a scratch copy), report the line the loader stops at, blank it in the copy
 * and load again until everything loads; then report the warnings about
 * the user files. */
static void user_check(lc *c) {
    char udir[8192];
    snprintf(udir, sizeof udir, "%s/user", c->scratch);
    char **copy = cx_calloc(c->nf + 1, sizeof *copy);
    if (!copy) { c->oom = 1; return; }
    for (size_t i = 0; i < c->nf; i++) {
        if (!c->f[i].data || c->f[i].has_nul) continue;
        if (!(copy[i] = cx_malloc(c->f[i].len + 1))) { c->oom = 1; goto out; }
        memcpy(copy[i], c->f[i].data, c->f[i].len + 1);
    }
    for (int errors = 0;; errors++) {
        if (errors == LC_MAX_LOADER_ERRORS) {
            path_warning(c, c->dir, "too many lines the tag stage refuses: the check stopped");
            break;
        }
        int wrote = 1;
        for (size_t i = 0; i < c->nf && wrote; i++) {
            char target[12288];
            snprintf(target, sizeof target, "%s/%s", udir, c->f[i].rel);
            if (copy[i]) wrote = write_all(target, copy[i], c->f[i].len) == 0;
        }
        if (!wrote) {
            fprintf(stderr, "cxflow-lexcheck: cannot write a scratch copy under %s: %s\n", udir, strerror(errno));
            c->oom = 1;
            break;
        }
        cx_tagger_opts o = {.lexicon_dir = c->base, .positive_threshold = 0.05, .negative_threshold = -0.05,
                            .text = c->tx, .no_explain = 1, .user_dir = udir};
        char err[1024] = "";
        cx_tagger *t = cx_tagger_new(&o, err, sizeof err);
        int line;
        const char *rest;
        if (!t) {
            int found = 0;
            for (size_t i = 0; i < c->nf && !found; i++) {
                char target[12288];
                snprintf(target, sizeof target, "%s/%s", udir, c->f[i].rel);
                if (!copy[i] || !parse_loc(err, target, &line, &rest)) continue;
                found = 1;
                if (line > 0 && line <= c->f[i].nlines) {
                    problem(c, (int)i, line, 0, "%s", rest);
                    blank_line(copy[i], c->f[i].len, line);
                    found = 2;
                } else {
                    problem(c, (int)i, 0, 0, "%s", rest);
                }
            }
            if (found == 2) continue;
            if (!found) {
                /* not a user file's line: the base lexicons or the directory itself */
                char msg[8192];
                snprintf(msg, sizeof msg, "the tag stage cannot load it with %s: %s", c->base, err);
                for (char *q = strstr(msg, udir); q; q = strstr(q, udir)) { /* name the real directory */
                    size_t ul = strlen(udir), dl = strlen(c->dir);
                    if (dl <= ul) {
                        memcpy(q, c->dir, dl);
                        memmove(q + dl, q + ul, strlen(q + ul) + 1);
                    }
                    q++;
                }
                c->errors++;
                printf("%s: %s\n", c->dir, msg);
            }
            break;
        }
        for (size_t k = 0; cx_tagger_warning(t, k); k++) {
            const char *w = cx_tagger_warning(t, k);
            for (size_t i = 0; i < c->nf; i++) {
                char target[12288];
                snprintf(target, sizeof target, "%s/%s", udir, c->f[i].rel);
                if (!copy[i] || !parse_loc(w, target, &line, &rest)) continue;
                if (!line && c->f[i].kind == K_TAX) line = tax_warning_line(&c->f[i], rest);
                problem(c, (int)i, line, !tag_warning_is_error(rest), "%s", rest);
                break;
            }
        }
        cx_tagger_destroy(&t);
        break;
    }
out:
    for (size_t i = 0; i < c->nf; i++) {
        char target[12288];
        snprintf(target, sizeof target, "%s/%s", udir, c->f[i].rel);
        if (copy[i]) unlink(target);
        cx_free(copy[i]);
    }
    cx_free(copy);
}

/* Check the user theme directory c->dir against the lexicons c->base. */
static void check_user_dir(lc *c) {
    scan_user(c, "");
    scan_user(c, "names");
    scan_user(c, "signals");
    user_check(c);
    for (size_t i = 0; i < c->nf; i++)
        if (c->f[i].data && (c->f[i].kind == K_THEMES || c->f[i].kind == K_SIGNALS || c->f[i].kind == K_NAMES ||
                             c->f[i].kind == K_TAX))
            check_tag_lines(c, (int)i);
}

/* The scratch directory's layout (parents first). */
static const char *const scratch_subs[] = {"sentiment", "rules", "themes", "themes/names", "signals",
                                           "user", "user/names", "user/signals"};

static int make_scratch(lc *c) {
    const char *tmp = getenv("TMPDIR");
    snprintf(c->scratch, sizeof c->scratch, "%s/cxflow-lexcheck.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(c->scratch)) {
        c->scratch[0] = '\0';
        return -1;
    }
    for (size_t i = 0; i < sizeof scratch_subs / sizeof scratch_subs[0]; i++) {
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", c->scratch, scratch_subs[i]);
        if (mkdir(p, 0700) < 0) return -1;
    }
    return 0;
}

static void remove_scratch(lc *c) {
    if (!c->scratch[0]) return;
    for (size_t i = sizeof scratch_subs / sizeof scratch_subs[0]; i-- > 0;) {
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", c->scratch, scratch_subs[i]);
        rmdir(p);
    }
    rmdir(c->scratch);
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: cxflow-lexcheck [-c FILE] [-o key=value]... [--lexicons BASE] [--user] [DIR]\n"
            "Checks every lexicon file under DIR (default: lexicons.dir of the configuration) with the\n"
            "loaders of the tokenize and tag stages and prints problems as 'file:line: reason' (errors)\n"
            "and 'file:line: warning: reason', then\n"
            "  lexicon_check files=N entries=M errors=E warnings=W\n"
            "A user theme directory (themes.user_dir: taxonomy.tsv, <lang>.tsv, names/, signals/; --user\n"
            "says so when it is not recognised) is checked together with the lexicons of BASE (default:\n"
            "lexicons.dir), as the tag stage loads them.\n"
            "Exit status: 0 no errors, 1 errors, 2 bad usage.  Formats: docs/LEXICONS.md.\n");
}

int main(int argc, char **argv) {
    const char *conf_path = NULL, *dir = NULL, *base = NULL;
    int user = 0;
    const char *over[64];
    int nover = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) { usage(stdout); return 0; }
        if (!strcmp(s, "-c") && i + 1 < argc) conf_path = argv[++i];
        else if (!strcmp(s, "-o") && i + 1 < argc && nover < 64) over[nover++] = argv[++i];
        else if (!strcmp(s, "--lexicons") && i + 1 < argc) base = argv[++i];
        else if (!strcmp(s, "--user")) user = 1;
        else if (s[0] != '-' && !dir) dir = s;
        else {
            fprintf(stderr, "cxflow-lexcheck: unexpected argument '%s'\n", s);
            usage(stderr);
            return 2;
        }
    }
    char err[1024];
    cx_conf *conf = cx_conf_load(conf_path, err, sizeof err);
    if (!conf) {
        fprintf(stderr, "cxflow-lexcheck: %s\n", err);
        return 2;
    }
    for (int i = 0; i < nover; i++) {
        if (cx_conf_set_kv(conf, over[i], err, sizeof err) < 0) {
            fprintf(stderr, "cxflow-lexcheck: -o %s: %s\n", over[i], err);
            cx_conf_destroy(&conf);
            return 2;
        }
    }
    lc *c = cx_calloc(1, sizeof *c);
    if (!c) { cx_conf_destroy(&conf); return 2; }
    if (dir) snprintf(c->dir, sizeof c->dir, "%s", dir);
    else cx_conf_path(conf, "lexicons.dir", c->dir, sizeof c->dir);
    size_t dl = strlen(c->dir);
    while (dl > 1 && c->dir[dl - 1] == '/') c->dir[--dl] = '\0';
    if (!c->dir[0] || !is_dir(c->dir)) {
        fprintf(stderr, "cxflow-lexcheck: %s: not a directory\n", c->dir[0] ? c->dir : "lexicons.dir (empty)");
        cx_conf_destroy(&conf);
        cx_free(c);
        return 2;
    }
    if (user || looks_like_user_dir(c->dir)) {
        if (base) snprintf(c->base, sizeof c->base, "%s", base);
        else cx_conf_path(conf, "lexicons.dir", c->base, sizeof c->base);
        if (!c->base[0] || !is_dir(c->base)) {
            fprintf(stderr, "cxflow-lexcheck: %s: the lexicons a user theme directory adds to: not a directory\n",
                    c->base[0] ? c->base : "lexicons.dir (empty)");
            cx_conf_destroy(&conf);
            cx_free(c);
            return 2;
        }
        printf("%s: note: a user theme directory, checked with the lexicons of %s\n", c->dir, c->base);
    }
    cx_conf_destroy(&conf);
    cx_log_init("lexcheck", CX_LOG_ERROR);   /* the loaders' own summaries: we report every line instead */
    cx_text_opts to = {.lexicon_dir = c->base[0] ? c->base : c->dir, .default_lang = "und", .trust_hint = 1};
    int rc = 2;
    if (!(c->tx = cx_text_new(&to, err, sizeof err))) {
        fprintf(stderr, "cxflow-lexcheck: %s\n", err);
        goto out;
    }
    if (make_scratch(c) < 0) {
        fprintf(stderr, "cxflow-lexcheck: cannot make a scratch directory %s: %s\n", c->scratch, strerror(errno));
        goto out;
    }
    if (c->base[0]) check_user_dir(c);
    else check_dir(c);
    if (c->oom) {
        fprintf(stderr, "cxflow-lexcheck: out of memory\n");
        goto out;
    }
    if (c->np) qsort(c->p, c->np, sizeof *c->p, cmp_problem);
    for (size_t i = 0; i < c->np; i++) {
        const lc_problem *p = &c->p[i];
        const char *path = p->path;
        if (p->line) printf("%s:%d: %s%s\n", path, p->line, p->warning ? "warning: " : "", p->msg);
        else printf("%s: %s%s\n", path, p->warning ? "warning: " : "", p->msg);
    }
    for (size_t i = 0; i < c->nf; i++) c->entries += (size_t)c->f[i].entries;
    printf("lexicon_check files=%zu entries=%zu errors=%zu warnings=%zu\n", c->nf, c->entries, c->errors,
           c->warnings);
    rc = c->errors ? 1 : 0;
out:
    remove_scratch(c);
    cx_text_destroy(&c->tx);
    for (size_t i = 0; i < c->nf; i++) {
        cx_free(c->f[i].rel);
        cx_free(c->f[i].path);
        cx_free(c->f[i].data);
        cx_free(c->f[i].bad);
    }
    for (size_t i = 0; i < c->np; i++) cx_free(c->p[i].msg);
    for (size_t i = 0; i < c->npaths; i++) cx_free(c->paths[i]);
    cx_free(c->p);
    cx_free(c->f);
    cx_free(c->taxdata);
    cx_free(c);
    return rc;
}
