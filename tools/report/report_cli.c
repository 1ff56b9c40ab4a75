/* report_cli.c - see report_cli.h. */
#include "report_cli.h"
#include "cx_util.h"
#include <string.h>
#include <unistd.h>

int cx_rp_is_override(const char *s) {
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || !memchr(s, '.', (size_t)(eq - s))) return 0;
    for (const char *p = s; p < eq; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.')) return 0;
    return 1;
}

const char *cx_rp_opt_value(const char *prog, int argc, char **argv, int *i, const char *eq) {
    if (eq) return eq + 1;
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a value (try --help)\n", prog, argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int cx_rp_add_set(const char *prog, const char **sets, int *nsets, const char *kv) {
    if (!strchr(kv, '=')) {
        fprintf(stderr, "%s: --set expects key=value, got '%s'\n", prog, kv);
        return -1;
    }
    if (*nsets == CX_RP_MAX_SETS) {
        fprintf(stderr, "%s: too many overrides\n", prog);
        return -1;
    }
    sets[(*nsets)++] = kv;
    return 0;
}

cx_conf *cx_rp_conf(const char *prog, const char *conf_file, const char *const *sets, int nsets) {
    char err[1024];
    if (!conf_file && access("pipeline.conf", R_OK) == 0) conf_file = "pipeline.conf";
    cx_conf *c = cx_conf_load(conf_file, err, sizeof err);
    if (!c) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return NULL;
    }
    for (int i = 0; i < nsets; i++) {
        char key[256];
        const char *eq = strchr(sets[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
        if (cx_conf_set(c, key, eq + 1, err, sizeof err) < 0) {
            fprintf(stderr, "%s: %s\n", prog, err);
            cx_conf_destroy(&c);
            return NULL;
        }
    }
    return c;
}

int cx_rp_parse_args(const char *prog, int argc, char **argv, const cx_rp_opt *opts, size_t nopts,
                     void (*usage)(FILE *), const char **sets, int *nsets) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = !strncmp(a, "--", 2) ? strchr(a, '=') : NULL, *val;
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        const cx_rp_opt *o = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "--version")) { printf("%s %s\n", prog, CX_VERSION); return 0; }
        for (size_t k = 0; k < nopts && !o; k++)
            if ((opts[k].short_name && !strcmp(a, opts[k].short_name)) ||
                (strlen(opts[k].name) == nl && !strncmp(a, opts[k].name, nl)))
                o = &opts[k];
        int is_set = nl == 5 && !strncmp(a, "--set", nl);
        if (!o && !is_set) {
            fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", prog, a);
            return 2;
        }
        if (!(val = cx_rp_opt_value(prog, argc, argv, &i, eq))) return 2;
        /* every other cxflow command reads -o key=value as an override */
        if (is_set || (o->short_name && !strcmp(o->short_name, "-o") && cx_rp_is_override(val))) {
            if (cx_rp_add_set(prog, sets, nsets, val) < 0) return 2;
        } else
            *o->dst = val;
    }
    return -1;
}
