/* tests/kernel/rill-kernel-rawmidi.c — a rawmidi reader for the kernel
 * tests of the raw MIDI bridge (tests/kernel/guest-midi-raw.sh).
 *
 *   rill-kernel-rawmidi read DEVICE FILE IDLE_SECONDS
 *       opens DEVICE (hw:C,D[,S]) for input with the kernel's largest
 *       input buffer (32 KiB: amidi's 4 KiB overflows when a long sysex
 *       arrives at once while a slow guest has not run amidi), prints
 *       "ready", and writes every byte it reads to FILE until IDLE_SECONDS
 *       passed without a byte (counted from the first byte; at most 60 s in
 *       all). Prints "bytes N xruns N" at the end.
 *
 * Exit 0, 1 on an error, 2 on a usage error.
 */
#include <alsa/asoundlib.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 5 || strcmp(argv[1], "read") != 0) {
        fprintf(stderr, "usage: rill-kernel-rawmidi read DEVICE FILE IDLE_SECONDS\n");
        return 2;
    }
    double idle = atof(argv[4]);
    snd_rawmidi_t *in = NULL;
    int r = snd_rawmidi_open(&in, NULL, argv[2], SND_RAWMIDI_NONBLOCK);
    if (r < 0) {
        fprintf(stderr, "cannot open %s: %s\n", argv[2], snd_strerror(r));
        return 1;
    }
    snd_rawmidi_params_t *pr;
    snd_rawmidi_params_alloca(&pr);
    if (snd_rawmidi_params_current(in, pr) >= 0 &&
        snd_rawmidi_params_set_buffer_size(in, pr, 32768) >= 0)
        snd_rawmidi_params(in, pr);
    FILE *out = fopen(argv[3], "wb");
    if (!out) {
        perror(argv[3]);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    struct pollfd pfd[4];
    int n = snd_rawmidi_poll_descriptors(in, pfd, 4);
    unsigned char buf[4096];
    size_t total = 0;
    double start = now_s(), last = 0;
    while (now_s() - start < 60 && (last == 0 || now_s() - last < idle)) {
        if (poll(pfd, (nfds_t)n, 100) <= 0)
            continue;
        ssize_t got;
        while ((got = snd_rawmidi_read(in, buf, sizeof(buf))) > 0) {
            fwrite(buf, 1, (size_t)got, out);
            total += (size_t)got;
            last = now_s();
        }
        if (got < 0 && got != -EAGAIN) {
            fprintf(stderr, "read: %s\n", snd_strerror((int)got));
            break;
        }
    }
    snd_rawmidi_status_t *st;
    snd_rawmidi_status_alloca(&st);
    size_t xruns = snd_rawmidi_status(in, st) >= 0 ? snd_rawmidi_status_get_xruns(st) : 0;
    fclose(out);
    snd_rawmidi_close(in);
    printf("bytes %zu xruns %zu\n", total, xruns);
    return 0;
}
