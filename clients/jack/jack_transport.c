/* clients/jack/jack_transport.c — <jack/transport.h> on rill's transport.
 *
 * Reading: jack_transport_query and friends copy the position the engine
 * publishes each cycle (rill/transport_shm.h) under its seqlock: any
 * thread, RT-safe, and the copy always has unique_1 == unique_2.
 *
 * Requests (start, stop, locate, reposition) are RT-safe in JACK: an active
 * client writes them into its own record in the activation segment (one
 * store, or a short seqlock), which the engine scans at the next cycle
 * boundary. An inactive client has no node the engine scans, and no
 * process thread either, so it asks over the request socket.
 *
 * Registering a sync or timebase callback, the sync timeout, releasing the
 * timebase: requests over the socket (non-RT, as in JACK).
 *
 * Callbacks (realtime thread, hooks of clients/core/client_rt.c): the sync
 * callback just before process, the timebase callback just after it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clients/jack/jack_priv.h"
#include "rill/seqlock.h"
#include "rill/time.h"

/* ---- conversions (RT-safe) */

static void pos_to_jack(const struct rill_transport_pos *r, jack_position_t *j)
{
    memset(j, 0, sizeof(*j));
    j->unique_1 = r->unique;
    j->usecs = r->usecs;
    j->frame_rate = r->frame_rate;
    j->frame = r->frame;
    j->valid = (jack_position_bits_t)(r->valid & RILL_POS_ALL);
    j->bar = r->bar;
    j->beat = r->beat;
    j->tick = r->tick;
    j->bar_start_tick = r->bar_start_tick;
    j->beats_per_bar = r->beats_per_bar;
    j->beat_type = r->beat_type;
    j->ticks_per_beat = r->ticks_per_beat;
    j->beats_per_minute = r->beats_per_minute;
    j->frame_time = r->frame_time;
    j->next_time = r->next_time;
    j->bbt_offset = r->bbt_offset;
    j->audio_frames_per_video_frame = r->audio_frames_per_video_frame;
    j->video_offset = r->video_offset;
    j->tick_double = r->tick_double;
    j->unique_2 = r->unique;
}

static void pos_from_jack(const jack_position_t *j, struct rill_transport_pos *r)
{
    memset(r, 0, sizeof(*r));
    r->frame = j->frame;
    r->valid = (uint32_t)j->valid & RILL_POS_ALL;
    r->bar = j->bar;
    r->beat = j->beat;
    r->tick = j->tick;
    r->bar_start_tick = j->bar_start_tick;
    r->beats_per_bar = j->beats_per_bar;
    r->beat_type = j->beat_type;
    r->ticks_per_beat = j->ticks_per_beat;
    r->beats_per_minute = j->beats_per_minute;
    r->frame_time = j->frame_time;
    r->next_time = j->next_time;
    r->bbt_offset = j->bbt_offset;
    r->audio_frames_per_video_frame = j->audio_frames_per_video_frame;
    r->video_offset = j->video_offset;
    r->tick_double = j->tick_double;
}

/* Consistent copy of the published transport. Any thread; RT-safe. */
static int read_transport(const jack_client_t *client, struct rill_transport_shm *ts)
{
    memset(ts, 0, sizeof(*ts));
    if (!client || !client->st)
        return -EINVAL;
    return rill_transport_read(&client->st->transport, ts);
}

/* ---- reading */

/* Any thread; RT-safe. */
jack_transport_state_t jack_transport_query(const jack_client_t *client, jack_position_t *pos)
{
    struct rill_transport_shm ts;
    if (read_transport(client, &ts) < 0) {
        if (pos)
            memset(pos, 0, sizeof(*pos));
        return JackTransportStopped;
    }
    if (pos)
        pos_to_jack(&ts.pos, pos);
    return (jack_transport_state_t)ts.state;
}

/* The frame now: the cycle's frame plus the time since its start when
 * rolling. Any thread; RT-safe. */
jack_nframes_t jack_get_current_transport_frame(const jack_client_t *client)
{
    struct rill_transport_shm ts;
    if (read_transport(client, &ts) < 0)
        return 0;
    if (ts.state != RILL_TRANSPORT_ROLLING || ts.pos.usecs == 0)
        return ts.pos.frame;
    uint64_t now = rill_now_ns() / 1000u;
    uint64_t dt = now > ts.pos.usecs ? now - ts.pos.usecs : 0;
    return ts.pos.frame + (jack_nframes_t)(dt * ts.pos.frame_rate / 1000000u);
}

