/* tests/kernel/rill-kernel-jitter.c — the two ends of the MIDI jitter
 * benchmark (tests/kernel/guest-benchmidi.sh, `make bench-midi`):
 *
 *   rill-kernel-jitter jack-steps NAME N STEP DEST
 *       a JACK client (on rill through rill-jack, or on jackd2) with MIDI
 *       output "out" connected to DEST; once connected, writes N note-ons
 *       at exact frames STEP apart (event i: note 20 + i % 100, velocity
 *       1 + i / 100), then prints "sent N" and exits after one more second.
 *   rill-kernel-jitter seq-stamp NAME SRC N FILE
 *       an ALSA sequencer client that subscribes to SRC ("14:0") with the
 *       kernel's real-time stamps of a queue of its own, prints "ready",
 *       and writes one line "NS NOTE VEL" per note-on it reads (NS: the
 *       stamp in nanoseconds) to FILE, until N came or 30 s passed.
 *   rill-kernel-jitter seq-sysex NAME SRC FILE
 *       an ALSA sequencer client (input pool 2000 events) that subscribes
 *       to SRC, prints "ready" and writes the bytes of every sysex event it
 *       reads to FILE (the kernel tests' long sysex, rill -> ALSA), until 10 s
 *       passed without one after the first (a loaded TCG guest can stall
 *       for seconds), or 60 s in all; "done BYTES overruns N" (N: the
 *       times the kernel said our input pool overflowed and dropped what it
 *       held, -ENOSPC: a reader too slow for the sender, as a stalled TCG
 *       guest can make it).
 *
 * Exit 0, 1 on an error, 2 on a usage error.
 */
#include <alsa/asoundlib.h>
#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static jack_client_t *client;
static jack_port_t *port;
static uint32_t nsteps, step;
static _Atomic int armed;       /* main -> process: start */
static _Atomic uint32_t sent;   /* process -> main */
static uint64_t first, high;    /* process thread */
static uint32_t last32;
static int have_last, started;

/* The client's realtime thread: events at first + i * step (64-bit
 * frames). */
static int process(jack_nframes_t n, void *arg)
{
    (void)arg;
    void *buf = jack_port_get_buffer(port, n);
    jack_midi_clear_buffer(buf);
    uint32_t f32 = jack_last_frame_time(client);
    if (have_last && f32 < last32)
        high += 1ull << 32;
    last32 = f32;
    have_last = 1;
    uint64_t f = high + f32;
    if (!atomic_load_explicit(&armed, memory_order_acquire))
        return 0;
    if (!started) {
        first = f + 2ull * n; /* from two cycles on */
        started = 1;
    }
    uint32_t i = atomic_load_explicit(&sent, memory_order_relaxed);
    while (i < nsteps) {
        uint64_t at = first + (uint64_t)i * step;
        if (at >= f + n)
            break;
        if (at >= f) {
            uint8_t m[3] = { 0x90, (uint8_t)(20 + i % 100), (uint8_t)(1 + i / 100) };
            jack_midi_event_write(buf, (jack_nframes_t)(at - f), m, 3);
        }
        i++;
    }
    atomic_store_explicit(&sent, i, memory_order_release);
    return 0;
}

