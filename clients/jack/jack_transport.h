/* clients/jack/jack_transport.h — libjack's transport state per client
 * (jack_transport.c). Included by jack_priv.h, after the JACK headers.
 *
 * The sync and timebase callbacks may be set while the client is active
 * (JACK allows it), so the realtime thread reads them under a seqlock:
 * setters hold the client's cb_lock (one writer at a time), make seq odd,
 * write, make it even (release); the realtime thread copies them with a
 * bounded retry and skips the call for one cycle if it kept losing.
 */
#ifndef RILL_JACK_TRANSPORT_H
#define RILL_JACK_TRANSPORT_H

#include <stdatomic.h>
#include <stdint.h>

#pragma GCC visibility push(default)
#include <jack/transport.h>
#include <jack/types.h>
#pragma GCC visibility pop

#include "rill/transport_shm.h"

struct rill_jack_transport {
    _Atomic uint32_t seq;              /* seqlock over the four callback fields */
    JackSyncCallback sync;
    void *sync_arg;
    JackTimebaseCallback timebase;
    void *timebase_arg;
    /* 1: call the sync callback in the next cycle even when it said ready
     * for this generation (a new registration). Setter stores 1 (release),
     * the realtime thread exchanges it with 0. */
    _Atomic int sync_poll;
    /* 1: the next timebase call is a new position (a new callback). */
    _Atomic int timebase_new;

    /* realtime thread only */
    struct rill_transport_shm cur;     /* this cycle's transport, read in pre */
    int cur_ok;                        /* cur holds this cycle's */
    uint64_t last_cycle;               /* the previous cycle we ran */
    uint32_t seen_master_gen;
};

/* The core's hooks around process (clients/core/client.h); arg is the
 * jack client. Realtime thread; RT-safe. */
void rill_jack_transport_pre(void *arg, uint32_t nframes);
void rill_jack_transport_post(void *arg, uint32_t nframes);

#endif
