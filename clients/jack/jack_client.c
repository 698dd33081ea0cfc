/* clients/jack/jack_client.c — opening, closing, activating a JACK client.
 *
 * jack_client_open translates JACK's options and status bits to and from
 * rill_client_open (clients/core/client.h). Without a running rilld it
 * starts one (clients/jack/jack_autostart.c) unless JackNoStartServer or
 * $JACK_NO_START_SERVER says not to.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clients/jack/jack_priv.h"
#include "rill/paths.h"

/* Status bits for a rill_client_open error. */
static jack_status_t rill_jack_open_status(int err)
{
    switch (err) {
    case -ENOENT:
    case -ECONNREFUSED:
        return JackFailure | JackServerFailed;
    case -EEXIST:
        return JackFailure | JackNameNotUnique;
    case -EPROTO:
        return JackFailure | JackVersionError;
    case -ENAMETOOLONG:
    case -EINVAL:
        return JackFailure | JackInvalidOption;
    case -ENOMEM:
        return JackFailure | JackShmFailure;
    default:
        return JackFailure | JackServerError;
    }
}

/* Free a client that the core no longer holds. Main thread. */
static void rill_jack_client_free(struct _jack_client *c)
{
    sem_destroy(&c->reaper_sem);
    pthread_mutex_destroy(&c->ports_lock);
    pthread_mutex_destroy(&c->cb_lock);
    pthread_mutex_destroy(&c->state_lock);
    free(c->ports);
    free(c);
}

/* Allocate a client and its port handles. Returns 0 or -ENOMEM. */
static int rill_jack_client_new(struct _jack_client **out)
{
    int err = -ENOMEM;
    struct _jack_client *c = calloc(1, sizeof(*c));
    if (!c)
        goto fail;
    c->ports = calloc(RILL_MAX_PORTS, sizeof(*c->ports));
    if (!c->ports)
        goto fail_client;
    for (uint32_t i = 0; i < RILL_MAX_PORTS; i++) {
        c->ports[i].client = c;
        c->ports[i].id = i;
    }
    if ((err = -pthread_mutex_init(&c->state_lock, NULL)) < 0)
        goto fail_ports;
    if ((err = -pthread_mutex_init(&c->cb_lock, NULL)) < 0)
        goto fail_state;
    if ((err = -pthread_mutex_init(&c->ports_lock, NULL)) < 0)
        goto fail_cb;
    if (sem_init(&c->reaper_sem, 0, 0) < 0) {
        err = -errno;
        goto fail_plock;
    }
    *out = c;
    return 0;

fail_plock:
    pthread_mutex_destroy(&c->ports_lock);
fail_cb:
    pthread_mutex_destroy(&c->cb_lock);
fail_state:
    pthread_mutex_destroy(&c->state_lock);
fail_ports:
    free(c->ports);
fail_client:
    free(c);
fail:
    return err;
}

/* Open a client. Options: JackNoStartServer, JackUseExactName,
 * JackServerName (const char * argument), JackSessionID (const char *
 * argument, ignored). Main thread or any non-realtime thread. */
