/* tests/kernel/rill-kernel-analyse.c — host-side helper of the kernel tests.
 *
 *   rill-kernel-analyse gen FORMAT CHANNELS FREQ AMP SECONDS OUT
 *       a sine in every channel, raw interleaved samples of FORMAT (ALSA
 *       name), for aplay -t raw.
 *   rill-kernel-analyse tone FORMAT CHANNELS FILE [FREQ]
 *       channel 1 of a raw interleaved capture: prints
 *       "clean=C frames=N freq=F level=L glitches=G": G is the number of
 *       places where the signal leaves the sine recurrence (x[n+1] =
 *       2cos(w) x[n] - x[n-1]) by more than 5 % of full scale, C the longest
 *       stretch without one; F the strongest frequency 50..5000 Hz (1 Hz
 *       steps, DFT by Goertzel) and L the RMS level x sqrt(2) (a sine's
 *       amplitude), both over the middle second, or with glitches over the
 *       longest clean stretch (at least 1024 frames). With FREQ, also
 *       "live=N fit=F peak=P": of the N non-silent samples, the fraction F
 *       that follow a FREQ Hz sine's recurrence, and the largest |sample|.
 *
 * The rate is 48000 Hz, or RILL_KERNEL_RATE from the environment.
 *
 * Samples are converted with the driver's own conversion (alsa_format.c),
 * which its unit test checks independently. Exit 0, 1 on error, 2 on usage.
 */
#include "drivers/alsa/alsa_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the sample rate of what is generated or analysed: 48000, or the
 * environment's RILL_KERNEL_RATE (the kernel test's low-rate cases) */
static double RATE = 48000;

static int usage(void)
{
    fprintf(stderr, "usage: rill-kernel-analyse gen FORMAT CHANNELS FREQ AMP SECONDS OUT\n"
                    "       rill-kernel-analyse tone FORMAT CHANNELS FILE [FREQ]\n");
    return 2;
}

