/* midi/seq_bridge.c — the ALSA sequencer bridge as an internal client of
 * rilld (module alsa_midi.so): its life cycle, threads and the process
 * callback. seq_bridge.h lists the threads; doc/midi.md has the design.
 *
 * load_init: comma- or space-separated key=value pairs, all optional:
 *   sysex=BYTES   the longest sysex carried, f0 and f7 included
 *                 (2 .. 1048576, default 65536)
 *   verbose=0|1   log every port added, removed and (un)subscribed
 *   raw=0|1       1: the raw MIDI bridge runs too (rilld --midi seq,raw):
 *                 the ports of the cards' MIDI devices are left out
 */
#include <errno.h>
#include <jack/jack.h>
#include <jack/metadata.h>
#include <jack/thread.h>
#include <jack/uuid.h>
#include <jack/midiport.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "midi/midi_report.h"
#include "midi/seq_bridge.h"
#include "rill/futex.h"

#define BR_EXPORT __attribute__((visibility("default")))
#define RILL_NS_MIDI "http://rill.audio/ns/midi#"
#define CLOCK_SAMPLE_NS 100000000ull /* the clock model is fed every 100 ms */
#define MAX_RECS_PER_CYCLE 65536u

BR_EXPORT int jack_initialize(jack_client_t *client, const char *load_init);
BR_EXPORT void jack_finish(void *arg);

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Non-realtime threads. */
void br_log(const char *fmt, ...)
{
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "alsa_midi: %s\n", line);
}

/* Any thread (a write to an eventfd never blocks: the counter cannot
 * reach its limit from our few wake-ups). */
void br_ctl_wake(struct br *b)
{
    uint64_t one = 1;
    ssize_t r = write(b->ctl_fd, &one, sizeof(one));
    (void)r;
}

static void drop(_Atomic uint64_t *c, uint64_t n)
{
    /* relaxed: a statistic */
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ---- the process callback (the client's realtime thread) --------------- */

/* The next piece of a long record (a sysex larger than a rill MIDI buffer)
 * into its port (midi_frag.h). Returns 1 when the record is done (or its
 * port is gone), 0 when the buffer is full. RT-safe. */
static int frag_continue(struct br *b, jack_nframes_t n)
{
    void *buf = b->frag_slot < BR_MAX_PORTS ? b->bufs[b->frag_slot] : NULL;
    if (!buf ||
        atomic_load_explicit(&b->ports[b->frag_slot].rt_gen, memory_order_relaxed) != b->frag_gen) {
        rill_midi_frag_skip(&b->frag, b->in_ring);
        return 1;
    }
    uint32_t t = b->last_time[b->frag_slot];
    return rill_midi_frag_next(&b->frag, b->in_ring, buf, t < n ? t : n - 1);
}

/* in_ring -> the rill output ports. An event arrived at time t (monotonic)
 * is played at t + one period: offset (t - cycle start) * rate + nframes in
 * this cycle when that falls into it. A sysex larger than an empty rill
 * MIDI buffer goes in fragments over several cycles (frag_continue). With
 * late set (the cycle is over: nobody will read what we write) the buffers
 * are left empty and the ring untouched. RT-safe: no allocation, lock or
 * syscall; bounded by MAX_RECS_PER_CYCLE. */
static void process_in(struct br *b, jack_nframes_t n, double start_us, double us_per_frame,
                       int late)
{
    struct br_rec h;
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++) {
        jack_port_t *p = atomic_load_explicit(&b->ports[i].rt_port, memory_order_acquire);
        b->bufs[i] = NULL;
        if (p && b->ports[i].capture) {
            b->bufs[i] = jack_port_get_buffer(p, n);
            if (b->bufs[i])
                jack_midi_clear_buffer(b->bufs[i]);
            b->last_time[i] = 0;
        }
    }
    if (late) {
        if (b->frag.left || jack_ringbuffer_read_space(b->in_ring) >= sizeof(h))
            drop(&b->drops.late_held, 1);
        return;
    }
    if (b->frag.left && !frag_continue(b, n))
        return;
    for (uint32_t k = 0; k < MAX_RECS_PER_CYCLE; k++) {
        if (jack_ringbuffer_peek(b->in_ring, (char *)&h, sizeof(h)) < sizeof(h))
            break;
        double off = ((double)h.ns / 1000.0 - start_us) / us_per_frame + (double)n;
        if (off >= (double)n)
            break; /* a later cycle's */
        uint32_t t = off < 0 ? 0 : (uint32_t)off;
        void *buf = h.slot < BR_MAX_PORTS ? b->bufs[h.slot] : NULL;
        if (buf && atomic_load_explicit(&b->ports[h.slot].rt_gen, memory_order_relaxed) ==
                       h.gen) {
            if (t < b->last_time[h.slot])
                t = b->last_time[h.slot];
            if (t >= n)
                t = n - 1;
            /* whole, or in fragments when larger than an empty buffer */
            int fragmented;
            enum rill_midi_put r =
                rill_midi_frag_put(&b->frag, b->in_ring, sizeof(h), h.len, buf, t, &fragmented);
            if (fragmented) {
                b->frag_slot = h.slot;
                b->frag_gen = h.gen;
                drop(&b->drops.fragmented, 1);
            }
            if (r != RILL_MIDI_PUT_TOO_BIG)
                b->last_time[h.slot] = t;
            if (r == RILL_MIDI_PUT_DONE)
                continue;
            if (r == RILL_MIDI_PUT_FULL)
                break; /* the rest in the next cycle, in order */
            drop(&b->drops.too_big, 1); /* not even a fragment fits */
        }
        /* the port went away (or the event cannot fit): skip the record */
        jack_ringbuffer_read_advance(b->in_ring, sizeof(h) + h.len);
    }
}

/* The rill input ports -> out_ring: each event to be played one period
 * after its frame. RT-safe. */
static void process_out(struct br *b, jack_nframes_t n, double start_us, double us_per_frame)
{
    int pushed = 0;
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++) {
        struct br_port *bp = &b->ports[i];
        jack_port_t *p = atomic_load_explicit(&bp->rt_port, memory_order_acquire);
        if (!p || bp->capture)
            continue;
        void *buf = jack_port_get_buffer(p, n);
        if (!buf)
            continue;
        uint32_t gen = atomic_load_explicit(&bp->rt_gen, memory_order_relaxed);
        uint32_t count = jack_midi_get_event_count(buf);
        for (uint32_t e = 0; e < count; e++) {
            jack_midi_event_t ev;
            if (jack_midi_event_get(&ev, buf, e) != 0 || ev.size == 0)
                continue;
            if (ev.size > b->sysex_max) { /* the limit holds both ways */
                drop(&b->drops.sysex_long, 1);
                drop(&b->drops.parse, 1);
                continue;
            }
            struct br_rec h = { .slot = i, .gen = gen, .len = (uint32_t)ev.size };
            double t_us = start_us + ((double)ev.time + (double)n) * us_per_frame;
            h.ns = (uint64_t)(t_us * 1000.0);
            if (jack_ringbuffer_write_space(b->out_ring) < sizeof(h) + ev.size) {
                drop(&b->drops.out_ring, 1);
                continue;
            }
            jack_ringbuffer_write(b->out_ring, (const char *)&h, sizeof(h));
            jack_ringbuffer_write(b->out_ring, (const char *)ev.buffer, ev.size);
            pushed = 1;
        }
    }
    if (pushed) {
        /* release: the ring's contents before the new word value */
        atomic_fetch_add_explicit(&b->out_wake, 1, memory_order_release);
        rill_futex_wake(&b->out_wake, 1);
    }
}

