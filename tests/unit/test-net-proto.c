/* tests/unit/test-net-proto.c — NetJACK2 protocol layer (drivers/net/):
 * params and header packets byte for byte, encode/decode round trips
 * (float bit-exact, int16 within one step, MIDI), the session check, the
 * cycle assembler (order, loss, duplicates, other sessions, stale cycles)
 * and every refusal counted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "drivers/net/net_opus.h"
#include "drivers/net/net_rx.h"

static struct rill_net_params setup_params(void)
{
    struct rill_net_params p = {
        .kind = RILL_NET_SETUP, .version = RILL_NET_PROTOCOL, .name = "follower",
        .master_host = "master-host", .follower_host = "follower-host",
        .mtu = 1500, .id = 3, .transport_sync = 0,
        .send_audio = 2, .return_audio = 2, .send_midi = 1, .return_midi = 1,
        .rate = 48000, .period = 256, .encoder = RILL_NET_ENC_FLOAT, .kbps = 0,
        .sync_mode = 1, .latency = 2,
    };
    return p;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_params_layout_and_round_trip(void **state)
{
    (void)state;
    struct rill_net_params p = setup_params(), q;
    uint8_t buf[700];
    assert_int_equal(rill_net_params_encode(&p, buf, sizeof buf), 644);
    assert_memory_equal(buf, "params\0\0", 8);
    assert_int_equal(be32(buf + 8), 8);            /* version */
    assert_int_equal(be32(buf + 12), 1);           /* kind: setup */
    assert_string_equal((char *)buf + 16, "follower");
    assert_string_equal((char *)buf + 80, "master-host");
    assert_string_equal((char *)buf + 336, "follower-host");
    assert_int_equal(be32(buf + 592), 1500);       /* mtu */
    assert_int_equal(be32(buf + 596), 3);          /* id */
    assert_int_equal(be32(buf + 620), 48000);      /* rate */
    assert_int_equal(be32(buf + 624), 256);        /* period */
    assert_int_equal(be32(buf + 640), 2);          /* latency, the last field */
    struct rill_net_stats st = { 0 };
    assert_int_equal(rill_net_params_decode(buf, 644, &q, &st), 0);
    assert_memory_equal(&p, &q, sizeof p);
    /* -1: "as many as the master's physical ports" survives the trip */
    p.send_audio = -1;
    rill_net_params_encode(&p, buf, sizeof buf);
    assert_int_equal(rill_net_params_decode(buf, 644, &q, &st), 0);
    assert_int_equal(q.send_audio, -1);
    /* a name that fills its field is refused on encode */
    memset(p.name, 'x', sizeof p.name);
    assert_int_equal(rill_net_params_encode(&p, buf, sizeof buf), -EINVAL);
    assert_int_equal(rill_net_params_encode(&q, buf, 100), -ENOSPC);
}

static void test_params_refusals(void **state)
{
    (void)state;
    struct rill_net_params p = setup_params(), q;
    uint8_t buf[700], bad[700];
    struct rill_net_stats st = { 0 };
    rill_net_params_encode(&p, buf, sizeof buf);
    assert_int_equal(rill_net_params_decode(buf, 0, &q, &st), -EBADMSG);
    assert_int_equal(st.refused[RILL_NET_R_SHORT], 1);
    assert_int_equal(rill_net_params_decode(buf, 643, &q, &st), -EBADMSG);
    memset(buf + 644, 0, 4);
    assert_int_equal(rill_net_params_decode(buf, 645, &q, &st), -EBADMSG);
    assert_int_equal(st.refused[RILL_NET_R_SIZE], 2);
    memcpy(bad, buf, 644);
    memcpy(bad, "header\0\0", 8);
    assert_int_equal(rill_net_params_decode(bad, 644, &q, &st), -EBADMSG);
    memcpy(bad, "paramsX\0", 8);
    assert_int_equal(rill_net_params_decode(bad, 644, &q, &st), -EBADMSG);
    assert_int_equal(st.refused[RILL_NET_R_MAGIC], 2);
    memcpy(bad, buf, 644);
    bad[15] = 5; /* kind 5 does not exist */
    assert_int_equal(rill_net_params_decode(bad, 644, &q, &st), -EBADMSG);
    memcpy(bad, buf, 644);
    memset(bad + 80, 'h', 256); /* master host without its NUL */
    assert_int_equal(rill_net_params_decode(bad, 644, &q, &st), -EBADMSG);
    assert_int_equal(st.refused[RILL_NET_R_FIELD], 2);
}

