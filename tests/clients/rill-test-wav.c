/* tests/clients/rill-test-wav.c — reads a WAV file (as jack_rec writes it) and
 * says what is in it, for tests/integration/jack-programs.sh.
 *
 *   rill-test-wav FILE info
 *       "rate=R channels=C frames=N bits=B"
 *
 *   rill-test-wav FILE clicks CHANNEL THRESHOLD GAP
 *       The tone bursts ("clicks") of CHANNEL (1-based): a click starts at
 *       the first frame whose |sample| > THRESHOLD after at least GAP frames
 *       at or below it, and ends at the last such frame before the next GAP
 *       quiet frames. Only whole clicks are reported (quiet before and after
 *       them inside the file), one line each:
 *         "click start=FRAME len=FRAMES peak=PEAK freq=HZ"
 *       where freq comes from the zero crossings inside the click (linear
 *       interpolation between samples: (crossings - 1) / 2 periods over the
 *       time from the first to the last crossing). A last line "clicks=N".
 *
 *   rill-test-wav FILE tone CHANNEL SKIP
 *       A steady tone on CHANNEL (1-based) after the first SKIP frames:
 *         "tone frames=N freq=HZ peak=P rms=R"
 *       freq from the zero crossings as above, over the whole rest.
 *
 *   rill-test-wav FILE levels CHANNEL SKIP F1 [F2 ...]
 *       The amplitude of each sine frequency Fk (Hz) on CHANNEL after the
 *       first SKIP frames (a Goertzel filter over the rest, Hann window),
 *       one line "level freq=F amp=A" each.
 *
 * Formats: PCM 8 (unsigned), 16, 24 and 32 bit, IEEE float 32 bit, plain or
 * WAVE_FORMAT_EXTENSIBLE. Samples are scaled to [-1, 1).
 *
 * Exit status: 0, 1 when the file cannot be read or is not such a WAV (the
 * message says what was wrong), 2 on a usage error.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wav {
    uint32_t rate;
    uint16_t channels;
    uint16_t bits;
    uint16_t format; /* 1 PCM, 3 float */
    uint64_t frames;
    uint8_t *data;   /* the data chunk */
};

/* Little-endian loads. Any thread. */
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Read the whole of PATH into *out (*len bytes). 0 or -errno. Main thread. */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
    int err = 0;
    uint8_t *buf = NULL;
    long size;
    FILE *f = fopen(path, "rb");

    if (!f)
        return -errno;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        err = -EIO;
        goto out_close;
    }
    buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf) {
        err = -ENOMEM;
        goto out_close;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        err = -EIO;
        goto out_free;
    }
    *out = buf;
    *len = (size_t)size;
    buf = NULL;
out_free:
    free(buf);
out_close:
    fclose(f);
    return err;
}

/* Parse the RIFF chunks of BUF into W (W->data points into BUF).
 * 0 or -EINVAL with WHY set. Main thread. */
static int wav_parse(const uint8_t *buf, size_t len, struct wav *w, const char **why)
{
    size_t pos = 12;
    int have_fmt = 0;

    if (len < 12 || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0) {
        *why = "not a RIFF/WAVE file";
        return -EINVAL;
    }
    while (pos + 8 <= len) {
        const uint8_t *c = buf + pos;
        uint32_t size = le32(c + 4);
        size_t avail = len - pos - 8;

        if (memcmp(c, "fmt ", 4) == 0) {
            if (size < 16 || size > avail) {
                *why = "fmt chunk too short";
                return -EINVAL;
            }
            w->format = le16(c + 8);
            w->channels = le16(c + 10);
            w->rate = le32(c + 12);
            w->bits = le16(c + 22);
            if (w->format == 0xfffe && size >= 40)
                w->format = le16(c + 32); /* the sub-format GUID starts with the tag */
            have_fmt = 1;
        } else if (memcmp(c, "data", 4) == 0) {
            if (!have_fmt) {
                *why = "data chunk before the fmt chunk";
                return -EINVAL;
            }
            if (size > avail)
                size = (uint32_t)avail; /* a file still being written: take what is there */
            if (w->channels == 0 || w->rate == 0 ||
                !((w->format == 1 && (w->bits == 8 || w->bits == 16 || w->bits == 24 || w->bits == 32)) ||
                  (w->format == 3 && w->bits == 32))) {
                *why = "unsupported format (want PCM 8/16/24/32 bit or float 32 bit)";
                return -EINVAL;
            }
            w->data = (uint8_t *)c + 8;
            w->frames = size / ((uint64_t)w->channels * (w->bits / 8));
            return 0;
        }
        pos += 8 + (size_t)size + (size & 1);
    }
    *why = "no data chunk";
    return -EINVAL;
}