/* The client's realtime thread. RT-safe. */
static int br_process(jack_nframes_t n, void *arg)
{
    struct br *b = arg;
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
    /* test hook (RILL_MIDI_TEST_STALL=N, the kernel tests only): every Nth
     * cycle runs late, as on a machine too slow for the period: spin until
     * 2.5 periods after the cycle's start (bounded: 2 s) */
    if (b->test_stall && ++b->test_cycles % b->test_stall == 0) {
        jack_time_t until = (jack_time_t)(start_us + 2.5 * (double)n * us_per_frame);
        jack_time_t cap = jack_get_time() + 2000000;
        while (jack_get_time() < (until < cap ? until : cap))
            ;
    }
    /* a cycle that is long over (this node runs a whole period after its
     * cycle's end: the engine has begun the next cycle, bypassing us and
     * our successors, which will never read this one's output): keep the
     * events for the next cycle instead of losing them. A whole period of
     * margin, because the cycle's times are the engine's estimate and the
     * engine may itself wake late (then it has not moved on, and holding
     * would only delay the events); a node that runs less late than that
     * can still lose its cycle (doc/midi.md, "A late cycle"). */
    int late = jack_get_time() >= (jack_time_t)(start_us + 2.0 * (double)n * us_per_frame);
    process_in(b, n, start_us, us_per_frame, late);
    process_out(b, n, start_us, us_per_frame);
    /* release: what this cycle read of the ports happens before control
     * sees the new count (quiesce) */
    atomic_fetch_add_explicit(&b->cycles, 1, memory_order_release);
    return 0;
}

/* Latency callback (JACK's notification thread): one period each way. */
static void br_latency(jack_latency_callback_mode_t mode, void *arg)
{
    struct br *b = arg;
    jack_nframes_t n = jack_get_buffer_size(b->client);
    jack_latency_range_t r = { n, n };
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++) {
        jack_port_t *p = atomic_load_explicit(&b->ports[i].rt_port, memory_order_acquire);
        if (!p)
            continue;
        if (mode == JackCaptureLatency && b->ports[i].capture)
            jack_port_set_latency_range(p, JackCaptureLatency, &r);
        if (mode == JackPlaybackLatency && !b->ports[i].capture)
            jack_port_set_latency_range(p, JackPlaybackLatency, &r);
    }
}

/* A connection changed somewhere: control re-checks the subscriptions.
 * JACK's notification thread. */
static void br_connect(jack_port_id_t a, jack_port_id_t z, int yn, void *arg)
{
    (void)a;
    (void)z;
    (void)yn;
    br_ctl_wake(arg);
}

/* A port came or went, or was renamed: control updates the exported
 * ports. JACK's notification thread. */
static void br_registration(jack_port_id_t id, int yn, void *arg)
{
    (void)id;
    (void)yn;
    br_ctl_wake(arg);
}

/* A property changed (the rewrite rules of one of our ports, perhaps).
 * JACK's notification thread. */
