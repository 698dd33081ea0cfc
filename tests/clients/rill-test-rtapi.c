/* tests/clients/rill-test-rtapi.c — every JACK call allowed in a process
 * callback, called in the process callback, for the realtime tests.
 *
 *   rill-test-rtapi NAME --status FILE [--connect-from PORT] [--connect-to PORT]
 *                   [--syscall]
 *
 * Ports: input "in", output "out" (out = in). Each cycle the process callback
 * calls the functions of rill's libjack that JACK allows there:
 * jack_port_get_buffer, jack_frame_time, jack_last_frame_time,
 * jack_frames_since_cycle_start, jack_get_cycle_times, jack_cpu_load,
 * jack_get_time, jack_frames_to_time, jack_time_to_frames,
 * jack_get_buffer_size, jack_get_sample_rate, jack_is_realtime,
 * jack_get_client_name, jack_port_name, jack_port_short_name,
 * jack_port_flags, jack_port_type, jack_port_type_id, jack_port_uuid,
 * jack_port_is_mine, jack_port_connected, jack_port_connected_to,
 * jack_port_get_latency_range, jack_port_name_size, jack_port_type_size,
 * jack_client_name_size; and checks what they return. (jack_port_get_latency
 * and jack_port_get_total_latency are deprecated: a -Werror build refuses
 * them.) A cycle where every
 * check holds is "ok", else "bad" (first_bad names the first failed check).
 *
 * --syscall makes one getppid(2) system call per cycle: the negative control
 * of tests/integration/rt-syscalls.sh.
 *
 * The thread init callback (on the realtime thread, before its first cycle)
 * records the thread's id; the status file (rewritten every 100 ms by the
 * main thread) holds "cycles= ok= bad= first_bad= tid=".
 * Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime error, 2 on a usage
 * error, 3 after the server shut the client down.
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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct rtapi {
    const char *name;
    const char *status_path;
    const char *from;
    const char *to;
    int do_syscall;
    jack_client_t *client;
    jack_port_t *in, *out;
    char in_name[320], out_name[320];
    /* counters and the first failed check; relaxed: report values only */
    atomic_uint_fast64_t cycles, ok, bad;
    _Atomic(const char *) first_bad;
    atomic_long tid;
};

static struct rtapi g;
static sem_t g_wake;
static atomic_int g_stop, g_shutdown; /* relaxed: sem_post orders the wake-up */

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            failed = #cond;                                                                  \
            goto done;                                                                       \
        }                                                                                    \
    } while (0)

/* The process callback. Realtime thread; RT-safe (no allocation, lock or
 * syscall; --syscall adds one on purpose). */
