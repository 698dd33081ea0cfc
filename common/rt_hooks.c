/* common/rt_hooks.c — realtime section markers for the allocation trap
 * (common/rt_hooks.h). Without the trap preloaded both hooks are NULL
 * and enter/leave cost one load and a predictable branch.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "common/rt_hooks.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef void (*rill_rt_hook_fn)(void);

/* Written once by hooks_lookup, read by every realtime thread. Relaxed is
 * enough: the value is a function pointer into code the dynamic loader mapped
 * before dlsym returned, and realtime threads start after init (thread
 * creation orders them); a thread that raced init would only miss a hook. */
static _Atomic(rill_rt_hook_fn) hook_enter;
static _Atomic(rill_rt_hook_fn) hook_leave;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

/* Main thread, once (pthread_once). */
static void hooks_lookup(void)
{
    rill_rt_hook_fn enter = (rill_rt_hook_fn)dlsym(RTLD_DEFAULT, "rill_rt_trap_enter");
    rill_rt_hook_fn leave = (rill_rt_hook_fn)dlsym(RTLD_DEFAULT, "rill_rt_trap_leave");
    /* Only both or neither: a lone enter would never be left. */
    if (!enter || !leave)
        return;
    atomic_store_explicit(&hook_enter, enter, memory_order_relaxed);
    atomic_store_explicit(&hook_leave, leave, memory_order_relaxed);
}

/* Main thread, before any realtime thread starts. */
void rill_rt_hooks_init(void)
{
    pthread_once(&hooks_once, hooks_lookup);
}

/* RT-safe. */
void rill_rt_enter(void)
{
    rill_rt_hook_fn f = atomic_load_explicit(&hook_enter, memory_order_relaxed);
    if (__builtin_expect(f != NULL, 0))
        f();
}

/* RT-safe. */
void rill_rt_leave(void)
{
    rill_rt_hook_fn f = atomic_load_explicit(&hook_leave, memory_order_relaxed);
    if (__builtin_expect(f != NULL, 0))
        f();
}