static void br_property(jack_uuid_t subject, const char *key, jack_property_change_t change,
                        void *arg)
{
    struct br *b = arg;
    (void)subject;
    (void)change;
    if (key && key[0] && strcmp(key, RILL_MIDI_REWRITE_KEY) != 0)
        return;
    /* relaxed: the eventfd write below orders it for the control thread */
    atomic_store_explicit(&b->props_dirty, 1, memory_order_relaxed);
    br_ctl_wake(b);
}

static void br_rename(jack_port_id_t id, const char *old, const char *now, void *arg)
{
    (void)id;
    (void)old;
    (void)now;
    br_ctl_wake(arg);
}

/* ---- the input thread -------------------------------------------------- */

struct emit_ctx {
    struct br *b;
    uint32_t slot, gen;
};

/* A whole message from a port's parser -> in_ring, as one write (the
 * consumer never sees half a record). Input thread. */
static void in_emit(void *arg, uint64_t time, const uint8_t *data, size_t len)
{
    struct emit_ctx *x = arg;
    struct br *b = x->b;
    uint8_t *msg = b->in_scratch + sizeof(struct br_rec);
    memcpy(msg, data, len);
    /* the port's rewriting option (none by default); relaxed: one word,
     * a message more or less under the old rules is fine */
    uint32_t rw = atomic_load_explicit(&b->ports[x->slot].rt_rewrite, memory_order_relaxed);
    len = rill_midi_rewrite_apply(rw, msg, len);
    if (len == 0)
        return; /* dropped as the rules say: not a loss */
    struct br_rec h = { .slot = x->slot, .gen = x->gen, .len = (uint32_t)len, .ns = time };
    if (jack_ringbuffer_write_space(b->in_ring) < sizeof(h) + len) {
        drop(&b->drops.in_ring, 1);
        return;
    }
    memcpy(b->in_scratch, &h, sizeof(h));
    jack_ringbuffer_write(b->in_ring, (const char *)b->in_scratch, sizeof(h) + len);
}

/* One event from the sequencer, read at about time now (monotonic: taken
 * once per read from the kernel, not per event). Input thread. */
static void in_event(struct br *b, snd_seq_event_t *ev, uint64_t now)
{
    if (ev->source.client == SND_SEQ_CLIENT_SYSTEM) {
        switch (ev->type) {
        case SND_SEQ_EVENT_CLIENT_START:
        case SND_SEQ_EVENT_CLIENT_EXIT:
        case SND_SEQ_EVENT_CLIENT_CHANGE:
        case SND_SEQ_EVENT_PORT_START:
        case SND_SEQ_EVENT_PORT_EXIT:
        case SND_SEQ_EVENT_PORT_CHANGE:
            br_ctl_wake(b);
            break;
        default:
            break;
        }
        return;
    }
    uint16_t s1;
    if (ev->dest.client == b->own && ev->dest.port != b->io_port) {
        /* sent to one of our exported ports */
        s1 = atomic_load_explicit(&b->export_slot[ev->dest.port], memory_order_acquire);
        if (s1 == 0 || s1 > BR_MAX_PORTS) {
            drop(&b->drops.no_port, 1);
            return;
        }
    } else {
        s1 = atomic_load_explicit(&b->slot_of[(ev->source.client << 8 | ev->source.port) &
                                              0xffff],
                                  memory_order_acquire);
        if (s1 == 0 || s1 > BR_MAX_PORTS)
            return; /* not a port we bridge (any more) */
    }
    struct br_port *p = &b->ports[s1 - 1];
    uint32_t gen = atomic_load_explicit(&p->rt_gen, memory_order_relaxed);
    if (p->parser_gen != gen) {
        rill_midi_parser_init(&p->parser, p->sysex, b->sysex_max);
        p->parser_gen = gen;
    }
    /* the kernel's stamp on our queue, mapped to monotonic time */
    uint64_t t = now;
    struct rill_midi_line l;
    if ((ev->flags & SND_SEQ_TIME_STAMP_MASK) == SND_SEQ_TIME_STAMP_REAL &&
        rill_midi_clock_read(&b->clock_pub, &l) == 0) {
        uint64_t q = (uint64_t)ev->time.time.tv_sec * 1000000000ull + ev->time.time.tv_nsec;
        uint64_t m = rill_midi_line_to_mono(&l, q);
        if (m <= t) /* never in the future */
            t = m;
    }
    struct rill_midi_drops before = p->parser.drops;
    struct emit_ctx x = { b, s1 - 1u, gen };
    if (ev->type == SND_SEQ_EVENT_SYSEX) {
        rill_midi_parser_feed(&p->parser, ev->data.ext.ptr, ev->data.ext.len, t, in_emit, &x);
    } else {
        unsigned char bytes[16];
        long n = snd_midi_event_decode(b->dec, bytes, sizeof(bytes), ev);
        if (n > 0)
            rill_midi_parser_feed(&p->parser, bytes, (size_t)n, t, in_emit, &x);
    }
    uint64_t d = rill_midi_drops_total(&p->parser.drops) - rill_midi_drops_total(&before);
    if (d) {
        drop(&b->drops.parse, d);
        drop(&b->drops.sysex_long, p->parser.drops.sysex_long - before.sysex_long);
    }
}

/* SCHED_FIFO (jack_client_create_thread). Waits in poll with a timeout so
 * that it sees stop. */