/* Sample FRAME of channel CH (0-based), scaled to [-1, 1). Main thread. */
static double wav_sample(const struct wav *w, uint64_t frame, unsigned ch)
{
    unsigned bytes = w->bits / 8;
    const uint8_t *p = w->data + (frame * w->channels + ch) * bytes;

    if (w->format == 3) {
        uint32_t u = le32(p);
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    switch (bytes) {
    case 1:
        return (p[0] - 128) / 128.0;
    case 2:
        return (int16_t)le16(p) / 32768.0;
    case 3:
        return (int32_t)(((uint32_t)p[0] << 8) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 24)) /
               2147483648.0;
    default:
        return (int32_t)le32(p) / 2147483648.0;
    }
}

/* Report the click from START to END (inclusive) of channel CH. Main thread. */
static void report_click(const struct wav *w, unsigned ch, uint64_t start, uint64_t end)
{
    double peak = 0, first = -1, last = -1, prev = wav_sample(w, start, ch);
    unsigned long crossings = 0;
    double freq = 0;

    for (uint64_t f = start; f <= end; f++) {
        double s = wav_sample(w, f, ch);
        if (fabs(s) > peak)
            peak = fabs(s);
        if (f > start && ((prev < 0 && s >= 0) || (prev >= 0 && s < 0)) && s != prev) {
            double t = (double)(f - 1) + prev / (prev - s);
            if (first < 0)
                first = t;
            last = t;
            crossings++;
        }
        prev = s;
    }
    if (crossings >= 3 && last > first)
        freq = (crossings - 1) / 2.0 / ((last - first) / w->rate);
    printf("click start=%llu len=%llu peak=%.5f freq=%.2f\n", (unsigned long long)start,
           (unsigned long long)(end - start + 1), peak, freq);
}

/* The clicks of channel CH. Returns how many. Main thread. */
static unsigned long find_clicks(const struct wav *w, unsigned ch, double thr, uint64_t gap)
{
    uint64_t quiet = 0, start = 0, end = 0;
    int in_click = 0, seen_quiet = 0;
    unsigned long n = 0;

    for (uint64_t f = 0; f < w->frames; f++) {
        if (fabs(wav_sample(w, f, ch)) > thr) {
            if (!in_click) {
                in_click = 1;
                start = f;
                /* a click is whole only if GAP quiet frames came before it */
                seen_quiet = quiet >= gap;
            }
            end = f;
            quiet = 0;
        } else {
            quiet++;
            if (in_click && quiet >= gap) {
                in_click = 0;
                if (seen_quiet) {
                    report_click(w, ch, start, end);
                    n++;
                }
            }
        }
    }
    printf("clicks=%lu\n", n);
    return n;
}

/* The tone of channel CH from frame SKIP on. Main thread. */
static void report_tone(const struct wav *w, unsigned ch, uint64_t skip)
{
    double peak = 0, sumsq = 0, first = -1, last = -1, prev = 0;
    unsigned long crossings = 0;
    uint64_t n = 0;
    for (uint64_t f = skip; f < w->frames; f++, n++) {
        double s = wav_sample(w, f, ch);
        if (fabs(s) > peak)
            peak = fabs(s);
        sumsq += s * s;
        if (n > 0 && ((prev < 0 && s >= 0) || (prev >= 0 && s < 0)) && s != prev) {
            double t = (double)(f - 1) + prev / (prev - s);
            if (first < 0)
                first = t;
            last = t;
            crossings++;
        }
        prev = s;
    }
    double freq = 0;
    if (crossings >= 3 && last > first)
        freq = (crossings - 1) / 2.0 / ((last - first) / w->rate);
    printf("tone frames=%llu freq=%.2f peak=%.5f rms=%.5f\n", (unsigned long long)n, freq, peak,
           n ? sqrt(sumsq / (double)n) : 0.0);
}