static void test_session_check(void **state)
{
    (void)state;
    struct rill_net_params p = setup_params(), asked = setup_params(), x;
    struct rill_net_session s;
    char err[256];
    asked.kind = RILL_NET_AVAILABLE;
    assert_int_equal(rill_net_session_init(&s, &p, &asked, err, sizeof err), 0);
    assert_int_equal(s.payload_max, 1500 - 64 - 48);
    assert_int_equal(s.midi_chunk, 1500 - 48);
    assert_int_equal(s.capture_audio, 2);
    x = p; x.version = 7;
    assert_int_equal(rill_net_session_init(&s, &x, &asked, err, sizeof err), -EPROTO);
    assert_non_null(strstr(err, "protocol 7"));
    x = p; x.period = 100;
    assert_int_equal(rill_net_session_init(&s, &x, &asked, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "period 100"));
    x = p; x.rate = 0;
    assert_int_equal(rill_net_session_init(&s, &x, &asked, err, sizeof err), -EINVAL);
    x = p; x.mtu = 100;
    assert_int_equal(rill_net_session_init(&s, &x, NULL, err, sizeof err), -EINVAL);
    x = p; x.mtu = 9001;
    assert_int_equal(rill_net_session_init(&s, &x, NULL, err, sizeof err), -EINVAL);
    x = p; x.encoder = RILL_NET_ENC_CELT;
    assert_int_equal(rill_net_session_init(&s, &x, &asked, err, sizeof err), -ENOTSUP);
    assert_non_null(strstr(err, "celt"));
    x = p; x.encoder = RILL_NET_ENC_OPUS; x.kbps = 64; /* float was asked */
    assert_int_equal(rill_net_session_init(&s, &x, &asked, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "encoding"));
    x = p; x.send_audio = 3; /* not what was asked */
    assert_int_equal(rill_net_session_init(&s, &x, &asked, err, sizeof err), -EINVAL);
    x = p; x.send_audio = 300;
    assert_int_equal(rill_net_session_init(&s, &x, NULL, err, sizeof err), -EINVAL);
    x = p; x.return_midi = -1;
    assert_int_equal(rill_net_session_init(&s, &x, NULL, err, sizeof err), -EINVAL);
    x = p; x.latency = 31;
    assert_int_equal(rill_net_session_init(&s, &x, &asked, err, sizeof err), -EINVAL);
    x = p; x.kind = RILL_NET_AVAILABLE;
    assert_int_equal(rill_net_session_init(&s, &x, &asked, err, sizeof err), -EINVAL);
    /* -1 asked: any count the master gives */
    asked.send_audio = -1;
    x = p; x.send_audio = 8;
    assert_int_equal(rill_net_session_init(&s, &x, &asked, err, sizeof err), 0);
    assert_int_equal(s.capture_audio, 8);
}

static void test_header(void **state)
{
    (void)state;
    struct rill_net_header h = {
        .data_type = 'a', .stream = 's', .id = 3, .num_packets = 2, .packet_size = 60,
        .active_ports = 1, .cycle = 0xfffffffe, .sub_cycle = 1, .frames = -1, .is_last = 1,
    }, g;
    uint8_t buf[100] = { 0 };
    struct rill_net_stats st = { 0 };
    rill_net_header_encode(&h, buf);
    assert_memory_equal(buf, "header\0\0", 8);
    assert_int_equal(be32(buf + 8), 'a');
    assert_int_equal(be32(buf + 24), 60);
    assert_int_equal(be32(buf + 32), 0xfffffffe);
    assert_int_equal(be32(buf + 40), 0xffffffff);
    assert_int_equal(rill_net_header_decode(buf, 60, 1500, &g, &st), 0);
    assert_memory_equal(&h, &g, sizeof h);
    assert_int_equal(rill_net_header_decode(buf, 47, 1500, &g, &st), -EBADMSG);
    assert_int_equal(st.refused[RILL_NET_R_SHORT], 1);
    assert_int_equal(rill_net_header_decode(buf, 61, 1500, &g, &st), -EBADMSG); /* size field */
    assert_int_equal(rill_net_header_decode(buf, 60, 56, &g, &st), -EBADMSG);   /* over the MTU */
    assert_int_equal(st.refused[RILL_NET_R_SIZE], 2);
    uint8_t bad[100];
    memcpy(bad, buf, 100);
    bad[11] = 'x';
    assert_int_equal(rill_net_header_decode(bad, 60, 1500, &g, &st), -EBADMSG);
    memcpy(bad, buf, 100);
    bad[15] = 'q';
    assert_int_equal(rill_net_header_decode(bad, 60, 1500, &g, &st), -EBADMSG);
    memcpy(bad, buf, 100);
    bad[47] = 2; /* is_last neither 0 nor 1 */
    assert_int_equal(rill_net_header_decode(bad, 60, 1500, &g, &st), -EBADMSG);
    assert_int_equal(st.refused[RILL_NET_R_FIELD], 3);
    memcpy(bad, buf, 100);
    bad[0] = 'H';
    assert_int_equal(rill_net_header_decode(bad, 60, 1500, &g, &st), -EBADMSG);
    assert_int_equal(st.refused[RILL_NET_R_MAGIC], 1);
}

