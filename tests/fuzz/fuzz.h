/* tests/fuzz/fuzz.h — what the fuzz harnesses share (doc/fuzzing.md): the
 * entry points libFuzzer calls, and a reader that takes numbers and byte
 * strings off the front of an input (past its end it yields zeros, so every
 * input, however short, is a complete test case).
 *
 * Thread: the harness's (one input at a time).
 */
#ifndef RILL_TESTS_FUZZ_H
#define RILL_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline struct fuzz_in fuzz_in(const uint8_t *data, size_t size)
{
    return (struct fuzz_in){ data, size };
}

/* Up to want bytes off the front; *len says how many there were. */
static inline const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t want, size_t *len)
{
    size_t k = want < in->n ? want : in->n;
    const uint8_t *p = in->p;
    in->p += k;
    in->n -= k;
    *len = k;
    return p;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
    uint16_t v = fuzz_u8(in);
    return (uint16_t)(v | (uint16_t)fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
    uint32_t v = fuzz_u16(in);
    return v | (uint32_t)fuzz_u16(in) << 16;
}

/* Copy up to size bytes into dst and zero the rest of it. Returns the
 * count copied. */
static inline size_t fuzz_fill(struct fuzz_in *in, void *dst, size_t size)
{
    size_t k;
    const uint8_t *p = fuzz_bytes(in, size, &k);
    memcpy(dst, p, k);
    memset((uint8_t *)dst + k, 0, size - k);
    return k;
}

/* A harness's own check failed: crash, so that libFuzzer saves the input
 * and the replay test fails. */
#define FUZZ_ASSERT(cond)                                                                      \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#endif
