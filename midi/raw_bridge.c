/* midi/raw_bridge.c — the raw MIDI bridge as an internal client of rilld
 * (module alsa_rawmidi.so): its life cycle, the control thread and the
 * process callback. raw_bridge.h lists the threads; doc/midi.md has the
 * design.
 *
 * load_init: comma- or space-separated key=value pairs, all optional:
 *   sysex=BYTES   the longest sysex carried, f0 and f7 included
 *                 (2 .. 1048576, default 65536)
 *   verbose=0|1   log every port added, removed, opened and closed
 *   devices=hw:C,D[,S][+hw:...]  bridge only these devices (C a card's
 *                 number or id; midi_rawdev.h); the value ends at white
 *                 space (it holds commas). Default: every device
 */
#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/thread.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "midi/midi_report.h"
#include "midi/raw_bridge.h"
#include "rill/futex.h"

#define RB_EXPORT __attribute__((visibility("default")))
#define MAX_RECS_PER_CYCLE 4096u

RB_EXPORT int jack_initialize(jack_client_t *client, const char *load_init);
RB_EXPORT void jack_finish(void *arg);

/* Any thread. */
uint64_t rb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Non-realtime threads. */
void rb_log(const char *fmt, ...)
{
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "alsa_rawmidi: %s\n", line);
}

/* Any thread (an eventfd write never blocks: the counter cannot reach its
 * limit from our few wake-ups). */
void rb_ctl_wake(struct rb *b)
{
    uint64_t one = 1;
    ssize_t r = write(b->ctl_fd, &one, sizeof(one));
    (void)r;
}

/* Any thread. */
void rb_drop(_Atomic uint64_t *c, uint64_t n)
{
    /* relaxed: a statistic */
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ---- the process callback (the client's realtime thread) --------------- */

/* A capture port's ring -> its rill output port. A message stamped at t
 * (monotonic) is written at t + one period: offset (t - cycle start) *
 * rate + nframes of this cycle when that falls into it; a later one waits
 * for its cycle, an earlier one (the I/O thread was late) goes at offset
 * 0, in order. One larger than a rill MIDI buffer (a sysex over about 32
 * KiB) goes in fragments over consecutive cycles, the sequencer bridge's
 * way (midi_frag.h). RT-safe: bounded by MAX_RECS_PER_CYCLE. */
static void process_in(struct rb *b, struct rb_port *p, jack_port_t *jp, jack_nframes_t n,
                       double start_us, double us_per_frame)
{
    void *buf = jack_port_get_buffer(jp, n);
    if (!buf)
        return;
    jack_midi_clear_buffer(buf);
    p->last_time = 0;
    uint32_t gen = atomic_load_explicit(&p->rt_gen, memory_order_relaxed);
    struct rb_rec h;
    if (p->frag.left) {
        if (p->frag_gen != gen)
            p->frag.left = 0; /* a former port's: its ring is gone */
        else if (!rill_midi_frag_next(&p->frag, p->ring, buf, 0))
            return; /* the next piece filled the buffer */
    }
    for (uint32_t k = 0; k < MAX_RECS_PER_CYCLE; k++) {
        if (jack_ringbuffer_peek(p->ring, (char *)&h, sizeof(h)) < sizeof(h))
            break;
        if (h.gen == gen) {
            double off = ((double)h.ns / 1000.0 - start_us) / us_per_frame + (double)n;
            if (off >= (double)n)
                break; /* a later cycle's */
            uint32_t t = off < 0 ? 0 : (uint32_t)off;
            if (t < p->last_time)
                t = p->last_time;
            if (t >= n)
                t = n - 1;
            /* whole, or in fragments when larger than an empty buffer */
            int fragmented;
            enum rill_midi_put r =
                rill_midi_frag_put(&p->frag, p->ring, sizeof(h), h.len, buf, t, &fragmented);
            if (fragmented) {
                p->frag_gen = gen;
                rb_drop(&b->drops.fragmented, 1);
            }
            if (r != RILL_MIDI_PUT_TOO_BIG)
                p->last_time = t;
            if (r == RILL_MIDI_PUT_DONE)
                continue;
            if (r == RILL_MIDI_PUT_FULL)
                break; /* the rest in the next cycle, in order */
            rb_drop(&b->drops.too_big, 1); /* not even a fragment fits */
        }
        /* of an older generation of the port, or cannot fit: skipped */
        jack_ringbuffer_read_advance(p->ring, sizeof(h) + h.len);
    }
}

/* A rill input port -> its playback port's ring, each message to be
 * written one period after its frame. RT-safe. */
static void process_out(struct rb *b, struct rb_port *p, jack_port_t *jp, jack_nframes_t n,
                        double start_us, double us_per_frame)
{
    void *buf = jack_port_get_buffer(jp, n);
    if (!buf)
        return;
    uint32_t gen = atomic_load_explicit(&p->rt_gen, memory_order_relaxed);
    uint32_t count = jack_midi_get_event_count(buf);
    int pushed = 0;
    for (uint32_t e = 0; e < count; e++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, buf, e) != 0 || ev.size == 0)
            continue;
        if (ev.size > b->sysex_max) { /* the limit holds both ways */
            rb_drop(&b->drops.sysex_long, 1);
            rb_drop(&b->drops.parse, 1);
            continue;
        }
        struct rb_rec h = { .gen = gen, .len = (uint32_t)ev.size };
        h.ns = (uint64_t)((start_us + ((double)ev.time + (double)n) * us_per_frame) * 1000.0);
        if (jack_ringbuffer_write_space(p->ring) < sizeof(h) + ev.size) {
            rb_drop(&b->drops.out_ring, 1);
            continue;
        }
        /* two writes: the consumer takes a record only once all of it is
         * readable */
        jack_ringbuffer_write(p->ring, (const char *)&h, sizeof(h));
        jack_ringbuffer_write(p->ring, (const char *)ev.buffer, ev.size);
        pushed = 1;
    }
    if (pushed) {
        /* release: the ring's contents before the new word value */
        atomic_fetch_add_explicit(&p->wake, 1, memory_order_release);
        rill_futex_wake(&p->wake, 1);
    }
}

