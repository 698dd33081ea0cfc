/* bench/rill-bench-osc.c — OSC requests per second, and the time from
 * /rill/connect to the connection being live in the cycle.
 *
 *   rill-bench-osc rps URL KIND N
 *       KIND ping, status or connect (connect and disconnect of
 *       system:capture_1 -> system:playback_1, alternately). N requests with
 *       up to 32 in flight, over URL (osc.udp://127.0.0.1:PORT/ or
 *       osc.unix:///path). Prints "rps KIND N SECONDS REQUESTS_PER_S".
 *   rill-bench-osc live URL SOURCE N
 *       A JACK client "oscbench" with input "in". N times: send
 *       /rill/connect SOURCE oscbench:in, take the time of /rill/ok and of
 *       the first cycle whose input is not silent (seen by the process
 *       callback), disconnect, wait for silence. Prints the median and the
 *       95th percentile of both, in microseconds.
 *
 * liblo encodes the requests and decodes the answers; bundles are split
 * here. Run by bench/osc.sh (make bench); never a test.
 */
#include <errno.h>
#include <jack/jack.h>
#include <lo/lo.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

static int sock = -1;
static struct sockaddr_storage dest;
static socklen_t destlen;
static char unix_path[108];

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cleanup(void)
{
    if (unix_path[0])
        unlink(unix_path);
}

static int open_url(const char *url)
{
    if (strncmp(url, "osc.udp://", 10) == 0) {
        unsigned a, b, c, d, port;
        if (sscanf(url + 10, "%u.%u.%u.%u:%u", &a, &b, &c, &d, &port) != 5)
            return -1;
        struct sockaddr_in *in = (struct sockaddr_in *)&dest;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        in->sin_addr.s_addr = htonl((a << 24) | (b << 16) | (c << 8) | d);
        destlen = sizeof(*in);
        sock = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in me = { .sin_family = AF_INET };
        me.sin_addr.s_addr = htonl(0x7f000001u);
        if (bind(sock, (struct sockaddr *)&me, sizeof(me)) < 0)
            return -1;
    } else if (strncmp(url, "osc.unix://", 11) == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *)&dest;
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof(un->sun_path), "%s", url + 11);
        destlen = sizeof(*un);
        sock = socket(AF_UNIX, SOCK_DGRAM, 0);
        struct sockaddr_un me = { .sun_family = AF_UNIX };
        snprintf(unix_path, sizeof(unix_path), "/tmp/rill-bench-osc.%d", (int)getpid());
        snprintf(me.sun_path, sizeof(me.sun_path), "%s", unix_path);
        unlink(unix_path);
        atexit(cleanup);
        if (bind(sock, (struct sockaddr *)&me, sizeof(me)) < 0)
            return -1;
    } else {
        return -1;
    }
    int buf = 4 << 20;
    setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
    setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    return 0;
}

/* send path with id and up to two strings */
static void request(const char *path, int32_t id, const char *a, const char *b)
{
    lo_message m = lo_message_new();
    lo_message_add_int32(m, id);
    if (a)
        lo_message_add_string(m, a);
    if (b)
        lo_message_add_string(m, b);
    uint8_t buf[1024];
    size_t len = sizeof(buf);
    lo_message_serialise(m, path, buf, &len);
    lo_message_free(m);
    while (sendto(sock, buf, len, 0, (struct sockaddr *)&dest, destlen) < 0 && errno == EAGAIN)
        usleep(100);
}

/* Read one datagram; call fn for each message's path and id (first int). */
static int answers(int timeout_ms, void (*fn)(const char *path, int32_t id, void *arg), void *arg)
{
    static uint8_t buf[8192] __attribute__((aligned(8)));
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n = recv(sock, buf, sizeof(buf), 0);
    if (n <= 0)
        return -1;
    size_t pos = 0, end = (size_t)n;
    int bundle = n >= 16 && memcmp(buf, "#bundle", 8) == 0;
    if (bundle)
        pos = 16;
    while (pos < end) {
        size_t size = end - pos;
        uint8_t *p = buf + pos;
        if (bundle) {
            size = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
            p += 4;
            pos += 4;
        }
        int res;
        lo_message m = lo_message_deserialise(p, size, &res);
        if (m) {
            lo_arg **argv = lo_message_get_argv(m);
            const char *types = lo_message_get_types(m);
            fn((const char *)p, types[0] == 'i' ? *(const int32_t *)(const void *)argv[0] : -1, arg);
            if (strcmp((const char *)p, "/rill/error") == 0)
                fprintf(stderr, "rill-bench-osc: an error: %s\n", (const char *)argv[4]);
            lo_message_free(m);
        }
        pos += size;
    }
    return 0;
}

struct rps {
    int32_t inflight;
    int64_t done;
    int errors;
};

