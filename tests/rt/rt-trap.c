/* tests/rt/rt-trap.c — a test-only LD_PRELOAD library that fails loudly when a
 * realtime section allocates, frees or locks a mutex.
 *
 * rill's realtime threads call rill_rt_enter()/rill_rt_leave()
 * (common/rt_hooks.h) around each cycle; when this library is loaded,
 * those find rill_rt_trap_enter()/rill_rt_trap_leave() below, which keep a
 * per-thread depth. While the depth is above zero, a call to malloc, calloc,
 * realloc, reallocarray, free (of a non-NULL pointer), posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc, pthread_mutex_lock or
 * pthread_mutex_trylock writes
 *     rill-rt-trap: FUNCTION called on a realtime path
 * and a backtrace to stderr with write(2) (never stdio) and calls abort().
 * Outside a section every call goes to the real function (dlsym RTLD_NEXT).
 *
 * RILL_RT_TRAP_COUNT_ONLY=1 counts the calls instead of aborting and prints
 * the counts at exit (for debugging a path that is not clean yet).
 *
 * Use:
 *     LD_PRELOAD=tests/rt/.libs/librill-rt-trap.so rilld -d dummy ...
 *
 * With AddressSanitizer: ASan's runtime must come first in the list of
 * initial libraries, so a test preloads it first and the trap second:
 *     LD_PRELOAD="$(gcc -print-file-name=libasan.so):.../librill-rt-trap.so"
 * Then ASan's malloc family wins symbol lookup over ours, so the interposed
 * functions below are never reached for allocations. To still catch them,
 * the constructor installs ASan's public allocation hooks
 * (__sanitizer_install_malloc_and_free_hooks, looked up at run time so this
 * file does not need ASan to build): every allocation and every free of a
 * non-NULL pointer that ASan serves calls them, and they apply the same
 * check. ASan's own pthread_mutex_lock interceptor forwards to the next
 * definition after it, which is ours, so mutexes are still caught too.
 *
 * Thread of every function: any thread (the interposers are called wherever
 * the program calls them). Nothing here allocates after the constructor:
 * backtrace() is warmed up there (its first call loads libgcc_s).
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRAP_EXPORT __attribute__((visibility("default")))
/* The trap runs before the sanitizers are set up (the loader and libc
 * allocate early) and inside their allocator (the hooks): its own code is
 * never instrumented, so a build with --enable-sanitizers cannot make it
 * touch shadow memory that is not there yet. */
#define TRAP_NOSAN __attribute__((no_sanitize("address", "undefined")))

/* Our prototypes for the exported symbols (they are not in any header the
 * library may include without pulling in rill's own code). */
TRAP_EXPORT void rill_rt_trap_enter(void);
TRAP_EXPORT void rill_rt_trap_leave(void);
TRAP_EXPORT void *malloc(size_t size);
TRAP_EXPORT void *calloc(size_t n, size_t size);
TRAP_EXPORT void *realloc(void *p, size_t size);
TRAP_EXPORT void *reallocarray(void *p, size_t n, size_t size);
TRAP_EXPORT void free(void *p);
TRAP_EXPORT int posix_memalign(void **out, size_t align, size_t size);
TRAP_EXPORT void *aligned_alloc(size_t align, size_t size);
TRAP_EXPORT void *memalign(size_t align, size_t size);
TRAP_EXPORT void *valloc(size_t size);
TRAP_EXPORT void *pvalloc(size_t size);
TRAP_EXPORT int pthread_mutex_lock(pthread_mutex_t *m);
TRAP_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m);

/* ---- per-thread depth. initial-exec: a preloaded library's TLS is static,
 * and this model never calls __tls_get_addr (which may allocate). */
static __thread int trap_depth __attribute__((tls_model("initial-exec")));

/* ---- what we forward to */
struct trap_real {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*reallocarray)(void *, size_t, size_t);
    void (*free)(void *);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    int (*mutex_lock)(pthread_mutex_t *);
    int (*mutex_trylock)(pthread_mutex_t *);
};

