/* tests/unit/test-mix.c — rill_mix_audio: sums, frame counts, bounds.
 *
 * Values are small integers and halves, so every sum is exact in float and
 * compared with ==. Each dst has guard frames after nframes that must keep
 * their canary value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/mix.h"

#define MAX_SRC 8u
#define GUARD 37u
#define CANARY -12345.5f

/* source k, frame i: exactly representable, distinct per source */
static float src_value(uint32_t k, uint32_t i)
{
    return (float)((int)(i % 101u) - 50) * 0.5f + (float)(k * 3u + 1u);
}

/* Fill n sources of nframes, mix them into a guarded dst and check every
 * frame and every guard. Main thread (test). */
static void check_mix(uint32_t n, uint32_t nframes)
{
    float *bufs[MAX_SRC] = {0};
    const float *srcs[MAX_SRC] = {0};
    for (uint32_t k = 0; k < n; k++) {
        bufs[k] = malloc((size_t)nframes * sizeof(float) + 1u);
        assert_non_null(bufs[k]);
        for (uint32_t i = 0; i < nframes; i++)
            bufs[k][i] = src_value(k, i);
        srcs[k] = bufs[k];
    }
    float *dst = malloc(((size_t)nframes + GUARD) * sizeof(float));
    assert_non_null(dst);
    for (uint32_t i = 0; i < nframes + GUARD; i++)
        dst[i] = CANARY;

    rill_mix_audio(dst, srcs, n, nframes);

    for (uint32_t i = 0; i < nframes; i++) {
        float want = 0.0f;
        for (uint32_t k = 0; k < n; k++)
            want += src_value(k, i);
        if (dst[i] != want)
            fail_msg("n=%u nframes=%u: dst[%u] = %g, want %g", n, nframes, i, (double)dst[i],
                     (double)want);
    }
    for (uint32_t i = nframes; i < nframes + GUARD; i++)
        if (dst[i] != CANARY)
            fail_msg("n=%u nframes=%u: dst[%u] past nframes was written (%g)", n, nframes, i,
                     (double)dst[i]);
    /* sources are read-only */
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t i = 0; i < nframes; i++)
            assert_true(bufs[k][i] == src_value(k, i));

    free(dst);
    for (uint32_t k = 0; k < n; k++)
        free(bufs[k]);
}

static const uint32_t frame_counts[] = {1, 2, 15, 16, 17, 31, 64, 127, 8192};
static const uint32_t source_counts[] = {0, 1, 2, 3, 8};

static void test_zero_sources_silence(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof frame_counts / sizeof frame_counts[0]; f++)
        check_mix(0, frame_counts[f]);
}

static void test_one_source_copy(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof frame_counts / sizeof frame_counts[0]; f++)
        check_mix(1, frame_counts[f]);
}

static void test_two_sources(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof frame_counts / sizeof frame_counts[0]; f++)
        check_mix(2, frame_counts[f]);
}

static void test_three_sources(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof frame_counts / sizeof frame_counts[0]; f++)
        check_mix(3, frame_counts[f]);
}

static void test_eight_sources(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof frame_counts / sizeof frame_counts[0]; f++)
        check_mix(8, frame_counts[f]);
}

/* every source count from 0 to 8 at the odd sizes (odd pairs leave a single) */
static void test_all_counts_odd_sizes(void **state)
{
    (void)state;
    static const uint32_t odd[] = {1, 17, 8191};
    for (uint32_t n = 0; n <= MAX_SRC; n++)
        for (size_t f = 0; f < sizeof odd / sizeof odd[0]; f++)
            check_mix(n, odd[f]);
    for (size_t s = 0; s < sizeof source_counts / sizeof source_counts[0]; s++)
        check_mix(source_counts[s], 8192);
}

/* nframes == 0 writes nothing; a stale dst is fully overwritten */
static void test_zero_frames_and_overwrite(void **state)
{
    (void)state;
    float dst[4] = {CANARY, CANARY, CANARY, CANARY};
    const float a[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    const float *srcs[1] = {a};
    rill_mix_audio(dst, srcs, 1, 0);
    for (int i = 0; i < 4; i++)
        assert_true(dst[i] == CANARY);
    rill_mix_audio(dst, srcs, 0, 0);
    assert_true(dst[0] == CANARY);
    rill_mix_audio(dst, srcs, 1, 3);
    assert_true(dst[0] == 1.0f && dst[1] == 2.0f && dst[2] == 3.0f && dst[3] == CANARY);
}

/* NULL sources count as silence; NULL srcs or dst never crash */
static void test_null_inputs(void **state)
{
    (void)state;
    float dst[3] = {CANARY, CANARY, CANARY};
    const float a[3] = {1.0f, 2.0f, 3.0f};
    const float b[3] = {10.0f, 20.0f, 30.0f};
    const float *srcs[4] = {NULL, a, NULL, b};
    rill_mix_audio(dst, srcs, 4, 3);
    assert_true(dst[0] == 11.0f && dst[1] == 22.0f && dst[2] == 33.0f);
    const float *none[2] = {NULL, NULL};
    rill_mix_audio(dst, none, 2, 3);
    assert_true(dst[0] == 0.0f && dst[1] == 0.0f && dst[2] == 0.0f);
    dst[0] = CANARY;
    rill_mix_audio(dst, NULL, 3, 1);
    assert_true(dst[0] == 0.0f);
    rill_mix_audio(NULL, srcs, 4, 3);
}

/* sums are left to right: (big + 1) - big loses the 1 in float */
static void test_left_to_right_order(void **state)
{
    (void)state;
    const float big[1] = {16777216.0f}, one[1] = {1.0f}, neg[1] = {-16777216.0f};
    const float *srcs[3] = {big, one, neg};
    float dst[1];
    rill_mix_audio(dst, srcs, 3, 1);
    assert_true(dst[0] == ((16777216.0f + 1.0f) + -16777216.0f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_sources_silence),
        cmocka_unit_test(test_one_source_copy),
        cmocka_unit_test(test_two_sources),
        cmocka_unit_test(test_three_sources),
        cmocka_unit_test(test_eight_sources),
        cmocka_unit_test(test_all_counts_odd_sizes),
        cmocka_unit_test(test_zero_frames_and_overwrite),
        cmocka_unit_test(test_null_inputs),
        cmocka_unit_test(test_left_to_right_order),
    };
    return cmocka_run_group_tests_name("mix", tests, NULL, NULL);
}
