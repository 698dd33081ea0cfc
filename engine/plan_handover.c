/* engine/plan_handover.c — both sides of the plan hand-over (see
 * engine/plan_handover.h for the word and the protocol). */
#include "engine/plan_handover.h"

#include <errno.h>

#define CUR_SHIFT 0u
#define NEXT_SHIFT 8u
#define PREV_SHIFT 16u

static inline uint32_t field(uint32_t w, uint32_t shift)
{
    return (w >> shift) & 0xffu;
}

/* cur is a slot; next and prev are stored as slot + 1 (0: none). Any thread. */
static inline uint32_t pack(uint32_t cur, uint32_t next1, uint32_t prev1)
{
    return (cur << CUR_SHIFT) | (next1 << NEXT_SHIFT) | (prev1 << PREV_SHIFT);
}

/* Any thread. */
struct rill_plan_handover_view rill_plan_handover_snapshot(_Atomic uint32_t *word)
{
    /* acquire: pairs with the realtime thread's release in adopt, so its
     * reads of a slot it left happen before our writes to it */
    uint32_t w = atomic_load_explicit(word, memory_order_acquire);
    uint32_t n1 = field(w, NEXT_SHIFT), p1 = field(w, PREV_SHIFT);
    return (struct rill_plan_handover_view){
        .cur = field(w, CUR_SHIFT),
        .next = n1 ? n1 - 1 : RILL_PLAN_NONE,
        .prev = p1 ? p1 - 1 : RILL_PLAN_NONE,
    };
}

/* Main thread. */
uint32_t rill_plan_handover_reserve(_Atomic uint32_t *word)
{
    struct rill_plan_handover_view v = rill_plan_handover_snapshot(word);
    uint32_t fallback = RILL_PLAN_NONE;
    for (uint32_t s = 0; s < RILL_PLAN_SLOTS; s++) {
        if (s == v.cur || s == v.next)
            continue;
        if (s != v.prev)
            return s;
        fallback = s;
    }
    /* three slots or more: at least one is neither cur nor next */
    return fallback;
}

/* Main thread. */
int rill_plan_handover_publish(_Atomic uint32_t *word, uint32_t slot)
{
    if (slot >= RILL_PLAN_SLOTS)
        return -EINVAL;
    uint32_t w = atomic_load_explicit(word, memory_order_relaxed);
    for (unsigned tries = 0; tries < 3; tries++) {
        if (field(w, CUR_SHIFT) == slot)
            return -EINVAL;
        uint32_t nw = pack(field(w, CUR_SHIFT), slot + 1, field(w, PREV_SHIFT));
        /* release: the plan written into slot happens before the adoption
         * (the realtime thread's acquire); strong, so that a failure always
         * means an adoption, which can happen once before we publish */
        if (atomic_compare_exchange_strong_explicit(word, &w, nw, memory_order_release,
                                                    memory_order_relaxed))
            return 0;
    }
    return -EAGAIN; /* not reached: see above */
}

/* Realtime thread. RT-safe. */
int rill_plan_handover_adopt(_Atomic uint32_t *word, uint32_t *slot)
{
    /* acquire: with the publisher's release, the whole plan is visible */
    uint32_t w = atomic_load_explicit(word, memory_order_acquire);
    for (unsigned tries = 0; tries < 4; tries++) {
        uint32_t n1 = field(w, NEXT_SHIFT);
        if (n1 == 0 || n1 > RILL_PLAN_SLOTS)
            break;
        uint32_t nw = pack(n1 - 1, 0, field(w, CUR_SHIFT) + 1);
        /* acq_rel: acquire for the new plan's contents; release so that our
         * reads of the slot we leave happen before the main thread, which
         * sees it free (acquire in reserve), writes it again */
        if (atomic_compare_exchange_strong_explicit(word, &w, nw, memory_order_acq_rel,
                                                    memory_order_acquire)) {
            *slot = n1 - 1;
            return 1;
        }
    }
    uint32_t cur = field(w, CUR_SHIFT);
    *slot = cur < RILL_PLAN_SLOTS ? cur : 0;
    return 0;
}
