/* transport/transport.c — the transport state machine (see transport.h). */
#include "transport/transport.h"

#include <errno.h>
#include <string.h>

/* Main thread. */
void rill_transport_init(struct rill_transport *t)
{
    memset(t, 0, sizeof(*t));
    t->state = RILL_TRANSPORT_STOPPED;
    t->sync_gen = 1;
    atomic_store_explicit(&t->timeout_us, RILL_TRANSPORT_DEFAULT_TIMEOUT_US,
                          memory_order_relaxed);
}

/* Any thread. */
const char *rill_transport_state_name(uint32_t state)
{
    switch (state) {
    case RILL_TRANSPORT_STOPPED:
        return "Stopped";
    case RILL_TRANSPORT_ROLLING:
        return "Rolling";
    case RILL_TRANSPORT_STARTING:
        return "Starting";
    default:
        return "unknown";
    }
}

/* A new slow-sync generation: every slow-sync client is polled again.
 * RT-safe. */
static void next_sync_gen(struct rill_transport *t)
{
    if (++t->sync_gen == 0)
        t->sync_gen = 1;
}

/* Client slot of node k of the plan, or RILL_MAX_CLIENTS when out of range
 * or the engine (scanned apart). RT-safe. */
static uint32_t node_slot(const struct rill_plan *plan, uint32_t k)
{
    uint32_t s = plan->nodes[k].client;
    return (s == RILL_ENGINE_NODE || s >= RILL_MAX_CLIENTS) ? RILL_MAX_CLIENTS : s;
}

static uint32_t plan_nodes(const struct rill_plan *plan)
{
    if (!plan)
        return 0;
    return rill_plan_nnodes(plan);
}

/* Slow-sync clients among the plan's nodes; *unready gets how many of them
 * are not ready for the current generation. RT-safe, bounded by nnodes. */
static uint32_t count_sync(const struct rill_transport *t, const struct rill_plan *plan,
                           struct rill_transport_client *clients, uint32_t *unready)
{
    uint32_t n = 0, u = 0, nn = plan_nodes(plan);
    for (uint32_t k = 0; k < nn; k++) {
        uint32_t s = node_slot(plan, k);
        /* acquire: pairs with the main thread's release at registration */
        if (s == RILL_MAX_CLIENTS || !atomic_load_explicit(&t->sync[s], memory_order_acquire))
            continue;
        n++;
        /* acquire: the client's store after its sync callback said ready */
        if (atomic_load_explicit(&clients[s].sync_ready, memory_order_acquire) != t->sync_gen)
            u++;
    }
    *unready = u;
    return n;
}

/* Newest new start/stop command of slot s into (*cmd, *stamp). RT-safe. */
static void scan_cmd(struct rill_transport *t, struct rill_transport_client *rec, uint32_t s,
                     uint32_t *cmd, uint64_t *stamp)
{
    /* acquire: pairs with the requester's release store */
    uint64_t v = atomic_load_explicit(&rec->cmd, memory_order_acquire);
    if (v == 0 || v == t->seen_cmd[s])
        return;
    t->seen_cmd[s] = v;
    uint32_t c = (uint32_t)(v & 3u);
    if (c != RILL_TRANSPORT_CMD_NONE && (v >> 2) >= *stamp) {
        *stamp = v >> 2;
        *cmd = c;
    }
}

/* Newest new position request of slot s into *req. One try: a request
 * being written right now is taken at the next boundary. RT-safe. */
static void scan_req(struct rill_transport *t, struct rill_transport_client *rec, uint32_t s,
                     struct rill_transport_pos *req, uint64_t *stamp, int *found)
{
    uint32_t s1;
    if (!rill_seqlock_read_begin(&rec->req_seq, &s1) || s1 == t->seen_req[s])
        return;
    struct rill_transport_pos p = rec->req;
    uint64_t st = rec->req_stamp_ns;
    if (!rill_seqlock_read_end(&rec->req_seq, s1))
        return;
    t->seen_req[s] = s1;
    if (!*found || st >= *stamp) {
        *req = p;
        *stamp = st;
        *found = 1;
    }
}

/* Take the master's output of the previous cycle when it is for frame.
 * RT-safe. */
