/* drivers/alsa/alsa_priv.h — the ALSA backend's internals, shared by its files:
 *
 *   alsa_params.c   the parameter table and its validation into a config
 *   alsa_format.c   sample conversion and dither (alsa_format.h)
 *   alsa_pcm.c      opening one PCM and negotiating it exactly, or refusing
 *   alsa_cycle.c    start, the poll wait, mmap read/write, xrun recovery
 *   alsa_driver.c   the method table: open/close glue
 */
#ifndef RILL_ALSA_PRIV_H
#define RILL_ALSA_PRIV_H

#include "drivers/alsa/alsa_format.h"
#include "drivers/driver.h"

#include <alsa/asoundlib.h>
#include <poll.h>
#include <stdint.h>

#define RILL_ALSA_NAME_SIZE 128
#define RILL_ALSA_MAX_PFDS 8
#define RILL_ALSA_MAX_NPERIODS 64u

enum {
    ALSA_P_DEVICE,
    ALSA_P_CAPTURE,
    ALSA_P_PLAYBACK,
    ALSA_P_RATE,
    ALSA_P_PERIOD,
    ALSA_P_NPERIODS,
    ALSA_P_INCHANNELS,
    ALSA_P_OUTCHANNELS,
    ALSA_P_SHORTS,
    ALSA_P_INLAT,
    ALSA_P_OUTLAT,
    ALSA_P_DITHER,
    ALSA_P_NOMONITOR,
    ALSA_P_FORMAT,
    ALSA_P_SOFTMODE,
    ALSA_P_MONITOR,
    ALSA_P_DUPLEX,
    ALSA_P_MIDI,
    ALSA_NPARAMS,
};

extern const struct rill_param rill_alsa_params[ALSA_NPARAMS + 1];

/* What the command line asked for, validated. */
struct rill_alsa_config {
    char capture_dev[RILL_ALSA_NAME_SIZE];  /* "" = no capture */
    char playback_dev[RILL_ALSA_NAME_SIZE]; /* "" = no playback */
    uint32_t rate, period, nperiods;
    uint32_t in_channels, out_channels;     /* 0 = all the device has */
    uint32_t in_latency, out_latency;       /* extra frames (-I/-O) */
    int format_forced;                      /* -S or --format */
    enum rill_sfmt format;
    enum rill_dither dither;
};

/* Parsed parameters -> config, or -EINVAL with err naming what was wrong and
 * what is allowed. Main thread. */
int rill_alsa_config_from_params(const struct rill_driver_config *cfg,
                                 struct rill_alsa_config *out, char *err, size_t errsize);

/* One direction of the device. */
struct rill_alsa_stream {
    snd_pcm_t *pcm;                   /* NULL: this direction is not used */
    snd_pcm_stream_t dir;
    char name[RILL_ALSA_NAME_SIZE];   /* as opened */
    char card[64];                    /* card name for port aliases ("" unknown) */
    /* what names the device for good, for reopen: "hw:ID,DEV" (",SUB" when
     * one was asked for) from the card's id (not its number, which a replug
     * may change); "" when the PCM is not a hw device (reopen uses name) */
    char card_id[32];
    char reopen_name[RILL_ALSA_NAME_SIZE];
    enum rill_sfmt fmt;
    int interleaved;
    uint32_t channels;
    snd_pcm_uframes_t buffer_size;
    struct pollfd *pfd;               /* into the driver's pfds[] */
    int npfd;
};

/* Open dev in direction dir and fix rate, period, periods, format and
 * channels exactly (want_channels 0: the device's maximum), or refuse with a
 * message naming the device, what it refused and what it offers.
 * Main thread. */
int rill_alsa_stream_open(struct rill_alsa_stream *s, const char *dev, snd_pcm_stream_t dir,
                          const struct rill_alsa_config *cfg, uint32_t want_channels,
                          char *err, size_t errsize);
/* Negotiate an open, stopped stream again at cfg's rate, period and period
 * count, keeping its format and channels: apply 0 only tests (nothing
 * changes), apply 1 installs the hardware and software parameters. A
 * refusal leaves *s as it was and says why in err. Main thread. */
int rill_alsa_stream_reconfigure(struct rill_alsa_stream *s, const struct rill_alsa_config *cfg,
                                 int apply, char *err, size_t errsize);
/* Main thread. */
void rill_alsa_stream_close(struct rill_alsa_stream *s);
/* "capture" / "playback". Any thread. */
const char *rill_alsa_dir_name(snd_pcm_stream_t dir);

/* What the waits did, for diagnosis (tests/kernel/rill-kernel-probe prints
 * it). Written by the realtime thread only, read by another thread only
 * after that one has ended: plain counters. */
struct rill_alsa_stats {
    uint64_t polls;           /* poll() calls */
    uint64_t poll_timeouts;   /* polls that ended with nothing ready */
    uint64_t avail_xruns;     /* xruns seen by avail (state XRUN) */
    uint64_t transfer_xruns;  /* short read or write: recovered in the next wait */
    uint64_t restarts;        /* recoveries (drop, prepare, fill, start) */
    uint64_t restart_errors;  /* recoveries that failed */
    uint64_t spins;           /* waits that gave up after ALSA_MAX_POLLS wake-ups */
    uint64_t stalls;          /* poll timeouts recovered by a restart */
};

struct rill_driver {
    struct rill_alsa_config cfg;
    struct rill_alsa_stats stats;
    struct rill_alsa_stream cap, play;
    int linked;                       /* capture and playback start together */
    struct pollfd pfds[2 * RILL_ALSA_MAX_PFDS];
    int npfds;
    snd_pcm_status_t *status;         /* for xrun timing; allocated at open */
    struct rill_dither_state *dither; /* one per playback channel */
    uint64_t period_ns;
    int poll_timeout_ms;
    int xrun_pending;                 /* a transfer saw -EPIPE; the next wait recovers */
    int running;
};

/* alsa_cycle.c: the realtime methods. RT-safe. */
int rill_alsa_start(struct rill_driver *d);
int rill_alsa_wait(struct rill_driver *d, struct rill_driver_wait *w);
int rill_alsa_read(struct rill_driver *d, float *const *bufs, uint32_t nchannels,
                   uint32_t nframes);
int rill_alsa_write(struct rill_driver *d, const float *const *bufs, uint32_t nchannels,
                    uint32_t nframes);
int rill_alsa_stop(struct rill_driver *d);

#endif
