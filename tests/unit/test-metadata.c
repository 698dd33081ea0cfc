/* tests/unit/test-metadata.c — the engine's metadata store (engine/metadata.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/metadata.h"
#include "rill/protocol.h"

static void test_set_get_change(void **state)
{
    (void)state;
    struct rill_metadata md;
    rill_metadata_init(&md);
    int change = -1;
    assert_int_equal(rill_metadata_set(&md, 7, "urn:k", "v1", NULL, &change), 0);
    assert_int_equal(change, RILL_PROPERTY_CREATED);
    uint64_t v = md.version;
    assert_int_equal(rill_metadata_set(&md, 7, "urn:k", "v2", "text/plain", &change), 0);
    assert_int_equal(change, RILL_PROPERTY_CHANGED);
    assert_true(md.version > v);
    const struct rill_property *p = rill_metadata_get(&md, 7, "urn:k");
    assert_non_null(p);
    assert_string_equal(p->value, "v2");
    assert_string_equal(p->type, "text/plain");
    assert_null(rill_metadata_get(&md, 8, "urn:k"));
    assert_null(rill_metadata_get(&md, 7, "urn:other"));
    assert_int_equal(rill_metadata_set(&md, 7, "", "x", NULL, &change), -EINVAL);
    rill_metadata_clear(&md);
}

static void test_remove(void **state)
{
    (void)state;
    struct rill_metadata md;
    rill_metadata_init(&md);
    int change;
    for (uint64_t s = 1; s <= 3; s++) {
        assert_int_equal(rill_metadata_set(&md, s, "a", "1", NULL, &change), 0);
        assert_int_equal(rill_metadata_set(&md, s, "b", "2", NULL, &change), 0);
    }
    assert_int_equal(rill_metadata_remove(&md, 1, "a"), 0);
    assert_int_equal(rill_metadata_remove(&md, 1, "a"), -ENOENT);
    assert_non_null(rill_metadata_get(&md, 1, "b"));
    assert_int_equal(rill_metadata_remove_subject(&md, 2), 2);
    assert_null(rill_metadata_get(&md, 2, "a"));
    assert_non_null(rill_metadata_get(&md, 3, "a"));
    assert_int_equal(md.count, 3);
    assert_int_equal(rill_metadata_remove_all(&md), 3);
    assert_int_equal(md.count, 0);
    assert_null(rill_metadata_get(&md, 3, "a"));
    rill_metadata_clear(&md);
}

/* Read the whole selection in chunks of chunk bytes, as a client does.
 * Returns a malloc'd buffer (NULL when empty), *len its size. */
static char *read_all(const struct rill_metadata *md, uint32_t op, uint64_t subject,
                      const char *key, size_t chunk, size_t *len)
{
    struct rill_metadata_cursor cur;
    memset(&cur, 0, sizeof(cur));
    size_t n, total;
    char *buf = NULL;
    size_t have = 0;
    do {
        char part[RILL_PROPERTY_CHUNK];
        assert_true(chunk <= sizeof(part));
        assert_int_equal(rill_metadata_read(md, &cur, op, subject, key, have, part, chunk, &n,
                                            &total),
                         0);
        if (!buf && total)
            buf = malloc(total);
        assert_true(have + n <= total);
        if (n)
            memcpy(buf + have, part, n);
        have += n;
    } while (have < total && n > 0);
    assert_int_equal(have, total);
    *len = total;
    return buf;
}

/* Records: u64 subject, u32 lengths, three \0-terminated strings. */
static void test_serialise(void **state)
{
    (void)state;
    struct rill_metadata md;
    rill_metadata_init(&md);
    int change;
    assert_int_equal(rill_metadata_set(&md, 5, "key", "value", "t/x", &change), 0);
    assert_int_equal(rill_metadata_set(&md, 6, "k2", "", NULL, &change), 0);
    size_t len;
    char *buf = read_all(&md, RILL_PROPERTY_ONE, 5, "key", RILL_PROPERTY_CHUNK, &len);
    assert_int_equal(len, 20 + 4 + 6 + 4);
    uint64_t subject;
    uint32_t lens[3];
    memcpy(&subject, buf, 8);
    memcpy(lens, buf + 8, 12);
    assert_int_equal(subject, 5);
    assert_int_equal(lens[0], 3);
    assert_int_equal(lens[1], 5);
    assert_int_equal(lens[2], 3);
    assert_string_equal(buf + 20, "key");
    assert_string_equal(buf + 24, "value");
    assert_string_equal(buf + 30, "t/x");
    free(buf);
    buf = read_all(&md, RILL_PROPERTY_ALL, 0, NULL, 7, &len);
    assert_int_equal(len, 34 + 20 + 3 + 1 + 1);
    assert_int_equal(memcmp(buf + 34 + 20, "k2\0\0", 5), 0);
    free(buf);
    buf = read_all(&md, RILL_PROPERTY_SUBJECT, 9, NULL, RILL_PROPERTY_CHUNK, &len);
    assert_int_equal(len, 0);
    assert_null(buf);
    /* an offset beyond the selection */
    struct rill_metadata_cursor cur;
    memset(&cur, 0, sizeof(cur));
    char part[8];
    size_t n, total;
    assert_int_equal(rill_metadata_read(&md, &cur, RILL_PROPERTY_ALL, 0, NULL, 100, part,
                                        sizeof(part), &n, &total),
                     -EINVAL);
    assert_int_equal(total, 59);
    rill_metadata_clear(&md);
}

