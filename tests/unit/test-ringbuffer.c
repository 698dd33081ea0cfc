/* tests/unit/test-ringbuffer.c — jack_ringbuffer_* as exported by rill's
 * libjack.so.0: sizes, wrap-around, read/write vectors, peek, advance,
 * reset, reset_size, mlock, and a two-thread stress test in which a writer
 * sends a pseudo-random byte stream in pieces of random sizes (by copy and
 * by vectors) and a reader checks every byte and a running checksum.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jack/ringbuffer.h>

static void test_create_sizes(void **state)
{
    (void)state;
    jack_ringbuffer_t *rb = jack_ringbuffer_create(1000);
    assert_non_null(rb);
    assert_int_equal(rb->size, 1024); /* the next power of two */
    assert_int_equal(rb->size_mask, 1023);
    assert_int_equal(jack_ringbuffer_read_space(rb), 0);
    assert_int_equal(jack_ringbuffer_write_space(rb), 1023); /* one byte stays free */
    jack_ringbuffer_free(rb);

    rb = jack_ringbuffer_create(0);
    assert_non_null(rb);
    assert_int_equal(jack_ringbuffer_write_space(rb), rb->size - 1);
    jack_ringbuffer_free(rb);

    assert_null(jack_ringbuffer_create(SIZE_MAX)); /* refused, no crash */
    jack_ringbuffer_free(NULL);
}

static void test_fill_and_wrap(void **state)
{
    (void)state;
    jack_ringbuffer_t *rb = jack_ringbuffer_create(16);
    char in[32], out[32];
    for (int i = 0; i < 32; i++)
        in[i] = (char)('a' + i);
    /* more than fits: only 15 bytes are taken */
    assert_int_equal(jack_ringbuffer_write(rb, in, 32), 15);
    assert_int_equal(jack_ringbuffer_write_space(rb), 0);
    assert_int_equal(jack_ringbuffer_write(rb, in, 1), 0);
    assert_int_equal(jack_ringbuffer_read_space(rb), 15);
    assert_int_equal(jack_ringbuffer_read(rb, out, 10), 10);
    assert_memory_equal(out, in, 10);
    /* now wrap: 5 left at 10..14, write 8 more (1 at the end, 7 at the start) */
    assert_int_equal(jack_ringbuffer_write(rb, in + 15, 8), 8);
    assert_int_equal(jack_ringbuffer_read_space(rb), 13);

    jack_ringbuffer_data_t v[2];
    jack_ringbuffer_get_read_vector(rb, v);
    assert_int_equal(v[0].len, 6); /* 10..15 */
    assert_int_equal(v[1].len, 7); /* 0..6 */
    assert_ptr_equal(v[1].buf, rb->buf);
    assert_memory_equal(v[0].buf, in + 10, 6);
    assert_memory_equal(v[1].buf, in + 16, 7);

    /* peek does not consume */
    memset(out, 0, sizeof(out));
    assert_int_equal(jack_ringbuffer_peek(rb, out, 32), 13);
    assert_memory_equal(out, in + 10, 13);
    assert_int_equal(jack_ringbuffer_read_space(rb), 13);
    memset(out, 0, sizeof(out));
    assert_int_equal(jack_ringbuffer_read(rb, out, 32), 13);
    assert_memory_equal(out, in + 10, 13);
    assert_int_equal(jack_ringbuffer_read_space(rb), 0);
    assert_int_equal(jack_ringbuffer_read(rb, out, 1), 0);
    jack_ringbuffer_free(rb);
}

static void test_vectors_and_advance(void **state)
{
    (void)state;
    jack_ringbuffer_t *rb = jack_ringbuffer_create(8);
    jack_ringbuffer_data_t v[2];
    jack_ringbuffer_get_write_vector(rb, v);
    assert_int_equal(v[0].len + v[1].len, 7);
    assert_int_equal(v[0].len, 7);
    assert_int_equal(v[1].len, 0);
    memcpy(v[0].buf, "abcde", 5);
    jack_ringbuffer_write_advance(rb, 5);
    assert_int_equal(jack_ringbuffer_read_space(rb), 5);
    jack_ringbuffer_read_advance(rb, 4);
    assert_int_equal(jack_ringbuffer_read_space(rb), 1);

    /* write vector now wraps: 3 at the end (5..7), 3 at the start (0..2) */
    jack_ringbuffer_get_write_vector(rb, v);
    assert_int_equal(v[0].len, 3);
    assert_int_equal(v[1].len, 3);
    assert_ptr_equal(v[0].buf, rb->buf + 5);
    assert_ptr_equal(v[1].buf, rb->buf);
    memcpy(v[0].buf, "fgh", 3);
    memcpy(v[1].buf, "ij", 2);
    jack_ringbuffer_write_advance(rb, 5);
    char out[8] = { 0 };
    assert_int_equal(jack_ringbuffer_read(rb, out, 8), 6);
    assert_memory_equal(out, "efghij", 6);

    /* advancing past what is there is clamped */
    jack_ringbuffer_write_advance(rb, 100);
    assert_int_equal(jack_ringbuffer_read_space(rb), 7);
    jack_ringbuffer_read_advance(rb, 100);
    assert_int_equal(jack_ringbuffer_read_space(rb), 0);
    jack_ringbuffer_free(rb);
}

