/* engine/placement.c — CPU placement of the graph's realtime threads
 * (engine/placement.h says why and how). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "engine/placement.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

/* Main thread. */
int rill_placement_init(struct rill_placement *p, int enabled)
{
    memset(p, 0, sizeof(*p));
    for (uint32_t s = 0; s < RILL_MAX_CLIENTS; s++)
        p->applied[s] = RILL_PLACEMENT_NONE;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return -errno;
    for (int c = 0; c < CPU_SETSIZE && p->ncpus < RILL_PLACEMENT_MAX_CPUS; c++)
        if (CPU_ISSET(c, &set))
            p->cpus[p->ncpus++] = c;
    if (p->ncpus == 0)
        return -ENODEV;
    /* the engine takes the last allowed CPU: the first one usually carries
     * more of the system's housekeeping */
    p->engine_cpu = p->ncpus - 1;
    p->enabled = enabled && p->ncpus > 1;
    return 0;
}

static int pin(pid_t tid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(tid, sizeof(set), &set) < 0 ? -errno : 0;
}

/* Main thread. */
int rill_placement_engine(struct rill_placement *p, pthread_t thread)
{
    if (!p->enabled)
        return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(p->cpus[p->engine_cpu], &set);
    return -pthread_setaffinity_np(thread, sizeof(set), &set);
}

/* Main thread. */
void rill_placement_set_tid(struct rill_placement *p, uint32_t slot, pid_t tid)
{
    if (slot >= RILL_MAX_CLIENTS)
        return;
    p->tid[slot] = tid;
    p->applied[slot] = RILL_PLACEMENT_NONE;
    /* a new client in the slot (or none): its cost is not the last one's */
    p->cost_ns[slot] = 0;
    p->seen_finish[slot] = 0;
}

/* Is v among u's successors? */
static int is_succ(const struct rill_plan *plan, const struct rill_plan_node *u, uint32_t v)
{
    if (!rill_plan_succ_ok(u))
        return 0;
    for (uint32_t s = 0; s < u->succ_count; s++)
        if (plan->succ[u->succ_first + s] == v)
            return 1;
    return 0;
}

/* The CPU index for a parallel branch of cost c whose natural place is
 * cand and whose last place was prev: cand while its load stays within
 * budget, else the least loaded CPU (ties: round robin from *next). A branch
 * that was away from cand comes back only when it fits in the budget less
 * a margin (RILL_PLACEMENT_RETURN_DIV), so that one whose cost hovers at
 * the budget does not move at every review. Pure. */
static int branch_cpu(const uint64_t *load, int ncpus, int cand, int prev, uint64_t c,
                      uint64_t budget, int *next)
{
    uint64_t limit = budget;
    if (prev != RILL_PLACEMENT_NONE && prev != cand)
        limit -= budget / RILL_PLACEMENT_RETURN_DIV;
    if (cand != RILL_PLACEMENT_NONE && budget && load[cand] + c <= limit)
        return cand;
    int best = *next;
    for (int i = 1; i < ncpus; i++) {
        int k = (*next + i) % ncpus;
        if (load[k] < load[best])
            best = k;
    }
    *next = (best + 1) % ncpus;
    return best;
}

/* Any thread (pure). Nodes are in a topological order, so every upstream
 * node of nodes[k] is placed before it. */
