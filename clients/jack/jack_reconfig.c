/* clients/jack/jack_reconfig.c — jack_set_buffer_size, jack_set_freewheel
 * and the freewheel callback.
 *
 * The engine changes the period with its realtime thread stopped, and runs
 * at the new one only after every active client's buffer-size callback ran
 * (engine/reconfigure.c). Any non-realtime thread.
 */
#include <errno.h>
#include <string.h>

#include "clients/jack/jack_priv.h"

int jack_set_buffer_size(jack_client_t *client, jack_nframes_t nframes)
{
    if (!client)
        return EINVAL;
    struct rill_msg m = { .type = RILL_MSG_SET_BUFFER_SIZE };
    m.u.size_event.value = nframes;
    int r = rill_client_request(client->core, &m);
    if (r < 0) {
        rill_jack_error("jack_set_buffer_size(%u): %s", nframes,
                        m.error[0] ? m.error : strerror(-r));
        return -r;
    }
    return 0;
}

int jack_set_freewheel(jack_client_t *client, int onoff)
{
    if (!client)
        return EINVAL;
    struct rill_msg m = { .type = RILL_MSG_SET_FREEWHEEL };
    m.u.size_event.value = onoff ? 1u : 0u;
    int r = rill_client_request(client->core, &m);
    if (r < 0) {
        rill_jack_error("jack_set_freewheel(%d): %s", onoff, m.error[0] ? m.error : strerror(-r));
        return -r;
    }
    /* relaxed: see jack_priv.h; the FREEWHEEL event stores the same */
    atomic_store_explicit(&client->freewheeling, onoff ? 1 : 0, memory_order_relaxed);
    return 0;
}

int jack_set_freewheel_callback(jack_client_t *client, JackFreewheelCallback freewheel_callback,
                                void *arg)
{
    if (!client || rill_jack_refuse_when_active(client, __func__))
        return -1;
    pthread_mutex_lock(&client->cb_lock);
    client->cb.freewheel = freewheel_callback;
    client->cb.freewheel_arg = arg;
    pthread_mutex_unlock(&client->cb_lock);
    return 0;
}
