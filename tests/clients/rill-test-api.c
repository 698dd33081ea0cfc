/* tests/clients/rill-test-api.c — a JACK client that checks the port-rename,
 * latency and property-change callbacks, aliases, monitoring and type sizes
 * (tests/integration/api.sh runs it through rill-jack).
 *
 * It connects system:capture_1 -> api:in, api:out -> system:playback_1, adds
 * ADD frames in its latency callback (capture: out = in + ADD; playback:
 * in = out + ADD) and prints one "ok ..." line per check, "PASS" at the end;
 * a failed check prints "FAIL: what" and exits 1. Main thread only, except
 * the callbacks (notification thread), which only record what they saw.
 */
#include <jack/jack.h>
#include <jack/metadata.h>
#include <jack/session.h>
#include <jack/uuid.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ADD 500u

static jack_port_t *in_port, *out_port;
static atomic_int capture_calls, playback_calls, order_ok = 1;
static atomic_int renamed;
static char rename_old[256], rename_new[256];
static atomic_int prop_created;

static void fail(const char *what)
{
    printf("FAIL: %s\n", what);
    fflush(stdout);
    exit(1);
}

static void latency_cb(jack_latency_callback_mode_t mode, void *arg)
{
    (void)arg;
    jack_latency_range_t r;
    if (mode == JackCaptureLatency) {
        jack_port_get_latency_range(in_port, JackCaptureLatency, &r);
        r.min += ADD;
        r.max += ADD;
        jack_port_set_latency_range(out_port, JackCaptureLatency, &r);
        atomic_fetch_add(&capture_calls, 1);
    } else {
        /* JACK runs the capture pass before the playback pass */
        if (atomic_load(&capture_calls) == 0)
            atomic_store(&order_ok, 0);
        jack_port_get_latency_range(out_port, JackPlaybackLatency, &r);
        r.min += ADD;
        r.max += ADD;
        jack_port_set_latency_range(in_port, JackPlaybackLatency, &r);
        atomic_fetch_add(&playback_calls, 1);
    }
}

static void rename_cb(jack_port_id_t port, const char *old_name, const char *new_name, void *arg)
{
    (void)port;
    (void)arg;
    snprintf(rename_old, sizeof(rename_old), "%s", old_name);
    snprintf(rename_new, sizeof(rename_new), "%s", new_name);
    atomic_store(&renamed, 1);
}

static void property_cb(jack_uuid_t subject, const char *key, jack_property_change_t change,
                        void *arg)
{
    (void)subject;
    (void)arg;
    if (change == PropertyCreated && key && strcmp(key, "urn:rill:test") == 0)
        atomic_store(&prop_created, 1);
}

