/* tests/unit/test-plan-handover.c — the plan hand-over (engine/plan_handover.h).
 *
 * Single-threaded: the slot bookkeeping (reserve never hands out cur or next,
 * prefers a slot other than prev; publish replaces a pending plan; adopt).
 *
 * Stress: a main thread publishes plans back to back while a realtime-like
 * thread adopts one at every "cycle" and reads it for a while, as the engine
 * and its clients do. Every word of a test plan carries the plan's
 * generation: an adopted plan is whole when all its words agree, twice (at
 * adoption, and at the end of the cycle), and generations only grow. The
 * publisher writes every word of the slot it reserved, so a reserve that
 * hands out the slot being run shows up as a torn or changing plan.
 *
 * Built a second time with -DRILL_TEST_OLD_HANDOVER (make
 * tests/unit/test-plan-handover-old, not run by make check): the same test
 * against the sequence rill used before (next_plan exchanged, then cur_plan
 * stored after the playback mapping, main thread reading the two words
 * apart). That build fails: it reports torn plans within a second.
 *
 * Workers never call cmocka: they count in atomics, the test thread asserts.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/plan_handover.h"

#define WORDS 64u                 /* words of a test plan */
#define STRESS_NS 1500000000ull   /* the stress runs at least this long ... */
#define STRESS_MAX_NS 10000000000ull /* ... and at most this long, */
#define WANT_ADOPTIONS 200000u    /* until it has adopted this many plans */
#define MIN_ADOPTIONS 10000u      /* a run that adopted fewer proves little */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the hand-over under test: the real one, or the old sequence ---- */

struct handover {
    _Atomic uint32_t word;        /* the real word */
    _Atomic uint32_t next_plan;   /* old: slot + 1, 0 none */
    _Atomic uint32_t cur_plan;    /* old: the slot the realtime side runs */
};

typedef void (*on_adopt_fn)(void *arg, uint32_t slot);

#ifndef RILL_TEST_OLD_HANDOVER
static uint32_t h_reserve(struct handover *h)
{
    return rill_plan_handover_reserve(&h->word);
}

static void h_publish(struct handover *h, uint32_t slot)
{
    int r = rill_plan_handover_publish(&h->word, slot);
    (void)r;
}

/* Adopt; on_adopt runs what the engine runs after adopting (the playback
 * mapping reads the plan). Returns 1 when a new slot was adopted. */
static int h_adopt(struct handover *h, uint32_t *slot, on_adopt_fn on_adopt, void *arg)
{
    int r = rill_plan_handover_adopt(&h->word, slot);
    if (r)
        on_adopt(arg, *slot);
    return r;
}
#else
/* the sequence of engine/server.c and engine/rt.c at commit 1c637d2 */
static uint32_t h_reserve(struct handover *h)
{
    uint32_t cur = atomic_load_explicit(&h->cur_plan, memory_order_acquire);
    uint32_t pend = atomic_load_explicit(&h->next_plan, memory_order_acquire);
    uint32_t slot = 0;
    while (slot == cur || (pend && slot == pend - 1))
        slot++;
    return slot;
}

static void h_publish(struct handover *h, uint32_t slot)
{
    atomic_store_explicit(&h->next_plan, slot + 1, memory_order_release);
}

static int h_adopt(struct handover *h, uint32_t *slot, on_adopt_fn on_adopt, void *arg)
{
    uint32_t next = atomic_exchange_explicit(&h->next_plan, 0, memory_order_acq_rel);
    if (next != 0 && next <= RILL_PLAN_SLOTS) {
        *slot = next - 1;
        on_adopt(arg, *slot); /* map_playback */
        atomic_store_explicit(&h->cur_plan, *slot, memory_order_release);
        return 1;
    }
    return 0;
}
#endif

/* ---- single-threaded bookkeeping (the real hand-over only) ---- */

#ifndef RILL_TEST_OLD_HANDOVER
static void no_op(void *arg, uint32_t slot)
{
    (void)arg;
    (void)slot;
}

static void test_bookkeeping(void **state)
{
    (void)state;
    struct handover h;
    memset(&h, 0, sizeof h);
    uint32_t slot = 99;

    /* start: slot 0 runs, nothing pending */
    struct rill_plan_handover_view v = rill_plan_handover_snapshot(&h.word);
    assert_int_equal(v.cur, 0);
    assert_int_equal(v.next, RILL_PLAN_NONE);
    assert_int_equal(v.prev, RILL_PLAN_NONE);
    assert_int_equal(h_adopt(&h, &slot, no_op, NULL), 0);
    assert_int_equal(slot, 0);

    uint32_t a = h_reserve(&h);
    assert_int_not_equal(a, 0);
    assert_int_equal(rill_plan_handover_publish(&h.word, a), 0);
    /* a second plan before the first is adopted: another slot, and the
     * first is replaced (its slot free again) */
    uint32_t b = h_reserve(&h);
    assert_int_not_equal(b, 0);
    assert_int_not_equal(b, a);
    assert_int_equal(rill_plan_handover_publish(&h.word, b), 0);
    v = rill_plan_handover_snapshot(&h.word);
    assert_int_equal(v.next, b);
    assert_int_equal(h_adopt(&h, &slot, no_op, NULL), 1);
    assert_int_equal(slot, b);
    v = rill_plan_handover_snapshot(&h.word);
    assert_int_equal(v.cur, b);
    assert_int_equal(v.next, RILL_PLAN_NONE);
    assert_int_equal(v.prev, 0);
    /* free: a and 0; 0 is prev, so a is preferred */
    assert_int_equal(h_reserve(&h), a);
    /* the slot being run cannot be published */
    assert_int_equal(rill_plan_handover_publish(&h.word, b), -EINVAL);
    assert_int_equal(rill_plan_handover_publish(&h.word, RILL_PLAN_SLOTS), -EINVAL);
    v = rill_plan_handover_snapshot(&h.word);
    assert_int_equal(v.next, RILL_PLAN_NONE);
    /* nothing pending: adopt keeps cur */
    assert_int_equal(h_adopt(&h, &slot, no_op, NULL), 0);
    assert_int_equal(slot, b);
    /* reserve never returns cur or next, whatever the state */
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t s = h_reserve(&h);
        v = rill_plan_handover_snapshot(&h.word);
        assert_true(s < RILL_PLAN_SLOTS);
        assert_int_not_equal(s, v.cur);
        assert_int_not_equal(s, v.next);
        assert_int_equal(rill_plan_handover_publish(&h.word, s), 0);
        if (i % 3)
            h_adopt(&h, &slot, no_op, NULL);
    }
}
#endif

