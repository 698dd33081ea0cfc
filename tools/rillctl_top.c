/* tools/rillctl_top.c — `rillctl top`: a live view of the engine and its
 * clients, like pw-top.
 *
 * Where the numbers come from (nothing here writes to shared memory or asks
 * the engine for anything; the realtime path is not touched):
 *   - the header: the state segment's statistics (as `rillctl status`);
 *   - a client's busy time and its wait from the start of the cycle: the time
 *     stamps its realtime thread leaves in its activation record each cycle
 *     (awake_ns, finish_ns) and the cycle record's start time. top samples
 *     them every SAMPLE_US and counts each finished cycle of a node once, so
 *     "mean" and "max" are over the cycles it caught in the last interval
 *     (a few hundred per second, not necessarily every one);
 *   - late: the engine's per-client count of cycles the client missed
 *     (rill_shm_state.node_late), as a difference over the interval;
 *   - CPU: the processor the client's realtime thread last ran on
 *     (/proc/PID/task/TID/stat, with the thread id the engine publishes in the
 *     registry while the client is active);
 *   - order and branch: the client's place in the execution plan of the
 *     current cycle; a branch is a serial stretch of the plan (each link the
 *     only successor of one node and the only predecessor of the next), the
 *     unit that rilld's CPU placement keeps on one core.
 *
 * Keys in the live view: q quits (also Ctrl-C). The view redraws with ANSI
 * escapes only (no curses), so it works in any terminal and over ssh.
 * --once samples one interval and prints one frame (or --json, one JSON
 * document holding `rillctl status --json`'s object and a row per client).
 *
 * Main thread of rillctl only.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "rill/time.h"
#include "tools/json_out.h"
#include "tools/rillctl.h"

#define SAMPLE_US 2000u

const char rill_ctl_top_help[] =
    "A live view of the server and its clients, refreshed every second: DSP load,\n"
    "xruns and cycles, then one row per client in the plan's order: its state, the\n"
    "CPU its realtime thread ran on, its busy time per cycle (mean and max over\n"
    "the cycles sampled in the last interval), its wait from the cycle's start, its\n"
    "share of the period, the cycles it was late in the interval, and the branch of\n"
    "the plan it runs in. q quits.\n"
    "\n"
    "  --once            sample one interval, print one frame and exit\n"
    "  -j, --json        with --once: one JSON document (doc/rillctl.md)\n"
    "  -d, --delay SECS  the interval, 0.2 to 60 seconds (default 1)\n";

struct top_row {
    int used;
    uint32_t slot;
    int32_t pid;
    uint64_t uuid;
    char name[RILL_CLIENT_NAME_SIZE];
    int active;
    int32_t tid;
    int cpu;              /* -1: unknown */
    uint32_t order;       /* index in the plan, RILL_PLAN_NONE when not in it */
    uint32_t branch;      /* 1.., 0 when not in the plan */
    /* sampling state */
    uint32_t last_finished;
    int have_last;
    uint64_t n, busy_sum, busy_max, wait_sum, nwait;
    uint64_t late0, late1;
};

struct top {
    struct ctl *ctl;
    struct top_row rows[RILL_MAX_CLIENTS];
    struct rill_ctl_status status;
    double interval_s;
};

static volatile sig_atomic_t top_stop;

/* Signal handler (any thread): ask the loop to end. */
static void on_signal(int sig)
{
    (void)sig;
    top_stop = 1;
}

/* Main thread: the processor tid last ran on, or -1. */
static int thread_cpu(int32_t pid, int32_t tid)
{
    if (pid <= 0 || tid <= 0)
        return -1;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the name (field 2) may hold spaces and ')': count from the last ')' */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    /* fields 3.. follow; the processor is field 39 */
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (++field == 39)
            return atoi(tok);
    }
    return -1;
}