static void many_value(char *value, size_t size, uint32_t i)
{
    snprintf(value, size, "value of %u %.*s", i, (int)(i % 40),
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

/* Many properties of many subjects read back whole, chunk by chunk, in
 * store order; a read that starts at some offset without a cursor finds
 * the same bytes. */
static void test_many_read_whole(void **state)
{
    (void)state;
    struct rill_metadata md;
    rill_metadata_init(&md);
    enum { N = 5000 };
    int change;
    size_t want = 0;
    for (uint32_t i = 0; i < N; i++) {
        char key[32], value[64];
        snprintf(key, sizeof(key), "urn:k%u", i % 7);
        many_value(value, sizeof(value), i);
        assert_int_equal(rill_metadata_set(&md, 1000 + i / 7, key, value, "text/plain",
                                           &change),
                         0);
        assert_int_equal(change, RILL_PROPERTY_CREATED);
        want += 20 + strlen(key) + strlen(value) + strlen("text/plain") + 3;
    }
    size_t len;
    char *buf = read_all(&md, RILL_PROPERTY_ALL, 0, NULL, RILL_PROPERTY_CHUNK, &len);
    assert_int_equal(len, want);
    size_t pos = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint64_t subject;
        uint32_t lens[3];
        memcpy(&subject, buf + pos, 8);
        memcpy(lens, buf + pos + 8, 12);
        assert_int_equal(subject, 1000 + i / 7);
        char value[64];
        many_value(value, sizeof(value), i);
        assert_string_equal(buf + pos + 20 + lens[0] + 1, value);
        pos += 20 + lens[0] + lens[1] + lens[2] + 3;
    }
    assert_int_equal(pos, len);
    /* one subject's properties, in odd-sized chunks */
    size_t slen;
    char *sbuf = read_all(&md, RILL_PROPERTY_SUBJECT, 1300, NULL, 13, &slen);
    assert_true(slen > 0);
    uint64_t subject;
    memcpy(&subject, sbuf, 8);
    assert_int_equal(subject, 1300);
    free(sbuf);
    /* start in the middle: a fresh cursor finds the place */
    struct rill_metadata_cursor cur;
    memset(&cur, 0, sizeof(cur));
    char part[RILL_PROPERTY_CHUNK];
    size_t n, total, off = len / 2 + 3;
    assert_int_equal(rill_metadata_read(&md, &cur, RILL_PROPERTY_ALL, 0, NULL, off, part,
                                        sizeof(part), &n, &total),
                     0);
    assert_int_equal(total, len);
    assert_int_equal(n, sizeof(part));
    assert_memory_equal(part, buf + off, n);
    free(buf);
    rill_metadata_clear(&md);
}

/* The store's documented limits: a property past either is refused with
 * -ENOSPC and leaves the store as it was; a change that does not grow it
 * still works, and a removal makes room. */
static void test_limits(void **state)
{
    (void)state;
    struct rill_metadata md;
    rill_metadata_init(&md);
    assert_int_equal(md.max_props, RILL_METADATA_MAX_PROPERTIES);
    assert_int_equal(md.max_bytes, RILL_METADATA_MAX_BYTES);
    int change;
    /* bytes: values of almost 1 MiB up to the total */
    size_t big_len = RILL_PROPERTY_MAX_BYTES - 16;
    char *big = malloc(big_len + 1);
    assert_non_null(big);
    memset(big, 'v', big_len);
    big[big_len] = '\0';
    uint32_t i;
    int r = 0;
    for (i = 0; r == 0; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%u", i);
        r = rill_metadata_set(&md, 1, key, big, NULL, &change);
    }
    assert_int_equal(r, -ENOSPC);
    assert_int_equal(md.count, i - 1);
    assert_true(md.count >= 15);
    assert_true(md.bytes <= RILL_METADATA_MAX_BYTES);
    assert_true(md.bytes + big_len + 8 > RILL_METADATA_MAX_BYTES);
    uint64_t v = md.version;
    size_t bytes = md.bytes;
    assert_int_equal(rill_metadata_set(&md, 1, "refused", big, NULL, &change), -ENOSPC);
    assert_null(rill_metadata_get(&md, 1, "refused"));
    assert_int_equal(md.version, v);
    assert_int_equal(md.bytes, bytes);
    /* replacing a value by one of the same size fits */
    assert_int_equal(rill_metadata_set(&md, 1, "k0", big, "", &change), 0);
    assert_int_equal(change, RILL_PROPERTY_CHANGED);
    /* a removal makes room */
    assert_int_equal(rill_metadata_remove(&md, 1, "k0"), 0);
    assert_int_equal(rill_metadata_set(&md, 1, "k0", big, NULL, &change), 0);
    free(big);
    rill_metadata_clear(&md);
    assert_int_equal(md.bytes, 0);

    /* properties: the documented count */
    for (i = 0; i < RILL_METADATA_MAX_PROPERTIES; i++)
        assert_int_equal(rill_metadata_set(&md, 100 + i, "k", "v", NULL, &change), 0);
    assert_int_equal(rill_metadata_set(&md, 7, "k", "v", NULL, &change), -ENOSPC);
    assert_int_equal(rill_metadata_set(&md, 100, "k", "w", NULL, &change), 0);
    assert_int_equal(change, RILL_PROPERTY_CHANGED);
    rill_metadata_clear(&md);
}

/* A large value (an icon) survives whole. */
static void test_large_value(void **state)
{
    (void)state;
    struct rill_metadata md;
    rill_metadata_init(&md);
    size_t n = 100000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    big[n] = '\0';
    int change;
    assert_int_equal(rill_metadata_set(&md, 1, "icon", big, "image/png;base64", &change), 0);
    assert_string_equal(rill_metadata_get(&md, 1, "icon")->value, big);
    free(big);
    rill_metadata_clear(&md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_get_change),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_serialise),
        cmocka_unit_test(test_many_read_whole),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_large_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
