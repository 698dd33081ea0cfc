/* tests/kernel/rill-kernel-midi.c — a JACK MIDI client for the kernel
 * tests of the ALSA MIDI bridge (tests/kernel/guest.sh, section midi).
 *
 *   rill-kernel-midi recv NAME FILE [SOURCE]
 *       MIDI input "in" (connected from SOURCE when given). Every event goes to FILE as a line
 *       "FRAME LEN HEX...", FRAME the 64-bit absolute frame (the 32-bit
 *       frame time extended across its wrap), HEX the bytes. Prints "ready".
 *   rill-kernel-midi send NAME FILE [DEST]
 *       MIDI output "out" (connected to DEST when given). FILE holds a raw MIDI byte stream, cut into
 *       messages (a sysex whole); once "out" has a connection and SIGUSR1
 *       came, one message per cycle at frame 0 is sent (one larger than
 *       the port buffer in fragments, one per cycle); prints "sent N" at
 *       the end. Both stay until SIGTERM.
 *
 * The process callback touches only preallocated memory (a
 * jack_ringbuffer to a writer thread). Exit 0 after SIGTERM, 1 on an
 * error, 2 on a usage error.
 */
#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RING (1u << 24)

static jack_client_t *client;
static jack_port_t *port;
static jack_ringbuffer_t *ring;
static volatile sig_atomic_t quit, go;
static int sending;
/* send: the messages */
static uint8_t *msgs;
static size_t *msg_off, *msg_len;
static size_t nmsg;
static _Atomic size_t next_msg;
static size_t frag_off; /* process thread: bytes of msgs[next_msg] sent */
static _Atomic int connected;
/* recv: 64-bit frame time */
static uint32_t last32;
static uint64_t high;
static int have_last;

struct rec {
    uint64_t frame;
    uint32_t len;
};

static int process(jack_nframes_t n, void *arg)
{
    (void)arg;
    void *buf = jack_port_get_buffer(port, n);
    if (sending) {
        jack_midi_clear_buffer(buf);
        if (!atomic_load(&connected))
            return 0;
        size_t i = atomic_load(&next_msg);
        if (i >= nmsg)
            return 0;
        /* a message larger than the buffer (a 64 KiB sysex) goes in
         * fragments, one per cycle, as doc/midi.md says JACK clients may */
        size_t left = msg_len[i] - frag_off, room = jack_midi_max_event_size(buf);
        size_t chunk = left < room ? left : room;
        if (chunk && jack_midi_event_write(buf, 0, msgs + msg_off[i] + frag_off, chunk) == 0) {
            frag_off += chunk;
            if (frag_off == msg_len[i]) {
                frag_off = 0;
                atomic_store(&next_msg, i + 1);
            }
        }
        return 0;
    }
    uint32_t f32 = jack_last_frame_time(client);
    if (have_last && f32 < last32)
        high += 1ull << 32;
    last32 = f32;
    have_last = 1;
    uint32_t count = jack_midi_get_event_count(buf);
    for (uint32_t e = 0; e < count; e++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, buf, e) != 0)
            continue;
        struct rec r = { high + f32 + ev.time, (uint32_t)ev.size };
        if (jack_ringbuffer_write_space(ring) < sizeof(r) + ev.size)
            continue; /* the writer thread is behind: shows as a loss */
        jack_ringbuffer_write(ring, (const char *)&r, sizeof(r));
        jack_ringbuffer_write(ring, (const char *)ev.buffer, ev.size);
    }
    return 0;
}

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        go = 1;
    else
        quit = 1;
}

static size_t msg_length(const uint8_t *p, size_t left)
{
    if (p[0] == 0xf0) {
        for (size_t i = 1; i < left; i++)
            if (p[i] == 0xf7)
                return i + 1;
        return left;
    }
    uint8_t s = p[0];
    size_t len = (s < 0xc0 || (s >= 0xe0 && s < 0xf0) || s == 0xf2) ? 3
                 : (s < 0xe0 || s == 0xf1 || s == 0xf3)               ? 2
                                                                     : 1;
    return len < left ? len : left;
}

static int load(const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    msgs = malloc((size_t)size + 1);
    msg_off = calloc((size_t)size + 1, sizeof(size_t));
    msg_len = calloc((size_t)size + 1, sizeof(size_t));
    if (!msgs || !msg_off || !msg_len || fread(msgs, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        return -1;
    }
    fclose(f);
    for (size_t o = 0; o < (size_t)size;) {
        size_t l = msg_length(msgs + o, (size_t)size - o);
        msg_off[nmsg] = o;
        msg_len[nmsg++] = l;
        o += l;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5 || (strcmp(argv[1], "recv") && strcmp(argv[1], "send"))) {
        fprintf(stderr, "usage: rill-kernel-midi recv|send NAME FILE [PORT]\n");
        return 2;
    }
    sending = strcmp(argv[1], "send") == 0;
    FILE *out = NULL;
    if (sending) {
        if (load(argv[3]) < 0) {
            fprintf(stderr, "cannot read %s\n", argv[3]);
            return 1;
        }
    } else {
        out = fopen(argv[3], "w");
        ring = jack_ringbuffer_create(RING);
        if (!out || !ring)
            return 1;
    }
    client = jack_client_open(argv[2], JackNoStartServer, NULL);
    if (!client)
        return 1;
    port = jack_port_register(client, sending ? "out" : "in", JACK_DEFAULT_MIDI_TYPE,
                              sending ? JackPortIsOutput : JackPortIsInput, 0);
    if (!port)
        return 1;
    jack_set_process_callback(client, process, NULL);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGUSR1, on_signal);
    if (jack_activate(client))
        return 1;
    if (argc == 5) {
        int r = sending ? jack_connect(client, jack_port_name(port), argv[4])
                        : jack_connect(client, argv[4], jack_port_name(port));
        if (r != 0) {
            fprintf(stderr, "cannot connect %s and %s\n", jack_port_name(port), argv[4]);
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    uint8_t *data = malloc(1u << 20);
    int said = 0;
    while (!quit) {
        if (sending) {
            atomic_store(&connected, go && jack_port_connected(port) > 0);
            if (!said && atomic_load(&next_msg) == nmsg) {
                printf("sent %zu\n", nmsg);
                fflush(stdout);
                said = 1;
            }
            usleep(10000);
            continue;
        }
        struct rec r;
        int any = 0;
        while (jack_ringbuffer_read_space(ring) >= sizeof(r)) {
            jack_ringbuffer_peek(ring, (char *)&r, sizeof(r));
            if (jack_ringbuffer_read_space(ring) < sizeof(r) + r.len)
                break;
            jack_ringbuffer_read_advance(ring, sizeof(r));
            jack_ringbuffer_read(ring, (char *)data, r.len);
            fprintf(out, "%llu %u", (unsigned long long)r.frame, r.len);
            for (uint32_t i = 0; i < r.len; i++)
                fprintf(out, " %02x", data[i]);
            fputc('\n', out);
            any = 1;
        }
        if (any)
            fflush(out);
        else
            usleep(5000);
    }
    jack_client_close(client);
    if (out)
        fclose(out);
    return 0;
}
