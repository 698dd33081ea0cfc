/* tests/fuzz/replay.c — runs a libFuzzer harness over its seed corpus
 * without libFuzzer, so that `make check` replays the seeds (under ASan in
 * a sanitizer build). Usage: replay FILE-OR-DIRECTORY...; without
 * arguments, $srcdir/tests/fuzz/$FUZZ_NAME/seeds (FUZZ_NAME from the
 * environment, or the program's name without "-replay").
 * Exits 0 when every input ran, 1 when one could not be read.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: %s: out of memory\n", path);
        return -1;
    }
    /* an exact-size copy, so that ASan sees reads past the input */
    uint8_t *exact = malloc(len ? len : 1);
    if (exact)
        memcpy(exact, buf, len);
    free(buf);
    if (!exact)
        return -1;
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    printf("replay: %s (%zu bytes) ok\n", path, len);
    return 0;
}

static int run_path(const char *path, unsigned *count)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort), ret = 0;
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char child[PATH_MAX];
        if (names[i]->d_name[0] != '.' &&
            snprintf(child, sizeof child, "%s/%s", path, names[i]->d_name) < (int)sizeof child &&
            run_path(child, count) < 0)
            ret = -1;
        free(names[i]);
    }
    free(names);
    return ret;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    int ret = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (run_path(argv[i], &count) < 0)
                ret = 1;
    } else {
        const char *srcdir = getenv("srcdir"), *name = getenv("FUZZ_NAME");
        char prog[256], dir[PATH_MAX];
        if (!name) {
            const char *base = strrchr(argv[0], '/');
            snprintf(prog, sizeof prog, "%s", base ? base + 1 : argv[0]);
            char *dash = strstr(prog, "-replay");
            if (dash)
                *dash = 0;
            name = prog;
        }
        snprintf(dir, sizeof dir, "%s/tests/fuzz/%s/seeds", srcdir ? srcdir : ".", name);
        if (run_path(dir, &count) < 0)
            ret = 1;
    }
    if (count == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        ret = 1;
    }
    printf("replay: %u inputs\n", count);
    return ret;
}
