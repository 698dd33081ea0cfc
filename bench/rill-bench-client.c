/* bench/rill-bench-client.c — the one JACK client of the benchmarks.
 *
 *   rill-bench-client NAME [--ins N] [--outs 0|1] [--from PORT]... [--rec FILE]
 *                     [--ready FILE] [--max-cycles N]
 *
 * Built against the distribution's <jack/jack.h> and libjack, and run
 * unchanged on rilld (through rill-jack), on jackd2 and on PipeWire's libjack
 * (pw-jack), so the three servers are measured by the same code in the same
 * way. The client has N input ports in1..inN and optionally one output "out";
 * the k-th --from PORT is connected to in<k> once the client is active.
 *
 * Process callback (its realtime thread, RT-safe: no allocation, lock, stdio
 * or syscall): stamp CLOCK_MONOTONIC at entry, read jack_get_cycle_times and
 * jack_last_frame_time, out = 0.5 * sum(ins) (a small ramp when there is no
 * input), stamp CLOCK_MONOTONIC at exit, and append one record
 * (frame, start, end, cycle start) to a preallocated array while recording.
 *
 * SIGUSR1 starts recording; SIGTERM/SIGINT stops it, writes FILE (text: a
 * "#" header with the client's counters, then one record per line) and
 * exits 0. While recording, the main thread samples jack_cpu_load() every
 * 50 ms and the xrun callback counts the server's xrun reports.
 *
 * The server's clock (jack_get_time, cycle times) may not be
 * CLOCK_MONOTONIC (jackd2 uses CLOCK_MONOTONIC_RAW); the header carries
 * offset_us = jack_get_time() - CLOCK_MONOTONIC in µs, measured at start,
 * so bench/rill-bench-report can put the cycle start on the clients' clock.
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime error, 2 on a usage
 * error, 3 when the server shut the client down.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jack/jack.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_INS 128
#define BENCH_MAX_FROM 128

struct bench_rec {
    uint32_t frame;     /* jack_last_frame_time */
    uint32_t nframes;
    uint64_t start_ns;  /* CLOCK_MONOTONIC at process entry */
    uint64_t end_ns;    /* CLOCK_MONOTONIC at process exit */
    uint64_t cycle_us;  /* jack_get_cycle_times current_usecs (server clock) */
};

struct bench {
    const char *name;
    const char *rec_path;
    const char *ready_path;
    int nins;
    int nouts;
    const char *from[BENCH_MAX_FROM];
    int nfrom;
    size_t max_cycles;

    jack_client_t *client;
    jack_port_t *in[BENCH_MAX_INS];
    jack_port_t *out;

    /* realtime thread only, while recording; read by the main thread
     * after recording stopped (acquire on nrec) */
    struct bench_rec *rec;
    float phase;
    /* count of records; writer the realtime thread (release, so the main
     * thread that acquires it sees the records below it), reader main */
    _Atomic size_t nrec;
    /* 1 while recording; writer main thread, reader realtime thread.
     * Relaxed: a cycle recorded or not at the edge makes no difference. */
    atomic_int recording;
    /* counters; relaxed: independent report values */
    atomic_uint_fast64_t cycles;
    atomic_uint_fast64_t xruns;
    atomic_uint_fast64_t overflow;
};

static struct bench g_bench;
static sem_t g_wake;
static atomic_int g_sig_start, g_sig_stop, g_shutdown; /* relaxed: sem_post orders */