void rill_placement_compute(const struct rill_plan *plan, int ncpus, int engine,
                            const uint32_t *cost_ns, uint64_t budget_ns, const int *prev,
                            int out[RILL_MAX_CLIENTS])
{
    /* taken[slot]: the slot's serial stretch was continued already */
    uint8_t taken[RILL_MAX_CLIENTS];
    uint64_t load[RILL_PLACEMENT_MAX_CPUS];
    memset(taken, 0, sizeof(taken));
    for (uint32_t s = 0; s < RILL_MAX_CLIENTS; s++)
        out[s] = RILL_PLACEMENT_NONE;
    if (ncpus <= 0 || ncpus > RILL_PLACEMENT_MAX_CPUS || engine < 0 || engine >= ncpus)
        return;
    memset(load, 0, sizeof(load[0]) * (size_t)ncpus);
    if (!cost_ns)
        budget_ns = 0; /* costs unknown: every branch spreads */
    int next = (engine + 1) % ncpus; /* round robin for parallel branches */
    uint32_t n = rill_plan_nnodes(plan);
    for (uint32_t k = 0; k < n; k++) {
        const struct rill_plan_node *v = &plan->nodes[k];
        if (v->client >= RILL_MAX_CLIENTS || v->client == RILL_ENGINE_NODE)
            continue;
        uint64_t c = cost_ns ? cost_ns[v->client] : 0;
        int cpu = RILL_PLACEMENT_NONE, cand = RILL_PLACEMENT_NONE;
        if (v->required == 0) {
            /* started by the engine: the first such node continues it */
            cand = engine;
            if (!taken[RILL_ENGINE_NODE]) {
                taken[RILL_ENGINE_NODE] = 1;
                cpu = engine;
            }
        } else {
            /* continue the first upstream node (in plan order) whose
             * stretch nobody continues yet */
            for (uint32_t j = 0; j < k && cpu == RILL_PLACEMENT_NONE; j++) {
                uint32_t u = plan->nodes[j].client;
                if (u >= RILL_MAX_CLIENTS || out[u] == RILL_PLACEMENT_NONE ||
                    !is_succ(plan, &plan->nodes[j], v->client))
                    continue;
                if (cand == RILL_PLACEMENT_NONE)
                    cand = out[u];
                if (taken[u])
                    continue;
                taken[u] = 1;
                cpu = out[u];
            }
        }
        if (cpu == RILL_PLACEMENT_NONE)
            cpu = branch_cpu(load, ncpus, cand, prev ? prev[v->client] : RILL_PLACEMENT_NONE,
                             c, budget_ns, &next);
        load[cpu] += c;
        out[v->client] = cpu;
    }
}

/* Main thread. */
void rill_placement_sample(struct rill_placement *p, const struct rill_shm_activation *act,
                           uint64_t period_ns)
{
    for (uint32_t s = 1; s < RILL_MAX_CLIENTS; s++) {
        if (p->tid[s] <= 0)
            continue; /* rill_placement_set_tid forgot its cost */
        /* relaxed: two stamps of the node's last cycle; a pair torn across
         * cycles is caught by the checks below or moves the average a bit */
        uint64_t a = atomic_load_explicit(&act->node[s].awake_ns, memory_order_relaxed);
        uint64_t f = atomic_load_explicit(&act->node[s].finish_ns, memory_order_relaxed);
        if (f == p->seen_finish[s] || f < a || f - a > period_ns)
            continue;
        p->seen_finish[s] = f;
        uint64_t x = f - a, c = p->cost_ns[s];
        p->cost_ns[s] = (uint32_t)(c ? (3 * c + x) / 4 : x);
    }
}

/* The index in p->cpus of CPU cpu, or RILL_PLACEMENT_NONE. */
static int cpu_index(const struct rill_placement *p, int cpu)
{
    for (int i = 0; i < p->ncpus; i++)
        if (p->cpus[i] == cpu)
            return i;
    return RILL_PLACEMENT_NONE;
}

/* Main thread. */
int rill_placement_apply(struct rill_placement *p, const struct rill_plan *plan)
{
    p->plan = plan;
    if (!p->enabled || p->unpinned)
        return 0;
    /* where each thread is pinned now, as indices: a branch away from its
     * natural core needs a margin to come back */
    int prev[RILL_MAX_CLIENTS], idx[RILL_MAX_CLIENTS];
    for (uint32_t s = 0; s < RILL_MAX_CLIENTS; s++)
        prev[s] = cpu_index(p, p->applied[s]); /* NONE for NONE */
    rill_placement_compute(plan, p->ncpus, p->engine_cpu, p->cost_ns, p->budget_ns, prev, idx);
    int pinned = 0;
    for (uint32_t s = 1; s < RILL_MAX_CLIENTS; s++) {
        if (p->tid[s] <= 0 || idx[s] == RILL_PLACEMENT_NONE)
            continue;
        int cpu = p->cpus[idx[s]];
        if (p->applied[s] == cpu)
            continue;
        /* a refusal (the thread is gone, or its process may not use the
         * CPU: another cpuset) leaves the thread where it is */
        if (pin(p->tid[s], cpu) == 0)
            pinned++;
        else
            p->failures++;
        p->applied[s] = cpu;
    }
    return pinned;
}

