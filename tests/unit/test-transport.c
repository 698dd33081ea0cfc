/* tests/unit/test-transport.c — the transport state machine
 * (transport/transport.h): start/stop, slow-sync clients (none, one,
 * several, one that is never ready), locate and reposition while stopped
 * and rolling, timebase master output, takeover, conditional refusal and
 * release. The "clients" here write their records the way libjack does
 * (rill/transport_shm.h); every cycle goes through rill_transport_cycle as
 * the engine's realtime thread calls it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rill/shm.h"
#include "transport/transport.h"

#define NFRAMES 256u
#define RATE 48000u
#define PERIOD_US 5333u
#define BPM 120.0
#define TPB 1920.0

struct fx {
    struct rill_transport t;
    struct rill_plan *plan;
    struct rill_transport_client *clients;
    struct rill_transport_master_out mo;
    struct rill_transport_shm out;
    uint64_t cycle, usecs, now_ns;
    uint64_t last_unique;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->plan = calloc(1, sizeof(*f->plan));
    f->clients = aligned_alloc(64, sizeof(struct rill_transport_client) * RILL_MAX_CLIENTS);
    assert_non_null(f->plan);
    assert_non_null(f->clients);
    memset(f->clients, 0, sizeof(struct rill_transport_client) * RILL_MAX_CLIENTS);
    rill_transport_init(&f->t);
    /* nodes: slots 1..4 */
    f->plan->nnodes = 4;
    for (uint32_t k = 0; k < 4; k++)
        f->plan->nodes[k].client = k + 1;
    f->usecs = 1000000;
    f->now_ns = 1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    free(f->clients);
    free(f->plan);
    free(f);
    return 0;
}

/* One cycle boundary; checks the unique ids. */
static void step(struct fx *f)
{
    f->cycle++;
    f->usecs += PERIOD_US;
    struct rill_transport_cycle_in in = { .cycle = f->cycle, .nframes = NFRAMES, .rate = RATE,
                                          .usecs = f->usecs, .plan = f->plan };
    rill_transport_cycle(&f->t, &in, f->clients, &f->mo, &f->out);
    struct rill_transport_shm copy;
    assert_int_equal(rill_transport_read(&f->out, &copy), 0);
    assert_true(copy.pos.unique > f->last_unique);
    f->last_unique = copy.pos.unique;
    assert_int_equal(copy.cycle, f->cycle);
    assert_int_equal(copy.pos.frame_rate, RATE);
}

static void cmd(struct fx *f, uint32_t slot, uint32_t c)
{
    rill_transport_request_cmd(&f->clients[slot], c, f->now_ns++);
}

static void locate(struct fx *f, uint32_t slot, uint32_t frame)
{
    struct rill_transport_pos p;
    memset(&p, 0, sizeof(p));
    p.frame = frame;
    assert_int_equal(rill_transport_request_pos(&f->clients[slot], &p, f->now_ns++), 0);
}

static void ready(struct fx *f, uint32_t slot)
{
    atomic_store(&f->clients[slot].sync_ready, f->out.sync_gen);
}

/* The BBT of frame at BPM 4/4, TPB ticks per beat (bar and beat from 1). */
static void bbt_of(uint32_t frame, int32_t *bar, int32_t *beat, int32_t *tick)
{
    double beats = (double)frame / RATE / 60.0 * BPM;
    long abs_tick = (long)(beats * TPB);
    long abs_beat = abs_tick / (long)TPB;
    *bar = (int32_t)(abs_beat / 4) + 1;
    *beat = (int32_t)(abs_beat % 4) + 1;
    *tick = (int32_t)(abs_tick % (long)TPB);
}

/* What a timebase master's realtime thread does after process: when it is
 * the master and the transport rolls or a new position is coming, compute
 * the BBT of next_frame and write it. Returns 1 when it ran. */
