/* tests/fuzz/replay.c — runs a fuzz harness's LLVMFuzzerTestOneInput on
 * files, so that `make check` replays a seed corpus (and saved crashers)
 * without libFuzzer:
 *
 *   replay FILE|DIR...
 *
 * A directory's regular files are run in name order. Exit 0 when every
 * input ran (a crash aborts), 1 when a file cannot be read or none was
 * given. A stand-in until the tree's fuzz framework takes the harnesses
 * over.
 */
#include <dirent.h>
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
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}


int main(int argc, char **argv)
{
    unsigned runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) < 0) {
            fprintf(stderr, "replay: no %s\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(sb.st_mode)) {
            if (run_file(argv[i]) < 0)
                return 1;
            runs++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, alphasort);
        if (n < 0)
            return 1;
        for (int k = 0; k < n; k++) {
            if (names[k]->d_name[0] != '.') {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
                if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
                    if (run_file(path) < 0)
                        return 1;
                    runs++;
                }
            }
            free(names[k]);
        }
        free(names);
    }
    if (!runs) {
        fprintf(stderr, "usage: replay FILE|DIR... (no input was run)\n");
        return 1;
    }
    printf("replay: %u inputs ran\n", runs);
    return 0;
}
