/* tests/clients/rill-test-chain.c — a JACK client for the integration tests.
 *
 *   rill-test-chain MODE NAME [options]
 *
 * MODE source: output "out"; sample i of a cycle is sig(frame), frame =
 *              jack_last_frame_time() + i.
 * MODE pass:   "in" -> "out", copied.
 * MODE sink:   input "in"; every sample must equal sig(frame - latency).
 *              Each cycle is counted as ok (all equal), silent (all zero) or
 *              bad (anything else; the first bad frame is remembered).
 *              With a latency, a cycle whose delayed frames reach back across
 *              a jump of the frame time (an xrun: periods were skipped) cannot
 *              be checked: a mismatch there is counted as skipped, not bad.
 *
 * sig(f) is a hash of the frame number turned into a float that is exact in
 * binary32 and never 0, so a copy, a sum with silence and a delay of whole
 * periods are all checked bit for bit.
 *
 * Built against <jack/jack.h> and the system libjack; the tests run it through
 * tools/rill-jack so that it loads rill's libjack.so.0. The process callback
 * only touches atomics (except with --alloc / --mutex, which exist to prove
 * that the realtime allocation trap fires).
 *
 * Exit status: 0 after SIGTERM/SIGINT or --seconds, 3 after the server shut
 * the client down, 1 on a runtime error, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jack/jack.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum chain_mode { MODE_SOURCE, MODE_PASS, MODE_SINK };

#define NO_BAD_FRAME UINT64_MAX

struct chain {
    enum chain_mode mode;
    const char *name;
    const char *status_path;
    const char *connect_from;
    const char *connect_to;
    uint32_t latency;
    double seconds;
    int alloc;
    int mutex;
    uint32_t spin_after;
    uint32_t busy_us;
    int silent_out;

    jack_client_t *client;
    jack_port_t *in;
    jack_port_t *out;

    /* Written by the realtime thread, read by the main thread. Relaxed is
     * enough: each counter is independent and only ever read for a report;
     * nothing else is published through them. */
    atomic_uint_fast64_t cycles;
    atomic_uint_fast64_t ok;
    atomic_uint_fast64_t silent;
    atomic_uint_fast64_t bad;
    atomic_uint_fast64_t first_bad;
    atomic_uint_fast64_t skipped;
    atomic_uint_fast32_t nframes;
    /* the size the buffer-size callback last announced, and the cycles whose
     * nframes differed from it (a process call before its callback) */
    atomic_uint_fast32_t bufsize;
    atomic_uint_fast64_t bufsize_mismatch;
    atomic_uint_fast64_t bufsize_calls;

    /* Realtime thread only (one cycle after the other): where the frame time
     * has been contiguous since. */
    int have_prev;
    jack_nframes_t prev_frame0;
    jack_nframes_t prev_nframes;
    uint64_t contiguous;
};

static struct chain g_chain;
static pthread_mutex_t g_rt_mutex = PTHREAD_MUTEX_INITIALIZER;
static sem_t g_wake;
/* Set by the signal handler / the shutdown callback, read by the main loop.
 * Relaxed is enough: sem_post/sem_wait order the wake-up, and a flag seen one
 * loop late only delays the exit by 100 ms. */
static atomic_int g_stop;
static atomic_int g_shutdown;
static volatile sig_atomic_t g_exit_code;

