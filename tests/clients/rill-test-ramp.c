/* tests/clients/rill-test-ramp.c — a self-describing signal for lossy links.
 *
 *   rill-test-ramp source NAME [--connect-to PORT]
 *   rill-test-ramp check NAME --connect-from PORT --block B --status FILE
 *
 * source: output "out" carries a counter: sample n is ((n mod 2^23) + 1)
 *   / 2^23, never 0 and exact in binary32, counted from the client's first
 *   cycle. It needs no common frame clock, so it can run on one server
 *   (jackd2, a NetJACK2 master) and be checked on another (rill following
 *   it), where periods may go missing.
 * check: input "in". Before the first sample that is not 0 nothing is
 *   judged. Then each period is split into blocks of B frames (B divides the
 *   period: the frames of one NetJACK2 audio sub-packet). A block is lost
 *   (all 0: its datagram never came) or present; every present sample must
 *   agree with one counter value for the period (in order, one step a
 *   frame), and the period's counter must follow the previous period's by
 *   a whole number of periods (a jump: cycles the link skipped, counted in
 *   gap_frames). Anything else is bad: a block partly 0, a sample out of
 *   place, a jump backwards or by a part of a period.
 *   FILE gets, every 100 ms and at the end, one line
 *     periods=N ok=N lost_blocks=N gap_frames=N bad=N first_bad=TEXT
 *   (ok: periods with every block present and no jump).
 *
 * The process callback only touches its own fields and relaxed atomics.
 * Exit 0 after SIGTERM/SIGINT, 1 on a JACK error, 2 on a usage error.
 */
#include <jack/jack.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAMP_MOD (1u << 23)
#define RAMP_SCALE (1.0f / (float)RAMP_MOD)

static volatile sig_atomic_t quit;
static void on_signal(int sig) { (void)sig; quit = 1; }

struct ramp {
    int check;
    uint32_t block;
    jack_client_t *client;
    jack_port_t *port;
    uint32_t counter;          /* source */
    /* check: realtime thread only */
    int started, have_prev;
    uint32_t next_base;        /* the counter the next period should start at */
    /* realtime thread writes, main thread reads (relaxed: a report) */
    _Atomic uint64_t periods, ok, lost_blocks, gap_frames, silent_periods, bad;
    _Atomic uint32_t first_bad_period, first_bad_why;
};

enum { WHY_NONE, WHY_PARTIAL, WHY_VALUE, WHY_JUMP, WHY_BLOCK };
static const char *const whys[] = { "none", "block-partly-silent", "sample-out-of-place",
                                    "jump-not-whole-periods", "period-not-multiple-of-block" };

