/* clients/core/client_rt.c — the client's realtime thread: one cycle of the
 * graph per trigger (steps 1-6 of clients/core/client.h).
 *
 * Everything here after the thread's start-up is RT-safe: no allocation, no
 * lock, no stdio, no syscall but futex wait/wake and clock_gettime (vDSO).
 * Every index read from a plan is bounds-checked, since a client that was
 * stopped for long may read a plan slot that is being rewritten.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "clients/core/client_priv.h"
#include "common/mix.h"
#include "common/rt_hooks.h"
#include "midi/buffer.h"
#include "rill/futex.h"
#include "rill/time.h"

/* Step 1: sleep until act->trigger differs from last, or a quit is asked
 * (then returns last; the caller checks rt_quit). RT-safe: blocks only in
 * futex wait (rill_activation_sleep, beside rill_activation_trigger in
 * rill/shm.h, pairs the two sides). */
static uint32_t rt_wait(struct rill_client *c, struct rill_activation *act, uint32_t last)
{
    for (;;) {
        /* acquire: pairs with the waker's store, so the outputs of our
         * upstream nodes are visible once we see the new trigger */
        uint32_t t = atomic_load_explicit(&act->trigger, memory_order_acquire);
        if (t != last)
            return t;
        /* a quitter wakes us even when its QUIT was no change of value */
        if (atomic_load_explicit(&c->rt_quit, memory_order_seq_cst))
            return last;
        (void)rill_activation_sleep(act, last, &c->rt_quit, NULL);
    }
}

/* Zero n bytes of an own buffer, bounded by the stride. RT-safe. */
static void rt_zero(struct rill_client *c, uint32_t id, size_t n)
{
    if (n > c->pool_stride)
        n = c->pool_stride;
    memset(rill__client_own_buffer(c, id), 0, n);
}

/* Step 4 for a MIDI input whose nvalid sources are in c->mix_srcs: no
 * source -> own buffer made an empty MIDI buffer; one or several -> copied
 * (merged by time) into the own buffer (midi/buffer.h: stable, in
 * connection order on equal times, what does not fit counted as lost).
 * Never in place, not even one source: the program reads the buffer with
 * jack_midi_event_get, which trusts the header it finds, and a source's
 * header belongs to another process that may rewrite it at any moment; the
 * merge reads each source through one validated copy of its header.
 * Returns the buffer to use. RT-safe. */
static void *rt_resolve_midi(struct rill_client *c, void *own, uint32_t nvalid, uint32_t nframes)
{
    if (nvalid == 0) {
        (void)rill_midi_init(own, c->pool_stride, nframes);
        return own;
    }
    for (uint32_t s = 0; s < nvalid; s++)
        c->midi_srcs[s] = c->mix_srcs[s];
    (void)rill_midi_merge(own, c->pool_stride, nframes, c->midi_srcs, c->midi_cur, nvalid,
                          c->pool_stride);
    return own;
}

/* Step 4 for outputs: make each own MIDI output a valid buffer of this
 * period. One that already is keeps its events: as in JACK, emptying it each
 * cycle is the program's job (jack_midi_clear_buffer). RT-safe. */
static void rt_prepare_midi_outputs(struct rill_client *c, const struct rill_plan *plan,
                                    const struct rill_plan_node *node, uint32_t nframes)
{
    if (!rill_plan_outputs_ok(node))
        return;
    for (uint32_t k = 0; k < node->out_count; k++) {
        uint32_t id = plan->outputs[node->out_first + k];
        if (id >= c->port_max)
            continue;
        /* acquire: as in rt_resolve_inputs */
        if (atomic_load_explicit(&c->port_type[id], memory_order_acquire) != RILL_PORT_TYPE_MIDI)
            continue;
        void *own = rill__client_own_buffer(c, id);
        if (!rill_midi_is_ready(own, c->pool_stride, nframes))
            (void)rill_midi_init(own, c->pool_stride, nframes);
    }
}

