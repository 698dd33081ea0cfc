/* clients/jack/jack_callbacks.c — JACK callbacks: setting them, and calling
 * them from the core's notification and realtime threads.
 *
 * Setters work only while the client is inactive (JACK returns -1 then, and
 * so do we). The notification thread copies a callback and its argument
 * under cb_lock and calls it after unlocking, so a callback may call any
 * non-blocking API function.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "clients/jack/jack_priv.h"

/* Any thread. */
int rill_jack_refuse_when_active(const struct _jack_client *c, const char *what)
{
    /* acquire: pairs with the release in jack_activate/jack_deactivate */
    if (!atomic_load_explicit(&((struct _jack_client *)c)->active, memory_order_acquire))
        return 0;
    rill_jack_error("%s: '%s' is active; set callbacks before jack_activate (or after "
                    "jack_deactivate)",
                    what, rill_client_name(c->core));
    return 1;
}

/* Set one callback pair under cb_lock, refusing while active. */
#define RILL_JACK_SET_CB(client, field, fn, a)                                             \
    do {                                                                                   \
        if (!(client))                                                                     \
            return -1;                                                                     \
        if (rill_jack_refuse_when_active((client), __func__))                              \
            return -1;                                                                     \
        pthread_mutex_lock(&(client)->cb_lock);                                            \
        (client)->cb.field = (fn);                                                         \
        (client)->cb.field##_arg = (a);                                                    \
        pthread_mutex_unlock(&(client)->cb_lock);                                          \
        return 0;                                                                          \
    } while (0)

/* All setters: any non-realtime thread; 0, or -1 while active. */
int jack_set_process_callback(jack_client_t *client, JackProcessCallback process_callback,
                              void *arg)
{
    /* JACK refuses both models at once (jack_set_process_thread) */
    if (client && process_callback && client->core && rill_client_has_thread(client->core)) {
        rill_jack_error("jack_set_process_callback: '%s' has a process thread "
                        "(jack_set_process_thread); use one or the other",
                        rill_client_name(client->core));
        return -1;
    }
    RILL_JACK_SET_CB(client, process, process_callback, arg);
}

int jack_set_thread_init_callback(jack_client_t *client,
                                  JackThreadInitCallback thread_init_callback, void *arg)
{
    RILL_JACK_SET_CB(client, thread_init, thread_init_callback, arg);
}

int jack_set_client_registration_callback(jack_client_t *client,
                                          JackClientRegistrationCallback registration_callback,
                                          void *arg)
{
    RILL_JACK_SET_CB(client, client_reg, registration_callback, arg);
}

int jack_set_port_registration_callback(jack_client_t *client,
                                        JackPortRegistrationCallback registration_callback,
                                        void *arg)
{
    RILL_JACK_SET_CB(client, port_reg, registration_callback, arg);
}

int jack_set_port_connect_callback(jack_client_t *client,
                                   JackPortConnectCallback connect_callback, void *arg)
{
    RILL_JACK_SET_CB(client, port_connect, connect_callback, arg);
}

int jack_set_graph_order_callback(jack_client_t *client,
                                  JackGraphOrderCallback graph_callback, void *arg)
{
    RILL_JACK_SET_CB(client, graph_order, graph_callback, arg);
}

int jack_set_xrun_callback(jack_client_t *client, JackXRunCallback xrun_callback, void *arg)
{
    RILL_JACK_SET_CB(client, xrun, xrun_callback, arg);
}

int jack_set_buffer_size_callback(jack_client_t *client, JackBufferSizeCallback bufsize_callback,
                                  void *arg)
{
    RILL_JACK_SET_CB(client, buffer_size, bufsize_callback, arg);
}

int jack_set_sample_rate_callback(jack_client_t *client, JackSampleRateCallback srate_callback,
                                  void *arg)
{
    RILL_JACK_SET_CB(client, sample_rate, srate_callback, arg);
}

/* These two return void in JACK: print and ignore while active. */
void jack_on_shutdown(jack_client_t *client, JackShutdownCallback shutdown_callback, void *arg)
{
    if (!client || rill_jack_refuse_when_active(client, __func__))
        return;
    pthread_mutex_lock(&client->cb_lock);
    client->cb.shutdown = shutdown_callback;
    client->cb.shutdown_arg = arg;
    pthread_mutex_unlock(&client->cb_lock);
}