static void *in_main(void *arg)
{
    struct br *b = arg;
    struct pollfd pfd[4];
    int npfd = snd_seq_poll_descriptors(b->seq, pfd, 4, POLLIN);
    while (!atomic_load_explicit(&b->stop, memory_order_acquire)) {
        int r = poll(pfd, (nfds_t)npfd, 100);
        if (r <= 0)
            continue;
        uint64_t now = 0;
        do {
            snd_seq_event_t *ev = NULL;
            /* nothing buffered: this call reads from the kernel, so the
             * time is taken anew after it (events stamped before it) */
            int fresh = now == 0 || snd_seq_event_input_pending(b->seq, 0) == 0;
            r = snd_seq_event_input(b->seq, &ev);
            if (fresh)
                now = now_ns();
            if (r == -ENOSPC) {
                drop(&b->drops.overrun, 1);
                continue;
            }
            if (r == -EAGAIN)
                break;
            if (r < 0 || !ev) {
                /* relaxed: statistics, logged by control */
                atomic_fetch_add_explicit(&b->drops.read_err, 1, memory_order_relaxed);
                atomic_store_explicit(&b->drops.last_read_err, r, memory_order_relaxed);
                break;
            }
            in_event(b, ev, now);
        } while (snd_seq_event_input_pending(b->seq, 0) > 0);
    }
    return NULL;
}

/* ---- the output thread ------------------------------------------------- */

/* Feed the clock model: queue time read between two monotonic stamps; a
 * read that took long is not used. Output thread. */
static void clock_sample(struct br *b)
{
    snd_seq_queue_status_t *st;
    if (snd_seq_queue_status_malloc(&st) < 0)
        return;
    uint64_t t1 = now_ns();
    int r = snd_seq_get_queue_status(b->seq, b->queue, st);
    uint64_t t2 = now_ns();
    if (r >= 0 && t2 - t1 < 200000) {
        const snd_seq_real_time_t *rt = snd_seq_queue_status_get_real_time(st);
        uint64_t q = (uint64_t)rt->tv_sec * 1000000000ull + rt->tv_nsec;
        rill_midi_clock_sample(&b->clock, q, t1 + (t2 - t1) / 2);
        rill_midi_clock_publish(&b->clock_pub, &b->clock);
    }
    snd_seq_queue_status_free(st);
}

/* Schedule ev on our queue at monotonic time ns. Output thread. */
static void schedule_at(struct br *b, snd_seq_event_t *ev, const struct rill_midi_line *l,
                        uint64_t ns)
{
    uint64_t q = rill_midi_line_to_queue(l, ns);
    snd_seq_real_time_t rt = { (unsigned int)(q / 1000000000ull),
                               (unsigned int)(q % 1000000000ull) };
    snd_seq_ev_schedule_real(ev, b->queue, 0, &rt);
}

/* Address ev to port p and write it, played at monotonic time ns on our
 * queue (or at once without a clock model). A full output pool makes the
 * write wait for the events before it to be delivered. Output thread. */
static int out_write(struct br *b, struct br_port *p, snd_seq_event_t *ev, uint64_t ns)
{
    uint32_t addr = atomic_load_explicit(&p->rt_addr, memory_order_relaxed);
    if (addr & BR_ADDR_EXPORT) {
        /* an exported rill output: to the subscribers of its ALSA port */
        snd_seq_ev_set_source(ev, (int)(addr & 0xff));
        snd_seq_ev_set_subs(ev);
    } else {
        snd_seq_ev_set_source(ev, b->io_port);
        snd_seq_ev_set_dest(ev, (int)(addr >> 8), (int)(addr & 0xff));
    }
    struct rill_midi_line l;
    if (rill_midi_clock_read(&b->clock_pub, &l) == 0)
        schedule_at(b, ev, &l, ns);
    else
        snd_seq_ev_set_direct(ev);
    return snd_seq_event_output_direct(b->seq, ev);
}

/* One chunk of pending sysex x, played at ns. Output thread. */
static int out_chunk(struct br *b, struct br_pend *x, uint64_t ns)
{
    struct br_port *p = &b->ports[x->slot];
    uint32_t n = x->len - x->off > BR_SYSEX_CHUNK ? BR_SYSEX_CHUNK : x->len - x->off;
    snd_seq_event_t ev;
    snd_seq_ev_clear(&ev);
    snd_seq_ev_set_sysex(&ev, n, x->data + x->off);
    int r = out_write(b, p, &ev, ns);
    x->off += n;
    x->last_ns = ns;
    p->out_busy_until = ns + 1;
    if (x->off >= x->len)
        x->used = 0;
    return r;
}

/* Send the rest of pending sysex x now, each chunk BR_SYSEX_GAP_NS after
 * the one before (bounded: len / BR_SYSEX_CHUNK writes): before another
 * message of its port, which must not overtake it. Output thread. */
static void out_flush(struct br *b, struct br_pend *x)
{
    int r = 0;
    while (x->used && r >= 0)
        r = out_chunk(b, x, x->last_ns + BR_SYSEX_GAP_NS);
    if (r < 0) {
        x->used = 0;
        drop(&b->drops.send, 1);
    }
}

/* The next chunk of each pending sysex whose chunk before is due (played,
 * as far as our clock goes), BR_SYSEX_GAP_NS after it at the earliest.
 * Returns the monotonic time of the next chunk to come, 0 when none is
 * pending. Output thread. */
