/* tests/clients/rill-test-midithru.c — a JACK MIDI pass-through for
 * tests/integration/jack-programs.sh (a loop for jack_midi_latency_test).
 *
 *   rill-test-midithru NAME
 *       MIDI input "in", MIDI output "out". Every cycle the output is cleared
 *       and each input event is written to it at the same frame, unchanged.
 *       Prints "ready" on stdout once active; on SIGTERM/SIGINT prints
 *       "passed=N" (events copied) and exits 0.
 *
 * Built against the system libjack; the tests run it through rill-jack.
 * Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime error, 2 on a usage
 * error.
 */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static jack_port_t *in_port;
static jack_port_t *out_port;
/* Written by the realtime thread, read at exit by the main thread: relaxed
 * is enough, it is a plain counter that publishes nothing else. */
static atomic_ulong passed;
static volatile sig_atomic_t stop;

/* SIGTERM/SIGINT handler: async-signal-safe, only sets the flag. */
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* The process callback: copy every input event to the output. RT-safe. */
static int process(jack_nframes_t nframes, void *arg)
{
    void *in = jack_port_get_buffer(in_port, nframes);
    void *out = jack_port_get_buffer(out_port, nframes);
    uint32_t n, i;
    unsigned long copied = 0;

    (void)arg;
    jack_midi_clear_buffer(out);
    n = jack_midi_get_event_count(in);
    for (i = 0; i < n; i++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, in, i) == 0 &&
            jack_midi_event_write(out, ev.time, ev.buffer, ev.size) == 0)
            copied++;
    }
    atomic_fetch_add_explicit(&passed, copied, memory_order_relaxed);
    return 0;
}

/* Main thread. */
int main(int argc, char **argv)
{
    jack_client_t *client;
    struct sigaction sa = { 0 };

    if (argc != 2) {
        fprintf(stderr, "usage: rill-test-midithru NAME\n");
        return 2;
    }
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    client = jack_client_open(argv[1], JackNoStartServer | JackUseExactName, NULL);
    if (!client) {
        fprintf(stderr, "rill-test-midithru: cannot open client '%s'\n", argv[1]);
        return 1;
    }
    in_port = jack_port_register(client, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    out_port = jack_port_register(client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    if (!in_port || !out_port || jack_set_process_callback(client, process, NULL) != 0 ||
        jack_activate(client) != 0) {
        fprintf(stderr, "rill-test-midithru: cannot register ports or activate\n");
        jack_client_close(client);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (!stop)
        usleep(20000); /* no pause(): a signal just before it would be lost */
    jack_deactivate(client);
    printf("passed=%lu\n", atomic_load_explicit(&passed, memory_order_relaxed));
    jack_client_close(client);
    return 0;
}