static struct rill_net_session session(uint32_t encoder, uint32_t period, uint32_t mtu)
{
    struct rill_net_params p = setup_params();
    struct rill_net_session s;
    char err[256];
    p.encoder = encoder;
    p.period = period;
    p.mtu = mtu;
    assert_int_equal(rill_net_session_init(&s, &p, NULL, err, sizeof err), 0);
    return s;
}

static void test_float_frames(void **state)
{
    (void)state;
    struct rill_net_session s = session(RILL_NET_ENC_FLOAT, 1024, 1500);
    /* 1388 bytes of payload: 347 floats in all */
    assert_int_equal(rill_net_float_frames(&s, 1), 256);
    assert_int_equal(rill_net_float_frames(&s, 2), 128);
    assert_int_equal(rill_net_float_frames(&s, 8), 32);
    assert_int_equal(rill_net_float_frames(&s, 256), 1);
    assert_int_equal(rill_net_float_frames(&s, 0), 1024);
    s = session(RILL_NET_ENC_FLOAT, 64, 1500);
    assert_int_equal(rill_net_float_frames(&s, 1), 64); /* capped at the period */
    s = session(RILL_NET_ENC_FLOAT, 64, 576);
    assert_int_equal(rill_net_float_frames(&s, 200), 0); /* not one frame fits */
}

/* a pattern with signs, zeros, denormals, infinities and a NaN payload */
static float pattern(uint32_t port, uint32_t f)
{
    uint32_t u = 0x3f800000u ^ (port * 0x9e3779b9u) ^ (f * 0x85ebca6bu);
    if (f == 3)
        u = 0x00000001u;
    if (f == 5)
        u = 0x7fc12345u;
    if (f == 7)
        u = 0xff800000u;
    if (f == 9)
        u = 0x80000000u;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

struct cycle_pkts {
    uint8_t pkt[64][1500];
    size_t len[64];
    unsigned n;
};

static void add_pkt(struct cycle_pkts *c, struct rill_net_header *h, const uint8_t *payload,
                    size_t plen)
{
    h->packet_size = (uint32_t)(RILL_NET_HEADER_SIZE + plen);
    rill_net_header_encode(h, c->pkt[c->n]);
    memcpy(c->pkt[c->n] + RILL_NET_HEADER_SIZE, payload, plen);
    c->len[c->n++] = RILL_NET_HEADER_SIZE + plen;
}

/* one master->follower cycle: sync, MIDI (if midi), audio of 2 ports */
static void make_cycle(const struct rill_net_session *s, uint32_t cycle,
                       const float *const *bufs, int midi, struct cycle_pkts *c)
{
    uint8_t payload[1500];
    c->n = 0;
    struct rill_net_header h = { .data_type = 's', .stream = 's', .id = s->id, .cycle = cycle };
    uint8_t want[2] = { 1, 0 };
    uint32_t nact;
    int n = rill_net_sync_encode(want, 2, payload, sizeof payload, &nact);
    h.active_ports = nact;
    add_pkt(c, &h, payload, (size_t)n);
    if (midi) {
        static uint8_t stream[4 * 256];
        struct rill_net_midi_writer w;
        rill_net_midi_writer_init(&w, stream, sizeof stream, s->period);
        assert_int_equal(rill_net_midi_writer_port(&w), 0);
        assert_int_equal(rill_net_midi_writer_event(&w, 1, (const uint8_t *)"\x90\x40\x7f", 3), 0);
        assert_int_equal(rill_net_midi_writer_event(&w, 200, (const uint8_t *)"\x80\x40\x00", 3), 0);
        size_t len = rill_net_midi_writer_finish(&w);
        h = (struct rill_net_header){ .data_type = 'm', .stream = 's', .id = s->id, .cycle = cycle,
                                      .num_packets = 1 };
        add_pkt(c, &h, stream, len);
    }
    uint8_t active[2] = { 1, 1 };
    for (uint32_t sub = 0;; sub++) {
        h = (struct rill_net_header){ .stream = 's', .id = s->id, .cycle = cycle };
        if (s->encoder == RILL_NET_ENC_INT16)
            n = rill_net_audio_int16_encode(s, sub, bufs, 2, &h, payload, sizeof payload);
        else
            n = rill_net_audio_float_encode(s, sub, bufs, active, 2, &h, payload, sizeof payload);
        assert_true(n > 0);
        add_pkt(c, &h, payload, (size_t)n);
        if (h.is_last)
            break;
    }
}

struct midi_seen {
    unsigned n;
    uint32_t time[8];
    uint8_t data[8][4];
};

static void midi_sink(void *ctx, uint32_t port, uint32_t time, const uint8_t *data, uint32_t size)
{
    struct midi_seen *m = ctx;
    assert_int_equal(port, 0);
    assert_int_equal(size, 3);
    if (m->n < 8) {
        m->time[m->n] = time;
        memcpy(m->data[m->n], data, 3);
    }
    m->n++;
}

struct rx_fixture {
    struct rill_net_session s;
    float in[2][1024], out[2][1024];
    float *outp[2];
    uint8_t midi[4 * 1024];
    uint8_t active[2];
    struct rill_net_rx rx;
};

static void rx_setup(struct rx_fixture *fx, uint32_t encoder, uint32_t period)
{
    fx->s = session(encoder, period, 1500);
    fx->outp[0] = fx->out[0];
    fx->outp[1] = fx->out[1];
    rill_net_rx_init(&fx->rx, &fx->s, 's', fx->outp, 2, fx->midi, sizeof fx->midi, 1, fx->active,
                     2);
    for (uint32_t p = 0; p < 2; p++)
        for (uint32_t f = 0; f < period; f++)
            fx->in[p][f] = pattern(p, f);
}

static void test_float_cycle_bit_exact_any_order(void **state)
{
    (void)state;
    static struct rx_fixture fx;
    static struct cycle_pkts c;
    rx_setup(&fx, RILL_NET_ENC_FLOAT, 1024);
    const float *in[2] = { fx.in[0], fx.in[1] };
    make_cycle(&fx.s, 41, in, 1, &c);
    assert_int_equal(c.n, 2 + 1024 / 128); /* sync, MIDI, 8 audio */
    rill_net_rx_begin(&fx.rx);
    /* backwards: the last packet first, the sync last */
    for (unsigned i = c.n; i-- > 0;) {
        int r = rill_net_rx_feed(&fx.rx, c.pkt[i], c.len[i]);
        assert_int_equal(r, i == 0 ? RILL_NET_RX_COMPLETE : RILL_NET_RX_USED);
    }
    assert_memory_equal(fx.out, fx.in, sizeof fx.in); /* bit for bit, NaN payload too */
    assert_int_equal(fx.active[0], 1);
    assert_int_equal(fx.active[1], 0);
    struct midi_seen m = { 0 };
    assert_int_equal(rill_net_rx_end(&fx.rx, midi_sink, &m), 2);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.time[0], 1);
    assert_int_equal(m.time[1], 200);
    assert_memory_equal(m.data[0], "\x90\x40\x7f", 3);
    assert_int_equal(fx.rx.stats.cycles, 1);
    assert_int_equal(fx.rx.stats.accepted, c.n);
    for (unsigned r = 0; r < RILL_NET_R_COUNT; r++)
        assert_int_equal(fx.rx.stats.refused[r], 0);
    /* backwards: audio 6..0 each after a later audio one, and the sync
     * after others (order is judged within a kind, the sync first) */
    assert_int_equal(fx.rx.stats.reordered, 7 + 1);
    assert_int_equal(fx.rx.stats.lost, 0);
}