/* Wait up to 5 s for *flag to become non-zero. */
/* the last message libjack reported (jack_set_error_function) */
static char last_error[512];
static void error_cb(const char *msg)
{
    snprintf(last_error, sizeof(last_error), "%s", msg);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Many properties read back whole (jack_get_properties reads the store
 * chunk by chunk); the store's byte limit refused with its documented
 * error (rill/protocol.h RILL_METADATA_MAX_BYTES); removal makes room. */
static void metadata_bulk(jack_client_t *c, jack_uuid_t uuid)
{
    enum { MANY = 3000 };
    char key[64], value[64];
    for (int i = 0; i < MANY; i++) {
        snprintf(key, sizeof(key), "urn:rill:many:%d", i);
        snprintf(value, sizeof(value), "value %d", i * 7);
        if (jack_set_property(c, uuid, key, value, NULL))
            fail("jack_set_property of many properties");
    }
    double t0 = now_ms();
    jack_description_t desc;
    int n = jack_get_properties(uuid, &desc);
    double t_read = now_ms() - t0;
    if (n != MANY + 1 || desc.property_cnt != (uint32_t)n)
        fail("jack_get_properties must return every property");
    int seen = 0;
    for (uint32_t i = 0; i < desc.property_cnt; i++) {
        int k;
        if (sscanf(desc.properties[i].key, "urn:rill:many:%d", &k) != 1)
            continue;
        snprintf(value, sizeof(value), "value %d", k * 7);
        if (strcmp(desc.properties[i].data, value))
            fail("jack_get_properties gave a wrong value");
        seen++;
    }
    jack_free_description(&desc, 0);
    if (seen != MANY)
        fail("jack_get_properties lost properties");
    printf("ok %d properties read back whole in %.1f ms\n", n, t_read);

    /* the byte limit: values of almost 1 MiB until the store is full */
    size_t big_len = (1u << 20) - 64;
    char *big = malloc(big_len + 1);
    if (!big)
        fail("malloc");
    memset(big, 'b', big_len);
    big[big_len] = '\0';
    int stored = 0;
    last_error[0] = '\0';
    for (; stored < 64; stored++) {
        snprintf(key, sizeof(key), "urn:rill:big:%d", stored);
        if (jack_set_property(c, uuid, key, big, NULL))
            break;
    }
    if (stored < 8 || stored >= 17 || !strstr(last_error, "metadata store is full"))
        fail("a property past the store's 16 MiB must be refused with 'the metadata store is "
             "full'");
    printf("ok the store took %d properties of 1 MiB, then: %s\n", stored, last_error);
    if (jack_remove_properties(c, uuid) != MANY + 1 + stored)
        fail("jack_remove_properties of the bulk");
    if (jack_set_property(c, uuid, "urn:rill:big:again", big, NULL))
        fail("a removal must make room in the store");
    jack_remove_property(c, uuid, "urn:rill:big:again");
    free(big);
}

static int wait_flag(atomic_int *flag)
{
    for (int i = 0; i < 500 && !atomic_load(flag); i++)
        usleep(10000);
    return atomic_load(flag);
}

int main(void)
{
    jack_status_t status;
    jack_client_t *c = jack_client_open("api", JackNoStartServer | JackUseExactName, &status);
    if (!c)
        fail("jack_client_open");
    in_port = jack_port_register(c, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    out_port = jack_port_register(c, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!in_port || !out_port)
        fail("jack_port_register");
    if (jack_set_latency_callback(c, latency_cb, NULL) || jack_set_port_rename_callback(c, rename_cb, NULL) ||
        jack_set_property_change_callback(c, property_cb, NULL))
        fail("setting callbacks");
    if (jack_activate(c))
        fail("jack_activate");
    if (jack_set_latency_callback(c, latency_cb, NULL) == 0)
        fail("jack_set_latency_callback accepted while active");
    if (jack_connect(c, "system:capture_1", "api:in") || jack_connect(c, "api:out", "system:playback_1"))
        fail("jack_connect");

    /* latency: both passes, capture first, and the totals downstream */
    jack_latency_range_t r;
    int ok = 0;
    for (int i = 0; i < 500 && !ok; i++) {
        jack_port_t *pb = jack_port_by_name(c, "system:playback_1");
        jack_port_get_latency_range(pb, JackCaptureLatency, &r);
        jack_latency_range_t cin;
        jack_port_get_latency_range(in_port, JackCaptureLatency, &cin);
        ok = atomic_load(&playback_calls) > 0 && cin.max > 0 && r.max == cin.max + ADD;
        if (!ok)
            usleep(10000);
    }
    if (!ok)
        fail("the latency callback's capture latency did not reach system:playback_1");
    if (!atomic_load(&order_ok))
        fail("the playback pass came before the capture pass");
    printf("ok latency callback: capture %d playback %d, system:playback_1 capture max %u\n",
           atomic_load(&capture_calls) > 0, atomic_load(&playback_calls) > 0, r.max);
    jack_latency_range_t pin;
    jack_port_get_latency_range(in_port, JackPlaybackLatency, &pin);
    jack_port_get_latency_range(out_port, JackPlaybackLatency, &r);
    if (pin.max != r.max + ADD || r.max == 0)
        fail("the playback latency of api:in is not api:out's plus ADD");
    printf("ok playback latency: out %u in %u\n", r.max, pin.max);
    int before = atomic_load(&capture_calls);
    if (jack_recompute_total_latencies(c))
        fail("jack_recompute_total_latencies");
    for (int i = 0; i < 500 && atomic_load(&capture_calls) == before; i++)
        usleep(10000);
    if (atomic_load(&capture_calls) == before)
        fail("jack_recompute_total_latencies did not call the latency callback");
    printf("ok recompute calls the callback again\n");

    /* rename: the callback, the handle and lookups follow */
    if (jack_port_rename(c, out_port, "renamed"))
        fail("jack_port_rename");
    if (!wait_flag(&renamed))
        fail("no port-rename callback");
    if (strcmp(rename_old, "api:out") || strcmp(rename_new, "api:renamed"))
        fail("port-rename callback names");
    if (strcmp(jack_port_name(out_port), "api:renamed") || jack_port_by_name(c, "api:renamed") != out_port ||
        jack_port_by_name(c, "api:out"))
        fail("the handle or lookups after a rename");
    if (!jack_port_connected_to(out_port, "system:playback_1"))
        fail("a rename lost the connection");
    if (jack_port_rename(c, out_port, "in") == 0)
        fail("renaming onto a taken name succeeded");
    printf("ok rename: %s -> %s\n", rename_old, rename_new);

    /* aliases */
    char a0[256], a1[256];
    char *al[2] = { a0, a1 };
    if (jack_port_set_alias(in_port, "api-alias:one") || jack_port_get_aliases(in_port, al) != 1 ||
        strcmp(a0, "api-alias:one") || jack_port_by_name(c, "api-alias:one") != in_port)
        fail("alias set");
    if (jack_port_unset_alias(in_port, "api-alias:one") || jack_port_get_aliases(in_port, al) != 0)
        fail("alias unset");
    printf("ok aliases\n");

    /* monitoring: an input passes requests on to its source */
    jack_port_t *cap = jack_port_by_name(c, "system:capture_1");
    if (jack_port_request_monitor(in_port, 1) || !jack_port_monitoring_input(in_port) ||
        !jack_port_monitoring_input(cap))
        fail("request_monitor on");
    if (jack_port_request_monitor(in_port, 0) || jack_port_monitoring_input(cap))
        fail("request_monitor off");
    if (jack_port_ensure_monitor(out_port, 1) || jack_port_ensure_monitor(out_port, 1) ||
        !jack_port_monitoring_input(out_port) || jack_port_ensure_monitor(out_port, 0) ||
        jack_port_monitoring_input(out_port))
        fail("ensure_monitor");
    if (jack_port_request_monitor_by_name(c, "system:capture_2", 1) ||
        !jack_port_monitoring_input(jack_port_by_name(c, "system:capture_2")))
        fail("request_monitor_by_name");
    printf("ok monitor\n");

    /* type sizes */
    if (jack_port_type_get_buffer_size(c, JACK_DEFAULT_AUDIO_TYPE) !=
        jack_get_buffer_size(c) * sizeof(float))
        fail("jack_port_type_get_buffer_size");
    if (jack_port_type_get_buffer_size(c, "no such type") != 0)
        fail("jack_port_type_get_buffer_size of an unknown type");
    printf("ok type sizes\n");

    /* metadata on our own client, with its change callback */
    char *uuid_s = jack_client_get_uuid(c);
    jack_uuid_t uuid;
    if (!uuid_s || jack_uuid_parse(uuid_s, &uuid) || jack_uuid_empty(uuid))
        fail("jack_client_get_uuid");
    jack_free(uuid_s);
    if (jack_set_property(c, uuid, "urn:rill:test", "value", "text/plain") || !wait_flag(&prop_created))
        fail("jack_set_property and its callback");
    char *value = NULL, *type = NULL;
    if (jack_get_property(uuid, "urn:rill:test", &value, &type) || strcmp(value, "value") ||
        !type || strcmp(type, "text/plain"))
        fail("jack_get_property");
    jack_free(value);
    jack_free(type);
    if (jack_get_client_pid("api") != getpid())
        fail("jack_get_client_pid");
    printf("ok metadata and pid\n");
    jack_set_error_function(error_cb);
    metadata_bulk(c, uuid);

    printf("PASS\n");
    fflush(stdout);
    jack_client_close(c);
    return 0;
}