static uint64_t out_pace(struct br *b, uint64_t now)
{
    uint64_t next = 0;
    for (uint32_t i = 0; i < BR_SYSEX_PENDING; i++) {
        struct br_pend *x = &b->pend[i];
        if (!x->used)
            continue;
        struct br_port *p = &b->ports[x->slot];
        if (atomic_load_explicit(&p->rt_gen, memory_order_relaxed) != x->gen ||
            !atomic_load_explicit(&p->rt_port, memory_order_acquire)) {
            x->used = 0; /* the port went away */
            continue;
        }
        if (now >= x->last_ns) {
            uint64_t at = x->last_ns + BR_SYSEX_GAP_NS;
            if (out_chunk(b, x, at > now ? at : now) < 0) {
                x->used = 0;
                drop(&b->drops.send, 1);
                continue;
            }
        }
        if (x->used && (next == 0 || x->last_ns < next))
            next = x->last_ns;
    }
    return next;
}

/* The pending sysex of port slot, or NULL. Output thread. */
static struct br_pend *out_pending(struct br *b, uint32_t slot)
{
    for (uint32_t i = 0; i < BR_SYSEX_PENDING; i++)
        if (b->pend[i].used && b->pend[i].slot == slot)
            return &b->pend[i];
    return NULL;
}

/* Send one whole message of port slot, played at monotonic time ns (or
 * after the port's long sysex still going out). A sysex up to
 * BR_SYSEX_CHUNK bytes is one event; a longer one goes as several sysex
 * events of BR_SYSEX_CHUNK bytes (the first with the f0, the last with
 * the f7): a scheduled event's data is copied into the kernel's cells (28
 * bytes each, 2000 at most in a pool), so the first chunk is sent now and
 * the others by out_pace, each once the one before is due. Output thread. */
static void out_send(struct br *b, uint32_t slot, uint64_t ns, uint8_t *data, size_t len)
{
    struct br_port *p = &b->ports[slot];
    /* relaxed: see in_emit */
    len = rill_midi_rewrite_apply(atomic_load_explicit(&p->rt_rewrite, memory_order_relaxed),
                                  data, len);
    if (len == 0)
        return;
    /* whatever is left of the port's long sysex goes first, in order */
    struct br_pend *x = out_pending(b, slot);
    if (x)
        out_flush(b, x);
    if (ns < p->out_busy_until)
        ns = p->out_busy_until; /* after the long sysex still going out */
    snd_seq_event_t ev;
    snd_seq_ev_clear(&ev);
    if (data[0] == 0xf0 && len > BR_SYSEX_CHUNK) {
        for (uint32_t i = 0; !x && i < BR_SYSEX_PENDING; i++)
            if (!b->pend[i].used && b->pend[i].data)
                x = &b->pend[i];
        if (!x)
            x = &b->pend[0]; /* all busy (other ports): flush the first */
        if (x->used)
            out_flush(b, x);
        memcpy(x->data, data, len); /* len <= sysex_max: the parser's limit */
        x->slot = slot;
        x->gen = atomic_load_explicit(&p->rt_gen, memory_order_relaxed);
        x->len = (uint32_t)len;
        x->off = 0;
        x->used = 1;
        if (out_chunk(b, x, ns) < 0) {
            x->used = 0;
            drop(&b->drops.send, 1);
        }
        return;
    }
    if (data[0] == 0xf0) {
        snd_seq_ev_set_sysex(&ev, (unsigned int)len, (void *)data);
    } else {
        snd_midi_event_reset_encode(b->enc);
        long used = snd_midi_event_encode(b->enc, data, (long)len, &ev);
        if (used <= 0 || ev.type == SND_SEQ_EVENT_NONE) {
            drop(&b->drops.send, 1);
            return;
        }
    }
    if (out_write(b, p, &ev, ns) < 0)
        drop(&b->drops.send, 1);
}

struct out_ctx {
    struct br *b;
    uint32_t slot;
};

/* A whole message from a playback port's parser. Output thread. */
static void out_emit(void *arg, uint64_t time, const uint8_t *data, size_t len)
{
    struct out_ctx *x = arg;
    /* the parser's own buffers: ours to change until the next feed */
    out_send(x->b, x->slot, time, (uint8_t *)data, len);
}

/* One JACK event of port h->slot: through the port's parser, which hands
 * on whole messages and puts a sysex that a JACK client wrote in fragments
 * (f0 .., .., .. f7 in consecutive events) back together. Output thread. */
static void out_record(struct br *b, const struct br_rec *h, const uint8_t *data)
{
    struct br_port *p = &b->ports[h->slot];
    if (atomic_load_explicit(&p->rt_gen, memory_order_relaxed) != h->gen ||
        !atomic_load_explicit(&p->rt_port, memory_order_acquire) || !p->sysex)
        return; /* the port went away */
    if (p->parser_gen != h->gen) {
        rill_midi_parser_init(&p->parser, p->sysex, b->sysex_max);
        p->parser_gen = h->gen;
    }
    /* a JACK event holds one whole message (or a fragment of a sysex) */
    struct rill_midi_drops before = p->parser.drops;
    struct out_ctx x = { b, h->slot };
    rill_midi_parser_feed_event(&p->parser, data, h->len, h->ns, out_emit, &x);
    uint64_t d = rill_midi_drops_total(&p->parser.drops) - rill_midi_drops_total(&before);
    if (d) {
        drop(&b->drops.parse, d);
        drop(&b->drops.sysex_long, p->parser.drops.sysex_long - before.sysex_long);
    }
}