static void test_int16_cycle(void **state)
{
    (void)state;
    static struct rx_fixture fx;
    static struct cycle_pkts c;
    rx_setup(&fx, RILL_NET_ENC_INT16, 1024);
    for (uint32_t p = 0; p < 2; p++)
        for (uint32_t f = 0; f < 1024; f++)
            fx.in[p][f] = sinf((float)f * 0.01f * (float)(p + 1)) * 0.9f;
    fx.in[0][5] = 3.0f;  /* clamped */
    fx.in[1][6] = -3.0f;
    const float *in[2] = { fx.in[0], fx.in[1] };
    uint32_t n, sub, last;
    assert_int_equal(rill_net_int16_split(&fx.s, 2, &n, &sub, &last), 0);
    assert_int_equal(n, 3);       /* 4096 bytes in 1388-byte payloads */
    assert_int_equal(sub, 682);
    assert_int_equal(last, 684);
    make_cycle(&fx.s, 7, in, 0, &c);
    rill_net_rx_begin(&fx.rx);
    int r = 0;
    for (unsigned i = 0; i < c.n; i++)
        r = rill_net_rx_feed(&fx.rx, c.pkt[i], c.len[i]);
    /* MIDI is expected by this receiver and was not sent: not complete */
    assert_int_equal(r, RILL_NET_RX_USED);
    for (uint32_t p = 0; p < 2; p++)
        for (uint32_t f = 0; f < 1024; f++) {
            float want = fx.in[p][f] > 1.0f ? 1.0f : fx.in[p][f] < -1.0f ? -1.0f : fx.in[p][f];
            assert_true(fabsf(fx.out[p][f] - want) <= 0.5f / 32767.0f + 1e-7f);
        }
    assert_int_equal(rill_net_rx_end(&fx.rx, NULL, NULL), -ENODATA);
    assert_int_equal(fx.rx.stats.incomplete, 1);
    /* a geometry that would split a sample: 3 ports at 1024 -> 5 packets of 409 bytes */
    assert_int_equal(rill_net_int16_split(&fx.s, 3, &n, &sub, &last), -EINVAL);
    struct rill_net_params p = setup_params();
    struct rill_net_session s;
    char err[256];
    p.encoder = RILL_NET_ENC_INT16;
    p.period = 1024;
    p.send_audio = 3;
    assert_int_equal(rill_net_session_init(&s, &p, NULL, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "int16"));
}

