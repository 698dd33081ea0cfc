/* bench/rill-bench-report.c — turn the records of one benchmark run into figures.
 *
 *   rill-bench-report SINK_FILE [OTHER_FILE]...
 *
 * Each FILE is what bench/rill-bench-client wrote at exit: a "#" header of
 * key=value counters, then one line per recorded cycle:
 *     frame nframes start_ns end_ns cycle_us
 * SINK_FILE is the last client of the graph (the chain's tail, the mixer).
 * span is the figure comparable across servers: jackd2's dummy driver stamps
 * its cycles on an ideal timeline (current_usecs grows by exactly one
 * rounded period per cycle) that drifts from the real wake-ups, so its
 * latency is not a wake-up time. For every cycle the sink recorded:
 *   latency = sink end - cycle start, where cycle start is the server's
 *             jack_get_cycle_times current_usecs put on CLOCK_MONOTONIC with
 *             the sink's offset_us (the same definition for every server);
 *   span    = sink end - the earliest process start of that frame among all
 *             files (the first client's wake-up; frames missing from a file
 *             are skipped for it);
 *   late    = cycles whose span exceeds one period;
 *   gaps    = cycles the sink never saw (jumps of its frame time);
 *   idle    = in every file, the time from a client's process exit in one
 *             cycle to its process entry in the next (consecutive frames
 *             only): how long its thread waited. A spin before sleeping can
 *             save a wake-up only when it outlasts this wait.
 * Prints one line of key=value (µs, counts, DSP load in percent):
 *     cycles= lat_mean= lat_p99= lat_max= span_mean= span_p99= span_max= late= gaps=
 *     xruns= load_mean= load_max= idle_min= idle_p1=
 * Exit status 0, 1 on unreadable or empty input, 2 on a usage error.
 * Thread: single-threaded program (main thread).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
    uint32_t frame;
    uint32_t nframes;
    uint64_t start_ns;
    uint64_t end_ns;
    uint64_t cycle_us;
};

struct recfile {
    const char *path;
    struct rec *r;
    size_t n;
    size_t pos;
    double load_mean, load_max;
    uint64_t xruns;
    int64_t offset_us;
    unsigned rate, period;
};

/* Value of "key=" in a header line, as a double; 0 when absent. Main thread. */
static double header_num(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), " %s=", key);
    const char *p = strstr(line, pat);
    return p ? strtod(p + strlen(pat), NULL) : 0.0;
}

/* Load one file. Main thread. 0 or -errno (a message is printed). */
static int load_file(struct recfile *f)
{
    FILE *in = fopen(f->path, "r");
    if (!in) {
        int e = errno;
        fprintf(stderr, "rill-bench-report: cannot read %s: %s\n", f->path, strerror(e));
        return -e;
    }
    char line[1024];
    size_t cap = 0;
    int r = 0;
    while (fgets(line, sizeof(line), in)) {
        if (line[0] == '#') {
            f->load_mean = header_num(line, "load_mean");
            f->load_max = header_num(line, "load_max");
            f->xruns = (uint64_t)header_num(line, "xruns");
            f->offset_us = (int64_t)header_num(line, "offset_us");
            f->rate = (unsigned)header_num(line, "rate");
            f->period = (unsigned)header_num(line, "period");
            continue;
        }
        struct rec x;
        if (sscanf(line, "%" SCNu32 " %" SCNu32 " %" SCNu64 " %" SCNu64 " %" SCNu64, &x.frame,
                   &x.nframes, &x.start_ns, &x.end_ns, &x.cycle_us) != 5) {
            fprintf(stderr, "rill-bench-report: %s: bad line '%.60s'\n", f->path, line);
            r = -EINVAL;
            goto out;
        }
        if (f->n == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            struct rec *nr = realloc(f->r, ncap * sizeof(*nr));
            if (!nr) {
                r = -ENOMEM;
                goto out;
            }
            f->r = nr;
            cap = ncap;
        }
        f->r[f->n++] = x;
    }
out:
    fclose(in);
    return r;
}