/* Deprecated. Process thread (any thread works). */
void jack_get_transport_info(jack_client_t *client, jack_transport_info_t *tinfo)
{
    if (!tinfo)
        return;
    jack_position_t pos;
    jack_transport_state_t state = jack_transport_query(client, &pos);
    memset(tinfo, 0, sizeof(*tinfo));
    tinfo->frame_rate = pos.frame_rate;
    tinfo->usecs = pos.usecs;
    tinfo->valid = JackTransportState | JackTransportPosition;
    tinfo->transport_state = state;
    tinfo->frame = pos.frame;
    if (pos.valid & JackPositionBBT) {
        tinfo->valid |= JackTransportBBT;
        tinfo->bar = pos.bar;
        tinfo->beat = pos.beat;
        tinfo->tick = pos.tick;
        tinfo->bar_start_tick = pos.bar_start_tick;
        tinfo->beats_per_bar = pos.beats_per_bar;
        tinfo->beat_type = pos.beat_type;
        tinfo->ticks_per_beat = pos.ticks_per_beat;
        tinfo->beats_per_minute = pos.beats_per_minute;
    }
}

/* Deprecated: does nothing, as JACK documents (define a timebase callback
 * instead). Any thread. */
void jack_set_transport_info(jack_client_t *client, jack_transport_info_t *tinfo)
{
    (void)client;
    (void)tinfo;
}

/* ---- requests */

/* 1 when the client is active (its record is scanned). Any thread. */
static int is_active(const jack_client_t *client)
{
    /* acquire: pairs with jack_activate's release */
    return atomic_load_explicit(&((jack_client_t *)client)->active, memory_order_acquire);
}

/* An inactive client's request over the socket. Non-realtime thread (an
 * inactive client has no process thread). */
static int socket_request(jack_client_t *client, uint32_t value, const struct rill_transport_pos *p)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_TRANSPORT_REQUEST;
    m.u.transport.value = value;
    if (p)
        m.u.transport.pos = *p;
    int r = rill_client_request(client->core, &m);
    if (r < 0)
        rill_jack_error("transport request refused: %s", m.error[0] ? m.error : strerror(-r));
    return r;
}

static void request_cmd(jack_client_t *client, uint32_t cmd)
{
    if (!client || !client->core)
        return;
    if (is_active(client)) {
        struct rill_shm_activation *act = rill_client_activation(client->core);
        rill_transport_request_cmd(&act->transport[rill_client_slot(client->core)], cmd,
                                   rill_now_ns());
    } else {
        (void)socket_request(client, cmd, NULL);
    }
}

/* Any thread; RT-safe while active. */
void jack_transport_start(jack_client_t *client)
{
    request_cmd(client, RILL_TRANSPORT_CMD_START);
}

/* Any thread; RT-safe while active. */
void jack_transport_stop(jack_client_t *client)
{
    request_cmd(client, RILL_TRANSPORT_CMD_STOP);
}

/* Any thread; RT-safe while active. 0, or EINVAL for unknown valid bits. */
int jack_transport_reposition(jack_client_t *client, const jack_position_t *pos)
{
    if (!client || !client->core || !pos)
        return EINVAL;
    if ((uint32_t)pos->valid & ~RILL_POS_ALL)
        return EINVAL; /* unknown bits: no message, this may be the RT thread */
    struct rill_transport_pos p;
    pos_from_jack(pos, &p);
    if (is_active(client)) {
        struct rill_shm_activation *act = rill_client_activation(client->core);
        return rill_transport_request_pos(&act->transport[rill_client_slot(client->core)], &p,
                                          rill_now_ns()) < 0
                   ? EBUSY
                   : 0;
    }
    return socket_request(client, RILL_TRANSPORT_REQUEST_POS, &p) < 0 ? EINVAL : 0;
}

/* Any thread; RT-safe while active. */
int jack_transport_locate(jack_client_t *client, jack_nframes_t frame)
{
    jack_position_t pos;
    memset(&pos, 0, sizeof(pos));
    pos.frame = frame;
    return jack_transport_reposition(client, &pos);
}

/* ---- registrations (non-realtime) */

