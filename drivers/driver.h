/* drivers/driver.h — the interface between the engine and an audio backend.
 *
 * A driver is a versioned table of methods plus a table of self-describing
 * parameters, from which rilld parses `-d NAME [driver options]` and generates
 * `rilld -d NAME --help`.
 *
 * Life cycle (threads):
 *   parse options                 main thread (rill_driver_params_parse)
 *   open(params) -> driver        main thread; negotiates and fixes rate,
 *                                 period and channel counts, or refuses with
 *                                 a message in err
 *   start                         realtime thread, before the first wait
 *   wait / read / write           realtime thread, once per cycle, in that
 *                                 order; RT-safe: no allocation, no lock
 *   stop                          realtime thread, after the last cycle
 *   reopen                        main thread, after the realtime thread has
 *                                 handed a device it lost back (see below)
 *   close                         main thread, after the realtime thread ended
 *
 * A device that stalls or disappears never ends the server. wait() recovers
 * what it can by itself (an xrun: streams restarted, the periods lost in
 * `skipped`; a stall: `stalled`, the restarts in `restarts`); when it cannot
 * go on (the device is gone, -ENODEV, or it stalls again right after a
 * restart, -EIO) it returns the error. The engine then calls stop, runs its
 * cycles on a fallback clock (a timer at the same rate and period) and hands
 * the driver to the main thread, which calls reopen until the device is back
 * at the same parameters; the realtime thread then calls start and waits on
 * the device again (engine/rt.c, "the fallback clock").
 */
#ifndef RILL_DRIVER_H
#define RILL_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#define RILL_DRIVER_VERSION 2u

enum rill_param_type {
    RILL_PARAM_UINT,   /* unsigned integer in [min, max] */
    RILL_PARAM_STRING, /* free text (device names) */
    RILL_PARAM_BOOL,   /* a flag without a value */
    RILL_PARAM_ENUM,   /* one of choices[] (NULL-terminated) */
};

struct rill_param {
    const char *name;     /* long option, without "--" */
    char short_opt;       /* 0 when none */
    enum rill_param_type type;
    const char *def;      /* default as text; NULL: unset */
    uint32_t min, max;    /* RILL_PARAM_UINT */
    uint32_t pow2;        /* RILL_PARAM_UINT: must be a power of two */
    const char *const *choices; /* RILL_PARAM_ENUM */
    uint32_t optional;    /* RILL_PARAM_STRING: the value may be left out (`-C`,
                           * `-C -P`): it is then "" (jackd's -C/-P [DEV]) */
    const char *help;
};

/* Parsed driver parameters: one value per entry of the driver's table. */
struct rill_param_value {
    int set;              /* given on the command line */
    uint32_t u;           /* UINT, BOOL, ENUM index */
    const char *s;        /* STRING, or the text of any value */
};

#define RILL_DRIVER_MAX_PARAMS 32

struct rill_driver_config {
    struct rill_param_value v[RILL_DRIVER_MAX_PARAMS];
};

/* What an opened driver fixed. */
struct rill_driver_info {
    uint32_t rate;
    uint32_t period;            /* frames per cycle */
    uint32_t nperiods;          /* periods in the device buffer */
    uint32_t capture_channels;
    uint32_t playback_channels;
    uint32_t capture_latency;   /* frames the driver adds on capture */
    uint32_t playback_latency;  /* frames the driver adds on playback */
    char capture_alias[64];     /* alias prefix for system capture ports ("" none) */
    char playback_alias[64];
    /* 1: write() throws playback away (the dummy driver). The engine then
     * does not wait for the end of the graph inside the cycle: it checks it
     * at the start of the next one (engine/rt.c, "completion"). */
    uint32_t discards_playback;
    /* MIDI channels (system:midi_capture_N outputs, system:midi_playback_N
     * inputs), for a driver with read_midi/write_midi; 0 otherwise */
    uint32_t midi_capture_channels;
    uint32_t midi_playback_channels;
};

struct rill_driver; /* a backend's own state */
struct rill_shm_link;

/* Result of one wait. */
struct rill_driver_wait {
    uint64_t wake_ns;           /* CLOCK_MONOTONIC when the period began */
    uint64_t next_ns;           /* expected start of the next period */
    uint32_t skipped;           /* whole periods lost since the last wait (xrun) */
    uint64_t delay_ns;          /* how late this wake-up was (xrun delay) */
    uint32_t restarts;          /* stream restarts the driver made in this wait */
    uint32_t stalled;           /* 1: the device delivered nothing for the poll
                                 * timeout in this wait (a stall, recovered) */
};

