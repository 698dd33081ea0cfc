/* tests/clients/rill-test-alsa.c — drives the rill ALSA plugin through
 * alsa-lib the way programs do, for tests/integration/alsa-states.sh.
 *
 *   rill-test-alsa methods   every transfer method (RW and mmap, interleaved
 *                            and non-interleaved, blocking and poll-driven
 *                            non-blocking) plays 1 s of 1 kHz into client
 *                            "hplay"; a capture stream of the same program
 *                            ("hrec", connected from hplay) records it and
 *                            the frequency and level are checked. Along the
 *                            way: avail never exceeds the buffer, delay is
 *                            never negative and never grows by more than
 *                            what was written, a poll wake-up always finds
 *                            avail >= avail_min, few spurious wake-ups.
 *   rill-test-alsa pause     avail and delay frozen during a 300 ms pause
 *   rill-test-alsa drain     blocking drain returns within [delay - 50 ms,
 *                            delay + one period + 50 ms]; non-blocking drain
 *                            says -EAGAIN, then POLLOUT comes in that window
 *   rill-test-alsa underrun  a starved stream: -EPIPE, snd_pcm_recover, plays on
 *   rill-test-alsa delay PERIOD_MS  a click written when snd_pcm_delay says D frames
 *                            are queued is due at t + D / rate; a capture
 *                            stream connected straight to the player dates
 *                            each frame it reads by its own snd_pcm_delay.
 *                            The two clocks must agree within one engine
 *                            period (plus 1 ms; the median of 5 clicks, so
 *                            that one an engine xrun delayed by whole
 *                            periods does not decide): the capture side dates a
 *                            cycle's frames from its start, the playback
 *                            side from the end of the cycle that plays them
 *   rill-test-alsa forever   plays until a call fails; prints the error, the
 *                            ms since the last success and the wall clock
 *                            time (s since the epoch), closes, exits 3
 *   rill-test-alsa chmap     the channel maps: snd_pcm_query_chmaps offers
 *                            1 (MONO), 2, 4, 6 and 8 channels in ALSA's
 *                            order; no map before hw_params; get_chmap of a
 *                            6-channel stream is FL FR RL RR FC LFE; a set
 *                            order is read back; a position twice, one the
 *                            layout lacks, or a map of another count is
 *                            -EINVAL; 3 channels: no map, set is -ENXIO
 *   rill-test-alsa stress THREADS SECONDS
 *                            threads opening, configuring, playing a little
 *                            and closing, over and over
 *
 * Prints "ok ..." lines and exits 0, or "FAIL: ..." and exits 1.
 */
#include <alsa/asoundlib.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000u
#define CH 2u
#define PI 3.14159265358979323846

static const char *dev_play = "rill:SERVER=,NAME=hplay,TARGET=none";
static const char *dev_rec = "rill:SERVER=,NAME=hrec,TARGET=hplay";

