/* tests/fuzz/replay.c — the main() of every fuzz harness when rill is built
 * without --enable-fuzzing (doc/fuzzing.md).
 *
 *   fuzz-NAME              replay every file of tests/fuzz/NAME/seeds, grown and
 *                          crashers (grown: a corpus a campaign grew, optional)
 *   fuzz-NAME PATH...      replay these files (a directory: its files)
 *
 * Each input is copied into a buffer of exactly its size (so that ASan sees
 * a read past its end) and given once to LLVMFuzzerTestOneInput, after
 * LLVMFuzzerInitialize if the harness defines one. The harness's name comes
 * from the program's name (fuzz-NAME, also as libtool's lt-fuzz-NAME); the
 * corpus from $RILL_TOP_SRCDIR (make check sets it), else the source tree
 * this was built from. Exit status 0 when every input ran, 1 when the
 * corpus is missing or has no seed, and a hang ends the run after
 * REPLAY_TIMEOUT_S seconds (SIGALRM). A crash is a crash: the sanitizers or
 * the signal report it, and make check counts the test as failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RILL_FUZZ_SRCDIR
#define RILL_FUZZ_SRCDIR "tests/fuzz"
#endif
#define REPLAY_TIMEOUT_S 120
#define REPLAY_MAX_INPUT (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static unsigned replayed;

/* Replay one file. Returns 0, or -errno when it cannot be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(e));
        return -e;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            uint8_t *nb = ncap <= REPLAY_MAX_INPUT ? realloc(buf, ncap) : NULL;
            if (!nb) {
                fprintf(stderr, "replay: %s is larger than %u bytes\n", path, REPLAY_MAX_INPUT);
                free(buf);
                fclose(f);
                return -EFBIG;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(buf);
        return -EIO;
    }
    /* exactly len bytes, so that a read past the end is one ASan sees */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -ENOMEM;
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    replayed++;
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay path: a file, or every regular file of a directory (sorted; names
 * starting with '.' and README files are skipped). missing_ok: a directory
 * that does not exist is no error. Returns the number of inputs, or -errno. */
static int replay_path(const char *path, int missing_ok)
{
    struct stat sb;
    if (stat(path, &sb) < 0) {
        if (errno == ENOENT && missing_ok)
            return 0;
        int e = errno;
        fprintf(stderr, "replay: %s: %s\n", path, strerror(e));
        return -e;
    }
    if (!S_ISDIR(sb.st_mode))
        return replay_file(path) < 0 ? -EIO : 1;
    DIR *d = opendir(path);
    if (!d) {
        int e = errno;
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(e));
        return -e;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strncmp(de->d_name, "README", 6) == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*names));
            if (!nn) {
                r = -ENOMEM;
                break;
            }
            names = nn;
        }
        if (asprintf(&names[n], "%s/%s", path, de->d_name) < 0) {
            r = -ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), name_cmp);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (r == 0) {
            struct stat fs;
            if (stat(names[i], &fs) == 0 && S_ISREG(fs.st_mode)) {
                if (replay_file(names[i]) < 0)
                    r = -EIO;
                else
                    count++;
            }
        }
        free(names[i]);
    }
    free(names);
    return r < 0 ? r : count;
}

/* NAME of fuzz-NAME (or lt-fuzz-NAME) at the end of argv0, or NULL. */
static const char *harness_name(const char *argv0)
{
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    if (strncmp(base, "lt-", 3) == 0)
        base += 3;
    if (strncmp(base, "fuzz-", 5) != 0 || !base[5])
        return NULL;
    return base + 5;
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    alarm(REPLAY_TIMEOUT_S);
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (replay_path(argv[i], 0) < 0)
                return 1;
        printf("replay: %u input(s) ran\n", replayed);
        return 0;
    }
    const char *name = harness_name(argv[0]);
    if (!name) {
        fprintf(stderr, "replay: the program must be called fuzz-NAME (it is '%s'), or give "
                        "the inputs to replay as arguments\n", argv[0]);
        return 1;
    }
    const char *top = getenv("RILL_TOP_SRCDIR");
    char dir[4096];
    if (top && top[0])
        snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s", top, name);
    else
        snprintf(dir, sizeof(dir), "%s/%s", RILL_FUZZ_SRCDIR, name);
    char seeds[4200], grown[4200], crashers[4200];
    snprintf(seeds, sizeof(seeds), "%s/seeds", dir);
    snprintf(grown, sizeof(grown), "%s/grown", dir);
    snprintf(crashers, sizeof(crashers), "%s/crashers", dir);
    int ns = replay_path(seeds, 0);
    if (ns < 0)
        return 1;
    if (ns == 0) {
        fprintf(stderr, "replay: %s has no seed: every harness needs at least one\n", seeds);
        return 1;
    }
    int ng = replay_path(grown, 1);
    if (ng < 0)
        return 1;
    int nc = replay_path(crashers, 1);
    if (nc < 0)
        return 1;
    printf("replay: fuzz-%s ran %d seed(s), %d grown input(s) and %d saved crasher(s) from %s\n",
           name, ns, ng, nc, dir);
    return 0;
}