static void rps_answer(const char *path, int32_t id, void *arg)
{
    struct rps *r = arg;
    (void)id;
    if (strcmp(path, "/rill/error") == 0)
        r->errors++;
    r->inflight--;
    r->done++;
}

static int run_rps(const char *kind, long n)
{
    const char *path = strcmp(kind, "ping") == 0     ? "/rill/ping"
                       : strcmp(kind, "status") == 0 ? "/rill/status"
                                                     : NULL;
    int conn = strcmp(kind, "connect") == 0;
    if (!path && !conn)
        return 2;
    struct rps r = { 0, 0, 0 };
    long sent = 0;
    uint64_t t0 = now_ns();
    while (r.done < n) {
        while (sent < n && r.inflight < 32) {
            if (conn)
                request(sent % 2 ? "/rill/disconnect" : "/rill/connect", (int32_t)sent + 1,
                        "system:capture_1", "system:playback_1");
            else
                request(path, (int32_t)sent + 1, NULL, NULL);
            sent++;
            r.inflight++;
        }
        if (answers(2000, rps_answer, &r) < 0) {
            fprintf(stderr, "rill-bench-osc: no answer for 2 s (%lld of %ld done)\n",
                    (long long)r.done, n);
            return 1;
        }
    }
    double s = (now_ns() - t0) / 1e9;
    printf("rps %s %ld %.3f %.0f errors=%d\n", kind, n, s, n / s, r.errors);
    return r.errors ? 1 : 0;
}

/* ---- live */

static jack_port_t *in_port;
static _Atomic int armed;
static _Atomic uint64_t seen_ns;
static _Atomic int silent;

static int process(jack_nframes_t nframes, void *arg)
{
    (void)arg;
    const float *x = jack_port_get_buffer(in_port, nframes);
    int any = 0;
    for (jack_nframes_t i = 0; i < nframes && !any; i++)
        any = x[i] != 0.0f;
    atomic_store(&silent, !any);
    if (any && atomic_load(&armed)) {
        atomic_store(&seen_ns, now_ns());
        atomic_store(&armed, 0);
    }
    return 0;
}

static int32_t want_id;
static uint64_t ok_ns;

static void live_answer(const char *path, int32_t id, void *arg)
{
    (void)arg;
    if (id == want_id && strcmp(path, "/rill/ok") == 0)
        ok_ns = now_ns();
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int run_live(const char *source, long n)
{
    jack_client_t *c = jack_client_open("oscbench", JackNoStartServer, NULL);
    if (!c)
        return 1;
    in_port = jack_port_register(c, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(c, process, NULL);
    if (jack_activate(c))
        return 1;
    uint64_t *okd = calloc((size_t)n, 8), *lived = calloc((size_t)n, 8);
    char dst[300];
    snprintf(dst, sizeof(dst), "%s:in", jack_get_client_name(c));
    for (long i = 0; i < n; i++) {
        while (!atomic_load(&silent))
            usleep(1000);
        atomic_store(&seen_ns, 0);
        ok_ns = 0;
        atomic_store(&armed, 1);
        want_id = (int32_t)(2 * i + 1);
        uint64_t t0 = now_ns();
        request("/rill/connect", want_id, source, dst);
        while (!ok_ns)
            if (answers(2000, live_answer, NULL) < 0)
                return 1;
        while (!atomic_load(&seen_ns))
            usleep(50);
        okd[i] = ok_ns - t0;
        lived[i] = atomic_load(&seen_ns) - t0;
        want_id = (int32_t)(2 * i + 2);
        ok_ns = 0;
        request("/rill/disconnect", want_id, source, dst);
        while (!ok_ns)
            if (answers(2000, live_answer, NULL) < 0)
                return 1;
        usleep(30000); /* a few periods: the input goes silent */
    }
    qsort(okd, (size_t)n, 8, cmp_u64);
    qsort(lived, (size_t)n, 8, cmp_u64);
    printf("live %ld period=%u ok_median_us=%.0f ok_p95_us=%.0f live_median_us=%.0f "
           "live_p95_us=%.0f\n",
           n, (unsigned)jack_get_buffer_size(c), okd[n / 2] / 1e3, okd[n * 95 / 100] / 1e3,
           lived[n / 2] / 1e3, lived[n * 95 / 100] / 1e3);
    jack_client_close(c);
    free(okd);
    free(lived);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5 || open_url(argv[2]) < 0) {
        fprintf(stderr, "usage: rill-bench-osc rps URL ping|status|connect N\n"
                        "       rill-bench-osc live URL SOURCE_PORT N\n");
        return 2;
    }
    long n = strtol(argv[4], NULL, 10);
    if (n < 2)
        return 2;
    if (strcmp(argv[1], "rps") == 0)
        return run_rps(argv[3], n);
    if (strcmp(argv[1], "live") == 0)
        return run_live(argv[3], n);
    return 2;
}
