/* tests/unit/test-osc.c — the OSC core (osc/osc_core.h) with a backend of
 * the test's own: options, exact answers, request ids, lists split into
 * datagrams of at most 8192 bytes, malformed input, overflow, leases. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lo/lo_lowlevel.h>

#include "engine/registry.h"
#include "osc/osc_core.h"

/* ---- options */

static void test_options(void **state)
{
    (void)state;
    struct rill_osc_config c;
    char err[256];
    rill_osc_config_init(&c);
    assert_int_equal(c.unix_on + c.udp_on, 0); /* off by default */
    assert_int_equal(rill_osc_option(&c, "osc-udp", "9951", err, sizeof(err)), 0);
    assert_int_equal(c.udp_addr, 0x7f000001u);
    assert_int_equal(c.udp_port, 9951);
    assert_int_equal(rill_osc_config_check(&c, err, sizeof(err)), 0);
    assert_int_equal(rill_osc_option(&c, "osc-udp", "0.0.0.0:9951", err, sizeof(err)), 0);
    assert_int_equal(rill_osc_config_check(&c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "--osc-allow"));
    assert_int_equal(rill_osc_option(&c, "osc-allow", "192.168.1.0/24", err, sizeof(err)), 0);
    assert_int_equal(rill_osc_config_check(&c, err, sizeof(err)), 0);
    assert_true(rill_osc_addr_allowed(&c, 0xc0a80107u));
    assert_false(rill_osc_addr_allowed(&c, 0xc0a80207u));
    assert_true(rill_osc_addr_allowed(&c, 0x7f000005u));
    assert_int_equal(rill_osc_option(&c, "osc-udp", "99999", err, sizeof(err)), -EINVAL);
    assert_int_equal(rill_osc_option(&c, "osc-udp", "host:1", err, sizeof(err)), -EINVAL);
    assert_int_equal(rill_osc_option(&c, "osc-allow", "10.0.0.0/33", err, sizeof(err)), -EINVAL);
    assert_int_equal(rill_osc_option(&c, "osc-allow", "10.0.0", err, sizeof(err)), -EINVAL);
    assert_int_equal(rill_osc_option(&c, "osc-rate", "-1", err, sizeof(err)), -EINVAL);
    assert_int_equal(rill_osc_option(&c, "osc-rate", "0", err, sizeof(err)), 0);
    assert_int_equal(c.rate, 0);
}

/* ---- a backend */

static struct rill_shm_state *st;
static uint64_t clock_ns;
static int send_eagain;
static struct rill_msg last_req;

struct msg {
    char path[64];
    char types[32];
    int32_t a0, a2;   /* first and third args when they are ints */
    char s1[300];     /* second arg when a string */
    char s3[300];     /* fourth arg when a string */
};
static struct msg got[20000];
static size_t ngot, ndgrams, biggest;

static const struct rill_shm_state *be_state(void *arg)
{
    (void)arg;
    return st;
}

