/* clients/alsa/ctl_rill.c — the rill ALSA control plugin (ctl_ext):
 * libasound_module_ctl_rill.so, `ctl.rill`, for amixer and alsamixer.
 *
 * Four mixer elements, the values of clients/alsa/volume.h: Master Playback
 * Volume (0..100) and Switch, Capture Volume (0..100) and Switch. They scale
 * every stream of the rill PCM plugin on the same server, in every process;
 * the values live in rilld (metadata of the system client). The plugin is a
 * control connection of rill's (no node in the graph, not listed) that asks
 * for the server's property events (RILL_HELLO_PROPERTY_EVENTS), so that a
 * change made by any program (amixer, another alsamixer, OSC) reaches a
 * program that waits for control events (`amixer events`, `alsactl
 * monitor`, alsamixer, snd_ctl_read).
 *
 * Events: the core's notification thread (on_event) ORs the changed
 * elements into `pending` and raises the eventfd, the poll fd; the program's
 * read_event takes one element at a time and drains the eventfd only when
 * nothing is pending, re-checking after the drain, so the poll fd is
 * readable whenever an event is pending and no wake-up is lost.
 *
 * Threads: the program's for the callbacks (alsa-lib calls one at a time);
 * the core's notification thread for on_event.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <alsa/asoundlib.h>
#include <alsa/control_external.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clients/alsa/conf.h"
#include "clients/alsa/volume.h"
#include "clients/core/client.h"

struct rill_actl {
    snd_ctl_ext_t ext;
    struct rill_client *client;
    int efd; /* the poll fd: readable while an event is pending (or the server went) */
    /* bit i: element i changed and is not yet read. The notification thread
     * ORs, the program thread takes bits; seq_cst with the eventfd
     * (header comment) */
    _Atomic unsigned pending;
    /* the program subscribed (snd_ctl_subscribe_events). Release/acquire:
     * a notification thread that sees it sees `client` too (stored when
     * rill_client_open returned, before any subscription); an event that
     * races a (un)subscription may or may not be queued, as with a card */
    _Atomic int subscribed;
    /* the server went away: read_event fails (seq_cst, as pending) */
    _Atomic int dead;
};

/* Raise the poll fd. Any thread. */
static void raise_fd(struct rill_actl *c)
{
    uint64_t one = 1;
    ssize_t n = write(c->efd, &one, sizeof(one));
    (void)n; /* EAGAIN only when the counter is full: readable anyway */
}

static const char *const names[RILL_VOL_COUNT] = {
    "Master Playback Volume",
    "Master Playback Switch",
    "Capture Volume",
    "Capture Switch",
};

/* Program thread. */
static int is_switch(snd_ctl_ext_key_t k)
{
    return k == RILL_VOL_PLAYBACK_SWITCH || k == RILL_VOL_CAPTURE_SWITCH;
}

/* Program thread. */
static void cb_close(snd_ctl_ext_t *ext)
{
    struct rill_actl *c = ext->private_data;
    rill_client_close(c->client);
    if (c->efd >= 0)
        close(c->efd);
    free(c);
}

/* Program thread. */
static int cb_elem_count(snd_ctl_ext_t *ext)
{
    (void)ext;
    return RILL_VOL_COUNT;
}

/* Program thread. */
static int cb_elem_list(snd_ctl_ext_t *ext, unsigned int offset, snd_ctl_elem_id_t *id)
{
    (void)ext;
    if (offset >= RILL_VOL_COUNT)
        return -EINVAL;
    snd_ctl_elem_id_set_interface(id, SND_CTL_ELEM_IFACE_MIXER);
    snd_ctl_elem_id_set_name(id, names[offset]);
    return 0;
}