/* ---- stress: publisher against adopter ---- */

struct stress {
    struct handover h;
    _Atomic uint64_t plans[RILL_PLAN_SLOTS][WORDS];
    _Atomic int stop;
    _Atomic uint64_t published;
    _Atomic uint64_t adoptions;
    _Atomic uint64_t torn;        /* words disagreeing within one read */
    _Atomic uint64_t changed;     /* the plan changed while it ran */
    _Atomic uint64_t backwards;   /* an older generation adopted after a newer */
    uint64_t seen_gen;            /* adopter only */
};

/* Read the whole plan in slot; returns its generation, counting a torn
 * read. Adopter thread. */
static uint64_t read_plan(struct stress *t, uint32_t slot)
{
    uint64_t g = atomic_load_explicit(&t->plans[slot][0], memory_order_relaxed);
    for (uint32_t i = 1; i < WORDS; i++)
        if (atomic_load_explicit(&t->plans[slot][i], memory_order_relaxed) != g) {
            atomic_fetch_add_explicit(&t->torn, 1, memory_order_relaxed);
            break;
        }
    return g;
}

/* What the engine does right after an adoption: read the plan (mapping). */
static void on_adopt(void *arg, uint32_t slot)
{
    struct stress *t = arg;
    uint64_t g = read_plan(t, slot);
    if (g < t->seen_gen)
        atomic_fetch_add_explicit(&t->backwards, 1, memory_order_relaxed);
    t->seen_gen = g;
}

static void *adopter(void *arg)
{
    struct stress *t = arg;
    uint32_t slot = 0;
    while (!atomic_load_explicit(&t->stop, memory_order_acquire)) {
        if (h_adopt(&t->h, &slot, on_adopt, t))
            atomic_fetch_add_explicit(&t->adoptions, 1, memory_order_relaxed);
        else
            sched_yield(); /* nothing new: on a shared CPU, let the publisher run */
        /* the rest of the cycle: the plan is read again, it must not have
         * changed since adoption */
        uint64_t g = read_plan(t, slot);
        for (int k = 0; k < 3; k++)
            if (read_plan(t, slot) != g) {
                atomic_fetch_add_explicit(&t->changed, 1, memory_order_relaxed);
                break;
            }
        if (slot < RILL_PLAN_SLOTS && g != t->seen_gen && t->seen_gen != 0)
            atomic_fetch_add_explicit(&t->changed, 1, memory_order_relaxed);
    }
    return NULL;
}

static void *publisher(void *arg)
{
    struct stress *t = arg;
    uint64_t gen = 0;
    while (!atomic_load_explicit(&t->stop, memory_order_acquire)) {
        uint32_t slot = h_reserve(&t->h);
        gen++;
        for (uint32_t i = 0; i < WORDS; i++)
            atomic_store_explicit(&t->plans[slot][i], gen, memory_order_relaxed);
        h_publish(&t->h, slot);
        /* on a loaded machine both threads may share one CPU: give the
         * adopter a turn now and then, so that it adopts often */
        if ((atomic_fetch_add_explicit(&t->published, 1, memory_order_relaxed) & 63u) == 63u)
            sched_yield();
    }
    return NULL;
}

static void test_stress(void **state)
{
    (void)state;
    static struct stress t;
    memset(&t, 0, sizeof t);
    pthread_t pa, pp;
    assert_int_equal(pthread_create(&pa, NULL, adopter, &t), 0);
    assert_int_equal(pthread_create(&pp, NULL, publisher, &t), 0);
    uint64_t start = now_ns();
    while (now_ns() - start < STRESS_MAX_NS &&
           (now_ns() - start < STRESS_NS ||
            atomic_load_explicit(&t.adoptions, memory_order_relaxed) < WANT_ADOPTIONS)) {
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
    atomic_store_explicit(&t.stop, 1, memory_order_release);
    pthread_join(pp, NULL);
    pthread_join(pa, NULL);

    uint64_t pub = atomic_load(&t.published), ad = atomic_load(&t.adoptions);
    uint64_t torn = atomic_load(&t.torn), changed = atomic_load(&t.changed),
             back = atomic_load(&t.backwards);
    printf("# published %llu, adopted %llu, torn %llu, changed while running %llu, "
           "backwards %llu\n",
           (unsigned long long)pub, (unsigned long long)ad, (unsigned long long)torn,
           (unsigned long long)changed, (unsigned long long)back);
    assert_true(ad >= MIN_ADOPTIONS);
    assert_int_equal(torn, 0);
    assert_int_equal(changed, 0);
    assert_int_equal(back, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#ifndef RILL_TEST_OLD_HANDOVER
        cmocka_unit_test(test_bookkeeping),
#endif
        cmocka_unit_test(test_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