/* Step 4: resolve the buffers of the node's own input ports. RT-safe. */
static void rt_resolve_inputs(struct rill_client *c, const struct rill_plan *plan,
                              const struct rill_plan_node *node, uint32_t nframes,
                              uint32_t trigger)
{
    if (!rill_plan_inputs_ok(node))
        return;
    size_t audio_bytes = (size_t)nframes * sizeof(float);
    for (uint32_t k = 0; k < node->in_count; k++) {
        const struct rill_plan_input *in = &plan->inputs[node->in_first + k];
        uint32_t id = in->port;
        if (id >= c->port_max)
            continue;
        /* acquire: pairs with the release store at registration, after
         * which buf[id] holds the own buffer */
        uint8_t type = atomic_load_explicit(&c->port_type[id], memory_order_acquire);
        if (type == RILL_PORT_TYPE_NONE)
            continue; /* not ours (stale plan) or registration not finished */
        uint32_t first = in->src_first, count = rill_plan_srcs_ok(in) ? in->src_count : 0;
        /* keep only valid sources: an output port id other than our own,
         * of a node the engine did not bypass in this cycle (it may still
         * be writing an earlier cycle's output: that is silence to us) */
        uint32_t nvalid = 0;
        for (uint32_t s = 0; s < count; s++) {
            uint32_t src = plan->src[first + s], owner = plan->src_node[first + s];
            if (src >= c->port_max || src == id)
                continue;
            /* relaxed: the engine stored it before its release of our
             * pending count, which our trigger's acquire chain covers */
            if (owner < RILL_MAX_CLIENTS && !plan->src_feedback[first + s] &&
                atomic_load_explicit(&c->act->node[owner].bypassed, memory_order_relaxed) ==
                    trigger)
                continue;
            /* a feedback source holds the previous cycle's output only when
             * its node produced that cycle (a node bypassed or skipped then
             * holds older data, or is writing it now): otherwise silence.
             * acquire: pairs with the release in rt_release, so the whole
             * output is visible. The node runs again in this cycle only
             * after us (the feedback closes a path from us to it). */
            if (owner < RILL_MAX_CLIENTS && plan->src_feedback[first + s] &&
                atomic_load_explicit(&c->act->node[owner].produced, memory_order_acquire) !=
                    rill_cycle32_prev(trigger))
                continue;
            c->mix_srcs[nvalid++] = (const float *)rill__client_own_buffer(c, src);
        }
        void *own = rill__client_own_buffer(c, id);
        void *use = own;
        if (type == RILL_PORT_TYPE_MIDI) {
            use = rt_resolve_midi(c, own, nvalid, nframes);
        } else if (nvalid == 0) {
            rt_zero(c, id, audio_bytes);
        } else if (nvalid == 1) {
            use = (void *)c->mix_srcs[0]; /* one source: read it in place */
        } else {
            rill_mix_audio((float *)own, c->mix_srcs, nvalid, nframes);
        }
        atomic_store_explicit(&c->buf[id], use, memory_order_relaxed);
    }
}

/* Zero the node's own outputs (process failed or missing). RT-safe. */
static void rt_zero_outputs(struct rill_client *c, const struct rill_plan *plan,
                            const struct rill_plan_node *node, uint32_t nframes)
{
    if (!rill_plan_outputs_ok(node))
        return;
    for (uint32_t k = 0; k < node->out_count; k++) {
        uint32_t id = plan->outputs[node->out_first + k];
        if (id >= c->port_max)
            continue;
        uint8_t type = atomic_load_explicit(&c->port_type[id], memory_order_acquire);
        if (type == RILL_PORT_TYPE_NONE)
            continue;
        if (type == RILL_PORT_TYPE_MIDI) /* an empty MIDI buffer */
            (void)rill_midi_init(rill__client_own_buffer(c, id), c->pool_stride, nframes);
        else
            rt_zero(c, id, (size_t)nframes * sizeof(float));
    }
}

/* Step 6: mark the cycle finished and release the successors. RT-safe;
 * bounded by the node's successor count. */
static void rt_release(struct rill_client *c, const struct rill_plan *plan,
                       const struct rill_plan_node *node, uint32_t trigger)
{
    struct rill_activation *self = &c->act->node[c->slot];
    /* release: a reader of produced (feedback consumers) or finished sees
     * our whole cycle */
    atomic_store_explicit(&self->produced, trigger, memory_order_release);
    atomic_store_explicit(&self->finished, trigger, memory_order_release);
    if (!rill_plan_succ_ok(node))
        return;
    for (uint32_t k = 0; k < node->succ_count; k++) {
        uint32_t s = plan->succ[node->succ_first + k];
        if (s >= RILL_MAX_CLIENTS)
            continue;
        struct rill_activation *a = &c->act->node[s];
        if (!rill_activation_release(a, trigger))
            continue;
        /* signal_ns, trigger (seq_cst, pairs with the sleeper's store of
         * sleeping and load of trigger, see rt_wait), wake when asleep */
        rill_activation_trigger(a, trigger, rill_now_ns());
    }
}