/* The client's realtime thread. RT-safe. */
static int rb_process(jack_nframes_t n, void *arg)
{
    struct rb *b = arg;
    jack_nframes_t cf;
    jack_time_t cu, nu;
    float pu;
    double start_us, us_per_frame;
    if (jack_get_cycle_times(b->client, &cf, &cu, &nu, &pu) == 0 && nu > cu) {
        start_us = (double)cu;
        us_per_frame = (double)(nu - cu) / (double)n;
    } else {
        start_us = (double)jack_get_time();
        us_per_frame = 1e6 / (double)jack_get_sample_rate(b->client);
    }
    for (uint32_t i = 0; i < RB_MAX_PORTS; i++) {
        struct rb_port *p = &b->ports[i];
        /* acquire: the port's ring and fields were set before it */
        jack_port_t *jp = atomic_load_explicit(&p->rt_port, memory_order_acquire);
        if (!jp)
            continue;
        if (p->capture)
            process_in(b, p, jp, n, start_us, us_per_frame);
        else
            process_out(b, p, jp, n, start_us, us_per_frame);
    }
    /* release: what this cycle read of the ports happens before control
     * sees the new count (quiesce) */
    atomic_fetch_add_explicit(&b->cycles, 1, memory_order_release);
    return 0;
}

/* JACK's notification thread: one period each way. */
static void rb_latency(jack_latency_callback_mode_t mode, void *arg)
{
    struct rb *b = arg;
    jack_nframes_t n = jack_get_buffer_size(b->client);
    jack_latency_range_t r = { n, n };
    for (uint32_t i = 0; i < RB_MAX_PORTS; i++) {
        jack_port_t *p = atomic_load_explicit(&b->ports[i].rt_port, memory_order_acquire);
        if (!p)
            continue;
        if (mode == JackCaptureLatency && b->ports[i].capture)
            jack_port_set_latency_range(p, JackCaptureLatency, &r);
        if (mode == JackPlaybackLatency && !b->ports[i].capture)
            jack_port_set_latency_range(p, JackPlaybackLatency, &r);
    }
}

/* A connection changed: control opens or closes devices. JACK's
 * notification thread. */
static void rb_connect(jack_port_id_t a, jack_port_id_t z, int yn, void *arg)
{
    (void)a;
    (void)z;
    (void)yn;
    rb_ctl_wake(arg);
}

/* ---- the control thread ------------------------------------------------ */

/* Publish the drop counts when they changed, as the client properties
 * http://rill.audio/ns/midi#dropped (the total) and #drops (the breakdown,
 * "key=N ..."; rillctl status shows them, tools/rillctl_midi.c names the
 * keys), and log them at most once a second (final: now, at the end).
 * Control thread. */
