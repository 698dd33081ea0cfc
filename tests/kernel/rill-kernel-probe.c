/* tests/kernel/rill-kernel-probe.c — measures the ALSA driver's cycle by
 * itself, without the engine or clients, inside the kernel-test guest:
 *
 *   rill-kernel-probe SECONDS [driver options, as after `rilld -d alsa`]
 *
 * It opens rill's ALSA driver (drivers/alsa) with the options, runs its
 * start / wait / read / write cycle on a SCHED_FIFO thread (as rilld does;
 * plain scheduling when that is not allowed) for SECONDS, and prints one
 * line of figures:
 *
 *   probe cycles=N expected=E xruns=X lost=L gap_max_ms=G late=K
 *         avail1=A1 avail2=A2 avail3=A3 fifo=0|1 reopens=R
 *
 *   cycles     waits that returned a period
 *   expected   SECONDS x rate / period: the cycles a perfect run would give
 *   xruns      waits that reported lost periods (skipped > 0); lost: their sum
 *   gap_max_ms the longest time between two wake-ups
 *   late       wake-ups more than two periods after the previous one
 *   availK     waits that found K periods of capture ready (3: three or more)
 *              (playback room when there is no capture): more than one
 *              means the wake-up came late or the device moves in bursts
 *   reopens    waits that failed (the device stalled beyond a restart) after
 *              which the probe reopened the device and went on, as rilld
 *              does (without its fallback clock: no cycles meanwhile)
 *
 * kernel.sh compares these with aplay/arecord at the same period to tell a
 * driver fault from a guest that is too slow. Main thread only (the cycle
 * thread is this program's only other thread). Exit 0, 1 on a driver error,
 * 2 on a usage error.
 */
#include "drivers/alsa/alsa_priv.h"
#include "rill/time.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_MAX_CH 8

extern const struct rill_driver_ops rill_driver_alsa;

struct probe {
    const struct rill_driver_ops *ops;
    struct rill_driver *d;
    struct rill_driver_info info;
    uint64_t seconds;
    uint64_t cycles, xruns, lost, late, gap_max, avail[3], reopens;
    int err;
};

static float buf[PROBE_MAX_CH][RILL_ALSA_MAX_NPERIODS * 128];

/* The cycle thread: realtime, RT-safe (no allocation; only the driver). */
static void *cycle(void *arg)
{
    struct probe *p = arg;
    float *in[PROBE_MAX_CH], *out[PROBE_MAX_CH];
    uint32_t nin = p->info.capture_channels, nout = p->info.playback_channels;
    const uint32_t n = p->info.period;
    uint64_t t_end, last = 0;
    struct rill_driver *d = p->d;

    nin = nin > PROBE_MAX_CH ? PROBE_MAX_CH : nin;
    nout = nout > PROBE_MAX_CH ? PROBE_MAX_CH : nout;
    for (int i = 0; i < PROBE_MAX_CH; i++)
        in[i] = out[i] = buf[i];
    if ((p->err = p->ops->start(d)) < 0)
        return NULL;
    t_end = rill_now_ns() + p->seconds * 1000000000ull;
    while (rill_now_ns() < t_end) {
        struct rill_driver_wait w;
        memset(&w, 0, sizeof w);
        if ((p->err = p->ops->wait(d, &w)) < 0) {
            /* as rilld: stop, reopen (not realtime work, but the probe has
             * no other thread to hand it to), start again */
            char err[256];
            p->ops->stop(d);
            if (p->err == -ENODEV || p->ops->reopen(d, err, sizeof err) < 0 ||
                (p->err = p->ops->start(d)) < 0)
                break;
            p->err = 0;
            p->reopens++;
            last = 0;
            continue;
        }
        uint64_t now = rill_now_ns();
        snd_pcm_sframes_t av = d->cap.pcm ? snd_pcm_avail_update(d->cap.pcm)
                                          : snd_pcm_avail_update(d->play.pcm);
        long k = av > 0 ? av / (snd_pcm_sframes_t)n : 0;
        p->avail[k <= 1 ? 0 : k == 2 ? 1 : 2]++;
        p->cycles++;
        if (w.skipped) {
            p->xruns++;
            p->lost += w.skipped;
        }
        if (last) {
            uint64_t gap = now - last;
            if (gap > p->gap_max)
                p->gap_max = gap;
            if (gap > 2 * d->period_ns)
                p->late++;
        }
        last = now;
        p->ops->read(d, in, nin, n);
        p->ops->write(d, (const float *const *)out, nout, n);
    }
    p->ops->stop(d);
    return NULL;
}