static struct trap_real real;
/* 0 not started, 1 resolving (dlsym may call calloc: serve the arena),
 * 2 done. Acquire/release: a thread that sees 2 sees every pointer in real. */
static _Atomic int trap_state;
static int trap_count_only;
/* 1 on the thread running trap_init (its dlsym calls are served the arena) */
static __thread int trap_resolving __attribute__((tls_model("initial-exec")));

enum trap_fn {
    FN_MALLOC, FN_CALLOC, FN_REALLOC, FN_REALLOCARRAY, FN_FREE, FN_POSIX_MEMALIGN,
    FN_ALIGNED_ALLOC, FN_MEMALIGN, FN_VALLOC, FN_PVALLOC, FN_MUTEX_LOCK, FN_MUTEX_TRYLOCK,
    FN_ASAN_ALLOC, FN_ASAN_FREE, FN_COUNT
};

static const char *const trap_fn_names[FN_COUNT] = {
    "malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign",
    "aligned_alloc", "memalign", "valloc", "pvalloc", "pthread_mutex_lock",
    "pthread_mutex_trylock",
    "malloc (or calloc, realloc, an aligned allocation: seen by ASan's hook)",
    "free (seen by ASan's hook)",
};

/* counts for RILL_RT_TRAP_COUNT_ONLY; relaxed: independent counters read
 * once at exit, after the threads that wrote them are done or irrelevant. */
static _Atomic unsigned long trap_counts[FN_COUNT];

/* ---- bootstrap arena for allocations made while dlsym resolves us */
#define TRAP_ARENA_SIZE 65536u
struct trap_chunk {
    size_t size;
    size_t pad;
};
static alignas(64) unsigned char trap_arena[TRAP_ARENA_SIZE];
static _Atomic size_t trap_arena_used; /* relaxed bump: only the offset matters */

/* Any thread. */
TRAP_NOSAN static int trap_in_arena(const void *p)
{
    const unsigned char *b = p;
    return b >= trap_arena && b < trap_arena + TRAP_ARENA_SIZE;
}

/* Any thread. Zeroed (the arena is static and never reused). */
TRAP_NOSAN static void *trap_arena_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    if (align > 4096 || size > TRAP_ARENA_SIZE)
        return NULL;
    size_t need = sizeof(struct trap_chunk) + size + align;
    size_t off = atomic_fetch_add_explicit(&trap_arena_used, need, memory_order_relaxed);
    if (off + need > TRAP_ARENA_SIZE)
        return NULL;
    uintptr_t base = (uintptr_t)(trap_arena + off + sizeof(struct trap_chunk));
    uintptr_t user = (base + align - 1) & ~(uintptr_t)(align - 1);
    struct trap_chunk *h = (struct trap_chunk *)(user - sizeof(struct trap_chunk));
    h->size = size;
    return (void *)user;
}

/* Any thread: write all of s to stderr, ignoring errors (nothing to do). */
TRAP_NOSAN static void trap_write(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

TRAP_NOSAN static void trap_puts(const char *s)
{
    trap_write(s, strlen(s));
}

/* Any thread: decimal without stdio. */
TRAP_NOSAN static void trap_put_ulong(unsigned long v)
{
    char buf[24];
    size_t i = sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && i > 0);
    trap_write(buf + i, sizeof buf - i);
}

/* Any thread. Returns normally only in count-only mode. */
TRAP_NOSAN static void trap_hit(enum trap_fn fn)
{
    if (trap_count_only) {
        atomic_fetch_add_explicit(&trap_counts[fn], 1, memory_order_relaxed);
        return;
    }
    trap_depth = 0; /* whatever the report or abort calls is not trapped again */
    trap_puts("rill-rt-trap: ");
    trap_puts(trap_fn_names[fn]);
    trap_puts(" called on a realtime path\n");
    void *frames[64];
    int n = backtrace(frames, 64);
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
    abort();
}

/* Any thread: the check every interposer and hook makes. */
TRAP_NOSAN static inline void trap_check(enum trap_fn fn)
{
    if (__builtin_expect(trap_depth > 0, 0))
        trap_hit(fn);
}

