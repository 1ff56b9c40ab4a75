/* replay.c - runs a libFuzzer target without libFuzzer: every file named on
 * the command line, and every regular file of every directory named, is
 * passed once to LLVMFuzzerTestOneInput.  ctest uses it to replay the
 * committed corpus (and every crash input added to it) on each build, with
 * or without sanitizers.  Exit status 0 when all inputs ran, 1 when a file
 * could not be read (a crash ends the process anyway). */
#include "cx_alloc.h"
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run one file; 0 / -1 when unreadable. */
static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return -1; }
    size_t cap = 4096, n = 0, k;
    uint8_t *buf = cx_malloc(cap);
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            uint8_t *nb = cx_realloc(buf, cap *= 2);
            if (!nb) { cx_free(buf); buf = NULL; break; }
            buf = nb;
        }
    }
    int bad = ferror(f) || !buf;
    fclose(f);
    if (bad) { fprintf(stderr, "%s: read error\n", path); cx_free(buf); return -1; }
    LLVMFuzzerTestOneInput(buf, n);
    cx_free(buf);
    return 0;
}

int main(int argc, char **argv) {
    int files = 0, errors = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) < 0) { perror(argv[i]); errors++; continue; }
        if (!S_ISDIR(sb.st_mode)) {
            errors += run_file(argv[i]) < 0;
            files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) { perror(argv[i]); errors++; continue; }
        struct dirent *de;
        while ((de = readdir(d))) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
            if (de->d_name[0] == '.' || stat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) continue;
            errors += run_file(path) < 0;
            files++;
        }
        closedir(d);
    }
    printf("replayed %d input(s), %d unreadable\n", files, errors);
    return errors || !files ? 1 : 0;
}