static void report_drops(struct rb *b, int final)
{
    struct rb_drops *d = &b->drops;
    uint64_t parse = atomic_load_explicit(&d->parse, memory_order_relaxed);
    uint64_t sx = atomic_load_explicit(&d->sysex_long, memory_order_relaxed);
    uint64_t ov = atomic_load_explicit(&d->overrun, memory_order_relaxed);
    uint64_t ir = atomic_load_explicit(&d->in_ring, memory_order_relaxed);
    uint64_t orr = atomic_load_explicit(&d->out_ring, memory_order_relaxed);
    uint64_t big = atomic_load_explicit(&d->too_big, memory_order_relaxed);
    uint64_t we = atomic_load_explicit(&d->write_err, memory_order_relaxed);
    uint64_t cl = atomic_load_explicit(&d->closed, memory_order_relaxed);
    /* not a drop: sysex delivered in fragments */
    uint64_t frag = atomic_load_explicit(&d->fragmented, memory_order_relaxed);
    uint64_t total = parse + ov + ir + orr + big + we + cl;
    if (total != b->drops_reported || frag != b->frag_reported) {
        b->drops_reported = total;
        b->frag_reported = frag;
        char v[512];
        snprintf(v, sizeof(v),
                 "malformed=%llu sysex_too_long=%llu kernel_overruns=%llu "
                 "input_ring_full=%llu output_ring_full=%llu too_large=%llu "
                 "not_written=%llu left_at_close=%llu sysex_fragmented=%llu",
                 (unsigned long long)parse, (unsigned long long)sx, (unsigned long long)ov,
                 (unsigned long long)ir, (unsigned long long)orr, (unsigned long long)big,
                 (unsigned long long)we, (unsigned long long)cl, (unsigned long long)frag);
        rill_midi_publish_drops(b->client, total, v);
    }
    /* the log: not per event, at most once a second */
    uint64_t now = rb_now_ns();
    if (total == b->drops_logged || (!final && now - b->drops_log_ns < 1000000000ull))
        return;
    b->drops_logged = total;
    b->drops_log_ns = now;
    rb_log("%llu MIDI events dropped so far: %llu malformed input (%llu sysex over %u bytes), "
           "%llu bytes lost in kernel input overruns, %llu input ring full, %llu output ring "
           "full, %llu too large for a rill MIDI buffer, %llu not written (device error), "
           "%llu left unwritten when a device closed",
           (unsigned long long)total, (unsigned long long)parse, (unsigned long long)sx,
           b->sysex_max, (unsigned long long)ov, (unsigned long long)ir,
           (unsigned long long)orr, (unsigned long long)big, (unsigned long long)we,
           (unsigned long long)cl);
}

