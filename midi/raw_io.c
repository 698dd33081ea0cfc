/* midi/raw_io.c — the raw MIDI bridge's I/O threads, one per open
 * direction of a device (SCHED_FIFO, jack_client_create_thread).
 *
 * Input: the device is set to the kernel's timestamped framing
 * (SND_RAWMIDI_READ_TSTAMP, CLOCK_MONOTONIC, Linux 5.14 and later): every
 * batch of bytes carries the time the kernel received it, the clock of the
 * engine's cycle times, so no clock model is needed. On an older kernel the
 * bytes are stamped when the thread reads them (logged once). The bytes go
 * through the port's parser (running status, real-time bytes, sysex of any
 * length up to the limit) and each whole message into the port's ring.
 *
 * Output: each record of the port's ring (one JACK event) goes through the
 * port's parser, which puts a sysex that a client wrote in fragments over
 * consecutive events together again (up to the limit), and each whole
 * message is written at its time (one period after its frame; a sysex:
 * its first piece's): the thread sleeps until then
 * (clock_nanosleep, absolute, in steps of at most 100 ms so that it sees a
 * stop) and writes with non-blocking writes, waiting in poll while the
 * device's buffer is full; a message is written whole before the next.
 *
 * An error other than EAGAIN (ENODEV: the device was unplugged) ends the
 * thread: it stores the error, sets io_done and wakes control, which
 * closes the device. These threads never allocate.
 */
#include <errno.h>
#include <jack/jack.h>
#include <jack/thread.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "midi/raw_bridge.h"
#include "rill/futex.h"

#define STEP_NS 100000000ull /* the longest wait without looking at io_stop */
#define DRAIN_NS 200000000ull /* at a stop, how long pending output may take */

/* Has control asked p's I/O thread to stop? I/O thread. */
static int stopping(const struct rb_port *p)
{
    return atomic_load_explicit(&p->io_stop, memory_order_acquire);
}

/* The thread ends with error e (a -errno). I/O thread. */
static void fail(struct rb *b, struct rb_port *p, int e)
{
    atomic_store_explicit(&p->io_err, e, memory_order_relaxed);
    /* release: io_err before io_done */
    atomic_store_explicit(&p->io_done, 1, memory_order_release);
    rb_ctl_wake(b);
}

/* ---- input ------------------------------------------------------------- */

struct emit_ctx {
    struct rb *b;
    struct rb_port *p;
    uint32_t gen;
};

/* A whole message from the parser -> the ring, as one write (the process
 * callback never sees half a record). Input thread. */
static void in_emit(void *arg, uint64_t time, const uint8_t *data, size_t len)
{
    struct emit_ctx *x = arg;
    struct rb_port *p = x->p;
    struct rb_rec h = { .gen = x->gen, .len = (uint32_t)len, .ns = time };
    if (jack_ringbuffer_write_space(p->ring) < sizeof(h) + len) {
        rb_drop(&x->b->drops.in_ring, 1);
        return;
    }
    memcpy(p->scratch, &h, sizeof(h));
    memcpy(p->scratch + sizeof(h), data, len);
    jack_ringbuffer_write(p->ring, (const char *)p->scratch, sizeof(h) + len);
}

/* The kernel's input buffer: its largest (32 KiB), so that a burst (a long
 * sysex that arrives at once, from VirMIDI or a fast USB device) waits
 * there until the thread reads it. */
#define IN_BUFFER 32768u

/* Ask for the kernel's stamps; 0, or -errno when the kernel cannot. Input
 * thread, at its start. */
static int want_tstamps(snd_rawmidi_t *rm)
{
    snd_rawmidi_params_t *pr;
    snd_rawmidi_params_alloca(&pr);
    int r = snd_rawmidi_params_current(rm, pr);
    if (r >= 0 && snd_rawmidi_params_set_buffer_size(rm, pr, IN_BUFFER) >= 0)
        snd_rawmidi_params(rm, pr); /* a smaller buffer still works */
    if (r >= 0)
        r = snd_rawmidi_params_current(rm, pr);
    if (r >= 0)
        r = snd_rawmidi_params_set_read_mode(rm, pr, SND_RAWMIDI_READ_TSTAMP);
    if (r >= 0)
        r = snd_rawmidi_params_set_clock_type(rm, pr, SND_RAWMIDI_CLOCK_MONOTONIC);
    if (r >= 0)
        r = snd_rawmidi_params(rm, pr);
    return r < 0 ? r : 0;
}

/* Bytes the kernel lost since the last call (its xrun count). Input
 * thread. */