/* Store the callback pair(s) under the seqlock; caller holds cb_lock. */
static void store_callbacks(struct rill_jack_transport *t, JackSyncCallback sync, void *sarg,
                            JackTimebaseCallback tb, void *targ)
{
    rill_seqlock_write_begin(&t->seq);
    t->sync = sync;
    t->sync_arg = sarg;
    t->timebase = tb;
    t->timebase_arg = targ;
    rill_seqlock_write_end(&t->seq);
}

static int simple_request(jack_client_t *client, uint32_t type, uint32_t value, uint64_t usecs,
                          char *err, size_t errsize)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.u.transport.value = value;
    m.u.transport.usecs = usecs;
    int r = rill_client_request(client->core, &m);
    if (r < 0 && err)
        snprintf(err, errsize, "%s", m.error[0] ? m.error : strerror(-r));
    return r;
}

/* Non-realtime thread. 0, or -1 with a message. */
int jack_set_sync_callback(jack_client_t *client, JackSyncCallback sync_callback, void *arg)
{
    if (!client || !client->core)
        return -1;
    char err[RILL_ERROR_SIZE];
    int r = simple_request(client, RILL_MSG_TRANSPORT_SYNC, sync_callback != NULL, 0, err,
                           sizeof(err));
    if (r < 0) {
        rill_jack_error("jack_set_sync_callback: %s", err);
        return -1;
    }
    struct rill_jack_transport *t = &client->transport;
    pthread_mutex_lock(&client->cb_lock);
    store_callbacks(t, sync_callback, arg, t->timebase, t->timebase_arg);
    pthread_mutex_unlock(&client->cb_lock);
    /* release: the realtime thread polls the new callback once */
    atomic_store_explicit(&t->sync_poll, 1, memory_order_release);
    return 0;
}

/* Non-realtime thread. 0, or -1 with a message. */
int jack_set_sync_timeout(jack_client_t *client, jack_time_t timeout)
{
    if (!client || !client->core)
        return -1;
    char err[RILL_ERROR_SIZE];
    if (simple_request(client, RILL_MSG_TRANSPORT_TIMEOUT, 0, timeout, err, sizeof(err)) < 0) {
        rill_jack_error("jack_set_sync_timeout: %s", err);
        return -1;
    }
    return 0;
}

/* Non-realtime thread. 0, EBUSY (conditional and another master), EINVAL
 * (no callback), or -1. */
int jack_set_timebase_callback(jack_client_t *client, int conditional,
                               JackTimebaseCallback timebase_callback, void *arg)
{
    if (!client || !client->core)
        return -1;
    if (!timebase_callback) {
        rill_jack_error("jack_set_timebase_callback: a callback is required (use "
                        "jack_release_timebase to stop being master)");
        return EINVAL;
    }
    struct rill_jack_transport *t = &client->transport;
    pthread_mutex_lock(&client->cb_lock);
    JackTimebaseCallback old = t->timebase;
    void *old_arg = t->timebase_arg;
    /* first the callback, so that the first cycle as master calls it */
    store_callbacks(t, t->sync, t->sync_arg, timebase_callback, arg);
    atomic_store_explicit(&t->timebase_new, 1, memory_order_release);
    char err[RILL_ERROR_SIZE];
    int r = simple_request(client, RILL_MSG_TRANSPORT_TIMEBASE, conditional != 0, 0, err,
                           sizeof(err));
    if (r < 0)
        store_callbacks(t, t->sync, t->sync_arg, old, old_arg);
    pthread_mutex_unlock(&client->cb_lock);
    if (r == -EBUSY)
        return EBUSY; /* documented; no message: asking is how one finds out */
    if (r < 0) {
        rill_jack_error("jack_set_timebase_callback: %s", err);
        return -1;
    }
    return 0;
}

/* Non-realtime thread. 0, or EINVAL when the client is not the master. */
int jack_release_timebase(jack_client_t *client)
{
    if (!client || !client->core)
        return -1;
    char err[RILL_ERROR_SIZE];
    int r = simple_request(client, RILL_MSG_TRANSPORT_RELEASE, 0, 0, err, sizeof(err));
    if (r < 0)
        return -r;
    struct rill_jack_transport *t = &client->transport;
    pthread_mutex_lock(&client->cb_lock);
    store_callbacks(t, t->sync, t->sync_arg, NULL, NULL);
    pthread_mutex_unlock(&client->cb_lock);
    return 0;
}

/* ---- the realtime hooks */

/* Copy the callbacks. Returns 0, or -EAGAIN when a setter kept the
 * seqlock (the callbacks are then skipped for one cycle). RT-safe. */