/* A trigger we do not run (stale, or we are not in its plan): say we are
 * done with it all the same. The engine counts a node whose finished lags
 * its trigger as still busy and would never trigger it again. No process,
 * no successors: the engine has bypassed us already. RT-safe. */
static void rt_skip(struct rill_activation *self, uint32_t trigger)
{
    /* release: same publication as a normal finish (nothing written) */
    atomic_store_explicit(&self->finished, trigger, memory_order_release);
}

/* Steps 2-4 (and the start of 5) for one trigger. Returns nframes when the
 * process step is to run: the cycle is then open in c->rt until
 * rt_cycle_end. Returns 0 when the trigger was handled here entirely (stale,
 * not in our plan, a corrupt period, or nothing to run: process failed or
 * none, outputs zeroed); the successors are then released already.
 * RT-safe. */
static uint32_t rt_cycle_begin(struct rill_client *c, uint32_t trigger)
{
    const struct rill_shm_state *st = c->state;
    struct rill_activation *self = &c->act->node[c->slot];

    /* 2. the cycle record; a trigger of another cycle is stale (we woke
     * after the engine gave up on us and moved on) */
    struct rill_shm_cycle cy;
    memset(&cy, 0, sizeof(cy));
    if (rill_cycle_read(&st->cycle, &cy) < 0 || (uint32_t)cy.cycle != trigger) {
        rt_skip(self, trigger);
        return 0;
    }
    c->rt.cy = cy;

    /* 3. our node in the cycle's plan */
    const struct rill_plan *plan =
        cy.plan_slot < RILL_PLAN_SLOTS ? &st->plans[cy.plan_slot] : NULL;
    const struct rill_plan_node *node = plan ? rill_plan_node_of(plan, c->slot) : NULL;
    if (!node) {
        rt_skip(self, trigger);
        return 0;
    }

    /* a period that does not fit the pool's stride is a corrupt record:
     * skip our work but never stall the graph */
    uint32_t nframes = cy.nframes;
    int runnable = nframes > 0 && (size_t)nframes * sizeof(float) <= c->pool_stride;

    /* 4. input buffers; own MIDI outputs made valid */
    if (runnable) {
        rt_resolve_inputs(c, plan, node, nframes, trigger);
        rt_prepare_midi_outputs(c, plan, node, nframes);
    }

    /* 5. process (run by the caller, between begin and end) */
    atomic_store_explicit(&self->awake_ns, rill_now_ns(), memory_order_relaxed);
    /* acquire: the flag is ours alone, this only keeps the pattern uniform */
    int failed = atomic_load_explicit(&c->process_failed, memory_order_acquire);
    if (runnable && !failed && (c->cb.process || c->thread_fn)) {
        c->rt.trigger = trigger;
        c->rt.plan = plan;
        c->rt.node = node;
        c->rt.nframes = nframes;
        c->rt.open = 1;
        /* transport hook before process (clients/core/client.h) */
        if (c->cb.pre_process)
            c->cb.pre_process(c->cb.arg, nframes);
        return nframes;
    }
    if (runnable)
        rt_zero_outputs(c, plan, node, nframes);
    atomic_store_explicit(&self->finish_ns, rill_now_ns(), memory_order_relaxed);

    /* 6. successors (the engine is one of them) */
    rt_release(c, plan, node, trigger);
    return 0;
}

/* The end of step 5 and step 6 for the open cycle. status is what process
 * returned: non-zero means no more cycles (outputs zeroed, the jack layer
 * deactivates the client). RT-safe. */
static void rt_cycle_end(struct rill_client *c, int status)
{
    struct rill_activation *self = &c->act->node[c->slot];
    c->rt.open = 0;
    if (status != 0) {
        /* release: the jack layer reads it (acquire) and deactivates */
        atomic_store_explicit(&c->process_failed, 1, memory_order_release);
        rt_zero_outputs(c, c->rt.plan, c->rt.node, c->rt.nframes);
    } else if (c->cb.post_process) {
        /* transport hook after process (clients/core/client.h) */
        c->cb.post_process(c->cb.arg, c->rt.nframes);
    }
    atomic_store_explicit(&self->finish_ns, rill_now_ns(), memory_order_relaxed);
    rt_release(c, c->rt.plan, c->rt.node, c->rt.trigger);
}