/* qsort order of doubles. Main thread. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p-th percentile (0..1) of sorted v[n]. Main thread. */
static double pct(const double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* Mean of v[n]. Main thread. */
static double mean(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return n ? s / (double)n : 0;
}

/* Start of frame fr in f, advancing f->pos (frames ascend). Main thread. */
static int find_start(struct recfile *f, uint32_t fr, uint64_t *start)
{
    while (f->pos < f->n && (int32_t)(f->r[f->pos].frame - fr) < 0)
        f->pos++;
    if (f->pos < f->n && f->r[f->pos].frame == fr) {
        *start = f->r[f->pos].start_ns;
        return 1;
    }
    return 0;
}

/* Waits between consecutive cycles of every file, sorted, into *out (*n of
 * them; the caller frees *out). Main thread. 0 or -ENOMEM. */
static int idle_waits(const struct recfile *f, int nf, double **out, size_t *n)
{
    size_t cap = 0, m = 0;
    for (int k = 0; k < nf; k++)
        cap += f[k].n;
    double *v = calloc(cap ? cap : 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (int k = 0; k < nf; k++) {
        for (size_t i = 1; i < f[k].n; i++) {
            const struct rec *a = &f[k].r[i - 1], *b = &f[k].r[i];
            if (b->frame != a->frame + a->nframes || b->start_ns < a->end_ns)
                continue;
            v[m++] = (double)(b->start_ns - a->end_ns) / 1000.0;
        }
    }
    qsort(v, m, sizeof(*v), cmp_double);
    *out = v;
    *n = m;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: rill-bench-report SINK_FILE [OTHER_FILE]...\n");
        return argc < 2 ? 2 : 0;
    }
    int nf = argc - 1, rc = 1;
    struct recfile *f = calloc((size_t)nf, sizeof(*f));
    double *lat = NULL, *span = NULL, *idle = NULL;
    size_t nidle = 0;
    if (!f)
        return 1;
    for (int i = 0; i < nf; i++) {
        f[i].path = argv[i + 1];
        if (load_file(&f[i]) < 0)
            goto out;
    }
    struct recfile *s = &f[0];
    if (s->n < 2 || s->rate == 0) {
        fprintf(stderr, "rill-bench-report: %s: %zu records, rate %u: nothing to report\n",
                s->path, s->n, s->rate);
        goto out;
    }
    lat = calloc(s->n, sizeof(*lat));
    span = calloc(s->n, sizeof(*span));
    if (!lat || !span)
        goto out;
    /* drop the first and last records: clients start and stop recording a
     * few cycles apart */
    size_t nl = 0, late = 0, gaps = 0;
    for (size_t i = 1; i + 1 < s->n; i++) {
        const struct rec *x = &s->r[i];
        double period_us = (double)x->nframes * 1e6 / s->rate;
        double start_us = (double)((int64_t)x->cycle_us - s->offset_us);
        double l = (double)x->end_ns / 1000.0 - start_us;
        uint64_t first = x->start_ns;
        for (int k = 1; k < nf; k++) {
            uint64_t st;
            if (find_start(&f[k], x->frame, &st) && st < first)
                first = st;
        }
        lat[nl] = l;
        span[nl] = (double)(x->end_ns - first) / 1000.0;
        nl++;
        if (span[nl - 1] > period_us)
            late++;
        /* a forward jump of the frame time: periods the sink never ran
         * (jackd2 may also run a late period twice: no gap for that) */
        int32_t jump = (int32_t)(x->frame - (s->r[i - 1].frame + s->r[i - 1].nframes));
        if (jump > 0 && s->r[i - 1].nframes)
            gaps += (uint32_t)jump / s->r[i - 1].nframes;
    }
    double lm = mean(lat, nl), sm = mean(span, nl);
    qsort(lat, nl, sizeof(*lat), cmp_double);
    qsort(span, nl, sizeof(*span), cmp_double);
    uint64_t xruns = 0;
    double load_mean = 0, load_max = 0;
    for (int k = 0; k < nf; k++) {
        xruns = f[k].xruns > xruns ? f[k].xruns : xruns;
        load_mean += f[k].load_mean / nf;
        load_max = f[k].load_max > load_max ? f[k].load_max : load_max;
    }
    if (idle_waits(f, nf, &idle, &nidle) < 0)
        goto out;
    printf("cycles=%zu lat_mean=%.1f lat_p99=%.1f lat_max=%.1f span_mean=%.1f span_p99=%.1f span_max=%.1f "
           "late=%zu gaps=%zu xruns=%" PRIu64 " load_mean=%.1f load_max=%.1f idle_min=%.1f idle_p1=%.1f\n",
           nl, lm, pct(lat, nl, 0.99), nl ? lat[nl - 1] : 0.0, sm, pct(span, nl, 0.99), nl ? span[nl - 1] : 0.0, late,
           gaps, xruns, load_mean, load_max, nidle ? idle[0] : 0.0, pct(idle, nidle, 0.01));
    rc = 0;
out:
    for (int i = 0; i < nf; i++)
        free(f[i].r);
    free(f);
    free(lat);
    free(span);
    free(idle);
    return rc;
}