jack_client_t *jack_client_open(const char *client_name, jack_options_t options,
                                jack_status_t *status, ...)
{
    jack_status_t dummy;
    if (!status)
        status = &dummy;
    *status = 0;

    /* the variable arguments come in the order of the option bits */
    const char *server = NULL;
    va_list ap;
    va_start(ap, status);
    if (options & JackServerName)
        server = va_arg(ap, const char *);
    if (options & JackSessionID)
        (void)va_arg(ap, const char *);
    va_end(ap);

    if (options & ~(jack_options_t)JackOpenOptions) {
        rill_jack_error("jack_client_open: unknown option bits 0x%x (valid: "
                        "JackNoStartServer, JackUseExactName, JackServerName, JackSessionID)",
                        (unsigned)(options & ~(jack_options_t)JackOpenOptions));
        *status = JackFailure | JackInvalidOption;
        return NULL;
    }
    if (!client_name || !client_name[0]) {
        rill_jack_error("jack_client_open: a client name is required (1 to %u bytes)",
                        RILL_CLIENT_NAME_SIZE - 1);
        *status = JackFailure | JackInvalidOption;
        return NULL;
    }
    size_t len = strlen(client_name);
    if (len >= RILL_CLIENT_NAME_SIZE) {
        rill_jack_error("jack_client_open: client name '%.*s...' is %zu bytes long; at most %u "
                        "are allowed (jack_client_name_size() - 1)",
                        20, client_name, len, RILL_CLIENT_NAME_SIZE - 1);
        *status = JackFailure | JackInvalidOption;
        return NULL;
    }
    if (server && !server[0])
        server = NULL;

    struct _jack_client *c = NULL;
    int err = rill_jack_client_new(&c);
    if (err < 0) {
        rill_jack_error("jack_client_open: cannot allocate client '%s': %s", client_name,
                        strerror(-err));
        *status = JackFailure;
        return NULL;
    }

    struct rill_client_callbacks cb = {
        .arg = c,
        .event = rill_jack_event,
        .rt_init = rill_jack_rt_init,
        .process = rill_jack_process,
        .pre_process = rill_jack_transport_pre,
        .post_process = rill_jack_transport_post,
    };
    uint32_t hello = (options & JackUseExactName) ? RILL_HELLO_USE_EXACT_NAME : 0u;
    char msg[RILL_ERROR_SIZE] = "";
    struct rill_client *core = NULL;
    err = rill_client_open(server, client_name, hello, &cb, &core, msg, sizeof(msg));
    if ((err == -ENOENT || err == -ECONNREFUSED) && !(options & JackNoStartServer) &&
        !getenv("JACK_NO_START_SERVER")) {
        /* as JACK does: start a server and try once more */
        char smsg[RILL_ERROR_SIZE];
        int serr = rill_jack_start_server(server, smsg, sizeof(smsg));
        if (serr < 0) {
            rill_jack_error("cannot open client '%s': no server was running and %s",
                            client_name, smsg);
            *status = JackFailure | JackServerFailed;
            goto fail_client;
        }
        *status |= JackServerStarted;
        err = rill_client_open(server, client_name, hello, &cb, &core, msg, sizeof(msg));
    }
    if (err < 0) {
        const char *sname = rill_server_name(server);
        rill_jack_error("cannot open client '%s' on server '%s': %s", client_name,
                        sname ? sname : "default", msg[0] ? msg : strerror(-err));
        *status = rill_jack_open_status(err);
        goto fail_client;
    }
    c->core = core;
    c->st = rill_client_state(core);
    atomic_store_explicit(&c->buffer_size, c->st->period, memory_order_relaxed);
    atomic_store_explicit(&c->sample_rate, c->st->rate, memory_order_relaxed);
    /* a server that freewheels already sends no event about it until it stops */
    atomic_store_explicit(&c->freewheeling,
                          atomic_load_explicit(&((struct rill_shm_state *)c->st)->freewheeling,
                                               memory_order_relaxed) != 0,
                          memory_order_relaxed);
    /* release: the notification thread sees core/st once it sees ready */
    atomic_store_explicit(&c->ready, 1, memory_order_release);

    err = rill_jack_reaper_start(c);
    if (err < 0) {
        rill_jack_error("jack_client_open: cannot start a helper thread: %s", strerror(-err));
        *status = JackFailure | JackInitFailure;
        goto fail_core;
    }

    const char *granted = rill_client_name(core);
    if (strcmp(granted, client_name) != 0)
        *status |= JackNameNotUnique;
    return c;

fail_core:
    rill_client_close(core);
fail_client:
    rill_jack_client_free(c);
    return NULL;
}

/* Deprecated: open with the exact name, no server start. Main thread. */
jack_client_t *jack_client_new(const char *client_name)
{
    jack_status_t status;
    return jack_client_open(client_name, JackUseExactName | JackNoStartServer, &status);
}

/* Deactivate, leave the server, free everything. Not from a callback.
 * Returns 0. Main thread or any non-realtime thread. */
int jack_client_close(jack_client_t *client)
{
    if (!client)
        return -1;
    jack_deactivate(client);
    rill_jack_reaper_stop(client);
    rill_client_close(client->core);
    rill_jack_client_free(client);
    return 0;
}

/* The name the server granted. Any thread. */
char *jack_get_client_name(jack_client_t *client)
{
    if (!client)
        return NULL;
    return (char *)rill_client_name(client->core);
}

