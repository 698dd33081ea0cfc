/* common/rt_hooks.h — mark realtime sections for the allocation trap.
 *
 * The engine's realtime thread and every client's realtime thread call
 * rill_rt_enter() when a cycle starts and rill_rt_leave() when it ends. In
 * production these do nothing but a predictable branch. When the test trap
 * (tests/rt/librill-rt-trap.so, LD_PRELOADed) is present, it exports
 *   void rill_rt_trap_enter(void);  void rill_rt_trap_leave(void);
 * which rill_rt_hooks_init() finds with dlsym(RTLD_DEFAULT, ...); the trap
 * then aborts with a message when the thread allocates, frees or locks a
 * mutex inside a section.
 */
#ifndef RILL_RT_HOOKS_H
#define RILL_RT_HOOKS_H

/* Look the trap up once. Main thread, before any realtime thread starts. */
void rill_rt_hooks_init(void);

/* RT-safe. */
void rill_rt_enter(void);
void rill_rt_leave(void);

#endif