/* The client whose realtime thread this is (NULL on other threads). Set by
 * the thread itself before its first cycle, outside any realtime section
 * (a first access to thread-local storage may allocate). */
static __thread struct rill_client *rt_current;

/* Realtime thread of c (see client.h). Waits (futex) for triggers until one
 * needs the process step; 0 when the thread must end or the caller is not
 * c's realtime thread. */
uint32_t rill_client_cycle_wait(struct rill_client *c)
{
    if (!c || rt_current != c)
        return 0;
    if (c->rt.open)
        rill_client_cycle_signal(c, 0); /* a wait without a signal ends the cycle */
    struct rill_activation *self = &c->act->node[c->slot];
    for (;;) {
        /* seq_cst (acquire is needed): the quitter stores rt_quit before
         * RILL_TRIGGER_QUIT, so once we have seen QUIT we see rt_quit */
        if (atomic_load_explicit(&c->rt_quit, memory_order_seq_cst))
            return 0;
        /* 1. wait for a new trigger */
        uint32_t t = rt_wait(c, self, c->rt.last);
        if (atomic_load_explicit(&c->rt_quit, memory_order_seq_cst))
            return 0;
        c->rt.last = t;
        rill_rt_enter();
        uint32_t n = rt_cycle_begin(c, t);
        if (n)
            return n; /* the realtime section lasts until the signal */
        rill_rt_leave();
    }
}

/* Realtime thread of c, after rill_client_cycle_wait; RT-safe. */
void rill_client_cycle_signal(struct rill_client *c, int status)
{
    if (!c || rt_current != c || !c->rt.open)
        return;
    rt_cycle_end(c, status);
    rill_rt_leave();
}

/* Main thread, while inactive. */
int rill_client_set_thread(struct rill_client *c, void *(*fn)(void *), void *arg)
{
    if (!c)
        return -EINVAL;
    pthread_mutex_lock(&c->ctl_lock);
    int active = c->active;
    if (!active) {
        c->thread_fn = fn;
        c->thread_arg = arg;
    }
    pthread_mutex_unlock(&c->ctl_lock);
    return active ? -EBUSY : 0;
}

/* Any thread. */
int rill_client_has_thread(struct rill_client *c)
{
    if (!c)
        return 0;
    pthread_mutex_lock(&c->ctl_lock);
    int has = c->thread_fn != NULL;
    pthread_mutex_unlock(&c->ctl_lock);
    return has;
}

/* Any thread; RT-safe. */
int rill_client_on_rt_thread(const struct rill_client *c)
{
    return c && rt_current == c;
}

/* SCHED_FIFO at the engine's priority minus one for thread t; 0 when the
 * engine is not realtime. Non-realtime use (start-up, notification thread). */
static int rt_fifo_priority(const struct rill_client *c)
{
    int prio = c->state->rt_priority;
    if (prio <= 0)
        return 0;
    prio = prio - 1 < 1 ? 1 : prio - 1;
    int max = sched_get_priority_max(SCHED_FIFO);
    if (max > 0 && prio > max)
        prio = max;
    return prio;
}

/* Try SCHED_FIFO at the engine's priority minus one, unless the server
 * freewheels. Realtime thread, at start-up (before its first cycle). */
static void rt_set_priority(struct rill_client *c)
{
    int prio = rt_fifo_priority(c);
    /* relaxed: a freewheel change that races the start-up is repeated by
     * rill_client_set_freewheel under ctl_lock once the thread exists; the
     * server's flag covers a client that connected while it freewheels */
    if (prio <= 0 || atomic_load_explicit(&c->freewheel, memory_order_relaxed) ||
        atomic_load_explicit(&((struct rill_shm_state *)c->state)->freewheeling,
                             memory_order_relaxed))
        return;
    struct sched_param sp = { .sched_priority = prio };
    int ok = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
    atomic_store_explicit(&c->is_rt, ok, memory_order_relaxed);
}

/* Notification thread (any non-realtime thread that is not inside
 * rill_client_activate/deactivate). */
