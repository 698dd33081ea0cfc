/* tests/fuzz/fuzz-config.c — the server configuration file that libjack
 * reads to start rilld on demand, and rilld --from-config too
 * (common/server_config.h), and the
 * command line made from it, parsed by rilld's own option parser as the
 * started rilld would.
 *
 * Input: the file's contents.
 * Checked: the line found is one line without its end or leading blanks;
 * the command line has the requested server name right after the program,
 * fits its array and ends with NULL; when rilld accepts it, the server it
 * would run has the requested name (a name in the file never wins), and
 * is not temporary when -T was to be dropped (rilld --from-config).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/server_config.h"
#include "engine/options.h"
#include "tests/fuzz/fuzz.h"

#define SERVER "fuzzsrv"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    devnull = fopen("/dev/null", "we");
    unsetenv("RILL_RILLD");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    /* a copy: fmemopen wants a writable buffer and size > 0 */
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    FILE *f = fmemopen(copy, size ? size : 1, "r");
    if (!f) {
        free(copy);
        return 0;
    }
    char line[1024];
    int r = rill_server_config_read(f, line, sizeof(line));
    fclose(f);
    FUZZ_ASSERT(r == 0 || r == 1 || r == -E2BIG || r == -EILSEQ);
    if (r == 1) {
        FUZZ_ASSERT(strlen(line) < sizeof(line));
        FUZZ_ASSERT(!strchr(line, '\n'));
        FUZZ_ASSERT(line[0] && !strchr(" \t\r#", line[0]));
        FUZZ_ASSERT(!strchr(" \t\r", line[strlen(line) - 1]));
        /* as libjack starts a server (0) and as rilld --from-config (1) */
        for (int drop = 0; drop < 2; drop++) {
            char words[1024];
            memcpy(words, line, sizeof(words));
            char *argv[RILL_SERVER_CONFIG_MAX_WORDS];
            char program[512];
            int argc = rill_server_config_argv(words, SERVER, drop, argv, program,
                                               sizeof(program));
            FUZZ_ASSERT(argc >= 3 || argc == -EINVAL || argc == -E2BIG);
            if (argc < 3)
                continue;
            FUZZ_ASSERT(argc < RILL_SERVER_CONFIG_MAX_WORDS && argv[argc] == NULL);
            FUZZ_ASSERT(strcmp(argv[1], "-n") == 0 && strcmp(argv[2], SERVER) == 0);
            FUZZ_ASSERT(memchr(program, '\0', sizeof(program)));
            struct rill_options o;
            char err[512] = "";
            int pr = rill_options_parse(argc, argv, &o, err, sizeof(err), devnull);
            if (pr == 0) {
                FUZZ_ASSERT(strcmp(o.name, SERVER) == 0);
                if (drop)
                    FUZZ_ASSERT(!o.temporary);
            } else if (pr < 0) {
                FUZZ_ASSERT(err[0]);
            }
        }
    }
    free(copy);
    return 0;
}
