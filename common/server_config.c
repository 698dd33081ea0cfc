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

/* Any non-realtime thread: the first command line of file path into line. */
static int line_of(const char *path, char *line, size_t size)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int found = 0;
    while (fgets(line, (int)size, f)) {
        char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '\n' || *p == '#')
            continue;
        memmove(line, p, strlen(p) + 1);
        line[strcspn(line, "\r\n")] = '\0';
        found = 1;
        break;
    }
    fclose(f);
    return found;
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
        if (line_of(paths[i], line, size)) {
            snprintf(from, fromsize, "%.500s", paths[i]);
            return 1;
        }
    }
    snprintf(line, size, "rilld -T -d %s", have_sound_card() ? "alsa" : "dummy");
    if (fromsize)
        from[0] = '\0';
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
    int driver_seen = 0;
    for (int i = 1; i < n; i++) {
        const char *w = words[i];
        if (!driver_seen && (strcmp(w, "-n") == 0 || strcmp(w, "--name") == 0)) {
            i++; /* and its value */
            continue;
        }
        if (!driver_seen &&
            (strncmp(w, "--name=", 7) == 0 || (w[0] == '-' && w[1] == 'n' && w[2])))
            continue;
        if (!driver_seen && drop_temporary &&
            (strcmp(w, "-T") == 0 || strcmp(w, "--temporary") == 0))
            continue;
        if (strcmp(w, "-d") == 0 || strncmp(w, "--driver", 8) == 0)
            driver_seen = 1; /* after the driver, -n may be a driver option */
        argv[argc++] = words[i];
    }
    argv[argc] = NULL;
    return argc;
}
