/* engine/rt.c — the engine's realtime cycle. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "engine/rt.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "common/mix.h"
#include "common/rt_hooks.h"
#include "drivers/dummy/dummy.h"
#include "engine/plan_handover.h"
#include "rill/futex.h"
#include "rill/seqlock.h"
#include "rill/time.h"

#define RILL_FREEWHEEL_DEADLINE_NS 2000000000ull

/* Low 32 bits of a cycle as used in the activation words (rill/shm.h,
 * "32-bit cycle words"). RT-safe. */
static uint32_t cycle32(uint64_t c)
{
    return (uint32_t)c;
}

/* For each of n channels, the index of its port's entry in the plan's
 * engine inputs, or RILL_PLAN_NONE. Bounded by n x inputs. RT-safe. */
static void map_inputs(const struct rill_plan *plan, const uint32_t *ports, uint32_t n,
                       uint32_t *input)
{
    for (uint32_t ch = 0; ch < n; ch++) {
        input[ch] = RILL_PLAN_NONE;
        if (!rill_plan_inputs_ok(&plan->engine))
            continue;
        for (uint32_t k = 0; k < plan->engine.in_count; k++) {
            uint32_t i = plan->engine.in_first + k;
            if (plan->inputs[i].port == ports[ch]) {
                input[ch] = i;
                break;
            }
        }
    }
}

/* Map each audio playback channel to its plan input. RT-safe. */
static void map_playback(struct rill_rt *rt, const struct rill_plan *plan)
{
    map_inputs(plan, rt->playback_ports, rt->info.playback_channels, rt->play_input);
}

/* The same for the MIDI playback channels. RT-safe. */
static void map_midi_playback(struct rill_rt *rt, const struct rill_plan *plan)
{
    uint32_t n = rt->info.midi_playback_channels;
    map_inputs(plan, rt->midi_playback_ports, n < RILL_MAX_CHANNELS ? n : RILL_MAX_CHANNELS,
               rt->midi_play_input);
}

/* Publish the cycle record under its seqlock. RT-safe. */
static void publish_cycle(struct rill_shm_state *st, uint64_t cycle, uint64_t frames,
                          uint32_t slot, uint32_t nframes, const struct rill_driver_wait *w,
                          float period_usecs)
{
    struct rill_shm_cycle *c = &st->cycle;
    rill_seqlock_write_begin(&c->seq);
    c->plan_slot = slot;
    c->cycle = cycle;
    c->frames = frames;
    c->usecs = w->wake_ns / 1000u;
    c->next_usecs = w->next_ns / 1000u;
    c->nframes = nframes;
    c->period_usecs = period_usecs;
    rill_seqlock_write_end(&c->seq);
}

/* Release node s for cycle c on behalf of someone; trigger it at zero. */
static void release_node(struct rill_shm_activation *act, uint32_t s, uint32_t c, uint64_t now)
{
    if (s >= RILL_MAX_CLIENTS)
        return;
    if (rill_activation_release(&act->node[s], c))
        rill_activation_trigger(&act->node[s], c, now);
}

/* Wait until node 0 (the engine) is released for cycle c or the deadline
 * passes. Returns 0 or -ETIMEDOUT. RT-safe: futex wait only; the loop ends
 * at the deadline. */
static int wait_sinks(struct rill_activation *a, uint32_t c, uint64_t deadline_ns)
{
    struct timespec dl = rill_ns_to_timespec(deadline_ns);
    for (unsigned n = 0; n < 10000; n++) {
        /* acquire: the sinks' output buffers are visible once we see c */
        uint32_t t = atomic_load_explicit(&a->trigger, memory_order_acquire);
        if (t == c)
            return 0;
        int r = rill_activation_sleep(a, t, NULL, &dl);
        if (r == -ETIMEDOUT || rill_now_ns() >= deadline_ns)
            return atomic_load_explicit(&a->trigger, memory_order_acquire) == c ? 0 : -ETIMEDOUT;
    }
    return -ETIMEDOUT;
}

/* Freewheeling with no node in the plan: sleep one period (or until the
 * main thread stops the thread) instead of running empty cycles back to
 * back on a core. A new plan is adopted at the next cycle, as at normal
 * speed. RT-safe: one futex wait with a deadline. */