static void take_master_output(struct rill_transport *t, uint32_t master,
                               struct rill_transport_master_out *mo)
{
    if (!master || !mo || t->last_cycle == 0)
        return;
    /* one attempt: an output being written now is late for this cycle */
    uint32_t s1;
    if (!rill_seqlock_read_begin(&mo->seq, &s1))
        return;
    uint32_t slot = mo->slot;
    uint64_t cycle = mo->cycle;
    struct rill_transport_pos p = mo->pos;
    if (!rill_seqlock_read_end(&mo->seq, s1))
        return;
    if (slot + 1 != master || cycle != t->last_cycle || p.frame != t->frame)
        return;
    rill_transport_pos_copy_ext(&t->bbt, &p);
    t->bbt_have = 1;
    t->bbt_frame = t->frame;
}

/* Step 7: publish under the seqlock. RT-safe. */
static void publish(struct rill_transport *t, const struct rill_transport_cycle_in *in,
                    uint32_t master, uint32_t master_gen, struct rill_transport_shm *out)
{
    rill_seqlock_write_begin(&out->seq);
    out->state = t->state;
    out->cycle = in->cycle;
    struct rill_transport_pos *p = &out->pos;
    memset(p, 0, sizeof(*p));
    if (t->bbt_have && t->bbt_frame == t->frame)
        rill_transport_pos_copy_ext(p, &t->bbt);
    p->unique = ++t->serial;
    p->usecs = in->usecs;
    p->frame_rate = in->rate;
    p->frame = t->frame;
    out->new_pos = (uint32_t)t->latched;
    if (t->latched) {
        out->next_frame = t->latched_req.frame;
        out->request = t->latched_req;
    } else {
        out->next_frame = t->state == RILL_TRANSPORT_ROLLING ? t->frame + in->nframes : t->frame;
        memset(&out->request, 0, sizeof(out->request));
    }
    out->sync_gen = t->sync_gen;
    out->master = master;
    out->master_gen = master_gen;
    out->sync_timeout_ms =
        (uint32_t)(atomic_load_explicit(&t->timeout_us, memory_order_relaxed) / 1000u);
    rill_seqlock_write_end(&out->seq);
}

/* Realtime thread; RT-safe. */
void rill_transport_cycle(struct rill_transport *t, const struct rill_transport_cycle_in *in,
                          struct rill_transport_client *clients,
                          struct rill_transport_master_out *master_out,
                          struct rill_transport_shm *out)
{
    const struct rill_plan *plan = in->plan;
    uint32_t nn = plan_nodes(plan);
    /* acquire: pairs with the main thread's release stores */
    uint32_t master = atomic_load_explicit(&t->master, memory_order_acquire);
    uint32_t master_gen = atomic_load_explicit(&t->master_gen, memory_order_acquire);
    uint64_t timeout = atomic_load_explicit(&t->timeout_us, memory_order_relaxed);

    /* a change of master: the former master's extended position is void */
    if (master_gen != t->seen_master_gen) {
        t->seen_master_gen = master_gen;
        t->bbt_have = 0;
    }

    /* 1. rolling: the previous cycle played its period */
    if (t->last_cycle != 0 && t->state == RILL_TRANSPORT_ROLLING)
        t->frame += t->last_nframes;

    uint32_t unready;
    uint32_t nsync = count_sync(t, plan, clients, &unready);

    /* 2. the position latched at the previous boundary takes effect */
    if (t->latched) {
        t->latched = 0;
        t->frame = t->latched_req.frame;
        next_sync_gen(t);
        if (!master && (t->latched_req.valid & RILL_POS_ALL)) {
            /* no master: what the requester gave holds while we stay here */
            rill_transport_pos_copy_ext(&t->bbt, &t->latched_req);
            t->bbt_have = 1;
            t->bbt_frame = t->frame;
        }
        if ((t->state == RILL_TRANSPORT_ROLLING && nsync > 0) ||
            t->state == RILL_TRANSPORT_STARTING) {
            t->state = RILL_TRANSPORT_STARTING;
            t->starting_since_us = in->usecs;
        }
    }