/* Main thread: take the client list, plan order and branches afresh. */
static void top_refresh_rows(struct top *t)
{
    const struct rill_shm_state *st = t->ctl->st;
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
        struct top_row *r = &t->rows[slot];
        struct rill_shm_client c;
        if (rill_registry_client(st, slot, &c) < 0 || (c.flags & RILL_CLIENT_CONTROL)) {
            r->used = 0;
            continue;
        }
        if (!r->used || r->pid != c.pid || r->uuid != c.uuid) {
            memset(r, 0, sizeof *r);
            r->used = 1;
            r->slot = slot;
            r->pid = c.pid;
            r->uuid = c.uuid;
            /* relaxed: a statistic */
            r->late0 = atomic_load_explicit(&st->node_late[slot], memory_order_relaxed);
        }
        snprintf(r->name, sizeof r->name, "%.*s", (int)sizeof c.name - 1, c.name);
        r->active = c.active != 0;
        r->tid = c.rt_tid;
        r->order = RILL_PLAN_NONE;
        r->branch = 0;
    }

    /* the plan of the current cycle: bounds-check everything, it may be
     * rewritten while we read it (then the order is off for one frame) */
    struct rill_shm_cycle cy;
    memset(&cy, 0, sizeof cy);
    if (rill_cycle_read(&st->cycle, &cy) < 0 || cy.plan_slot >= RILL_PLAN_SLOTS)
        return;
    const struct rill_plan *plan = &st->plans[cy.plan_slot];
    uint32_t nn = rill_plan_nnodes(plan);
    uint32_t branch_of[RILL_MAX_CLIENTS] = { 0 }; /* by plan index */
    uint32_t nbranch = 0;
    for (uint32_t k = 0; k < nn; k++) {
        const struct rill_plan_node *n = &plan->nodes[k];
        if (n->client < RILL_MAX_CLIENTS && t->rows[n->client].used)
            t->rows[n->client].order = k;
        if (!branch_of[k])
            branch_of[k] = ++nbranch;
        /* a node with one successor that has one predecessor: same branch */
        if (n->succ_count != 1 || !rill_plan_succ_ok(n))
            continue;
        uint32_t next = plan->succ[n->succ_first];
        if (next >= RILL_MAX_CLIENTS)
            continue;
        uint32_t idx = plan->node_index[next];
        if (idx < nn && idx > k && plan->nodes[idx].required == 1)
            branch_of[idx] = branch_of[k];
    }
    for (uint32_t k = 0; k < nn; k++) {
        uint32_t cl = plan->nodes[k].client;
        if (cl < RILL_MAX_CLIENTS && t->rows[cl].used)
            t->rows[cl].branch = branch_of[k];
    }
}

/* Main thread: one sample of every row's activation record. */
static void top_sample(struct top *t)
{
    struct rill_shm_activation *act = rill_client_activation(t->ctl->client);
    const struct rill_shm_state *st = t->ctl->st;
    if (!act)
        return;
    struct rill_shm_cycle cy;
    memset(&cy, 0, sizeof cy);
    /* no consistent record: cy stays zero and no node matches its cycle */
    (void)rill_cycle_read(&st->cycle, &cy);
    for (uint32_t slot = 1; slot < RILL_MAX_CLIENTS; slot++) {
        struct top_row *r = &t->rows[slot];
        if (!r->used || !r->active)
            continue;
        const struct rill_activation *a = &act->node[slot];
        /* acquire: the stamps of the cycle that `finished` names were
         * written before it (the node stores finished with release) */
        uint32_t fin = atomic_load_explicit(&a->finished, memory_order_acquire);
        uint64_t awake = atomic_load_explicit(&a->awake_ns, memory_order_relaxed);
        uint64_t done = atomic_load_explicit(&a->finish_ns, memory_order_relaxed);
        uint32_t fin2 = atomic_load_explicit(&a->finished, memory_order_acquire);
        if (fin != fin2 || (r->have_last && fin == r->last_finished))
            continue; /* moving under us, or a cycle already counted */
        r->last_finished = fin;
        r->have_last = 1;
        if (done < awake || done - awake > 10000000000ull)
            continue; /* the next cycle began between the two loads */
        uint64_t busy = done - awake;
        r->n++;
        r->busy_sum += busy;
        if (busy > r->busy_max)
            r->busy_max = busy;
        uint64_t start = cy.usecs * 1000u;
        if ((uint32_t)cy.cycle == fin && awake >= start && awake - start < 10000000000ull) {
            r->wait_sum += awake - start;
            r->nwait++;
        }
    }
}

/* Main thread: clear the per-interval numbers. */
static void top_reset(struct top *t)
{
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
        struct top_row *r = &t->rows[slot];
        r->n = r->busy_sum = r->busy_max = r->wait_sum = r->nwait = 0;
        r->late0 = r->late1;
    }
}

/* Main thread: end of an interval: read the late counters and CPUs. */
static void top_finish_interval(struct top *t)
{
    rill_ctl_status_read(t->ctl->st, &t->status);
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
        struct top_row *r = &t->rows[slot];
        if (!r->used)
            continue;
        /* relaxed: a statistic */
        r->late1 = atomic_load_explicit(&t->ctl->st->node_late[slot], memory_order_relaxed);
        r->cpu = r->active ? thread_cpu(r->pid, r->tid) : -1;
    }
}

