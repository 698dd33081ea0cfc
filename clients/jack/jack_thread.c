/* clients/jack/jack_thread.c — <jack/thread.h> and the process-thread model
 * of <jack/jack.h> (jack_set_process_thread, jack_cycle_wait,
 * jack_cycle_signal, jack_thread_wait).
 *
 * The process thread runs on the client core's realtime thread
 * (rill_client_set_thread, clients/core/client.h): after the thread-init
 * callback, the core calls the program's function once instead of calling
 * the process callback each cycle. jack_cycle_wait blocks until the node is
 * triggered and returns nframes; jack_cycle_signal finishes the cycle (the
 * successors are released). When the client is deactivated or closed while
 * the program waits, jack_cycle_wait ends the thread with pthread_exit, as
 * JACK does; so does jack_cycle_signal with a non-zero status, after which
 * the client is deactivated (as when a process callback returns non-zero).
 *
 * Threads created with jack_client_create_thread get SCHED_FIFO at the
 * priority asked when realtime is asked for; when the system refuses it
 * (EPERM: no realtime privilege) the thread is created with normal
 * scheduling and a message says so, as rill's own realtime threads do.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "clients/jack/jack_priv.h"

#pragma GCC visibility push(default)
#include <jack/thread.h>
#pragma GCC visibility pop

/* jack_set_thread_creator's function, NULL for pthread_create. Relaxed: one
 * word; the program sets it before it creates threads (JACK says so). */
static _Atomic(jack_thread_creator_t) thread_creator;

/* Any thread. */
void jack_set_thread_creator(jack_thread_creator_t creator)
{
    atomic_store_explicit(&thread_creator, creator, memory_order_relaxed);
    /* JACK creates the client's own threads with it too */
    rill_client_set_thread_creator(creator);
}

/* Clamp priority into SCHED_FIFO's range. Any thread. */
static int fifo_priority(int priority)
{
    int lo = sched_get_priority_min(SCHED_FIFO), hi = sched_get_priority_max(SCHED_FIFO);
    if (priority < lo)
        return lo;
    if (priority > hi)
        return hi;
    return priority;
}

/* Any non-realtime thread. 0 or an error number (JACK's convention here). */
int jack_client_create_thread(jack_client_t *client, jack_native_thread_t *thread, int priority,
                              int realtime, void *(*start_routine)(void *), void *arg)
{
    (void)client; /* may be NULL, as in JACK */
    if (!thread || !start_routine) {
        rill_jack_error("jack_client_create_thread: %s is NULL", thread ? "start_routine" : "thread");
        return EINVAL;
    }
    jack_thread_creator_t create = atomic_load_explicit(&thread_creator, memory_order_relaxed);
    if (!create)
        create = pthread_create;

    int err = 0;
    if (realtime) {
        pthread_attr_t attr;
        if ((err = pthread_attr_init(&attr)) != 0)
            return err;
        struct sched_param sp = { .sched_priority = fifo_priority(priority) };
        if ((err = pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED)) == 0 &&
            (err = pthread_attr_setschedpolicy(&attr, SCHED_FIFO)) == 0 &&
            (err = pthread_attr_setschedparam(&attr, &sp)) == 0)
            err = create(thread, &attr, start_routine, arg);
        pthread_attr_destroy(&attr);
        if (err == 0)
            return 0;
        if (err != EPERM) {
            rill_jack_error("jack_client_create_thread: cannot create a SCHED_FIFO thread at "
                            "priority %d: %s",
                            sp.sched_priority, strerror(err));
            return err;
        }
        rill_jack_info("jack_client_create_thread: no permission for SCHED_FIFO priority %d "
                       "(see RLIMIT_RTPRIO); the thread runs with normal scheduling",
                       sp.sched_priority);
    }
    err = create(thread, NULL, start_routine, arg);
    if (err != 0)
        rill_jack_error("jack_client_create_thread: cannot create a thread: %s", strerror(err));
    return err;
}

/* Any thread. 0, EPERM without the privilege, or another error number. */
int jack_acquire_real_time_scheduling(jack_native_thread_t thread, int priority)
{
    struct sched_param sp = { .sched_priority = fifo_priority(priority) };
    return pthread_setschedparam(thread, SCHED_FIFO, &sp);
}