/* A 32-bit mixer (xorshift-multiply rounds). Any thread. */
static uint32_t chain_hash(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* The test signal at frame f: (odd 23-bit integer) / 2^23 - 0.5, which is
 * exact in a float and never 0 (the numerator is odd, 2^22 is even). Any
 * thread. */
static float chain_sig(uint32_t f)
{
    uint32_t n = (chain_hash(f) >> 9) | 1u;
    return (float)n / 8388608.0f - 0.5f;
}

/* Keep a malloc/free pair from being optimised away. RT path of --alloc only. */
static void chain_alloc_once(void)
{
    void *p = malloc(64);
    __asm__ volatile("" : : "g"(p) : "memory");
    free(p);
}

/* Check one cycle of the sink. RT-safe. */
static void chain_check(struct chain *c, const float *in, jack_nframes_t nframes,
                        jack_nframes_t frame0)
{
    int all_ok = 1, all_zero = 1, checkable;
    uint64_t bad_frame = NO_BAD_FRAME;

    /* frames of contiguous frame time up to this cycle's start */
    if (c->have_prev && frame0 != (jack_nframes_t)(c->prev_frame0 + c->prev_nframes))
        c->contiguous = 0;
    c->have_prev = 1;
    c->prev_frame0 = frame0;
    c->prev_nframes = nframes;
    checkable = c->contiguous >= c->latency;
    if (c->contiguous < UINT64_MAX / 2)
        c->contiguous += nframes;

    for (jack_nframes_t i = 0; i < nframes; i++) {
        uint32_t f = (uint32_t)(frame0 + i);
        float want = chain_sig(f - c->latency);
        if (in[i] != want) {
            all_ok = 0;
            if (bad_frame == NO_BAD_FRAME && in[i] != 0.0f)
                bad_frame = f;
        }
        if (in[i] != 0.0f)
            all_zero = 0;
    }
    if (all_ok) {
        atomic_fetch_add_explicit(&c->ok, 1, memory_order_relaxed);
    } else if (all_zero) {
        atomic_fetch_add_explicit(&c->silent, 1, memory_order_relaxed);
    } else if (!checkable) {
        atomic_fetch_add_explicit(&c->skipped, 1, memory_order_relaxed);
    } else {
        uint64_t none = NO_BAD_FRAME;
        if (bad_frame == NO_BAD_FRAME)
            bad_frame = frame0;
        atomic_fetch_add_explicit(&c->bad, 1, memory_order_relaxed);
        /* only the first bad frame is kept; relaxed: a report value */
        atomic_compare_exchange_strong_explicit(&c->first_bad, &none, bad_frame,
                                                memory_order_relaxed, memory_order_relaxed);
    }
}

/* The process callback. RT-safe (except the deliberate --alloc/--mutex). */
/* Notification thread: JACK calls it inside jack_activate and before the
 * first process call at a new size. */
static int chain_bufsize(jack_nframes_t nframes, void *arg)
{
    struct chain *c = arg;
    atomic_store_explicit(&c->bufsize, nframes, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->bufsize_calls, 1, memory_order_relaxed);
    return 0;
}

static int chain_process(jack_nframes_t nframes, void *arg)
{
    struct chain *c = arg;
    jack_nframes_t frame0 = jack_last_frame_time(c->client);

    if (c->alloc)
        chain_alloc_once();
    if (c->mutex) {
        pthread_mutex_lock(&g_rt_mutex);
        pthread_mutex_unlock(&g_rt_mutex);
    }
    /* --busy-us: a client with real work, N us of CPU per cycle (the
     * monotonic clock is read through the vDSO: no system call) */
    if (c->busy_us) {
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int64_t until = (int64_t)t0.tv_sec * 1000000000 + t0.tv_nsec + (int64_t)c->busy_us * 1000;
        do
            clock_gettime(CLOCK_MONOTONIC, &t);
        while ((int64_t)t.tv_sec * 1000000000 + t.tv_nsec < until);
    }
    /* --spin-after: a hung process callback that burns its core; only a
     * signal ends it (relaxed: a stop flag) */
    if (c->spin_after &&
        atomic_load_explicit(&c->cycles, memory_order_relaxed) >= c->spin_after)
        while (!atomic_load_explicit(&g_stop, memory_order_relaxed))
            ;

    switch (c->mode) {
    case MODE_SOURCE: {
        float *out = jack_port_get_buffer(c->out, nframes);
        for (jack_nframes_t i = 0; i < nframes; i++)
            out[i] = chain_sig((uint32_t)(frame0 + i));
        break;
    }
    case MODE_PASS: {
        const float *in = jack_port_get_buffer(c->in, nframes);
        float *out = jack_port_get_buffer(c->out, nframes);
        if (in != out)
            memcpy(out, in, sizeof(float) * nframes);
        break;
    }
    case MODE_SINK: {
        const float *in = jack_port_get_buffer(c->in, nframes);
        chain_check(c, in, nframes, frame0);
        if (c->out) {
            float *out = jack_port_get_buffer(c->out, nframes);
            memset(out, 0, sizeof(float) * nframes);
        }
        break;
    }
    }
    atomic_store_explicit(&c->nframes, nframes, memory_order_relaxed);
    if (nframes != atomic_load_explicit(&c->bufsize, memory_order_relaxed))
        atomic_fetch_add_explicit(&c->bufsize_mismatch, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->cycles, 1, memory_order_relaxed);
    return 0;
}

/* jack_on_shutdown callback. Notification (or realtime) thread: only flags
 * and sem_post, which are async-signal-safe and do not block. */
static void chain_on_shutdown(void *arg)
{
    (void)arg;
    atomic_store_explicit(&g_shutdown, 1, memory_order_relaxed);
    sem_post(&g_wake);
}

/* SIGTERM/SIGINT. Any thread (signal handler). */
static void chain_on_signal(int sig)
{
    (void)sig;
    atomic_store_explicit(&g_stop, 1, memory_order_relaxed);
    sem_post(&g_wake);
}

/* SIGALRM: a close that hangs after shutdown must not hang the test. */
static void chain_on_alarm(int sig)
{
    (void)sig;
    _exit(g_exit_code);
}

/* Rewrite the status file (FILE.tmp then rename). Main thread. */
static int chain_write_status(struct chain *c, int shutdown)
{
    char tmp[4096];
    FILE *f;
    uint64_t first_bad;
    int n;

    if (!c->status_path)
        return 0;
    n = snprintf(tmp, sizeof(tmp), "%s.tmp", c->status_path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        fprintf(stderr, "rill-test-chain: --status path too long (at most %zu bytes)\n",
                sizeof(tmp) - 5);
        return -ENAMETOOLONG;
    }
    f = fopen(tmp, "w");
    if (!f) {
        int e = errno;
        fprintf(stderr, "rill-test-chain: cannot write %s: %s\n", tmp, strerror(e));
        return -e;
    }
    first_bad = atomic_load_explicit(&c->first_bad, memory_order_relaxed);
    fprintf(f, "cycles=%" PRIu64 " ok=%" PRIu64 " silent=%" PRIu64 " bad=%" PRIu64,
            (uint64_t)atomic_load_explicit(&c->cycles, memory_order_relaxed),
            (uint64_t)atomic_load_explicit(&c->ok, memory_order_relaxed),
            (uint64_t)atomic_load_explicit(&c->silent, memory_order_relaxed),
            (uint64_t)atomic_load_explicit(&c->bad, memory_order_relaxed));
    if (first_bad == NO_BAD_FRAME)
        fprintf(f, " first_bad=-1");
    else
        fprintf(f, " first_bad=%" PRIu64, first_bad);
    fprintf(f, " bufsize_calls=%" PRIuFAST64 " bufsize_mismatch=%" PRIuFAST64,
            atomic_load_explicit(&c->bufsize_calls, memory_order_relaxed),
            atomic_load_explicit(&c->bufsize_mismatch, memory_order_relaxed));
    fprintf(f, " nframes=%" PRIuFAST32 " skipped=%" PRIu64,
            atomic_load_explicit(&c->nframes, memory_order_relaxed),
            (uint64_t)atomic_load_explicit(&c->skipped, memory_order_relaxed));
    if (shutdown)
        fprintf(f, " shutdown=1");
    fprintf(f, "\n");
    if (fclose(f) != 0) {
        int e = errno;
        fprintf(stderr, "rill-test-chain: cannot write %s: %s\n", tmp, strerror(e));
        return -e;
    }
    if (rename(tmp, c->status_path) != 0) {
        int e = errno;
        fprintf(stderr, "rill-test-chain: cannot rename %s to %s: %s\n", tmp, c->status_path,
                strerror(e));
        return -e;
    }
    return 0;
}

static void chain_usage(FILE *out)
{
    fprintf(out,
            "usage: rill-test-chain MODE NAME [options]\n"
            "  MODE: source (output 'out'), pass ('in' -> 'out'), sink (input 'in')\n"
            "  NAME: the JACK client name (used exactly)\n"
            "options:\n"
            "  --latency FRAMES     sink: expect the source's signal FRAMES late (default 0)\n"
            "  --silent-out         sink: also register an output 'out' that carries zeros\n"
            "  --status FILE        rewrite FILE every 100 ms: cycles= ok= silent= bad=\n"
            "                       first_bad= nframes= skipped= [shutdown=1]\n"
            "  --seconds S          run S seconds, then exit 0 (default: until a signal)\n"
            "  --connect-from PORT  after activating, connect PORT to our 'in'\n"
            "  --connect-to PORT    after activating, connect our 'out' to PORT\n"
            "  --alloc              malloc/free in the process callback (trap test)\n"
            "  --mutex              lock a mutex in the process callback (trap test)\n"
            "  --spin-after N       after N cycles, spin in the process callback until\n"
            "                       SIGTERM/SIGINT (a hung client, placement test)\n"
            "  --busy-us N          burn N us of CPU in every process callback (1..1000000)\n"
            "exit: 0 on SIGTERM/SIGINT or --seconds, 3 when the server shut us down,\n"
            "      1 on a runtime error, 2 on a usage error\n");
}

/* Parse an unsigned decimal within [lo, hi]. Main thread. */
static int chain_parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi,
                           uint32_t *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "rill-test-chain: %s '%s': expected an integer from %u to %u\n", opt,
                s, lo, hi);
        return -EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}