static void freewheel_idle(struct rill_rt *rt, uint64_t period_ns)
{
    /* acquire: pairs with the release bump in rill_rt_stop */
    uint32_t seen = atomic_load_explicit(&rt->idle_wake, memory_order_acquire);
    if (atomic_load_explicit(&rt->stop, memory_order_acquire))
        return;
    struct timespec dl = rill_ns_to_timespec(rill_now_ns() + period_ns);
    (void)rill_futex_wait(&rt->idle_wake, seen, &dl);
}

/* One cycle's graph work (steps 4-6). Returns the number of late nodes.
 * ontime: the engine itself began this cycle on time (no xrun, no stall, no
 * change of clock); only such cycles count against a late node. */
static uint32_t run_graph(struct rill_rt *rt, const struct rill_plan *plan, uint32_t c,
                          uint64_t now, uint64_t deadline_ns, int ontime)
{
    struct rill_shm_activation *act = rt->shm->act;
    uint32_t nnodes = rill_plan_nnodes(plan);
    uint32_t late_count = 0;

    /* reset pending; a node still busy with an earlier cycle gets a pending
     * word of another cycle, so nobody can trigger it in this one */
    for (uint32_t k = 0; k < nnodes; k++) {
        const struct rill_plan_node *n = &plan->nodes[k];
        if (n->client >= RILL_MAX_CLIENTS || n->client == RILL_ENGINE_NODE)
            continue;
        if (rill_activation_arm(&act->node[n->client], c, n->required)) {
            late_count++;
            atomic_fetch_add_explicit(&rt->shm->state->node_late[n->client], 1,
                                      memory_order_relaxed); /* a statistic */
            uint64_t since = atomic_load_explicit(&rt->late_since[n->client], memory_order_relaxed);
            if (since == 0)
                atomic_store_explicit(&rt->late_since[n->client], now, memory_order_relaxed);
            /* relaxed: this thread is the only writer; the main thread
             * compares the count with the timeout */
            if (ontime)
                atomic_store_explicit(&rt->late_cycles[n->client],
                                      atomic_load_explicit(&rt->late_cycles[n->client],
                                                           memory_order_relaxed) + 1,
                                      memory_order_relaxed);
        } else {
            atomic_store_explicit(&rt->late_since[n->client], 0, memory_order_relaxed);
            atomic_store_explicit(&rt->late_cycles[n->client], 0, memory_order_relaxed);
        }
    }
    atomic_store_explicit(&act->node[RILL_ENGINE_NODE].pending,
                          ((uint64_t)c << 32) | plan->engine.required, memory_order_release);

    /* bypass late nodes, trigger the nodes with nothing upstream */
    for (uint32_t k = 0; k < nnodes; k++) {
        const struct rill_plan_node *n = &plan->nodes[k];
        if (n->client >= RILL_MAX_CLIENTS || n->client == RILL_ENGINE_NODE)
            continue;
        struct rill_activation *a = &act->node[n->client];
        uint64_t p = atomic_load_explicit(&a->pending, memory_order_relaxed);
        if ((uint32_t)(p >> 32) != c) {
            /* relaxed: published to the successors by the acq_rel release
             * below (and by the trigger of whoever completes them) */
            atomic_store_explicit(&a->bypassed, c, memory_order_relaxed);
            if (rill_plan_succ_ok(n))
                for (uint32_t s = 0; s < n->succ_count; s++)
                    release_node(act, plan->succ[n->succ_first + s], c, now);
        } else if (n->required == 0) {
            rill_activation_trigger(a, c, now);
        }
    }

    if (plan->engine.required == 0 || deadline_ns == 0)
        return late_count;
    if (wait_sinks(&act->node[RILL_ENGINE_NODE], c, deadline_ns) < 0)
        return late_count + 1;
    return late_count;
}

/* DSP load of one cycle: time from its start to the end of its graph (or
 * to now) over the period. RT-safe. */
static void account_load(struct rill_rt *rt, uint64_t t0, uint64_t end, uint64_t period_ns)
{
    struct rill_shm_state *st = rt->shm->state;
    double cur = (double)(end > t0 ? end - t0 : 0) / (double)period_ns;
    rt->load += (cur - rt->load) / 16.0;
    rt->peak = cur > rt->peak ? cur : rt->peak * 0.999;
    atomic_store_explicit(&st->dsp_load_milli, (uint32_t)(rt->load * 100000.0),
                          memory_order_relaxed);
    atomic_store_explicit(&st->dsp_load_peak_milli, (uint32_t)(rt->peak * 100000.0),
                          memory_order_relaxed);
}

