/* rill/seqlock.h — the one sequence lock of rill's shared memory.
 *
 * A seqlock guards data that one writer changes and any number of readers
 * copy, without the readers ever writing (the state segment is mapped
 * read-only in clients). seq is even while the data is stable and odd while
 * a writer changes it.
 *
 * Writer (one at a time, by the caller's own rule: one thread owns the
 * data, or several race and the loser skips its write):
 *
 *     rill_seqlock_write_begin(&x->seq);     or: if (rill_seqlock_try_write_begin(&x->seq))
 *     ... stores ...
 *     rill_seqlock_write_end(&x->seq);
 *
 * Reader (any thread, RT-safe):
 *
 *     for (unsigned t = 0; t < RILL_SEQLOCK_READ_TRIES; t++) {
 *         uint32_t s;
 *         if (!rill_seqlock_read_begin(&x->seq, &s))
 *             continue;                      // a writer is active
 *         ... copy what is needed; bound every index and length read ...
 *         if (rill_seqlock_read_end(&x->seq, s))
 *             return 0;                      // a consistent copy
 *     }
 *     return -EAGAIN;                        // never a torn copy
 *
 * or rill_seqlock_read_copy() for a plain copy. A reader that does not get a
 * consistent copy within RILL_SEQLOCK_READ_TRIES attempts says so
 * (-EAGAIN): on a realtime thread, spinning longer cannot help when the
 * writer is a preempted thread of lower priority on the same CPU. Each
 * failed attempt pauses the CPU once (a few tens of ns), so the limit costs
 * some tens of microseconds at most. Writers keep their sections short (a
 * few hundred stores) so that a reader practically never sees the limit.
 *
 * Memory orders: the writer makes seq odd (relaxed) and issues a release
 * fence, so the odd value is visible no later than any store that follows;
 * it ends with a release store of the next even value, so a reader that sees
 * it sees every store before it. The reader loads seq with acquire (its
 * copies are at least as new), copies, issues an acquire fence (the copies
 * are done before the reload) and reloads seq: equal and even means no
 * writer overlapped the copy.
 */
#ifndef RILL_SEQLOCK_H
#define RILL_SEQLOCK_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Attempts of one read: the only retry limit of rill's seqlocks. */
#define RILL_SEQLOCK_READ_TRIES 1024u

/* One short pause of the CPU in a spin (no syscall). RT-safe. */
static inline void rill_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Begin a write; the caller is the only writer. RT-safe. */
static inline void rill_seqlock_write_begin(_Atomic uint32_t *seq)
{
    uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);
    atomic_store_explicit(seq, s + 1, memory_order_relaxed);
    /* release fence: the odd value is visible before the stores that follow */
    atomic_thread_fence(memory_order_release);
}

/* Begin a write when several writers may race: seq goes from even to odd
 * by one compare-and-swap. Returns 1 when the caller now writes (and must
 * call rill_seqlock_write_end), 0 when another writer holds it. RT-safe. */
static inline int rill_seqlock_try_write_begin(_Atomic uint32_t *seq)
{
    uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);
    /* acquire: nothing of the previous writer's is reordered into ours */
    if ((s & 1) || !atomic_compare_exchange_strong_explicit(seq, &s, s + 1,
                                                           memory_order_acquire,
                                                           memory_order_relaxed))
        return 0;
    atomic_thread_fence(memory_order_release);
    return 1;
}

/* End a write. RT-safe. */
static inline void rill_seqlock_write_end(_Atomic uint32_t *seq)
{
    uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);
    /* release: a reader that sees the even value sees every store above */
    atomic_store_explicit(seq, s + 1, memory_order_release);
}

/* Begin a read attempt: 1 and *s set when no writer is active, else 0
 * (after a pause). The cast drops const: a load does not write, and the
 * data may be mapped read-only. Any thread; RT-safe. */
static inline int rill_seqlock_read_begin(const _Atomic uint32_t *seq, uint32_t *s)
{
    *s = atomic_load_explicit((_Atomic uint32_t *)seq, memory_order_acquire);
    if (*s & 1) {
        rill_cpu_relax();
        return 0;
    }
    return 1;
}

/* End a read attempt begun with s: 1 when the copy is consistent, else 0
 * (after a pause). Any thread; RT-safe. */
static inline int rill_seqlock_read_end(const _Atomic uint32_t *seq, uint32_t s)
{
    /* acquire fence: the copies above complete before seq is reloaded */
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit((_Atomic uint32_t *)seq, memory_order_relaxed) == s)
        return 1;
    rill_cpu_relax();
    return 0;
}

/* Copy n bytes from src to dst under seq. Returns 0, or -EAGAIN when no
 * attempt got a consistent copy (dst then holds an unspecified mix; the
 * caller must not use it). Any thread; RT-safe. */
static inline int rill_seqlock_read_copy(const _Atomic uint32_t *seq, void *dst, const void *src,
                                         size_t n)
{
    for (unsigned t = 0; t < RILL_SEQLOCK_READ_TRIES; t++) {
        uint32_t s;
        if (!rill_seqlock_read_begin(seq, &s))
            continue;
        memcpy(dst, src, n);
        if (rill_seqlock_read_end(seq, s))
            return 0;
    }
    return -EAGAIN;
}

#endif
