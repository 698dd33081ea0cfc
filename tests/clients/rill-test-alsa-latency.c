/* tests/clients/rill-test-alsa-latency.c — what snd_pcm_delay reports
 * against when a click played through an ALSA device really reaches the
 * graph (tests/integration/alsa-latency.sh for rill; bench/alsa-bridge.sh for
 * rill, alsa-plugins' jack PCM on jackd2 and pipewire-alsa on PipeWire).
 *
 *   rill-test-alsa-latency [--capture] [--clicks N] [--max-error FRAMES] DEVICE RATE PERIOD BUFFER
 *
 * One process, two sides:
 *   - a JACK client "latrec" (of whatever libjack the process loads: rill's,
 *     jackd2's, or PipeWire's under pw-jack) with one input port. The first
 *     output port that appears in the graph after the ALSA open (the
 *     stream's first channel) is connected to it.
 *   - a player thread: DEVICE opened for playback, S16_LE stereo at RATE
 *     with PERIOD and BUFFER frames, kept full of silence one period at a
 *     time (as aplay does). For a click it waits until a period is free,
 *     reads snd_pcm_delay (D frames) and CLOCK_MONOTONIC (t), and writes a
 *     period that starts with a 1 ms pulse at 0.8: the device says the
 *     click is heard at t + D / RATE.
 *   - latrec's process callback finds the click's first frame, k, in the
 *     cycle that started at U (jack_get_cycle_times): it is in the graph at
 *     U + k / engine rate, and the server declares the latency L from that
 *     port to the card (its playback latency range, JACK's convention), so it
 *     is heard at U + (k + L) / engine rate.
 *
 * measured = heard - t in frames of RATE; error = measured - D (positive: the
 * click came later than snd_pcm_delay said).
 *
 * --capture turns it round: latrec has an output port, connected to the
 * capture stream's first port (the first input port that appears after the
 * open), and writes the click at the start of a cycle U: by JACK's
 * convention it entered the card at U - L', L' the capture latency of the
 * stream's port (the largest of what feeds it: system:capture_1 too, by
 * default). A reader thread reads what is there, at most a period at a time,
 * and takes snd_pcm_delay (D) and the time t just before each read: frame j
 * of that read was D - j frames old at t. reported = D - j for the click's
 * first frame, measured = t - (U - L') in frames; error = measured - reported
 * (negative: the delay says the click is older than it is). The median of the clicks
 * decides (a click that an engine xrun of a loaded machine delayed by whole
 * periods must not). Prints a line per click and then
 *   result reported=D measured=M error=E latency=L engine_period=P engine_rate=R
 * (medians, frames at RATE; L and P in engine frames). With --max-error,
 * exits 1 when |median error| exceeds FRAMES. Exits 2 when it could not
 * measure (no server, device refused, the click never arrived).
 */
#include <alsa/asoundlib.h>
#include <jack/jack.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CH 2u
#define MAX_CLICKS 32

static void die(const char *what)
{
    printf("cannot measure: %s\n", what);
    exit(2);
}

/* CLOCK_MONOTONIC in µs. Any thread. */
static double mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ---- the recorder (JACK side) */
static jack_client_t *jc;
static jack_port_t *in_port;
static jack_port_t *out_port;   /* --capture: latrec plays the click */
static int capture_mode;
static atomic_int armed;        /* main -> process: look for a click */
static atomic_int found;        /* process -> main: click_us is valid */
static double click_us;         /* written by process before found (release) */

/* JACK process thread: dates the first loud frame of an armed click. */
static int process(jack_nframes_t n, void *arg)
{
    (void)arg;
    if (capture_mode) {
        float *out = jack_port_get_buffer(out_port, n);
        memset(out, 0, n * sizeof *out);
        if (!atomic_load_explicit(&armed, memory_order_acquire) ||
            atomic_load_explicit(&found, memory_order_relaxed))
            return 0;
        jack_nframes_t cf;
        jack_time_t cu, nu;
        float pu;
        if (jack_get_cycle_times(jc, &cf, &cu, &nu, &pu) != 0)
            return 0;
        for (jack_nframes_t k = 0; k < n && k < 48; k++)
            out[k] = 0.8f;
        click_us = (double)cu; /* the click's first frame: offset 0 */
        /* release: click_us is visible before found */
        atomic_store_explicit(&found, 1, memory_order_release);
        return 0;
    }
    const float *in = jack_port_get_buffer(in_port, n);
    /* acquire: pairs with the main thread's release of `armed` */
    if (!atomic_load_explicit(&armed, memory_order_acquire) ||
        atomic_load_explicit(&found, memory_order_relaxed))
        return 0;
    for (jack_nframes_t k = 0; k < n; k++) {
        if (fabsf(in[k]) > 0.25f) {
            jack_nframes_t cf;
            jack_time_t cu, nu;
            float pu;
            if (jack_get_cycle_times(jc, &cf, &cu, &nu, &pu) != 0)
                return 0;
            click_us = (double)cu + (double)k * (double)(nu - cu) / (double)n;
            /* release: click_us is visible before found */
            atomic_store_explicit(&found, 1, memory_order_release);
            break;
        }
    }
    return 0;
}