/* Count a missed deadline of cycle `cycle` with `late` late nodes. RT-safe. */
static void account_late(struct rill_rt *rt, uint64_t cycle, uint32_t late)
{
    if (!late)
        return;
    atomic_fetch_add_explicit(&rt->shm->state->late_nodes, late, memory_order_relaxed);
    rill_rtlog_push(&rt->log, RILL_RTLOG_LATE, cycle, late, rill_now_ns());
}

/* Completion of an earlier cycle whose graph the thread did not wait for
 * (drivers that discard playback): at the start of the next cycle, or at
 * the deadline when the thread stops. Its load runs to the moment the last
 * sink released the engine node, or to now when the graph has not ended:
 * then that cycle missed its deadline. `wait` waits until the deadline
 * first (stopping). RT-safe. */
static void complete_pending(struct rill_rt *rt, uint64_t now, uint64_t period_ns, int wait)
{
    struct rill_rt_pending *pc = &rt->pending;
    if (!pc->cycle)
        return;
    struct rill_activation *eng = &rt->shm->act->node[RILL_ENGINE_NODE];
    uint32_t c = cycle32(pc->cycle);
    int done = wait ? wait_sinks(eng, c, pc->deadline_ns) == 0
                    /* acquire: pairs with the last sink's release */
                    : atomic_load_explicit(&eng->trigger, memory_order_acquire) == c;
    if (wait)
        now = rill_now_ns();
    uint64_t end = done ? atomic_load_explicit(&eng->signal_ns, memory_order_relaxed) : now;
    account_load(rt, pc->t0, end < pc->t0 || end > now ? now : end, period_ns);
    account_late(rt, pc->cycle, pc->late + (done ? 0 : 1));
    pc->cycle = 0;
}

/* Resolve the playback buffers of cycle c: sources of nodes bypassed in
 * this cycle are silence; one source is read in place, several are summed
 * into the port's own buffer by the clients' mixdown (common/mix.c).
 * RT-safe. */
static void mix_playback(struct rill_rt *rt, const struct rill_plan *plan, uint32_t nframes,
                         uint32_t c)
{
    const uint32_t port_max = rt->shm->state->port_max;
    const struct rill_shm_activation *act = rt->shm->act;
    for (uint32_t ch = 0; ch < rt->info.playback_channels; ch++) {
        uint32_t i = rt->play_input[ch];
        float *own = rill_engine_shm_buffer(rt->shm, rt->playback_ports[ch]);
        rt->play_bufs[ch] = NULL; /* silence */
        if (i == RILL_PLAN_NONE || i >= RILL_MAX_PORTS)
            continue;
        const struct rill_plan_input *in = &plan->inputs[i];
        if (!rill_plan_srcs_ok(in))
            continue;
        const float **srcs = rt->mix_srcs;
        uint32_t nvalid = 0;
        for (uint32_t k = 0; k < in->src_count; k++) {
            uint32_t si = in->src_first + k, owner = plan->src_node[si];
            if (plan->src[si] >= port_max)
                continue;
            /* relaxed: written before this cycle's releases, which our wait
             * for the sinks acquired */
            if (owner < RILL_MAX_CLIENTS &&
                atomic_load_explicit(&act->node[owner].bypassed, memory_order_relaxed) == c)
                continue;
            srcs[nvalid++] = rill_engine_shm_buffer(rt->shm, plan->src[si]);
        }
        if (nvalid == 1) {
            rt->play_bufs[ch] = srcs[0];
        } else if (nvalid > 0) {
            rill_mix_audio(own, srcs, nvalid, nframes);
            rt->play_bufs[ch] = own;
        }
    }
}

/* Merge the MIDI playback channels' sources of cycle c into each port's
 * own buffer (always a merge: it reads the clients' buffers through one
 * validated header copy each, midi/buffer.h); bypassed nodes' outputs are
 * left out, no source is an empty buffer. RT-safe. */
