/* clients/jack/jack_ringbuffer.c — jack_ringbuffer_*: a lock-free ring for
 * one reader thread and one writer thread.
 *
 * The struct is JACK's public jack_ringbuffer_t (<jack/ringbuffer.h>), whose
 * layout programs are compiled against: buf, write_ptr, read_ptr (indices
 * in [0, size)), size (a power of two), size_mask, mlocked. One byte is
 * always left free, so write_ptr == read_ptr means empty.
 *
 * Ordering. The header declares the two indices `volatile size_t`, which is
 * no synchronisation; rill reads and writes them only as C11 atomics
 * (rb_word below; _Atomic size_t has size_t's size and representation, which
 * the static asserts check):
 *   - the writer copies data in, then stores write_ptr with release; the
 *     reader loads write_ptr with acquire, so it sees the data;
 *   - the reader copies data out, then stores read_ptr with release; the
 *     writer loads read_ptr with acquire, so it never overwrites bytes that
 *     are still being read;
 *   - each side loads its own index relaxed (it is the only writer of it).
 * The size queries may be called from either side and load both with
 * acquire. reset and reset_size are, as in JACK, not thread-safe.
 *
 * jack_ringbuffer_create allocates a struct rill_ringbuffer, whose first
 * member is the public struct: the allocation's capacity is kept next to
 * it, so reset_size can refuse a size larger than the memory it has.
 *
 * Threads: create, free, mlock, reset, reset_size: any non-realtime thread;
 * everything else is RT-safe (no allocation, lock or syscall).
 */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "clients/jack/jack_priv.h"

#pragma GCC visibility push(default)
#include <jack/ringbuffer.h>
#pragma GCC visibility pop

_Static_assert(sizeof(_Atomic size_t) == sizeof(size_t), "atomic size_t has size_t's size");
_Static_assert(alignof(_Atomic size_t) == alignof(size_t), "atomic size_t has size_t's alignment");

struct rill_ringbuffer {
    jack_ringbuffer_t pub; /* first: the pointer programs get */
    size_t capacity;       /* bytes allocated at buf */
};

/* One of the two indices as the atomic it is used as. Any thread. */
static inline _Atomic size_t *rb_word(const volatile size_t *p)
{
    return (_Atomic size_t *)(uintptr_t)p;
}

/* The largest size we allocate: a power of two whose doubling still fits. */
#define RB_MAX_SIZE (((size_t)1) << (sizeof(size_t) * 8 - 2))

/* Any non-realtime thread. */
jack_ringbuffer_t *jack_ringbuffer_create(size_t sz)
{
    if (sz > RB_MAX_SIZE) {
        rill_jack_error("jack_ringbuffer_create: size %zu is too large (at most %zu)", sz,
                        RB_MAX_SIZE);
        return NULL;
    }
    size_t size = 2;
    while (size < sz)
        size <<= 1;
    struct rill_ringbuffer *r = calloc(1, sizeof(*r));
    if (!r)
        goto fail;
    r->pub.buf = malloc(size);
    if (!r->pub.buf)
        goto fail_struct;
    r->capacity = size;
    r->pub.size = size;
    r->pub.size_mask = size - 1;
    atomic_init(rb_word(&r->pub.write_ptr), 0);
    atomic_init(rb_word(&r->pub.read_ptr), 0);
    r->pub.mlocked = 0;
    return &r->pub;

fail_struct:
    free(r);
fail:
    rill_jack_error("jack_ringbuffer_create: out of memory for %zu bytes", size);
    return NULL;
}

/* Any non-realtime thread. */
void jack_ringbuffer_free(jack_ringbuffer_t *rb)
{
    if (!rb)
        return;
    struct rill_ringbuffer *r = (struct rill_ringbuffer *)rb;
    if (rb->mlocked)
        (void)munlock(rb->buf, r->capacity);
    free(rb->buf);
    free(r);
}

/* Any non-realtime thread: lock the data in memory (0, or -1 when mlock
 * failed, e.g. RLIMIT_MEMLOCK). */
