/* clients/alsa/stream.h — one open rill PCM: the state that the program's
 * thread (ioplug callbacks, pcm_rill.c) and the client's realtime thread
 * (stream_rt.c) share.
 *
 *   program thread                      realtime thread (one cycle)
 *   --------------                      ---------------------------
 *   transfer: convert, ring, wpos  ->   ring -> (resampler) -> ports   playback
 *   transfer: ring -> convert      <-   ports -> (resampler) -> ring   capture
 *   poll(efd) <- level (eventfd)   <-   level_raise after each cycle
 *
 * Ownership: the fields under "set while quiesced" change only in
 * hw_params/prepare/close, after the program thread stored configured = 0
 * or running = 0 and waited until rt_busy is 0 (rill_astream_quiesce); the
 * realtime side stores rt_busy = 1 before it loads those flags (seq_cst on
 * both sides, so either it sees the flag or the program thread sees it
 * busy). Everything else that both touch is an atomic, documented below.
 *
 * The poll fd is an eventfd whose readability is a function of the state
 * alone: ready = dead || xrun || (draining ? drained : avail >= avail_min)
 * for playback, dead || xrun || avail >= avail_min for capture.
 * `signalled` mirrors whether the eventfd holds a count: the realtime side
 * only raises it (a CAS 0 -> 1, then one non-blocking write), the program
 * thread raises or clears it and re-checks after clearing, so a wake-up is
 * never lost (the seq_cst fences in level_* pair the position stores with
 * the flag).
 */
#ifndef RILL_ALSA_STREAM_H
#define RILL_ALSA_STREAM_H

#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "clients/alsa/conf.h"
#include "clients/alsa/ring.h"
#include "clients/alsa/resample.h"
#include "clients/core/client.h"

#define RILL_ALSA_MAX_CHANNELS 64u

struct rill_astream {
    snd_pcm_ioplug_t io;
    struct rill_alsa_conf conf;
    int playback;
    struct rill_client *client;
    int efd;                           /* the poll fd (eventfd) */

    /* ---- set while quiesced (hw_params, prepare, close) */
    uint32_t channels;
    snd_pcm_format_t format;
    uint32_t app_rate;
    uint32_t eng_rate;
    uint32_t buffer_size;              /* frames = ring.cap */
    struct rill_aring ring;
    struct rill_resampler *rs;         /* NULL when app_rate == eng_rate */
    float *scratch;                    /* RILL_MAX_PERIOD * channels floats */
    float *zeros;                      /* resampler flush input */
    uint32_t zeros_frames;
    uint32_t nports;
    uint32_t port[RILL_ALSA_MAX_CHANNELS];
    /* program channel c <-> port route[c] (chmap.h; identity unless the
     * program set a channel map) */
    uint8_t route[RILL_ALSA_MAX_CHANNELS];

    /* ---- program thread only */
    uint64_t app_pos;                  /* the program's pointer, frames since prepare */
    snd_pcm_uframes_t last_appl;       /* io.appl_ptr when app_pos was last synced */
    snd_pcm_uframes_t boundary;        /* from sw_params */
    int64_t pause_delay;               /* delay frozen at pause */
    int activated;
    int connected;
    int dead_said;                     /* the server-gone message was printed */

    /* ---- realtime thread only */
    float rt_gain;                     /* the gain applied last cycle */
    uint32_t rt_flushed;               /* zero frames fed to the resampler while draining */

    /* ---- shared */
    /* 0 while the program thread reconfigures; seq_cst (see above) */
    _Atomic int configured;
    /* started and not stopped; seq_cst (quiesce) */
    _Atomic int running;
    /* the realtime side is inside a cycle that may touch the ring */
    _Atomic int rt_busy;
    /* program thread stores (release), realtime side loads (acquire) */
    _Atomic int paused;
    _Atomic int draining;
    _Atomic int xrun_enabled;          /* stop_threshold <= buffer_size */
    _Atomic uint64_t avail_min;
    /* realtime side stores (release), program thread loads and clears at
     * prepare while quiesced */
    _Atomic int xrun;
    _Atomic int drained;
    /* set by the notification thread (server gone) or the watchdog (no
     * cycle for RILL_ALSA_STALL_MS); never cleared: the PCM must be reopened */
    _Atomic int dead;
    /* see the header comment; seq_cst */
    _Atomic int signalled;
    /* the open has stored `client`: the notification thread may use it
     * (release by the program thread after rill_client_open, acquire by
     * on_event; events before are about nothing the open does not read) */
    _Atomic int events_ready;
    /* the gain the ctl plugin asks for, as float bits; relaxed, one word */
    _Atomic uint32_t gain_bits;
    /* realtime side publishes the cycle in which it last moved the ring,
     * under the seqlock pub_seq (rill/seqlock.h; the realtime side is its
     * only writer, any thread reads) */
    _Atomic uint32_t pub_seq;
    _Atomic uint64_t pub_cycle_ns;
    _Atomic uint32_t pub_period;
    _Atomic uint64_t pub_pos;          /* rpos (playback) / wpos (capture) then */

    /* watchdog thread */
    pthread_t watchdog;
    int watchdog_started;
    pthread_mutex_t wd_lock;
    pthread_cond_t wd_cond;
    int wd_quit;                       /* under wd_lock */
};

/* the name of the client's realtime thread (its comm, 15 bytes at most) */
#define RILL_ALSA_RT_THREAD_NAME "rill-alsa-rt"

/* no cycle for this long while running: the server is stopped or stuck */
#define RILL_ALSA_STALL_MS 500u

/* The realtime side's process callback (stream_rt.c). */
int rill_astream_rt_process(void *arg, uint32_t nframes);
/* 1 when the poll fd should be readable. Any thread; RT-safe. */
int rill_astream_ready(struct rill_astream *s);
/* Realtime side: raise the level when ready. RT-safe (at most one
 * non-blocking write per transition). */
void rill_astream_level_raise(struct rill_astream *s);
/* Program thread (or the notification/watchdog thread): make the eventfd's
 * level match the state. */
void rill_astream_level_sync(struct rill_astream *s);
/* Program thread: wait until the realtime side is outside a cycle (after
 * storing configured = 0 or running = 0). */
void rill_astream_quiesce(struct rill_astream *s);
/* Read the realtime side's last publication (the outputs are left as the
 * caller set them when no consistent copy could be had). Any thread;
 * RT-safe. */
void rill_astream_published(struct rill_astream *s, uint64_t *cycle_ns, uint32_t *period,
                            uint64_t *pos);

/* ports.c: register playback_N / capture_N for channels (keeping existing
 * ones), activate, connect new ports to the target. Program thread, while
 * quiesced. 0 or -errno (err says why); a failed connection is only
 * reported on stderr. */
int rill_astream_ports(struct rill_astream *s, uint32_t channels, char *err, size_t errsize);
/* The latency range (max) of the stream's first port in its direction, in
 * engine frames. Any non-realtime thread. */
uint32_t rill_astream_port_latency(struct rill_astream *s);

#endif