static void test_loss_and_newer_cycle(void **state)
{
    (void)state;
    static struct rx_fixture fx;
    static struct cycle_pkts c, d;
    rx_setup(&fx, RILL_NET_ENC_FLOAT, 1024);
    const float *in[2] = { fx.in[0], fx.in[1] };
    make_cycle(&fx.s, 100, in, 1, &c);
    make_cycle(&fx.s, 101, in, 1, &d);
    rill_net_rx_begin(&fx.rx);
    /* audio sub-packet 3 (frames 384..511) lost */
    for (unsigned i = 0; i < c.n; i++)
        if (i != 2 + 3)
            assert_true(rill_net_rx_feed(&fx.rx, c.pkt[i], c.len[i]) >= 0);
    assert_false(rill_net_rx_complete(&fx.rx));
    /* the next cycle's sync ends this one */
    assert_int_equal(rill_net_rx_feed(&fx.rx, d.pkt[0], d.len[0]), RILL_NET_RX_NEWER);
    for (uint32_t f = 0; f < 1024; f++) {
        float want = f >= 384 && f < 512 ? 0.0f : fx.in[0][f];
        assert_memory_equal(&fx.out[0][f], &want, sizeof want);
    }
    rill_net_rx_end(&fx.rx, NULL, NULL);
    assert_int_equal(fx.rx.stats.incomplete, 1);
    assert_int_equal(fx.rx.stats.lost, 1);      /* announced counts: 8 audio, 1 missing */
    assert_int_equal(fx.rx.stats.reordered, 0); /* in order */
    rill_net_rx_begin(&fx.rx);
    for (unsigned i = 0; i < d.n; i++)
        assert_true(rill_net_rx_feed(&fx.rx, d.pkt[i], d.len[i]) >= 0);
    assert_true(rill_net_rx_complete(&fx.rx));
    assert_memory_equal(fx.out, fx.in, sizeof fx.in); /* recovered the next cycle */
    rill_net_rx_end(&fx.rx, NULL, NULL);
    assert_int_equal(fx.rx.stats.cycles, 1);
    /* a late packet of cycle 100 now is stale */
    rill_net_rx_begin(&fx.rx);
    assert_int_equal(rill_net_rx_feed(&fx.rx, c.pkt[5], c.len[5]), -EBADMSG);
    assert_int_equal(fx.rx.stats.refused[RILL_NET_R_STALE], 1);
    /* cycles 102 and 103 never come: 104 counts them missed, each at the
     * last complete cycle's 10 datagrams (sync, MIDI, 8 audio) */
    static struct cycle_pkts e;
    make_cycle(&fx.s, 104, in, 1, &e);
    for (unsigned i = 0; i < e.n; i++)
        assert_true(rill_net_rx_feed(&fx.rx, e.pkt[i], e.len[i]) >= 0);
    rill_net_rx_end(&fx.rx, NULL, NULL);
    assert_int_equal(fx.rx.stats.missed, 2);
    assert_int_equal(fx.rx.stats.lost, 1 + 2 * 10);
    /* a cycle with its sync only: the audio and MIDI the last complete
     * cycle had are lost */
    make_cycle(&fx.s, 105, in, 1, &e);
    rill_net_rx_begin(&fx.rx);
    assert_true(rill_net_rx_feed(&fx.rx, e.pkt[0], e.len[0]) >= 0);
    rill_net_rx_end(&fx.rx, NULL, NULL);
    assert_int_equal(fx.rx.stats.lost, 21 + 9);
}