/* ---- the player (ALSA side) */
static snd_pcm_t *pcm;
static snd_pcm_uframes_t period;
static atomic_int stop;
static atomic_int click_req;    /* main -> player */
static atomic_int click_done;   /* player -> main: d_click, t_click valid */
static long d_click;
static double t_click;
static atomic_int xruns;

/* Player thread: keeps the buffer full, writes a click when asked. */
static void *player(void *arg)
{
    (void)arg;
    int16_t *buf = calloc(period * CH, sizeof *buf);
    if (!buf)
        return NULL;
    while (!atomic_load(&stop)) {
        snd_pcm_sframes_t av = snd_pcm_avail_update(pcm);
        if (av < 0) {
            atomic_fetch_add(&xruns, 1);
            if (snd_pcm_recover(pcm, (int)av, 1) < 0)
                break;
            continue;
        }
        if ((snd_pcm_uframes_t)av < period) {
            if (snd_pcm_wait(pcm, 1000) < 0 && snd_pcm_recover(pcm, -EPIPE, 1) < 0)
                break;
            continue;
        }
        /* a click only while running: after an xrun the stream waits in
         * PREPARED for its start threshold, and what delay means there is
         * not what this measures */
        int clicking = atomic_load(&click_req) && snd_pcm_state(pcm) == SND_PCM_STATE_RUNNING;
        snd_pcm_sframes_t d = 0;
        double t = 0;
        memset(buf, 0, period * CH * sizeof *buf);
        if (clicking) {
            if (snd_pcm_delay(pcm, &d) < 0)
                continue;
            t = mono_us();
            unsigned len = 48; /* about 1 ms */
            for (unsigned i = 0; i < len && i < period; i++)
                for (unsigned c = 0; c < CH; c++)
                    buf[i * CH + c] = 26000; /* a pulse: resamplers keep it */
        }
        snd_pcm_sframes_t w = snd_pcm_writei(pcm, buf, period);
        if (w < 0) {
            atomic_fetch_add(&xruns, 1);
            if (snd_pcm_recover(pcm, (int)w, 1) < 0)
                break;
            continue;
        }
        if (clicking && w > 0) {
            d_click = (long)d;
            t_click = t;
            atomic_store(&click_req, 0);
            atomic_store(&click_done, 1); /* seq_cst: d_click, t_click before */
        }
    }
    free(buf);
    return NULL;
}

/* Reader thread (--capture): reads what is there, at most a period, never
 * blocking inside the read (a frame not yet captured at t has no age at
 * t); dates the click's first frame by the snd_pcm_delay taken just before
 * the read that holds it. */