/* SCHED_FIFO (jack_client_create_thread). */
static void *out_main(void *arg)
{
    struct br *b = arg;
    uint64_t next_sample = 0;
    struct br_rec h;
    while (!atomic_load_explicit(&b->stop, memory_order_acquire)) {
        /* acquire: pairs with the process callback's release increment */
        uint32_t w = atomic_load_explicit(&b->out_wake, memory_order_acquire);
        while (jack_ringbuffer_peek(b->out_ring, (char *)&h, sizeof(h)) == sizeof(h) &&
               jack_ringbuffer_read_space(b->out_ring) >= sizeof(h) + h.len) {
            /* a header whose data is not written yet waits for the next turn */
            jack_ringbuffer_read_advance(b->out_ring, sizeof(h));
            jack_ringbuffer_read(b->out_ring, (char *)b->out_scratch, h.len);
            if (h.slot < BR_MAX_PORTS && h.len > 0)
                out_record(b, &h, b->out_scratch);
        }
        uint64_t t = now_ns();
        if (t >= next_sample) {
            clock_sample(b);
            next_sample = t + CLOCK_SAMPLE_NS;
        }
        uint64_t wake = out_pace(b, t);
        if (wake == 0 || wake > next_sample)
            wake = next_sample;
        struct timespec dl = { (time_t)(wake / 1000000000ull),
                               (long)(wake % 1000000000ull) };
        if (jack_ringbuffer_read_space(b->out_ring) == 0)
            rill_futex_wait(&b->out_wake, w, &dl);
    }
    return NULL;
}

/* ---- the control thread ------------------------------------------------ */

/* Log and publish the drop counts when they changed. Control thread. */
static void report_drops(struct br *b)
{
    struct br_drops *d = &b->drops;
    uint64_t parse = atomic_load_explicit(&d->parse, memory_order_relaxed);
    uint64_t sx = atomic_load_explicit(&d->sysex_long, memory_order_relaxed);
    uint64_t ov = atomic_load_explicit(&d->overrun, memory_order_relaxed);
    uint64_t ir = atomic_load_explicit(&d->in_ring, memory_order_relaxed);
    uint64_t orr = atomic_load_explicit(&d->out_ring, memory_order_relaxed);
    uint64_t big = atomic_load_explicit(&d->too_big, memory_order_relaxed);
    uint64_t snd = atomic_load_explicit(&d->send, memory_order_relaxed);
    uint64_t np = atomic_load_explicit(&d->no_port, memory_order_relaxed);
    uint64_t rerr = atomic_load_explicit(&d->read_err, memory_order_relaxed);
    if (rerr != b->read_err_reported) {
        b->read_err_reported = rerr;
        br_log("reading from the sequencer failed %llu times (last: %s)",
               (unsigned long long)rerr,
               snd_strerror(atomic_load_explicit(&d->last_read_err, memory_order_relaxed)));
    }
    uint64_t late = atomic_load_explicit(&d->late_held, memory_order_relaxed);
    uint64_t frag = atomic_load_explicit(&d->fragmented, memory_order_relaxed);
    uint64_t total = parse + ov + ir + orr + big + snd + np;
    if (total == b->drops_reported && late + frag == b->stats_reported)
        return;
    b->stats_reported = late + frag;
    /* the total and the breakdown as properties of our client (rillctl
     * status and status --json; doc/rillctl.md names the words) */
    char v[512];
    snprintf(v, sizeof(v),
             "malformed=%llu sysex_too_long=%llu kernel_overruns=%llu input_ring_full=%llu "
             "output_ring_full=%llu too_large=%llu refused=%llu before_export=%llu "
             "late_cycles_held=%llu sysex_fragmented=%llu",
             (unsigned long long)parse, (unsigned long long)sx, (unsigned long long)ov,
             (unsigned long long)ir, (unsigned long long)orr, (unsigned long long)big,
             (unsigned long long)snd, (unsigned long long)np, (unsigned long long)late,
             (unsigned long long)frag);
    rill_midi_publish_drops(b->client, total, v);
    if (total == b->drops_reported)
        return;
    b->drops_reported = total;
    br_log("%llu MIDI events dropped so far: %llu malformed input (%llu sysex over %u bytes), "
           "%llu kernel input overruns (each lost what did not fit the kernel's FIFO: how many, "
           "the kernel does not say), %llu input ring full, %llu output ring full, %llu too "
           "large for a rill MIDI buffer, %llu refused by the sequencer, %llu sent to an "
           "exported port before its rill side was made",
           (unsigned long long)total, (unsigned long long)parse, (unsigned long long)sx,
           b->sysex_max, (unsigned long long)ov, (unsigned long long)ir,
           (unsigned long long)orr, (unsigned long long)big, (unsigned long long)snd,
           (unsigned long long)np);
}

static void *ctl_main(void *arg)
{
    struct br *b = arg;
    struct pollfd pfd = { .fd = b->ctl_fd, .events = POLLIN };
    br_ports_sync(b);
    while (!atomic_load_explicit(&b->stop, memory_order_acquire)) {
        int r = poll(&pfd, 1, 1000);
        if (atomic_load_explicit(&b->stop, memory_order_acquire))
            break;
        if (r > 0) {
            uint64_t v;
            ssize_t n = read(b->ctl_fd, &v, sizeof(v));
            (void)n;
        }
        /* also once a second without a wake-up: the kernel announces
         * ports coming, going and changing, but not a client's new name */
        br_ports_sync(b);
        report_drops(b);
    }
    return NULL;
}