static void bad(struct ramp *r, uint32_t why)
{
    if (atomic_fetch_add_explicit(&r->bad, 1, memory_order_relaxed) == 0) {
        atomic_store_explicit(&r->first_bad_period,
                              (uint32_t)atomic_load_explicit(&r->periods, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&r->first_bad_why, why, memory_order_relaxed);
    }
}

static void check_period(struct ramp *r, const float *in, uint32_t n)
{
    uint32_t base = 0;
    int have_base = 0;
    for (uint32_t i = 0; i < n && !have_base; i++)
        if (in[i] != 0.0f) {
            uint32_t k = (uint32_t)(in[i] * (float)RAMP_MOD); /* 1..2^23, exact */
            base = (k - 1u - i) & (RAMP_MOD - 1u);
            have_base = 1;
        }
    if (!r->started && !have_base)
        return;
    r->started = 1;
    atomic_fetch_add_explicit(&r->periods, 1, memory_order_relaxed);
    if (n % r->block) {
        bad(r, WHY_BLOCK);
        return;
    }
    uint32_t lost = 0;
    for (uint32_t b = 0; b < n; b += r->block) {
        uint32_t zeros = 0;
        for (uint32_t i = b; i < b + r->block; i++) {
            if (in[i] == 0.0f) {
                zeros++;
                continue;
            }
            float want = (float)(((base + i) & (RAMP_MOD - 1u)) + 1u) * RAMP_SCALE;
            if (in[i] != want) {
                bad(r, WHY_VALUE);
                return;
            }
        }
        if (zeros == r->block)
            lost++;
        else if (zeros) {
            bad(r, WHY_PARTIAL);
            return;
        }
    }
    uint32_t jump = 0;
    if (!have_base) {
        /* all silent: either its datagrams were lost (the next period's
         * counter then jumps) or the follower played a period of silence
         * on its own while it waited (the counter does not move); what is
         * missing shows in the next jump either way, so a silent period
         * counts only as such */
        atomic_fetch_add_explicit(&r->silent_periods, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&r->lost_blocks, lost, memory_order_relaxed);
    if (r->have_prev) {
        jump = (base - r->next_base) & (RAMP_MOD - 1u);
        if (jump % n || jump >= RAMP_MOD / 2u) {
            bad(r, WHY_JUMP);
            jump = 0;
        }
        atomic_fetch_add_explicit(&r->gap_frames, jump, memory_order_relaxed);
    }
    r->have_prev = 1;
    r->next_base = (base + n) & (RAMP_MOD - 1u);
    if (!lost && !jump)
        atomic_fetch_add_explicit(&r->ok, 1, memory_order_relaxed);
}

static int process(jack_nframes_t n, void *arg)
{
    struct ramp *r = arg;
    float *buf = jack_port_get_buffer(r->port, n);
    if (r->check) {
        check_period(r, buf, n);
        return 0;
    }
    for (jack_nframes_t i = 0; i < n; i++) {
        buf[i] = (float)((r->counter & (RAMP_MOD - 1u)) + 1u) * RAMP_SCALE;
        r->counter++;
    }
    return 0;
}

static void write_status(struct ramp *r, const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    uint32_t why = atomic_load_explicit(&r->first_bad_why, memory_order_relaxed);
    fprintf(f, "periods=%llu ok=%llu lost_blocks=%llu gap_frames=%llu silent=%llu bad=%llu "
            "first_bad=%s@%u\n",
            (unsigned long long)atomic_load_explicit(&r->periods, memory_order_relaxed),
            (unsigned long long)atomic_load_explicit(&r->ok, memory_order_relaxed),
            (unsigned long long)atomic_load_explicit(&r->lost_blocks, memory_order_relaxed),
            (unsigned long long)atomic_load_explicit(&r->gap_frames, memory_order_relaxed),
            (unsigned long long)atomic_load_explicit(&r->silent_periods, memory_order_relaxed),
            (unsigned long long)atomic_load_explicit(&r->bad, memory_order_relaxed),
            whys[why < 5 ? why : 0],
            atomic_load_explicit(&r->first_bad_period, memory_order_relaxed));
    fclose(f);
    rename(tmp, path);
}

static int usage(void)
{
    fprintf(stderr, "usage: rill-test-ramp source NAME [--connect-to PORT]\n"
                    "       rill-test-ramp check NAME --connect-from PORT --block B "
                    "--status FILE\n");
    return 2;
}

int main(int argc, char **argv)
{
    static struct ramp r;
    const char *peer = NULL, *status = NULL;
    if (argc < 3)
        return usage();
    if (strcmp(argv[1], "check") == 0)
        r.check = 1;
    else if (strcmp(argv[1], "source") != 0)
        return usage();
    for (int i = 3; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        if (!strcmp(argv[i], "--connect-to") || !strcmp(argv[i], "--connect-from"))
            peer = argv[++i];
        else if (!strcmp(argv[i], "--block"))
            r.block = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--status"))
            status = argv[++i];
        else
            return usage();
    }
    if (r.check && (!peer || !status || r.block == 0))
        return usage();
    jack_status_t st;
    r.client = jack_client_open(argv[2], JackNoStartServer, &st);
    if (!r.client) {
        fprintf(stderr, "rill-test-ramp: cannot open a JACK client (status 0x%x)\n", st);
        return 1;
    }
    r.port = jack_port_register(r.client, r.check ? "in" : "out", JACK_DEFAULT_AUDIO_TYPE,
                                r.check ? JackPortIsInput : JackPortIsOutput, 0);
    if (!r.port || jack_set_process_callback(r.client, process, &r) || jack_activate(r.client)) {
        fprintf(stderr, "rill-test-ramp: cannot register or activate\n");
        return 1;
    }
    if (peer) {
        int e = r.check ? jack_connect(r.client, peer, jack_port_name(r.port))
                        : jack_connect(r.client, jack_port_name(r.port), peer);
        if (e) {
            fprintf(stderr, "rill-test-ramp: cannot connect to %s\n", peer);
            return 1;
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!quit) {
        if (status)
            write_status(&r, status);
        usleep(100000);
    }
    jack_deactivate(r.client);
    if (status)
        write_status(&r, status);
    jack_client_close(r.client);
    return 0;
}
