/* cx_lex.c - loading lexicons/stopwords/<lang>.txt and lexicons/rules/<lang>.tsv
 * into per-language hash tables (formats: docs/LEXICONS.md).  The terms of
 * lexicons/sentiment/<lang>.tsv are loaded too, without flags, as known
 * words for resolving letter stretches ("baaad" -> "bad"), and so are the
 * light-stemmer suffixes of lexicons/stemming/<lang>.tsv for languages
 * without a Snowball stemmer (applied by cx_text.c).
 *
 * Every term is normalised by the same analysis the text goes through (so
 * "Nicht", "NICHT" and "nicht" all match), with the language forced to the
 * file's language.  A term that analyses into one token goes into the word
 * table (and, for rule terms that are their own stem, into the stem table so
 * that "keine" matches the negator "kein"); a term of several tokens becomes
 * a phrase.  Bad lines are skipped with one warning per file: other people
 * edit these files and a typo must not stop the pipeline.  In report mode
 * (cx_lex_load_report, used by cxflow-lexcheck) every skipped line is
 * reported with its reason instead. */
#include "cx_alloc.h"
#include "cx_log.h"
#include "cx_text_int.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct { const char *name; uint32_t flag; } rule_kinds[] = {
    {"negator", CX_TF_NEGATOR},         {"negator_post", CX_TF_NEG_POST},
    {"negator_prefix", CX_TF_NEGATED_FORM}, {"negator_suffix", CX_TF_NEGATED_FORM},
    {"intensifier", CX_TF_INTENSIFIER}, {"diminisher", CX_TF_DIMINISHER},
    {"contrast", CX_TF_CONTRAST},       {"request", CX_TF_REQUEST},
};

/* Rule lines that only the tag stage reads (stages/tag/README.md): they set
 * no token flag, so the tokenize loader passes over them without a warning. */
static int tag_only_kind(const char *kind) {
    static const char *const k[] = {"option", "intensifier_post", "diminisher_post"};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (!strcmp(kind, k[i])) return 1;
    return 0;
}

static void lexlang_free(cx_lexlang *l) {
    cx_hmap_destroy(&l->words);
    cx_hmap_destroy(&l->stems);
    cx_hmap_destroy(&l->phrases);
    for (int i = 0; i < l->nprefix; i++) cx_free(l->prefixes[i].s);
    for (int i = 0; i < l->nsuffix; i++) cx_free(l->suffixes[i].s);
    for (int i = 0; i < l->nstemsuf; i++) cx_free(l->stemsuf[i].s);
    cx_free(l->prefixes);
    cx_free(l->suffixes);
    cx_free(l->stemsuf);
}

void cx_lex_free(cx_lexicons **lxp) {
    if (!lxp || !*lxp) return;
    cx_lexicons *lx = *lxp;
    for (int i = 0; i < lx->n; i++) lexlang_free(&lx->langs[i]);
    cx_free(lx->langs);
    cx_free(lx);
    *lxp = NULL;
}

const cx_lexlang *cx_lex_find(const cx_lexicons *lx, const char *lang) {
    if (!lx) return NULL;
    uint64_t key = 0;   /* codes are at most 7 bytes: compare them as integers */
    strncpy((char *)&key, lang, sizeof key - 1);
    for (int i = 0; i < lx->n; i++) {
        uint64_t k;
        memcpy(&k, lx->langs[i].lang, sizeof k);
        if (k == key) return &lx->langs[i];
    }
    return NULL;
}

/* The table of language code, created on first use.  NULL when out of memory. */
static cx_lexlang *lex_lang(cx_lexicons *lx, const char *code) {
    for (int i = 0; i < lx->n; i++)
        if (!strcmp(lx->langs[i].lang, code)) return &lx->langs[i];
    if (lx->n == lx->cap) {
        int nc = lx->cap ? lx->cap * 2 : 16;
        cx_lexlang *nl = cx_realloc(lx->langs, (size_t)nc * sizeof *nl);
        if (!nl) return NULL;
        lx->langs = nl;
        lx->cap = nc;
    }
    cx_lexlang *l = &lx->langs[lx->n];
    memset(l, 0, sizeof *l);
    snprintf(l->lang, sizeof l->lang, "%s", code);
    if (!(l->words = cx_hmap_new()) || !(l->stems = cx_hmap_new()) || !(l->phrases = cx_hmap_new())) {
        lexlang_free(l);
        return NULL;
    }
    lx->n++;
    return l;
}