#define FAIL(...)                                                                                 \
    do {                                                                                          \
        printf("FAIL: " __VA_ARGS__);                                                            \
        printf("\n");                                                                             \
        exit(1);                                                                                  \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Open and configure dev. */
static snd_pcm_t *open_pcm(const char *dev, snd_pcm_stream_t st, snd_pcm_access_t acc,
                           snd_pcm_format_t fmt, int nonblock, snd_pcm_uframes_t period,
                           snd_pcm_uframes_t buffer)
{
    snd_pcm_t *p;
    int r = snd_pcm_open(&p, dev, st, nonblock ? SND_PCM_NONBLOCK : 0);
    if (r < 0)
        FAIL("snd_pcm_open %s: %s", dev, snd_strerror(r));
    snd_pcm_hw_params_t *hw;
    snd_pcm_hw_params_alloca(&hw);
    snd_pcm_hw_params_any(p, hw);
    if ((r = snd_pcm_hw_params_set_access(p, hw, acc)) < 0 ||
        (r = snd_pcm_hw_params_set_format(p, hw, fmt)) < 0 ||
        (r = snd_pcm_hw_params_set_channels(p, hw, CH)) < 0 ||
        (r = snd_pcm_hw_params_set_rate(p, hw, RATE, 0)) < 0 ||
        (r = snd_pcm_hw_params_set_period_size(p, hw, period, 0)) < 0 ||
        (r = snd_pcm_hw_params_set_buffer_size(p, hw, buffer)) < 0 ||
        (r = snd_pcm_hw_params(p, hw)) < 0)
        FAIL("hw_params of %s (%s, period %lu, buffer %lu): %s", dev, snd_pcm_access_name(acc),
             (unsigned long)period, (unsigned long)buffer, snd_strerror(r));
    return p;
}

/* ---- the recorder: a thread reading hrec (S16, blocking RW) */
struct rec {
    snd_pcm_t *pcm;
    int16_t *buf;
    size_t frames, max;
    unsigned xruns;      /* overruns the recorder recovered from */
    atomic_int stop;
    pthread_t t;
};

static void *rec_main(void *arg)
{
    struct rec *r = arg;
    while (!atomic_load(&r->stop) && r->frames < r->max) {
        size_t n = r->max - r->frames > 256 ? 256 : r->max - r->frames;
        snd_pcm_sframes_t got = snd_pcm_readi(r->pcm, r->buf + r->frames * CH, n);
        if (got == -EPIPE) {
            r->xruns++;
            snd_pcm_recover(r->pcm, (int)got, 1);
            continue;
        }
        if (got < 0) {
            printf("recorder: %s\n", snd_strerror((int)got));
            break;
        }
        r->frames += (size_t)got;
    }
    return NULL;
}

static void rec_start(struct rec *r, double seconds)
{
    memset(r, 0, sizeof(*r));
    r->pcm = open_pcm(dev_rec, SND_PCM_STREAM_CAPTURE, SND_PCM_ACCESS_RW_INTERLEAVED,
                      SND_PCM_FORMAT_S16_LE, 0, 256, 16384);
    r->max = (size_t)(seconds * RATE);
    r->buf = calloc(r->max * CH, sizeof(int16_t));
    snd_pcm_start(r->pcm);
    pthread_create(&r->t, NULL, rec_main, r);
}

static void rec_stop(struct rec *r)
{
    atomic_store(&r->stop, 1);
    pthread_join(r->t, NULL);
    snd_pcm_close(r->pcm);
}

/* frequency and peak of channel c over the loud part of the recording */
static void analyse(const struct rec *r, unsigned c, double *freq, double *peak, size_t *loud)
{
    size_t first = 0, last = 0, crossings = 0;
    double fx = -1, lx = -1, pk = 0;
    *loud = 0;
    for (size_t i = 1; i < r->frames; i++) {
        double a = r->buf[(i - 1) * CH + c] / 32768.0, b = r->buf[i * CH + c] / 32768.0;
        if (fabs(b) > 0.05) {
            if (!first)
                first = i;
            last = i;
        }
        if (fabs(b) > pk)
            pk = fabs(b);
        if (a < 0 && b >= 0) {
            double x = (double)(i - 1) + a / (a - b);
            if (fx < 0)
                fx = x;
            lx = x;
            crossings++;
        }
    }
    *loud = first ? last - first + 1 : 0;
    *freq = crossings > 2 ? (crossings - 1) / ((lx - fx) / RATE) : 0;
    *peak = pk;
}

static void sine(int16_t *buf, size_t frames, uint64_t *phase)
{
    for (size_t i = 0; i < frames; i++, (*phase)++) {
        int16_t v = (int16_t)lrint(16384.0 * sin(2 * PI * 1000.0 * (double)*phase / RATE));
        for (unsigned c = 0; c < CH; c++)
            buf[i * CH + c] = v;
    }
}

/* ---- methods */
struct checks {
    snd_pcm_sframes_t last_delay;
    unsigned long wakeups, spurious;
};

static void check_avail_delay(snd_pcm_t *p, struct checks *k, snd_pcm_uframes_t buffer,
                              snd_pcm_uframes_t written, const char *what)
{
    snd_pcm_sframes_t avail, delay;
    int r = snd_pcm_avail_delay(p, &avail, &delay);
    if (r < 0)
        FAIL("%s: snd_pcm_avail_delay: %s", what, snd_strerror(r));
    if (avail < 0 || (snd_pcm_uframes_t)avail > buffer)
        FAIL("%s: avail %ld outside 0..%lu", what, (long)avail, (unsigned long)buffer);
    if (delay < 0)
        FAIL("%s: negative delay %ld", what, (long)delay);
    if (k->last_delay >= 0 && delay > k->last_delay + (snd_pcm_sframes_t)written + 1)
        FAIL("%s: delay grew from %ld to %ld with %lu frames written", what, (long)k->last_delay,
             (long)delay, (unsigned long)written);
    k->last_delay = delay;
}

/* wait until the PCM can take avail_min frames (non-blocking mode) */
static void wait_poll(snd_pcm_t *p, struct checks *k, snd_pcm_uframes_t amin, const char *what)
{
    struct pollfd fds[4];
    int n = snd_pcm_poll_descriptors(p, fds, 4);
    for (int tries = 0; tries < 1000; tries++) {
        if (poll(fds, (nfds_t)n, 2000) == 0)
            FAIL("%s: poll timed out (2 s) with a running stream", what);
        unsigned short rev = 0;
        snd_pcm_poll_descriptors_revents(p, fds, (unsigned)n, &rev);
        k->wakeups++;
        if (rev & POLLERR)
            FAIL("%s: POLLERR (state %s)", what, snd_pcm_state_name(snd_pcm_state(p)));
        if (rev & POLLOUT) {
            snd_pcm_sframes_t a = snd_pcm_avail_update(p);
            if (a < (snd_pcm_sframes_t)amin)
                FAIL("%s: POLLOUT with avail %ld < avail_min %lu", what, (long)a,
                     (unsigned long)amin);
            return;
        }
        k->spurious++;
    }
    FAIL("%s: 1000 wake-ups without POLLOUT", what);
}

static void run_method(snd_pcm_access_t acc, int nonblock)
{
    char what[96];
    snprintf(what, sizeof(what), "%s %s", snd_pcm_access_name(acc),
             nonblock ? "non-blocking+poll" : "blocking");
    const snd_pcm_uframes_t period = 1024, buffer = 16384;
    snd_pcm_t *p = open_pcm(dev_play, SND_PCM_STREAM_PLAYBACK, acc, SND_PCM_FORMAT_S16_LE,
                            nonblock, period, buffer);
    /* the recorder connects from the player's ports, so it comes second */
    struct rec rec;
    rec_start(&rec, 4.0);
    struct checks k = { .last_delay = -1 };
    uint64_t phase = 0;
    int16_t buf[1024 * CH], ch0[1024], ch1[1024];
    size_t total = RATE; /* 1 s */
    size_t done = 0;
    while (done < total) {
        size_t n = total - done < 1024 ? total - done : 1024;
        if (nonblock)
            wait_poll(p, &k, period, what);
        snd_pcm_sframes_t w;
        if (acc == SND_PCM_ACCESS_RW_INTERLEAVED) {
            sine(buf, n, &phase);
            w = snd_pcm_writei(p, buf, n);
        } else if (acc == SND_PCM_ACCESS_RW_NONINTERLEAVED) {
            sine(buf, n, &phase);
            for (size_t i = 0; i < n; i++) {
                ch0[i] = buf[i * CH];
                ch1[i] = buf[i * CH + 1];
            }
            void *bufs[2] = { ch0, ch1 };
            w = snd_pcm_writen(p, bufs, n);
        } else {
            snd_pcm_sframes_t a = snd_pcm_avail_update(p);
            if (a < 0)
                FAIL("%s: avail_update: %s", what, snd_strerror((int)a));
            if (a == 0) {
                if (snd_pcm_state(p) == SND_PCM_STATE_PREPARED)
                    snd_pcm_start(p);
                snd_pcm_wait(p, 1000);
                continue;
            }
            const snd_pcm_channel_area_t *areas;
            snd_pcm_uframes_t off, fr = n < (size_t)a ? n : (size_t)a;
            int r = snd_pcm_mmap_begin(p, &areas, &off, &fr);
            if (r < 0)
                FAIL("%s: mmap_begin: %s", what, snd_strerror(r));
            sine(buf, fr, &phase);
            for (snd_pcm_uframes_t i = 0; i < fr; i++)
                for (unsigned c = 0; c < CH; c++) {
                    int16_t *d = (int16_t *)((char *)areas[c].addr +
                                             (areas[c].first + (off + i) * areas[c].step) / 8);
                    *d = buf[i * CH + c];
                }
            w = snd_pcm_mmap_commit(p, off, fr);
            if (w >= 0 && snd_pcm_state(p) == SND_PCM_STATE_PREPARED &&
                snd_pcm_avail_update(p) < (snd_pcm_sframes_t)period)
                snd_pcm_start(p);
        }
        if (w == -EAGAIN)
            continue;
        if (w < 0)
            FAIL("%s: write: %s", what, snd_strerror((int)w));
        done += (size_t)w;
        check_avail_delay(p, &k, buffer, (size_t)w, what);
    }
    if (nonblock)
        snd_pcm_nonblock(p, 0);
    int r = snd_pcm_drain(p);
    if (r < 0)
        FAIL("%s: drain: %s", what, snd_strerror(r));
    snd_pcm_close(p);
    sleep_ms(100);
    rec_stop(&rec);
    double f0, pk0, f1, pk1;
    size_t loud0, loud1;
    analyse(&rec, 0, &f0, &pk0, &loud0);
    analyse(&rec, 1, &f1, &pk1, &loud1);
    if (fabs(f0 - 1000) > 1 || fabs(f1 - 1000) > 1 || fabs(pk0 - 0.5) > 0.01 ||
        fabs(pk1 - 0.5) > 0.01)
        FAIL("%s: recorded %.2f Hz / %.2f Hz, peak %.4f / %.4f (want 1000 Hz, 0.5)", what, f0, f1,
             pk0, pk1);
    /* the whole second (give or take a period) arrived, unless the
     * recorder itself overran (a starved machine: frames lost on its side,
     * which says nothing about the player) */
    if (loud0 < RATE - 2048 && rec.xruns == 0)
        FAIL("%s: only %zu loud frames of %u recorded", what, loud0, RATE);
    if (rec.xruns)
        printf("note %s: the recorder overran %u time(s); frames heard not checked\n", what,
               rec.xruns);
    if (nonblock && k.spurious > k.wakeups / 2 + 2)
        FAIL("%s: %lu of %lu poll wake-ups were spurious", what, k.spurious, k.wakeups);
    printf("ok %s: %.2f Hz peak %.4f, %zu frames heard, %lu wake-ups (%lu spurious)\n", what, f0,
           pk0, loud0, k.wakeups, k.spurious);
    free(rec.buf);
}

static void cmd_methods(void)
{
    const snd_pcm_access_t acc[] = { SND_PCM_ACCESS_RW_INTERLEAVED,
                                     SND_PCM_ACCESS_RW_NONINTERLEAVED,
                                     SND_PCM_ACCESS_MMAP_INTERLEAVED,
                                     SND_PCM_ACCESS_MMAP_NONINTERLEAVED };
    for (int nb = 0; nb < 2; nb++)
        for (size_t a = 0; a < 4; a++)
            run_method(acc[a], nb);
}

/* write n frames of sine, blocking */
static void play(snd_pcm_t *p, size_t n, uint64_t *phase)
{
    int16_t buf[1024 * CH];
    while (n) {
        size_t k = n < 1024 ? n : 1024;
        sine(buf, k, phase);
        snd_pcm_sframes_t w = snd_pcm_writei(p, buf, k);
        if (w < 0)
            FAIL("writei: %s", snd_strerror((int)w));
        n -= (size_t)w;
    }
}

static void cmd_pause(void)
{
    snd_pcm_t *p = open_pcm(dev_play, SND_PCM_STREAM_PLAYBACK, SND_PCM_ACCESS_RW_INTERLEAVED,
                            SND_PCM_FORMAT_S16_LE, 0, 1024, 8192);
    uint64_t ph = 0;
    play(p, 8192, &ph);
    play(p, 4096, &ph); /* running now */
    int r = snd_pcm_pause(p, 1);
    if (r < 0)
        FAIL("pause: %s", snd_strerror(r));
    snd_pcm_sframes_t a0, d0, a1, d1;
    snd_pcm_avail_delay(p, &a0, &d0);
    sleep_ms(300);
    snd_pcm_avail_delay(p, &a1, &d1);
    if (a0 != a1 || d0 != d1)
        FAIL("pause: avail %ld -> %ld, delay %ld -> %ld over 300 ms", (long)a0, (long)a1,
             (long)d0, (long)d1);
    if (snd_pcm_state(p) != SND_PCM_STATE_PAUSED)
        FAIL("pause: state %s", snd_pcm_state_name(snd_pcm_state(p)));
    snd_pcm_pause(p, 0);
    sleep_ms(100);
    snd_pcm_sframes_t a2 = snd_pcm_avail_update(p);
    if (a2 <= a1)
        FAIL("pause: after resuming 100 ms, avail %ld did not grow from %ld", (long)a2, (long)a1);
    printf("ok pause: avail %ld delay %ld frozen for 300 ms; avail %ld after resuming\n",
           (long)a0, (long)d0, (long)a2);
    snd_pcm_close(p);
}

static void cmd_drain(void)
{
    for (int nb = 0; nb < 2; nb++) {
        snd_pcm_t *p = open_pcm(dev_play, SND_PCM_STREAM_PLAYBACK,
                                SND_PCM_ACCESS_RW_INTERLEAVED, SND_PCM_FORMAT_S16_LE, 0, 1024,
                                48 * 1024);
        uint64_t ph = 0;
        play(p, 24 * 1024, &ph);
        if (snd_pcm_state(p) != SND_PCM_STATE_RUNNING)
            snd_pcm_start(p);
        sleep_ms(50);
        snd_pcm_sframes_t d;
        snd_pcm_delay(p, &d);
        double want = (double)d / RATE, t0 = now_s(), took;
        if (!nb) {
            int r = snd_pcm_drain(p);
            took = now_s() - t0;
            if (r < 0)
                FAIL("drain: %s", snd_strerror(r));
        } else {
            snd_pcm_nonblock(p, 1);
            int r = snd_pcm_drain(p);
            if (r != -EAGAIN)
                FAIL("non-blocking drain returned %d (%s), want -EAGAIN", r, snd_strerror(r));
            struct pollfd fds[4];
            int n = snd_pcm_poll_descriptors(p, fds, 4);
            for (;;) {
                if (poll(fds, (nfds_t)n, 3000) == 0)
                    FAIL("non-blocking drain: no POLLOUT within 3 s");
                unsigned short rev = 0;
                snd_pcm_poll_descriptors_revents(p, fds, (unsigned)n, &rev);
                if (rev & (POLLOUT | POLLERR))
                    break;
            }
            took = now_s() - t0;
            snd_pcm_state_t s = snd_pcm_state(p);
            if (s != SND_PCM_STATE_SETUP && s != SND_PCM_STATE_DRAINING)
                FAIL("non-blocking drain: state %s after POLLOUT", snd_pcm_state_name(s));
        }
        /* the engine period is at most 1024 frames in these tests */
        if (took < want - 0.05 || took > want + 1024.0 / RATE + 0.05)
            FAIL("%s drain took %.3f s with a delay of %.3f s", nb ? "non-blocking" : "blocking",
                 took, want);
        printf("ok %s drain: %.3f s for a delay of %.3f s\n", nb ? "non-blocking" : "blocking",
               took, want);
        snd_pcm_close(p);
    }
}

static void cmd_underrun(void)
{
    /* a buffer that survives a loaded machine, started only once full, so
     * that the only underrun is the one made on purpose */
    snd_pcm_t *p = open_pcm(dev_play, SND_PCM_STREAM_PLAYBACK, SND_PCM_ACCESS_RW_INTERLEAVED,
                            SND_PCM_FORMAT_S16_LE, 0, 1024, 16384);
    snd_pcm_sw_params_t *sw;
    snd_pcm_sw_params_alloca(&sw);
    snd_pcm_sw_params_current(p, sw);
    snd_pcm_sw_params_set_start_threshold(p, sw, 16384);
    if (snd_pcm_sw_params(p, sw) < 0)
        FAIL("underrun: sw_params");
    uint64_t ph = 0;
    play(p, 16384, &ph);
    sleep_ms(1000); /* 16384 frames last 341 ms */
    int16_t buf[1024 * CH];
    sine(buf, 1024, &ph);
    snd_pcm_sframes_t w = snd_pcm_writei(p, buf, 1024);
    if (w != -EPIPE)
        FAIL("a starved stream: writei returned %ld, want -EPIPE (state %s)", (long)w,
             snd_pcm_state_name(snd_pcm_state(p)));
    int r = snd_pcm_recover(p, (int)w, 1);
    if (r < 0)
        FAIL("snd_pcm_recover: %s", snd_strerror(r));
    play(p, 20480, &ph);
    if (snd_pcm_state(p) != SND_PCM_STATE_RUNNING)
        FAIL("after recovering: state %s", snd_pcm_state_name(snd_pcm_state(p)));
    printf("ok underrun: -EPIPE, recovered, running again\n");
    snd_pcm_close(p);
}

/* writei that survives an xrun of a loaded machine (not what "delay" tests) */
static void put(snd_pcm_t *p, const int16_t *buf, size_t n)
{
    for (int tries = 0; tries < 3; tries++) {
        snd_pcm_sframes_t w = snd_pcm_writei(p, buf, n);
        if (w >= 0)
            return;
        if (snd_pcm_recover(p, (int)w, 1) < 0)
            FAIL("delay: writei: %s", snd_strerror((int)w));
    }
    FAIL("delay: writei keeps failing");
}

/* ---- delay: a click's predicted and observed times */
struct clickrec {
    snd_pcm_t *pcm;
    double t_click;      /* observed time of the first loud frame, 0: none yet */
    atomic_int stop;
};

static void *clickrec_main(void *arg)
{
    struct clickrec *r = arg;
    int16_t buf[4096 * CH];
    while (!atomic_load(&r->stop)) {
        if (snd_pcm_wait(r->pcm, 500) < 0) {
            snd_pcm_recover(r->pcm, -EPIPE, 1);
            continue;
        }
        snd_pcm_sframes_t d;
        if (snd_pcm_delay(r->pcm, &d) < 0)
            continue;
        double t = now_s();
        snd_pcm_sframes_t n = snd_pcm_readi(r->pcm, buf, 4096);
        if (n < 0) {
            snd_pcm_recover(r->pcm, (int)n, 1);
            continue;
        }
        for (snd_pcm_sframes_t j = 0; j < n && r->t_click == 0; j++)
            if (abs(buf[j * CH]) > 8000) /* frame j was d - j frames old at t */
                r->t_click = t - (double)(d - j) / RATE;
    }
    return NULL;
}

static void cmd_delay(double period_ms)
{
    snd_pcm_t *p = open_pcm(dev_play, SND_PCM_STREAM_PLAYBACK, SND_PCM_ACCESS_RW_INTERLEAVED,
                            SND_PCM_FORMAT_S16_LE, 0, 1024, 8192);
    struct clickrec r = { 0 };
    r.pcm = open_pcm(dev_rec, SND_PCM_STREAM_CAPTURE, SND_PCM_ACCESS_RW_INTERLEAVED,
                     SND_PCM_FORMAT_S16_LE, 0, 256, 16384);
    snd_pcm_start(r.pcm);
    pthread_t t;
    pthread_create(&t, NULL, clickrec_main, &r);
    int16_t buf[1024 * CH];
    memset(buf, 0, sizeof(buf));
    double diffs[5];
    for (int click = 0; click < 5; click++) {
        for (int k = 0; k < 20; k++) /* ~0.4 s of silence */
            put(p, buf, 1024);
        r.t_click = 0;
        snd_pcm_sframes_t d;
        if (snd_pcm_delay(p, &d) < 0)
            FAIL("delay: snd_pcm_delay");
        double due = now_s() + (double)d / RATE;
        int16_t c[1024 * CH];
        memset(c, 0, sizeof(c));
        for (int i = 0; i < 48; i++) /* 1 ms at 0.8 */
            for (unsigned ch = 0; ch < CH; ch++)
                c[i * CH + ch] = (int16_t)(i % 2 ? 26000 : -26000);
        put(p, c, 1024);
        for (int k = 0; k < 20 && r.t_click == 0; k++)
            put(p, buf, 1024);
        if (r.t_click == 0)
            FAIL("delay: click %d never arrived", click);
        double diff = (r.t_click - due) * 1000;
        printf("delay: click %d: due in %ld frames, observed %+.2f ms from due\n", click,
               (long)d, diff);
        diffs[click] = diff;
    }
    atomic_store(&r.stop, 1);
    pthread_join(t, NULL);
    snd_pcm_close(r.pcm);
    snd_pcm_close(p);
    /* the median of the five: a click that an engine xrun delayed (the
     * dummy driver losing whole periods on a loaded machine) is late by
     * whole periods and must not decide; most clicks must be on time */
    for (int a = 0; a < 5; a++)
        for (int b = a + 1; b < 5; b++)
            if (diffs[b] < diffs[a]) {
                double tmp = diffs[a];
                diffs[a] = diffs[b];
                diffs[b] = tmp;
            }
    double median = diffs[2];
    if (fabs(median) > period_ms + 1.0)
        FAIL("delay: clicks landed %.2f ms (median of 5) from where snd_pcm_delay put them "
             "(engine period %.2f ms)", median, period_ms);
    printf("ok delay: clicks %.2f ms (median of 5) from snd_pcm_delay's prediction (period "
           "%.2f ms)\n", median, period_ms);
}

static void cmd_forever(void)
{
    snd_pcm_t *p = open_pcm(dev_play, SND_PCM_STREAM_PLAYBACK, SND_PCM_ACCESS_RW_INTERLEAVED,
                            SND_PCM_FORMAT_S16_LE, 0, 1024, 4096);
    uint64_t ph = 0;
    int16_t buf[256 * CH];
    double last = now_s();
    printf("playing\n");
    fflush(stdout);
    for (;;) {
        sine(buf, 256, &ph);
        snd_pcm_sframes_t w = snd_pcm_writei(p, buf, 256);
        if (w == -EPIPE) {
            int r = snd_pcm_recover(p, (int)w, 1);
            if (r >= 0)
                continue;
            w = r;
        }
        if (w < 0) {
            struct timespec rt;
            clock_gettime(CLOCK_REALTIME, &rt);
            printf("error %s after %.0f ms at %lld.%09ld\n", snd_strerror((int)w),
                   (now_s() - last) * 1000, (long long)rt.tv_sec, rt.tv_nsec);
            fflush(stdout);
            snd_pcm_close(p);
            exit(3);
        }
        last = now_s();
    }
}

/* ---- stress: threads open and close */
static atomic_int stress_fail;
static atomic_int stress_opens;
static double stress_end;
static void *stress_main(void *arg)
{
    long id = (long)arg;
    uint64_t ph = 0;
    int16_t buf[256 * CH];
    while (now_s() < stress_end) {
        snd_pcm_t *p;
        char dev[96];
        snprintf(dev, sizeof(dev), "rill:SERVER=,NAME=s%ld,TARGET=none", id);
        if (snd_pcm_open(&p, dev, SND_PCM_STREAM_PLAYBACK, 0) < 0) {
            atomic_fetch_add(&stress_fail, 1);
            continue;
        }
        if (snd_pcm_set_params(p, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, CH,
                               id % 2 ? 44100 : RATE, 1, 50000) < 0)
            atomic_fetch_add(&stress_fail, 1);
        else {
            sine(buf, 256, &ph);
            if (snd_pcm_writei(p, buf, 256) < 0)
                atomic_fetch_add(&stress_fail, 1);
        }
        snd_pcm_close(p);
        atomic_fetch_add(&stress_opens, 1);
    }
    return NULL;
}

static void cmd_stress(int threads, int seconds)
{
    pthread_t t[64];
    if (threads > 64)
        threads = 64;
    stress_end = now_s() + seconds;
    for (long i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, stress_main, (void *)i);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    if (atomic_load(&stress_fail))
        FAIL("stress: %d open/setup/write failures", atomic_load(&stress_fail));
    printf("ok stress: %d threads for %d s, %d opens and closes\n", threads, seconds,
           atomic_load(&stress_opens));
}

/* ---- chmap */
static snd_pcm_t *open_channels(unsigned channels)
{
    snd_pcm_t *p;
    int r = snd_pcm_open(&p, dev_play, SND_PCM_STREAM_PLAYBACK, 0);
    if (r < 0)
        FAIL("snd_pcm_open %s: %s", dev_play, snd_strerror(r));
    if (channels == 0)
        return p;
    snd_pcm_hw_params_t *hw;
    snd_pcm_hw_params_alloca(&hw);
    snd_pcm_hw_params_any(p, hw);
    if ((r = snd_pcm_hw_params_set_access(p, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0 ||
        (r = snd_pcm_hw_params_set_format(p, hw, SND_PCM_FORMAT_S16_LE)) < 0 ||
        (r = snd_pcm_hw_params_set_channels(p, hw, channels)) < 0 ||
        (r = snd_pcm_hw_params_set_rate(p, hw, RATE, 0)) < 0 || (r = snd_pcm_hw_params(p, hw)) < 0)
        FAIL("hw_params with %u channels: %s", channels, snd_strerror(r));
    return p;
}

/* "FL FR ..." of a map */
static const char *map_text(const snd_pcm_chmap_t *m)
{
    static char buf[256];
    if (!m)
        return "(none)";
    if (snd_pcm_chmap_print(m, sizeof(buf), buf) < 0)
        return "(unprintable)";
    return buf;
}

static void expect_map(snd_pcm_t *p, const char *want, const char *what)
{
    snd_pcm_chmap_t *m = snd_pcm_get_chmap(p);
    if (!want) {
        if (m)
            FAIL("%s: get_chmap gives %s, want none", what, map_text(m));
        return;
    }
    if (!m || strcmp(map_text(m), want) != 0)
        FAIL("%s: get_chmap gives %s, want %s", what, map_text(m), want);
    free(m);
}

static void expect_set(snd_pcm_t *p, const char *map, int want, const char *what)
{
    snd_pcm_chmap_t *m = snd_pcm_chmap_parse_string(map);
    if (!m)
        FAIL("cannot parse %s", map);
    int r = snd_pcm_set_chmap(p, m);
    free(m);
    if (r != want)
        FAIL("%s: set_chmap(%s) returned %d (%s), want %d", what, map, r, snd_strerror(r), want);
}

static void cmd_chmap(void)
{
    static const char *const offered[] = { NULL, "MONO", "FL FR", NULL, "FL FR RL RR", NULL,
                                           "FL FR RL RR FC LFE", NULL,
                                           "FL FR RL RR FC LFE SL SR" };
    snd_pcm_t *p = open_channels(0);
    snd_pcm_chmap_query_t **q = snd_pcm_query_chmaps(p);
    if (!q)
        FAIL("snd_pcm_query_chmaps gives nothing");
    unsigned seen = 0;
    for (snd_pcm_chmap_query_t **e = q; *e; e++) {
        unsigned n = (*e)->map.channels;
        if (n >= sizeof(offered) / sizeof(offered[0]) || !offered[n])
            FAIL("a map of %u channels is offered: %s", n, map_text(&(*e)->map));
        if (strcmp(map_text(&(*e)->map), offered[n]) != 0)
            FAIL("the %u-channel map offered is %s, want %s", n, map_text(&(*e)->map), offered[n]);
        if ((*e)->type != (n == 1 ? SND_CHMAP_TYPE_FIXED : SND_CHMAP_TYPE_VAR))
            FAIL("the %u-channel map is of type %s", n, snd_pcm_chmap_type_name((*e)->type));
        seen |= 1u << n;
    }
    snd_pcm_free_chmaps(q);
    if (seen != ((1u << 1) | (1u << 2) | (1u << 4) | (1u << 6) | (1u << 8)))
        FAIL("maps offered for channel counts 0x%x, want 1, 2, 4, 6 and 8", seen);
    expect_map(p, NULL, "before hw_params");
    snd_pcm_close(p);

    p = open_channels(6);
    expect_map(p, "FL FR RL RR FC LFE", "6 channels");
    expect_set(p, "FL,FR,FC,LFE,RL,RR", 0, "6 channels");
    expect_map(p, "FL FR FC LFE RL RR", "6 channels after set");
    expect_set(p, "FL,FL,FC,LFE,RL,RR", -EINVAL, "a position twice");
    expect_set(p, "FL,FR,FC,LFE,SL,SR", -EINVAL, "positions the layout lacks");
    expect_set(p, "FL,FR", -EINVAL, "a map of 2 for 6 channels");
    expect_map(p, "FL FR FC LFE RL RR", "6 channels after refused sets");
    snd_pcm_close(p);

    p = open_channels(2);
    expect_map(p, "FL FR", "2 channels");
    expect_set(p, "FR,FL", 0, "2 channels");
    expect_map(p, "FR FL", "2 channels after set");
    snd_pcm_close(p);

    p = open_channels(1);
    expect_map(p, "MONO", "1 channel");
    snd_pcm_close(p);

    p = open_channels(3);
    expect_map(p, NULL, "3 channels");
    expect_set(p, "FL,FR,FC", -ENXIO, "3 channels");
    snd_pcm_close(p);
    printf("ok chmap: offered 1/2/4/6/8, get, set, refusals\n");
}

/* A command that hangs says so instead of waiting for the test's timeout. */
static const char *current_cmd = "?";
static void on_alarm(int sig)
{
    (void)sig;
    char msg[128];
    int n = snprintf(msg, sizeof(msg), "FAIL: rill-test-alsa %s: stuck for 90 s\n", current_cmd);
    ssize_t w = write(1, msg, (size_t)n);
    (void)w;
    _exit(1);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2)
        current_cmd = argv[1];
    if (argc < 2 || strcmp(argv[1], "forever") != 0) {
        signal(SIGALRM, on_alarm);
        alarm(90);
    }
    if (argc < 2)
        goto usage;
    if (!strcmp(argv[1], "methods"))
        cmd_methods();
    else if (!strcmp(argv[1], "pause"))
        cmd_pause();
    else if (!strcmp(argv[1], "drain"))
        cmd_drain();
    else if (!strcmp(argv[1], "underrun"))
        cmd_underrun();
    else if (!strcmp(argv[1], "delay") && argc == 3)
        cmd_delay(atof(argv[2]));
    else if (!strcmp(argv[1], "forever"))
        cmd_forever();
    else if (!strcmp(argv[1], "chmap"))
        cmd_chmap();
    else if (!strcmp(argv[1], "stress") && argc == 4)
        cmd_stress(atoi(argv[2]), atoi(argv[3]));
    else
        goto usage;
    snd_config_update_free_global();
    return 0;
usage:
    fprintf(stderr, "usage: rill-test-alsa methods|pause|drain|underrun|delay PERIOD_MS|forever|chmap|stress N S\n");
    return 2;
}