static int jack_steps(int argc, char **argv)
{
    if (argc != 6)
        return 2;
    nsteps = (uint32_t)atoi(argv[3]);
    step = (uint32_t)atoi(argv[4]);
    if (nsteps == 0 || nsteps > 12700 || step == 0)
        return 2;
    client = jack_client_open(argv[2], JackNoStartServer, NULL);
    if (!client)
        return 1;
    port = jack_port_register(client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    if (!port || jack_set_process_callback(client, process, NULL) || jack_activate(client))
        return 1;
    if (jack_connect(client, jack_port_name(port), argv[5]) != 0) {
        fprintf(stderr, "cannot connect %s to %s\n", jack_port_name(port), argv[5]);
        return 1;
    }
    /* a moment for the bridge to subscribe (it does so lazily) */
    sleep(1);
    printf("ready\n");
    fflush(stdout);
    atomic_store_explicit(&armed, 1, memory_order_release);
    for (int k = 0; k < 6000 && atomic_load(&sent) < nsteps; k++)
        usleep(10000);
    printf("sent %u\n", atomic_load(&sent));
    fflush(stdout);
    sleep(1);
    jack_client_close(client);
    return 0;
}

static int seq_stamp(int argc, char **argv)
{
    if (argc != 6)
        return 2;
    long want = atol(argv[4]);
    snd_seq_t *seq;
    snd_seq_addr_t src, me;
    /* duplex: starting our queue is an event we send */
    if (snd_seq_open(&seq, "hw", SND_SEQ_OPEN_DUPLEX, 0) < 0)
        return 1;
    snd_seq_set_client_name(seq, argv[2]);
    int p = snd_seq_create_simple_port(seq, "in",
                                       SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE,
                                       SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
    int q = snd_seq_alloc_queue(seq);
    if (p < 0 || q < 0 || snd_seq_parse_address(seq, &src, argv[3]) < 0)
        return 1;
    snd_seq_start_queue(seq, q, NULL);
    snd_seq_drain_output(seq);
    me.client = (unsigned char)snd_seq_client_id(seq);
    me.port = (unsigned char)p;
    snd_seq_port_subscribe_t *sub;
    snd_seq_port_subscribe_alloca(&sub);
    snd_seq_port_subscribe_set_sender(sub, &src);
    snd_seq_port_subscribe_set_dest(sub, &me);
    snd_seq_port_subscribe_set_queue(sub, q);
    snd_seq_port_subscribe_set_time_update(sub, 1);
    snd_seq_port_subscribe_set_time_real(sub, 1);
    if (snd_seq_subscribe_port(seq, sub) < 0) {
        fprintf(stderr, "cannot subscribe to %s\n", argv[3]);
        return 1;
    }
    FILE *out = fopen(argv[5], "w");
    if (!out)
        return 1;
    setvbuf(out, NULL, _IOLBF, 0); /* every line on disk: the test may stop us */
    printf("ready\n");
    fflush(stdout);
    struct pollfd pfd[4];
    int npfd = snd_seq_poll_descriptors(seq, pfd, 4, POLLIN);
    long got = 0;
    time_t end = time(NULL) + 30;
    while (got < want && time(NULL) < end) {
        if (poll(pfd, (nfds_t)npfd, 200) <= 0)
            continue;
        snd_seq_event_t *ev;
        int r;
        while ((r = snd_seq_event_input(seq, &ev)) >= 0 && ev) {
            if (ev->type == SND_SEQ_EVENT_NOTEON) {
                fprintf(out, "%llu %u %u\n",
                        (unsigned long long)ev->time.time.tv_sec * 1000000000ull +
                            ev->time.time.tv_nsec,
                        ev->data.note.note, ev->data.note.velocity);
                got++;
            }
            if (snd_seq_event_input_pending(seq, 0) == 0)
                break;
        }
    }
    fclose(out);
    printf("done %ld\n", got);
    snd_seq_close(seq);
    return 0;
}

static int seq_sysex(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    snd_seq_t *seq;
    snd_seq_addr_t src, me;
    if (snd_seq_open(&seq, "hw", SND_SEQ_OPEN_INPUT, 0) < 0)
        return 1;
    snd_seq_set_client_name(seq, argv[2]);
    snd_seq_set_client_pool_input(seq, 2000);
    int p = snd_seq_create_simple_port(seq, "in",
                                       SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE,
                                       SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
    if (p < 0 || snd_seq_parse_address(seq, &src, argv[3]) < 0)
        return 1;
    me.client = (unsigned char)snd_seq_client_id(seq);
    me.port = (unsigned char)p;
    snd_seq_port_subscribe_t *sub;
    snd_seq_port_subscribe_alloca(&sub);
    snd_seq_port_subscribe_set_sender(sub, &src);
    snd_seq_port_subscribe_set_dest(sub, &me);
    if (snd_seq_subscribe_port(seq, sub) < 0) {
        fprintf(stderr, "cannot subscribe to %s\n", argv[3]);
        return 1;
    }
    FILE *out = fopen(argv[4], "wb");
    if (!out)
        return 1;
    printf("ready\n");
    fflush(stdout);
    struct pollfd pfd[4];
    int npfd = snd_seq_poll_descriptors(seq, pfd, 4, POLLIN);
    long bytes = 0, overruns = 0;
    time_t end = time(NULL) + 60, idle = 0;
    while (time(NULL) < end && !(idle && time(NULL) >= idle)) {
        if (poll(pfd, (nfds_t)npfd, 200) <= 0)
            continue;
        snd_seq_event_t *ev;
        int r;
        while ((r = snd_seq_event_input(seq, &ev)) >= 0 && ev) {
            if (ev->type == SND_SEQ_EVENT_SYSEX) {
                fwrite(ev->data.ext.ptr, 1, ev->data.ext.len, out);
                bytes += (long)ev->data.ext.len;
                idle = time(NULL) + 10;
            }
            if (snd_seq_event_input_pending(seq, 0) == 0)
                break;
        }
        if (r == -ENOSPC)
            overruns++;
    }
    fclose(out);
    printf("done %ld overruns %ld\n", bytes, overruns);
    fflush(stdout);
    snd_seq_close(seq);
    return 0;
}

int main(int argc, char **argv)
{
    int r = 2;
    if (argc >= 2 && strcmp(argv[1], "jack-steps") == 0)
        r = jack_steps(argc, argv);
    else if (argc >= 2 && strcmp(argv[1], "seq-stamp") == 0)
        r = seq_stamp(argc, argv);
    else if (argc >= 2 && strcmp(argv[1], "seq-sysex") == 0)
        r = seq_sysex(argc, argv);
    if (r == 2)
        fprintf(stderr, "usage: rill-kernel-jitter jack-steps NAME N STEP DEST | "
                        "seq-stamp NAME SRC N FILE | seq-sysex NAME SRC FILE\n");
    return r;
}
