/* internal/netmanager_save.c — the netmanager's -s (auto-save), as jackd2's:
 * when a follower goes, its connections are kept under its name; when a
 * follower of that name joins again, they are made again. A connection is
 * kept as the port's own short name (to_slave_1 ...) and the full name of
 * the port at the other end, so that it is found again when rill names the
 * new client differently. Manager thread only (see netmanager.h).
 */
#include "internal/netmanager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nm_conn {
    struct nm_conn *next;
    int ours_is_input;             /* ours <- other (to_slave_*), else ours -> other */
    char ours[64];
    char other[320];
};

struct nm_saved {
    struct nm_saved *next;
    char name[RILL_NET_NAME_SIZE];
    struct nm_conn *conns;
};

static void conns_free(struct nm_conn *c)
{
    while (c) {
        struct nm_conn *n = c->next;
        free(c);
        c = n;
    }
}

static void save_port(struct nm_saved *s, jack_client_t *client, jack_port_t *port, int input)
{
    const char **peers = jack_port_get_all_connections(client, port);
    const char *ours = jack_port_short_name(port);
    for (size_t i = 0; peers && peers[i]; i++) {
        struct nm_conn *c = calloc(1, sizeof *c);
        if (!c)
            break;
        c->ours_is_input = input;
        snprintf(c->ours, sizeof c->ours, "%s", ours);
        snprintf(c->other, sizeof c->other, "%s", peers[i]);
        c->next = s->conns;
        s->conns = c;
    }
    jack_free(peers);
}

void nm_save_connections(struct nm_saved **list, struct nm_follower *f)
{
    if (!f->client)
        return;
    struct nm_saved *s = NULL;
    for (struct nm_saved *i = *list; i; i = i->next)
        if (strcmp(i->name, f->setup.name) == 0)
            s = i;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return;
        snprintf(s->name, sizeof s->name, "%s", f->setup.name);
        s->next = *list;
        *list = s;
    }
    conns_free(s->conns);
    s->conns = NULL;
    for (uint32_t p = 0; p < f->s.capture_audio; p++)
        save_port(s, f->client, f->to_audio[p], 1);
    for (uint32_t p = 0; p < f->s.playback_audio; p++)
        save_port(s, f->client, f->from_audio[p], 0);
    for (uint32_t p = 0; p < f->s.capture_midi; p++)
        save_port(s, f->client, f->to_midi[p], 1);
    for (uint32_t p = 0; p < f->s.playback_midi; p++)
        save_port(s, f->client, f->from_midi[p], 0);
}

int nm_restore_connections(struct nm_saved *list, struct nm_follower *f)
{
    int made = 0;
    char ours[400];
    for (struct nm_saved *s = list; s; s = s->next) {
        if (strcmp(s->name, f->setup.name) != 0)
            continue;
        for (struct nm_conn *c = s->conns; c; c = c->next) {
            snprintf(ours, sizeof ours, "%s:%s", f->client_name, c->ours);
            /* a port the new session lacks (fewer channels) just fails */
            if ((c->ours_is_input ? jack_connect(f->client, c->other, ours) :
                                    jack_connect(f->client, ours, c->other)) == 0)
                made++;
        }
    }
    return made;
}

void nm_saved_free(struct nm_saved **list)
{
    while (*list) {
        struct nm_saved *s = *list;
        *list = s->next;
        conns_free(s->conns);
        free(s);
    }
}