static double goertzel(const float *x, size_t n, double freq)
{
    double w = 2 * M_PI * freq / RATE, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/* The strongest frequency, 50..5000 Hz in 1 Hz steps. */
static double strongest(const float *x, size_t n)
{
    double best = 0, best_f = 0;
    for (double fr = 50; fr <= 5000 && n > 0; fr += 1) {
        double g = goertzel(x, n, fr);
        if (g > best) {
            best = g;
            best_f = fr;
        }
    }
    return best_f;
}

static int gen(enum rill_sfmt f, unsigned ch, double freq, double amp, double secs,
               const char *out)
{
    size_t frames = (size_t)(secs * RATE), bytes = rill_sfmt_bytes(f);
    unsigned char *buf = calloc(frames * ch, bytes);
    float *x = calloc(frames, sizeof(float));
    if (!buf || !x)
        return 1;
    for (size_t i = 0; i < frames; i++)
        x[i] = (float)(amp * sin(2 * M_PI * freq * (double)i / RATE));
    for (unsigned c = 0; c < ch; c++)
        rill_sfmt_from_float(f, x, buf + c * bytes, ch * bytes, (uint32_t)frames,
                             RILL_DITHER_NONE, NULL);
    FILE *fp = fopen(out, "wb");
    int rc = !fp || fwrite(buf, bytes * ch, frames, fp) != frames;
    if (fp)
        fclose(fp);
    free(buf);
    free(x);
    return rc;
}

static int tone(enum rill_sfmt f, unsigned ch, const char *file, double want)
{
    FILE *fp = fopen(file, "rb");
    if (!fp) {
        printf("frames=0 freq=0 level=0 glitches=0\n");
        return 1;
    }
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    size_t bytes = rill_sfmt_bytes(f), frames = size > 0 ? (size_t)size / (bytes * ch) : 0;
    unsigned char *buf = malloc(frames * bytes * ch + 1);
    float *x = malloc((frames + 1) * sizeof(float));
    if (!buf || !x || fread(buf, bytes * ch, frames, fp) != frames) {
        fclose(fp);
        printf("frames=0 freq=0 level=0 glitches=0\n");
        return 1;
    }
    fclose(fp);
    rill_sfmt_to_float(f, buf, bytes * ch, x, (uint32_t)frames);
    /* pass 1: the strongest frequency over the middle second at most */
    size_t n = frames > (size_t)RATE ? (size_t)RATE : frames, start = (frames - n) / 2;
    double best_f = strongest(x + start, n);
    /* glitches: where the signal leaves the sine recurrence; remember the
     * longest clean stretch */
    unsigned glitches = 0;
    double c = 2 * cos(2 * M_PI * best_f / RATE);
    size_t last = 0, run0 = 0, best0 = 0, best_len = 0;
    for (size_t i = 2; i <= frames; i++) {
        /* silence (two samples near 0, which a 50..5000 Hz tone of any
         * useful level never has) counts as broken too */
        int bad = i == frames || fabs(c * x[i - 1] - x[i - 2] - x[i]) > 0.05 ||
                  (fabs(x[i - 1]) < 1e-4 && fabs(x[i - 2]) < 1e-4);
        if (!bad)
            continue;
        if (i - run0 > best_len) {
            best_len = i - run0;
            best0 = run0;
        }
        run0 = i;
        if (i < frames && (glitches == 0 || i - last > 16))
            glitches++;
        if (i < frames)
            last = i;
    }
    /* pass 2: frequency and level over the longest clean stretch (at most a
     * second), which a few lost samples elsewhere do not disturb */
    if (glitches && best_len >= 1024) {
        n = best_len > (size_t)RATE ? (size_t)RATE : best_len;
        start = best0 + (best_len - n) / 2;
        best_f = strongest(x + start, n);
    }
    const float *w = x + start;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)w[i] * w[i];
    double level = n ? sqrt(ss / n) * sqrt(2.0) : 0;
    printf("clean=%zu ", best_len);
    if (want > 0) {
        /* every non-silent sample that follows the expected sine's
         * recurrence from the two before it: robust to any number of
         * dropouts, and wrong scaling or byte order fails it everywhere */
        double cw = 2 * cos(2 * M_PI * want / RATE), peak = 0;
        size_t live = 0, fit = 0;
        for (size_t i = 2; i < frames; i++) {
            if (fabs(x[i]) > peak)
                peak = fabs(x[i]);
            if (fabs(x[i - 1]) < 1e-4 && fabs(x[i - 2]) < 1e-4)
                continue;
            live++;
            fit += fabs(cw * x[i - 1] - x[i - 2] - x[i]) < 0.01;
        }
        printf("live=%zu fit=%.3f peak=%.3f ", live, live ? (double)fit / live : 0.0, peak);
    }
    printf("frames=%zu freq=%.0f level=%.3f glitches=%u\n", frames, best_f, level, glitches);
    free(buf);
    free(x);
    return 0;
}

int main(int argc, char **argv)
{
    enum rill_sfmt f;
    const char *rate = getenv("RILL_KERNEL_RATE");

    if (rate && (atof(rate) < 1000 || atof(rate) > 384000))
        return usage();
    if (rate)
        RATE = atof(rate);
    if (argc < 5 || rill_sfmt_parse(argv[2], &f) < 0 || atoi(argv[3]) < 1)
        return usage();
    if (strcmp(argv[1], "gen") == 0 && argc == 8)
        return gen(f, (unsigned)atoi(argv[3]), atof(argv[4]), atof(argv[5]), atof(argv[6]),
                   argv[7]);
    if (strcmp(argv[1], "tone") == 0 && (argc == 5 || argc == 6))
        return tone(f, (unsigned)atoi(argv[3]), argv[4], argc == 6 ? atof(argv[5]) : 0);
    return usage();
}