static int load_callbacks(struct rill_jack_transport *t, JackSyncCallback *sync, void **sarg,
                          JackTimebaseCallback *tb, void **targ)
{
    for (unsigned tries = 0; tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        uint32_t s1;
        if (!rill_seqlock_read_begin(&t->seq, &s1))
            continue;
        *sync = t->sync;
        *sarg = t->sync_arg;
        *tb = t->timebase;
        *targ = t->timebase_arg;
        if (rill_seqlock_read_end(&t->seq, s1))
            return 0;
    }
    return -EAGAIN;
}

/* Before process: read this cycle's transport; run the sync callback when
 * this client is polled. Realtime thread; RT-safe. */
void rill_jack_transport_pre(void *arg, uint32_t nframes)
{
    (void)nframes;
    jack_client_t *c = arg;
    struct rill_jack_transport *t = &c->transport;
    t->cur_ok = rill_transport_read(&c->st->transport, &t->cur) == 0;
    if (!t->cur_ok)
        return;
    JackSyncCallback sync;
    JackTimebaseCallback tb;
    void *sarg, *targ;
    if (load_callbacks(t, &sync, &sarg, &tb, &targ) < 0 || !sync)
        return;
    struct rill_transport_client *rec =
        &rill_client_activation(c->core)->transport[rill_client_slot(c->core)];
    /* acquire: only our own earlier store; keeps the pattern uniform */
    uint32_t ready = atomic_load_explicit(&rec->sync_ready, memory_order_acquire);
    int first = t->cur.cycle != t->last_cycle + 1; /* after activation or a gap */
    int poll = atomic_exchange_explicit(&t->sync_poll, 0, memory_order_acq_rel);
    if (ready == t->cur.sync_gen && !poll && !first)
        return;
    jack_position_t pos;
    pos_to_jack(&t->cur.pos, &pos);
    if (sync((jack_transport_state_t)t->cur.state, &pos, sarg))
        /* release: the engine reads it at the next boundary (acquire) */
        atomic_store_explicit(&rec->sync_ready, t->cur.sync_gen, memory_order_release);
}

/* Write the master's output for the next cycle. RT-safe. */
static void write_master_out(struct rill_transport_master_out *mo, uint32_t slot, uint64_t cycle,
                             const struct rill_transport_pos *p)
{
    /* odd with a CAS: a former master running late never interleaves */
    if (!rill_seqlock_try_write_begin(&mo->seq))
        return;
    mo->slot = slot;
    mo->cycle = cycle;
    mo->pos = *p;
    rill_seqlock_write_end(&mo->seq);
}

/* After process: the timebase master computes the next cycle's extended
 * position. Realtime thread; RT-safe. */
void rill_jack_transport_post(void *arg, uint32_t nframes)
{
    jack_client_t *c = arg;
    struct rill_jack_transport *t = &c->transport;
    if (!t->cur_ok)
        return;
    const struct rill_transport_shm *ts = &t->cur;
    uint32_t slot = rill_client_slot(c->core);
    int first = ts->cycle != t->last_cycle + 1;
    t->last_cycle = ts->cycle;
    if (ts->master != slot + 1)
        return;
    JackSyncCallback sync;
    JackTimebaseCallback tb;
    void *sarg, *targ;
    if (load_callbacks(t, &sync, &sarg, &tb, &targ) < 0 || !tb)
        return;
    int fresh = atomic_exchange_explicit(&t->timebase_new, 0, memory_order_acq_rel);
    int new_pos = ts->new_pos || first || fresh || ts->master_gen != t->seen_master_gen ||
                  !(ts->pos.valid & RILL_POS_BBT);
    t->seen_master_gen = ts->master_gen;
    if (ts->state != RILL_TRANSPORT_ROLLING && !new_pos)
        return;
    /* pos for the next cycle: the requester's fields for a new position,
     * this cycle's extended fields otherwise */
    struct rill_transport_pos next = ts->pos;
    if (ts->new_pos)
        rill_transport_pos_copy_ext(&next, &ts->request);
    next.frame = ts->next_frame;
    jack_position_t pos;
    pos_to_jack(&next, &pos);
    tb((jack_transport_state_t)ts->state, nframes, &pos, new_pos, targ);
    struct rill_transport_pos out;
    pos_from_jack(&pos, &out);
    out.frame = ts->next_frame; /* the master may not move the frame */
    write_master_out(&rill_client_activation(c->core)->timebase, slot, ts->cycle, &out);
}