static void count_overruns(struct rb *b, snd_rawmidi_t *rm)
{
    snd_rawmidi_status_t *st;
    snd_rawmidi_status_alloca(&st);
    if (snd_rawmidi_status(rm, st) >= 0) {
        size_t x = snd_rawmidi_status_get_xruns(st);
        if (x)
            rb_drop(&b->drops.overrun, x);
    }
}

/* The input thread of p (arg). */
static void *in_main(void *arg)
{
    struct rb_port *p = arg;
    struct rb *b = p->owner;
    snd_rawmidi_t *rm = p->rm;
    struct emit_ctx x = { b, p, atomic_load_explicit(&p->rt_gen, memory_order_relaxed) };
    rill_midi_parser_init(&p->parser, p->sysex, b->sysex_max);
    int tr = want_tstamps(rm);
    int tstamps = tr == 0;
    if (!tstamps) /* once per opening, before any MIDI: no realtime duty yet */
        rb_log("'%s': the kernel gives no timestamps (%s; Linux 5.14 has them): bytes are "
               "stamped when read",
               p->name, snd_strerror(tr));
    struct pollfd pfd[4];
    int npfd = snd_rawmidi_poll_descriptors(rm, pfd, 4);
    uint8_t buf[512];
    while (!stopping(p)) {
        int r = poll(pfd, (nfds_t)npfd, 100);
        if (r == 0) {
            count_overruns(b, rm);
            continue;
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fail(b, p, -errno);
            return NULL;
        }
        unsigned short rev = 0;
        snd_rawmidi_poll_descriptors_revents(rm, pfd, (unsigned)npfd, &rev);
        if (rev & (POLLERR | POLLHUP | POLLNVAL)) {
            fail(b, p, -ENODEV);
            return NULL;
        }
        /* everything there is, in bounded steps */
        for (int k = 0; k < 64; k++) {
            struct timespec ts = { 0, 0 };
            ssize_t n = tstamps ? snd_rawmidi_tread(rm, &ts, buf, sizeof(buf))
                                : snd_rawmidi_read(rm, buf, sizeof(buf));
            if (n == -EAGAIN || n == 0)
                break;
            if (n < 0) {
                fail(b, p, (int)n);
                return NULL;
            }
            uint64_t now = rb_now_ns();
            uint64_t t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
            if (!tstamps || t == 0 || t > now)
                t = now; /* never in the future */
            struct rill_midi_drops before = p->parser.drops;
            rill_midi_parser_feed(&p->parser, buf, (size_t)n, t, in_emit, &x);
            uint64_t d = rill_midi_drops_total(&p->parser.drops) - rill_midi_drops_total(&before);
            if (d) {
                rb_drop(&b->drops.parse, d);
                rb_drop(&b->drops.sysex_long, p->parser.drops.sysex_long - before.sysex_long);
            }
        }
    }
    return NULL;
}

/* ---- output ------------------------------------------------------------ */

/* Write len bytes whole: non-blocking writes, poll while the device's
 * buffer is full. 0, 1 when a stop came with DRAIN_NS passed, or -errno
 * (the device failed). Output thread. */
static int write_all(struct rb_port *p, struct pollfd *pfd, int npfd, const uint8_t *d,
                     size_t len, uint64_t deadline)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = snd_rawmidi_write(p->rm, d + off, len - off);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && n != -EAGAIN)
            return (int)n;
        if (stopping(p) && rb_now_ns() > deadline)
            return 1;
        int r = poll(pfd, (nfds_t)npfd, 100);
        if (r < 0 && errno != EINTR)
            return -errno;
        if (r > 0) {
            unsigned short rev = 0;
            snd_rawmidi_poll_descriptors_revents(p->rm, pfd, (unsigned)npfd, &rev);
            if (rev & (POLLERR | POLLHUP | POLLNVAL))
                return -ENODEV;
        }
    }
    return 0;
}

