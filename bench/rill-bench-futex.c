/* bench/rill-bench-futex.c — the floor: what one wake-up costs on this machine.
 *
 *   rill-bench-futex [--iterations N] [--no-rt]
 *
 * Two processes share one anonymous mapping and hand a token back and forth
 * N times. The waker stamps CLOCK_MONOTONIC, publishes the token and calls
 * FUTEX_WAKE (the same non-private futex words rill, jackd2 and PipeWire use
 * between processes); the sleeper, blocked in FUTEX_WAIT, stamps the clock
 * when it runs again. One-way hand-off time = sleeper's stamp - waker's stamp.
 * Measured with both processes pinned to the same core, and on two different
 * cores; then the same two with the sleeper spinning on the word instead of
 * sleeping (the cost of the cache-line transfer alone: what a bounded spin
 * could win at best). Both processes run SCHED_FIFO 20 when allowed (as the
 * realtime threads of the servers do), unless --no-rt.
 *
 * Also prints the cost of clock_gettime (vDSO or syscall on this clock
 * source) and of a FUTEX_WAKE with no waiter, and the CPU time that a thread
 * doing nothing but read(2) on a periodic timerfd (every 64 frames at
 * 48 kHz, SCHED_FIFO 20) costs per wake-up: the least any server's driver
 * thread pays per cycle before it does anything (its idle figure in the
 * bench is read against it).
 *
 * Output: one line per case, "futex CASE: mean= p50= p99= max= (µs)".
 * Exit status 0, 1 on a setup error, 2 on a usage error.
 * Thread: each process is single-threaded.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ITER 1000000

struct shared {
    _Atomic uint32_t ping __attribute__((aligned(64)));
    _Atomic uint32_t pong __attribute__((aligned(64)));
    _Atomic uint64_t sent_ns __attribute__((aligned(64)));
    uint64_t lat_ns[];
};

/* CLOCK_MONOTONIC in ns. Any thread (vDSO). */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* FUTEX_WAIT while *w == v. Any thread. */
static void fwait(_Atomic uint32_t *w, uint32_t v)
{
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, v, NULL, NULL, 0);
}