/* Parse the command line into c. Returns 0, 1 for --help, or -EINVAL. Main
 * thread. */
static int chain_parse(struct chain *c, int argc, char **argv)
{
    enum { OPT_LATENCY = 256, OPT_STATUS, OPT_SECONDS, OPT_FROM, OPT_TO, OPT_ALLOC,
           OPT_MUTEX, OPT_SILENT_OUT, OPT_SPIN_AFTER, OPT_BUSY_US };
    static const struct option opts[] = {
        {"latency", required_argument, NULL, OPT_LATENCY},
        {"status", required_argument, NULL, OPT_STATUS},
        {"seconds", required_argument, NULL, OPT_SECONDS},
        {"connect-from", required_argument, NULL, OPT_FROM},
        {"connect-to", required_argument, NULL, OPT_TO},
        {"alloc", no_argument, NULL, OPT_ALLOC},
        {"mutex", no_argument, NULL, OPT_MUTEX},
        {"spin-after", required_argument, NULL, OPT_SPIN_AFTER},
        {"busy-us", required_argument, NULL, OPT_BUSY_US},
        {"silent-out", no_argument, NULL, OPT_SILENT_OUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int o;

    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case OPT_LATENCY:
            if (chain_parse_u32("--latency", optarg, 0, 1u << 20, &c->latency))
                return -EINVAL;
            break;
        case OPT_STATUS:
            c->status_path = optarg;
            break;
        case OPT_SECONDS: {
            char *end;
            errno = 0;
            c->seconds = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(c->seconds > 0) || c->seconds > 86400) {
                fprintf(stderr,
                        "rill-test-chain: --seconds '%s': expected a number of seconds in "
                        "(0, 86400]\n", optarg);
                return -EINVAL;
            }
            break;
        }
        case OPT_FROM:
            c->connect_from = optarg;
            break;
        case OPT_TO:
            c->connect_to = optarg;
            break;
        case OPT_BUSY_US:
            if (chain_parse_u32("--busy-us", optarg, 1, 1000000, &c->busy_us))
                return -EINVAL;
            break;
        case OPT_SPIN_AFTER:
            if (chain_parse_u32("--spin-after", optarg, 1, UINT32_MAX, &c->spin_after))
                return -EINVAL;
            break;
        case OPT_ALLOC:
            c->alloc = 1;
            break;
        case OPT_MUTEX:
            c->mutex = 1;
            break;
        case OPT_SILENT_OUT:
            c->silent_out = 1;
            break;
        case 'h':
            return 1;
        default:
            return -EINVAL;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "rill-test-chain: expected MODE and NAME, got %d argument(s)\n",
                argc - optind);
        return -EINVAL;
    }
    if (!strcmp(argv[optind], "source")) {
        c->mode = MODE_SOURCE;
    } else if (!strcmp(argv[optind], "pass")) {
        c->mode = MODE_PASS;
    } else if (!strcmp(argv[optind], "sink")) {
        c->mode = MODE_SINK;
    } else {
        fprintf(stderr, "rill-test-chain: unknown MODE '%s': expected source, pass or sink\n",
                argv[optind]);
        return -EINVAL;
    }
    c->name = argv[optind + 1];
    if (!c->name[0]) {
        fprintf(stderr, "rill-test-chain: NAME is empty: expected a client name\n");
        return -EINVAL;
    }
    if (c->silent_out && c->mode != MODE_SINK) {
        fprintf(stderr, "rill-test-chain: --silent-out is for sink mode only\n");
        return -EINVAL;
    }
    if (c->connect_from && c->mode == MODE_SOURCE) {
        fprintf(stderr, "rill-test-chain: --connect-from needs an input (pass or sink mode)\n");
        return -EINVAL;
    }
    if (c->connect_to && c->mode == MODE_SINK && !c->silent_out) {
        fprintf(stderr, "rill-test-chain: --connect-to needs an output (source, pass, or "
                        "sink with --silent-out)\n");
        return -EINVAL;
    }
    return 0;
}

