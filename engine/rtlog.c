/* engine/rtlog.c — the realtime thread's lock-free event ring. */
#include "engine/rtlog.h"

#include <errno.h>

/* RT-safe: two atomic loads, a copy, one release store. */
int rill_rtlog_push(struct rill_rtlog *l, uint32_t type, uint64_t a, uint64_t b, uint64_t now_ns)
{
    uint32_t head = atomic_load_explicit(&l->head, memory_order_relaxed);
    /* acquire: the consumer is done reading the slot we are about to reuse */
    uint32_t tail = atomic_load_explicit(&l->tail, memory_order_acquire);
    if (head - tail >= RILL_RTLOG_SIZE) {
        atomic_fetch_add_explicit(&l->dropped, 1, memory_order_relaxed);
        return -ENOSPC;
    }
    struct rill_rtlog_rec *r = &l->rec[head & (RILL_RTLOG_SIZE - 1)];
    r->type = type;
    r->a = a;
    r->b = b;
    r->time_ns = now_ns;
    /* release: the record's contents are visible before the new head */
    atomic_store_explicit(&l->head, head + 1, memory_order_release);
    return 0;
}

/* Main thread. */
int rill_rtlog_pop(struct rill_rtlog *l, struct rill_rtlog_rec *out)
{
    uint32_t tail = atomic_load_explicit(&l->tail, memory_order_relaxed);
    /* acquire: pairs with the producer's release of head */
    uint32_t head = atomic_load_explicit(&l->head, memory_order_acquire);
    if (tail == head)
        return 0;
    *out = l->rec[tail & (RILL_RTLOG_SIZE - 1)];
    /* release: we are done with the slot before the producer may reuse it */
    atomic_store_explicit(&l->tail, tail + 1, memory_order_release);
    return 1;
}