static int be_request(void *arg, struct rill_msg *m)
{
    (void)arg;
    last_req = *m;
    m->error[0] = '\0';
    if (m->type == RILL_MSG_CONNECT)
        return m->result = rill_registry_connect(&st->registry, m->u.connect.src,
                                                 m->u.connect.dst, NULL, m->error,
                                                 sizeof(m->error));
    return m->result = 0;
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void record(const uint8_t *p, size_t len)
{
    if (len >= 8 && memcmp(p, "#bundle", 8) == 0) {
        for (size_t pos = 16; pos < len;) {
            uint32_t n = be32(p + pos);
            record(p + pos + 4, n);
            pos += 4 + n;
        }
        return;
    }
    static uint8_t copy[8192] __attribute__((aligned(8)));
    memcpy(copy, p, len);
    int res;
    lo_message m = lo_message_deserialise(copy, len, &res);
    assert_non_null(m);
    assert_true(ngot < sizeof(got) / sizeof(got[0]));
    struct msg *g = &got[ngot++];
    memset(g, 0, sizeof(*g));
    snprintf(g->path, sizeof(g->path), "%.63s", (const char *)copy);
    snprintf(g->types, sizeof(g->types), "%.31s", lo_message_get_types(m));
    lo_arg **argv = lo_message_get_argv(m);
    int argc = lo_message_get_argc(m);
    if (argc > 0 && g->types[0] == 'i')
        memcpy(&g->a0, argv[0], 4);
    if (argc > 1 && g->types[1] == 's')
        snprintf(g->s1, sizeof(g->s1), "%.299s", (const char *)argv[1]);
    if (argc > 2 && g->types[2] == 'i')
        memcpy(&g->a2, argv[2], 4);
    if (argc > 3 && g->types[3] == 's')
        snprintf(g->s3, sizeof(g->s3), "%.299s", (const char *)argv[3]);
    lo_message_free(m);
}

static int be_send(void *arg, int sock, const struct sockaddr *to, socklen_t tolen,
                   const void *buf, size_t len)
{
    (void)arg;
    (void)sock;
    (void)to;
    (void)tolen;
    if (send_eagain)
        return -EAGAIN;
    assert_true(len <= RILL_OSC_MAX_DATAGRAM);
    ndgrams++;
    if (len > biggest)
        biggest = len;
    record(buf, len);
    return 0;
}

static uint64_t be_now(void *arg)
{
    (void)arg;
    return clock_ns;
}

static void be_arm(void *arg, uint64_t d)
{
    (void)arg;
    (void)d;
}

static struct rill_osc *core(uint32_t rate)
{
    struct rill_osc_config cfg;
    rill_osc_config_init(&cfg);
    cfg.rate = rate;
    struct rill_osc_backend be = { NULL, be_state, be_request, be_send, be_now, be_arm };
    struct rill_osc *o;
    assert_int_equal(rill_osc_new(&cfg, &be, &o), 0);
    ngot = ndgrams = biggest = 0;
    return o;
}

static void graph(unsigned pairs)
{
    free(st);
    st = calloc(1, sizeof(*st));
    assert_non_null(st);
    st->rate = 48000;
    st->period = 256;
    rill_registry_init(&st->registry);
    char err[256];
    uint32_t slot, id;
    int renamed;
    assert_int_equal(rill_registry_client_add(&st->registry, "system", 1, 0, 1, 1, &slot,
                                              &renamed, err, sizeof(err)),
                     0);
    for (unsigned i = 0; i < pairs; i++) {
        char name[32];
        snprintf(name, sizeof(name), "capture_%u", i + 1);
        assert_int_equal(rill_registry_port_add(&st->registry, RILL_MAX_PORTS, slot, name,
                                                RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT, &id,
                                                err, sizeof(err)),
                         0);
        snprintf(name, sizeof(name), "playback_%u", i + 1);
        assert_int_equal(rill_registry_port_add(&st->registry, RILL_MAX_PORTS, slot, name,
                                                RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_INPUT, &id,
                                                err, sizeof(err)),
                         0);
    }
}

/* a message: path, then args by type letter (i int, s string, f double, h int64) */
static size_t build(uint8_t *buf, const char *path, const char *types, ...)
{
    lo_message m = lo_message_new();
    va_list ap;
    va_start(ap, types);
    for (const char *t = types; *t; t++) {
        if (*t == 'i')
            lo_message_add_int32(m, va_arg(ap, int32_t));
        else if (*t == 's')
            lo_message_add_string(m, va_arg(ap, const char *));
        else if (*t == 'f')
            lo_message_add_float(m, (float)va_arg(ap, double));
        else if (*t == 'h')
            lo_message_add_int64(m, va_arg(ap, int64_t));
    }
    va_end(ap);
    size_t len = 8192;
    lo_message_serialise(m, path, buf, &len);
    lo_message_free(m);
    return len;
}

static struct sockaddr_in from = { .sin_family = AF_INET };

static void input(struct rill_osc *o, const uint8_t *buf, size_t len)
{
    from.sin_addr.s_addr = htonl(0x7f000001u);
    from.sin_port = htons(9000);
    rill_osc_input(o, RILL_OSC_SOCK_UDP, (struct sockaddr *)&from, sizeof(from), buf, len, len);
    rill_osc_flush(o);
}

static size_t count(const char *path)
{
    size_t n = 0;
    for (size_t i = 0; i < ngot; i++)
        n += strcmp(got[i].path, path) == 0;
    return n;
}

static void test_answers(void **state)
{
    (void)state;
    graph(2);
    struct rill_osc *o = core(0);
    uint8_t buf[9000] __attribute__((aligned(8)));
    input(o, buf, build(buf, "/rill/ping", "i", 42));
    assert_int_equal(ngot, 1);
    assert_string_equal(got[0].path, "/rill/reply/ping");
    assert_int_equal(got[0].a0, 42);

    /* a lone int where the command takes one is its argument, not the id */
    ngot = 0;
    input(o, buf, build(buf, "/rill/transport/locate", "i", 48000));
    assert_int_equal(ngot, 1);
    assert_string_equal(got[0].path, "/rill/ok");
    assert_int_equal(got[0].a0, 0);
    assert_int_equal(last_req.u.transport.pos.frame, 48000);
    ngot = 0;
    input(o, buf, build(buf, "/rill/transport/locate", "ih", 7, (int64_t)96000));
    assert_int_equal(got[0].a0, 7);
    assert_int_equal(last_req.u.transport.pos.frame, 96000);

    /* errors, each one answer */
    struct {
        size_t len;
        const char *name;
    } cases[6];
    size_t k = 0;
    uint8_t b[6][9000] __attribute__((aligned(8)));
    cases[k].len = build(b[k], "/rill/connect", "ss", "system:capture_1", "x:y");
    cases[k++].name = "NO_SUCH_PORT";
    cases[k].len = build(b[k], "/rill/connect", "si", "system:capture_1", 3);
    cases[k++].name = "BAD_ARGS";
    cases[k].len = build(b[k], "/rill/p*ng", "");
    cases[k++].name = "PATTERN_NOT_ALLOWED";
    cases[k].len = build(b[k], "/rill/nope", "");
    cases[k++].name = "UNKNOWN_COMMAND";
    memcpy(b[k], "/rill/ping\0\0", 12); /* no type tag */
    cases[k].len = 12;
    cases[k++].name = "BAD_ARGS";
    cases[k].len = build(b[k], "/rill/transport/locate", "h", (int64_t)-1);
    cases[k++].name = "BAD_FRAME";
    for (size_t i = 0; i < k; i++) {
        ngot = 0;
        input(o, b[i], cases[i].len);
        assert_int_equal(ngot, 1);
        assert_string_equal(got[0].path, "/rill/error");
        assert_string_equal(got[0].s3, cases[i].name);
    }
    /* too big: nothing read, one answer */
    ngot = 0;
    memset(buf, 0, sizeof(buf));
    memcpy(buf, "/rill/ping", 10);
    rill_osc_input(o, RILL_OSC_SOCK_UDP, (struct sockaddr *)&from, sizeof(from), buf, 8192, 9000);
    rill_osc_flush(o);
    assert_int_equal(ngot, 1);
    assert_string_equal(got[0].s3, "TOO_BIG");
    /* an 8000-byte path: answered, clipped to fit a datagram */
    ngot = 0;
    char longpath[8001];
    memset(longpath, 'x', sizeof(longpath));
    memcpy(longpath, "/rill/", 6);
    longpath[8000] = '\0';
    input(o, buf, build(buf, longpath, ""));
    assert_int_equal(ngot, 1);
    assert_string_equal(got[0].s3, "UNKNOWN_COMMAND");
    /* not ours: no answer */
    ngot = 0;
    input(o, buf, build(buf, "/other", "i", 1));
    assert_int_equal(ngot, 0);
    rill_osc_free(o, "done");
}

static void test_list_split(void **state)
{
    (void)state;
    graph(300); /* 600 ports */
    struct rill_osc *o = core(0);
    uint8_t buf[512] __attribute__((aligned(8)));
    input(o, buf, build(buf, "/rill/ports/list", "i", 5));
    assert_int_equal(count("/rill/reply/port"), 600);
    assert_int_equal(count("/rill/reply/end"), 1);
    assert_true(ndgrams > 1);
    assert_true(biggest <= 8192);
    for (size_t i = 0; i < 600; i++)
        assert_int_equal(got[i].a0, 5);
    rill_osc_free(o, "done");
}

static void test_overflow_and_lease(void **state)
{
    (void)state;
    graph(4);
    struct rill_osc *o = core(0);
    uint8_t buf[512] __attribute__((aligned(8)));
    clock_ns = 1000000000ull;
    input(o, buf, build(buf, "/rill/subscribe", "sii", "graph", 5, 1000));
    assert_int_equal(count("/rill/ok"), 1);
    assert_int_equal(count("/rill/event/snapshot/end"), 1);
    /* a receiver that takes nothing while 3000 connections come and go */
    send_eagain = 1;
    struct rill_msg ev = { .type = RILL_EV_PORT_CONNECT };
    ev.u.connect_event.src = 0;
    ev.u.connect_event.dst = 1;
    for (int i = 0; i < 3000; i++) {
        ev.u.connect_event.connected = (uint32_t)(i & 1) ^ 1u;
        rill_osc_event(o, &ev);
    }
    send_eagain = 0;
    ngot = 0;
    rill_osc_tick(o);
    assert_int_equal(count("/rill/event/overflow"), 1);
    assert_string_equal(got[0].path, "/rill/event/overflow");
    assert_string_equal(got[1].path, "/rill/event/snapshot/begin");
    /* sequence numbers run on without a gap after the overflow */
    for (size_t i = 1; i < ngot; i++)
        assert_int_equal(got[i].a0, got[i - 1].a0 + 1);
    /* the lease runs out */
    ngot = 0;
    clock_ns += 6000000000ull;
    rill_osc_tick(o);
    assert_int_equal(count("/rill/event/ended"), 1);
    assert_string_equal(got[ngot - 1].s1, "lease expired");
    ngot = 0;
    input(o, buf, build(buf, "/rill/unsubscribe", ""));
    assert_string_equal(got[0].s3, "NOT_SUBSCRIBED");
    rill_osc_free(o, "done");
}

/* The largest snapshot: 8192 connections between ports with 250-byte
 * names (some 5 MB) arrives whole, with no overflow. */
static void test_big_snapshot(void **state)
{
    (void)state;
    graph(0);
    char err[256], name[RILL_PORT_NAME_SIZE];
    uint32_t id;
    for (int dir = 0; dir < 2; dir++) {
        for (int i = 0; i < 91; i++) {
            int len = snprintf(name, sizeof(name), "%s_%02d_", dir ? "in" : "out", i);
            memset(name + len, 'x', 247 - (size_t)len);
            name[247] = '\0'; /* "system:" and 247 bytes: 254 */
            assert_int_equal(rill_registry_port_add(&st->registry, RILL_MAX_PORTS, 0, name,
                                                    RILL_PORT_TYPE_AUDIO,
                                                    dir ? RILL_PORT_IS_INPUT : RILL_PORT_IS_OUTPUT,
                                                    &id, err, sizeof(err)),
                             0);
        }
    }
    unsigned n = 0;
    for (uint32_t a = 0; a < 91 && n < RILL_MAX_CONNECTIONS; a++)
        for (uint32_t b = 91; b < 182 && n < RILL_MAX_CONNECTIONS; b++, n++)
            assert_int_equal(rill_registry_connect(&st->registry, st->registry.ports[a].name,
                                                   st->registry.ports[b].name, NULL, err,
                                                   sizeof(err)),
                             0);
    struct rill_osc *o = core(0);
    uint8_t buf[512] __attribute__((aligned(8)));
    input(o, buf, build(buf, "/rill/subscribe", "s", "graph"));
    assert_int_equal(count("/rill/event/connection/added"), RILL_MAX_CONNECTIONS);
    assert_int_equal(count("/rill/event/port/added"), 182);
    assert_int_equal(count("/rill/event/snapshot/end"), 1);
    assert_int_equal(count("/rill/event/overflow"), 0);
    rill_osc_free(o, "done");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_list_split),
        cmocka_unit_test(test_overflow_and_lease),
        cmocka_unit_test(test_big_snapshot),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    free(st);
    return r;
}