/* Amplitude of a sine at freq on channel ch from frame skip on (Goertzel
 * over a Hann-windowed block; the window's gain of 0.5 is divided out).
 * Main thread. */
static double tone_level(const struct wav *w, unsigned ch, uint64_t skip, double freq)
{
    uint64_t n = w->frames > skip ? w->frames - skip : 0;
    if (n < 2)
        return 0;
    double k = 2 * cos(2 * M_PI * freq / w->rate), s1 = 0, s2 = 0;
    for (uint64_t i = 0; i < n; i++) {
        double win = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)(n - 1));
        double s0 = wav_sample(w, skip + i, ch) * win + k * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - k * s1 * s2;
    return 2 * sqrt(power > 0 ? power : 0) / ((double)n * 0.5);
}

/* Main thread. */
static void usage(void)
{
    fprintf(stderr, "usage: rill-test-wav FILE info\n"
                    "       rill-test-wav FILE clicks CHANNEL THRESHOLD GAP\n"
                    "       rill-test-wav FILE tone CHANNEL SKIP\n"
                    "       rill-test-wav FILE levels CHANNEL SKIP F1 [F2 ...]\n");
}

/* Main thread. */
int main(int argc, char **argv)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct wav w = { 0 };
    const char *why = NULL;
    int err, rc = 1;

    if (argc < 3) {
        usage();
        return 2;
    }
    err = read_file(argv[1], &buf, &len);
    if (err < 0) {
        fprintf(stderr, "rill-test-wav: cannot read '%s': %s\n", argv[1], strerror(-err));
        return 1;
    }
    if (wav_parse(buf, len, &w, &why) < 0) {
        fprintf(stderr, "rill-test-wav: '%s': %s\n", argv[1], why);
        goto out;
    }
    if (strcmp(argv[2], "info") == 0 && argc == 3) {
        printf("rate=%u channels=%u frames=%llu bits=%u\n", w.rate, w.channels,
               (unsigned long long)w.frames, w.bits);
        rc = 0;
    } else if (strcmp(argv[2], "clicks") == 0 && argc == 6) {
        char *e1, *e2, *e3;
        unsigned long ch = strtoul(argv[3], &e1, 10);
        double thr = strtod(argv[4], &e2);
        unsigned long long gap = strtoull(argv[5], &e3, 10);
        if (*e1 || *e2 || *e3 || ch < 1 || ch > w.channels || !(thr >= 0) || gap < 1) {
            fprintf(stderr, "rill-test-wav: bad arguments: CHANNEL is 1..%u, THRESHOLD >= 0, "
                            "GAP >= 1 frames\n", w.channels);
            rc = 2;
            goto out;
        }
        find_clicks(&w, (unsigned)(ch - 1), thr, gap);
        rc = 0;
    } else if (strcmp(argv[2], "tone") == 0 && argc == 5) {
        char *e1, *e2;
        unsigned long ch = strtoul(argv[3], &e1, 10);
        unsigned long long skip = strtoull(argv[4], &e2, 10);
        if (*e1 || *e2 || ch < 1 || ch > w.channels) {
            fprintf(stderr, "rill-test-wav: bad arguments: CHANNEL is 1..%u, SKIP >= 0 frames\n",
                    w.channels);
            rc = 2;
            goto out;
        }
        report_tone(&w, (unsigned)(ch - 1), skip);
        rc = 0;
    } else if (strcmp(argv[2], "levels") == 0 && argc >= 6) {
        char *e1, *e2;
        unsigned long ch = strtoul(argv[3], &e1, 10);
        unsigned long long skip = strtoull(argv[4], &e2, 10);
        if (*e1 || *e2 || ch < 1 || ch > w.channels) {
            fprintf(stderr, "rill-test-wav: bad arguments: CHANNEL is 1..%u\n", w.channels);
            rc = 2;
            goto out;
        }
        for (int a = 5; a < argc; a++) {
            double f = strtod(argv[a], NULL);
            printf("level freq=%g amp=%.5f\n", f, tone_level(&w, (unsigned)(ch - 1), skip, f));
        }
        rc = 0;
    } else {
        usage();
        rc = 2;
    }
out:
    free(buf);
    return rc;
}
