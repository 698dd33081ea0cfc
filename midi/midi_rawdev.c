/* midi/midi_rawdev.c — the raw bridge's device lists (midi_rawdev.h). */
#include "midi/midi_rawdev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNTAX "use hw:CARD,DEVICE[,SUBDEVICE] (CARD a card number 0..31 or a card id, " \
               "DEVICE and SUBDEVICE 0..31), e.g. hw:1,0 or hw:VirMIDI,0"

/* A number 0..31 of exactly the bytes [s, e): 0, or -1. */
static int small_number(const char *s, const char *e, int *out)
{
    if (e == s || e - s > 2)
        return -1;
    int v = 0;
    for (const char *c = s; c < e; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (*c - '0');
    }
    if (v > 31 || (e - s == 2 && s[0] == '0'))
        return -1;
    *out = v;
    return 0;
}

/* Any thread. */
int rill_midi_rawdev_parse(const char *s, struct rill_midi_rawdev *d, const char *what,
                           char *err, size_t errsize)
{
    memset(d, 0, sizeof(*d));
    d->card = -1;
    d->sub = -1;
    if (strncmp(s, "hw:", 3) != 0) {
        snprintf(err, errsize, "%s '%s': not a rawmidi device: %s", what, s, SYNTAX);
        return -EINVAL;
    }
    const char *c = s + 3, *c1 = strchr(c, ',');
    if (!c1 || c1 == c) {
        snprintf(err, errsize, "%s '%s': no card and device: %s", what, s, SYNTAX);
        return -EINVAL;
    }
    if (c[0] >= '0' && c[0] <= '9') {
        if (small_number(c, c1, &d->card) < 0) {
            snprintf(err, errsize, "%s '%s': the card number is not 0..31: %s", what, s, SYNTAX);
            return -EINVAL;
        }
    } else {
        /* an id: what ALSA allows in one (letters, digits, '_' and '-') */
        size_t n = (size_t)(c1 - c);
        int ok = n < RILL_MIDI_RAWDEV_ID && ((c[0] >= 'a' && c[0] <= 'z') || (c[0] >= 'A' && c[0] <= 'Z'));
        for (const char *k = c; ok && k < c1; k++)
            ok = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
                 (*k >= '0' && *k <= '9') || *k == '_' || *k == '-';
        if (!ok) {
            snprintf(err, errsize, "%s '%s': '%.*s' is no card id (a letter, then at most %u "
                     "letters, digits, '_' or '-'): %s", what, s, (int)(n > 40 ? 40 : n), c,
                     RILL_MIDI_RAWDEV_ID - 2, SYNTAX);
            return -EINVAL;
        }
        memcpy(d->card_id, c, n);
        d->card_id[n] = '\0';
    }
    const char *dv = c1 + 1, *d1 = strchr(dv, ',');
    const char *dend = d1 ? d1 : dv + strlen(dv);
    if (small_number(dv, dend, &d->device) < 0) {
        snprintf(err, errsize, "%s '%s': the device '%.*s' is not a number 0..31: %s", what, s,
                 (int)(dend - dv > 40 ? 40 : dend - dv), dv, SYNTAX);
        return -EINVAL;
    }
    if (d1 && small_number(d1 + 1, d1 + 1 + strlen(d1 + 1), &d->sub) < 0) {
        snprintf(err, errsize, "%s '%s': the subdevice '%.40s' is not a number 0..31: %s", what,
                 s, d1 + 1, SYNTAX);
        return -EINVAL;
    }
    return 0;
}

/* Any thread. */
int rill_midi_rawdevs_add(struct rill_midi_rawdevs *l, const char *s, const char *what,
                          char *err, size_t errsize)
{
    if (l->n >= RILL_MIDI_RAWDEV_MAX) {
        snprintf(err, errsize, "%s '%s': at most %u devices can be named", what, s,
                 RILL_MIDI_RAWDEV_MAX);
        return -EINVAL;
    }
    int r = rill_midi_rawdev_parse(s, &l->d[l->n], what, err, errsize);
    if (r == 0)
        l->n++;
    return r;
}