struct rill_driver_ops {
    uint32_t version;           /* RILL_DRIVER_VERSION */
    const char *name;
    const char *description;
    const struct rill_param *params;  /* terminated by an entry with name NULL */
    size_t nparams;

    /* main thread: negotiate. err gets a message naming what was refused and
     * what is possible. Returns 0 or -errno. */
    int (*open)(const struct rill_driver_config *cfg, struct rill_driver **out,
                struct rill_driver_info *info, char *err, size_t errsize);
    /* realtime thread */
    int (*start)(struct rill_driver *d);
    /* Block until the next period. Returns 0, or -errno when the device
     * cannot go on: -ENODEV gone, -EIO stalled again after a restart (the
     * engine then moves to its fallback clock and the main thread reopens
     * the device; see above). w->restarts and w->stalled are read after
     * a failed wait too (the engine zeroes w before each wait). */
    int (*wait)(struct rill_driver *d, struct rill_driver_wait *w);
    /* Convert the device's capture period into bufs[ch][0..nframes). */
    int (*read)(struct rill_driver *d, float *const *bufs, uint32_t nchannels, uint32_t nframes);
    /* Convert bufs into the device's playback period; a NULL buffer is silence. */
    int (*write)(struct rill_driver *d, const float *const *bufs, uint32_t nchannels,
                 uint32_t nframes);
    int (*stop)(struct rill_driver *d);
    /* main thread */
    void (*close)(struct rill_driver *d);
    /* main thread, while the realtime thread is stopped (between stop and
     * the next start): run at a new period from the next start on, updating
     * info->period and the latencies, or refuse with a message in err and
     * keep the old one. NULL: the driver cannot change its period. */
    int (*set_period)(struct rill_driver *d, uint32_t period, struct rill_driver_info *info,
                      char *err, size_t errsize);
    /* main thread, while the realtime thread does not use d (it stopped d
     * after wait or start failed and handed it over): close the device's
     * handles (so that the kernel can free a card that went away) and open
     * the same device again, found by what names it for good (ALSA: the
     * card's id and the device number, not the card's number), at the same
     * rate, period, period count, format and channels. Returns 0 (the next
     * start runs it), -ENODEV (not there yet: call again later), or another
     * -errno with err saying why it cannot run as before. NULL: the driver
     * cannot reopen; the engine stays on its fallback clock. */
    int (*reopen)(struct rill_driver *d, char *err, size_t errsize);
    /* main thread, once, after open and before start: where a network
     * driver publishes its link's counters (struct rill_shm_link in the
     * state segment, shown by rillctl status). NULL: no link. */
    void (*bind_link)(struct rill_driver *d, struct rill_shm_link *link);
    /* realtime thread, after read: write the period's MIDI events into the
     * n capture buffers, rill MIDI buffers (midi/buffer.h) of size bytes
     * that the engine has just made empty for nframes. NULL: no MIDI. */
    int (*read_midi)(struct rill_driver *d, void *const *bufs, uint32_t n, size_t size,
                     uint32_t nframes);
    /* realtime thread, before write: the n playback buffers' events (rill
     * MIDI buffers the engine merged, valid for this call; NULL: none). */
    int (*write_midi)(struct rill_driver *d, const void *const *bufs, uint32_t n,
                      uint32_t nframes);
};

/* Every driver compiled in, NULL-terminated. */
extern const struct rill_driver_ops *const rill_drivers[];

/* Find a driver by name; NULL when unknown. Any thread. */
const struct rill_driver_ops *rill_driver_find(const char *name);

/* Parse argv (the words after `-d NAME`) into cfg, applying defaults.
 * Returns 0, 1 when --help was asked (help already printed to out), or
 * -EINVAL with err naming the option, what was wrong and what is allowed.
 * Main thread. */
int rill_driver_params_parse(const struct rill_driver_ops *ops, int argc, char *const *argv,
                             struct rill_driver_config *cfg, char *err, size_t errsize,
                             void *out /* FILE * for --help */);

/* Print the driver's parameter table as `rilld -d NAME --help` shows it. */
void rill_driver_params_help(const struct rill_driver_ops *ops, void *out /* FILE * */);

/* Index of a parameter by long name, or -1. */
int rill_driver_param_index(const struct rill_driver_ops *ops, const char *name);

#endif
