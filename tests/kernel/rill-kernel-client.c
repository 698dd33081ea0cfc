/* tests/kernel/rill-kernel-client.c — a JACK client for the kernel tests
 * (run through rill-jack inside the qemu guest).
 *
 *   rill-kernel-client tone NAME FREQ AMP
 *       output "out" connected to every system:playback_N, a sine of FREQ Hz
 *       and amplitude AMP, until SIGTERM.
 *   rill-kernel-client record NAME SECONDS FILE
 *       input "in" from system:capture_1; after 0.25 s, SECONDS of samples
 *       into FILE (float32, host order); prints "record frames=N xruns=N".
 *   rill-kernel-client latency NAME SECONDS
 *       output "out" -> system:playback_1 and system:capture_1 -> input "in":
 *       an impulse every 16384 frames; each impulse found on the input gives
 *       a delay in frames. Prints "latency measured=M (min..max over N) reported=R
 *       capture=C playback=P", R = C + P from jack_port_get_latency_range.
 *   rill-kernel-client duplex NAME SECONDS
 *       system:capture_1 -> in -> out -> system:playback_1, copying; prints
 *       "duplex cycles=N xruns=N".
 *
 * The process callback touches only preallocated memory and atomics. Exit 0
 * when done, 1 on a runtime error, 2 on a usage error, 3 when shut down.
 */
#include <jack/jack.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IMPULSE_EVERY 16384u
#define MAX_IMPULSES 256

enum mode { TONE, RECORD, LATENCY, DUPLEX };

static enum mode mode;
static jack_client_t *client;
static jack_port_t *in_port, *out_port;
static double phase, phase_inc, amp;
static float *rec;
static uint64_t rec_skip, rec_len;
static _Atomic uint64_t rec_pos, cycles, xruns;
static _Atomic int done, shutdown_seen;
/* latency: frame time of the last impulse sent; delays found */
static uint64_t last_sent = UINT64_MAX;
static int32_t delays[MAX_IMPULSES];
static _Atomic uint32_t ndelays;
static uint64_t frames_seen;

/* Realtime thread. */
static int process(jack_nframes_t n, void *arg)
{
    (void)arg;
    float *out = out_port ? jack_port_get_buffer(out_port, n) : NULL;
    const float *in = in_port ? jack_port_get_buffer(in_port, n) : NULL;
    jack_nframes_t t0 = jack_last_frame_time(client);

    atomic_fetch_add_explicit(&cycles, 1, memory_order_relaxed);
    switch (mode) {
    case TONE:
        for (jack_nframes_t i = 0; i < n; i++) {
            out[i] = (float)(amp * sin(phase));
            phase += phase_inc;
            if (phase > 2 * M_PI)
                phase -= 2 * M_PI;
        }
        break;
    case RECORD: {
        uint64_t pos = atomic_load_explicit(&rec_pos, memory_order_relaxed);
        for (jack_nframes_t i = 0; i < n; i++) {
            if (frames_seen++ < rec_skip)
                continue;
            if (pos < rec_len)
                rec[pos++] = in[i];
        }
        atomic_store_explicit(&rec_pos, pos, memory_order_release);
        break;
    }
    case LATENCY:
        for (jack_nframes_t i = 0; i < n; i++) {
            uint64_t f = (uint64_t)t0 + i;
            out[i] = 0.0f;
            if (f % IMPULSE_EVERY == 0 && f > 0) {
                out[i] = 0.9f;
                last_sent = f;
            }
            if (in[i] > 0.45f && last_sent != UINT64_MAX) {
                uint32_t k = atomic_load_explicit(&ndelays, memory_order_relaxed);
                if (k < MAX_IMPULSES) {
                    delays[k] = (int32_t)(f - last_sent);
                    atomic_store_explicit(&ndelays, k + 1, memory_order_release);
                }
                last_sent = UINT64_MAX;
            }
        }
        break;
    case DUPLEX:
        memcpy(out, in, n * sizeof(float));
        break;
    }
    return 0;
}

static int on_xrun(void *arg)
{
    (void)arg;
    atomic_fetch_add_explicit(&xruns, 1, memory_order_relaxed);
    return 0;
}

static void on_shutdown(void *arg)
{
    (void)arg;
    atomic_store(&shutdown_seen, 1);
    atomic_store(&done, 1);
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&done, 1);
}

static int connect_or_die(const char *a, const char *b)
{
    int r = jack_connect(client, a, b);
    if (r != 0)
        fprintf(stderr, "rill-kernel-client: cannot connect %s -> %s (%d)\n", a, b, r);
    return r;
}

static uint32_t reported(const char *port, enum JackLatencyCallbackMode m)
{
    jack_latency_range_t range = { 0, 0 };
    jack_port_t *p = jack_port_by_name(client, port);
    if (p)
        jack_port_get_latency_range(p, m, &range);
    return range.max;
}