/* Main thread. */
int rill_placement_review(struct rill_placement *p, const struct rill_shm_activation *act,
                          uint64_t period_ns, uint64_t now_ns)
{
    if (!p->enabled)
        return 0;
    rill_placement_sample(p, act, period_ns);
    p->budget_ns = period_ns / RILL_PLACEMENT_SHARE_DIV;
    if (now_ns - p->reviewed_ns < RILL_PLACEMENT_REVIEW_NS || p->unpinned || !p->plan)
        return 0;
    p->reviewed_ns = now_ns;
    return rill_placement_apply(p, p->plan);
}

/* Give every known client thread all of rilld's CPUs back. Main thread. */
static void unpin_all(struct rill_placement *p)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < p->ncpus; i++)
        CPU_SET(p->cpus[i], &set);
    for (uint32_t s = 1; s < RILL_MAX_CLIENTS; s++) {
        if (p->tid[s] > 0 && p->applied[s] != RILL_PLACEMENT_NONE &&
            sched_setaffinity(p->tid[s], sizeof(set), &set) < 0)
            p->failures++;
        p->applied[s] = RILL_PLACEMENT_NONE;
    }
}

/* Main thread. */
int rill_placement_tick(struct rill_placement *p, const _Atomic uint64_t *late_since,
                        uint64_t period_ns, uint64_t now_ns)
{
    if (!p->enabled)
        return RILL_PLACEMENT_SAME;
    uint64_t stall = RILL_PLACEMENT_STALL_PERIODS * period_ns;
    if (stall < RILL_PLACEMENT_STALL_MIN_NS)
        stall = RILL_PLACEMENT_STALL_MIN_NS;
    uint32_t stalled = 0;
    for (uint32_t s = 1; s < RILL_MAX_CLIENTS; s++) {
        /* relaxed: a time stamp the realtime thread keeps; a stale read
         * only moves the decision by one tick */
        uint64_t since = atomic_load_explicit(&late_since[s], memory_order_relaxed);
        if (!since || p->tid[s] <= 0)
            continue;
        p->last_late_ns = now_ns;
        if (!stalled && now_ns > since && now_ns - since >= stall)
            stalled = s;
    }
    if (!p->unpinned) {
        if (p->quiet_ns && now_ns - p->stall_ns >= RILL_PLACEMENT_FORGET_NS)
            p->quiet_ns = 0; /* long without a stall: forgive */
        if (!stalled)
            return RILL_PLACEMENT_SAME;
        unpin_all(p);
        p->unpinned = 1;
        p->stall_slot = stalled;
        p->stall_ns = now_ns;
        p->quiet_ns = p->quiet_ns ? p->quiet_ns * 2 : RILL_PLACEMENT_QUIET_FIRST_NS;
        if (p->quiet_ns > RILL_PLACEMENT_QUIET_MAX_NS)
            p->quiet_ns = RILL_PLACEMENT_QUIET_MAX_NS;
        return RILL_PLACEMENT_UNPINNED;
    }
    if (now_ns - p->last_late_ns < p->quiet_ns || now_ns - p->stall_ns < p->quiet_ns)
        return RILL_PLACEMENT_SAME;
    p->unpinned = 0;
    if (p->plan)
        rill_placement_apply(p, p->plan);
    return RILL_PLACEMENT_REPINNED;
}