int jack_ringbuffer_mlock(jack_ringbuffer_t *rb)
{
    if (!rb)
        return -1;
    struct rill_ringbuffer *r = (struct rill_ringbuffer *)rb;
    if (mlock(rb->buf, r->capacity) != 0)
        return -1;
    rb->mlocked = 1;
    return 0;
}

/* Empty the ring and zero its data. Not thread-safe (as in JACK). */
void jack_ringbuffer_reset(jack_ringbuffer_t *rb)
{
    if (!rb)
        return;
    /* relaxed: no other thread may use the ring during a reset */
    atomic_store_explicit(rb_word(&rb->read_ptr), 0, memory_order_relaxed);
    atomic_store_explicit(rb_word(&rb->write_ptr), 0, memory_order_relaxed);
    memset(rb->buf, 0, rb->size);
}

/* Use only sz bytes (a power of two, at most what was allocated) and empty
 * the ring. Not thread-safe (as in JACK). */
void jack_ringbuffer_reset_size(jack_ringbuffer_t *rb, size_t sz)
{
    if (!rb)
        return;
    struct rill_ringbuffer *r = (struct rill_ringbuffer *)rb;
    if (sz < 2 || (sz & (sz - 1)) != 0 || sz > r->capacity) {
        rill_jack_error("jack_ringbuffer_reset_size: size %zu refused: it must be a power of "
                        "two from 2 to the %zu bytes the ring was created with",
                        sz, r->capacity);
        return;
    }
    rb->size = sz;
    rb->size_mask = sz - 1;
    atomic_store_explicit(rb_word(&rb->read_ptr), 0, memory_order_relaxed);
    atomic_store_explicit(rb_word(&rb->write_ptr), 0, memory_order_relaxed);
}

/* Bytes readable given both indices. */
static size_t rb_readable(const jack_ringbuffer_t *rb, size_t w, size_t r)
{
    return (w - r) & rb->size_mask;
}

/* Bytes writable given both indices (one byte stays free). */
static size_t rb_writable(const jack_ringbuffer_t *rb, size_t w, size_t r)
{
    return (r - w - 1) & rb->size_mask;
}

/* Either side. RT-safe. */
size_t jack_ringbuffer_read_space(const jack_ringbuffer_t *rb)
{
    if (!rb)
        return 0;
    /* acquire both: pairs with the other side's release stores */
    size_t w = atomic_load_explicit(rb_word(&rb->write_ptr), memory_order_acquire);
    size_t r = atomic_load_explicit(rb_word(&rb->read_ptr), memory_order_acquire);
    return rb_readable(rb, w, r);
}

/* Either side. RT-safe. */
size_t jack_ringbuffer_write_space(const jack_ringbuffer_t *rb)
{
    if (!rb)
        return 0;
    size_t w = atomic_load_explicit(rb_word(&rb->write_ptr), memory_order_acquire);
    size_t r = atomic_load_explicit(rb_word(&rb->read_ptr), memory_order_acquire);
    return rb_writable(rb, w, r);
}

/* Reader side: the readable bytes as one or two pieces. RT-safe. */
void jack_ringbuffer_get_read_vector(const jack_ringbuffer_t *rb, jack_ringbuffer_data_t *vec)
{
    if (!rb || !vec)
        return;
    /* acquire: the data before write_ptr is visible; own index relaxed */
    size_t w = atomic_load_explicit(rb_word(&rb->write_ptr), memory_order_acquire);
    size_t r = atomic_load_explicit(rb_word(&rb->read_ptr), memory_order_relaxed);
    size_t n = rb_readable(rb, w, r);
    size_t first = rb->size - r;
    if (n > first) {
        vec[0].buf = rb->buf + r;
        vec[0].len = first;
        vec[1].buf = rb->buf;
        vec[1].len = n - first;
    } else {
        vec[0].buf = rb->buf + r;
        vec[0].len = n;
        vec[1].buf = NULL;
        vec[1].len = 0;
    }
}

