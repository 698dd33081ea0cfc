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

/* Records: u64 subject, u32 lengths, three \0-terminated strings. */
static void test_serialise(void **state)
{
    (void)state;
    struct rill_metadata md;
    rill_metadata_init(&md);
    int change;
    assert_int_equal(rill_metadata_set(&md, 5, "key", "value", "t/x", &change), 0);
    assert_int_equal(rill_metadata_set(&md, 6, "k2", "", NULL, &change), 0);
    char *buf;
    size_t len;
    assert_int_equal(rill_metadata_serialise(&md, RILL_PROPERTY_ONE, 5, "key", &buf, &len), 0);
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
    assert_int_equal(rill_metadata_serialise(&md, RILL_PROPERTY_ALL, 0, NULL, &buf, &len), 0);
    assert_int_equal(len, 34 + 20 + 3 + 1 + 1);
    free(buf);
    assert_int_equal(rill_metadata_serialise(&md, RILL_PROPERTY_SUBJECT, 9, NULL, &buf, &len), 0);
    assert_int_equal(len, 0);
    assert_null(buf);
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

/* The store is bounded: a client cannot make rilld hold more than
 * RILL_PROPERTY_STORE_MAX bytes of properties (found by the client fuzz
 * harness: a READ could announce any total, and nothing bounded it). */
static void test_store_limit(void **state)
{
    (void)state;
    struct rill_metadata md;
    rill_metadata_init(&md);
    size_t n = 1u << 19;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'v', n);
    big[n] = '\0';
    int change, r = 0;
    unsigned stored = 0;
    char key[32];
    for (unsigned i = 0; i < 64 && r == 0; i++) {
        snprintf(key, sizeof(key), "k%u", i);
        r = rill_metadata_set(&md, 1, key, big, "", &change);
        if (r == 0)
            stored++;
    }
    assert_int_equal(r, -ENOSPC);
    assert_true(stored >= 16 && stored < 64);
    assert_true(md.bytes <= RILL_PROPERTY_STORE_MAX);
    /* replacing a value counts the difference; removing gives room back */
    assert_int_equal(rill_metadata_set(&md, 1, "k0", "small", "", &change), 0);
    assert_int_equal(change, RILL_PROPERTY_CHANGED);
    assert_int_equal(rill_metadata_set(&md, 1, key, big, "", &change), 0);
    assert_int_equal(rill_metadata_remove(&md, 1, key), 0);
    assert_int_equal(rill_metadata_remove_subject(&md, 1), (int)stored);
    assert_int_equal(md.bytes, 0);
    free(big);
    rill_metadata_clear(&md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_get_change),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_serialise),
        cmocka_unit_test(test_large_value),
        cmocka_unit_test(test_store_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
