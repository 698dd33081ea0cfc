/* common/server_config.c — see server_config.h. */
#include "common/server_config.h"

#include <errno.h>
#include <stdio.h>
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
int rill_server_config_read(FILE *f, char *line, size_t size)
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

/* Any non-realtime thread: the first command line of file path into line;
 * 0 when the file does not exist or has none. */
static int line_of(const char *path, char *line, size_t size)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int r = rill_server_config_read(f, line, size);
    fclose(f);
    return r;
}

/* Any non-realtime thread: 1 when ALSA lists at least one sound card. */
static int have_sound_card(void)
{
    FILE *f = fopen("/proc/asound/cards", "re");
    if (!f)
        return 0;
    char buf[128];
    int card = 0;
    if (fgets(buf, sizeof(buf), f) && !strstr(buf, "no soundcards"))
        card = 1;
    fclose(f);
    return card;
}

/* Any non-realtime thread. */
int rill_server_config_line(char *line, size_t size, char *from, size_t fromsize)
{
    char paths[3][512];
    size_t n = 0;
    const char *env = getenv("RILL_SERVER_CONFIG");
    if (env && env[0])
        snprintf(paths[n++], sizeof(paths[0]), "%s", env);
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && xdg[0])
        snprintf(paths[n++], sizeof(paths[0]), "%s/rill/rilld.conf", xdg);
    else if (home && home[0])
        snprintf(paths[n++], sizeof(paths[0]), "%s/.config/rill/rilld.conf", home);
    snprintf(paths[n++], sizeof(paths[0]), "/etc/rill/rilld.conf");

    for (size_t i = 0; i < n; i++) {
        int r = line_of(paths[i], line, size);
        if (r != 0) {
            snprintf(from, fromsize, "%.500s", paths[i]);
            if (r < 0)
                snprintf(line, size, "%s", "");
            return r;
        }
    }
    snprintf(line, size, "rilld -T -d %s", have_sound_card() ? "alsa" : "dummy");
    if (fromsize)
        from[0] = '\0';
    return 0;
}

/* rilld's server options that take a value (engine/options.c, server_opts)
 * besides -n/--name and -d/--driver. Keep in step with it: the config fuzz
 * harness (tests/fuzz/fuzz-config.c) checks that a name in the file never
 * wins. */
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
int rill_server_config_argv(char *line, const char *server, int drop_temporary, char **argv,
                            char *program, size_t progsize)
{
    char *words[RILL_SERVER_CONFIG_MAX_WORDS];
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (n == RILL_SERVER_CONFIG_MAX_WORDS - 4)
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
     * to the driver: -n/--name and its value go (and -T/--temporary with
     * drop_temporary), and the value of every other option is passed over
     * unread, so that neither "-l -d -n x" nor "-l -dd -nx" names the
     * server. After the driver everything is the driver's (the ALSA
     * driver's -n is its period count). */
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
            if (drop_temporary && !eq && strcmp(w + 2, "temporary") == 0)
                continue;
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
        if (drop_temporary && strcmp(w, "-T") == 0)
            continue;
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

/* Any non-realtime thread. */
void rill_server_config_error(int r, const char *from, size_t linesize, char *msg,
                              size_t msgsize)
{
    if (r == -EILSEQ)
        snprintf(msg, msgsize, "the command line in %s holds a NUL byte (is it a text file?)",
                 from);
    else
        snprintf(msg, msgsize, "the command line in %s is longer than %zu bytes", from,
                 linesize - 1);
}