static void test_rx_refusals(void **state)
{
    (void)state;
    static struct rx_fixture fx;
    static struct cycle_pkts c;
    rx_setup(&fx, RILL_NET_ENC_FLOAT, 256);
    const float *in[2] = { fx.in[0], fx.in[1] };
    make_cycle(&fx.s, 9, in, 1, &c);
    rill_net_rx_begin(&fx.rx);
    uint8_t b[1500];
    struct rill_net_stats *st = &fx.rx.stats;
    /* another follower's id */
    memcpy(b, c.pkt[2], c.len[2]);
    b[19] = 99;
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, c.len[2]), -EBADMSG);
    /* our own direction echoed back ('r') */
    memcpy(b, c.pkt[2], c.len[2]);
    b[15] = 'r';
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, c.len[2]), -EBADMSG);
    assert_int_equal(st->refused[RILL_NET_R_FOREIGN], 2);
    /* an empty datagram (CVE-2014-3970's kind) */
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, 0), -EBADMSG);
    assert_int_equal(st->refused[RILL_NET_R_SHORT], 1);
    /* audio: port index 2 of 2 */
    memcpy(b, c.pkt[2], c.len[2]);
    b[RILL_NET_HEADER_SIZE + 3] = 2;
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, c.len[2]), -EBADMSG);
    /* audio: more active ports than agreed */
    memcpy(b, c.pkt[2], c.len[2]);
    b[8 + 5 * 4 + 3] = 3;
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, c.len[2]), -EBADMSG);
    assert_int_equal(st->refused[RILL_NET_R_PORT], 2);
    /* audio: sub-packet 4 of 4 and a wrong packet count */
    memcpy(b, c.pkt[2], c.len[2]);
    b[8 + 7 * 4 + 3] = 4;
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, c.len[2]), -EBADMSG);
    memcpy(b, c.pkt[2], c.len[2]);
    b[8 + 3 * 4 + 3] = 5;
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, c.len[2]), -EBADMSG);
    assert_int_equal(st->refused[RILL_NET_R_SUBCYCLE], 2);
    /* audio: one byte short, both in the header's size and the datagram */
    memcpy(b, c.pkt[2], c.len[2]);
    b[8 + 4 * 4 + 3] = (uint8_t)(c.len[2] - 1);
    b[8 + 4 * 4 + 2] = (uint8_t)((c.len[2] - 1) >> 8);
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, c.len[2] - 1), -EBADMSG);
    assert_int_equal(st->refused[RILL_NET_R_SIZE], 1);
    /* nothing of the refused packets was written */
    for (uint32_t f = 0; f < 256; f++)
        assert_true(fx.out[0][f] == 0.0f && fx.out[1][f] == 0.0f);
    /* a good one, then its duplicate */
    assert_int_equal(rill_net_rx_feed(&fx.rx, c.pkt[2], c.len[2]), RILL_NET_RX_USED);
    assert_int_equal(rill_net_rx_feed(&fx.rx, c.pkt[2], c.len[2]), -EBADMSG);
    assert_int_equal(rill_net_rx_feed(&fx.rx, c.pkt[0], c.len[0]), RILL_NET_RX_USED);
    assert_int_equal(rill_net_rx_feed(&fx.rx, c.pkt[0], c.len[0]), -EBADMSG);
    assert_int_equal(st->refused[RILL_NET_R_DUPLICATE], 2);
    /* sync naming port 2 of 2, or port 0 twice */
    rill_net_rx_begin(&fx.rx);
    uint8_t sp[RILL_NET_HEADER_SIZE + 8];
    struct rill_net_header h = { .data_type = 's', .stream = 's', .id = 3, .cycle = 10,
                                 .active_ports = 1, .packet_size = RILL_NET_HEADER_SIZE + 4 };
    rill_net_header_encode(&h, sp);
    memcpy(sp + RILL_NET_HEADER_SIZE, "\0\0\0\2", 4);
    assert_int_equal(rill_net_rx_feed(&fx.rx, sp, RILL_NET_HEADER_SIZE + 4), -EBADMSG);
    h.active_ports = 2;
    h.packet_size = RILL_NET_HEADER_SIZE + 8;
    rill_net_header_encode(&h, sp);
    memcpy(sp + RILL_NET_HEADER_SIZE, "\0\0\0\0\0\0\0\0", 8);
    assert_int_equal(rill_net_rx_feed(&fx.rx, sp, RILL_NET_HEADER_SIZE + 8), -EBADMSG);
    assert_int_equal(st->refused[RILL_NET_R_PORT], 4);
    /* MIDI: more sub-packets than the agreed stream can need (4 x 1452 > 4096) */
    memcpy(b, c.pkt[1], c.len[1]);
    b[8 + 3 * 4 + 3] = 4;
    b[8 + 7 * 4 + 3] = 3;
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, c.len[1]), -EBADMSG);
    assert_int_equal(st->refused[RILL_NET_R_SUBCYCLE], 3);
    /* MIDI: a full slice 2 of 3 would end past the 4096-byte stream */
    memset(b, 0, sizeof b);
    h = (struct rill_net_header){ .data_type = 'm', .stream = 's', .id = 3, .cycle = 10,
                                  .num_packets = 3, .sub_cycle = 2, .packet_size = 1500 };
    rill_net_header_encode(&h, b);
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, 1500), -EBADMSG);
    assert_int_equal(st->refused[RILL_NET_R_SIZE], 2);
    h.sub_cycle = 1;
    rill_net_header_encode(&h, b);
    assert_int_equal(rill_net_rx_feed(&fx.rx, b, 1500), RILL_NET_RX_USED);
}