static void merge_midi_playback(struct rill_rt *rt, const struct rill_plan *plan,
                                uint32_t nframes, uint32_t c)
{
    const uint32_t port_max = rt->shm->state->port_max;
    const size_t stride = rt->shm->state->pool_stride;
    const struct rill_shm_activation *act = rt->shm->act;
    for (uint32_t ch = 0; ch < rt->info.midi_playback_channels && ch < RILL_MAX_CHANNELS; ch++) {
        uint32_t i = rt->midi_play_input[ch];
        void *own = rill_engine_shm_buffer(rt->shm, rt->midi_playback_ports[ch]);
        rt->midi_play_bufs[ch] = own;
        uint32_t nvalid = 0;
        if (i != RILL_PLAN_NONE && i < RILL_MAX_PORTS && rill_plan_srcs_ok(&plan->inputs[i])) {
            const struct rill_plan_input *in = &plan->inputs[i];
            for (uint32_t k = 0; k < in->src_count && nvalid < RILL_MAX_CONNECTIONS; k++) {
                uint32_t si = in->src_first + k, owner = plan->src_node[si];
                if (plan->src[si] >= port_max)
                    continue;
                /* relaxed: as in mix_playback */
                if (owner < RILL_MAX_CLIENTS &&
                    atomic_load_explicit(&act->node[owner].bypassed, memory_order_relaxed) == c)
                    continue;
                rt->midi_srcs[nvalid++] = rill_engine_shm_buffer(rt->shm, plan->src[si]);
            }
        }
        (void)rill_midi_merge(own, stride, nframes, rt->midi_srcs, rt->midi_cursors, nvalid,
                              stride);
    }
}

/* ---- the fallback clock (engine/rt.h) */

/* The driver failed with err (< 0): stop it, hand it to the main thread and
 * pace the cycles with the fallback clock from where the device's next
 * period would have begun. Returns 0, or err when there is no fallback
 * clock (the thread then ends). RT-safe. */
static int device_lost(struct rill_rt *rt, int err, uint64_t period_ns)
{
    if (!rt->fb)
        return err;
    uint64_t now = rill_now_ns();
    uint64_t first = rt->last_next_ns ? rt->last_next_ns : now + period_ns;
    if (!rt->on_fb)
        rt->ops->stop(rt->drv);
    int r = rill_dummy_start_at(rt->fb, first);
    if (r < 0)
        return err;
    rt->on_fb = 1;
    rill_dll_reset(&rt->dll);
    /* release: the main thread owns the driver from here, after our last
     * use of it (stop) */
    atomic_store_explicit(&rt->dev, RILL_RT_DEV_LOST, memory_order_release);
    rill_rtlog_push(&rt->log, RILL_RTLOG_DEVICE_LOST, (uint64_t)-err, 0, now);
    return 0;
}

/* On the fallback clock: take the device back when the main thread has
 * reopened it. Returns 1 when the cycles run on the device from now on.
 * RT-safe: start is the driver's own (ioctls, no allocation). */
static int device_take_back(struct rill_rt *rt)
{
    /* acquire: pairs with the main thread's release after its reopen */
    if (atomic_load_explicit(&rt->dev, memory_order_acquire) != RILL_RT_DEV_READY)
        return 0;
    int r = rt->ops->start(rt->drv);
    if (r < 0) {
        rt->ops->stop(rt->drv);
        /* release: back to the main thread, which reopens it again */
        atomic_store_explicit(&rt->dev, RILL_RT_DEV_LOST, memory_order_release);
        rill_rtlog_push(&rt->log, RILL_RTLOG_DEVICE_START, (uint64_t)-r, 0, rill_now_ns());
        return 0;
    }
    rill_driver_dummy.stop(rt->fb);
    rt->on_fb = 0;
    rill_dll_reset(&rt->dll);
    /* relaxed: only this thread acts on RUN */
    atomic_store_explicit(&rt->dev, RILL_RT_DEV_RUN, memory_order_relaxed);
    rill_rtlog_push(&rt->log, RILL_RTLOG_DEVICE_BACK, 0, 0, rill_now_ns());
    return 1;
}

/* Start the clock the cycles run on: the device when this thread holds it
 * (its failure moves to the fallback clock), else the fallback clock.
 * Returns 0 or -errno (no clock at all). RT-safe. */