static void *reader(void *arg)
{
    (void)arg;
    int16_t *buf = calloc(period * CH, sizeof *buf);
    if (!buf)
        return NULL;
    while (!atomic_load(&stop)) {
        snd_pcm_sframes_t av = snd_pcm_avail_update(pcm);
        if (av <= 0) {
            if (av < 0) {
                atomic_fetch_add(&xruns, 1);
                if (snd_pcm_recover(pcm, (int)av, 1) < 0 || snd_pcm_start(pcm) < 0)
                    break;
            } else if (snd_pcm_wait(pcm, 1000) < 0 &&
                       (snd_pcm_recover(pcm, -EPIPE, 1) < 0 || snd_pcm_start(pcm) < 0)) {
                break;
            }
            continue;
        }
        snd_pcm_sframes_t d;
        if (snd_pcm_delay(pcm, &d) < 0)
            d = -1;
        double t = mono_us();
        snd_pcm_uframes_t want = (snd_pcm_uframes_t)av < period ? (snd_pcm_uframes_t)av : period;
        snd_pcm_sframes_t r = snd_pcm_readi(pcm, buf, want);
        if (r < 0) {
            atomic_fetch_add(&xruns, 1);
            if (snd_pcm_recover(pcm, (int)r, 1) < 0 || snd_pcm_start(pcm) < 0)
                break;
            continue;
        }
        if (d < 0 || !atomic_load(&click_req))
            continue;
        for (snd_pcm_sframes_t j = 0; j < r; j++) {
            if (buf[j * CH] > 8000) {
                d_click = (long)(d - j);
                t_click = t;
                atomic_store(&click_req, 0);
                atomic_store(&click_done, 1); /* seq_cst: the values before */
                break;
            }
        }
    }
    free(buf);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int in_list(const char **list, const char *name)
{
    for (int i = 0; list && list[i]; i++)
        if (!strcmp(list[i], name))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int clicks = 5;
    double max_error = -1;
    int a = 1;
    for (; a < argc && argv[a][0] == '-' && argv[a][1] == '-'; a++) {
        if (!strcmp(argv[a], "--capture"))
            capture_mode = 1;
        else if (!strcmp(argv[a], "--clicks") && a + 1 < argc)
            clicks = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--max-error") && a + 1 < argc)
            max_error = atof(argv[++a]);
        else
            break;
    }
    if (argc - a != 4 || clicks < 1 || clicks > MAX_CLICKS) {
        fprintf(stderr, "usage: rill-test-alsa-latency [--capture] [--clicks 1..%d] [--max-error FRAMES] "
                        "DEVICE RATE PERIOD BUFFER\n", MAX_CLICKS);
        return 2;
    }
    const char *dev = argv[a];
    unsigned rate = (unsigned)atoi(argv[a + 1]);
    snd_pcm_uframes_t want_period = (snd_pcm_uframes_t)atol(argv[a + 2]);
    snd_pcm_uframes_t want_buffer = (snd_pcm_uframes_t)atol(argv[a + 3]);

    /* the recorder first, and the graph's output ports before the open */
    jack_status_t st;
    jc = jack_client_open("latrec", JackNoStartServer, &st);
    if (!jc)
        die("jack_client_open failed (is the server running?)");
    if (capture_mode)
        out_port = jack_port_register(jc, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    else
        in_port = jack_port_register(jc, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    if (!(in_port || out_port) || jack_set_process_callback(jc, process, NULL) || jack_activate(jc))
        die("the JACK client latrec could not be set up");
    jack_nframes_t eng_rate = jack_get_sample_rate(jc), eng_period = jack_get_buffer_size(jc);
    /* the stream's ports are outputs (playback) or inputs (capture) */
    unsigned long want = capture_mode ? JackPortIsInput : JackPortIsOutput;
    const char **before = jack_get_ports(jc, NULL, JACK_DEFAULT_AUDIO_TYPE, want);

    /* the player */
    if (snd_pcm_open(&pcm, dev, capture_mode ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK,
                     0) < 0)
        die("snd_pcm_open of the device failed");
    snd_pcm_hw_params_t *hw;
    snd_pcm_hw_params_alloca(&hw);
    unsigned r = rate;
    snd_pcm_uframes_t buffer = want_buffer;
    period = want_period;
    if (snd_pcm_hw_params_any(pcm, hw) < 0 ||
        snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) < 0 ||
        snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE) < 0 ||
        snd_pcm_hw_params_set_channels(pcm, hw, CH) < 0 ||
        snd_pcm_hw_params_set_rate_near(pcm, hw, &r, NULL) < 0 ||
        snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, NULL) < 0 ||
        snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer) < 0 || snd_pcm_hw_params(pcm, hw) < 0)
        die("the device refused S16_LE stereo at this rate, period and buffer");
    snd_pcm_hw_params_get_period_size(hw, &period, NULL);
    snd_pcm_hw_params_get_buffer_size(hw, &buffer);
    if (r != rate)
        die("the device changed the rate");
    snd_pcm_sw_params_t *sw;
    snd_pcm_sw_params_alloca(&sw);
    snd_pcm_sw_params_current(pcm, sw);
    /* start when full: whole periods, since the player writes periods */
    snd_pcm_sw_params_set_start_threshold(pcm, sw, capture_mode ? 1 : buffer / period * period);
    snd_pcm_sw_params_set_avail_min(pcm, sw, period);
    if (snd_pcm_sw_params(pcm, sw) < 0)
        die("sw_params refused");
    printf("device %s: rate %u, period %lu, buffer %lu; engine %u Hz, %u frames\n", dev, rate,
           (unsigned long)period, (unsigned long)buffer, eng_rate, eng_period);
    fflush(stdout);
    pthread_t th;
    if (capture_mode && snd_pcm_start(pcm) < 0)
        die("snd_pcm_start of the capture stream failed");
    if (pthread_create(&th, NULL, capture_mode ? reader : player, NULL))
        die("pthread_create");

    /* the stream's first port: the first new output port (by name) */
    char src[512] = "";
    for (int tries = 0; tries < 100 && !src[0]; tries++) {
        sleep_ms(50);
        const char **now = jack_get_ports(jc, NULL, JACK_DEFAULT_AUDIO_TYPE, want);
        for (int i = 0; now && now[i]; i++) {
            jack_port_t *pp = jack_port_by_name(jc, now[i]);
            if (in_list(before, now[i]) || (pp && jack_port_is_mine(jc, pp)))
                continue;
            if (!src[0] || strcmp(now[i], src) < 0)
                snprintf(src, sizeof src, "%s", now[i]);
        }
        jack_free(now);
    }
    if (!src[0])
        die("no new port of the stream appeared in the graph within 5 s");
    if (capture_mode ? jack_connect(jc, jack_port_name(out_port), src)
                     : jack_connect(jc, src, jack_port_name(in_port)))
        die("jack_connect with the stream's port failed");
    jack_port_t *srcp = jack_port_by_name(jc, src);
    printf("%s %s\n", capture_mode ? "playing into" : "recording from", src);
    sleep_ms(500); /* let the stream settle and latencies be recomputed */

    /* clock offset: the JACK clock against CLOCK_MONOTONIC (0 when they
     * are the same clock, as in rill, jackd2 and PipeWire on Linux) */
    double off = 0;
    for (int i = 0; i < 8; i++) {
        double m0 = mono_us(), j = (double)jack_get_time(), m1 = mono_us();
        off += j - (m0 + m1) / 2;
    }
    off /= 8;

    double rep[MAX_CLICKS], meas[MAX_CLICKS], err[MAX_CLICKS];
    jack_latency_range_t lat = { 0, 0 };
    int got = 0;
    for (int c = 0; c < clicks; c++) {
        atomic_store(&found, 0);
        atomic_store(&click_done, 0);
        /* the side that looks for the click is ready before the other makes it */
        if (capture_mode) {
            atomic_store(&click_req, 1);
            atomic_store_explicit(&armed, 1, memory_order_release);
        } else {
            atomic_store_explicit(&armed, 1, memory_order_release);
            atomic_store(&click_req, 1);
        }
        double t0 = mono_us();
        while (!(atomic_load(&click_done) && atomic_load_explicit(&found, memory_order_acquire)) &&
               mono_us() - t0 < 5e6)
            sleep_ms(5);
        atomic_store(&armed, 0);
        if (!atomic_load(&click_done) || !atomic_load_explicit(&found, memory_order_acquire)) {
            printf("click %d: never arrived\n", c);
            atomic_store(&click_req, 0);
            continue;
        }
        double m;
        if (capture_mode) {
            /* the click entered the card at U - L' (JACK's convention) */
            if (srcp)
                jack_port_get_latency_range(srcp, JackCaptureLatency, &lat);
            double entered = click_us - (double)lat.max * 1e6 / eng_rate;
            m = ((t_click + off) - entered) * rate / 1e6;
        } else {
            if (srcp)
                jack_port_get_latency_range(srcp, JackPlaybackLatency, &lat);
            double heard = click_us + (double)lat.max * 1e6 / eng_rate;
            m = (heard - (t_click + off)) * rate / 1e6;
        }
        rep[got] = (double)d_click;
        meas[got] = m;
        err[got] = m - (double)d_click;
        printf("click %d: reported %ld frames, measured %.1f, error %+.1f frames (%+.2f ms)\n", c,
               d_click, m, err[got], err[got] * 1000 / rate);
        got++;
        sleep_ms(200 + (unsigned)(rand() % 100)); /* different phases of the cycle */
    }
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    snd_pcm_close(pcm);
    jack_free(before);
    jack_client_close(jc);
    if (got * 2 <= clicks)
        die("most clicks never arrived");
    double e = median(err, got), rp = median(rep, got), ms = median(meas, got);
    printf("result reported=%.1f measured=%.1f error=%+.1f latency=%u engine_period=%u "
           "engine_rate=%u clock_offset_us=%.0f xruns=%d\n", rp, ms, e, (unsigned)lat.max,
           eng_period, eng_rate, off, atomic_load(&xruns));
    if (max_error >= 0 && fabs(e) > max_error) {
        printf("FAIL: the click was %+.1f frames from where snd_pcm_delay put it "
               "(allowed: %.0f)\n", e, max_error);
        return 1;
    }
    return 0;
}