/* Sleep until monotonic time t, or until a stop. Output thread. */
static void sleep_until(struct rb_port *p, uint64_t t)
{
    while (!stopping(p)) {
        uint64_t now = rb_now_ns();
        if (now >= t)
            return;
        uint64_t until = t - now > STEP_NS ? now + STEP_NS : t;
        struct timespec ts = { (time_t)(until / 1000000000ull), (long)(until % 1000000000ull) };
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
}

struct out_ctx {
    struct rb *b;
    struct rb_port *p;
    struct pollfd *pfd;
    int npfd;
    uint64_t deadline;
    int err; /* the device failed (-errno): the thread ends */
};

/* A whole message from the port's parser: written at its time (for a
 * sysex a client wrote in fragments: the time of its first piece), whole
 * before the next. Output thread. */
static void out_emit(void *arg, uint64_t time, const uint8_t *data, size_t len)
{
    struct out_ctx *x = arg;
    if (x->err < 0) { /* the device is gone */
        rb_drop(&x->b->drops.write_err, 1);
        return;
    }
    if (!stopping(x->p))
        sleep_until(x->p, time);
    int r = write_all(x->p, x->pfd, x->npfd, data, len, x->deadline);
    if (r < 0) {
        rb_drop(&x->b->drops.write_err, 1);
        x->err = r;
    } else if (r > 0) {
        rb_drop(&x->b->drops.closed, 1);
    }
}

/* The output thread of p (arg). Each record is one JACK event: through
 * the port's parser, which hands on whole messages and puts a sysex that a
 * client wrote in fragments together again (up to the limit). */
static void *out_main(void *arg)
{
    struct rb_port *p = arg;
    struct rb *b = p->owner;
    struct pollfd pfd[4];
    int npfd = snd_rawmidi_poll_descriptors(p->rm, pfd, 4);
    struct out_ctx x = { b, p, pfd, npfd, UINT64_MAX, 0 };
    struct rb_rec h;
    rill_midi_parser_init(&p->parser, p->sysex, b->sysex_max);
    for (;;) {
        if (stopping(p) && x.deadline == UINT64_MAX)
            x.deadline = rb_now_ns() + DRAIN_NS;
        /* acquire: pairs with the process callback's release increment */
        uint32_t w = atomic_load_explicit(&p->wake, memory_order_acquire);
        if (jack_ringbuffer_peek(p->ring, (char *)&h, sizeof(h)) == sizeof(h) &&
            jack_ringbuffer_read_space(p->ring) >= sizeof(h) + h.len) {
            uint32_t gen = atomic_load_explicit(&p->rt_gen, memory_order_relaxed);
            if (h.gen != gen || h.len > b->sysex_max) { /* a former port's */
                jack_ringbuffer_read_advance(p->ring, sizeof(h) + h.len);
                continue;
            }
            if (stopping(p) && rb_now_ns() > x.deadline) {
                /* what is left will not be written (a sysex begun and not
                 * finished among it) */
                uint64_t left = p->parser.in_sysex ? 1 : 0;
                while (jack_ringbuffer_peek(p->ring, (char *)&h, sizeof(h)) == sizeof(h) &&
                       jack_ringbuffer_read_space(p->ring) >= sizeof(h) + h.len) {
                    jack_ringbuffer_read_advance(p->ring, sizeof(h) + h.len);
                    left++;
                }
                rb_drop(&b->drops.closed, left);
                return NULL;
            }
            jack_ringbuffer_read_advance(p->ring, sizeof(h));
            jack_ringbuffer_read(p->ring, (char *)p->scratch, h.len);
            struct rill_midi_drops before = p->parser.drops;
            rill_midi_parser_feed_event(&p->parser, p->scratch, h.len, h.ns, out_emit, &x);
            uint64_t d = rill_midi_drops_total(&p->parser.drops) - rill_midi_drops_total(&before);
            if (d) {
                rb_drop(&b->drops.parse, d);
                rb_drop(&b->drops.sysex_long, p->parser.drops.sysex_long - before.sysex_long);
            }
            if (x.err < 0) {
                fail(b, p, x.err);
                return NULL;
            }
            continue;
        }
        if (stopping(p)) {
            if (p->parser.in_sysex) /* its end never came */
                rb_drop(&b->drops.closed, 1);
            return NULL; /* everything written */
        }
        uint64_t t = rb_now_ns() + STEP_NS;
        struct timespec dl = { (time_t)(t / 1000000000ull), (long)(t % 1000000000ull) };
        rill_futex_wait(&p->wake, w, &dl);
    }
}

/* ---- start and stop (control thread) ----------------------------------- */

/* Control thread: p->rm is open. */
int rb_io_start(struct rb *b, struct rb_port *p)
{
    p->owner = b;
    atomic_store_explicit(&p->io_stop, 0, memory_order_relaxed);
    atomic_store_explicit(&p->io_done, 0, memory_order_relaxed);
    int r = jack_client_create_thread(b->client, &p->thread, b->prio, b->rt,
                                      p->capture ? in_main : out_main, p);
    if (r != 0)
        return r > 0 ? -r : r;
    p->thread_on = 1;
    return 0;
}

/* Control thread. */
void rb_io_stop(struct rb *b, struct rb_port *p)
{
    (void)b;
    if (!p->thread_on)
        return;
    /* release: pairs with the thread's acquire loads */
    atomic_store_explicit(&p->io_stop, 1, memory_order_release);
    atomic_fetch_add_explicit(&p->wake, 1, memory_order_release);
    rill_futex_wake(&p->wake, 1);
    pthread_join(p->thread, NULL);
    p->thread_on = 0;
}