/* FUTEX_WAKE one waiter. Any thread. */
static void fwake(_Atomic uint32_t *w)
{
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Wait until *w == want: sleep (spin == 0) or spin. Acquire: the stamp the
 * waker stored before the token is visible after it. */
static void wait_for(_Atomic uint32_t *w, uint32_t want, int spin)
{
    uint32_t v;
    while ((v = atomic_load_explicit(w, memory_order_acquire)) != want) {
        if (!spin)
            fwait(w, v);
    }
}

/* Pin the process to cpu, SCHED_FIFO 20 when rt and allowed. Main thread. */
static void pin(int cpu, int rt)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)sched_setaffinity(0, sizeof(set), &set);
    if (rt) {
        struct sched_param sp = { .sched_priority = 20 };
        (void)sched_setscheduler(0, SCHED_FIFO, &sp);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* One case: fork the sleeper, hand the token n times, print the figures.
 * Main thread of the parent. 0 or -1. */
static int run_case(struct shared *sh, int n, int cpu_a, int cpu_b, int spin, int rt,
                    const char *label)
{
    atomic_store(&sh->ping, 0);
    atomic_store(&sh->pong, 0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("rill-bench-futex: fork");
        return -1;
    }
    if (pid == 0) {
        pin(cpu_b, rt && !spin);
        for (int i = 1; i <= n; i++) {
            wait_for(&sh->ping, (uint32_t)i, spin);
            sh->lat_ns[i - 1] = now_ns() - atomic_load_explicit(&sh->sent_ns, memory_order_relaxed);
            atomic_store_explicit(&sh->pong, (uint32_t)i, memory_order_release);
            if (!spin)
                fwake(&sh->pong);
        }
        _exit(0);
    }
    pin(cpu_a, rt && !spin);
    for (int i = 1; i <= n; i++) {
        /* let the sleeper get to sleep: a hand-off to a running thread is
         * not what we measure */
        if (!spin) {
            struct timespec d = { 0, 20000 };
            nanosleep(&d, NULL);
        }
        atomic_store_explicit(&sh->sent_ns, now_ns(), memory_order_relaxed);
        atomic_store_explicit(&sh->ping, (uint32_t)i, memory_order_release);
        if (!spin)
            fwake(&sh->ping);
        wait_for(&sh->pong, (uint32_t)i, spin);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    pin(cpu_a, 0);
    struct sched_param sp = { 0 };
    (void)sched_setscheduler(0, SCHED_OTHER, &sp);
    qsort(sh->lat_ns, (size_t)n, sizeof(uint64_t), cmp_u64);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += (double)sh->lat_ns[i];
    printf("futex %-28s mean=%7.2f p50=%7.2f p99=%7.2f max=%8.2f us  (n=%d)\n", label,
           sum / n / 1000.0, sh->lat_ns[n / 2] / 1000.0, sh->lat_ns[(size_t)(n * 0.99)] / 1000.0,
           sh->lat_ns[n - 1] / 1000.0, n);
    return 0;
}

/* CPU time (ns) of this thread per wake-up of a periodic timerfd at
 * 64 / 48000 s, over n wake-ups; 0 on a setup error. */
static double timer_floor(int n, int rt)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    if (fd < 0)
        return 0;
    struct sched_param old_sp, sp = { .sched_priority = 20 };
    int old_policy = sched_getscheduler(0);
    (void)sched_getparam(0, &old_sp);
    if (rt)
        (void)sched_setscheduler(0, SCHED_FIFO, &sp);
    const long period = 64L * 1000000000L / 48000L;
    struct itimerspec its = { { 0, period }, { 0, period } };
    double per = 0;
    if (timerfd_settime(fd, 0, &its, NULL) == 0) {
        uint64_t ticks;
        struct timespec a, b;
        if (read(fd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks)) {
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
            int got = 0;
            for (int i = 0; i < n; i++)
                if (read(fd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
                    got++;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
            if (got > 0)
                per = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / got;
        }
    }
    close(fd);
    if (rt)
        (void)sched_setscheduler(0, old_policy, &old_sp);
    return per;
}

int main(int argc, char **argv)
{
    int n = 20000, rt = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
            n = atoi(argv[++i]);
            if (n < 100 || n > MAX_ITER) {
                fprintf(stderr, "rill-bench-futex: --iterations %s: 100..%d\n", argv[i], MAX_ITER);
                return 2;
            }
        } else if (!strcmp(argv[i], "--no-rt")) {
            rt = 0;
        } else {
            fprintf(stderr, "usage: rill-bench-futex [--iterations N] [--no-rt]\n");
            return 2;
        }
    }
    size_t size = sizeof(struct shared) + (size_t)n * sizeof(uint64_t);
    struct shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("rill-bench-futex: mmap");
        return 1;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    /* clock_gettime and an idle FUTEX_WAKE */
    uint64_t t0 = now_ns();
    for (int i = 0; i < 100000; i++)
        (void)now_ns();
    uint64_t t1 = now_ns();
    _Atomic uint32_t idle = 0;
    for (int i = 0; i < 100000; i++)
        fwake(&idle);
    uint64_t t2 = now_ns();
    printf("clock_gettime(CLOCK_MONOTONIC): %.1f ns/call; FUTEX_WAKE, no waiter: %.2f us/call\n",
           (double)(t1 - t0) / 100000.0, (double)(t2 - t1) / 100000.0 / 1000.0);

    int r = run_case(sh, n, 0, 0, 0, rt, "wake, same core:");
    if (ncpu > 1 && r == 0)
        r = run_case(sh, n, 0, 1, 0, rt, "wake, across cores:");
    if (ncpu > 1 && r == 0)
        r = run_case(sh, n, 0, 1, 1, rt, "spin, across cores:");
    if (ncpu < 2)
        printf("futex across cores: not measured (one CPU online)\n");
    /* 1 s of wake-ups at 64 frames (750), more with more iterations */
    int ticks = n / 4 < 750 ? 750 : (n / 4 > 7500 ? 7500 : n / 4);
    double tf = timer_floor(ticks, rt);
    if (tf > 0)
        printf("periodic timerfd, 64 frames at 48 kHz: %.1f us of CPU per wake-up (n=%d)\n",
               tf / 1000.0, ticks);
    else
        printf("periodic timerfd: not measured (%s)\n", strerror(errno));
    munmap(sh, size);
    return r == 0 ? 0 : 1;
}
