/* clients/jack/jack_stats.c — <jack/statistics.h>: how late the driver woke
 * at xruns. The engine's realtime thread stores the delay of each xrun and
 * the largest one in the state segment (rill/shm.h); a reset is a request,
 * since clients map the state read-only.
 */
#include <string.h>

#include "clients/jack/jack_priv.h"

#pragma GCC visibility push(default)
#include <jack/statistics.h>
#pragma GCC visibility pop

/* Any thread; RT-safe. */
float jack_get_max_delayed_usecs(jack_client_t *client)
{
    if (!client)
        return 0.0f;
    /* relaxed: a statistic, nothing else depends on it */
    uint64_t ns = atomic_load_explicit(&((struct rill_shm_state *)client->st)->xrun_delay_max_ns,
                                       memory_order_relaxed);
    return (float)ns / 1000.0f;
}

/* Any thread; RT-safe. */
float jack_get_xrun_delayed_usecs(jack_client_t *client)
{
    if (!client)
        return 0.0f;
    /* relaxed: as above */
    uint64_t ns = atomic_load_explicit(&((struct rill_shm_state *)client->st)->xrun_delay_last_ns,
                                       memory_order_relaxed);
    return (float)ns / 1000.0f;
}

/* Any non-realtime thread (a request to rilld). */
void jack_reset_max_delayed_usecs(jack_client_t *client)
{
    if (!client)
        return;
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_XRUN_RESET;
    rill_jack_request(client, &m, "jack_reset_max_delayed_usecs");
}