static int usage(void)
{
    fprintf(stderr, "usage: rill-kernel-client tone NAME FREQ AMP | record NAME SECONDS FILE |"
                    " latency NAME SECONDS | duplex NAME SECONDS\n");
    return 2;
}

int main(int argc, char **argv)
{
    double seconds = 0;
    int rc = 0;

    if (argc < 4)
        return usage();
    if (strcmp(argv[1], "tone") == 0 && argc == 5)
        mode = TONE;
    else if (strcmp(argv[1], "record") == 0 && argc == 5)
        mode = RECORD;
    else if (strcmp(argv[1], "latency") == 0 && argc == 4)
        mode = LATENCY;
    else if (strcmp(argv[1], "duplex") == 0 && argc == 4)
        mode = DUPLEX;
    else
        return usage();
    seconds = atof(argv[3]);
    client = jack_client_open(argv[2], JackNoStartServer, NULL);
    if (!client) {
        fprintf(stderr, "rill-kernel-client: no server\n");
        return 1;
    }
    uint32_t rate = jack_get_sample_rate(client);
    if (mode != RECORD)
        out_port = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput,
                                      0);
    if (mode != TONE)
        in_port = jack_port_register(client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    if (mode == TONE) {
        phase_inc = 2 * M_PI * atof(argv[3]) / rate;
        amp = atof(argv[4]);
    }
    if (mode == RECORD) {
        rec_skip = rate / 4;
        rec_len = (uint64_t)(seconds * rate);
        rec = calloc(rec_len ? rec_len : 1, sizeof(float));
        if (!rec)
            return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    jack_set_process_callback(client, process, NULL);
    jack_set_xrun_callback(client, on_xrun, NULL);
    jack_on_shutdown(client, on_shutdown, NULL);
    if (jack_activate(client) != 0) {
        fprintf(stderr, "rill-kernel-client: cannot activate\n");
        return 1;
    }
    char name[300];
    if (out_port) {
        const char **ports = jack_get_ports(client, "system:playback_", NULL, JackPortIsInput);
        for (int i = 0; ports && ports[i] && (mode == TONE || i < 1); i++)
            if (connect_or_die(jack_port_name(out_port), ports[i]) != 0)
                rc = 1;
        jack_free(ports);
    }
    if (in_port) {
        snprintf(name, sizeof name, "%s:in", jack_get_client_name(client));
        if (connect_or_die("system:capture_1", name) != 0)
            rc = 1;
    }
    printf("%s: ready\n", argv[1]);
    fflush(stdout);
    uint64_t deadline_ms = mode == TONE ? UINT64_MAX : (uint64_t)(seconds * 1000) + 60000;
    for (uint64_t ms = 0; !atomic_load(&done) && ms < deadline_ms; ms += 10) {
        usleep(10000);
        if (mode == RECORD && atomic_load_explicit(&rec_pos, memory_order_acquire) >= rec_len)
            break;
        if ((mode == LATENCY || mode == DUPLEX) && ms >= (uint64_t)(seconds * 1000))
            break;
    }
    jack_deactivate(client);
    switch (mode) {
    case RECORD: {
        uint64_t got = atomic_load(&rec_pos);
        FILE *f = fopen(argv[4], "wb");
        if (!f || fwrite(rec, sizeof(float), got, f) != got)
            rc = 1;
        if (f)
            fclose(f);
        printf("record frames=%llu xruns=%llu\n", (unsigned long long)got,
               (unsigned long long)atomic_load(&xruns));
        break;
    }
    case LATENCY: {
        uint32_t n = atomic_load(&ndelays);
        int32_t lo = INT32_MAX, hi = INT32_MIN;
        long long sum = 0;
        int32_t counts_best = 0, mode_v = -1;
        for (uint32_t i = 0; i < n; i++) {
            lo = delays[i] < lo ? delays[i] : lo;
            hi = delays[i] > hi ? delays[i] : hi;
            sum += delays[i];
            int32_t c = 0;
            for (uint32_t j = 0; j < n; j++)
                c += delays[j] == delays[i];
            if (c > counts_best) {
                counts_best = c;
                mode_v = delays[i];
            }
        }
        uint32_t cap = reported("system:capture_1", JackCaptureLatency);
        uint32_t play = reported("system:playback_1", JackPlaybackLatency);
        printf("latency measured=%d min=%d max=%d n=%u reported=%u capture=%u playback=%u "
               "period=%u\n", mode_v, n ? lo : -1, n ? hi : -1, n, cap + play, cap, play,
               jack_get_buffer_size(client));
        break;
    }
    case DUPLEX:
        printf("duplex cycles=%llu xruns=%llu\n", (unsigned long long)atomic_load(&cycles),
               (unsigned long long)atomic_load(&xruns));
        break;
    case TONE:
        printf("tone cycles=%llu xruns=%llu\n", (unsigned long long)atomic_load(&cycles),
               (unsigned long long)atomic_load(&xruns));
        break;
    }
    jack_client_close(client);
    free(rec);
    return atomic_load(&shutdown_seen) ? 3 : rc;
}