/* Any thread. 0 or an error number. */
int jack_drop_real_time_scheduling(jack_native_thread_t thread)
{
    struct sched_param sp = { .sched_priority = 0 };
    return pthread_setschedparam(thread, SCHED_OTHER, &sp);
}

/* Wait for the thread to end (JACK: "waiting for the thread handler to
 * terminate"). Any non-realtime thread other than thread. */
int jack_client_stop_thread(jack_client_t *client, jack_native_thread_t thread)
{
    (void)client;
    return pthread_join(thread, NULL);
}

/* Cancel the thread and wait for it. Any non-realtime thread other than
 * thread. */
int jack_client_kill_thread(jack_client_t *client, jack_native_thread_t thread)
{
    (void)client;
    int err = pthread_cancel(thread);
    if (err != 0)
        return err;
    return pthread_join(thread, NULL);
}

/* The priority of the client's realtime thread (the server's minus one, as
 * the core sets it), or -1 when the server does not run realtime. Any
 * thread. */
int jack_client_real_time_priority(jack_client_t *client)
{
    if (!client || !client->st || client->st->rt_priority <= 0)
        return -1;
    int prio = (int)client->st->rt_priority - 1;
    return prio < 1 ? 1 : prio;
}

/* The highest priority a client thread should use: below the server's own
 * realtime thread. -1 when the server does not run realtime. Any thread. */
int jack_client_max_real_time_priority(jack_client_t *client)
{
    return jack_client_real_time_priority(client);
}

/* ---- the process thread */

/* Main thread, while inactive. 0, or -1 (active, or a process callback is
 * set: JACK refuses both models at once). */
int jack_set_process_thread(jack_client_t *client, JackThreadCallback thread_callback, void *arg)
{
    if (!client)
        return -1;
    if (rill_jack_refuse_when_active(client, __func__))
        return -1;
    pthread_mutex_lock(&client->cb_lock);
    int has_process = client->cb.process != NULL;
    pthread_mutex_unlock(&client->cb_lock);
    if (thread_callback && has_process) {
        rill_jack_error("jack_set_process_thread: '%s' has a process callback "
                        "(jack_set_process_callback); use one or the other",
                        rill_client_name(client->core));
        return -1;
    }
    return rill_client_set_thread(client->core, thread_callback, arg) < 0 ? -1 : 0;
}

/* Realtime thread: end it (pthread_exit). When status is non-zero the
 * client is deactivated by the reaper, as after a failed process. */
static void __attribute__((noreturn)) thread_end(jack_client_t *client, int status)
{
    if (status != 0) {
        /* acq_rel: the reaper sees the flag with the post (as in
         * rill_jack_process) */
        if (!atomic_exchange_explicit(&client->process_failed, 1, memory_order_acq_rel))
            sem_post(&client->reaper_sem);
    }
    pthread_exit(NULL);
}

/* The client's process thread. nframes of the cycle; does not return when
 * the thread must end. Called from another thread it returns 0. RT-safe. */
jack_nframes_t jack_cycle_wait(jack_client_t *client)
{
    if (!client || !rill_client_on_rt_thread(client->core))
        return 0; /* no message: this may be a realtime thread */
    uint32_t n = rill_client_cycle_wait(client->core);
    if (n == 0)
        thread_end(client, 0);
    return n;
}

/* The client's process thread: finish the cycle; a non-zero status ends
 * the thread. RT-safe. */
void jack_cycle_signal(jack_client_t *client, int status)
{
    if (!client || !rill_client_on_rt_thread(client->core))
        return;
    rill_client_cycle_signal(client->core, status);
    if (status != 0)
        thread_end(client, status);
}

/* Deprecated by JACK for jack_cycle_wait/jack_cycle_signal: finish the
 * current cycle (if one is open) with status, then wait for the next.
 * RT-safe. */
jack_nframes_t jack_thread_wait(jack_client_t *client, int status)
{
    jack_cycle_signal(client, status);
    return jack_cycle_wait(client);
}