static int master_run(struct fx *f, uint32_t slot)
{
    if (f->out.master != slot + 1)
        return 0;
    if (f->out.state != RILL_TRANSPORT_ROLLING && !f->out.new_pos &&
        (f->out.pos.valid & RILL_POS_BBT))
        return 0;
    uint32_t s = atomic_load(&f->mo.seq);
    atomic_store(&f->mo.seq, s + 1);
    f->mo.slot = slot;
    f->mo.cycle = f->out.cycle;
    memset(&f->mo.pos, 0, sizeof(f->mo.pos));
    f->mo.pos.frame = f->out.next_frame;
    f->mo.pos.valid = RILL_POS_BBT;
    bbt_of(f->out.next_frame, &f->mo.pos.bar, &f->mo.pos.beat, &f->mo.pos.tick);
    f->mo.pos.beats_per_bar = 4;
    f->mo.pos.beat_type = 4;
    f->mo.pos.ticks_per_beat = TPB;
    f->mo.pos.beats_per_minute = BPM;
    atomic_store(&f->mo.seq, s + 2);
    return 1;
}

static void assert_bbt_matches(const struct fx *f)
{
    int32_t bar, beat, tick;
    assert_true(f->out.pos.valid & RILL_POS_BBT);
    bbt_of(f->out.pos.frame, &bar, &beat, &tick);
    assert_int_equal(f->out.pos.bar, bar);
    assert_int_equal(f->out.pos.beat, beat);
    assert_int_equal(f->out.pos.tick, tick);
    assert_true(f->out.pos.beats_per_minute == BPM);
}

/* ---- tests */

static void test_start_stop_no_sync(void **state)
{
    struct fx *f = *state;
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_STOPPED);
    assert_int_equal(f->out.pos.frame, 0);
    assert_int_equal(f->out.pos.valid, 0);
    cmd(f, 1, RILL_TRANSPORT_CMD_START);
    step(f); /* no slow-sync client: rolling at once */
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
    assert_int_equal(f->out.pos.frame, 0);
    assert_int_equal(f->out.next_frame, NFRAMES);
    for (uint32_t i = 1; i <= 10; i++) {
        step(f);
        assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
        assert_int_equal(f->out.pos.frame, i * NFRAMES);
    }
    cmd(f, 2, RILL_TRANSPORT_CMD_STOP);
    step(f); /* the last rolling cycle played its period */
    assert_int_equal(f->out.state, RILL_TRANSPORT_STOPPED);
    assert_int_equal(f->out.pos.frame, 11 * NFRAMES);
    step(f);
    assert_int_equal(f->out.pos.frame, 11 * NFRAMES);
    assert_int_equal(f->out.next_frame, 11 * NFRAMES);
    /* the engine's own record (rillctl) is scanned too */
    cmd(f, 0, RILL_TRANSPORT_CMD_START);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
}

static void test_newest_command_wins(void **state)
{
    struct fx *f = *state;
    step(f);
    cmd(f, 3, RILL_TRANSPORT_CMD_START);
    cmd(f, 1, RILL_TRANSPORT_CMD_STOP); /* later */
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_STOPPED);
    cmd(f, 1, RILL_TRANSPORT_CMD_STOP);
    cmd(f, 3, RILL_TRANSPORT_CMD_START); /* later */
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
    /* a client that is not a node of the plan is not scanned */
    cmd(f, 9, RILL_TRANSPORT_CMD_STOP);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
}

static void test_slow_sync_one(void **state)
{
    struct fx *f = *state;
    assert_int_equal(rill_transport_set_sync(&f->t, 2, 1, &f->clients[2]), 0);
    step(f);
    cmd(f, 1, RILL_TRANSPORT_CMD_START);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_STARTING);
    for (int i = 0; i < 5; i++) {
        step(f); /* not ready: Starting, frame does not move */
        assert_int_equal(f->out.state, RILL_TRANSPORT_STARTING);
        assert_int_equal(f->out.pos.frame, 0);
        assert_int_equal(f->out.next_frame, 0);
    }
    ready(f, 2);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
    assert_int_equal(f->out.pos.frame, 0);
    step(f);
    assert_int_equal(f->out.pos.frame, NFRAMES);
}

static void test_slow_sync_several(void **state)
{
    struct fx *f = *state;
    for (uint32_t s = 1; s <= 3; s++)
        rill_transport_set_sync(&f->t, s, 1, &f->clients[s]);
    rill_transport_set_sync(&f->t, 7, 1, &f->clients[7]); /* not in the plan: ignored */
    step(f);
    cmd(f, 4, RILL_TRANSPORT_CMD_START);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_STARTING);
    ready(f, 1);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_STARTING);
    ready(f, 3);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_STARTING);
    ready(f, 2);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
    /* stop, start again: a new generation, everyone is polled again */
    cmd(f, 4, RILL_TRANSPORT_CMD_STOP);
    step(f);
    uint32_t gen = f->out.sync_gen;
    cmd(f, 4, RILL_TRANSPORT_CMD_START);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_STARTING);
    assert_int_not_equal(f->out.sync_gen, gen);
    /* a client that unregisters no longer holds the start */
    ready(f, 1);
    ready(f, 2);
    rill_transport_set_sync(&f->t, 3, 0, NULL);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
}

