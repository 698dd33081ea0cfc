/* tests/clients/rill-test-intclient.c — an internal client for the tests
 * that misbehaves on purpose, to prove that the realtime allocation trap
 * also watches internal clients running inside rilld.
 *
 * load_init "alloc": the process callback calls malloc/free every cycle (the
 * trap preloaded into rilld must abort it). "property": sets a property on
 * its port and reads it back with jack_get_property, which takes no client
 * (it must reach the server the module runs in, whatever its name), and
 * says on stderr what it read. Anything else: an output "out" of silence,
 * well behaved.
 */
#include <jack/jack.h>
#include <jack/metadata.h>
#include <stdio.h>
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
    if (load_init && strcmp(load_init, "property") == 0) {
        const char *key = "http://rill.audio/ns/test#intclient";
        char *value = NULL, *type = NULL;
        jack_uuid_t u = jack_port_uuid(b->out);
        int r = jack_set_property(client, u, key, "42", NULL);
        if (r == 0)
            r = jack_get_property(u, key, &value, &type);
        fprintf(stderr, "rill-test-intclient: property read back: %s\n",
                r == 0 && value ? value : "(failed)");
        jack_free(value);
        jack_free(type);
    }
    return 0;
}

void jack_finish(void *arg)
{
    free(arg);
}