/* ---- life cycle -------------------------------------------------------- */

static int parse_args(struct br *b, const char *load_init)
{
    char buf[512];
    if (strlen(load_init) >= sizeof(buf)) {
        br_log("the arguments are too long (at most %zu bytes)", sizeof(buf) - 1);
        return -EINVAL;
    }
    strcpy(buf, load_init);
    char err[512];
    /* raw_devices=hw:C,D[,S]+...: its value holds commas, so it ends at
     * white space only */
    if (rill_midi_rawdevs_take(buf, "raw_devices", &b->raw_devs, "alsa_midi raw_devices=", err,
                               sizeof(err)) < 0) {
        br_log("%s", err);
        return -EINVAL;
    }
    if (b->raw_devs.n)
        b->raw = 1;
    char *save = NULL;
    for (char *kv = strtok_r(buf, ", \t", &save); kv; kv = strtok_r(NULL, ", \t", &save)) {
        char *eq = strchr(kv, '=');
        char *end = NULL;
        if (eq && strncmp(kv, "sysex", (size_t)(eq - kv)) == 0 && eq - kv == 5) {
            errno = 0;
            unsigned long v = strtoul(eq + 1, &end, 10);
            if (errno || end == eq + 1 || *end || v < 2 || v > BR_SYSEX_MAX) {
                br_log("sysex=%s is not allowed: use a number of bytes from 2 to %u", eq + 1,
                       BR_SYSEX_MAX);
                return -EINVAL;
            }
            b->sysex_max = (uint32_t)v;
        } else if (eq && eq - kv == 7 && strncmp(kv, "verbose", 7) == 0 &&
                   (strcmp(eq + 1, "0") == 0 || strcmp(eq + 1, "1") == 0)) {
            b->verbose = eq[1] == '1';
        } else if (eq && eq - kv == 3 && strncmp(kv, "raw", 3) == 0 &&
                   (strcmp(eq + 1, "0") == 0 || strcmp(eq + 1, "1") == 0)) {
            b->raw = eq[1] == '1';
        } else if (strcmp(kv, "mode=seq") == 0) {
            /* the only mode of this module */
        } else {
            br_log("'%s' is not an argument of alsa_midi: use sysex=BYTES, verbose=0|1, raw=0|1 "
                   "and raw_devices=hw:C,D[,S][+...] (last, or followed by a space)",
                   kv);
            return -EINVAL;
        }
    }
    return 0;
}

static void br_free(struct br *b)
{
    if (!b)
        return;
    br_ports_clear(b);
    if (b->seq)
        br_exports_clear(b);
    if (b->seq)
        snd_seq_close(b->seq);
    if (b->dec)
        snd_midi_event_free(b->dec);
    if (b->enc)
        snd_midi_event_free(b->enc);
    if (b->in_ring)
        jack_ringbuffer_free(b->in_ring);
    if (b->out_ring)
        jack_ringbuffer_free(b->out_ring);
    if (b->ctl_fd >= 0)
        close(b->ctl_fd);
    free(b->in_scratch);
    free(b->out_scratch);
    for (uint32_t i = 0; i < BR_SYSEX_PENDING; i++)
        free(b->pend[i].data);
    free(b);
}

/* After jack_deactivate: no callback may reach b any more (removing our
 * ports below makes the server send registration events, which the
 * notification thread would otherwise hand to freed memory). The client
 * core copies a callback under its lock and calls it after unlocking, so
 * one that was being dispatched at this moment still runs: it only writes
 * to ctl_fd, which br_free closes last. Loader's thread. */
static void br_forget_callbacks(struct br *b)
{
    jack_set_port_connect_callback(b->client, NULL, NULL);
    jack_set_port_registration_callback(b->client, NULL, NULL);
    jack_set_port_rename_callback(b->client, NULL, NULL);
    jack_set_latency_callback(b->client, NULL, NULL);
    jack_set_property_change_callback(b->client, NULL, NULL);
}

static void br_stop_threads(struct br *b)
{
    atomic_store_explicit(&b->stop, 1, memory_order_release);
    atomic_fetch_add_explicit(&b->out_wake, 1, memory_order_release);
    rill_futex_wake(&b->out_wake, 1);
    br_ctl_wake(b);
    if (b->ctl_started)
        pthread_join(b->ctl_thread, NULL);
    if (b->in_started)
        pthread_join(b->in_thread, NULL);
    if (b->out_started)
        pthread_join(b->out_thread, NULL);
    b->ctl_started = b->in_started = b->out_started = 0;
}