/* A language code from a file name "<code><ext>": 2-3 lower-case letters. */
static int file_lang(const char *name, const char *ext, char code[8]) {
    size_t n = strlen(name), el = strlen(ext);
    if (n <= el || strcmp(name + n - el, ext)) return 0;
    n -= el;
    if (n < 2 || n > 3) return 0;
    for (size_t i = 0; i < n; i++) {
        if (!islower((unsigned char)name[i])) return 0;
        code[i] = name[i];
    }
    code[n] = '\0';
    return 1;
}

static int add_affix(cx_affix **arr, int *n, int *cap, const char *s) {
    for (int i = 0; i < *n; i++)
        if (!strcmp((*arr)[i].s, s)) return 0;
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 8;
        cx_affix *na = cx_realloc(*arr, (size_t)nc * sizeof *na);
        if (!na) return -1;
        *arr = na;
        *cap = nc;
    }
    if (!((*arr)[*n].s = cx_strdup(s))) return -1;
    (*arr)[*n].len = (int)strlen(s);
    (*n)++;
    return 0;
}

/* Where load_file sends the lines it skips: nowhere (NULL fn: one warning
 * per file) or a cx_lex_report_fn. */
typedef struct lx_report {
    cx_lex_report_fn fn;
    void *arg;
} lx_report;

/* Add one term with flags (and weight, 0 = none) to language l: analyse it
 * as text of that language, then store it as a word or a phrase.
 * Returns 1 when added, 0 when the term has no words or too many (why
 * says which), -1 out of memory. */
static int add_term(cx_text *t, cx_env *env, cx_lexlang *l, const char *term, uint32_t flags, float weight,
                    int single_only, const char **why) {
    char err[128];
    env->text = term;
    if (cx_text__analyze(t, env, l->lang, NULL, err, sizeof err) < 0) return -1;
    const cx_token *tk[CX_LX_MAX_PHRASE];
    int k = 0;
    for (uint32_t i = 0; i < env->n_tokens; i++) {
        if (env->tokens[i].type == CX_TOK_PUNCT) continue;
        if (k == CX_LX_MAX_PHRASE) {   /* too long to be a rule term */
            *why = "more than 8 words";
            return 0;
        }
        tk[k++] = &env->tokens[i];
    }
    if (!k) *why = "normalises to nothing (no word left)";
    if (!k || (single_only && k > 1)) return 0;
    if (k == 1) {
        uint64_t *v = cx_hmap_upsert(l->words, tk[0]->norm, strlen(tk[0]->norm));
        if (!v) return -1;
        *v |= flags;
        if (weight != 0) *v = cx_lx_pack((uint32_t)*v, weight);
        if ((flags & CX_LX_RULE_MASK) && !strcmp(tk[0]->stem, tk[0]->norm)) {
            uint64_t *s = cx_hmap_upsert(l->stems, tk[0]->norm, strlen(tk[0]->norm));
            if (!s) return -1;
            *s |= flags & CX_LX_RULE_MASK;
            if (weight != 0) *s = cx_lx_pack((uint32_t)*s, weight);
        }
        return 1;
    }
    char key[CX_LX_MAX_PHRASE * CX_TEXT_MAX_WORD];
    size_t kl = 0;
    for (int j = 0; j < k; j++) {
        size_t n = strlen(tk[j]->norm);
        if (j) key[kl++] = ' ';
        memcpy(key + kl, tk[j]->norm, n);
        kl += n;
    }
    uint64_t *v = cx_hmap_upsert(l->phrases, key, kl);
    if (!v) return -1;
    *v |= flags;
    if (weight != 0) *v = cx_lx_pack((uint32_t)*v, weight);
    uint64_t *f = cx_hmap_upsert(l->words, tk[0]->norm, strlen(tk[0]->norm));
    if (!f) return -1;
    *f |= CX_LX_PHRASE_START;
    if (k > l->max_phrase) l->max_phrase = k;
    return 1;
}

/* Trim blanks (and a trailing CR/LF) in place; returns the start. */
static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

/* What a file holds. */
enum { LX_STOP, LX_RULES, LX_VOCAB, LX_STEM };

/* One line of stemming/<lang>.tsv: "suffix [<TAB> minimum stem]".  The
 * suffix is normalised like text; the minimum is in code points (default
 * 2).  Returns 1 added (or a duplicate), 0 bad line (why says what is
 * wrong), -1 out of memory. */