static int rtapi_process(jack_nframes_t nframes, void *arg)
{
    struct rtapi *r = arg;
    jack_client_t *c = r->client;
    const char *failed = NULL;

    if (r->do_syscall)
        (void)syscall(SYS_getppid);

    float *in = jack_port_get_buffer(r->in, nframes);
    float *out = jack_port_get_buffer(r->out, nframes);
    CHECK(in != NULL && out != NULL);
    if (in != out)
        memcpy(out, in, nframes * sizeof(float));

    CHECK(jack_get_buffer_size(c) == nframes);
    jack_nframes_t rate = jack_get_sample_rate(c);
    CHECK(rate > 0);
    jack_nframes_t last = jack_last_frame_time(c);
    jack_nframes_t now_frames = jack_frame_time(c);
    /* the estimate may run a little behind the cycle start: allow one period */
    CHECK((int32_t)(now_frames - last) >= -(int32_t)nframes);
    CHECK(jack_frames_since_cycle_start(c) < rate); /* less than 1 s into it */

    jack_nframes_t cur_frames = 0;
    jack_time_t cur_us = 0, next_us = 0;
    float period_us = 0;
    CHECK(jack_get_cycle_times(c, &cur_frames, &cur_us, &next_us, &period_us) == 0);
    CHECK(cur_frames == last);
    CHECK(next_us > cur_us && period_us > 0);
    jack_time_t t = jack_get_time();
    CHECK(t >= cur_us);
    CHECK(jack_frames_to_time(c, cur_frames) == cur_us);
    CHECK(jack_time_to_frames(c, cur_us) == cur_frames);
    float load = jack_cpu_load(c);
    CHECK(load >= 0.0f && load <= 1000.0f);
    (void)jack_is_realtime(c);

    CHECK(strcmp(jack_get_client_name(c), r->name) == 0 ||
          strncmp(jack_port_name(r->in), jack_get_client_name(c), strlen(jack_get_client_name(c))) == 0);
    CHECK(strcmp(jack_port_name(r->in), r->in_name) == 0);
    CHECK(strcmp(jack_port_short_name(r->out), "out") == 0);
    CHECK(jack_port_flags(r->in) & JackPortIsInput);
    CHECK(jack_port_flags(r->out) & JackPortIsOutput);
    CHECK(strcmp(jack_port_type(r->in), JACK_DEFAULT_AUDIO_TYPE) == 0);
    CHECK(jack_port_type_id(r->in) == jack_port_type_id(r->out));
    CHECK(jack_port_uuid(r->in) != jack_port_uuid(r->out));
    CHECK(jack_port_is_mine(c, r->in) && jack_port_is_mine(c, r->out));
    int conn = jack_port_connected(r->in);
    CHECK(conn >= 0);
    if (r->from && conn > 0)
        CHECK(jack_port_connected_to(r->in, r->from) == 1);
    CHECK(jack_port_connected_to(r->in, r->out_name) == 0);
    jack_latency_range_t range = { 0, 0 };
    jack_port_get_latency_range(r->in, JackCaptureLatency, &range);
    CHECK(range.min <= range.max);
    CHECK(jack_port_name_size() >= 256 && jack_client_name_size() >= 64);
    CHECK(jack_port_type_size() > 0);
done:
    if (failed) {
        const char *none = NULL;
        atomic_fetch_add_explicit(&r->bad, 1, memory_order_relaxed);
        atomic_compare_exchange_strong_explicit(&r->first_bad, &none, failed,
                                                memory_order_relaxed, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&r->ok, 1, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&r->cycles, 1, memory_order_relaxed);
    return 0;
}

/* Thread init callback: the realtime thread, before its first cycle. */
static void rtapi_thread_init(void *arg)
{
    struct rtapi *r = arg;
    atomic_store_explicit(&r->tid, (long)syscall(SYS_gettid), memory_order_relaxed);
}

/* Shutdown callback. Any thread: flag and sem_post only. */
static void rtapi_on_shutdown(void *arg)
{
    (void)arg;
    atomic_store_explicit(&g_shutdown, 1, memory_order_relaxed);
    sem_post(&g_wake);
}

/* SIGTERM/SIGINT. Any thread: flag and sem_post only. */
static void rtapi_on_signal(int sig)
{
    (void)sig;
    atomic_store_explicit(&g_stop, 1, memory_order_relaxed);
    sem_post(&g_wake);
}

/* Rewrite the status file. Main thread. 0 or -errno. */
static int rtapi_status(struct rtapi *r)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", r->status_path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    const char *fb = atomic_load_explicit(&r->first_bad, memory_order_relaxed);
    char fbs[128];
    snprintf(fbs, sizeof(fbs), "%s", fb ? fb : "-");
    for (char *p = fbs; *p; p++)
        if (*p == ' ')
            *p = '_';
    fprintf(f, "cycles=%" PRIu64 " ok=%" PRIu64 " bad=%" PRIu64 " tid=%ld first_bad=%s\n",
            (uint64_t)atomic_load_explicit(&r->cycles, memory_order_relaxed),
            (uint64_t)atomic_load_explicit(&r->ok, memory_order_relaxed),
            (uint64_t)atomic_load_explicit(&r->bad, memory_order_relaxed),
            atomic_load_explicit(&r->tid, memory_order_relaxed), fbs);
    if (fclose(f) != 0)
        return -errno;
    return rename(tmp, r->status_path) == 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "status", required_argument, NULL, 's' },
        { "connect-from", required_argument, NULL, 'f' },
        { "connect-to", required_argument, NULL, 't' },
        { "syscall", no_argument, NULL, 'y' },
        { NULL, 0, NULL, 0 },
    };
    struct rtapi *r = &g;
    int o, rc = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': r->status_path = optarg; break;
        case 'f': r->from = optarg; break;
        case 't': r->to = optarg; break;
        case 'y': r->do_syscall = 1; break;
        default: goto usage;
        }
    }
    if (optind + 1 != argc || !r->status_path)
        goto usage;
    r->name = argv[optind];
    sem_init(&g_wake, 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = rtapi_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    jack_status_t st = 0;
    r->client = jack_client_open(r->name, JackNoStartServer, &st);
    if (!r->client) {
        fprintf(stderr, "rill-test-rtapi: jack_client_open(%s) failed, status 0x%x\n", r->name,
                (unsigned)st);
        return 1;
    }
    r->in = jack_port_register(r->client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    r->out = jack_port_register(r->client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!r->in || !r->out) {
        fprintf(stderr, "rill-test-rtapi: cannot register ports\n");
        rc = 1;
        goto out;
    }
    snprintf(r->in_name, sizeof(r->in_name), "%s", jack_port_name(r->in));
    snprintf(r->out_name, sizeof(r->out_name), "%s", jack_port_name(r->out));
    jack_set_process_callback(r->client, rtapi_process, r);
    jack_set_thread_init_callback(r->client, rtapi_thread_init, r);
    jack_on_shutdown(r->client, rtapi_on_shutdown, r);
    if (jack_activate(r->client) != 0) {
        fprintf(stderr, "rill-test-rtapi: jack_activate failed\n");
        rc = 1;
        goto out;
    }
    if (r->from && jack_connect(r->client, r->from, r->in_name) != 0) {
        fprintf(stderr, "rill-test-rtapi: cannot connect %s to %s\n", r->from, r->in_name);
        rc = 1;
        goto out;
    }
    if (r->to && jack_connect(r->client, r->out_name, r->to) != 0) {
        fprintf(stderr, "rill-test-rtapi: cannot connect %s to %s\n", r->out_name, r->to);
        rc = 1;
        goto out;
    }
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed) &&
           !atomic_load_explicit(&g_shutdown, memory_order_relaxed)) {
        if (rtapi_status(r) < 0) {
            fprintf(stderr, "rill-test-rtapi: cannot write %s\n", r->status_path);
            rc = 1;
            goto out;
        }
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_nsec += 100 * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
        (void)sem_timedwait(&g_wake, &dl);
    }
    if (atomic_load_explicit(&g_shutdown, memory_order_relaxed))
        rc = 3;
    (void)rtapi_status(r);
out:
    if (rc != 3)
        jack_client_close(r->client);
    return rc;
usage:
    fprintf(stderr, "usage: rill-test-rtapi NAME --status FILE [--connect-from PORT] "
                    "[--connect-to PORT] [--syscall]\n");
    return 2;
}