/* Writer side: the writable bytes as one or two pieces. RT-safe. */
void jack_ringbuffer_get_write_vector(const jack_ringbuffer_t *rb, jack_ringbuffer_data_t *vec)
{
    if (!rb || !vec)
        return;
    /* acquire: the reader has finished with the bytes before read_ptr */
    size_t r = atomic_load_explicit(rb_word(&rb->read_ptr), memory_order_acquire);
    size_t w = atomic_load_explicit(rb_word(&rb->write_ptr), memory_order_relaxed);
    size_t n = rb_writable(rb, w, r);
    size_t first = rb->size - w;
    if (n > first) {
        vec[0].buf = rb->buf + w;
        vec[0].len = first;
        vec[1].buf = rb->buf;
        vec[1].len = n - first;
    } else {
        vec[0].buf = rb->buf + w;
        vec[0].len = n;
        vec[1].buf = NULL;
        vec[1].len = 0;
    }
}

/* Copy up to cnt readable bytes to dest without consuming them. Reader
 * side. RT-safe. */
size_t jack_ringbuffer_peek(jack_ringbuffer_t *rb, char *dest, size_t cnt)
{
    if (!rb || (!dest && cnt > 0))
        return 0;
    jack_ringbuffer_data_t v[2];
    jack_ringbuffer_get_read_vector(rb, v);
    size_t n1 = cnt < v[0].len ? cnt : v[0].len;
    size_t n2 = cnt - n1 < v[1].len ? cnt - n1 : v[1].len;
    if (n1)
        memcpy(dest, v[0].buf, n1);
    if (n2)
        memcpy(dest + n1, v[1].buf, n2);
    return n1 + n2;
}

/* Consume cnt bytes (at most what is readable). Reader side. RT-safe. */
void jack_ringbuffer_read_advance(jack_ringbuffer_t *rb, size_t cnt)
{
    if (!rb)
        return;
    size_t w = atomic_load_explicit(rb_word(&rb->write_ptr), memory_order_acquire);
    size_t r = atomic_load_explicit(rb_word(&rb->read_ptr), memory_order_relaxed);
    size_t n = rb_readable(rb, w, r);
    if (cnt > n)
        cnt = n;
    /* release: our reads of those bytes happen before the writer reuses them */
    atomic_store_explicit(rb_word(&rb->read_ptr), (r + cnt) & rb->size_mask,
                          memory_order_release);
}

/* Copy and consume up to cnt bytes. Reader side. RT-safe. */
size_t jack_ringbuffer_read(jack_ringbuffer_t *rb, char *dest, size_t cnt)
{
    size_t n = jack_ringbuffer_peek(rb, dest, cnt);
    if (n)
        jack_ringbuffer_read_advance(rb, n);
    return n;
}

/* Publish cnt written bytes (at most what is writable). Writer side.
 * RT-safe. */
void jack_ringbuffer_write_advance(jack_ringbuffer_t *rb, size_t cnt)
{
    if (!rb)
        return;
    size_t r = atomic_load_explicit(rb_word(&rb->read_ptr), memory_order_acquire);
    size_t w = atomic_load_explicit(rb_word(&rb->write_ptr), memory_order_relaxed);
    size_t n = rb_writable(rb, w, r);
    if (cnt > n)
        cnt = n;
    /* release: the data written before is visible to the reader's acquire */
    atomic_store_explicit(rb_word(&rb->write_ptr), (w + cnt) & rb->size_mask,
                          memory_order_release);
}

/* Copy in up to cnt bytes and publish them. Writer side. RT-safe. */
size_t jack_ringbuffer_write(jack_ringbuffer_t *rb, const char *src, size_t cnt)
{
    if (!rb || (!src && cnt > 0))
        return 0;
    jack_ringbuffer_data_t v[2];
    jack_ringbuffer_get_write_vector(rb, v);
    size_t n1 = cnt < v[0].len ? cnt : v[0].len;
    size_t n2 = cnt - n1 < v[1].len ? cnt - n1 : v[1].len;
    if (n1)
        memcpy(v[0].buf, src, n1);
    if (n2)
        memcpy(v[1].buf, src + n1, n2);
    if (n1 + n2)
        jack_ringbuffer_write_advance(rb, n1 + n2);
    return n1 + n2;
}