    /* 3. start / stop: the newest command since the last boundary */
    uint32_t cmd = RILL_TRANSPORT_CMD_NONE;
    uint64_t cmd_stamp = 0;
    scan_cmd(t, &clients[RILL_ENGINE_NODE], RILL_ENGINE_NODE, &cmd, &cmd_stamp);
    for (uint32_t k = 0; k < nn; k++) {
        uint32_t s = node_slot(plan, k);
        if (s != RILL_MAX_CLIENTS)
            scan_cmd(t, &clients[s], s, &cmd, &cmd_stamp);
    }
    if (cmd == RILL_TRANSPORT_CMD_START && t->state == RILL_TRANSPORT_STOPPED) {
        if (nsync > 0) {
            t->state = RILL_TRANSPORT_STARTING;
            t->starting_since_us = in->usecs;
            next_sync_gen(t);
        } else {
            t->state = RILL_TRANSPORT_ROLLING;
        }
    } else if (cmd == RILL_TRANSPORT_CMD_STOP) {
        t->state = RILL_TRANSPORT_STOPPED;
    }

    /* 4. Starting: every slow-sync client ready, or the timeout */
    if (t->state == RILL_TRANSPORT_STARTING) {
        count_sync(t, plan, clients, &unready);
        if (unready == 0 || in->usecs - t->starting_since_us >= timeout)
            t->state = RILL_TRANSPORT_ROLLING;
    }

    /* 5. latch the newest position request */
    struct rill_transport_pos req;
    uint64_t req_stamp = 0;
    int found = 0;
    scan_req(t, &clients[RILL_ENGINE_NODE], RILL_ENGINE_NODE, &req, &req_stamp, &found);
    for (uint32_t k = 0; k < nn; k++) {
        uint32_t s = node_slot(plan, k);
        if (s != RILL_MAX_CLIENTS)
            scan_req(t, &clients[s], s, &req, &req_stamp, &found);
    }
    if (found) {
        t->latched = 1;
        t->latched_req = req;
    }

    /* 6. the master's extended position for this frame */
    take_master_output(t, master, master_out);

    /* 7. publish */
    publish(t, in, master, master_gen, out);
    t->last_cycle = in->cycle;
    t->last_nframes = in->nframes;
}

/* Main thread. */
int rill_transport_set_timebase(struct rill_transport *t, uint32_t slot, int conditional)
{
    if (slot >= RILL_MAX_CLIENTS)
        return -EINVAL;
    uint32_t cur = atomic_load_explicit(&t->master, memory_order_relaxed);
    if (conditional && cur != 0 && cur != slot + 1)
        return -EBUSY;
    /* release: the realtime thread sees the new master with its gen */
    atomic_store_explicit(&t->master, slot + 1, memory_order_release);
    atomic_fetch_add_explicit(&t->master_gen, 1, memory_order_release);
    return 0;
}

/* Main thread. */
int rill_transport_release_timebase(struct rill_transport *t, uint32_t slot)
{
    if (slot >= RILL_MAX_CLIENTS ||
        atomic_load_explicit(&t->master, memory_order_relaxed) != slot + 1)
        return -EINVAL;
    atomic_store_explicit(&t->master, 0, memory_order_release);
    atomic_fetch_add_explicit(&t->master_gen, 1, memory_order_release);
    return 0;
}

/* Main thread. */
int rill_transport_set_sync(struct rill_transport *t, uint32_t slot, int on,
                            struct rill_transport_client *rec)
{
    if (slot >= RILL_MAX_CLIENTS)
        return -EINVAL;
    if (on && rec)
        atomic_store_explicit(&rec->sync_ready, 0, memory_order_release);
    /* release: pairs with count_sync's acquire */
    atomic_store_explicit(&t->sync[slot], (uint8_t)(on ? 1 : 0), memory_order_release);
    return 0;
}

/* Main thread. */
int rill_transport_set_timeout(struct rill_transport *t, uint64_t usecs)
{
    if (usecs == 0)
        return -EINVAL;
    /* relaxed: a single word read on its own */
    atomic_store_explicit(&t->timeout_us, usecs, memory_order_relaxed);
    return 0;
}

/* Main thread. */
void rill_transport_client_gone(struct rill_transport *t, uint32_t slot)
{
    if (slot >= RILL_MAX_CLIENTS)
        return;
    atomic_store_explicit(&t->sync[slot], 0, memory_order_release);
    (void)rill_transport_release_timebase(t, slot);
}