static int clock_start(struct rill_rt *rt, uint64_t period_ns)
{
    /* acquire: see device_take_back */
    uint32_t dev = atomic_load_explicit(&rt->dev, memory_order_acquire);
    rt->on_fb = 0;
    rt->last_next_ns = 0; /* a period from before a restart means nothing now */
    if (dev == RILL_RT_DEV_RUN) {
        int r = rt->ops->start(rt->drv);
        if (r >= 0)
            return 0;
        return device_lost(rt, r, period_ns);
    }
    if (!rt->fb)
        return -ENODEV;
    rt->on_fb = 1;
    if (dev == RILL_RT_DEV_READY && device_take_back(rt))
        return 0;
    return rill_dummy_start_at(rt->fb, rill_now_ns() + period_ns);
}

/* Count what the driver recovered by itself in a wait. RT-safe. */
static void account_driver(struct rill_shm_state *st, const struct rill_driver_wait *w)
{
    /* relaxed: statistics for rillctl status */
    if (w->stalled)
        atomic_fetch_add_explicit(&st->driver_stalls, 1, memory_order_relaxed);
    if (w->restarts)
        atomic_fetch_add_explicit(&st->driver_restarts, w->restarts, memory_order_relaxed);
}

static void *rt_main(void *arg)
{
    struct rill_rt *rt = arg;
    struct rill_shm_state *st = rt->shm->state;
    const uint32_t nframes = rt->info.period;
    const uint64_t period_ns = (uint64_t)nframes * 1000000000ull / rt->info.rate;
    const float period_usecs = (float)((double)nframes * 1e6 / rt->info.rate);
    int r;

    for (uint32_t ch = 0; ch < rt->info.capture_channels; ch++)
        rt->cap_bufs[ch] = rill_engine_shm_buffer(rt->shm, rt->capture_ports[ch]);
    const uint32_t nmidi_cap = rt->info.midi_capture_channels < RILL_MAX_CHANNELS
                                   ? rt->info.midi_capture_channels : RILL_MAX_CHANNELS;
    const uint32_t nmidi_play = rt->info.midi_playback_channels < RILL_MAX_CHANNELS
                                    ? rt->info.midi_playback_channels : RILL_MAX_CHANNELS;
    for (uint32_t ch = 0; ch < nmidi_cap; ch++)
        rt->midi_cap_bufs[ch] = rill_engine_shm_buffer(rt->shm, rt->midi_capture_ports[ch]);
    for (uint32_t ch = 0; ch < nmidi_play; ch++)
        rt->midi_play_input[ch] = RILL_PLAN_NONE; /* until a plan is adopted */

    /* freewheeling: no driver at all, cycles back to back */
    const int freewheel = rt->freewheel;
    /* the driver throws playback away: nothing needs the graph's end inside
     * the cycle (doc/design.md, "Completion") */
    const int async = !freewheel && rt->info.discards_playback;
    rt->pending.cycle = 0;
    rill_dll_init(&rt->dll, period_ns);
    int idle = 0; /* freewheeling, the last cycle's plan had no node */
    if (!freewheel) {
        r = clock_start(rt, period_ns);
        if (r < 0) {
            rill_rtlog_push(&rt->log, RILL_RTLOG_DRIVER_ERROR, (uint64_t)-r, 0, rill_now_ns());
            goto out;
        }
    }
    while (!atomic_load_explicit(&rt->stop, memory_order_acquire)) {
        struct rill_driver_wait w;
        int switched = 0;
        memset(&w, 0, sizeof(w));
        if (freewheel) {
            if (idle)
                freewheel_idle(rt, period_ns);
            w.wake_ns = rill_now_ns();
            w.next_ns = w.wake_ns + period_ns;
        } else {
            if (rt->on_fb)
                switched = device_take_back(rt);
            r = rt->on_fb ? rill_driver_dummy.wait(rt->fb, &w) : rt->ops->wait(rt->drv, &w);
            account_driver(st, &w); /* a failed wait may have stalled and restarted too */
            if (r < 0) {
                /* the device is gone or stalled: the fallback clock paces
                 * the next cycle; an error of that clock itself ends us */
                if (rt->on_fb || (r = device_lost(rt, r, period_ns)) < 0) {
                    rill_rtlog_push(&rt->log, RILL_RTLOG_DRIVER_ERROR, (uint64_t)-r, 0,
                                    rill_now_ns());
                    break;
                }
                continue;
            }
        }
        /* the graph's deadline is the raw next period: the smoothed one
         * below may lie a little before it */
        uint64_t raw_next = w.next_ns;
        rt->last_next_ns = w.next_ns;
        const int ontime = !w.skipped && !switched;
        if (!ontime || rt->no_dll)
            rill_dll_reset(&rt->dll);
        if (!freewheel && !rt->no_dll) {
            rill_dll_update(&rt->dll, w.wake_ns, &w.wake_ns, &w.next_ns);
        } else if (!freewheel) {
            /* as the driver saw them, yet never going back (a driver may
             * date a late wake-up back by the frames it found) */
            if (w.wake_ns <= rt->last_wake_ns)
                w.wake_ns = rt->last_wake_ns + 1000;
            if (w.next_ns <= w.wake_ns)
                w.next_ns = w.wake_ns + period_ns;
        }
        rt->last_wake_ns = w.wake_ns;
        uint64_t t0 = rill_now_ns();
        rill_rt_enter();
        complete_pending(rt, t0, period_ns, 0);
        if (w.skipped) {
            rt->frames += (uint64_t)w.skipped * nframes;
            atomic_fetch_add_explicit(&st->xruns, 1, memory_order_relaxed);
            rill_rtlog_push(&rt->log, RILL_RTLOG_XRUN, w.skipped, w.delay_ns, t0);
            /* relaxed: statistics, read for jack_get_*_delayed_usecs */
            atomic_store_explicit(&st->xrun_delay_last_ns, w.delay_ns, memory_order_relaxed);
            if (w.delay_ns > atomic_load_explicit(&st->xrun_delay_max_ns, memory_order_relaxed))
                atomic_store_explicit(&st->xrun_delay_max_ns, w.delay_ns, memory_order_relaxed);
        }
        do {
            rt->cycle++;
        } while (!rill_cycle32_valid(cycle32(rt->cycle)));
        uint32_t c = cycle32(rt->cycle);

        /* one atomic step (engine/plan_handover.c): from here on the main
         * thread sees the adopted slot as ours and never writes it */
        if (rill_plan_handover_adopt(&st->plan_handover, &rt->plan_slot)) {
            map_playback(rt, &st->plans[rt->plan_slot]);
            map_midi_playback(rt, &st->plans[rt->plan_slot]);
            rt->plan_gen = st->plans[rt->plan_slot].gen;
            /* release: wait_plan's reader (acquire) sees the plan adopted */
            atomic_store_explicit(&st->cur_plan_gen, rt->plan_gen, memory_order_release);
        }
        const struct rill_plan *plan = &st->plans[rt->plan_slot];

        if (freewheel || rt->on_fb) {
            /* no device: the system capture ports carry silence */
            for (uint32_t ch = 0; ch < rt->info.capture_channels; ch++)
                memset(rt->cap_bufs[ch], 0, (size_t)nframes * sizeof(float));
        } else {
            rt->ops->read(rt->drv, rt->cap_bufs, rt->info.capture_channels, nframes);
        }
        if (nmidi_cap) {
            /* the MIDI capture ports: empty, then the driver's events */
            for (uint32_t ch = 0; ch < nmidi_cap; ch++)
                (void)rill_midi_init(rt->midi_cap_bufs[ch], st->pool_stride, nframes);
            if (!freewheel && !rt->on_fb && rt->ops->read_midi)
                rt->ops->read_midi(rt->drv, rt->midi_cap_bufs, nmidi_cap, st->pool_stride,
                                   nframes);
        }
        publish_cycle(st, rt->cycle, rt->frames, rt->plan_slot, nframes, &w, period_usecs);
        /* transport: this cycle's position, before any node runs */
        struct rill_transport_cycle_in tin = { .cycle = rt->cycle, .nframes = nframes,
                                               .rate = rt->info.rate,
                                               .usecs = w.wake_ns / 1000u, .plan = plan };
        rill_transport_cycle(&rt->transport, &tin, rt->shm->act->transport,
                             &rt->shm->act->timebase, &st->transport);

        /* freewheeling, the graph may take as long as it needs, within
         * bounds: a stuck client is still bypassed and removed */
        uint64_t deadline = freewheel ? t0 + RILL_FREEWHEEL_DEADLINE_NS
                                      : (raw_next ? raw_next : t0 + period_ns);
        if (async && plan->engine.required) {
            /* completion at the next cycle's start: the last sink releases
             * the engine node without a wake-up, nobody sleeps on it */
            uint32_t late = run_graph(rt, plan, c, t0, 0, ontime);
            rt->pending = (struct rill_rt_pending){ .cycle = rt->cycle, .t0 = t0,
                                                    .deadline_ns = deadline, .late = late };
        } else {
            account_late(rt, rt->cycle, run_graph(rt, plan, c, t0, deadline, ontime));
            mix_playback(rt, plan, nframes, c);
            if (nmidi_play) {
                merge_midi_playback(rt, plan, nframes, c);
                if (!freewheel && !rt->on_fb && rt->ops->write_midi)
                    rt->ops->write_midi(rt->drv, rt->midi_play_bufs, nmidi_play, nframes);
            }
            if (!freewheel && rt->on_fb)
                rill_driver_dummy.write(rt->fb, rt->play_bufs, rt->info.playback_channels,
                                        nframes);
            else if (!freewheel)
                rt->ops->write(rt->drv, rt->play_bufs, rt->info.playback_channels, nframes);
            account_load(rt, t0, rill_now_ns(), period_ns);
        }
        /* no node runs: nothing would pace the next cycle (every sink
         * reports to the engine, so required is 0 only without nodes) */
        idle = freewheel && plan->engine.required == 0;
        rt->frames += nframes;
        atomic_fetch_add_explicit(&st->cycles, 1, memory_order_relaxed);
        rill_rt_leave();
    }
    /* a restart (period, freewheel) or the end: the last graph is over
     * before anyone changes the buffers under it */
    complete_pending(rt, rill_now_ns(), period_ns, 1);
    if (!freewheel && rt->on_fb)
        rill_driver_dummy.stop(rt->fb);
    else if (!freewheel)
        rt->ops->stop(rt->drv);
out:
    atomic_store_explicit(&rt->ended, 1, memory_order_release);
    return NULL;
}

