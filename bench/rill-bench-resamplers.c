/* bench/rill-bench-resamplers.c — the measurement behind the ALSA bridge's
 * choice of resampler (doc/alsa-bridge.md): speexdsp, libsamplerate and
 * soxr at several qualities, each fed as the bridge feeds it (stereo float,
 * 256-frame blocks of the engine side, streaming), on:
 *
 *   quality  SNR of a sine at 1 kHz and at 15 kHz, 44.1 -> 48 kHz: the
 *            power of the best-fitting sine over the power of the rest;
 *   cost     CPU time (CLOCK_PROCESS_CPUTIME_ID) to convert 60 s of stereo
 *            44.1 -> 48 kHz, in ms per second of audio, and the longest
 *            single 256-frame block (thread CPU time, µs): what one realtime
 *            cycle may have to pay;
 *   RT       heap calls (malloc/calloc/realloc/free, counted by wrappers
 *            in this program) after the first second of streaming: a
 *            library for the realtime side must make none.
 *
 *   rill-bench-resamplers        prints one table row per resampler
 *
 * Not a test: the numbers depend on the machine.
 */
#include <math.h>
#include <samplerate.h>
#include <soxr.h>
#include <speex/speex_resampler.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PI 3.14159265358979323846

/* count heap calls while counting is on (glibc's own entry points do the work) */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static int counting;
static unsigned long heap_calls;
void *malloc(size_t n);
void *calloc(size_t a, size_t b);
void *realloc(void *p, size_t n);
void free(void *p);
void *malloc(size_t n) { heap_calls += counting; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { heap_calls += counting; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { heap_calls += counting; return __libc_realloc(p, n); }
void free(void *p) { if (p) heap_calls += counting; __libc_free(p); }
static double worst_block_us;
#define IN_RATE 44100u
#define OUT_RATE 48000u
#define BLOCK 256u

struct rs {
    const char *name;
    int kind; /* 0 speex, 1 libsamplerate, 2 soxr */
    int q;
    void *st;
};

static void rs_open(struct rs *r)
{
    int err = 0;
    if (r->kind == 0) {
        r->st = speex_resampler_init(2, IN_RATE, OUT_RATE, r->q, &err);
        speex_resampler_skip_zeros(r->st);
    } else if (r->kind == 1) {
        r->st = src_new(r->q, 2, &err);
    } else {
        soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        soxr_quality_spec_t qs = soxr_quality_spec((unsigned long)r->q, 0);
        soxr_error_t e;
        r->st = soxr_create(IN_RATE, OUT_RATE, 2, &e, &io, &qs, NULL);
    }
    if (!r->st) {
        fprintf(stderr, "cannot create %s\n", r->name);
        exit(1);
    }
}

static void rs_close(struct rs *r)
{
    if (r->kind == 0)
        speex_resampler_destroy(r->st);
    else if (r->kind == 1)
        src_delete(r->st);
    else
        soxr_delete(r->st);
}

/* in: *il frames available; out: room for *ol; both updated */
static void rs_run(struct rs *r, const float *in, uint32_t *il, float *out, uint32_t *ol)
{
    if (r->kind == 0) {
        spx_uint32_t a = *il, b = *ol;
        speex_resampler_process_interleaved_float(r->st, in, &a, out, &b);
        *il = a;
        *ol = b;
    } else if (r->kind == 1) {
        SRC_DATA d = { .data_in = in, .data_out = out, .input_frames = *il,
                       .output_frames = *ol, .src_ratio = (double)OUT_RATE / IN_RATE };
        src_process(r->st, &d);
        *il = (uint32_t)d.input_frames_used;
        *ol = (uint32_t)d.output_frames_gen;
    } else {
        size_t a = 0, b = 0;
        soxr_process(r->st, in, *il, &a, out, *ol, &b);
        *il = (uint32_t)a;
        *ol = (uint32_t)b;
    }
}

/* Convert n input frames in BLOCK-sized output steps; returns output frames. */
static uint32_t convert(struct rs *r, const float *in, uint32_t n, float *out, uint32_t max)
{
    uint32_t used = 0, made = 0;
    while (used < n && made + BLOCK <= max) {
        uint32_t want = BLOCK, got = 0;
        if (made >= OUT_RATE)
            counting = 1; /* after the first second */
        struct timespec b0, b1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b0);
        for (int k = 0; k < 8 && got < want && used < n; k++) {
            uint32_t il = n - used, ol = want - got;
            rs_run(r, in + 2 * used, &il, out + 2 * (made + got), &ol);
            used += il;
            got += ol;
            if (il == 0 && ol == 0)
                break;
        }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b1);
        double us = (b1.tv_sec - b0.tv_sec) * 1e6 + (b1.tv_nsec - b0.tv_nsec) / 1e3;
        if (made >= OUT_RATE && us > worst_block_us)
            worst_block_us = us;
        made += got;
        if (got == 0)
            break;
    }
    counting = 0;
    return made;
}

