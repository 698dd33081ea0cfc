/* tests/clients/rill-test-midi.c — a JACK client for tests/integration/midi.sh.
 *
 *   rill-test-midi send NAME TAG
 *       MIDI output "out". Every cycle: jack_midi_clear_buffer, then three
 *       note-on events: (0x90, TAG, 0) and (0x90, TAG, 1) at frame 0,
 *       (0x90, TAG, 2) at frame nframes / 2. Two senders merged into one
 *       input show whether the merge keeps equal times in connection order.
 *
 *   rill-test-midi rec NAME FILE
 *       Audio input "in", run with the process-thread model
 *       (jack_set_process_thread, jack_cycle_wait, jack_cycle_signal). Each
 *       cycle's peak |sample| goes with the cycle's frame time through a
 *       jack_ringbuffer to a thread made with jack_client_create_thread,
 *       which writes "FRAME PEAK" lines to FILE. The first line of FILE is
 *       "ready" once the client is active.
 *
 * Built against the system libjack; the tests run it through rill-jack.
 * Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime error, 2 on a usage
 * error.
 */
#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>
#include <jack/thread.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rec_item {
    uint32_t frame;
    float peak;
};

static jack_client_t *client;
static jack_port_t *port;
static uint8_t tag;
static jack_ringbuffer_t *ring;
static FILE *out;
static volatile sig_atomic_t quit;
static atomic_int cycles;

static void on_signal(int sig)
{
    (void)sig;
    quit = 1;
}

/* Realtime thread. */
static int send_process(jack_nframes_t nframes, void *arg)
{
    (void)arg;
    void *buf = jack_port_get_buffer(port, nframes);
    jack_midi_clear_buffer(buf);
    uint8_t ev[3] = { 0x90, tag, 0 };
    if (jack_midi_event_write(buf, 0, ev, 3) != 0)
        return 0;
    ev[2] = 1;
    (void)jack_midi_event_write(buf, 0, ev, 3);
    jack_midi_data_t *d = jack_midi_event_reserve(buf, nframes / 2, 3);
    if (d) {
        d[0] = 0x90;
        d[1] = tag;
        d[2] = 2;
    }
    return 0;
}

/* The process thread (realtime). */
static void *rec_thread(void *arg)
{
    (void)arg;
    for (;;) {
        jack_nframes_t n = jack_cycle_wait(client);
        const float *in = jack_port_get_buffer(port, n);
        struct rec_item it = { jack_last_frame_time(client), 0.0f };
        for (jack_nframes_t i = 0; i < n; i++)
            if (fabsf(in[i]) > it.peak)
                it.peak = fabsf(in[i]);
        if (jack_ringbuffer_write_space(ring) >= sizeof(it))
            jack_ringbuffer_write(ring, (const char *)&it, sizeof(it));
        atomic_fetch_add_explicit(&cycles, 1, memory_order_relaxed);
        jack_cycle_signal(client, 0);
    }
    return NULL;
}

/* The writer thread: drain the ring into the file until quit. */
static void *drain_thread(void *arg)
{
    (void)arg;
    struct rec_item it;
    for (;;) {
        int stop = quit;
        while (jack_ringbuffer_read_space(ring) >= sizeof(it)) {
            jack_ringbuffer_read(ring, (char *)&it, sizeof(it));
            fprintf(out, "%u %.6f\n", it.frame, it.peak);
        }
        fflush(out);
        if (stop)
            return NULL;
        usleep(10000);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "send") != 0 && strcmp(argv[1], "rec") != 0)) {
        fprintf(stderr, "usage: rill-test-midi send NAME TAG | rec NAME FILE\n");
        return 2;
    }
    int rec = strcmp(argv[1], "rec") == 0;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    jack_status_t status;
    client = jack_client_open(argv[2], JackNoStartServer, &status);
    if (!client) {
        fprintf(stderr, "rill-test-midi: cannot open client (status 0x%x)\n", status);
        return 1;
    }
    pthread_t drain;
    int drain_started = 0;
    if (rec) {
        out = fopen(argv[3], "w");
        ring = jack_ringbuffer_create(64 * sizeof(struct rec_item));
        port = jack_port_register(client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        if (!out || !ring || !port || jack_ringbuffer_mlock(ring) != 0 ||
            jack_set_process_thread(client, rec_thread, NULL) != 0) {
            fprintf(stderr, "rill-test-midi: rec setup failed\n");
            return 1;
        }
        /* both models at once are refused */
        if (jack_set_process_callback(client, send_process, NULL) == 0) {
            fprintf(stderr, "rill-test-midi: process callback accepted next to a thread\n");
            return 1;
        }
        if (jack_client_create_thread(client, &drain, 0, 0, drain_thread, NULL) != 0) {
            fprintf(stderr, "rill-test-midi: jack_client_create_thread failed\n");
            return 1;
        }
        drain_started = 1;
    } else {
        tag = (uint8_t)atoi(argv[3]);
        port = jack_port_register(client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
        if (!port || jack_set_process_callback(client, send_process, NULL) != 0) {
            fprintf(stderr, "rill-test-midi: send setup failed\n");
            return 1;
        }
    }
    if (jack_activate(client) != 0) {
        fprintf(stderr, "rill-test-midi: cannot activate\n");
        return 1;
    }
    if (rec) {
        fprintf(out, "ready\n");
        fflush(out);
    }
    while (!quit)
        usleep(20000);
    jack_deactivate(client);
    if (drain_started && jack_client_stop_thread(client, drain) != 0) {
        fprintf(stderr, "rill-test-midi: jack_client_stop_thread failed\n");
        return 1;
    }
    jack_client_close(client);
    if (rec) {
        fprintf(stderr, "rill-test-midi: %d cycles\n", atomic_load(&cycles));
        jack_ringbuffer_free(ring);
        fclose(out);
    }
    return 0;
}