/* Main thread. */
int rill_rt_start(struct rill_rt *rt, char *err, size_t errsize)
{
    pthread_attr_t attr;
    atomic_store_explicit(&rt->stop, 0, memory_order_relaxed);
    atomic_store_explicit(&rt->ended, 0, memory_order_relaxed);
    int r = pthread_attr_init(&attr);
    if (r)
        return -r;
    rt->realtime = 0;
    /* Freewheeling, the thread runs cycles back to back without a driver:
     * at SCHED_FIFO it would own its core (and starve the main thread and
     * every normal process pinned there). As jackd does, it runs as a
     * normal thread until freewheeling stops and the thread is started
     * again at SCHED_FIFO. */
    if (rt->priority > 0 && !rt->freewheel) {
        struct sched_param sp = { .sched_priority = rt->priority };
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
        pthread_attr_setschedparam(&attr, &sp);
        r = pthread_create(&rt->thread, &attr, rt_main, rt);
        if (r == 0) {
            rt->realtime = 1;
            pthread_attr_destroy(&attr);
            pthread_setname_np(rt->thread, "rilld-rt");
            return 0;
        }
        if (r != EPERM) {
            pthread_attr_destroy(&attr);
            return -r;
        }
        snprintf(err, errsize,
                 "cannot use realtime scheduling (SCHED_FIFO priority %d): %s; running the "
                 "engine as a normal thread, expect xruns under load (allow it with an rtprio "
                 "entry in /etc/security/limits.d or CAP_SYS_NICE, or start with -r)",
                 rt->priority, strerror(r));
        pthread_attr_destroy(&attr);
        pthread_attr_init(&attr);
    }
    r = pthread_create(&rt->thread, &attr, rt_main, rt);
    pthread_attr_destroy(&attr);
    if (r)
        return -r;
    pthread_setname_np(rt->thread, "rilld-rt");
    return rt->priority > 0 && !rt->freewheel ? 1 : 0;
}

/* Main thread. */
void rill_rt_stop(struct rill_rt *rt)
{
    atomic_store_explicit(&rt->stop, 1, memory_order_release);
    /* release: the stop above is visible to a thread that wakes from the
     * idle freewheel wait; a wait that starts after the bump sees a new
     * value (or the stop) and does not sleep */
    atomic_fetch_add_explicit(&rt->idle_wake, 1, memory_order_release);
    rill_futex_wake(&rt->idle_wake, 1);
    pthread_join(rt->thread, NULL);
}
