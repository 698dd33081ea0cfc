/* internal/rill-tone.c — a test-tone generator, loaded into rilld as an
 * internal client (rilld -l rill-tone:ARGS, or jack_load NAME rill-tone ARGS).
 *
 * One output port "out" with a sine wave. load_init: comma- or
 * space-separated key=value pairs, all optional:
 *   freq=HZ       frequency, 1 .. rate/2 (default 440)
 *   level=DB      peak level in dBFS, -120 .. 0 (default -12)
 *   connect=N     connect "out" to the first N physical playback ports
 *                 (default 0: not connected)
 * A bad argument makes jack_initialize fail (JackInitFailure for the
 * loader) with a message on stderr naming it and what is allowed.
 *
 * The process callback is RT-safe: a phase accumulator and sin(), no
 * allocation or lock.
 */
#include <errno.h>
#include <jack/jack.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/rill-tone.h"

#define TONE_EXPORT __attribute__((visibility("default")))

struct tone {
    jack_port_t *out;
    double phase;      /* in cycles, [0, 1); realtime thread only */
    double step;       /* cycles per frame */
    float amp;
};

TONE_EXPORT int jack_initialize(jack_client_t *client, const char *load_init);
TONE_EXPORT void jack_finish(void *arg);

/* Realtime thread; RT-safe. */
static int tone_process(jack_nframes_t nframes, void *arg)
{
    struct tone *t = arg;
    float *out = jack_port_get_buffer(t->out, nframes);
    if (!out)
        return 0;
    double ph = t->phase;
    for (jack_nframes_t i = 0; i < nframes; i++) {
        out[i] = t->amp * (float)sin(2.0 * M_PI * ph);
        ph += t->step;
        if (ph >= 1.0)
            ph -= 1.0;
    }
    t->phase = ph;
    return 0;
}

/* Connect out to the first n physical playback ports. Loader's thread. */
static void connect_playback(jack_client_t *client, struct tone *t, unsigned n)
{
    const char **ports = jack_get_ports(client, NULL, JACK_DEFAULT_AUDIO_TYPE,
                                        JackPortIsPhysical | JackPortIsInput);
    if (!ports)
        return;
    for (unsigned i = 0; i < n && ports[i]; i++)
        if (jack_connect(client, jack_port_name(t->out), ports[i]) != 0)
            fprintf(stderr, "rill-tone: cannot connect to %s\n", ports[i]);
    jack_free(ports);
}

/* Called by the loader (a worker thread of rilld). 0 or non-zero. */
int jack_initialize(jack_client_t *client, const char *load_init)
{
    double rate = (double)jack_get_sample_rate(client);
    double freq = 440.0, level = -12.0, connect = 0.0;
    if (rill_tone_parse_args(load_init ? load_init : "", rate, &freq, &level, &connect) < 0)
        return 1;
    struct tone *t = calloc(1, sizeof(*t));
    if (!t)
        return 1;
    t->step = freq / rate;
    t->amp = (float)pow(10.0, level / 20.0);
    t->out = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!t->out) {
        fprintf(stderr, "rill-tone: cannot register port 'out'\n");
        goto fail;
    }
    if (jack_set_process_callback(client, tone_process, t) != 0 || jack_activate(client) != 0) {
        fprintf(stderr, "rill-tone: cannot activate\n");
        goto fail;
    }
    connect_playback(client, t, (unsigned)connect);
    return 0;

fail:
    free(t);
    return 1;
}

/* Called by the loader after the client was deactivated; arg is the
 * process callback's argument. */
void jack_finish(void *arg)
{
    free(arg);
}