/* CLOCK_MONOTONIC in ns. RT-safe (vDSO). */
static uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The process callback. Realtime thread; RT-safe. */
static int bench_process(jack_nframes_t nframes, void *arg)
{
    struct bench *b = arg;
    uint64_t t0 = bench_now_ns();
    jack_nframes_t cur_frames = 0;
    jack_time_t cur_us = 0, next_us = 0;
    float period_us = 0;

    (void)jack_get_cycle_times(b->client, &cur_frames, &cur_us, &next_us, &period_us);
    jack_nframes_t frame = jack_last_frame_time(b->client);

    if (b->out) {
        float *out = jack_port_get_buffer(b->out, nframes);
        if (b->nins == 0) {
            for (jack_nframes_t i = 0; i < nframes; i++) {
                out[i] = b->phase;
                b->phase = b->phase > 0.5f ? -0.5f : b->phase + 0.001f;
            }
        } else {
            const float *in0 = jack_port_get_buffer(b->in[0], nframes);
            for (jack_nframes_t i = 0; i < nframes; i++)
                out[i] = 0.5f * in0[i];
            for (int k = 1; k < b->nins; k++) {
                const float *in = jack_port_get_buffer(b->in[k], nframes);
                for (jack_nframes_t i = 0; i < nframes; i++)
                    out[i] += 0.5f * in[i];
            }
        }
    } else {
        /* a sink still reads its inputs, as a real one would */
        volatile float acc = 0;
        for (int k = 0; k < b->nins; k++) {
            const float *in = jack_port_get_buffer(b->in[k], nframes);
            acc += in[0] + in[nframes - 1];
        }
        (void)acc;
    }

    atomic_fetch_add_explicit(&b->cycles, 1, memory_order_relaxed);
    if (atomic_load_explicit(&b->recording, memory_order_relaxed)) {
        size_t n = atomic_load_explicit(&b->nrec, memory_order_relaxed);
        if (n < b->max_cycles) {
            struct bench_rec *r = &b->rec[n];
            r->frame = frame;
            r->nframes = nframes;
            r->start_ns = t0;
            r->cycle_us = cur_us;
            r->end_ns = bench_now_ns();
            /* release: the main thread reading nrec sees the record */
            atomic_store_explicit(&b->nrec, n + 1, memory_order_release);
        } else {
            atomic_fetch_add_explicit(&b->overflow, 1, memory_order_relaxed);
        }
    }
    return 0;
}

/* Xrun callback. Notification (or realtime) thread: one atomic add. */
static int bench_xrun(void *arg)
{
    struct bench *b = arg;
    if (atomic_load_explicit(&b->recording, memory_order_relaxed))
        atomic_fetch_add_explicit(&b->xruns, 1, memory_order_relaxed);
    return 0;
}

/* Shutdown callback. Any thread: flag and sem_post only. */
static void bench_on_shutdown(void *arg)
{
    (void)arg;
    atomic_store_explicit(&g_shutdown, 1, memory_order_relaxed);
    sem_post(&g_wake);
}

/* Signal handler. Any thread: flags and sem_post only. */
static void bench_on_signal(int sig)
{
    if (sig == SIGUSR1)
        atomic_store_explicit(&g_sig_start, 1, memory_order_relaxed);
    else
        atomic_store_explicit(&g_sig_stop, 1, memory_order_relaxed);
    sem_post(&g_wake);
}

/* Write a small file atomically (tmp + rename). Main thread. */
static int bench_write_file(const char *path, const char *text)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fputs(text, f);
    if (fclose(f) != 0)
        return -errno;
    return rename(tmp, path) == 0 ? 0 : -errno;
}

/* Write the records. Main thread, after recording stopped. */
static int bench_write_records(struct bench *b, double load_mean, double load_max,
                               int64_t offset_us)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", b->rec_path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        int e = errno;
        fprintf(stderr, "rill-bench-client: cannot write %s: %s\n", tmp, strerror(e));
        return -e;
    }
    /* acquire: pairs with the realtime thread's release of nrec */
    size_t nrec = atomic_load_explicit(&b->nrec, memory_order_acquire);
    fprintf(f,
            "# name=%s ins=%d outs=%d records=%zu cycles=%" PRIu64 " xruns=%" PRIu64
            " overflow=%" PRIu64 " load_mean=%.3f load_max=%.3f offset_us=%" PRId64
            " rate=%u period=%u\n",
            b->name, b->nins, b->nouts, nrec,
            (uint64_t)atomic_load_explicit(&b->cycles, memory_order_relaxed),
            (uint64_t)atomic_load_explicit(&b->xruns, memory_order_relaxed),
            (uint64_t)atomic_load_explicit(&b->overflow, memory_order_relaxed), load_mean,
            load_max, offset_us, jack_get_sample_rate(b->client),
            jack_get_buffer_size(b->client));
    for (size_t i = 0; i < nrec; i++) {
        const struct bench_rec *r = &b->rec[i];
        fprintf(f, "%" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", r->frame,
                r->nframes, r->start_ns, r->end_ns, r->cycle_us);
    }
    if (fclose(f) != 0) {
        int e = errno;
        fprintf(stderr, "rill-bench-client: cannot write %s: %s\n", tmp, strerror(e));
        return -e;
    }
    return rename(tmp, b->rec_path) == 0 ? 0 : -errno;
}