void jack_on_info_shutdown(jack_client_t *client, JackInfoShutdownCallback shutdown_callback,
                           void *arg)
{
    if (!client || rill_jack_refuse_when_active(client, __func__))
        return;
    pthread_mutex_lock(&client->cb_lock);
    client->cb.info_shutdown = shutdown_callback;
    client->cb.info_shutdown_arg = arg;
    pthread_mutex_unlock(&client->cb_lock);
}

/* ---- the core's side */

/* Realtime thread, once at its start. */
void rill_jack_rt_init(void *arg)
{
    struct _jack_client *c = arg;
    /* written before jack_activate started this thread */
    if (c->cb.thread_init)
        c->cb.thread_init(c->cb.thread_init_arg);
}

/* Realtime thread, once per cycle. RT-safe: a call and, on failure, one
 * semaphore post (a futex wake). */
int rill_jack_process(void *arg, uint32_t nframes)
{
    struct _jack_client *c = arg;
    int ret = c->cb.process ? c->cb.process(nframes, c->cb.process_arg) : 0;
    /* relaxed: a hint; jack_port_tie's own store is read with acquire */
    if (atomic_load_explicit(&c->ties, memory_order_relaxed))
        rill_jack_ties_run(c, nframes);
    if (ret != 0) {
        /* release: the reaper sees the flag with the post */
        if (!atomic_exchange_explicit(&c->process_failed, 1, memory_order_acq_rel))
            sem_post(&c->reaper_sem);
    }
    return ret;
}

/* Reaper thread: deactivate the client after its process callback failed. */
static void *rill_jack_reaper_main(void *arg)
{
    struct _jack_client *c = arg;
    for (;;) {
        while (sem_wait(&c->reaper_sem) < 0 && errno == EINTR)
            ;
        /* acquire: pairs with the release stores before sem_post */
        if (atomic_load_explicit(&c->reaper_quit, memory_order_acquire))
            break;
        if (atomic_load_explicit(&c->process_failed, memory_order_acquire)) {
            rill_jack_info("'%s': the process callback returned non-zero; deactivating",
                           rill_client_name(c->core));
            jack_deactivate(c);
        }
    }
    return NULL;
}

/* Main thread. Returns 0 or -errno. The thread blocks every signal, so that
 * a program's handler (jack_simple_client calls jack_client_close from its
 * SIGTERM handler) never runs on it. */
int rill_jack_reaper_start(struct _jack_client *c)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&c->reaper, NULL, rill_jack_reaper_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        return -err;
    c->reaper_started = 1;
    return 0;
}

/* Main thread, with the client inactive. */
void rill_jack_reaper_stop(struct _jack_client *c)
{
    if (!c->reaper_started)
        return;
    atomic_store_explicit(&c->reaper_quit, 1, memory_order_release);
    sem_post(&c->reaper_sem);
    pthread_join(c->reaper, NULL);
    c->reaper_started = 0;
}

