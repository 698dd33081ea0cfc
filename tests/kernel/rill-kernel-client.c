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
 *   rill-kernel-client duplexall NAME SECONDS
 *       the same for every channel: system:capture_K -> in_K -> out_K ->
 *       system:playback_K; prints "duplexall channels=C cycles=N xruns=N".
 *   rill-kernel-client watch NAME SECONDS
 *       input "in" from system:capture_1; checks every cycle's times
 *       (jack_get_cycle_times): the frame time must grow by one period per
 *       cycle (a whole number of periods more is an xrun: "skips", anything
 *       else "bad"), current_usecs must grow and next_usecs lie after it
 *       ("timebad"). A second thread reads jack_frame_time every 2 ms
 *       against CLOCK_MONOTONIC. Every 200 ms prints "watch cycles=N
 *       frames=F bad=B skips=S timebad=T xruns=X t=CLOCK_MONOTONIC seconds"
 *       (the server's notices, through jack_info, land between these lines
 *       in the same output, so they can be timed); at the end (SECONDS, 0:
 *       until SIGTERM) "jitter ..." with the spread of the cycle starts
 *       around the period (step_*_us: standard deviation, median and 90th
 *       percentile of |step - period|, and the largest, over cycles without
 *       an xrun) and of jack_frame_time (ft_*_frames: the frame time's jumps
 *       between 2 ms readings, less what the clock says should have passed).
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
#include <time.h>
#include <unistd.h>

#define IMPULSE_EVERY 16384u
#define MAX_IMPULSES 256

enum mode { TONE, RECORD, LATENCY, DUPLEX, DUPLEXALL, WATCH };

#define MAX_CH 64
static jack_port_t *ins[MAX_CH], *outs[MAX_CH];
static int nch;
/* watch: written by the process thread only, read by main (relaxed: figures) */
static _Atomic uint64_t w_frames, w_bad, w_skips, w_timebad;
static double w_sum, w_sum2, w_max;
#define W_KEEP 65536
static float w_err[W_KEEP], ft_err[W_KEEP]; /* |errors| kept for percentiles */
static uint64_t w_n;
static int w_have;
static jack_nframes_t w_prev_f;
static jack_time_t w_prev_u;

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
    case DUPLEXALL:
        for (int k = 0; k < nch; k++)
            memcpy(jack_port_get_buffer(outs[k], n), jack_port_get_buffer(ins[k], n),
                   n * sizeof(float));
        break;
    case WATCH: {
        jack_nframes_t f;
        jack_time_t cu, nu;
        float pu;
        if (jack_get_cycle_times(client, &f, &cu, &nu, &pu) != 0) {
            atomic_fetch_add_explicit(&w_timebad, 1, memory_order_relaxed);
            break;
        }
        if (nu <= cu)
            atomic_fetch_add_explicit(&w_timebad, 1, memory_order_relaxed);
        if (w_have) {
            jack_nframes_t d = f - w_prev_f;
            if (cu <= w_prev_u)
                atomic_fetch_add_explicit(&w_timebad, 1, memory_order_relaxed);
            if (d == n) {
                double e = (double)(cu - w_prev_u) - pu;
                w_sum += e;
                w_sum2 += e * e;
                w_max = fabs(e) > w_max ? fabs(e) : w_max;
                if (w_n < W_KEEP)
                    w_err[w_n] = (float)fabs(e);
                w_n++;
            } else if (d > n && d % n == 0) {
                atomic_fetch_add_explicit(&w_skips, 1, memory_order_relaxed);
            } else {
                atomic_fetch_add_explicit(&w_bad, 1, memory_order_relaxed);
            }
        }
        w_have = 1;
        w_prev_f = f;
        w_prev_u = cu;
        atomic_store_explicit(&w_frames, f, memory_order_relaxed);
        break;
    }
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

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void watch_line(void)
{
    printf("watch cycles=%llu frames=%llu bad=%llu skips=%llu timebad=%llu xruns=%llu "
           "t=%.3f\n",
           (unsigned long long)atomic_load(&cycles), (unsigned long long)atomic_load(&w_frames),
           (unsigned long long)atomic_load(&w_bad), (unsigned long long)atomic_load(&w_skips),
           (unsigned long long)atomic_load(&w_timebad), (unsigned long long)atomic_load(&xruns),
           (double)mono_us() / 1e6);
    fflush(stdout);
}

/* watch: read jack_frame_time every 2 ms against the clock, print the
 * counters every 200 ms and the jitter at the end. Main thread. */