static void test_sync_timeout(void **state)
{
    struct fx *f = *state;
    rill_transport_set_sync(&f->t, 1, 1, &f->clients[1]);
    rill_transport_set_sync(&f->t, 2, 1, &f->clients[2]);
    assert_int_equal(rill_transport_set_timeout(&f->t, 0), -EINVAL);
    assert_int_equal(rill_transport_set_timeout(&f->t, 20000), 0);
    step(f);
    cmd(f, 1, RILL_TRANSPORT_CMD_START);
    step(f);
    uint64_t started = f->usecs;
    unsigned starting = 0;
    while (f->out.state == RILL_TRANSPORT_STARTING && starting < 100) {
        ready(f, 1); /* client 2 never becomes ready */
        step(f);
        starting++;
    }
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
    assert_true(f->usecs - started >= 20000);
    assert_true(f->usecs - started < 20000 + PERIOD_US);
    /* rolling from where it waited */
    assert_int_equal(f->out.pos.frame, 0);
    step(f);
    assert_int_equal(f->out.pos.frame, NFRAMES);
}

static void test_locate_stopped(void **state)
{
    struct fx *f = *state;
    rill_transport_set_sync(&f->t, 1, 1, &f->clients[1]);
    step(f);
    uint32_t gen = f->out.sync_gen;
    locate(f, 2, 48000);
    step(f); /* latched: announced, not yet in effect */
    assert_int_equal(f->out.pos.frame, 0);
    assert_int_equal(f->out.new_pos, 1);
    assert_int_equal(f->out.next_frame, 48000);
    step(f); /* two cycles after the request */
    assert_int_equal(f->out.state, RILL_TRANSPORT_STOPPED);
    assert_int_equal(f->out.pos.frame, 48000);
    assert_int_equal(f->out.new_pos, 0);
    assert_int_not_equal(f->out.sync_gen, gen); /* slow-sync clients polled */
    step(f);
    assert_int_equal(f->out.pos.frame, 48000);
}

static void test_reposition_rolling(void **state)
{
    struct fx *f = *state;
    step(f);
    cmd(f, 1, RILL_TRANSPORT_CMD_START);
    step(f);
    step(f);
    assert_int_equal(f->out.pos.frame, NFRAMES);
    locate(f, 3, 96000);
    step(f);
    assert_int_equal(f->out.pos.frame, 2 * NFRAMES);
    assert_int_equal(f->out.next_frame, 96000);
    step(f); /* no slow-sync client: keeps rolling at the new frame */
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
    assert_int_equal(f->out.pos.frame, 96000);
    step(f);
    assert_int_equal(f->out.pos.frame, 96000 + NFRAMES);

    /* with a slow-sync client: Starting at the new frame until ready */
    rill_transport_set_sync(&f->t, 2, 1, &f->clients[2]);
    locate(f, 3, 1000);
    step(f);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_STARTING);
    assert_int_equal(f->out.pos.frame, 1000);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_STARTING);
    assert_int_equal(f->out.pos.frame, 1000);
    ready(f, 2);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
    assert_int_equal(f->out.pos.frame, 1000);
    step(f);
    assert_int_equal(f->out.pos.frame, 1000 + NFRAMES);
}

static void test_request_being_written_waits(void **state)
{
    struct fx *f = *state;
    step(f);
    locate(f, 1, 5000);
    atomic_fetch_add(&f->clients[1].req_seq, 1); /* a writer is in the middle */
    step(f);
    assert_int_equal(f->out.new_pos, 0);
    atomic_fetch_add(&f->clients[1].req_seq, 1); /* done */
    step(f);
    assert_int_equal(f->out.new_pos, 1);
    assert_int_equal(f->out.next_frame, 5000);
    step(f);
    assert_int_equal(f->out.pos.frame, 5000);
}