/* Notification thread: one RILL_EV_* message. */
void rill_jack_event(void *arg, const struct rill_msg *ev)
{
    struct _jack_client *c = arg;
    /* acquire: core/st were written before ready; events that arrive while
     * jack_client_open runs cannot have a callback yet anyway */
    if (!atomic_load_explicit(&c->ready, memory_order_acquire))
        return;

    pthread_mutex_lock(&c->cb_lock);
    struct rill_jack_callbacks cb = c->cb;
    pthread_mutex_unlock(&c->cb_lock);
    /* jackd2: graph notifications reach active clients only (relaxed: see
     * jack_priv.h). The port handle refresh below still happens. */
    if (!atomic_load_explicit(&c->notify, memory_order_relaxed)) {
        cb.client_reg = NULL;
        cb.port_reg = NULL;
        cb.port_connect = NULL;
        cb.graph_order = NULL;
        cb.xrun = NULL;
    }

    switch (ev->type) {
    case RILL_EV_CLIENT_REGISTER:
        if (ev->u.client_event.client == rill_client_slot(c->core))
            break; /* JACK reports other clients only */
        if (cb.client_reg) {
            char name[RILL_CLIENT_NAME_SIZE];
            memcpy(name, ev->u.client_event.name, sizeof(name));
            name[sizeof(name) - 1] = '\0';
            cb.client_reg(name, ev->u.client_event.registered ? 1 : 0, cb.client_reg_arg);
        }
        break;
    case RILL_EV_PORT_REGISTER: {
        uint32_t id = ev->u.port_event.id;
        if (id >= RILL_MAX_PORTS)
            break;
        if (ev->u.port_event.registered) {
            (void)rill_jack_port_get(c, id); /* refresh the handle */
            if (cb.port_reg)
                cb.port_reg(id, 1, cb.port_reg_arg);
        } else if (cb.port_reg) {
            /* relaxed: only this thread writes it, readers compare ids */
            atomic_store_explicit(&c->dying_port, id + 1, memory_order_relaxed);
            cb.port_reg(id, 0, cb.port_reg_arg);
            atomic_store_explicit(&c->dying_port, 0, memory_order_relaxed);
        }
        break;
    }
    case RILL_EV_PORT_CONNECT:
        if (cb.port_connect)
            cb.port_connect(ev->u.connect_event.src, ev->u.connect_event.dst,
                            ev->u.connect_event.connected ? 1 : 0, cb.port_connect_arg);
        break;
    case RILL_EV_GRAPH_ORDER:
        if (cb.graph_order)
            (void)cb.graph_order(cb.graph_order_arg);
        break;
    case RILL_EV_XRUN:
        if (cb.xrun)
            (void)cb.xrun(cb.xrun_arg);
        break;
    case RILL_EV_BUFFER_SIZE:
        /* relaxed: one word, read by jack_get_buffer_size only */
        atomic_store_explicit(&c->buffer_size, ev->u.size_event.value, memory_order_relaxed);
        if (cb.buffer_size)
            (void)cb.buffer_size(ev->u.size_event.value, cb.buffer_size_arg);
        if (ev->u.size_event.serial) {
            /* the engine waits for this before it runs at the new size */
            struct rill_msg done = { .type = RILL_MSG_BUFFER_SIZE_DONE };
            done.u.size_event.serial = ev->u.size_event.serial;
            (void)rill_client_event_answer(c->core, &done);
        }
        break;
    case RILL_EV_FREEWHEEL: {
        int on = ev->u.size_event.value ? 1 : 0;
        /* relaxed: see jack_priv.h */
        atomic_store_explicit(&c->freewheeling, on, memory_order_relaxed);
        /* as jackd's clients: off realtime before the callback when
         * freewheeling starts, back after it when it stops */
        if (on)
            (void)rill_client_set_freewheel(c->core, 1);
        if (cb.freewheel)
            cb.freewheel(on, cb.freewheel_arg);
        if (!on)
            (void)rill_client_set_freewheel(c->core, 0);
        break;
    }
    case RILL_EV_SAMPLE_RATE:
        atomic_store_explicit(&c->sample_rate, ev->u.size_event.value, memory_order_relaxed);
        if (cb.sample_rate)
            (void)cb.sample_rate(ev->u.size_event.value, cb.sample_rate_arg);
        break;
    case RILL_EV_SHUTDOWN: {
        if (atomic_exchange_explicit(&c->shut_down, 1, memory_order_relaxed))
            break; /* once */
        char reason[RILL_ERROR_SIZE];
        memcpy(reason, ev->u.shutdown_event.reason, sizeof(reason));
        reason[sizeof(reason) - 1] = '\0';
        if (!reason[0])
            strcpy(reason, "the rill server has gone away");
        if (cb.shutdown)
            cb.shutdown(cb.shutdown_arg);
        if (cb.info_shutdown)
            cb.info_shutdown((jack_status_t)(ev->u.shutdown_event.code | JackFailure), reason,
                             cb.info_shutdown_arg);
        if (!cb.shutdown && !cb.info_shutdown)
            rill_jack_error("client '%s': %s", rill_client_name(c->core), reason);
        break;
    }
    case RILL_EV_DRIVER_STATE: {
        /* the sound card stalled, went or came back: the server keeps
         * running on its fallback clock; one line through jack_info */
        char reason[RILL_ERROR_SIZE];
        memcpy(reason, ev->u.shutdown_event.reason, sizeof(reason));
        reason[sizeof(reason) - 1] = '\0';
        rill_jack_info("%s", reason);
        break;
    }
    case RILL_EV_LATENCY:
        rill_jack_latency_event(c, &cb, ev);
        break;
    case RILL_EV_PORT_RENAME:
        rill_jack_port_rename_event(c, &cb, ev);
        break;
    case RILL_EV_PROPERTY:
        rill_jack_property_event(c, &cb, ev);
        break;
    default:
        break;
    }
}
