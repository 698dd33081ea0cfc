/* engine/placement.h — which CPU each realtime thread of the graph runs on.
 *
 * A hand-off between threads on one core costs a fraction of one across
 * cores (doc/benchmarks.md: 9 against 55-70 µs on the test machine), and a
 * serial stretch of the plan can never use two cores at once. So a serial
 * stretch (a node and the first of its successors that is not already the
 * continuation of another node) stays on its predecessor's core, starting on
 * the engine's, while parallel branches that do real work are spread over the
 * other allowed CPUs (weighed as below).
 *
 * rilld pins its realtime thread and each client's realtime thread (whose
 * thread id the client gives with ACTIVATE) with sched_setaffinity, from the
 * main thread, whenever a new plan is compiled and only for the threads whose
 * CPU changed: never a system call on a realtime path. The CPUs are those
 * rilld may use at start (taskset, cgroups). `rilld --affinity off` leaves
 * every thread to the scheduler.
 *
 * A pinned thread cannot escape a core that something else hogs: a client
 * whose process callback spins (at the same SCHED_FIFO priority as the
 * others) or another program's realtime thread would starve every client
 * pinned beside it. So when a client has been late for
 * RILL_PLACEMENT_STALL_PERIODS periods (at least RILL_PLACEMENT_STALL_MIN_NS),
 * every client thread is unpinned at once and left to the scheduler, which
 * moves the starved ones away; they are pinned again only after a quiet
 * time without late clients, 2 s the first time, doubling with each new
 * stall up to 64 s (so an offender that persists costs a glitch at most that
 * often), and back to 2 s after 10 minutes without one.
 *
 * Parallel branches are weighed: every node's run time (awake to finish, from
 * its activation record) is averaged on the main thread's housekeeping
 * ticks, and a branch joins the core of its natural place (the engine's for
 * a source, its first upstream node's otherwise) while that core's load
 * stays within a quarter of the period (RILL_PLACEMENT_SHARE_DIV); only a
 * branch that would overfill it goes to the least loaded CPU; it comes back
 * when it fits in three quarters of the budget (RILL_PLACEMENT_RETURN_DIV),
 * so that a cost hovering at the budget does not move it at every review.
 * Trivial branches spread over cores cost more in cross-core wake-ups than
 * they save (doc/benchmarks.md). A new node counts as free until measured;
 * the placement is reviewed with the measured costs every
 * RILL_PLACEMENT_REVIEW_NS.
 *
 * Thread: main thread, except rill_placement_compute (any thread, pure).
 */
#ifndef RILL_PLACEMENT_H
#define RILL_PLACEMENT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "rill/limits.h"
#include "rill/plan.h"
#include "rill/shm.h"

#define RILL_PLACEMENT_MAX_CPUS 1024
#define RILL_PLACEMENT_NONE (-1)
#define RILL_PLACEMENT_STALL_PERIODS 4u
#define RILL_PLACEMENT_STALL_MIN_NS 20000000ull       /* 20 ms */
#define RILL_PLACEMENT_QUIET_FIRST_NS 2000000000ull   /* 2 s */
#define RILL_PLACEMENT_QUIET_MAX_NS 64000000000ull    /* 64 s */
#define RILL_PLACEMENT_FORGET_NS 600000000000ull      /* 10 min */
#define RILL_PLACEMENT_SHARE_DIV 4u                   /* a core's budget: period / 4 */
#define RILL_PLACEMENT_RETURN_DIV 4u                  /* back home within budget - 1/4 */
#define RILL_PLACEMENT_REVIEW_NS 2000000000ull        /* 2 s */

/* rill_placement_tick's result */
enum { RILL_PLACEMENT_SAME, RILL_PLACEMENT_UNPINNED, RILL_PLACEMENT_REPINNED };

struct rill_placement {
    int enabled;                       /* --affinity auto and more than one CPU */
    int ncpus;
    int cpus[RILL_PLACEMENT_MAX_CPUS]; /* allowed CPUs, ascending */
    int engine_cpu;                    /* index into cpus[] of the engine's CPU */
    pid_t tid[RILL_MAX_CLIENTS];       /* realtime thread per slot, 0 unknown */
    int applied[RILL_MAX_CLIENTS];     /* CPU (not index) set for it, or NONE */
    uint64_t failures;                 /* sched_setaffinity refusals */
    /* stalls: client threads unpinned (see above) */
    int unpinned;                      /* 1 while the clients are left unpinned */
    uint32_t stall_slot;               /* the client that was late too long */
    uint64_t last_late_ns;             /* last tick that saw a late client */
    uint64_t stall_ns;                 /* when the last stall unpinned them */
    uint64_t quiet_ns;                 /* quiet time before pinning again */
    const struct rill_plan *plan;      /* the last plan given to apply */
    /* weighing the branches */
    uint32_t cost_ns[RILL_MAX_CLIENTS];     /* averaged run time per slot */
    uint64_t seen_finish[RILL_MAX_CLIENTS]; /* finish stamp last sampled */
    uint64_t budget_ns;                /* a core's share for branches, 0 unknown */
    uint64_t reviewed_ns;              /* last review with measured costs */
};

/* Read the CPUs this process may use. enabled: --affinity auto. Returns 0 or
 * -errno (placement is then disabled; rilld runs on without it). */
int rill_placement_init(struct rill_placement *p, int enabled);

/* Pin the engine's realtime thread to its CPU. Returns 0 or -errno. */
int rill_placement_engine(struct rill_placement *p, pthread_t thread);

/* The realtime thread of slot is tid (0: the slot's client left or is
 * inactive). Its CPU is set by the next rill_placement_apply. */
void rill_placement_set_tid(struct rill_placement *p, uint32_t slot, pid_t tid);

/* For every node of plan, the index into a CPU list of ncpus entries that it
 * should run on (out[slot]; RILL_PLACEMENT_NONE for slots not in the plan).
 * engine is the engine's index. cost_ns (per slot, may be NULL: unknown,
 * every branch spreads) and budget_ns weigh the parallel branches as above;
 * prev (per slot, may be NULL) is the index each node was last given, for
 * the margin a branch needs to come back. Pure; any thread. */
void rill_placement_compute(const struct rill_plan *plan, int ncpus, int engine,
                            const uint32_t *cost_ns, uint64_t budget_ns, const int *prev,
                            int out[RILL_MAX_CLIENTS]);

/* Average each known client's last run time from its activation record
 * (called on every housekeeping tick). */
void rill_placement_sample(struct rill_placement *p, const struct rill_shm_activation *act,
                           uint64_t period_ns);

/* Sample the costs and, every RILL_PLACEMENT_REVIEW_NS, place the last plan
 * again with them. Returns how many threads were pinned now. */
int rill_placement_review(struct rill_placement *p, const struct rill_shm_activation *act,
                          uint64_t period_ns, uint64_t now_ns);

/* Compute the placement of plan and pin the threads whose CPU changed.
 * Returns how many threads were pinned now (none while unpinned). */
int rill_placement_apply(struct rill_placement *p, const struct rill_plan *plan);

/* Called every few ms with the realtime thread's late_since per slot (0: not
 * late; CLOCK_MONOTONIC ns since when) and the period: unpins every client
 * thread on a stall, pins them again (for the plan last given to
 * rill_placement_apply) after the quiet time. Returns RILL_PLACEMENT_SAME,
 * _UNPINNED (stall_slot says who) or _REPINNED. */
int rill_placement_tick(struct rill_placement *p, const _Atomic uint64_t *late_since,
                        uint64_t period_ns, uint64_t now_ns);

#endif