int rill_client_set_freewheel(struct rill_client *c, int on)
{
    if (!c)
        return -EINVAL;
    pthread_mutex_lock(&c->ctl_lock);
    atomic_store_explicit(&c->freewheel, on ? 1 : 0, memory_order_relaxed);
    int r = 0;
    /* the thread exists while active (ctl_lock keeps it from being joined) */
    if (c->active) {
        int prio = on ? 0 : rt_fifo_priority(c);
        struct sched_param sp = { .sched_priority = prio };
        r = -pthread_setschedparam(c->rt_thread, prio > 0 ? SCHED_FIFO : SCHED_OTHER, &sp);
        atomic_store_explicit(&c->is_rt, prio > 0 && r == 0, memory_order_relaxed);
    }
    pthread_mutex_unlock(&c->ctl_lock);
    return r;
}

/* The realtime thread. Signals are blocked (inherited from the creator). */
void *rill__client_rt_main(void *arg)
{
    struct rill_client *c = arg;
    struct rill_activation *self = &c->act->node[c->slot];

    /* acquire: nothing to pair with yet, but cheap and uniform */
    c->rt.last = atomic_load_explicit(&self->trigger, memory_order_acquire);
    c->rt.open = 0;
    /* for rilld's CPU placement (sent with ACTIVATE); the post publishes it */
    c->rt_tid = gettid();
    sem_post(&c->rt_ready);

    rt_set_priority(c);
    rt_current = c;
    if (c->cb.rt_init)
        c->cb.rt_init(c->cb.arg);

    /* A trigger equal to RILL_TRIGGER_QUIT without rt_quit set would be run
     * as a cycle; the engine never uses that value (nor 0) as a cycle
     * number. rill_client_activate makes sure the first "last" is not QUIT,
     * and the quitter repeats its wake-up until the join succeeds, so a
     * QUIT that is no change of value cannot strand the thread. */

    /* Process-thread mode: the program's loop calls rill_client_cycle_wait
     * and rill_client_cycle_signal itself. When the thread must end, the
     * jack layer leaves the loop with pthread_exit. A loop that returns by
     * itself leaves the client in the graph with its outputs zeroed (as
     * after a failed process) until it is deactivated. */
    if (c->thread_fn) {
        (void)c->thread_fn(c->thread_arg);
        rill_client_cycle_signal(c, 0);
        /* release: as rt_cycle_end's store */
        atomic_store_explicit(&c->process_failed, 1, memory_order_release);
    }
    /* Callback mode: one process call per cycle that needs it. */
    for (;;) {
        uint32_t n = rill_client_cycle_wait(c);
        if (n == 0)
            break;
        int ret = c->cb.process ? c->cb.process(c->cb.arg, n) : 0;
        rill_client_cycle_signal(c, ret);
    }
    return NULL;
}

/* RT-safe. */
void *rill_client_port_buffer(struct rill_client *c, uint32_t port)
{
    if (!c || port >= c->port_max)
        return NULL;
    return atomic_load_explicit(&c->buf[port], memory_order_relaxed);
}

/* Any thread. */
struct rill_shm_activation *rill_client_activation(const struct rill_client *c)
{
    return c ? c->act : NULL;
}

/* Any thread. */
int rill_client_is_realtime(const struct rill_client *c)
{
    return c ? atomic_load_explicit(&c->is_rt, memory_order_relaxed) : 0;
}

/* Any thread. */
int rill_client_process_failed(const struct rill_client *c)
{
    return c ? atomic_load_explicit(&c->process_failed, memory_order_acquire) : 0;
}

/* Any thread. */
int rill_client_rt_thread(const struct rill_client *c, unsigned long *tid)
{
    if (!c || !tid)
        return -EINVAL;
    /* acquire: pairs with the release store of active_flag after the
     * thread was created, so rt_thread is the current one */
    if (!atomic_load_explicit(&c->active_flag, memory_order_acquire))
        return -ESRCH;
    *tid = (unsigned long)c->rt_thread;
    return 0;
}

/* RT-safe. On the client's own realtime thread while its cycle is open, the
 * record of that cycle, so that jack_last_frame_time and friends stay the
 * same for the whole process call even when the engine has moved on (a late
 * cycle); anywhere else, the engine's current record. */
int rill_client_cycle(struct rill_client *c, struct rill_shm_cycle *out)
{
    if (c->rt.open && pthread_equal(pthread_self(), c->rt_thread)) {
        *out = c->rt.cy;
        return 0;
    }
    return rill_cycle_read(&c->state->cycle, out);
}