/* Register the ports of the mode. Main thread. */
static int chain_ports(struct chain *c)
{
    if (c->mode != MODE_SOURCE) {
        c->in = jack_port_register(c->client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        if (!c->in) {
            fprintf(stderr, "rill-test-chain: cannot register port '%s:in'\n", c->name);
            return -EIO;
        }
    }
    if (c->mode != MODE_SINK || c->silent_out) {
        c->out =
            jack_port_register(c->client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
        if (!c->out) {
            fprintf(stderr, "rill-test-chain: cannot register port '%s:out'\n", c->name);
            return -EIO;
        }
    }
    return 0;
}

/* Connect as asked on the command line. Main thread. */
static int chain_connect(struct chain *c)
{
    char own[512];
    int r;

    if (c->connect_from) {
        snprintf(own, sizeof(own), "%s", jack_port_name(c->in));
        r = jack_connect(c->client, c->connect_from, own);
        if (r != 0) {
            fprintf(stderr, "rill-test-chain: cannot connect %s to %s (error %d)\n",
                    c->connect_from, own, r);
            return -EIO;
        }
    }
    if (c->connect_to) {
        snprintf(own, sizeof(own), "%s", jack_port_name(c->out));
        r = jack_connect(c->client, own, c->connect_to);
        if (r != 0) {
            fprintf(stderr, "rill-test-chain: cannot connect %s to %s (error %d)\n", own,
                    c->connect_to, r);
            return -EIO;
        }
    }
    return 0;
}

static double chain_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep until 100 ms passed or something woke us. Main thread. */
static void chain_nap(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (sem_timedwait(&g_wake, &ts) != 0 && errno == EINTR)
        ;
}

int main(int argc, char **argv)
{
    struct chain *c = &g_chain;
    struct sigaction sa;
    jack_status_t status = 0;
    double start;
    int r, ret = 1, shutdown = 0;

    atomic_init(&c->cycles, 0);
    atomic_init(&c->ok, 0);
    atomic_init(&c->silent, 0);
    atomic_init(&c->bad, 0);
    atomic_init(&c->first_bad, NO_BAD_FRAME);
    atomic_init(&c->nframes, 0);
    atomic_init(&c->bufsize, 0);
    atomic_init(&c->bufsize_mismatch, 0);
    atomic_init(&c->bufsize_calls, 0);
    atomic_init(&c->skipped, 0);

    r = chain_parse(c, argc, argv);
    if (r == 1) {
        chain_usage(stdout);
        return 0;
    }
    if (r < 0) {
        chain_usage(stderr);
        return 2;
    }

    if (sem_init(&g_wake, 0, 0) != 0) {
        perror("rill-test-chain: sem_init");
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = chain_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = chain_on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    c->client = jack_client_open(c->name, JackNoStartServer | JackUseExactName, &status);
    if (!c->client) {
        fprintf(stderr, "rill-test-chain: cannot open client '%s' (jack status 0x%x)%s\n",
                c->name, (unsigned)status,
                (status & JackServerFailed) ? ": no server running" : "");
        goto out_sem;
    }
    if (chain_ports(c) < 0)
        goto out_close;
    if (jack_set_buffer_size_callback(c->client, chain_bufsize, c) != 0) {
        fprintf(stderr, "rill-test-chain: jack_set_buffer_size_callback failed\n");
        goto out_close;
    }
    if (jack_set_process_callback(c->client, chain_process, c) != 0) {
        fprintf(stderr, "rill-test-chain: jack_set_process_callback failed\n");
        goto out_close;
    }
    jack_on_shutdown(c->client, chain_on_shutdown, c);
    if (jack_activate(c->client) != 0) {
        fprintf(stderr, "rill-test-chain: jack_activate failed\n");
        goto out_close;
    }
    if (chain_connect(c) < 0)
        goto out_close;
    if (chain_write_status(c, 0) < 0)
        goto out_close;

    start = chain_now();
    for (;;) {
        chain_nap();
        if (atomic_load_explicit(&g_shutdown, memory_order_relaxed)) {
            shutdown = 1;
            break;
        }
        if (atomic_load_explicit(&g_stop, memory_order_relaxed))
            break;
        if (c->seconds > 0 && chain_now() - start >= c->seconds)
            break;
        chain_write_status(c, 0);
    }

    if (shutdown) {
        fprintf(stderr, "rill-test-chain: '%s' was shut down by the server\n", c->name);
        chain_write_status(c, 1);
        ret = 3;
        /* jack_client_close after a shutdown must not hang: give it 5 s */
        g_exit_code = 3;
        alarm(5);
        jack_client_close(c->client);
        goto out_sem;
    }
    jack_deactivate(c->client);
    ret = chain_write_status(c, 0) < 0 ? 1 : 0;
    g_exit_code = (sig_atomic_t)ret;
    alarm(5);
    jack_client_close(c->client);
    goto out_sem;

out_close:
    g_exit_code = 1;
    alarm(5);
    jack_client_close(c->client);
out_sem:
    sem_destroy(&g_wake);
    return ret;
}
