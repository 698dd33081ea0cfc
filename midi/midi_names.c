/* midi/midi_names.c — stable rill port names for ALSA MIDI ports (see
 * midi_names.h for the rules). */
#include "midi/midi_names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* 1 when in[0..] starts a "(digits and colons)" group; *len its length. */
static int number_group(const char *in, size_t *len)
{
    if (in[0] != '(')
        return 0;
    size_t i = 1, digits = 0;
    while (in[i] && ((in[i] >= '0' && in[i] <= '9') || in[i] == ':')) {
        if (in[i] != ':')
            digits++;
        i++;
    }
    if (in[i] != ')' || digits == 0)
        return 0;
    *len = i + 1;
    return 1;
}

/* Any thread. */
size_t rill_midi_name_clean(const char *in, char *out, size_t size)
{
    size_t o = 0;
    int space = 1; /* drops leading spaces and collapses runs */
    if (size == 0)
        return 0;
    for (size_t i = 0; in && in[i];) {
        size_t glen;
        if (number_group(in + i, &glen)) {
            i += glen;
            continue;
        }
        unsigned char c = (unsigned char)in[i++];
        if (c < 0x20 || c == 0x7f || c == ':' || c == ' ' || c == '\t') {
            if (!space && o + 1 < size)
                out[o++] = ' ';
            space = 1;
            continue;
        }
        if (o + 1 < size)
            out[o++] = (char)c;
        space = 0;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o;
}

/* Cut s to at most max bytes at a UTF-8 character boundary. */
static void cut_utf8(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    while (n > 0 && s[n - 1] == ' ')
        n--;
    s[n] = '\0';
}

/* Any thread. */
int rill_midi_name_base(const char *client, const char *port, char *out, size_t size)
{
    char c[256], p[256];
    size_t cl = rill_midi_name_clean(client, c, sizeof(c));
    size_t pl = rill_midi_name_clean(port, p, sizeof(p));
    if (size == 0)
        return -EINVAL;
    if (cl == 0 && pl == 0) {
        out[0] = '\0';
        return -EINVAL;
    }
    if (cl == 0 || (pl >= cl && strncmp(p, c, cl) == 0))
        snprintf(out, size, "%s", p);
    else if (pl == 0)
        snprintf(out, size, "%s", c);
    else
        snprintf(out, size, "%s %s", c, p);
    /* room for " #99 (playback)" */
    size_t max = RILL_MIDI_NAME_MAX - 15;
    if (max > size - 1)
        max = size - 1;
    cut_utf8(out, max);
    return 0;
}

/* Any thread. */
int rill_midi_name_unique(const char *base, int capture, rill_midi_name_taken_fn taken, void *arg,
                          char *out, size_t size)
{
    const char *dir = capture ? "capture" : "playback";
    char b[RILL_MIDI_NAME_MAX + 1];
    snprintf(b, sizeof(b), "%s", base);
    cut_utf8(b, RILL_MIDI_NAME_MAX - 15);
    for (int n = 1; n <= 99; n++) {
        if (n == 1)
            snprintf(out, size, "%s (%s)", b, dir);
        else
            snprintf(out, size, "%s #%d (%s)", b, n, dir);
        if (!taken(arg, out))
            return 0;
    }
    out[0] = '\0';
    return -EEXIST;
}