/* Program thread. */
static snd_ctl_ext_key_t cb_find_elem(snd_ctl_ext_t *ext, const snd_ctl_elem_id_t *id)
{
    (void)ext;
    const char *name = snd_ctl_elem_id_get_name(id);
    for (unsigned int i = 0; i < RILL_VOL_COUNT; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return SND_CTL_EXT_KEY_NOT_FOUND;
}

/* Program thread. */
static int cb_get_attribute(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, int *type,
                            unsigned int *acc, unsigned int *count)
{
    (void)ext;
    if (key >= RILL_VOL_COUNT)
        return -EINVAL;
    *type = is_switch(key) ? SND_CTL_ELEM_TYPE_BOOLEAN : SND_CTL_ELEM_TYPE_INTEGER;
    *acc = SND_CTL_EXT_ACCESS_READWRITE;
    *count = 1;
    return 0;
}

/* Program thread. */
static int cb_get_integer_info(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, long *imin,
                               long *imax, long *istep)
{
    (void)ext;
    *imin = 0;
    *imax = is_switch(key) ? 1 : RILL_VOL_MAX;
    *istep = 1;
    return 0;
}

/* Program thread. */
static int cb_read_integer(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, long *value)
{
    struct rill_actl *c = ext->private_data;
    long v[RILL_VOL_COUNT];
    if (key >= RILL_VOL_COUNT)
        return -EINVAL;
    int r = rill_volume_read(c->client, v);
    if (r < 0)
        return r == -EPIPE ? -ENODEV : r;
    *value = v[key];
    return 0;
}

/* Program thread. */
static int cb_write_integer(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, long *value)
{
    struct rill_actl *c = ext->private_data;
    long v[RILL_VOL_COUNT];
    if (key >= RILL_VOL_COUNT)
        return -EINVAL;
    int r = rill_volume_read(c->client, v);
    if (r < 0)
        return r == -EPIPE ? -ENODEV : r;
    if (v[key] == *value)
        return 0;
    r = rill_volume_write(c->client, (int)key, *value);
    if (r < 0)
        return r == -EPIPE ? -ENODEV : r;
    return 1;
}

/* Program thread. */
static void cb_subscribe_events(snd_ctl_ext_t *ext, int subscribe)
{
    struct rill_actl *c = ext->private_data;
    atomic_store_explicit(&c->subscribed, subscribe ? 1 : 0, memory_order_release);
    if (!subscribe)
        atomic_store_explicit(&c->pending, 0, memory_order_seq_cst);
}

/* Make the poll fd's level match the state: when nothing is pending (and
 * the server is there), drain the eventfd, then look again: an event queued
 * before the drain is seen and raises it again. Returns the pending bits.
 * Program thread. */
static unsigned level_sync(struct rill_actl *c)
{
    unsigned m = atomic_load_explicit(&c->pending, memory_order_seq_cst);
    if (m || atomic_load_explicit(&c->dead, memory_order_seq_cst))
        return m;
    uint64_t v;
    ssize_t n = read(c->efd, &v, sizeof(v));
    (void)n;
    m = atomic_load_explicit(&c->pending, memory_order_seq_cst);
    if (m || atomic_load_explicit(&c->dead, memory_order_seq_cst))
        raise_fd(c);
    return m;
}

/* Program thread: one pending event (1), or -EAGAIN when none is. */
static int cb_read_event(snd_ctl_ext_t *ext, snd_ctl_elem_id_t *id, unsigned int *event_mask)
{
    struct rill_actl *c = ext->private_data;
    unsigned m, bit;
    for (;;) {
        m = level_sync(c);
        if (m == 0)
            return atomic_load_explicit(&c->dead, memory_order_seq_cst) ? -ENODEV : -EAGAIN;
        bit = m & -m;
        if (atomic_compare_exchange_weak_explicit(&c->pending, &m, m & ~bit,
                                                  memory_order_seq_cst, memory_order_seq_cst))
            break;
    }
    unsigned key = 0;
    while (!(bit & (1u << key)))
        key++;
    snd_ctl_elem_id_clear(id);
    snd_ctl_elem_id_set_numid(id, key + 1); /* ctl_ext's numbering: offset + 1 */
    snd_ctl_elem_id_set_interface(id, SND_CTL_ELEM_IFACE_MIXER);
    snd_ctl_elem_id_set_name(id, names[key]);
    *event_mask = SND_CTL_EVENT_MASK_VALUE;
    return 1;
}

/* Program thread: POLLIN while an event is pending; POLLERR once the
 * server went away, as a card that was unplugged (alsamixer closes then). */
static int cb_poll_revents(snd_ctl_ext_t *ext, struct pollfd *pfd, unsigned int nfds,
                           unsigned short *revents)
{
    struct rill_actl *c = ext->private_data;
    (void)pfd;
    (void)nfds;
    unsigned short ev = 0;
    if (level_sync(c))
        ev |= POLLIN;
    if (atomic_load_explicit(&c->dead, memory_order_seq_cst))
        ev |= POLLERR;
    *revents = ev;
    return 0;
}

/* The core's notification thread: a property of the server changed, or the
 * server went away. */
static void on_event(void *arg, const struct rill_msg *ev)
{
    struct rill_actl *c = arg;
    if (ev->type == RILL_EV_SHUTDOWN) {
        atomic_store_explicit(&c->dead, 1, memory_order_seq_cst);
        raise_fd(c);
        return;
    }
    /* not subscribed (also: the open may not have stored client yet) */
    if (!atomic_load_explicit(&c->subscribed, memory_order_acquire))
        return;
    unsigned bits = rill_volume_event_mask(c->client, ev);
    if (!bits)
        return;
    atomic_fetch_or_explicit(&c->pending, bits, memory_order_seq_cst);
    raise_fd(c);
}

static const snd_ctl_ext_callback_t callbacks = {
    .close = cb_close,
    .elem_count = cb_elem_count,
    .elem_list = cb_elem_list,
    .find_elem = cb_find_elem,
    .get_attribute = cb_get_attribute,
    .get_integer_info = cb_get_integer_info,
    .read_integer = cb_read_integer,
    .write_integer = cb_write_integer,
    .subscribe_events = cb_subscribe_events,
    .read_event = cb_read_event,
    .poll_revents = cb_poll_revents,
};

#pragma GCC visibility push(default)
SND_CTL_PLUGIN_DEFINE_FUNC(rill)
{
    char err[512] = "";
    struct rill_alsa_conf cf;
    (void)root;
    rill_alsa_conf_init(&cf);
    if (rill_alsa_conf_parse(conf, name ? name : "rill", &cf, err, sizeof(err)) < 0 ||
        rill_alsa_conf_env(&cf, err, sizeof(err)) < 0) {
        SNDERR("rill: %s", err);
        return -EINVAL;
    }
    struct rill_actl *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct rill_client_callbacks cb = { .arg = c, .event = on_event };
    int r;
    if (c->efd < 0) {
        r = -errno;
        snprintf(err, sizeof(err), "cannot create an eventfd: %s", strerror(-r));
    } else {
        r = rill_client_open(cf.server[0] ? cf.server : NULL, "rill-alsa-ctl",
                             RILL_HELLO_CONTROL | RILL_HELLO_PROPERTY_EVENTS, &cb, &c->client,
                             err, sizeof(err));
    }
    if (r < 0) {
        SNDERR("rill: %s", err);
        if (c->efd >= 0)
            close(c->efd);
        free(c);
        return r;
    }
    c->ext.version = SND_CTL_EXT_VERSION;
    c->ext.card_idx = 0;
    snprintf(c->ext.id, sizeof(c->ext.id), "rill");
    snprintf(c->ext.driver, sizeof(c->ext.driver), "rill");
    snprintf(c->ext.name, sizeof(c->ext.name), "rill");
    snprintf(c->ext.longname, sizeof(c->ext.longname), "rill graph %.60s",
             rill_client_state(c->client)->server_name);
    snprintf(c->ext.mixername, sizeof(c->ext.mixername), "rill");
    c->ext.poll_fd = c->efd;
    c->ext.callback = &callbacks;
    c->ext.private_data = c;
    r = snd_ctl_ext_create(&c->ext, name, mode);
    if (r < 0) {
        rill_client_close(c->client);
        close(c->efd);
        free(c);
        return r;
    }
    *handlep = c->ext.handle;
    return 0;
}
SND_CTL_PLUGIN_SYMBOL(rill);
#pragma GCC visibility pop
