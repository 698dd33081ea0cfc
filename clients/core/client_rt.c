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

#include "clients/core/client_priv.h"
#include "clients/core/mix.h"
#include "clients/core/rt_hooks.h"
#include "rill/futex.h"
#include "rill/time.h"

/* Step 1: sleep until act->trigger differs from last, or a quit is asked
 * (then returns last; the caller checks rt_quit). RT-safe: blocks only in
 * futex wait. The seq_cst store of sleeping followed by the seq_cst load of
 * trigger pairs with the waker's seq_cst store of trigger followed by its
 * seq_cst load of sleeping: at least one of the two sees the other, so a
 * wake-up is never lost (and futex wait rechecks the value in the kernel). */
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
        atomic_store_explicit(&act->sleeping, 1, memory_order_seq_cst);
        t = atomic_load_explicit(&act->trigger, memory_order_seq_cst);
        if (t == last && !atomic_load_explicit(&c->rt_quit, memory_order_seq_cst))
            (void)rill_futex_wait(&act->trigger, last, NULL);
        atomic_store_explicit(&act->sleeping, 0, memory_order_relaxed);
    }
}

/* Zero n bytes of an own buffer, bounded by the stride. RT-safe. */
static void rt_zero(struct rill_client *c, uint32_t id, size_t n)
{
    if (n > c->pool_stride)
        n = c->pool_stride;
    memset(rill__client_own_buffer(c, id), 0, n);
}