static int add_stem_suffix(cx_text *t, cx_lexlang *l, char *s, const char **why) {
    char *tab = strchr(s, '\t');
    long min = 2;
    if (tab) {
        *tab++ = '\0';
        char *end;
        tab = trim(tab);
        if (*tab) {
            min = strtol(tab, &end, 10);
            if (*end || min < 1 || min > 32) {
                *why = "the minimum stem is not a whole number from 1 to 32";
                return 0;
            }
        }
    }
    char norm[CX_TEXT_MAX_WORD];
    s = trim(s);
    if (cx_text__norm_term(t, l->lang, s, strlen(s), norm, sizeof norm) <= 0) {
        *why = "the suffix normalises to nothing";
        return 0;
    }
    if (strchr(norm, ' ')) {
        *why = "the suffix contains a space";
        return 0;
    }
    for (int i = 0; i < l->nstemsuf; i++)
        if (!strcmp(l->stemsuf[i].s, norm)) return 1;
    if (l->nstemsuf == l->cstemsuf) {
        int nc = l->cstemsuf ? l->cstemsuf * 2 : 32;
        cx_stemsuf *na = cx_realloc(l->stemsuf, (size_t)nc * sizeof *na);
        if (!na) return -1;
        l->stemsuf = na;
        l->cstemsuf = nc;
    }
    /* keep the array sorted longest first (stable: file order among equals) */
    int at = l->nstemsuf, len = (int)strlen(norm);
    while (at > 0 && l->stemsuf[at - 1].len < len) at--;
    char *d = cx_strdup(norm);
    if (!d) return -1;
    memmove(&l->stemsuf[at + 1], &l->stemsuf[at], (size_t)(l->nstemsuf - at) * sizeof *l->stemsuf);
    l->stemsuf[at] = (cx_stemsuf){d, len, (int)min};
    l->nstemsuf++;
    return 1;
}

/* Count a skipped line; in report mode say why. */
static void skip_line(const lx_report *rep, const char *path, int lineno, const char *why, int *bad,
                      int *first_bad) {
    if (!(*bad)++) *first_bad = lineno;
    if (rep->fn) rep->fn(rep->arg, path, lineno, 0, why);
}

/* Load one file into l: stop words, rules, or vocabulary (the terms of a
 * sentiment lexicon, used only to resolve stretched words: "baaad" is
 * "bad" because "bad" is a known word while "baad" is not).  The scratch
 * envelope is recreated every few hundred lines so that its pool stays
 * small.  0 / -1 (out of memory; err filled). */
static int load_file(cx_text *t, cx_lexlang *l, const char *path, int rules, const lx_report *rep, char *err,
                     size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        if (rep->fn) rep->fn(rep->arg, path, 0, 0, strerror(errno));
        else cx_warn("lexicon %s: %s (skipped)", path, strerror(errno));
        return 0;
    }
    cx_env *env = NULL;
    char line[4096];
    int lineno = 0, bad = 0, first_bad = 0, rc = 0, since = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        if (!env || ++since > 256) {
            cx_env_destroy(&env);
            since = 0;
            if (!(env = cx_env_new())) { rc = -1; break; }
        }
        const char *why = "unusable";
        if (rules == LX_STEM) {
            int r = add_stem_suffix(t, l, s, &why);
            if (r < 0) { rc = -1; break; }
            if (!r) skip_line(rep, path, lineno, why, &bad, &first_bad);
            continue;
        }
        if (rules != LX_RULES) {
            char *tab = strchr(s, '\t');
            if (tab) *tab = '\0';
            int r = add_term(t, env, l, trim(s), rules == LX_STOP ? CX_TF_STOP : 0, 0, rules == LX_VOCAB, &why);
            if (r < 0) { rc = -1; break; }
            if (r == 0 && rules == LX_STOP) skip_line(rep, path, lineno, why, &bad, &first_bad);
            if (r > 0 && rules == LX_STOP) l->nstop++;
            if (r > 0 && rules == LX_VOCAB) l->nvocab++;
            continue;
        }
        char *kind = s, *term = strchr(s, '\t'), *wt = NULL;
        if (term) {
            *term++ = '\0';
            if ((wt = strchr(term, '\t'))) *wt++ = '\0';
        }
        kind = trim(kind);
        term = term ? trim(term) : NULL;
        uint32_t flag = 0;
        size_t ki;
        for (ki = 0; ki < sizeof rule_kinds / sizeof rule_kinds[0]; ki++)
            if (!strcmp(kind, rule_kinds[ki].name)) { flag = rule_kinds[ki].flag; break; }
        if (!flag && tag_only_kind(kind)) continue;   /* the tag stage's, nothing for tokenize */
        float weight = 0;
        if (!flag) why = "unknown rule kind";
        if (wt && *trim(wt)) {
            char *end;
            weight = strtof(trim(wt), &end);
            if (*end && flag) {
                flag = 0;
                why = "the weight is not a number";
            }
        }
        if (flag && (!term || !*term)) why = "no term (kind <TAB> term [<TAB> weight])";
        if (!flag || !term || !*term) {
            skip_line(rep, path, lineno, why, &bad, &first_bad);
            continue;
        }
        int r;
        if (!strcmp(kind, "negator_prefix") || !strcmp(kind, "negator_suffix")) {
            char norm[CX_TEXT_MAX_WORD];
            r = cx_text__norm_term(t, l->lang, term, strlen(term), norm, sizeof norm) > 0;
            if (!r) why = "the affix normalises to nothing";
            if (r && (kind[8] == 'p' ? add_affix(&l->prefixes, &l->nprefix, &l->cprefix, norm)
                                     : add_affix(&l->suffixes, &l->nsuffix, &l->csuffix, norm)) < 0)
                r = -1;
        } else {
            r = add_term(t, env, l, term, flag, weight, 0, &why);
        }
        if (r < 0) { rc = -1; break; }
        if (r > 0) l->nrules++;
        else skip_line(rep, path, lineno, why, &bad, &first_bad);
    }
    fclose(f);
    cx_env_destroy(&env);
    if (rc < 0) snprintf(err, errlen, "lexicon %s: out of memory", path);
    else if (bad && !rep->fn) cx_warn("lexicon %s: %d line(s) skipped (first: line %d)", path, bad, first_bad);
    return rc;
}

