/* tools/rillctl.h — what rillctl's command files share (tools/rillctl*.c).
 * rillctl is single-threaded apart from the client core's notification
 * thread, which it ignores: every function here runs on the main thread.
 */
#ifndef RILL_TOOLS_RILLCTL_H
#define RILL_TOOLS_RILLCTL_H

#include <stdint.h>
#include <stdio.h>

#include "clients/core/client.h"
#include "rill/shm.h"

#define EXIT_USAGE 2

struct ctl {
    const char *server; /* NULL: the core's default (JACK_DEFAULT_SERVER, "default") */
    struct rill_client *client;
    const struct rill_shm_state *st;
};

struct ctl_command {
    const char *name;
    const char *usage; /* after "rillctl [-s SERVER] " */
    const char *help;  /* more lines for COMMAND --help */
    int (*run)(struct ctl *ctl, int argc, char **argv);
};

/* "rillctl: " + the message + newline, on stderr. */
void rill_ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Connect to the server. Returns 0, or 1 with the message printed. */
int rill_ctl_open(struct ctl *ctl);
/* 1 when name matches pattern (a glob when it holds * ? [, else a substring). */
int rill_ctl_match(const char *pattern, const char *name);
/* The usage line of cmd (and its help when full). */
void rill_ctl_usage(FILE *f, const struct ctl_command *cmd, int full);
/* A usage error of cmd: the message and the usage line. Returns EXIT_USAGE. */
int rill_ctl_usage_error(const struct ctl_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The option getopt_long just refused, as the user wrote it. */
const char *rill_ctl_bad_option(char **argv);
/* The command named name, or NULL. */
const struct ctl_command *rill_ctl_command(const char *name);

/* One NetJACK2 link's counters (struct rill_shm_link). */
struct rill_ctl_link {
    uint32_t present, joined;
    uint64_t cycles, incomplete, empty, missed, lost, late, reordered, foreign, malformed,
        rejoins;
};

/* The netmanager's followers (struct rill_shm_netmanager). */
struct rill_ctl_netmanager {
    uint32_t present, port;
    uint64_t refused, turned_away;
    uint32_t n;                      /* followers in f[] */
    struct rill_ctl_nm_follower {
        struct rill_shm_nm_identity id;
        struct rill_ctl_link link;
    } f[RILL_NM_SLOTS];
};

/* What `rillctl status` shows (top's header too). */
struct rill_ctl_status {
    char server[RILL_SERVER_NAME_SIZE];
    char driver[32];
    int32_t pid;
    uint32_t rate, period;
    uint32_t load_milli, peak_milli; /* DSP load, percent x 1000 */
    uint64_t xruns, cycles;
    uint32_t clients;                /* not counting control tools */
    int32_t rt_priority;
    /* the sound card (rill/shm.h, engine/device.h) */
    uint32_t device_state;           /* RILL_DRIVER_STATE_* */
    uint64_t device_since_s;         /* CLOCK_REALTIME s the state began */
    uint64_t device_stalls, device_restarts, device_reopens, device_losses;
    /* a network driver's link (struct rill_shm_link; doc/network.md) */
    struct rill_ctl_link net;
    /* the netmanager internal client's followers */
    struct rill_ctl_netmanager nm;
};
void rill_ctl_status_read(const struct rill_shm_state *st, struct rill_ctl_status *out);
struct rill_json;
/* The status as a JSON object, member key of the current object (NULL: a
 * value of an array, or the whole document). */
void rill_ctl_status_json(struct rill_json *j, const char *key, const struct rill_ctl_status *s);
void rill_ctl_status_fields(struct rill_json *j, const struct rill_ctl_status *s);

/* rill's version and the libjack ABI it builds, as status prints them. */
const char *rill_ctl_version(void);

/* rillctl_midi.c: the ALSA MIDI bridges' accounts of dropped events:
 * RILL_CTL_MIDI_SEQ is the sequencer bridge (client alsa_midi, JSON object
 * "midi"), RILL_CTL_MIDI_RAW the raw bridge (alsa_rawmidi, "midi_raw";
 * doc/rillctl.md). Main thread. */
enum { RILL_CTL_MIDI_SEQ, RILL_CTL_MIDI_RAW, RILL_CTL_MIDI_BRIDGES };
/* Bridge which's count of dropped events into out; 0, or -1 when there is
 * no such bridge or no count (yet). */
int rill_ctl_midi_dropped(struct ctl *ctl, int which, char *out, size_t size);
/* The text status line's label of bridge which ("midi dropped:  ..."). */
const char *rill_ctl_midi_label(int which);
/* Bridge which's drop total and breakdown (zeros and bridge 0 without the
 * bridge), and its JSON object. */
#define RILL_CTL_MIDI_COUNTS 10
struct rill_ctl_midi {
    int which;
    int bridge;
    uint64_t dropped;
    uint64_t count[RILL_CTL_MIDI_COUNTS];
};
void rill_ctl_midi_read(struct ctl *ctl, int which, struct rill_ctl_midi *out);
void rill_ctl_midi_json(struct rill_json *j, const struct rill_ctl_midi *m);

/* the commands in files of their own */
int rill_ctl_graph(struct ctl *ctl, int argc, char **argv);
extern const char rill_ctl_graph_help[];
int rill_ctl_top(struct ctl *ctl, int argc, char **argv);
extern const char rill_ctl_top_help[];

#endif