static double snr(struct rs *r, double freq)
{
    uint32_t n = IN_RATE * 2, max = OUT_RATE * 2 + 4096;
    float *in = malloc(sizeof(float) * 2 * n), *out = calloc((size_t)2 * max, sizeof(float));
    for (uint32_t i = 0; i < n; i++)
        in[2 * i] = in[2 * i + 1] = (float)(0.5 * sin(2 * PI * freq * i / IN_RATE));
    rs_open(r);
    uint32_t m = convert(r, in, n, out, max);
    rs_close(r);
    uint32_t a0 = OUT_RATE / 4, a1 = m - OUT_RATE / 4;
    double ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
    for (uint32_t i = a0; i < a1; i++) {
        double t = 2 * PI * freq * i / OUT_RATE, s = sin(t), c = cos(t), y = out[2 * i];
        ss += s * s;
        sc += s * c;
        cc += c * c;
        ys += y * s;
        yc += y * c;
    }
    double det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
    double sig = 0, err = 0;
    for (uint32_t i = a0; i < a1; i++) {
        double t = 2 * PI * freq * i / OUT_RATE, fit = a * sin(t) + b * cos(t);
        sig += fit * fit;
        err += (out[2 * i] - fit) * (out[2 * i] - fit);
    }
    free(in);
    free(out);
    return 10 * log10(sig / err);
}

static double cost_ms_per_s(struct rs *r)
{
    uint32_t secs = 60, n = IN_RATE * secs, max = OUT_RATE * secs + 4096;
    float *in = malloc(sizeof(float) * 2 * n), *out = malloc(sizeof(float) * 2 * max);
    for (uint32_t i = 0; i < n; i++)
        in[2 * i] = in[2 * i + 1] = (float)(0.5 * sin(2 * PI * 440.0 * i / IN_RATE));
    rs_open(r);
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    convert(r, in, n, out, max);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    rs_close(r);
    free(in);
    free(out);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    return ms / secs;
}

int main(void)
{
    struct rs list[] = {
        { "speexdsp quality 3", 0, 3, NULL },
        { "speexdsp quality 4", 0, 4, NULL },
        { "speexdsp quality 5", 0, 5, NULL },
        { "speexdsp quality 8", 0, 8, NULL },
        { "libsamplerate SINC_FASTEST", 1, SRC_SINC_FASTEST, NULL },
        { "libsamplerate SINC_MEDIUM", 1, SRC_SINC_MEDIUM_QUALITY, NULL },
        { "soxr LQ", 2, SOXR_LQ, NULL },
        { "soxr MQ", 2, SOXR_MQ, NULL },
        { "soxr HQ", 2, SOXR_HQ, NULL },
    };
    printf("| resampler | SNR 1 kHz (dB) | SNR 15 kHz (dB) | CPU ms per s of stereo | "
           "worst 256-frame block (µs) | heap calls after 1 s |\n");
    printf("|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < sizeof(list) / sizeof(list[0]); k++) {
        double s1 = snr(&list[k], 1000.0), s15 = snr(&list[k], 15000.0);
        worst_block_us = 0;
        heap_calls = 0;
        double ms = cost_ms_per_s(&list[k]);
        printf("| %s | %.1f | %.1f | %.3f | %.0f | %lu |\n", list[k].name, s1, s15, ms,
               worst_block_us, heap_calls);
    }
    return 0;
}