/* Main thread. */
static void bench_usage(FILE *to)
{
    fprintf(to,
            "usage: rill-bench-client NAME [--ins N] [--outs 0|1] [--from PORT]...\n"
            "                         [--rec FILE] [--ready FILE] [--max-cycles N]\n"
            "  --ins N         input ports in1..inN (0..%d, default 1)\n"
            "  --outs N        0 or 1 output port \"out\" (default 1)\n"
            "  --from PORT     connect PORT to the next input (in order, repeatable)\n"
            "  --rec FILE      where to write the records at exit\n"
            "  --ready FILE    written once the client is active and connected\n"
            "  --max-cycles N  records kept (default 60000)\n"
            "SIGUSR1 starts recording, SIGTERM stops, writes FILE and exits.\n",
            BENCH_MAX_INS);
}

/* Parse the command line. Main thread. 0, or 2 on a usage error. */
static int bench_parse(struct bench *b, int argc, char **argv)
{
    static const struct option opts[] = {
        { "ins", required_argument, NULL, 'i' },  { "outs", required_argument, NULL, 'o' },
        { "from", required_argument, NULL, 'f' }, { "rec", required_argument, NULL, 'r' },
        { "ready", required_argument, NULL, 'y' }, { "max-cycles", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
    };
    b->nins = 1;
    b->nouts = 1;
    b->max_cycles = 60000;
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end = NULL;
        long v = 0;
        if (o == 'i' || o == 'o' || o == 'm') {
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || !end || *end || v < 0) {
                fprintf(stderr, "rill-bench-client: bad number '%s' for --%s\n", optarg,
                        o == 'i' ? "ins" : o == 'o' ? "outs" : "max-cycles");
                return 2;
            }
        }
        switch (o) {
        case 'i':
            if (v > BENCH_MAX_INS) {
                fprintf(stderr, "rill-bench-client: --ins %ld: at most %d\n", v, BENCH_MAX_INS);
                return 2;
            }
            b->nins = (int)v;
            break;
        case 'o':
            if (v > 1) {
                fprintf(stderr, "rill-bench-client: --outs %ld: 0 or 1\n", v);
                return 2;
            }
            b->nouts = (int)v;
            break;
        case 'm':
            if (v < 1 || v > 10000000) {
                fprintf(stderr, "rill-bench-client: --max-cycles %ld: 1..10000000\n", v);
                return 2;
            }
            b->max_cycles = (size_t)v;
            break;
        case 'f':
            if (b->nfrom >= BENCH_MAX_FROM) {
                fprintf(stderr, "rill-bench-client: at most %d --from\n", BENCH_MAX_FROM);
                return 2;
            }
            b->from[b->nfrom++] = optarg;
            break;
        case 'r': b->rec_path = optarg; break;
        case 'y': b->ready_path = optarg; break;
        case 'h': bench_usage(stdout); exit(0);
        default: bench_usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        bench_usage(stderr);
        return 2;
    }
    b->name = argv[optind];
    if (b->nfrom > b->nins) {
        fprintf(stderr, "rill-bench-client: %d --from but only %d input ports\n", b->nfrom,
                b->nins);
        return 2;
    }
    return 0;
}

