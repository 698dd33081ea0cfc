/* engine/options.h — rilld's command line.
 *
 *   rilld [server options] -d DRIVER [driver options]
 *
 * Thread: main thread.
 */
#ifndef RILL_OPTIONS_H
#define RILL_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "drivers/driver.h"
#include "midi/midi_rawdev.h"
#include "osc/osc_config.h"

#define RILL_OPTIONS_MAX_LOAD 16u

/* --midi: the ALSA MIDI bridges (doc/midi.md) */
#define RILL_MIDI_SEQ 1u
#define RILL_MIDI_RAW 2u /* the raw MIDI bridge (alsa_rawmidi) */

struct rill_options {
    const char *name;            /* server name */
    uint32_t timeout_ms;         /* client timeout */
    int realtime;                /* try SCHED_FIFO */
    int priority;                /* its priority */
    uint32_t port_max;
    int verbose;
    int temporary;               /* exit when the last client leaves */
    int exit_on_loss;            /* -E: stop when the device is lost (jackd's way) */
    int affinity;                /* pin realtime threads (engine/placement.h) */
    int no_mlock;                /* -m: do not lock rilld's memory */
    /* jackd's self-connect mode (-a e|E|a|A, --autoconnect): what happens
     * when a client asks to connect one of its own ports. ' ': allowed;
     * 'e'/'E': ignored/refused when the other port is another client's;
     * 'a'/'A': ignored/refused always. Connections made by others (a
     * patchbay, rillctl) are never restricted. */
    char self_connect;
    const char *load[RILL_OPTIONS_MAX_LOAD]; /* -l NAME[:ARGS]: internal clients */
    unsigned nload;
    unsigned midi;               /* RILL_MIDI_* bridges wanted */
    int midi_explicit;           /* --midi given: say why a bridge cannot run */
    uint32_t midi_sysex;         /* --midi-sysex BYTES, 0: the bridge's default */
    /* --midi-raw DEVICE (repeatable), --midi [seq,]raw=DEVICE: the raw
     * bridge takes only these; empty: every device */
    struct rill_midi_rawdevs midi_raw;
    struct rill_osc_config osc;  /* --osc, --osc-udp, --osc-allow, --osc-rate */
    const struct rill_driver_ops *driver;
    struct rill_driver_config driver_cfg;
};

/* Parse argv. Returns 0, 1 when help was printed to out (exit 0), or -EINVAL
 * with err naming the option, what was wrong and what is allowed. */
int rill_options_parse(int argc, char **argv, struct rill_options *o, char *err, size_t errsize,
                       FILE *out);

/* What a self-connect request gets (mode as in rill_options.self_connect):
 * 0 go ahead, 1 ignore it (answer success, change nothing), -EPERM refuse.
 * own_a/own_b: whether the requester owns each of the two ports. Any thread. */
int rill_options_self_connect(char mode, int own_a, int own_b);

/* Print rilld's usage. */
void rill_options_usage(FILE *out);

#endif