/* Step 4: resolve the buffers of the node's own input ports. RT-safe. */
static void rt_resolve_inputs(struct rill_client *c, const struct rill_plan *plan,
                              const struct rill_plan_node *node, uint32_t nframes)
{
    if (node->in_first > RILL_MAX_PORTS || node->in_count > RILL_MAX_PORTS - node->in_first)
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
        uint32_t first = in->src_first, count = in->src_count;
        if (first > RILL_MAX_CONNECTIONS || count > RILL_MAX_CONNECTIONS - first)
            count = 0;
        /* keep only valid sources: an output port id other than our own */
        uint32_t nvalid = 0;
        for (uint32_t s = 0; s < count; s++) {
            uint32_t src = plan->src[first + s];
            if (src < c->port_max && src != id)
                c->mix_srcs[nvalid++] = (const float *)rill__client_own_buffer(c, src);
        }
        void *own = rill__client_own_buffer(c, id);
        void *use = own;
        if (nvalid == 0) {
            rt_zero(c, id, type == RILL_PORT_TYPE_MIDI ? c->pool_stride : audio_bytes);
        } else if (nvalid == 1 || type == RILL_PORT_TYPE_MIDI) {
            /* One source: read it in place. MIDI with several sources also
             * reads the first one in place for now; merging MIDI by time
             * comes with midi/ and will replace this branch. */
            use = (void *)c->mix_srcs[0];
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
    if (node->out_first > RILL_MAX_PORTS || node->out_count > RILL_MAX_PORTS - node->out_first)
        return;
    for (uint32_t k = 0; k < node->out_count; k++) {
        uint32_t id = plan->outputs[node->out_first + k];
        if (id >= c->port_max)
            continue;
        uint8_t type = atomic_load_explicit(&c->port_type[id], memory_order_acquire);
        if (type == RILL_PORT_TYPE_NONE)
            continue;
        rt_zero(c, id, type == RILL_PORT_TYPE_MIDI ? c->pool_stride : (size_t)nframes * sizeof(float));
    }
}

/* Step 6: mark the cycle finished and release the successors. RT-safe;
 * bounded by the node's successor count. */
static void rt_release(struct rill_client *c, const struct rill_plan *plan,
                       const struct rill_plan_node *node, uint32_t trigger)
{
    struct rill_activation *self = &c->act->node[c->slot];
    /* release: a reader of finished sees our whole cycle */
    atomic_store_explicit(&self->finished, trigger, memory_order_release);
    if (node->succ_first > RILL_PLAN_MAX_SUCC ||
        node->succ_count > RILL_PLAN_MAX_SUCC - node->succ_first)
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

/* Steps 2-6 for one trigger. RT-safe. */
static void rt_cycle(struct rill_client *c, uint32_t trigger)
{
    const struct rill_shm_state *st = c->state;
    struct rill_activation *self = &c->act->node[c->slot];

    /* 2. the cycle record; a trigger of another cycle is stale (we woke
     * after the engine gave up on us and moved on) */
    struct rill_shm_cycle cy;
    memset(&cy, 0, sizeof(cy));
    rill_cycle_read(&st->cycle, &cy);
    if ((uint32_t)cy.cycle != trigger) {
        rt_skip(self, trigger);
        return;
    }

    /* 3. our node in the cycle's plan */
    const struct rill_plan *plan =
        cy.plan_slot < RILL_PLAN_SLOTS ? &st->plans[cy.plan_slot] : NULL;
    uint32_t k = plan ? plan->node_index[c->slot] : RILL_PLAN_NONE;
    if (!plan || k >= RILL_MAX_CLIENTS || k >= plan->nnodes ||
        plan->nodes[k].client != c->slot) {
        rt_skip(self, trigger);
        return;
    }
    const struct rill_plan_node *node = &plan->nodes[k];

    /* a period that does not fit the pool's stride is a corrupt record:
     * skip our work but never stall the graph */
    uint32_t nframes = cy.nframes;
    int runnable = nframes > 0 && (size_t)nframes * sizeof(float) <= c->pool_stride;

    /* 4. input buffers */
    if (runnable)
        rt_resolve_inputs(c, plan, node, nframes);

    /* 5. process */
    atomic_store_explicit(&self->awake_ns, rill_now_ns(), memory_order_relaxed);
    /* acquire: the flag is ours alone, this only keeps the pattern uniform */
    int failed = atomic_load_explicit(&c->process_failed, memory_order_acquire);
    if (runnable && !failed && c->cb.process) {
        if (c->cb.process(c->cb.arg, nframes) != 0) {
            /* release: the jack layer reads it (acquire) and deactivates */
            atomic_store_explicit(&c->process_failed, 1, memory_order_release);
            failed = 1;
        }
    }
    if (runnable && (failed || !c->cb.process))
        rt_zero_outputs(c, plan, node, nframes);
    atomic_store_explicit(&self->finish_ns, rill_now_ns(), memory_order_relaxed);

    /* 6. successors (the engine is one of them) */
    rt_release(c, plan, node, trigger);
}

/* Try SCHED_FIFO at the engine's priority minus one. Realtime thread, at
 * start-up (before its first cycle). */
static void rt_set_priority(struct rill_client *c)
{
    int prio = c->state->rt_priority;
    if (prio <= 0)
        return;
    prio = prio - 1 < 1 ? 1 : prio - 1;
    int max = sched_get_priority_max(SCHED_FIFO);
    if (max > 0 && prio > max)
        prio = max;
    struct sched_param sp = { .sched_priority = prio };
    int ok = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
    atomic_store_explicit(&c->is_rt, ok, memory_order_relaxed);
}

/* The realtime thread. Signals are blocked (inherited from the creator). */
void *rill__client_rt_main(void *arg)
{
    struct rill_client *c = arg;
    struct rill_activation *self = &c->act->node[c->slot];

    /* acquire: nothing to pair with yet, but cheap and uniform */
    uint32_t last = atomic_load_explicit(&self->trigger, memory_order_acquire);
    sem_post(&c->rt_ready);

    rt_set_priority(c);
    if (c->cb.rt_init)
        c->cb.rt_init(c->cb.arg);

    /* A trigger equal to RILL_TRIGGER_QUIT without rt_quit set would be run
     * as a cycle; the engine never uses that value (nor 0) as a cycle
     * number. rill_client_activate makes sure the first "last" is not QUIT,
     * and the quitter repeats its wake-up until the join succeeds, so a
     * QUIT that is no change of value cannot strand the thread. */
    for (;;) {
        /* Checked before every sleep and after every wake-up. seq_cst (at
         * least acquire is needed): the quitter stores rt_quit before QUIT,
         * so once we have seen QUIT or anything after it, we see rt_quit. */
        if (atomic_load_explicit(&c->rt_quit, memory_order_seq_cst))
            break;
        /* 1. wait for a new trigger */
        uint32_t t = rt_wait(c, self, last);
        if (atomic_load_explicit(&c->rt_quit, memory_order_seq_cst))
            break;
        last = t;
        rill_rt_enter();
        rt_cycle(c, t);
        rill_rt_leave();
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
