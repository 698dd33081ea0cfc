/* tests/clients/rill-test-transport.c — JACK transport clients for the
 * integration tests (tests/integration/transport.sh).
 *
 *   rill-test-transport MODE NAME --status FILE [options]
 *
 * MODE sync:   a slow-sync client. Its sync callback says "ready" on the
 *              --delay N-th call of each request (default 10), so a start or
 *              a locate waits in Starting for about N cycles.
 * MODE master: timebase master (--conditional: a conditional request; when
 *              refused, status says timebase=EBUSY and the client stays).
 *              BBT at --bpm B (integer, default 120), 4/4, 1920 ticks per
 *              beat, computed from the frame of the next cycle.
 * MODE watch:  checks every cycle from the process callback with
 *              jack_transport_query: unique_1 == unique_2; a rolling cycle
 *              is the previous frame + nframes, a stopped or starting one
 *              the previous frame, any other frame is a "jump"; when BBT is
 *              valid it must be the BBT of the frame at --bpm. With
 *              --locate-at K:FRAME it calls jack_transport_locate from the
 *              process callback in its K-th rolling cycle.
 *
 * The status file is rewritten every 100 ms: cycles= rolling= starting=
 * stopped= torn= jumps= bad_advance= bbt_ok= bbt_bad= bbt_missing= frame=
 * state= sync_calls= sync_ready= tb_calls= tb_new= timebase= located= gaps=
 * (gaps: cycles after one this client did not run, e.g. bypassed under
 * load, whose frame is not judged).
 * The process path touches atomics only (no allocation, lock or stdio).
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 runtime error, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <jack/jack.h>
#include <jack/transport.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TPB 1920
#define BEATS_PER_BAR 4

enum mode { MODE_SYNC, MODE_MASTER, MODE_WATCH };

static enum mode mode;
static jack_client_t *client;
static unsigned bpm = 120;
static unsigned delay_calls = 10;
static int conditional;
static long locate_at = -1;
static unsigned long locate_frame;
static volatile sig_atomic_t quit;

/* counters: written by the realtime thread (relaxed), read by main */
static _Atomic uint64_t n_cycles, n_rolling, n_starting, n_stopped, n_torn, n_jumps,
    n_bad_advance, n_bbt_ok, n_bbt_bad, n_bbt_missing, n_sync_calls, n_sync_ready, n_tb_calls,
    n_tb_new, n_located, n_gaps;
static _Atomic uint32_t last_frame, last_state;
static const char *timebase_result = "none";

/* BBT of frame at bpm, 4/4. RT-safe. */
static void bbt_of(uint32_t frame, uint32_t rate, int32_t *bar, int32_t *beat, int32_t *tick)
{
    uint64_t abs_tick = (uint64_t)frame * bpm * TPB / ((uint64_t)rate * 60u);
    *bar = (int32_t)(abs_tick / (TPB * BEATS_PER_BAR)) + 1;
    *beat = (int32_t)((abs_tick / TPB) % BEATS_PER_BAR) + 1;
    *tick = (int32_t)(abs_tick % TPB);
}

/* Realtime thread. */
static int sync_cb(jack_transport_state_t state, jack_position_t *pos, void *arg)
{
    static unsigned calls;
    (void)state;
    (void)pos;
    (void)arg;
    atomic_fetch_add_explicit(&n_sync_calls, 1, memory_order_relaxed);
    if (++calls < delay_calls)
        return 0;
    calls = 0;
    atomic_fetch_add_explicit(&n_sync_ready, 1, memory_order_relaxed);
    return 1;
}

/* Realtime thread, after process. */
static void timebase_cb(jack_transport_state_t state, jack_nframes_t nframes,
                        jack_position_t *pos, int new_pos, void *arg)
{
    (void)state;
    (void)nframes;
    (void)arg;
    atomic_fetch_add_explicit(&n_tb_calls, 1, memory_order_relaxed);
    if (new_pos)
        atomic_fetch_add_explicit(&n_tb_new, 1, memory_order_relaxed);
    pos->valid = JackPositionBBT;
    pos->beats_per_bar = BEATS_PER_BAR;
    pos->beat_type = 4;
    pos->ticks_per_beat = TPB;
    pos->beats_per_minute = bpm;
    int32_t bar, beat, tick;
    bbt_of(pos->frame, pos->frame_rate ? pos->frame_rate : 48000, &bar, &beat, &tick);
    pos->bar = bar;
    pos->beat = beat;
    pos->tick = tick;
    pos->bar_start_tick = (double)(pos->bar - 1) * BEATS_PER_BAR * TPB;
}