/* Start processing. The buffer-size callback runs once here, before the
 * first process call. 0 when already active. Any non-realtime thread. */
int jack_activate(jack_client_t *client)
{
    if (!client)
        return -1;
    int ret = 0;
    pthread_mutex_lock(&client->state_lock);
    if (atomic_load_explicit(&client->active, memory_order_acquire))
        goto out;
    if (!rill_client_alive(client->core)) {
        rill_jack_error("cannot activate '%s': the server has gone away",
                        rill_client_name(client->core));
        ret = -1;
        goto out;
    }
    pthread_mutex_lock(&client->cb_lock);
    JackBufferSizeCallback bs = client->cb.buffer_size;
    void *bs_arg = client->cb.buffer_size_arg;
    pthread_mutex_unlock(&client->cb_lock);
    if (bs)
        bs(atomic_load_explicit(&client->buffer_size, memory_order_relaxed), bs_arg);

    atomic_store_explicit(&client->process_failed, 0, memory_order_relaxed);
    /* before the request: the activation announces our own ports */
    atomic_store_explicit(&client->notify, 1, memory_order_relaxed);
    int err = rill_client_activate(client->core);
    if (err < 0) {
        atomic_store_explicit(&client->notify, 0, memory_order_relaxed);
        rill_jack_error("cannot activate '%s': %s", rill_client_name(client->core),
                        strerror(-err));
        ret = -1;
        goto out;
    }
    /* release: pairs with the acquire of the callback setters */
    atomic_store_explicit(&client->active, 1, memory_order_release);
out:
    pthread_mutex_unlock(&client->state_lock);
    return ret;
}

/* Stop processing. 0 when already inactive. Any non-realtime thread. */
int jack_deactivate(jack_client_t *client)
{
    if (!client)
        return -1;
    int ret = 0;
    pthread_mutex_lock(&client->state_lock);
    if (!atomic_load_explicit(&client->active, memory_order_acquire))
        goto out;
    int err = rill_client_deactivate(client->core);
    /* the realtime thread is gone whatever the server said */
    atomic_store_explicit(&client->active, 0, memory_order_release);
    atomic_store_explicit(&client->notify, 0, memory_order_relaxed);
    if (err < 0 && err != -EPIPE && rill_client_alive(client->core)) {
        rill_jack_error("cannot deactivate '%s': %s", rill_client_name(client->core),
                        strerror(-err));
        ret = -1;
    }
out:
    pthread_mutex_unlock(&client->state_lock);
    return ret;
}

/* The realtime thread while active, else 0. Any thread. */
jack_native_thread_t jack_client_thread_id(jack_client_t *client)
{
    unsigned long tid = 0;
    if (!client || rill_client_rt_thread(client->core, &tid) < 0)
        return (jack_native_thread_t)0;
    return (jack_native_thread_t)tid;
}

/* 1 when the server runs realtime (rilld -R, the default) and is not
 * freewheeling, as JACK answers; whether or not this client is active or its
 * own thread got SCHED_FIFO. Any thread. */
int jack_is_realtime(jack_client_t *client)
{
    if (!client || !client->st)
        return 0;
    /* relaxed: one word, see jack_priv.h */
    if (atomic_load_explicit(&client->freewheeling, memory_order_relaxed))
        return 0;
    return client->st->rt_priority > 0 ? 1 : 0;
}

/* Any thread; RT-safe. */
jack_nframes_t jack_get_sample_rate(jack_client_t *client)
{
    if (!client)
        return 0;
    return atomic_load_explicit(&client->sample_rate, memory_order_relaxed);
}

/* Any thread; RT-safe. */
jack_nframes_t jack_get_buffer_size(jack_client_t *client)
{
    if (!client)
        return 0;
    return atomic_load_explicit(&client->buffer_size, memory_order_relaxed);
}

/* Percent of the period the engine's last cycles took. Any thread; RT-safe. */
float jack_cpu_load(jack_client_t *client)
{
    if (!client)
        return 0.0f;
    /* relaxed: a statistic, no other data depends on it */
    uint32_t milli = atomic_load_explicit(&((struct rill_shm_state *)client->st)->dsp_load_milli,
                                          memory_order_relaxed);
    return (float)milli / 1000.0f;
}