/* Load every <lang><ext> file of dir/sub.  A missing sub-directory is fine. */
static int load_dir(cx_text *t, cx_lexicons *lx, const char *dir, const char *sub, const char *ext, int rules,
                    const lx_report *rep, char *err, size_t errlen) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        char code[8];
        if (!file_lang(de->d_name, ext, code)) continue;
        char fpath[4400];
        snprintf(fpath, sizeof fpath, "%s/%s", path, de->d_name);
        if (rules == LX_STEM && cx_text_has_stemmer(code)) {   /* Snowball wins */
            if (rep->fn) rep->fn(rep->arg, fpath, 0, 1, "ignored: the language has a Snowball stemmer, which wins");
            else cx_warn("lexicon %s/%s: ignored, %s has a Snowball stemmer", path, de->d_name, code);
            continue;
        }
        cx_lexlang *l = lex_lang(lx, code);
        if (!l) {
            snprintf(err, errlen, "lexicons: out of memory");
            rc = -1;
        } else {
            rc = load_file(t, l, fpath, rules, rep, err, errlen);
        }
    }
    closedir(d);
    return rc;
}

cx_lexicons *cx_lex_load(cx_text *t, const char *dir, char *err, size_t errlen) {
    return cx_lex_load_report(t, dir, NULL, NULL, err, errlen);
}

cx_lexicons *cx_lex_load_report(cx_text *t, const char *dir, cx_lex_report_fn fn, void *arg, char *err,
                                size_t errlen) {
    const lx_report rep = {fn, arg};
    struct stat sb;
    if (stat(dir, &sb) < 0) {
        snprintf(err, errlen, "lexicon directory '%s': %s", dir, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "lexicon directory '%s': not a directory", dir);
        return NULL;
    }
    cx_lexicons *lx = cx_calloc(1, sizeof *lx);
    if (!lx) {
        snprintf(err, errlen, "lexicons: out of memory");
        return NULL;
    }
    /* light-stemmer suffixes first: the terms of the other files are stemmed with them */
    if (load_dir(t, lx, dir, "stemming", ".tsv", LX_STEM, &rep, err, errlen) < 0 ||
        load_dir(t, lx, dir, "stopwords", ".txt", LX_STOP, &rep, err, errlen) < 0 ||
        load_dir(t, lx, dir, "rules", ".tsv", LX_RULES, &rep, err, errlen) < 0 ||
        load_dir(t, lx, dir, "sentiment", ".tsv", LX_VOCAB, &rep, err, errlen) < 0) {
        cx_lex_free(&lx);
        return NULL;
    }
    return lx;
}
