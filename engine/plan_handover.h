/* engine/plan_handover.h — handing a compiled plan from the main thread to
 * the realtime thread.
 *
 * The plans live in RILL_PLAN_SLOTS slots of the state segment
 * (rill_shm_state.plans). Which slot is which is one 32-bit word, so that
 * every change is one atomic step and every reader sees one snapshot:
 *
 *   bits  0-7   cur    the slot the realtime thread runs
 *   bits  8-15  next   1 + the slot published and not yet adopted; 0: none
 *   bits 16-23  prev   1 + the slot the realtime thread ran before cur; 0: none
 *
 * Two writers, each changing only its own part, by compare-and-swap:
 *   main thread     publish: next := a slot it has just written
 *   realtime thread adopt:   prev := cur, cur := next, next := none
 * A slot that is neither cur nor next belongs to the main thread: the
 * realtime thread never reads it again (clients of an earlier cycle might,
 * which is why readers bounds-check every index, see rill/plan.h; reserve
 * prefers a slot other than prev to give them one more hand-over).
 *
 *   main:  slot = reserve()  ->  write plans[slot]  ->  publish(slot)
 *   rt:    adopt() at a cycle boundary  ->  run plans[cur]
 *
 * Since the realtime thread only moves next to cur, a slot that reserve
 * found free stays free until the main thread publishes it: the set
 * {cur, next} only shrinks to {old next} between two main-thread steps.
 * The word is zero at start: slot 0 is cur, nothing pending.
 */
#ifndef RILL_PLAN_HANDOVER_H
#define RILL_PLAN_HANDOVER_H

#include <stdatomic.h>
#include <stdint.h>

#include "rill/limits.h"
#include "rill/plan.h"

_Static_assert(RILL_PLAN_SLOTS >= 3 && RILL_PLAN_SLOTS < 255,
               "a free slot always exists and slot + 1 fits in 8 bits");

/* One decoded snapshot of the word; next and prev are RILL_PLAN_NONE when
 * there is none. */
struct rill_plan_handover_view {
    uint32_t cur;
    uint32_t next;
    uint32_t prev;
};

/* Decode the word as it is now (acquire: a slot seen as free is one the
 * realtime thread has let go of). Any thread. */
struct rill_plan_handover_view rill_plan_handover_snapshot(_Atomic uint32_t *word);

/* A slot the main thread may write: neither cur nor next, and not prev when
 * another is free. Main thread. */
uint32_t rill_plan_handover_reserve(_Atomic uint32_t *word);

/* Publish slot (from reserve, now written) as next; a plan published before
 * and not adopted is replaced and its slot becomes free. Returns 0, or
 * -EINVAL when slot is out of range or is cur (a caller's bug; nothing
 * changes). Main thread; bounded: a compare-and-swap fails only when the
 * realtime thread adopted in between, which it can do once. */
int rill_plan_handover_publish(_Atomic uint32_t *word, uint32_t slot);

/* At a cycle boundary: adopt the published plan if there is one. Writes
 * the slot to run into *slot. Returns 1 when a new slot was adopted, 0 when
 * cur stays. RT-safe: no syscall, at most 4 compare-and-swaps (a failure
 * means the main thread published again in between; after 4 the current
 * plan runs one more cycle). */
int rill_plan_handover_adopt(_Atomic uint32_t *word, uint32_t *slot);

#endif