/* Realtime thread: the watcher's checks. */
static int process(jack_nframes_t nframes, void *arg)
{
    static int have_prev;
    static jack_transport_state_t prev_state;
    static uint32_t prev_frame;
    static uint64_t rolling_seen;
    static jack_nframes_t prev_ft;
    (void)arg;
    if (mode != MODE_WATCH)
        return 0;
    jack_position_t pos;
    jack_transport_state_t st = jack_transport_query(client, &pos);
    atomic_fetch_add_explicit(&n_cycles, 1, memory_order_relaxed);
    if (pos.unique_1 != pos.unique_2)
        atomic_fetch_add_explicit(&n_torn, 1, memory_order_relaxed);
    if (st == JackTransportRolling)
        atomic_fetch_add_explicit(&n_rolling, 1, memory_order_relaxed);
    else if (st == JackTransportStarting)
        atomic_fetch_add_explicit(&n_starting, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&n_stopped, 1, memory_order_relaxed);
    /* a cycle we did not run (bypassed under load): the frame may have
     * moved by several periods; count it as a gap, do not judge it */
    jack_nframes_t ft = jack_last_frame_time(client);
    int gap = have_prev && ft - prev_ft != nframes;
    prev_ft = ft;
    if (gap)
        atomic_fetch_add_explicit(&n_gaps, 1, memory_order_relaxed);
    if (have_prev && !gap) {
        uint32_t want = prev_state == JackTransportRolling ? prev_frame + nframes : prev_frame;
        if (pos.frame != want)
            atomic_fetch_add_explicit(&n_jumps, 1, memory_order_relaxed);
        /* rolling on without having moved by exactly one period */
        if (prev_state == JackTransportRolling && st == JackTransportRolling &&
            pos.frame != want && pos.frame == prev_frame)
            atomic_fetch_add_explicit(&n_bad_advance, 1, memory_order_relaxed);
    }
    if (pos.valid & JackPositionBBT) {
        int32_t bar, beat, tick;
        bbt_of(pos.frame, pos.frame_rate, &bar, &beat, &tick);
        if (bar == pos.bar && beat == pos.beat && tick == pos.tick &&
            pos.beats_per_minute == (double)bpm && pos.beats_per_bar == BEATS_PER_BAR &&
            pos.bar_start_tick == (double)(bar - 1) * BEATS_PER_BAR * TPB)
            atomic_fetch_add_explicit(&n_bbt_ok, 1, memory_order_relaxed);
        else
            atomic_fetch_add_explicit(&n_bbt_bad, 1, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&n_bbt_missing, 1, memory_order_relaxed);
    }
    if (st == JackTransportRolling && locate_at >= 0 && ++rolling_seen == (uint64_t)locate_at) {
        if (jack_transport_locate(client, (jack_nframes_t)locate_frame) == 0)
            atomic_fetch_add_explicit(&n_located, 1, memory_order_relaxed);
    }
    have_prev = 1;
    prev_state = st;
    prev_frame = pos.frame;
    atomic_store_explicit(&last_frame, pos.frame, memory_order_relaxed);
    atomic_store_explicit(&last_state, (uint32_t)st, memory_order_relaxed);
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
    quit = 1;
}

#define G(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

/* Rewrite the status file atomically. Main thread. */
static int write_status(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f,
            "cycles=%llu rolling=%llu starting=%llu stopped=%llu torn=%llu jumps=%llu "
            "bad_advance=%llu bbt_ok=%llu bbt_bad=%llu bbt_missing=%llu frame=%llu state=%llu "
            "sync_calls=%llu sync_ready=%llu tb_calls=%llu tb_new=%llu timebase=%s "
            "located=%llu gaps=%llu\n",
            G(n_cycles), G(n_rolling), G(n_starting), G(n_stopped), G(n_torn), G(n_jumps),
            G(n_bad_advance), G(n_bbt_ok), G(n_bbt_bad), G(n_bbt_missing), G(last_frame),
            G(last_state), G(n_sync_calls), G(n_sync_ready), G(n_tb_calls), G(n_tb_new),
            timebase_result, G(n_located), G(n_gaps));
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

static void usage(FILE *f)
{
    fputs("usage: rill-test-transport sync|master|watch NAME --status FILE [--delay N] "
          "[--bpm B] [--conditional] [--locate-at K:FRAME]\n",
          f);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "status", required_argument, NULL, 's' },
        { "delay", required_argument, NULL, 'd' },
        { "bpm", required_argument, NULL, 'b' },
        { "conditional", no_argument, NULL, 'c' },
        { "locate-at", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *status = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 's': status = optarg; break;
        case 'd': delay_calls = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'b': bpm = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'c': conditional = 1; break;
        case 'l':
            if (sscanf(optarg, "%ld:%lu", &locate_at, &locate_frame) != 2 || locate_at < 1) {
                fprintf(stderr, "rill-test-transport: --locate-at wants K:FRAME, K >= 1\n");
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 2 || !status || bpm == 0 || delay_calls == 0) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[optind], "sync") == 0)
        mode = MODE_SYNC;
    else if (strcmp(argv[optind], "master") == 0)
        mode = MODE_MASTER;
    else if (strcmp(argv[optind], "watch") == 0)
        mode = MODE_WATCH;
    else {
        usage(stderr);
        return 2;
    }
    const char *name = argv[optind + 1];
    jack_status_t jst;
    client = jack_client_open(name, JackNoStartServer | JackUseExactName, &jst);
    if (!client) {
        fprintf(stderr, "rill-test-transport: cannot open '%s' (status 0x%x)\n", name,
                (unsigned)jst);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    jack_set_process_callback(client, process, NULL);
    if (mode == MODE_SYNC && jack_set_sync_callback(client, sync_cb, NULL) != 0) {
        fprintf(stderr, "rill-test-transport: jack_set_sync_callback failed\n");
        return 1;
    }
    if (jack_activate(client) != 0) {
        fprintf(stderr, "rill-test-transport: jack_activate failed\n");
        return 1;
    }
    if (mode == MODE_MASTER) {
        int r = jack_set_timebase_callback(client, conditional, timebase_cb, NULL);
        timebase_result = r == 0 ? "ok" : r == EBUSY ? "EBUSY" : "error";
    }
    while (!quit) {
        if (write_status(status) < 0) {
            fprintf(stderr, "rill-test-transport: cannot write %s\n", status);
            return 1;
        }
        struct timespec ts = { 0, 100000000 };
        nanosleep(&ts, NULL);
    }
    write_status(status);
    jack_client_close(client);
    return 0;
}