/* The loader's worker thread. */
int jack_initialize(jack_client_t *client, const char *load_init)
{
    struct br *b = calloc(1, sizeof(*b));
    int r;
    if (!b)
        return -ENOMEM;
    b->client = client;
    b->ctl_fd = -1;
    b->sysex_max = BR_SYSEX_DEFAULT;
    b->queue = -1;
    if ((r = parse_args(b, load_init ? load_init : "")) < 0)
        goto fail;
    const char *stall = getenv("RILL_MIDI_TEST_STALL"); /* tests: late cycles */
    if (stall && atoi(stall) > 0) {
        b->test_stall = (uint32_t)atoi(stall);
        br_log("RILL_MIDI_TEST_STALL: every %u-th cycle runs late (a test hook)", b->test_stall);
    }
    r = snd_seq_open(&b->seq, "hw", SND_SEQ_OPEN_DUPLEX, 0);
    if (r < 0) {
        br_log("cannot open the ALSA sequencer: %s (is the snd-seq module loaded? "
               "/dev/snd/seq must exist)",
               snd_strerror(r));
        b->seq = NULL;
        goto fail;
    }
    snd_seq_set_client_name(b->seq, "rill");
    /* room for long sysex both ways (the kernel's largest pools) */
    snd_seq_set_client_pool_output(b->seq, 2000);
    snd_seq_set_client_pool_input(b->seq, 2000);
    /* read the kernel's whole input FIFO (2000 events at most) in one
     * read(): a burst costs the input thread few system calls */
    snd_seq_set_input_buffer_size(b->seq, 2048 * sizeof(snd_seq_event_t));
    b->own = snd_seq_client_id(b->seq);
    b->io_port = snd_seq_create_simple_port(
        b->seq, "rill bridge",
        SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_NO_EXPORT,
        SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
    if ((r = b->io_port) < 0) {
        br_log("cannot create the bridge's sequencer port: %s", snd_strerror(r));
        goto fail;
    }
    if ((r = b->queue = snd_seq_alloc_named_queue(b->seq, "rill")) < 0) {
        br_log("cannot allocate a sequencer queue: %s", snd_strerror(r));
        goto fail;
    }
    snd_seq_start_queue(b->seq, b->queue, NULL);
    snd_seq_drain_output(b->seq);
    if ((r = snd_seq_connect_from(b->seq, b->io_port, SND_SEQ_CLIENT_SYSTEM,
                                  SND_SEQ_PORT_SYSTEM_ANNOUNCE)) < 0) {
        br_log("cannot follow the sequencer's announcements: %s", snd_strerror(r));
        goto fail;
    }
    if ((r = snd_midi_event_new(16, &b->dec)) < 0 || (r = snd_midi_event_new(16, &b->enc)) < 0)
        goto fail;
    snd_midi_event_no_status(b->dec, 1); /* every message with its status byte */
    snd_midi_event_no_status(b->enc, 1);
    b->in_ring = jack_ringbuffer_create(BR_RING_BYTES);
    b->out_ring = jack_ringbuffer_create(BR_RING_BYTES);
    b->in_scratch = malloc(b->sysex_max + sizeof(struct br_rec));
    b->out_scratch = malloc(BR_RING_BYTES);
    if (!b->in_ring || !b->out_ring || !b->in_scratch || !b->out_scratch) {
        r = -ENOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < BR_SYSEX_PENDING; i++)
        if (!(b->pend[i].data = malloc(b->sysex_max))) {
            r = -ENOMEM;
            goto fail;
        } else {
            memset(b->pend[i].data, 0, b->sysex_max); /* faulted in before the output thread */
        }
    jack_ringbuffer_mlock(b->in_ring);
    jack_ringbuffer_mlock(b->out_ring);
    if ((b->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        r = -errno;
        goto fail;
    }
    jack_set_process_callback(client, br_process, b);
    jack_set_latency_callback(client, br_latency, b);
    jack_set_port_connect_callback(client, br_connect, b);
    jack_set_port_registration_callback(client, br_registration, b);
    jack_set_port_rename_callback(client, br_rename, b);
    jack_set_property_change_callback(client, br_property, b);
    snprintf(b->own_prefix, sizeof(b->own_prefix), "%s:", jack_get_client_name(client));
    clock_sample(b);
    if ((r = jack_activate(client)) != 0) {
        br_log("cannot activate the client");
        r = -EIO;
        goto fail;
    }
    int prio = jack_client_real_time_priority(client);
    int rt = jack_is_realtime(client);
    /* the input thread one step below the process threads: the kernel
     * stamps every event, so its wake-up latency costs no timing (up to a
     * period), while a process thread that it delayed would be bypassed
     * and lose its cycle's events */
    int in_prio = prio > 1 ? prio - 1 : prio;
    if ((r = jack_client_create_thread(client, &b->in_thread, in_prio, rt, in_main, b)) != 0)
        goto fail_deact;
    b->in_started = 1;
    if ((r = jack_client_create_thread(client, &b->out_thread, prio, rt, out_main, b)) != 0)
        goto fail_deact;
    b->out_started = 1;
    if ((r = pthread_create(&b->ctl_thread, NULL, ctl_main, b)) != 0) {
        r = -r;
        goto fail_deact;
    }
    b->ctl_started = 1;
    br_log("bridging the ALSA sequencer (client %d 'rill'), sysex up to %u bytes", b->own,
           b->sysex_max);
    return 0;
fail_deact:
    br_stop_threads(b);
    jack_deactivate(client);
fail:
    br_forget_callbacks(b); /* inactive here: allowed, and harmless when unset */
    br_free(b);
    return r < 0 ? r : -EIO;
}

/* The loader's worker thread; arg: the process callback's argument. */
void jack_finish(void *arg)
{
    struct br *b = arg;
    if (!b)
        return;
    br_stop_threads(b);
    jack_deactivate(b->client);
    br_forget_callbacks(b);
    report_drops(b);
    br_free(b);
}