int main(int argc, char **argv)
{
    struct probe p = { .ops = &rill_driver_alsa };
    struct rill_driver_config cfg;
    char err[512] = "";
    pthread_attr_t attr;
    pthread_t th;
    int r;

    if (argc < 2 || atoi(argv[1]) < 1 || atoi(argv[1]) > 60) {
        fprintf(stderr, "usage: rill-kernel-probe SECONDS(1..60) [alsa driver options]\n");
        return 2;
    }
    p.seconds = (uint64_t)atoi(argv[1]);
    r = rill_driver_params_parse(p.ops, argc - 2, argv + 2, &cfg, err, sizeof err, stdout);
    if (r != 0) {
        fprintf(stderr, "rill-kernel-probe: %s\n", r > 0 ? "help shown" : err);
        return 2;
    }
    if ((r = p.ops->open(&cfg, &p.d, &p.info, err, sizeof err)) < 0) {
        fprintf(stderr, "rill-kernel-probe: %s\n", err);
        return 1;
    }
    if (p.info.period > 128 * RILL_ALSA_MAX_NPERIODS) {
        fprintf(stderr, "rill-kernel-probe: period %u is too long for the probe\n",
                p.info.period);
        p.ops->close(p.d);
        return 2;
    }
    /* SCHED_FIFO as rilld's realtime thread; plain when refused */
    struct sched_param sp = { .sched_priority = 70 };
    pthread_attr_init(&attr);
    pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
    pthread_attr_setschedparam(&attr, &sp);
    int fifo = 1;
    if (pthread_create(&th, &attr, cycle, &p) != 0) {
        fifo = 0;
        if (pthread_create(&th, NULL, cycle, &p) != 0) {
            fprintf(stderr, "rill-kernel-probe: cannot start a thread\n");
            p.ops->close(p.d);
            return 1;
        }
    }
    pthread_attr_destroy(&attr);
    pthread_join(th, NULL);
    struct rill_alsa_stats st = p.d->stats; /* the cycle thread has ended */
    p.ops->close(p.d);
    if (p.err < 0) {
        fprintf(stderr, "rill-kernel-probe: the driver failed: %s\n", strerror(-p.err));
        return 1;
    }
    printf("probe cycles=%llu expected=%llu xruns=%llu lost=%llu gap_max_ms=%.2f late=%llu "
           "avail1=%llu avail2=%llu avail3=%llu fifo=%d reopens=%llu\n",
           (unsigned long long)p.cycles,
           (unsigned long long)(p.seconds * p.info.rate / p.info.period),
           (unsigned long long)p.xruns, (unsigned long long)p.lost, (double)p.gap_max / 1e6,
           (unsigned long long)p.late, (unsigned long long)p.avail[0],
           (unsigned long long)p.avail[1], (unsigned long long)p.avail[2], fifo,
           (unsigned long long)p.reopens);
    printf("driver polls=%llu poll_timeouts=%llu avail_xruns=%llu transfer_xruns=%llu "
           "restarts=%llu restart_errors=%llu spins=%llu\n",
           (unsigned long long)st.polls, (unsigned long long)st.poll_timeouts,
           (unsigned long long)st.avail_xruns, (unsigned long long)st.transfer_xruns,
           (unsigned long long)st.restarts, (unsigned long long)st.restart_errors,
           (unsigned long long)st.spins);
    return 0;
}