/* Drain the inotify fd (its events only say "look again"). Control thread. */
static void drain_fd(int fd)
{
    char buf[4096];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

/* The control thread. */
static void *ctl_main(void *arg)
{
    struct rb *b = arg;
    struct pollfd pfd[2] = { { .fd = b->ctl_fd, .events = POLLIN },
                             { .fd = b->ino_fd, .events = POLLIN } };
    nfds_t n = b->ino_fd >= 0 ? 2 : 1;
    rb_ports_sync(b);
    while (!atomic_load_explicit(&b->stop, memory_order_acquire)) {
        /* once a second without a wake-up too: a retry after a failed
         * open, and the cards where no inotify is to be had */
        int r = poll(pfd, n, 1000);
        if (atomic_load_explicit(&b->stop, memory_order_acquire))
            break;
        if (r > 0) {
            if (pfd[0].revents)
                drain_fd(b->ctl_fd);
            if (n > 1 && pfd[1].revents)
                drain_fd(b->ino_fd);
        }
        rb_ports_sync(b);
        report_drops(b, 0);
    }
    return NULL;
}

/* ---- life cycle -------------------------------------------------------- */

/* load_init's key=value pairs. Loader's thread. */
static int parse_args(struct rb *b, const char *load_init)
{
    char buf[512];
    if (strlen(load_init) >= sizeof(buf)) {
        rb_log("the arguments are too long (at most %zu bytes)", sizeof(buf) - 1);
        return -EINVAL;
    }
    strcpy(buf, load_init);
    char err[512];
    /* devices=hw:C,D[,S]+...: its value holds commas, so it ends at white
     * space only */
    if (rill_midi_rawdevs_take(buf, "devices", &b->devs, "alsa_rawmidi devices=", err,
                               sizeof(err)) < 0) {
        rb_log("%s", err);
        return -EINVAL;
    }
    char *save = NULL;
    for (char *kv = strtok_r(buf, ", \t", &save); kv; kv = strtok_r(NULL, ", \t", &save)) {
        char *eq = strchr(kv, '=');
        char *end = NULL;
        if (eq && eq - kv == 5 && strncmp(kv, "sysex", 5) == 0) {
            errno = 0;
            unsigned long v = strtoul(eq + 1, &end, 10);
            if (errno || end == eq + 1 || *end || v < 2 || v > RB_SYSEX_MAX) {
                rb_log("sysex=%s is not allowed: use a number of bytes from 2 to %u", eq + 1,
                       RB_SYSEX_MAX);
                return -EINVAL;
            }
            b->sysex_max = (uint32_t)v;
        } else if (eq && eq - kv == 7 && strncmp(kv, "verbose", 7) == 0 &&
                   (strcmp(eq + 1, "0") == 0 || strcmp(eq + 1, "1") == 0)) {
            b->verbose = eq[1] == '1';
        } else {
            rb_log("'%s' is not an argument of alsa_rawmidi: use sysex=BYTES, verbose=0|1 and "
                   "devices=hw:C,D[,S][+...] (last, or followed by a space)",
                   kv);
            return -EINVAL;
        }
    }
    return 0;
}

/* After jack_deactivate and rb_ports_clear. Loader's thread. */
static void rb_free(struct rb *b)
{
    if (!b)
        return;
    if (b->ino_fd >= 0)
        close(b->ino_fd);
    if (b->ctl_fd >= 0)
        close(b->ctl_fd);
    free(b);
}

/* The loader's worker thread. */
int jack_initialize(jack_client_t *client, const char *load_init)
{
    struct rb *b = calloc(1, sizeof(*b));
    int r;
    if (!b)
        return -ENOMEM;
    b->client = client;
    b->ctl_fd = -1;
    b->ino_fd = -1;
    b->sysex_max = RB_SYSEX_DEFAULT;
    if ((r = parse_args(b, load_init ? load_init : "")) < 0)
        goto fail;
    /* a ring holds a few of the longest messages */
    b->ring_bytes = 1u << 18;
    while (b->ring_bytes < 4 * ((size_t)b->sysex_max + sizeof(struct rb_rec)))
        b->ring_bytes <<= 1;
    snprintf(b->dev_dir, sizeof(b->dev_dir), "/dev/snd");
    if ((b->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        r = -errno;
        goto fail;
    }
    b->ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (b->ino_fd >= 0 &&
        inotify_add_watch(b->ino_fd, b->dev_dir, IN_CREATE | IN_DELETE | IN_ATTRIB) < 0) {
        /* no /dev/snd yet (no sound card at all): the scan each second
         * finds cards that come */
        if (b->verbose)
            rb_log("cannot watch %s (%s): looking for devices once a second", b->dev_dir,
                   strerror(errno));
        close(b->ino_fd);
        b->ino_fd = -1;
    }
    b->prio = jack_client_real_time_priority(client);
    b->rt = jack_is_realtime(client);
    jack_set_process_callback(client, rb_process, b);
    jack_set_latency_callback(client, rb_latency, b);
    jack_set_port_connect_callback(client, rb_connect, b);
    if ((r = jack_activate(client)) != 0) {
        rb_log("cannot activate the client");
        r = -EIO;
        goto fail;
    }
    if ((r = pthread_create(&b->ctl_thread, NULL, ctl_main, b)) != 0) {
        r = -r;
        jack_deactivate(client);
        goto fail;
    }
    b->ctl_started = 1;
    char which[RILL_MIDI_RAWDEV_MAX * 48] = "";
    if (b->devs.n) { /* else every device */
        which[0] = ' ';
        rill_midi_rawdevs_format(&b->devs, which + 1, sizeof(which) - 1);
    }
    rb_log("bridging ALSA rawmidi devices%s, sysex up to %u bytes", which, b->sysex_max);
    return 0;
fail:
    jack_set_port_connect_callback(client, NULL, NULL);
    jack_set_latency_callback(client, NULL, NULL);
    rb_free(b);
    return r < 0 ? r : -EIO;
}

/* The loader's worker thread; arg: the process callback's argument. */
void jack_finish(void *arg)
{
    struct rb *b = arg;
    if (!b)
        return;
    atomic_store_explicit(&b->stop, 1, memory_order_release);
    rb_ctl_wake(b);
    if (b->ctl_started)
        pthread_join(b->ctl_thread, NULL);
    jack_deactivate(b->client);
    /* no callback may reach b any more (removing our ports makes the
     * server send notifications) */
    jack_set_port_connect_callback(b->client, NULL, NULL);
    jack_set_latency_callback(b->client, NULL, NULL);
    rb_ports_clear(b);
    report_drops(b, 1);
    rb_free(b);
}
