/* tests/fuzz/alsa_conf.c — fuzz harness of the rill ALSA plugins'
 * configuration parsing (clients/alsa/conf.h).
 *
 * The input is ALSA configuration text, as an asoundrc would hold: it is
 * loaded with alsa-lib's parser, and the plugin's argument parser runs on
 * the top node and on every compound node in it (each could be a
 * `pcm.NAME { type rill ... }` body); the first line is also given to the
 * latency parser. Either parser may refuse (an error sentence is checked to
 * be non-empty and NUL-terminated); neither may crash, hang or leak.
 *
 * alsa-lib's own parser leaks a few bytes on some malformed input (an
 * identifier it fails to attach); run libFuzzer with -detect_leaks=0 and a
 * generous -rss_limit_mb, or suppress leaks inside libasound. alsa-lib
 * 1.2.8's parser also crashes by itself on some malformed text (a SEGV in
 * snd_config_load, reproduced without rill: doc/fuzzing.md); fuzz it in
 * fork mode with -ignore_crashes=1 and replay each saved input against
 * alsa-lib alone. Its campaigns found nothing of ours.
 *
 * Seeds: tests/fuzz/alsa_conf/seeds/. Built with -DRILL_FUZZ_STANDALONE,
 * main() replays the files named on the command line, or every seed when
 * none is named (that is what `make check` runs).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/alsa/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_tree(snd_config_t *node, int depth)
{
    if (depth > 16 || snd_config_get_type(node) != SND_CONFIG_TYPE_COMPOUND)
        return;
    struct rill_alsa_conf c;
    char err[256];
    rill_alsa_conf_init(&c);
    err[0] = '\0';
    if (rill_alsa_conf_parse(node, "fuzz", &c, err, sizeof(err)) < 0) {
        if (!err[0] || !memchr(err, '\0', sizeof(err)))
            abort(); /* a refusal must say why */
    } else if (!memchr(c.server, '\0', sizeof(c.server)) || !memchr(c.name, '\0', sizeof(c.name)) ||
               !memchr(c.target, '\0', sizeof(c.target)) || c.latency_ms < 1 ||
               c.latency_ms > RILL_ALSA_LATENCY_MAX_MS) {
        abort();
    }
    snd_config_iterator_t i, next;
    snd_config_for_each(i, next, node) parse_tree(snd_config_iterator_entry(i), depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = strchr(text, '\n');
    char first[64];
    size_t fl = nl ? (size_t)(nl - text) : strlen(text);
    if (fl < sizeof(first)) {
        memcpy(first, text, fl);
        first[fl] = '\0';
        unsigned int ms = 2000;
        if (rill_alsa_conf_latency(first, &ms) == 0 && (ms < 1 || ms > RILL_ALSA_LATENCY_MAX_MS))
            abort();
    }
    snd_input_t *in = NULL;
    snd_config_t *top = NULL;
    if (snd_input_buffer_open(&in, text, (ssize_t)size) == 0 && snd_config_top(&top) == 0) {
        if (snd_config_load(top, in) == 0)
            parse_tree(top, 0);
    }
    if (top)
        snd_config_delete(top);
    if (in)
        snd_input_close(in);
    free(text);
    return 0;
}

#ifdef RILL_FUZZ_STANDALONE
/* alsa-lib's complaints about the (deliberately broken) seeds */
static void quiet(const char *file, int line, const char *fn, int err, const char *fmt, ...)
{
    (void)file;
    (void)line;
    (void)fn;
    (void)err;
    (void)fmt;
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "alsa_conf: cannot open %s\n", path);
        return 1;
    }
    static uint8_t buf[65536];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    return 0;
}

int main(int argc, char **argv)
{
    int bad = 0, count = 0;
    snd_lib_error_set_handler(quiet);
    if (argc > 1) {
        for (int i = 1; i < argc; i++, count++)
            bad |= run_file(argv[i]);
    } else {
        const char *top = getenv("RILL_TOP_SRCDIR");
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/tests/fuzz/alsa_conf/seeds", top ? top : ".");
        DIR *d = opendir(dir);
        if (!d) {
            fprintf(stderr, "alsa_conf: no seed directory %s\n", dir);
            return 1;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char path[8192];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            bad |= run_file(path);
            count++;
        }
        closedir(d);
    }
    snd_config_update_free_global();
    printf("alsa_conf: %d input(s) replayed\n", count);
    return bad || count == 0;
}
#endif