static void test_midi_stream(void **state)
{
    (void)state;
    uint8_t stream[512];
    struct rill_net_midi_writer w;
    rill_net_midi_writer_init(&w, stream, sizeof stream, 64);
    assert_int_equal(rill_net_midi_writer_event(&w, 0, (const uint8_t *)"\xf8", 1), -EINVAL);
    assert_int_equal(rill_net_midi_writer_port(&w), 0);
    assert_int_equal(rill_net_midi_writer_event(&w, 0, (const uint8_t *)"\xf8", 1), 0);
    assert_int_equal(rill_net_midi_writer_event(&w, 64, (const uint8_t *)"\xf8", 1), -EINVAL);
    assert_int_equal(rill_net_midi_writer_event(&w, 5, (const uint8_t *)"\xf0\x7e\x7f\x09\x01\xf7",
                                                6), -EMSGSIZE);
    assert_int_equal(rill_net_midi_writer_port(&w), 0); /* port 1: empty */
    assert_int_equal(rill_net_midi_writer_port(&w), 0);
    assert_int_equal(rill_net_midi_writer_event(&w, 10, (const uint8_t *)"\xb0\x07\x64", 3), 0);
    assert_int_equal(rill_net_midi_writer_event(&w, 9, (const uint8_t *)"\xb0\x07\x64", 3), -EINVAL);
    size_t len = rill_net_midi_writer_finish(&w);
    /* 3 records: 24 + 12 * (events + 1) each */
    assert_int_equal(len, (24 + 24) + (24 + 12) + (24 + 24));
    assert_int_equal(be32(stream), RILL_NET_MIDI_MAGIC);
    assert_int_equal(be32(stream + 4), RILL_NET_MIDI_BUFFER_SIZE);
    assert_int_equal(be32(stream + 16), 1);
    struct rill_net_stats st = { 0 };
    assert_int_equal(rill_net_midi_decode(stream, len, 3, 64, NULL, NULL, &st), 2);
    /* cut short: the third record is missing */
    assert_int_equal(rill_net_midi_decode(stream, len - 1, 3, 64, NULL, NULL, &st), -EBADMSG);
    /* a huge event count */
    uint8_t bad[512];
    memcpy(bad, stream, len);
    bad[16] = 0x40;
    assert_int_equal(rill_net_midi_decode(bad, len, 3, 64, NULL, NULL, &st), -EBADMSG);
    /* write_pos beyond the record */
    memcpy(bad, stream, len);
    bad[15] = 200;
    assert_int_equal(rill_net_midi_decode(bad, len, 3, 64, NULL, NULL, &st), -EBADMSG);
    assert_int_equal(st.refused[RILL_NET_R_MIDI], 3);
    /* an event at frame 64 of 64 is skipped, the others read */
    memcpy(bad, stream, len);
    bad[24] = 64;
    assert_int_equal(rill_net_midi_decode(bad, len, 3, 64, NULL, NULL, &st), 1);
    assert_int_equal(st.refused[RILL_NET_R_MIDI], 4);
    /* a long event: its data kept at the record's end, as offsets into a
     * 32-byte buffer whose last 6 bytes hold it (write_pos 6) */
    uint8_t rec[24 + 24 + 6] = { 0 };
    rec[0] = 0x90; rec[1] = 0x0d; rec[2] = 0xf0; rec[3] = 0x0d;
    rec[7] = 32;      /* buffer size */
    rec[11] = 64;     /* frames */
    rec[15] = 6;      /* write_pos */
    rec[19] = 1;      /* one event */
    rec[24] = 2;      /* time */
    rec[28] = 6;      /* size */
    rec[32] = 26;     /* offset: 32 - 6 */
    memcpy(rec + 48, "\xf0\x7e\x7f\x09\x01\xf7", 6);
    struct midi_seen m = { 0 };
    (void)m;
    assert_int_equal(rill_net_midi_decode(rec, sizeof rec, 1, 64, NULL, NULL, &st), 1);
    rec[32] = 27;     /* one byte past the buffer's end */
    assert_int_equal(rill_net_midi_decode(rec, sizeof rec, 1, 64, NULL, NULL, &st), 0);
    rec[32] = 25;     /* before the data */
    assert_int_equal(rill_net_midi_decode(rec, sizeof rec, 1, 64, NULL, NULL, &st), 0);
    rec[32] = 0xff; rec[33] = 0xff; rec[34] = 0xff; rec[35] = 0xff; /* wraps in 32 bits */
    assert_int_equal(rill_net_midi_decode(rec, sizeof rec, 1, 64, NULL, NULL, &st), 0);
    assert_int_equal(st.refused[RILL_NET_R_MIDI], 7);
}

/* opus: the session at 256 frames, 128 kbit/s (jackd2's sizes), the
 * layout of every port's stream in the packets, a refused packet, and the
 * codec through the assembler at 480 frames (a size every libopus can
 * code; Debian's aborts on 256, see net_opus.c). */