/* Register ports, activate, connect. Main thread. 0 or 1. */
static int bench_setup(struct bench *b)
{
    jack_status_t status = 0;
    b->client = jack_client_open(b->name, JackNoStartServer, &status);
    if (!b->client) {
        fprintf(stderr, "rill-bench-client: jack_client_open(%s) failed, status 0x%x\n",
                b->name, (unsigned)status);
        return 1;
    }
    for (int k = 0; k < b->nins; k++) {
        char pn[32];
        snprintf(pn, sizeof(pn), "in%d", k + 1);
        b->in[k] = jack_port_register(b->client, pn, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        if (!b->in[k]) {
            fprintf(stderr, "rill-bench-client: cannot register %s\n", pn);
            return 1;
        }
    }
    if (b->nouts) {
        b->out = jack_port_register(b->client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
        if (!b->out) {
            fprintf(stderr, "rill-bench-client: cannot register out\n");
            return 1;
        }
    }
    jack_set_process_callback(b->client, bench_process, b);
    jack_set_xrun_callback(b->client, bench_xrun, b);
    jack_on_shutdown(b->client, bench_on_shutdown, b);
    if (jack_activate(b->client) != 0) {
        fprintf(stderr, "rill-bench-client: jack_activate failed\n");
        return 1;
    }
    for (int k = 0; k < b->nfrom; k++) {
        char dst[320];
        snprintf(dst, sizeof(dst), "%s:in%d", jack_get_client_name(b->client), k + 1);
        int r = jack_connect(b->client, b->from[k], dst);
        if (r != 0 && r != EEXIST) {
            fprintf(stderr, "rill-bench-client: jack_connect %s %s failed (%d)\n", b->from[k],
                    dst, r);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct bench *b = &g_bench;
    int rc = bench_parse(b, argc, argv);
    if (rc)
        return rc;
    b->rec = calloc(b->max_cycles, sizeof(*b->rec));
    if (!b->rec) {
        fprintf(stderr, "rill-bench-client: out of memory for %zu records\n", b->max_cycles);
        return 1;
    }
    /* touch every page now, not in the realtime thread */
    memset(b->rec, 0, b->max_cycles * sizeof(*b->rec));
    sem_init(&g_wake, 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = bench_on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    rc = bench_setup(b);
    if (rc)
        goto out;

    int64_t offset_us = (int64_t)jack_get_time() - (int64_t)(bench_now_ns() / 1000u);
    if (b->ready_path && bench_write_file(b->ready_path, "ready\n") < 0) {
        fprintf(stderr, "rill-bench-client: cannot write %s\n", b->ready_path);
        rc = 1;
        goto out;
    }

    double load_sum = 0, load_max = 0;
    unsigned long load_n = 0;
    while (!atomic_load_explicit(&g_sig_stop, memory_order_relaxed) &&
           !atomic_load_explicit(&g_shutdown, memory_order_relaxed)) {
        if (atomic_load_explicit(&g_sig_start, memory_order_relaxed) &&
            !atomic_load_explicit(&b->recording, memory_order_relaxed))
            atomic_store_explicit(&b->recording, 1, memory_order_relaxed);
        if (atomic_load_explicit(&b->recording, memory_order_relaxed)) {
            double l = jack_cpu_load(b->client);
            load_sum += l;
            load_n++;
            load_max = l > load_max ? l : load_max;
        }
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_nsec += 50 * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
        (void)sem_timedwait(&g_wake, &dl);
    }
    atomic_store_explicit(&b->recording, 0, memory_order_relaxed);
    if (atomic_load_explicit(&g_shutdown, memory_order_relaxed)) {
        fprintf(stderr, "rill-bench-client %s: the server shut the client down\n", b->name);
        rc = 3;
    }
    if (b->rec_path && bench_write_records(b, load_n ? load_sum / (double)load_n : 0.0, load_max,
                                           offset_us) < 0 && rc == 0)
        rc = 1;
out:
    if (b->client && rc != 3)
        jack_client_close(b->client);
    free(b->rec);
    return rc;
}