#define TRAP_RESOLVE(field, sym) \
    do { \
        *(void **)&real.field = dlsym(RTLD_NEXT, sym); \
    } while (0)

/* Any thread, first call wins; the others spin until it is done (a few
 * dlsym calls long, once per process). */
TRAP_NOSAN static void trap_init(void)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong_explicit(&trap_state, &expect, 1, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        while (atomic_load_explicit(&trap_state, memory_order_acquire) == 1)
            ;
        return;
    }
    trap_resolving = 1;
    TRAP_RESOLVE(malloc, "malloc");
    TRAP_RESOLVE(calloc, "calloc");
    TRAP_RESOLVE(realloc, "realloc");
    TRAP_RESOLVE(reallocarray, "reallocarray");
    TRAP_RESOLVE(free, "free");
    TRAP_RESOLVE(posix_memalign, "posix_memalign");
    TRAP_RESOLVE(aligned_alloc, "aligned_alloc");
    TRAP_RESOLVE(memalign, "memalign");
    TRAP_RESOLVE(valloc, "valloc");
    TRAP_RESOLVE(pvalloc, "pvalloc");
    TRAP_RESOLVE(mutex_lock, "pthread_mutex_lock");
    TRAP_RESOLVE(mutex_trylock, "pthread_mutex_trylock");
    trap_resolving = 0;
    /* release: publishes the pointers above to every thread that acquires 2 */
    atomic_store_explicit(&trap_state, 2, memory_order_release);
}

/* Any thread: 1 when real.* can be used, 0 while we are inside dlsym. */
TRAP_NOSAN static inline int trap_ready(void)
{
    int s = atomic_load_explicit(&trap_state, memory_order_acquire);
    if (s == 2)
        return 1;
    if (s == 1 && trap_resolving)
        return 0; /* inside our own dlsym calls */
    trap_init(); /* starts it, or waits for the thread that did */
    return atomic_load_explicit(&trap_state, memory_order_acquire) == 2;
}

/* ---- ASan hooks (see the top of the file) */
TRAP_NOSAN static void trap_asan_malloc_hook(const volatile void *p, size_t size)
{
    trap_check(FN_ASAN_ALLOC);
}

TRAP_NOSAN static void trap_asan_free_hook(const volatile void *p)
{
    trap_check(FN_ASAN_FREE);
}

TRAP_NOSAN static void trap_report_counts(void)
{
    unsigned long total = 0;
    for (int i = 0; i < FN_COUNT; i++)
        total += atomic_load_explicit(&trap_counts[i], memory_order_relaxed);
    trap_puts("rill-rt-trap: ");
    trap_put_ulong(total);
    trap_puts(" call(s) on a realtime path");
    for (int i = 0; i < FN_COUNT; i++) {
        unsigned long n = atomic_load_explicit(&trap_counts[i], memory_order_relaxed);
        if (n == 0)
            continue;
        trap_puts(" ");
        trap_puts(trap_fn_names[i]);
        trap_puts("=");
        trap_put_ulong(n);
    }
    trap_puts(" (RILL_RT_TRAP_COUNT_ONLY)\n");
}

/* ours, whoever wins the global lookup of "malloc" (a hidden alias binds locally) */
void *trap_own_malloc(size_t size)
    __attribute__((copy(malloc), alias("malloc"), visibility("hidden")));

/* Main thread, at load. */
TRAP_NOSAN __attribute__((constructor)) static void trap_constructor(void)
{
    trap_ready();
    const char *c = getenv("RILL_RT_TRAP_COUNT_ONLY");
    trap_count_only = c && c[0] && strcmp(c, "0") != 0;
    /* warm backtrace up: its first call dlopens libgcc_s, which allocates */
    void *frames[4];
    (void)backtrace(frames, 4);

    typedef int (*install_fn)(void (*)(const volatile void *, size_t),
                              void (*)(const volatile void *));
    install_fn install;
    *(void **)&install = dlsym(RTLD_DEFAULT, "__sanitizer_install_malloc_and_free_hooks");
    /* only when ASan serves the allocations (it came first in LD_PRELOAD);
     * when our interposers win, they already check and hooks would count twice */
    if (install && dlsym(RTLD_DEFAULT, "malloc") != (void *)trap_own_malloc)
        install(trap_asan_malloc_hook, trap_asan_free_hook);
    if (trap_count_only)
        atexit(trap_report_counts);
}

