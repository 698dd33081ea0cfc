/* tests/clients/rill-test-intclient.c — an internal client for the tests
 * that misbehaves on purpose, to prove that the realtime allocation trap
 * also watches internal clients running inside rilld.
 *
 * load_init "alloc": the process callback calls malloc/free every cycle (the
 * trap preloaded into rilld must abort it). Anything else: an output "out"
 * of silence, well behaved.
 */
#include <jack/jack.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT int jack_initialize(jack_client_t *client, const char *load_init);
EXPORT void jack_finish(void *arg);

struct bad {
    jack_port_t *out;
    int alloc;
};

/* Realtime thread: RT-safe unless alloc is set (on purpose). */
static int process(jack_nframes_t nframes, void *arg)
{
    struct bad *b = arg;
    float *out = jack_port_get_buffer(b->out, nframes);
    if (b->alloc) {
        void *volatile p = malloc(64);
        free(p);
    }
    memset(out, 0, nframes * sizeof(float));
    return 0;
}

int jack_initialize(jack_client_t *client, const char *load_init)
{
    struct bad *b = calloc(1, sizeof(*b));
    if (!b)
        return 1;
    b->alloc = load_init && strcmp(load_init, "alloc") == 0;
    b->out = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!b->out || jack_set_process_callback(client, process, b) != 0 ||
        jack_activate(client) != 0) {
        free(b);
        return 1;
    }
    return 0;
}

void jack_finish(void *arg)
{
    free(arg);
}