/* Any thread. */
int rill_midi_rawdevs_format(const struct rill_midi_rawdevs *l, char *out, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return -ENOSPC;
    out[0] = '\0';
    for (unsigned i = 0; i < l->n; i++) {
        const struct rill_midi_rawdev *d = &l->d[i];
        char card[RILL_MIDI_RAWDEV_ID + 12], sub[16] = "";
        if (d->card_id[0])
            snprintf(card, sizeof(card), "%s", d->card_id);
        else
            snprintf(card, sizeof(card), "%d", d->card);
        if (d->sub >= 0)
            snprintf(sub, sizeof(sub), ",%d", d->sub);
        int n = snprintf(out + len, size - len, "%shw:%s,%d%s", i ? "+" : "", card, d->device,
                         sub);
        if (n < 0 || (size_t)n >= size - len)
            return -ENOSPC;
        len += (size_t)n;
    }
    return 0;
}

/* Any thread. */
int rill_midi_rawdevs_parse_list(const char *s, struct rill_midi_rawdevs *l, const char *what,
                                 char *err, size_t errsize)
{
    char one[128];
    while (*s) {
        const char *e = strchr(s, '+');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n >= sizeof(one)) {
            snprintf(err, errsize, "%s: a device name longer than %zu bytes: %s", what,
                     sizeof(one) - 1, SYNTAX);
            return -EINVAL;
        }
        memcpy(one, s, n);
        one[n] = '\0';
        int r = rill_midi_rawdevs_add(l, one, what, err, errsize);
        if (r < 0)
            return r;
        if (!e)
            break;
        s = e + 1;
        if (!*s) {
            snprintf(err, errsize, "%s: a '+' with no device after it: %s", what, SYNTAX);
            return -EINVAL;
        }
    }
    return 0;
}

/* Any thread. */
int rill_midi_rawdevs_take(char *args, const char *key, struct rill_midi_rawdevs *l,
                           const char *what, char *err, size_t errsize)
{
    size_t klen = strlen(key);
    for (char *p = args; (p = strstr(p, key)) != NULL; p++) {
        if ((p != args && !strchr(", \t", p[-1])) || p[klen] != '=')
            continue;
        char *v = p + klen + 1, *e = v + strcspn(v, " \t");
        char save = *e;
        *e = '\0';
        char val[RILL_MIDI_RAWDEV_MAX * 48];
        int r;
        if (!*v) {
            snprintf(err, errsize, "%s=: no device: %s", key, SYNTAX);
            r = -EINVAL;
        } else if (strlen(v) >= sizeof(val)) {
            snprintf(err, errsize, "%s=: the list is too long", key);
            r = -EINVAL;
        } else {
            strcpy(val, v);
            r = rill_midi_rawdevs_parse_list(val, l, what, err, errsize);
        }
        *e = save;
        if (r < 0)
            return r;
        memset(p, ' ', (size_t)(e - p));
        return 0;
    }
    return 0;
}

/* Any thread. */
int rill_midi_rawdevs_match(const struct rill_midi_rawdevs *l, int card, const char *card_id,
                            int device, int sub)
{
    for (unsigned i = 0; i < l->n; i++) {
        const struct rill_midi_rawdev *d = &l->d[i];
        int same_card = d->card_id[0] && card_id ? strcmp(d->card_id, card_id) == 0
                                                 : d->card >= 0 && d->card == card;
        if (same_card && d->device == device && (d->sub < 0 || sub < 0 || d->sub == sub))
            return 1;
    }
    return 0;
}

/* Any thread. */
void rill_midi_rawdev_of_seq_port(const char *client_name, int card, int port, int *device,
                                  int *sub)
{
    /* "... C-D" with C this card's number: a VirMIDI device's client */
    const char *sp = strrchr(client_name, ' ');
    int c, d, n = 0;
    if (sp && sscanf(sp + 1, "%d-%d%n", &c, &d, &n) == 2 && sp[1 + n] == '\0' && c == card &&
        d >= 0) {
        *device = d;
        *sub = -1;
        return;
    }
    *device = port / 32;
    *sub = port % 32;
}
