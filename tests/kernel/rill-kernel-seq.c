/* tests/kernel/rill-kernel-seq.c — ALSA sequencer clients for the kernel
 * tests of the MIDI bridge (tests/kernel/guest.sh, section midi).
 *
 *   rill-kernel-seq hold NAME
 *       a client NAME with port "visible" (read, write, subscribable) and
 *       port "hidden" (the same, no-export: the bridge must leave it out).
 *       SIGUSR1 renames the client to "NAME renamed". Prints "ready".
 *   rill-kernel-seq burst NAME N
 *       a client NAME with port "out" (readable); on SIGUSR1 sends N events
 *       at once to its subscribers: note-on channel 1, note = i % 128,
 *       velocity = (i / 128) % 128 (so the order can be checked), then
 *       prints "sent N".
 * Both stay until SIGTERM. Exit 0, 1 on an error, 2 on a usage error.
 */
#include <alsa/asoundlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t quit, usr1;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        usr1 = 1;
    else
        quit = 1;
}

int main(int argc, char **argv)
{
    int hold = argc == 3 && strcmp(argv[1], "hold") == 0;
    int burst = argc == 4 && strcmp(argv[1], "burst") == 0;
    if (!hold && !burst) {
        fprintf(stderr, "usage: rill-kernel-seq hold NAME | burst NAME N\n");
        return 2;
    }
    snd_seq_t *seq;
    if (snd_seq_open(&seq, "hw", SND_SEQ_OPEN_DUPLEX, 0) < 0)
        return 1;
    snd_seq_set_client_name(seq, argv[2]);
    unsigned rw = SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ | SND_SEQ_PORT_CAP_WRITE |
                  SND_SEQ_PORT_CAP_SUBS_WRITE;
    unsigned type = SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION;
    int out = -1;
    if (hold) {
        if (snd_seq_create_simple_port(seq, "visible", rw, type) < 0 ||
            snd_seq_create_simple_port(seq, "hidden", rw | SND_SEQ_PORT_CAP_NO_EXPORT, type) < 0)
            return 1;
    } else {
        out = snd_seq_create_simple_port(
            seq, "out", SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ, type);
        if (out < 0)
            return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGUSR1, on_signal);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("ready t=%.3f\n", (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
    fflush(stdout);
    while (!quit) {
        if (usr1) {
            usr1 = 0;
            if (hold) {
                char name[128];
                snprintf(name, sizeof(name), "%s renamed", argv[2]);
                snd_seq_set_client_name(seq, name);
                clock_gettime(CLOCK_MONOTONIC, &ts);
                printf("renamed t=%.3f\n", (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
            } else {
                long n = atol(argv[3]);
                for (long i = 0; i < n; i++) {
                    snd_seq_event_t ev;
                    snd_seq_ev_clear(&ev);
                    snd_seq_ev_set_source(&ev, out);
                    snd_seq_ev_set_subs(&ev);
                    snd_seq_ev_set_direct(&ev);
                    snd_seq_ev_set_noteon(&ev, 0, (int)(i % 128), (int)((i / 128) % 128));
                    if (snd_seq_event_output(seq, &ev) < 0) {
                        snd_seq_drain_output(seq);
                        i--;
                    }
                }
                snd_seq_drain_output(seq);
                printf("sent %ld\n", n);
            }
            fflush(stdout);
        }
        usleep(10000);
    }
    snd_seq_close(seq);
    return 0;
}