/* Main thread: rows in the plan's order, then those not in the plan. */
static uint32_t top_order(const struct top *t, uint32_t *out)
{
    uint32_t n = 0;
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++)
        if (t->rows[slot].used)
            out[n++] = slot;
    for (uint32_t a = 1; a < n; a++) {
        uint32_t k = out[a], b = a;
        while (b > 0 && t->rows[out[b - 1]].order > t->rows[k].order) {
            out[b] = out[b - 1];
            b--;
        }
        out[b] = k;
    }
    return n;
}

/* Main thread: the period in µs. */
static double period_us(const struct top *t)
{
    return t->status.rate ? t->status.period * 1e6 / t->status.rate : 0.0;
}

/* Main thread: a row's state word. */
static const char *row_state(const struct top_row *r)
{
    if (r->slot == 0)
        return "engine";
    if (!r->active)
        return "inactive";
    if (r->late1 != r->late0)
        return "late";
    return r->n ? "running" : "idle";
}

/* Main thread: one frame of text, 80 columns. */
static void top_print(const struct top *t, FILE *f)
{
    const struct rill_ctl_status *s = &t->status;
    double per = period_us(t);
    fprintf(f, "rill %-12.12s driver %-6.6s %6u Hz %5u frames (%.3f ms)  %s\n", s->server,
            s->driver, s->rate, s->period, per / 1000.0, PACKAGE_VERSION);
    fprintf(f, "DSP load %5.1f %% (peak %5.1f %%)  xruns %-6llu cycles %-10llu clients %u\n",
            s->load_milli / 1000.0, s->peak_milli / 1000.0, (unsigned long long)s->xruns,
            (unsigned long long)s->cycles, s->clients);
    fprintf(f, "%-18s %-8s %3s %8s %8s %8s %6s %5s %3s %3s\n", "CLIENT", "STATE", "CPU",
            "BUSY us", "MAX us", "WAIT us", "%PER", "LATE", "ORD", "BR");
    uint32_t order[RILL_MAX_CLIENTS];
    uint32_t n = top_order(t, order);
    for (uint32_t i = 0; i < n; i++) {
        const struct top_row *r = &t->rows[order[i]];
        char cpu[16] = "-", busy[16] = "-", max[16] = "-", wait[16] = "-", share[16] = "-",
             ord[16] = "-", br[16] = "-";
        if (r->cpu >= 0)
            snprintf(cpu, sizeof cpu, "%d", r->cpu);
        if (r->n) {
            double mean = r->busy_sum / 1000.0 / r->n;
            snprintf(busy, sizeof busy, "%.1f", mean);
            snprintf(max, sizeof max, "%.1f", r->busy_max / 1000.0);
            if (per > 0)
                snprintf(share, sizeof share, "%.1f", 100.0 * mean / per);
        }
        if (r->nwait)
            snprintf(wait, sizeof wait, "%.1f", r->wait_sum / 1000.0 / r->nwait);
        if (r->order != RILL_PLAN_NONE)
            snprintf(ord, sizeof ord, "%u", r->order + 1);
        if (r->branch)
            snprintf(br, sizeof br, "%u", r->branch);
        fprintf(f, "%-18.18s %-8s %3s %8s %8s %8s %6s %5llu %3s %3s\n", r->name, row_state(r),
                cpu, busy, max, wait, share, (unsigned long long)(r->late1 - r->late0), ord, br);
    }
}

/* Main thread: --once --json. */
static int top_json(const struct top *t)
{
    struct rill_json j;
    double per = period_us(t);
    rill_json_init(&j, stdout);
    rill_json_begin_object(&j, NULL);
    rill_ctl_status_json(&j, "status", &t->status);
    rill_json_double(&j, "interval_s", t->interval_s, 3);
    rill_json_begin_array(&j, "clients");
    uint32_t order[RILL_MAX_CLIENTS];
    uint32_t n = top_order(t, order);
    for (uint32_t i = 0; i < n; i++) {
        const struct top_row *r = &t->rows[order[i]];
        rill_json_begin_object(&j, NULL);
        rill_json_string(&j, "name", r->name);
        rill_json_int(&j, "pid", r->pid);
        rill_json_string(&j, "state", row_state(r));
        if (r->cpu >= 0)
            rill_json_int(&j, "cpu", r->cpu);
        else
            rill_json_null(&j, "cpu");
        rill_json_uint(&j, "cycles_sampled", r->n);
        if (r->n) {
            double mean = r->busy_sum / 1000.0 / r->n;
            rill_json_double(&j, "busy_us_mean", mean, 1);
            rill_json_double(&j, "busy_us_max", r->busy_max / 1000.0, 1);
            rill_json_double(&j, "period_share", per > 0 ? mean / per : 0.0, 4);
        } else {
            rill_json_null(&j, "busy_us_mean");
            rill_json_null(&j, "busy_us_max");
            rill_json_null(&j, "period_share");
        }
        if (r->nwait)
            rill_json_double(&j, "wait_us_mean", r->wait_sum / 1000.0 / r->nwait, 1);
        else
            rill_json_null(&j, "wait_us_mean");
        rill_json_uint(&j, "late", r->late1 - r->late0);
        if (r->order != RILL_PLAN_NONE) {
            rill_json_uint(&j, "order", r->order + 1);
            rill_json_uint(&j, "branch", r->branch);
        } else {
            rill_json_null(&j, "order");
            rill_json_null(&j, "branch");
        }
        rill_json_end_object(&j);
    }
    rill_json_end_array(&j);
    rill_json_end_object(&j);
    return rill_json_finish(&j) < 0 ? 1 : 0;
}