static void test_opus(void **state)
{
    (void)state;
    struct rill_net_params p = setup_params();
    struct rill_net_session s;
    char err[256];
    p.encoder = RILL_NET_ENC_OPUS;
    p.kbps = 128;
    p.send_midi = p.return_midi = 0;
    assert_int_equal(rill_net_session_init(&s, &p, NULL, err, sizeof err), 0);
    assert_int_equal(s.opus_bytes, 128u * 1024u * 256u / (8u * 48000u)); /* 87 */
    uint32_t n, sub, last;
    assert_int_equal(rill_net_opus_split(&s, 2, &n, &sub, &last), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sub, 89);
    assert_int_equal(last, 89);
    p.kbps = 0;
    assert_int_equal(rill_net_session_init(&s, &p, NULL, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "opus"));
    /* 8 ports at 2048 kbit/s: several packets, every port's stream cut alike */
    p.kbps = 2048;
    p.send_audio = p.return_audio = 8;
    assert_int_equal(rill_net_session_init(&s, &p, NULL, err, sizeof err), 0);
    assert_int_equal(rill_net_opus_split(&s, 8, &n, &sub, &last), 0);
    uint32_t stride = s.opus_bytes + 2u;
    assert_int_equal(n, (8u * s.opus_bytes + 2u + s.payload_max - 1u) / s.payload_max);
    assert_int_equal((n - 1u) * sub + last, stride);
    static uint8_t in[8 * 1500], out[8 * 1500], pkt[1500];
    for (uint32_t i = 0; i < 8u * stride; i++)
        in[i] = (uint8_t)(i * 7u + 1u);
    memset(out, 0, sizeof out);
    for (uint32_t k = n; k-- > 0;) { /* any order */
        struct rill_net_header h = { 0 };
        int len = rill_net_audio_opus_encode(&s, k, in, 8, &h, pkt, sizeof pkt);
        assert_true(len > 0 && (uint32_t)len <= s.payload_max);
        assert_int_equal(h.active_ports, 8);
        assert_int_equal(h.num_packets, n);
        assert_int_equal(rill_net_audio_opus_decode(&s, &h, pkt, (size_t)len, out, 8, NULL), 0);
        /* checked: a wrong size, port count or sub-packet number */
        struct rill_net_stats st = { 0 };
        assert_int_equal(rill_net_audio_opus_decode(&s, &h, pkt, (size_t)len - 1u, out, 8, &st),
                         -EBADMSG);
        h.active_ports = 7;
        assert_int_equal(rill_net_audio_opus_decode(&s, &h, pkt, (size_t)len, out, 8, &st),
                         -EBADMSG);
        h.active_ports = 8;
        h.sub_cycle = n;
        assert_int_equal(rill_net_audio_opus_decode(&s, &h, pkt, (size_t)len, out, 8, &st),
                         -EBADMSG);
        assert_int_equal(st.refused[RILL_NET_R_SIZE] + st.refused[RILL_NET_R_PORT] +
                             st.refused[RILL_NET_R_SUBCYCLE], 3);
    }
    assert_memory_equal(out, in, 8u * stride);

    /* the codec: a 1 kHz sine at 480 frames, 128 kbit/s, both ways through
     * the codec; its level within 5 % once the codec has started, and a
     * length beyond opus_bytes refused as silence */
    struct rill_net_session c = { .id = 1, .mtu = 1500, .rate = 48000, .period = 480,
                                  .encoder = RILL_NET_ENC_OPUS, .kbps = 128,
                                  .capture_audio = 1, .playback_audio = 1,
                                  .payload_max = 1500 - 64 - 48 };
    c.opus_bytes = rill_net_opus_bytes(c.kbps, c.rate, c.period);
    struct rill_net_opus *o = NULL;
    assert_int_equal(rill_net_opus_create(&o, &c, 1, 1, err, sizeof err), 0);
    static float pcm[480], dec[480];
    static uint8_t stream[1500];
    double sum_in = 0, sum_out = 0;
    for (uint32_t k = 0; k < 100; k++) {
        for (uint32_t i = 0; i < 480; i++)
            pcm[i] = 0.5f * sinf(2.0f * (float)M_PI * 1000.0f * (float)(k * 480u + i) / 48000.0f);
        uint32_t len = rill_net_opus_encode(o, 0, pcm, stream);
        assert_true(len > 0 && len <= c.opus_bytes);
        assert_int_equal(rill_net_opus_decode(o, 0, stream, dec), 0);
        if (k >= 10)
            for (uint32_t i = 0; i < 480; i++) {
                sum_in += (double)pcm[i] * pcm[i];
                sum_out += (double)dec[i] * dec[i];
            }
    }
    double ratio = sqrt(sum_out / sum_in);
    assert_true(ratio > 0.95 && ratio < 1.05);
    stream[0] = 0xff; /* a length beyond the agreed size */
    assert_int_equal(rill_net_opus_decode(o, 0, stream, dec), -EBADMSG);
    for (uint32_t i = 0; i < 480; i++)
        assert_true(dec[i] == 0.0f);
    rill_net_opus_destroy(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_layout_and_round_trip),
        cmocka_unit_test(test_params_refusals),
        cmocka_unit_test(test_session_check),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_float_frames),
        cmocka_unit_test(test_float_cycle_bit_exact_any_order),
        cmocka_unit_test(test_int16_cycle),
        cmocka_unit_test(test_loss_and_newer_cycle),
        cmocka_unit_test(test_rx_refusals),
        cmocka_unit_test(test_midi_stream),
        cmocka_unit_test(test_opus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
