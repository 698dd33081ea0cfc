/* clients/jack/jack_autostart_parse.c — the server configuration file and
 * the command line made from it (clients/jack/jack_autostart.h).
 */
#include "clients/jack/jack_autostart.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RILL_BINDIR
#define RILL_BINDIR "/usr/local/bin"
#endif

static int blank(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Any non-realtime thread. */
int rill_jack_config_line(FILE *f, char *line, size_t size)
{
    if (size < 2)
        return -E2BIG;
    for (;;) {
        /* one line, whatever its length: from its first character that is
         * not blank, what fits goes into line */
        size_t len = 0;
        int ch, first = 0, cut = 0, nul = 0, any = 0;
        while ((ch = getc(f)) != EOF && ch != '\n') {
            any = 1;
            if (!first && blank(ch))
                continue;
            if (!first)
                first = ch;
            if (ch == '\0')
                nul = 1;
            if (len < size - 1)
                line[len++] = (char)ch;
            else if (!blank(ch))
                cut = 1;
        }
        if (ch == EOF && !any)
            return 0;
        if (!first || first == '#') {
            if (ch == EOF)
                return 0;
            continue; /* blank, or a comment: of any length */
        }
        if (cut)
            return -E2BIG;
        if (nul)
            return -EILSEQ;
        /* trailing blanks, and the CR of a CRLF line end */
        while (len > 0 && blank((unsigned char)line[len - 1]))
            len--;
        line[len] = '\0';
        return 1;
    }
}

/* rilld's server options that take a value (engine/options.c, server_opts)
 * besides -n/--name and -d/--driver. Keep in step with it: the config fuzz
 * harness checks that a name in the file never wins. */
#define SHORT_WITH_VALUE "tPpal"
static int long_takes_value(const char *name, size_t len)
{
    static const char *const longs[] = { "timeout", "realtime-priority", "port-max", "affinity",
                                         "load" };
    for (size_t k = 0; k < sizeof(longs) / sizeof(longs[0]); k++)
        if (strlen(longs[k]) == len && strncmp(name, longs[k], len) == 0)
            return 1;
    return 0;
}

/* Any non-realtime thread. */
int rill_jack_server_argv(char *line, const char *server, char **argv, char *program,
                          size_t progsize)
{
    char *words[RILL_JACK_MAX_WORDS];
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (n == RILL_JACK_MAX_WORDS - 4)
            return -E2BIG;
        words[n++] = w;
    }
    if (n == 0)
        return -EINVAL;
    /* the program */
    const char *first = words[0];
    if (strchr(first, '/')) {
        snprintf(program, progsize, "%s", first);
    } else {
        const char *env = getenv("RILL_RILLD");
        char candidate[512];
        snprintf(candidate, sizeof(candidate), "%s/%s", RILL_BINDIR, first);
        if (env && env[0] && strcmp(first, "rilld") == 0)
            snprintf(program, progsize, "%s", env);
        else if (access(candidate, X_OK) == 0)
            snprintf(program, progsize, "%s", candidate);
        else
            snprintf(program, progsize, "%s", first); /* PATH */
    }
    int argc = 0;
    argv[argc++] = words[0];
    argv[argc++] = "-n";
    argv[argc++] = (char *)server;
    /* The server options, read as rilld reads them (engine/options.c), up
     * to the driver: -n/--name and its value go, and the value of every
     * other option is passed over unread, so that neither "-l -d -n x" nor
     * "-l -dd -nx" names the server. After the driver everything is the
     * driver's (the ALSA driver's -n is its period count). */
    int i;
    for (i = 1; i < n; i++) {
        const char *w = words[i];
        if (w[0] != '-' || w[1] == '\0') {
            argv[argc++] = words[i]; /* not an option: rilld says so */
            continue;
        }
        if (w[1] == '-') {
            const char *eq = strchr(w, '=');
            size_t len = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
            if (len == 6 && strncmp(w + 2, "driver", 6) == 0)
                break;
            int name = len == 4 && strncmp(w + 2, "name", 4) == 0;
            int value = name || long_takes_value(w + 2, len);
            if (!name)
                argv[argc++] = words[i];
            if (value && !eq && i + 1 < n) {
                i++;
                if (!name)
                    argv[argc++] = words[i];
            }
            continue;
        }
        if (w[1] == 'd')
            break;
        int name = w[1] == 'n';
        int value = name || strchr(SHORT_WITH_VALUE, w[1]) != NULL;
        if (!name)
            argv[argc++] = words[i];
        if (value && w[2] == '\0' && i + 1 < n) {
            i++;
            if (!name)
                argv[argc++] = words[i];
        }
    }
    for (; i < n; i++)
        argv[argc++] = words[i];
    argv[argc] = NULL;
    return argc;
}