static int watch_loop(double seconds, uint32_t rate, int rc)
{
    uint64_t t_end = seconds > 0 ? mono_us() + (uint64_t)(seconds * 1e6) : UINT64_MAX;
    uint64_t last_print = 0, prev_t = 0, n = 0;
    jack_nframes_t prev_ft = 0;
    double sum = 0, sum2 = 0, mx = 0;

    while (!atomic_load(&done) && mono_us() < t_end) {
        usleep(2000);
        uint64_t t = mono_us();
        jack_nframes_t ft = jack_frame_time(client);
        if (prev_t) {
            /* the jump of the frame time less what the clock says passed;
             * readings more than 10 ms apart (a stalled guest) are left out */
            double want = (double)(t - prev_t) * rate / 1e6;
            double e = (double)(int32_t)(ft - prev_ft) - want;
            if (t - prev_t < 10000) {
                sum += e;
                sum2 += e * e;
                mx = fabs(e) > mx ? fabs(e) : mx;
                if (n < W_KEEP)
                    ft_err[n] = (float)fabs(e);
                n++;
            }
        }
        prev_t = t;
        prev_ft = ft;
        if (t - last_print >= 200000) {
            watch_line();
            last_print = t;
        }
    }
    jack_deactivate(client);
    watch_line();
    double m = w_n ? w_sum / (double)w_n : 0, fm = n ? sum / (double)n : 0;
    uint64_t wk = w_n < W_KEEP ? w_n : W_KEEP, fk = n < W_KEEP ? n : W_KEEP;
    qsort(w_err, wk, sizeof(float), cmp_float);
    qsort(ft_err, fk, sizeof(float), cmp_float);
    printf("jitter cycles_measured=%llu step_sd_us=%.1f step_p50_us=%.1f step_p90_us=%.1f "
           "step_max_us=%.1f ft_readings=%llu ft_sd_frames=%.2f ft_p50_frames=%.2f "
           "ft_p90_frames=%.2f ft_max_frames=%.1f\n",
           (unsigned long long)w_n, w_n ? sqrt(w_sum2 / (double)w_n - m * m) : 0.0,
           wk ? w_err[wk / 2] : 0.0, wk ? w_err[wk * 9 / 10] : 0.0, w_max,
           (unsigned long long)n, n ? sqrt(sum2 / (double)n - fm * fm) : 0.0,
           fk ? ft_err[fk / 2] : 0.0, fk ? ft_err[fk * 9 / 10] : 0.0, mx);
    fflush(stdout);
    jack_client_close(client);
    return atomic_load(&shutdown_seen) ? 3 : rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: rill-kernel-client tone NAME FREQ AMP | record NAME SECONDS FILE |"
                    " latency NAME SECONDS | duplex NAME SECONDS | duplexall NAME SECONDS |"
                    " watch NAME SECONDS\n");
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
    else if (strcmp(argv[1], "duplexall") == 0 && argc == 4)
        mode = DUPLEXALL;
    else if (strcmp(argv[1], "watch") == 0 && argc == 4)
        mode = WATCH;
    else
        return usage();
    seconds = atof(argv[3]);
    client = jack_client_open(argv[2], JackNoStartServer, NULL);
    if (!client) {
        fprintf(stderr, "rill-kernel-client: no server\n");
        return 1;
    }
    uint32_t rate = jack_get_sample_rate(client);
    if (mode == DUPLEXALL) {
        const char **cp = jack_get_ports(client, "system:capture_", NULL, JackPortIsOutput);
        const char **pp = jack_get_ports(client, "system:playback_", NULL, JackPortIsInput);
        for (nch = 0; nch < MAX_CH && cp && cp[nch] && pp && pp[nch]; nch++) {
            char pn[32];
            snprintf(pn, sizeof pn, "in_%d", nch + 1);
            ins[nch] = jack_port_register(client, pn, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
            snprintf(pn, sizeof pn, "out_%d", nch + 1);
            outs[nch] = jack_port_register(client, pn, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput,
                                           0);
            if (!ins[nch] || !outs[nch])
                return 1;
        }
        jack_free(cp);
        jack_free(pp);
    }
    if (mode != RECORD && mode != WATCH && mode != DUPLEXALL)
        out_port = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput,
                                      0);
    if (mode != TONE && mode != DUPLEXALL)
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
    for (int k = 0; k < nch; k++) {
        char sys[64];
        snprintf(sys, sizeof sys, "system:capture_%d", k + 1);
        if (connect_or_die(sys, jack_port_name(ins[k])) != 0)
            rc = 1;
        snprintf(sys, sizeof sys, "system:playback_%d", k + 1);
        if (connect_or_die(jack_port_name(outs[k]), sys) != 0)
            rc = 1;
    }
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
    if (mode == WATCH)
        return watch_loop(seconds, rate, rc);
    uint64_t deadline_ms = mode == TONE ? UINT64_MAX : (uint64_t)(seconds * 1000) + 60000;
    for (uint64_t ms = 0; !atomic_load(&done) && ms < deadline_ms; ms += 10) {
        usleep(10000);
        if (mode == RECORD && atomic_load_explicit(&rec_pos, memory_order_acquire) >= rec_len)
            break;
        if ((mode == LATENCY || mode == DUPLEX || mode == DUPLEXALL) &&
            ms >= (uint64_t)(seconds * 1000))
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
    case DUPLEXALL:
        printf("duplexall channels=%d cycles=%llu xruns=%llu\n", nch,
               (unsigned long long)atomic_load(&cycles), (unsigned long long)atomic_load(&xruns));
        break;
    case WATCH:
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