/* Main thread: sample for one interval. Returns 1 when q was pressed or a
 * signal came (live mode reads keys from tty_fd >= 0). */
static int top_interval(struct top *t, int tty_fd)
{
    top_refresh_rows(t);
    top_reset(t);
    uint64_t end = rill_now_ns() + (uint64_t)(t->interval_s * 1e9);
    while (!top_stop) {
        top_sample(t);
        uint64_t now = rill_now_ns();
        if (now >= end)
            break;
        struct pollfd p = { .fd = tty_fd, .events = POLLIN };
        int r = poll(&p, tty_fd >= 0 ? 1 : 0, (int)(SAMPLE_US / 1000u));
        if (r > 0 && (p.revents & POLLIN)) {
            char c;
            if (read(tty_fd, &c, 1) == 1 && (c == 'q' || c == 'Q')) {
                top_finish_interval(t);
                return 1;
            }
        }
    }
    top_finish_interval(t);
    return top_stop ? 1 : 0;
}

/* Main thread. */
int rill_ctl_top(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "once", no_argument, NULL, '1' },
        { "json", no_argument, NULL, 'j' },
        { "delay", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct ctl_command *cmd = rill_ctl_command("top");
    int once = 0, json = 0, o;
    double interval = 1.0;
    optind = 0; /* 0: glibc re-reads the optstring, "+" included */
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+jd:h", opts, NULL)) != -1) {
        switch (o) {
        case '1': once = 1; break;
        case 'j': json = 1; break;
        case 'd': {
            char *end;
            errno = 0;
            interval = strtod(optarg, &end);
            if (!optarg[0] || *end || errno || !(interval >= 0.2 && interval <= 60.0))
                return rill_ctl_usage_error(cmd, "top: -d wants seconds from 0.2 to 60, got "
                                                 "'%s'",
                                            optarg);
            break;
        }
        case 'h': rill_ctl_usage(stdout, cmd, 1); return 0;
        default:
            if (optopt == 'd')
                return rill_ctl_usage_error(cmd, "top: option -d needs seconds (0.2 to 60)");
            return rill_ctl_usage_error(cmd, "top: unknown option '%s'",
                                        rill_ctl_bad_option(argv));
        }
    }
    if (optind < argc)
        return rill_ctl_usage_error(cmd, "top takes no arguments, got '%s'", argv[optind]);
    if (json && !once)
        return rill_ctl_usage_error(cmd, "top: --json prints one frame: use it with --once");
    if (rill_ctl_open(ctl))
        return 1;

    struct top *t = calloc(1, sizeof *t);
    if (!t) {
        rill_ctl_err("out of memory");
        return 1;
    }
    t->ctl = ctl;
    t->interval_s = interval;
    int rc = 0;
    if (once) {
        top_interval(t, -1);
        if (json)
            rc = top_json(t);
        else
            top_print(t, stdout);
        free(t);
        return rc;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    int tty = isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
    struct termios saved, raw;
    int restore = 0;
    if (tty >= 0 && tcgetattr(tty, &saved) == 0) {
        raw = saved;
        raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(tty, TCSANOW, &raw) == 0)
            restore = 1;
    }
    fputs("\033[?25l", stdout); /* hide the cursor */
    /* a first frame at once, from a short interval, then one per interval */
    double full = t->interval_s;
    t->interval_s = full < 0.2 ? full : 0.2;
    while (!top_stop) {
        int quit = top_interval(t, tty);
        fputs("\033[H\033[2J", stdout);
        top_print(t, stdout);
        fputs("\n(q quits)", stdout);
        fflush(stdout);
        if (quit)
            break;
        t->interval_s = full;
        if (kill(ctl->st->server_pid, 0) < 0 && errno == ESRCH) {
            fputs("\n", stdout);
            rill_ctl_err("the server has gone");
            rc = 1;
            break;
        }
    }
    fputs("\033[?25h\n", stdout);
    fflush(stdout);
    if (restore)
        tcsetattr(tty, TCSANOW, &saved);
    free(t);
    return rc;
}