static void test_reset_and_mlock(void **state)
{
    (void)state;
    jack_ringbuffer_t *rb = jack_ringbuffer_create(64);
    assert_int_equal(jack_ringbuffer_write(rb, "hello", 5), 5);
    jack_ringbuffer_reset(rb);
    assert_int_equal(jack_ringbuffer_read_space(rb), 0);
    assert_int_equal(jack_ringbuffer_write_space(rb), 63);
    for (size_t i = 0; i < rb->size; i++)
        assert_int_equal(rb->buf[i], 0);

    assert_int_equal(jack_ringbuffer_write(rb, "hello", 5), 5);
    jack_ringbuffer_reset_size(rb, 16);
    assert_int_equal(rb->size, 16);
    assert_int_equal(jack_ringbuffer_read_space(rb), 0);
    assert_int_equal(jack_ringbuffer_write_space(rb), 15);
    /* refused: larger than allocated, not a power of two */
    jack_ringbuffer_reset_size(rb, 128);
    assert_int_equal(rb->size, 16);
    jack_ringbuffer_reset_size(rb, 24);
    assert_int_equal(rb->size, 16);
    jack_ringbuffer_reset_size(rb, 64);
    assert_int_equal(rb->size, 64);

    /* mlock works as root and in most CI; it must at least report */
    int r = jack_ringbuffer_mlock(rb);
    assert_true(r == 0 || r == -1);
    assert_int_equal(rb->mlocked, r == 0 ? 1 : 0);
    assert_int_equal(jack_ringbuffer_write(rb, "x", 1), 1);
    jack_ringbuffer_free(rb); /* munlocks */
}

/* ---- two threads */

#define STRESS_BYTES (8u * 1024u * 1024u)

struct stress {
    jack_ringbuffer_t *rb;
    uint64_t sum_written;
    uint64_t sum_read;
    size_t bad_at; /* first wrong byte + 1, 0 when none */
};

static uint8_t stream_byte(size_t i)
{
    uint32_t x = (uint32_t)i * 2654435761u;
    return (uint8_t)(x >> 24 ^ x >> 11 ^ (uint32_t)i);
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

static void *writer_main(void *arg)
{
    struct stress *st = arg;
    uint32_t seed = 1;
    size_t i = 0;
    uint8_t tmp[700];
    while (i < STRESS_BYTES) {
        size_t want = 1 + lcg(&seed) % sizeof(tmp);
        if (want > STRESS_BYTES - i)
            want = STRESS_BYTES - i;
        if (lcg(&seed) & 1) {
            for (size_t k = 0; k < want; k++)
                tmp[k] = stream_byte(i + k);
            size_t n = jack_ringbuffer_write(st->rb, (const char *)tmp, want);
            for (size_t k = 0; k < n; k++)
                st->sum_written += tmp[k];
            i += n;
        } else {
            jack_ringbuffer_data_t v[2];
            jack_ringbuffer_get_write_vector(st->rb, v);
            size_t n = 0;
            for (int p = 0; p < 2 && n < want; p++)
                for (size_t k = 0; k < v[p].len && n < want; k++, n++) {
                    uint8_t b = stream_byte(i + n);
                    v[p].buf[k] = (char)b;
                    st->sum_written += b;
                }
            jack_ringbuffer_write_advance(st->rb, n);
            i += n;
        }
        if (jack_ringbuffer_write_space(st->rb) == 0)
            sched_yield();
    }
    return NULL;
}

static void *reader_main(void *arg)
{
    struct stress *st = arg;
    uint32_t seed = 7;
    size_t i = 0;
    uint8_t tmp[900];
    while (i < STRESS_BYTES) {
        size_t want = 1 + lcg(&seed) % sizeof(tmp);
        size_t n;
        if (lcg(&seed) & 1) {
            n = jack_ringbuffer_read(st->rb, (char *)tmp, want);
        } else {
            jack_ringbuffer_data_t v[2];
            jack_ringbuffer_get_read_vector(st->rb, v);
            n = 0;
            for (int p = 0; p < 2 && n < want; p++)
                for (size_t k = 0; k < v[p].len && n < want; k++)
                    tmp[n++] = (uint8_t)v[p].buf[k];
            jack_ringbuffer_read_advance(st->rb, n);
        }
        for (size_t k = 0; k < n; k++) {
            st->sum_read += tmp[k];
            if (!st->bad_at && tmp[k] != stream_byte(i + k))
                st->bad_at = i + k + 1;
        }
        i += n;
        if (n == 0)
            sched_yield();
    }
    return NULL;
}

static void test_two_thread_stress(void **state)
{
    (void)state;
    /* a small ring wraps often: 8 MiB through 512 bytes */
    struct stress st = { .rb = jack_ringbuffer_create(512) };
    assert_non_null(st.rb);
    pthread_t w, r;
    assert_int_equal(pthread_create(&r, NULL, reader_main, &st), 0);
    assert_int_equal(pthread_create(&w, NULL, writer_main, &st), 0);
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    assert_int_equal(st.bad_at, 0);
    assert_true(st.sum_written == st.sum_read);
    assert_true(st.sum_written > 0);
    assert_int_equal(jack_ringbuffer_read_space(st.rb), 0);
    jack_ringbuffer_free(st.rb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_sizes),
        cmocka_unit_test(test_fill_and_wrap),
        cmocka_unit_test(test_vectors_and_advance),
        cmocka_unit_test(test_reset_and_mlock),
        cmocka_unit_test(test_two_thread_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