/* ---- the section markers (rt_hooks.h). RT-safe. */
TRAP_NOSAN void rill_rt_trap_enter(void)
{
    trap_depth++;
}

TRAP_NOSAN void rill_rt_trap_leave(void)
{
    if (trap_depth > 0)
        trap_depth--;
}

/* ---- the interposers. Any thread. */
TRAP_NOSAN void *malloc(size_t size)
{
    trap_check(FN_MALLOC);
    if (!trap_ready())
        return trap_arena_alloc(size, 16);
    return real.malloc(size);
}

TRAP_NOSAN void *calloc(size_t n, size_t size)
{
    trap_check(FN_CALLOC);
    if (!trap_ready()) {
        if (size != 0 && n > SIZE_MAX / size)
            return NULL;
        return trap_arena_alloc(n * size, 16);
    }
    return real.calloc(n, size);
}

TRAP_NOSAN void *realloc(void *p, size_t size)
{
    trap_check(FN_REALLOC);
    if (p && trap_in_arena(p)) {
        /* arena blocks move to a fresh block; the old one is never reused */
        const struct trap_chunk *h = (const struct trap_chunk *)((unsigned char *)p - sizeof *h);
        void *n = trap_ready() ? real.malloc(size) : trap_arena_alloc(size, 16);
        if (n)
            memcpy(n, p, h->size < size ? h->size : size);
        return n;
    }
    if (!trap_ready())
        return p ? NULL : trap_arena_alloc(size, 16);
    return real.realloc(p, size);
}

TRAP_NOSAN void *reallocarray(void *p, size_t n, size_t size)
{
    trap_check(FN_REALLOCARRAY);
    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    if ((p && trap_in_arena(p)) || !trap_ready() || !real.reallocarray)
        return realloc(p, n * size);
    return real.reallocarray(p, n, size);
}

TRAP_NOSAN void free(void *p)
{
    if (!p)
        return; /* free(NULL) is harmless anywhere */
    trap_check(FN_FREE);
    if (trap_in_arena(p))
        return;
    if (trap_ready())
        real.free(p);
}

TRAP_NOSAN int posix_memalign(void **out, size_t align, size_t size)
{
    trap_check(FN_POSIX_MEMALIGN);
    if (!trap_ready()) {
        *out = trap_arena_alloc(size, align);
        return *out ? 0 : ENOMEM;
    }
    return real.posix_memalign(out, align, size);
}

TRAP_NOSAN void *aligned_alloc(size_t align, size_t size)
{
    trap_check(FN_ALIGNED_ALLOC);
    if (!trap_ready())
        return trap_arena_alloc(size, align);
    return real.aligned_alloc(align, size);
}

TRAP_NOSAN void *memalign(size_t align, size_t size)
{
    trap_check(FN_MEMALIGN);
    if (!trap_ready())
        return trap_arena_alloc(size, align);
    return real.memalign(align, size);
}

TRAP_NOSAN void *valloc(size_t size)
{
    trap_check(FN_VALLOC);
    if (!trap_ready())
        return trap_arena_alloc(size, 4096);
    return real.valloc(size);
}

TRAP_NOSAN void *pvalloc(size_t size)
{
    trap_check(FN_PVALLOC);
    if (!trap_ready())
        return trap_arena_alloc((size + 4095) & ~(size_t)4095, 4096);
    return real.pvalloc(size);
}

TRAP_NOSAN int pthread_mutex_lock(pthread_mutex_t *m)
{
    trap_check(FN_MUTEX_LOCK);
    if (!trap_ready())
        return 0; /* only inside our own dlsym calls: dlsym locks with glibc internals */
    return real.mutex_lock(m);
}

TRAP_NOSAN int pthread_mutex_trylock(pthread_mutex_t *m)
{
    trap_check(FN_MUTEX_TRYLOCK);
    if (!trap_ready())
        return 0;
    return real.mutex_trylock(m);
}
