/* clients/jack/jack_latency.c — port latencies: ranges, the latency
 * callback, recomputation, and JACK's older single-number functions.
 *
 * The engine keeps every port's capture and playback range in the registry
 * and recomputes them after each graph change (engine/latency.h). A client
 * with a latency callback gets EV_LATENCY in graph order (capture) and in
 * reverse graph order (playback): this file calls the callback, in which the
 * client reads its ports' ranges (already set from their connections) and
 * sets those of its other side, then answers DONE so the engine moves on.
 *
 * The older functions map onto the ranges: a port's own latency
 * (jack_port_get_latency / set_latency) is the maximum of its own direction
 * (capture for outputs, playback for inputs); its total latency is the
 * maximum of the other direction, the path to the hardware through the
 * graph, plus, for a physical port, its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clients/jack/jack_priv.h"

/* Any non-realtime thread. */
int rill_jack_request(struct _jack_client *c, struct rill_msg *m, const char *what)
{
    int r = rill_client_request(c->core, m);
    if (r < 0) {
        m->error[sizeof(m->error) - 1] = '\0';
        rill_jack_error("%s: %s", what, m->error[0] ? m->error : strerror(-r));
        return -1;
    }
    return 0;
}

/* Latency of the port as the registry has it. Any thread but realtime. */
void jack_port_get_latency_range(jack_port_t *port, jack_latency_callback_mode_t mode,
                                 jack_latency_range_t *range)
{
    if (!range)
        return;
    range->min = range->max = 0;
    struct rill_shm_port p;
    if (!port || (mode != JackCaptureLatency && mode != JackPlaybackLatency) ||
        rill_registry_port(port->client->st, port->id, &p) < 0)
        return;
    range->min = p.latency[mode][0];
    range->max = p.latency[mode][1];
}

/* Set the range of one of our ports (normally from the latency callback).
 * Any non-realtime thread. */
void jack_port_set_latency_range(jack_port_t *port, jack_latency_callback_mode_t mode,
                                 jack_latency_range_t *range)
{
    if (!port || !range)
        return;
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_LATENCY_SET;
    m.u.latency.id = port->id;
    m.u.latency.mode = (uint32_t)mode;
    m.u.latency.min = range->min;
    m.u.latency.max = range->max;
    char what[RILL_PORT_NAME_SIZE + 48];
    snprintf(what, sizeof(what), "jack_port_set_latency_range('%s')", port->name);
    (void)rill_jack_request(port->client, &m, what);
}

/* Send a LATENCY_CTL op. 0 or -1. */
static int latency_ctl(jack_client_t *client, uint32_t op, const char *what)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_LATENCY_CTL;
    m.u.latency.op = op;
    return rill_jack_request(client, &m, what);
}

/* Only while inactive, like every callback. Any non-realtime thread. */
int jack_set_latency_callback(jack_client_t *client, JackLatencyCallback latency_callback,
                              void *arg)
{
    if (!client || rill_jack_refuse_when_active(client, __func__))
        return -1;
    pthread_mutex_lock(&client->cb_lock);
    client->cb.latency = latency_callback;
    client->cb.latency_arg = arg;
    pthread_mutex_unlock(&client->cb_lock);
    return latency_ctl(client, latency_callback ? RILL_LATENCY_CB_ON : RILL_LATENCY_CB_OFF,
                       __func__);
}

/* Ask the engine to recompute every latency (it answers at once and runs
 * the callbacks afterwards). Any non-realtime thread. */
int jack_recompute_total_latencies(jack_client_t *client)
{
    if (!client)
        return -1;
    return latency_ctl(client, RILL_LATENCY_RECOMPUTE, __func__);
}

/* JACK recomputes everything for one port too. Any non-realtime thread. */
int jack_recompute_total_latency(jack_client_t *client, jack_port_t *port)
{
    if (!client || !port)
        return -1;
    return latency_ctl(client, RILL_LATENCY_RECOMPUTE, __func__);
}

static int own_mode(const jack_port_t *port)
{
    return (port->flags & JackPortIsOutput) ? JackCaptureLatency : JackPlaybackLatency;
}

/* Deprecated. Any non-realtime thread. */
jack_nframes_t jack_port_get_latency(jack_port_t *port)
{
    jack_latency_range_t r = { 0, 0 };
    if (port)
        jack_port_get_latency_range(port, own_mode(port), &r);
    return r.max;
}

/* Deprecated: sets the range of the port's own direction to [frames,
 * frames]. Any non-realtime thread. */
void jack_port_set_latency(jack_port_t *port, jack_nframes_t frames)
{
    if (!port)
        return;
    jack_latency_range_t r = { frames, frames };
    jack_port_set_latency_range(port, own_mode(port), &r);
}

/* Deprecated. Any non-realtime thread. */
jack_nframes_t jack_port_get_total_latency(jack_client_t *client, jack_port_t *port)
{
    (void)client;
    if (!port)
        return 0;
    int mode = own_mode(port);
    jack_latency_range_t path = { 0, 0 }, own = { 0, 0 };
    jack_port_get_latency_range(port, mode == JackCaptureLatency ? JackPlaybackLatency
                                                                 : JackCaptureLatency,
                                &path);
    if (port->flags & JackPortIsPhysical)
        jack_port_get_latency_range(port, mode, &own);
    return path.max + own.max;
}

/* Notification thread: EV_LATENCY. Run the callback, then answer DONE so the
 * engine visits the next client (it gives up after 2 s otherwise). */
void rill_jack_latency_event(struct _jack_client *c, const struct rill_jack_callbacks *cb,
                             const struct rill_msg *ev)
{
    uint32_t mode = ev->u.latency.mode;
    if (cb->latency && mode <= JackPlaybackLatency)
        cb->latency((jack_latency_callback_mode_t)mode, cb->latency_arg);
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_LATENCY_CTL;
    m.u.latency.op = RILL_LATENCY_DONE;
    m.u.latency.serial = ev->u.latency.serial;
    (void)rill_client_request(c->core, &m); /* a server gone: nothing to answer */
}