static void test_timebase_bbt_every_cycle(void **state)
{
    struct fx *f = *state;
    assert_int_equal(rill_transport_set_timebase(&f->t, 1, 0), 0);
    step(f);
    assert_int_equal(f->out.master, 2);
    master_run(f, 1); /* first cycle: BBT not valid yet, master asked (new_pos) */
    step(f);
    assert_bbt_matches(f);
    cmd(f, 2, RILL_TRANSPORT_CMD_START);
    master_run(f, 1);
    step(f);
    assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
    for (int i = 0; i < 50; i++) {
        assert_bbt_matches(f);
        master_run(f, 1);
        step(f);
    }
    assert_int_equal(f->out.pos.frame, 50 * NFRAMES);
    /* locate while rolling: new frame, still rolling, BBT valid each cycle */
    locate(f, 3, 480000);
    for (int i = 0; i < 6; i++) {
        assert_bbt_matches(f);
        master_run(f, 1);
        step(f);
        assert_int_equal(f->out.state, RILL_TRANSPORT_ROLLING);
    }
    assert_int_equal(f->out.pos.frame, 480000 + 4 * NFRAMES);
    assert_bbt_matches(f);
    /* a master that misses a cycle: only the frame is valid, then it recovers */
    step(f);
    assert_int_equal(f->out.pos.valid & RILL_POS_BBT, 0);
    master_run(f, 1);
    step(f);
    assert_bbt_matches(f);
}

static void test_timebase_takeover_release(void **state)
{
    struct fx *f = *state;
    assert_int_equal(rill_transport_set_timebase(&f->t, 1, 1), 0);
    assert_int_equal(rill_transport_set_timebase(&f->t, 1, 1), 0); /* again: still ours */
    assert_int_equal(rill_transport_set_timebase(&f->t, 2, 1), -EBUSY);
    step(f);
    master_run(f, 1);
    step(f);
    assert_int_equal(f->out.master, 2);
    assert_bbt_matches(f);
    /* unconditional takeover: the former master's output is void */
    assert_int_equal(rill_transport_set_timebase(&f->t, 2, 0), 0);
    master_run(f, 1); /* it still thinks it is master this cycle */
    step(f);
    assert_int_equal(f->out.master, 3);
    assert_int_equal(f->out.pos.valid & RILL_POS_BBT, 0);
    assert_int_equal(master_run(f, 1), 0);
    assert_int_equal(master_run(f, 2), 1);
    step(f);
    assert_bbt_matches(f);
    assert_int_equal(rill_transport_release_timebase(&f->t, 1), -EINVAL);
    assert_int_equal(rill_transport_release_timebase(&f->t, 2), 0);
    step(f);
    assert_int_equal(f->out.master, 0);
    assert_int_equal(f->out.pos.valid, 0); /* frame numbers only */
    /* a master that leaves releases the timebase; a conditional request works again */
    assert_int_equal(rill_transport_set_timebase(&f->t, 3, 1), 0);
    rill_transport_client_gone(&f->t, 3);
    step(f);
    assert_int_equal(f->out.master, 0);
    assert_int_equal(rill_transport_set_timebase(&f->t, 4, 1), 0);
    assert_int_equal(rill_transport_set_timebase(&f->t, RILL_MAX_CLIENTS, 0), -EINVAL);
}

static void test_reposition_bbt_without_master(void **state)
{
    struct fx *f = *state;
    step(f);
    struct rill_transport_pos p;
    memset(&p, 0, sizeof(p));
    p.frame = 9600;
    p.valid = RILL_POS_BBT;
    p.bar = 3;
    p.beat = 2;
    p.beats_per_minute = 90;
    assert_int_equal(rill_transport_request_pos(&f->clients[1], &p, f->now_ns++), 0);
    step(f);
    assert_int_equal(f->out.request.bar, 3); /* what a master would be given */
    step(f);
    assert_int_equal(f->out.pos.frame, 9600);
    assert_true(f->out.pos.valid & RILL_POS_BBT);
    assert_int_equal(f->out.pos.bar, 3);
    cmd(f, 1, RILL_TRANSPORT_CMD_START);
    step(f);
    step(f); /* moved on: nobody computes BBT for the new frame */
    assert_int_equal(f->out.pos.valid, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_stop_no_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newest_command_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_sync_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_sync_several, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locate_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reposition_rolling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_being_written_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timebase_bbt_every_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timebase_takeover_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reposition_bbt_without_master, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
