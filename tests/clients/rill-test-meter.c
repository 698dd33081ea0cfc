/* tests/clients/rill-test-meter.c — measure a tone, for the integration tests.
 *
 *   rill-test-meter NAME --connect-from PORT [--seconds S]
 *
 * Registers input "in", activates, connects PORT to it and, for S seconds
 * (default 1), measures what arrives: the frequency from the median interval
 * between upward zero crossings (interpolated between samples; intervals
 * across a jump of the frame time or a silent cycle are not counted, so a
 * cycle lost to an xrun on a loaded machine does not bias it), the RMS over
 * the cycles that are not silent, and the peak. Prints one line
 *     frames=N crossings=C freq=HZ rms=R peak=P
 * and exits 0; 1 on a JACK error, 2 on a usage error.
 *
 * The process callback writes plain fields that only the realtime thread
 * touches; main reads them after jack_deactivate, which joins that thread.
 */
#include <jack/jack.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_INTERVALS 8192

struct meter {
    jack_client_t *client;
    jack_port_t *in;
    uint64_t frames;                   /* in cycles that were not silent */
    uint64_t crossings;
    jack_nframes_t next_frame;         /* frame time the next cycle should start at */
    int have_last;
    double last_pos;                   /* frame time of the last crossing */
    size_t nintervals;
    double intervals[MAX_INTERVALS];
    double sumsq;
    float peak;
    float prev;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int process(jack_nframes_t nframes, void *arg)
{
    struct meter *m = arg;
    const float *in = jack_port_get_buffer(m->in, nframes);
    jack_nframes_t f0 = jack_last_frame_time(m->client);
    int silent = 1;
    for (jack_nframes_t i = 0; i < nframes && silent; i++)
        silent = in[i] == 0.0f;
    if (silent || f0 != m->next_frame)
        m->have_last = 0; /* a gap: no interval across it */
    m->next_frame = f0 + nframes;
    if (silent)
        return 0;
    for (jack_nframes_t i = 0; i < nframes; i++) {
        float v = in[i];
        if (m->prev < 0.0f && v >= 0.0f && (i > 0 || m->have_last)) {
            double pos = (double)f0 + i - 1.0 + (double)(-m->prev) / (double)(v - m->prev);
            if (m->have_last && m->nintervals < MAX_INTERVALS)
                m->intervals[m->nintervals++] = pos - m->last_pos;
            m->last_pos = pos;
            m->have_last = 1;
            m->crossings++;
        }
        m->prev = v;
        m->sumsq += (double)v * v;
        if (fabsf(v) > m->peak)
            m->peak = fabsf(v);
    }
    m->frames += nframes;
    return 0;
}

int main(int argc, char **argv)
{
    const char *name = NULL, *from = NULL;
    double seconds = 1.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--connect-from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!name && argv[i][0] != '-')
            name = argv[i];
        else {
            fprintf(stderr, "usage: rill-test-meter NAME --connect-from PORT [--seconds S]\n");
            return 2;
        }
    }
    if (!name || !from || !(seconds > 0.0 && seconds < 60.0)) {
        fprintf(stderr, "usage: rill-test-meter NAME --connect-from PORT [--seconds S (0..60)]\n");
        return 2;
    }
    static struct meter m;
    jack_status_t status;
    jack_client_t *c = jack_client_open(name, JackNoStartServer, &status);
    if (!c) {
        fprintf(stderr, "rill-test-meter: cannot open client (status 0x%x)\n", (unsigned)status);
        return 1;
    }
    m.client = c;
    m.in = jack_port_register(c, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    if (!m.in || jack_set_process_callback(c, process, &m) != 0 || jack_activate(c) != 0) {
        fprintf(stderr, "rill-test-meter: cannot set up\n");
        jack_client_close(c);
        return 1;
    }
    if (jack_connect(c, from, jack_port_name(m.in)) != 0) {
        fprintf(stderr, "rill-test-meter: cannot connect %s\n", from);
        jack_client_close(c);
        return 1;
    }
    struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
    nanosleep(&ts, NULL);
    jack_deactivate(c);
    double rate = jack_get_sample_rate(c);
    double freq = 0.0;
    if (m.nintervals > 0) {
        qsort(m.intervals, m.nintervals, sizeof(m.intervals[0]), cmp_double);
        double median = m.intervals[m.nintervals / 2];
        if (median > 0.0)
            freq = rate / median;
    }
    double rms = m.frames ? sqrt(m.sumsq / (double)m.frames) : 0.0;
    printf("frames=%llu crossings=%llu freq=%.2f rms=%.5f peak=%.5f\n",
           (unsigned long long)m.frames, (unsigned long long)m.crossings, freq, rms,
           (double)m.peak);
    jack_client_close(c);
    return 0;
}
