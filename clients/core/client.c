/* clients/core/client.c — the client side of the rill protocol: connection,
 * shared memory, requests, the notification thread, activation and ports
 * (clients/core/client.h). The realtime cycle is in client_rt.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clients/core/client_priv.h"
#include "common/err.h"
#include "common/rt_hooks.h"
#include "rill/futex.h"
#include "rill/paths.h"

#define SERVER_GONE "the rill server went away"
/* JackFailure | JackServerError */
#define SHUTDOWN_CODE_GONE 0x21u
/* replies with another seq skipped before a request gives up */
#define MAX_STRAY_REPLIES 1024u
/* how long rill_client_close waits for each reply */
#define CLOSE_TIMEOUT_S 2
/* how often rt_stop_locked repeats its wake-up while joining */
#define JOIN_RETRY_NS 20000000L

/* Copy a reply's error text (NUL-terminated defensively) or strerror. */
static void reply_err(const struct rill_msg *m, int result, char *err, size_t size)
{
    char text[RILL_ERROR_SIZE];
    memcpy(text, m->error, sizeof(text));
    text[sizeof(text) - 1] = '\0';
    if (text[0])
        rill_errf(err, size, 0, "%s", text);
    else
        rill_errf(err, size, 0, "the rill server refused: %s", strerror(-result));
}

/* rill_client_set_thread_creator's function, NULL for pthread_create.
 * Relaxed: one word, set before clients are opened (JACK says so). */
static _Atomic(rill_thread_creator_fn) thread_creator;

/* Any thread. */
void rill_client_set_thread_creator(rill_thread_creator_fn fn)
{
    atomic_store_explicit(&thread_creator, fn, memory_order_relaxed);
}

/* Create a thread with every signal blocked (the mask is inherited), with
 * the program's thread creator if it set one. Main thread or any
 * non-realtime thread. */
static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    rill_thread_creator_fn create = atomic_load_explicit(&thread_creator, memory_order_relaxed);
    if (!create)
        create = pthread_create;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int r = create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return -r;
}

/* Ask the realtime thread to end: rt_quit, then QUIT into our own trigger,
 * then wake. Any non-realtime thread. */
static void rt_stop_signal(struct rill_client *c)
{
    /* a control connection (RILL_HELLO_NO_SLOT) has no node and no thread */
    if (c->slot >= RILL_MAX_CLIENTS)
        return;
    struct rill_activation *self = &c->act->node[c->slot];
    /* seq_cst: rt_quit is visible to whoever sees the QUIT below */
    atomic_store_explicit(&c->rt_quit, 1, memory_order_seq_cst);
    atomic_store_explicit(&self->trigger, RILL_TRIGGER_QUIT, memory_order_seq_cst);
    (void)rill_futex_wake(&self->trigger, INT_MAX);
}

/* Send msg with fds and wait for the reply with the same seq, whose fds go
 * into fds (up to *nfds). Caller holds req_lock. Non-realtime thread. */
static int request_locked(struct rill_client *c, struct rill_msg *msg, int *fds, size_t *nfds)
{
    size_t want = nfds ? *nfds : 0;
    if (nfds)
        *nfds = 0;
    uint32_t seq = ++c->seq;
    msg->seq = seq;
    msg->result = 0;
    int err = rill_msg_send(c->sock, msg, NULL, 0);
    if (err < 0)
        goto gone;
    for (unsigned stray = 0; stray <= MAX_STRAY_REPLIES; stray++) {
        size_t got = want;
        err = rill_msg_recv(c->sock, msg, fds, &got);
        if (err == -EPROTO)
            continue; /* a malformed datagram: not our reply */
        if (err < 0)
            goto gone;
        if (msg->seq != seq) {
            for (size_t i = 0; i < got; i++)
                close(fds[i]);
            continue;
        }
        if (nfds)
            *nfds = got;
        msg->error[sizeof(msg->error) - 1] = '\0';
        return msg->result;
    }
    snprintf(msg->error, sizeof(msg->error),
             "the rill server sent %u replies that matched no request; giving up",
             MAX_STRAY_REPLIES);
    msg->result = -EPROTO;
    return -EPROTO;

gone:
    if (err == -EPIPE || err == -ECONNRESET || err == -ENOTCONN) {
        atomic_store_explicit(&c->alive, 0, memory_order_relaxed);
        err = -EPIPE;
        snprintf(msg->error, sizeof(msg->error), "%s", SERVER_GONE);
    } else {
        snprintf(msg->error, sizeof(msg->error), "cannot talk to the rill server: %s",
                 strerror(-err));
    }
    msg->result = err;
    return err;
}

/* Wait, at most ~50 ms, until the notification thread has run the callbacks
 * of every event already queued for it, so that when a request returns, the
 * callbacks of the events it caused (the server sends them before its
 * reply) have run, as they have with jackd2 (jack_test relies on it). Not on
 * the notification thread itself (a callback may make requests). The queue
 * is read before ev_busy: an event taken off it was preceded by busy = 1
 * (seq_cst on both sides, the syscalls between them order the rest).
 * Non-realtime thread. */
static void events_settle(struct rill_client *c)
{
    if (!c->ev_started || pthread_equal(pthread_self(), c->ev_thread))
        return;
    for (int i = 0; i < 250; i++) {
        int queued = 0;
        if (ioctl(c->evsock, FIONREAD, &queued) < 0)
            return;
        if (queued == 0 && !atomic_load_explicit(&c->ev_busy, memory_order_seq_cst))
            return;
        if (!atomic_load_explicit(&c->alive, memory_order_relaxed))
            return;
        struct timespec ts = { .tv_sec = 0, .tv_nsec = 200000 };
        nanosleep(&ts, NULL);
    }
}

/* Any non-realtime thread. */
int rill_client_request(struct rill_client *c, struct rill_msg *msg)
{
    if (!c || !msg)
        return -EINVAL;
    if (!atomic_load_explicit(&c->alive, memory_order_relaxed)) {
        msg->result = -EPIPE;
        snprintf(msg->error, sizeof(msg->error), "%s", SERVER_GONE);
        return -EPIPE;
    }
    pthread_mutex_lock(&c->req_lock);
    int r = request_locked(c, msg, NULL, NULL);
    pthread_mutex_unlock(&c->req_lock);
    events_settle(c);
    return r;
}

/* The notification thread: every event to callbacks.event; ends after one
 * SHUTDOWN (from the server, or made up at EOF). Never joins anything. */
static void *event_main(void *arg)
{
    struct rill_client *c = arg;
    struct rill_msg m;
    for (;;) {
        size_t nfds = 0;
        /* busy before the event leaves the queue (events_settle) */
        atomic_store_explicit(&c->ev_busy, 0, memory_order_seq_cst);
        struct pollfd pfd = { .fd = c->evsock, .events = POLLIN };
        while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
            ;
        atomic_store_explicit(&c->ev_busy, 1, memory_order_seq_cst);
        int err = rill_msg_recv(c->evsock, &m, NULL, &nfds);
        if (err == -EPROTO)
            continue; /* one bad datagram; the next may be fine */
        if (err < 0) {
            if (atomic_load_explicit(&c->closing, memory_order_relaxed))
                break; /* our own close: no SHUTDOWN for that */
            memset(&m, 0, sizeof(m));
            m.type = RILL_EV_SHUTDOWN;
            m.u.shutdown_event.code = SHUTDOWN_CODE_GONE;
            snprintf(m.u.shutdown_event.reason, sizeof(m.u.shutdown_event.reason), "%s",
                     SERVER_GONE);
        }
        m.error[sizeof(m.error) - 1] = '\0';
        if (m.type == RILL_EV_SHUTDOWN) {
            m.u.shutdown_event.reason[sizeof(m.u.shutdown_event.reason) - 1] = '\0';
            atomic_store_explicit(&c->alive, 0, memory_order_relaxed);
            rt_stop_signal(c);
            if (c->cb.event)
                c->cb.event(c->cb.arg, &m);
            break;
        }
        if (c->cb.event)
            c->cb.event(c->cb.arg, &m);
    }
    atomic_store_explicit(&c->ev_busy, 0, memory_order_seq_cst);
    return NULL;
}

/* Connect the request socket to path. Non-realtime thread. */
static int connect_server(const char *server, const char *path, int *out, char *err,
                          size_t errsize)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path)) {
        rill_errf(err, errsize, 0,
                  "socket path '%s' is too long for a Unix socket (at most %zu bytes); use a "
                  "shorter XDG_RUNTIME_DIR or server name",
                  path, sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        rill_errf(err, errsize, 0, "cannot create a socket: %s", strerror(e));
        return -e;
    }
    int r;
    do {
        r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        int e = errno;
        close(fd);
        if (e == ENOENT || e == ECONNREFUSED) {
            int dflt = strcmp(server, "default") == 0;
            rill_errf(err, errsize, 0,
                      "no rill server named '%s' is running (no socket at %s); start one with: "
                      "rilld%s%s -d dummy",
                      server, path, dflt ? "" : " -n ", dflt ? "" : server);
        } else if (e == EACCES || e == EPERM) {
            /* the socket's directory (or one above it) is another user's */
            char dir[PATH_MAX];
            snprintf(dir, sizeof(dir), "%s", path);
            char *slash = strrchr(dir, '/');
            struct stat sb;
            int owner = -1;
            while (slash && slash != dir) {
                *slash = '\0';
                if (stat(dir, &sb) == 0 && sb.st_uid != geteuid()) {
                    owner = (int)sb.st_uid;
                    break;
                }
                slash = strrchr(dir, '/');
            }
            if (owner >= 0)
                rill_errf(err, errsize, 0,
                          "cannot connect to the rill server at %s: permission denied: %s belongs "
                          "to uid %d, and a rill server serves only the user who started it "
                          "(you are uid %d); start a server of your own",
                          path, dir, owner, (int)geteuid());
            else
                rill_errf(err, errsize, 0, "cannot connect to the rill server at %s: %s", path,
                          strerror(e));
        } else {
            rill_errf(err, errsize, 0, "cannot connect to the rill server at %s: %s", path,
                      strerror(e));
        }
        return -e;
    }
    *out = fd;
    return 0;
}

/* Map the three segments from the HELLO reply and check them against this
 * build. Takes ownership of fds[0..2] (closed here either way). Main thread. */
static int map_segments(struct rill_client *c, int *fds, char *err, size_t errsize)
{
    int e = 0;
    struct stat sb[3];
    for (int i = 0; i < 3; i++) {
        if (fstat(fds[i], &sb[i]) < 0) {
            e = -errno;
            rill_errf(err, errsize, 0, "cannot stat a shared memory segment: %s", strerror(-e));
            goto out;
        }
    }
    if ((size_t)sb[0].st_size < 2 * sizeof(uint32_t)) {
        e = -EPROTO;
        rill_errf(err, errsize, 0,
                  "the server's state segment is %lld bytes, too small to be rill's",
                  (long long)sb[0].st_size);
        goto out;
    }
    c->state_size = (size_t)sb[0].st_size;
    void *p = mmap(NULL, c->state_size, PROT_READ, MAP_SHARED, fds[RILL_FD_STATE], 0);
    if (p == MAP_FAILED) {
        e = -errno;
        c->state_size = 0;
        rill_errf(err, errsize, 0, "cannot map the state segment: %s", strerror(-e));
        goto out;
    }
    c->state = p;
    if (c->state->magic != RILL_SHM_MAGIC || c->state->version != RILL_PROTOCOL_VERSION) {
        e = -EPROTO;
        rill_errf(err, errsize, 0, "server speaks protocol %u%s, this client %u",
                  (unsigned)c->state->version,
                  c->state->magic != RILL_SHM_MAGIC ? " (or is not rill)" : "",
                  (unsigned)RILL_PROTOCOL_VERSION);
        goto out;
    }
    if (c->state_size < sizeof(struct rill_shm_state) ||
        c->state->size != sizeof(struct rill_shm_state) ||
        c->state->activation_size != sizeof(struct rill_shm_activation) ||
        (size_t)sb[1].st_size < sizeof(struct rill_shm_activation) ||
        c->state->pool_size != (uint64_t)sb[2].st_size || c->state->pool_stride == 0 ||
        c->state->pool_stride % sizeof(float) != 0 || c->state->port_max == 0 ||
        c->state->port_max > RILL_MAX_PORTS ||
        (uint64_t)c->state->port_max * c->state->pool_stride > c->state->pool_size) {
        e = -EPROTO;
        rill_errf(err, errsize, 0,
                  "server speaks protocol %u, this client %u (shared memory layout differs: state "
                  "%llu bytes, expected %zu)",
                  (unsigned)c->state->version, (unsigned)RILL_PROTOCOL_VERSION,
                  (unsigned long long)c->state->size, sizeof(struct rill_shm_state));
        goto out;
    }
    c->act_size = sizeof(struct rill_shm_activation);
    p = mmap(NULL, c->act_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[RILL_FD_ACTIVATION], 0);
    if (p == MAP_FAILED) {
        e = -errno;
        c->act_size = 0;
        rill_errf(err, errsize, 0, "cannot map the activation segment: %s", strerror(-e));
        goto out;
    }
    c->act = p;
    c->pool_size = (size_t)sb[2].st_size;
    p = mmap(NULL, c->pool_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[RILL_FD_POOL], 0);
    if (p == MAP_FAILED) {
        e = -errno;
        c->pool_size = 0;
        rill_errf(err, errsize, 0, "cannot map the port buffer pool: %s", strerror(-e));
        goto out;
    }
    c->pool = p;
    c->pool_stride = c->state->pool_stride;
    c->port_max = c->state->port_max;
out:
    for (int i = 0; i < 3; i++) {
        close(fds[i]);
        fds[i] = -1;
    }
    return e;
}

/* Unmap whatever is mapped. */
static void unmap_segments(struct rill_client *c)
{
    if (c->pool)
        munmap(c->pool, c->pool_size);
    if (c->act)
        munmap(c->act, c->act_size);
    if (c->state)
        munmap((void *)c->state, c->state_size);
    c->pool = NULL;
    c->act = NULL;
    c->state = NULL;
}

/* Check the client name. Any thread. */
static int check_name(const char *name, char *err, size_t errsize)
{
    if (!name || !name[0]) {
        rill_errf(err, errsize, 0, "the client name is empty; give 1 to %u bytes",
                  RILL_CLIENT_NAME_SIZE - 1);
        return -EINVAL;
    }
    size_t len = strlen(name);
    if (len >= RILL_CLIENT_NAME_SIZE) {
        rill_errf(err, errsize, 0, "client name '%.20s...' is %zu bytes; at most %u are allowed",
                  name, len, RILL_CLIENT_NAME_SIZE - 1);
        return -ENAMETOOLONG;
    }
    return 0;
}

/* Main thread or any non-realtime thread. */
int rill_client_open(const char *server, const char *name, uint32_t hello_flags,
                     const struct rill_client_callbacks *cb, struct rill_client **out, char *err,
                     size_t errsize)
{
    int e;
    char path[PATH_MAX];
    int fds[RILL_FD_COUNT] = { -1, -1, -1, -1 };
    size_t nfds = RILL_FD_COUNT;
    struct rill_msg m;

    if (err && errsize)
        err[0] = '\0';
    if (!out) {
        rill_errf(err, errsize, 0, "rill_client_open needs somewhere to store the client");
        return -EINVAL;
    }
    *out = NULL;
    e = check_name(name, err, errsize);
    if (e < 0)
        return e;
    server = rill_server_name(server);
    e = rill_server_socket_path(server, path, sizeof(path));
    if (e == -EINVAL) {
        rill_errf(err, errsize, 0,
                  "bad server name '%s': use 1 to %u of A-Z a-z 0-9 . _ - (not starting with '.')",
                  server, RILL_SERVER_NAME_SIZE - 1);
        return e;
    }
    if (e < 0) {
        rill_errf(err, errsize, 0, "the socket path for server '%s' is too long", server);
        return e;
    }
    rill_rt_hooks_init();

    struct rill_client *c = calloc(1, sizeof(*c));
    if (!c) {
        rill_errf(err, errsize, 0, "out of memory");
        return -ENOMEM;
    }
    c->sock = c->evsock = -1;
    if (cb)
        c->cb = *cb;
    e = -pthread_mutex_init(&c->req_lock, NULL);
    if (e < 0)
        goto fail_free;
    e = -pthread_mutex_init(&c->ctl_lock, NULL);
    if (e < 0)
        goto fail_req_lock;
    if (sem_init(&c->rt_ready, 0, 0) < 0) {
        e = -errno;
        goto fail_ctl_lock;
    }
    for (uint32_t i = 0; i < RILL_MAX_PORTS; i++)
        atomic_init(&c->port_type[i], RILL_PORT_TYPE_NONE);

    e = connect_server(server, path, &c->sock, err, errsize);
    if (e < 0)
        goto fail_sem;
    atomic_store_explicit(&c->alive, 1, memory_order_relaxed);

    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_HELLO;
    m.u.hello.version = RILL_PROTOCOL_VERSION;
    m.u.hello.flags = hello_flags;
    m.u.hello.pid = (int32_t)getpid();
    snprintf(m.u.hello.name, sizeof(m.u.hello.name), "%s", name);
    pthread_mutex_lock(&c->req_lock);
    e = request_locked(c, &m, fds, &nfds);
    pthread_mutex_unlock(&c->req_lock);
    if (e < 0) {
        reply_err(&m, e, err, errsize);
        goto fail_fds;
    }
    if (nfds != RILL_FD_COUNT) {
        e = -EPROTO;
        rill_errf(err, errsize, 0,
                  "the rill server sent %zu of the %u descriptors of a HELLO reply", nfds,
                  (unsigned)RILL_FD_COUNT);
        goto fail_fds;
    }
    /* a control connection has no slot (RILL_HELLO_NO_SLOT): it never
     * activates, so nothing indexes the activation records with it */
    if (m.u.hello_reply.client >= RILL_MAX_CLIENTS &&
        !((hello_flags & RILL_HELLO_CONTROL) && m.u.hello_reply.client == RILL_HELLO_NO_SLOT)) {
        e = -EPROTO;
        rill_errf(err, errsize, 0, "the rill server gave slot %u, beyond the %u this client knows",
                  m.u.hello_reply.client, RILL_MAX_CLIENTS);
        goto fail_fds;
    }
    c->slot = m.u.hello_reply.client;
    c->uuid = m.u.hello_reply.uuid;
    memcpy(c->name, m.u.hello_reply.name, sizeof(c->name));
    c->name[sizeof(c->name) - 1] = '\0';
    if (!c->name[0])
        snprintf(c->name, sizeof(c->name), "%s", name);
    c->evsock = fds[RILL_FD_EVENTS];
    fds[RILL_FD_EVENTS] = -1;

    e = map_segments(c, fds, err, errsize); /* closes fds[0..2] */
    if (e < 0)
        goto fail_map;
    for (uint32_t i = 0; i < RILL_MAX_PORTS; i++)
        atomic_init(&c->buf[i], i < c->port_max ? rill__client_own_buffer(c, i) : NULL);

    e = start_thread(&c->ev_thread, event_main, c);
    if (e < 0) {
        rill_errf(err, errsize, 0, "cannot start the notification thread: %s", strerror(-e));
        goto fail_map;
    }
    c->ev_started = 1;
    *out = c;
    return 0;

fail_map:
    unmap_segments(c);
fail_fds:
    for (size_t i = 0; i < RILL_FD_COUNT; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (c->evsock >= 0)
        close(c->evsock);
    close(c->sock);
fail_sem:
    sem_destroy(&c->rt_ready);
fail_ctl_lock:
    pthread_mutex_destroy(&c->ctl_lock);
fail_req_lock:
    pthread_mutex_destroy(&c->req_lock);
fail_free:
    if (e == -ENOMEM || (err && errsize && !err[0]))
        rill_errf(err, errsize, 0, "cannot open a rill client: %s", strerror(-e));
    free(c);
    return e;
}

/* Stop and join the realtime thread. Caller holds ctl_lock. When QUIT was
 * no change of the trigger's value (the thread had seen QUIT already), a
 * wake-up can slip in between the thread's last rt_quit check and its futex
 * wait; so the wake is repeated until the join succeeds. */
static void rt_stop_locked(struct rill_client *c)
{
    rt_stop_signal(c);
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += JOIN_RETRY_NS;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        int r = pthread_timedjoin_np(c->rt_thread, NULL, &ts);
        if (r != ETIMEDOUT && r != EBUSY)
            break;
        (void)rill_futex_wake(&c->act->node[c->slot].trigger, INT_MAX);
    }
    c->active = 0;
    atomic_store_explicit(&c->active_flag, 0, memory_order_release);
}

/* Main thread or any non-realtime thread. */
int rill_client_activate(struct rill_client *c)
{
    if (!c)
        return -EINVAL;
    int e = 0;
    pthread_mutex_lock(&c->ctl_lock);
    if (c->active)
        goto out;
    if (!atomic_load_explicit(&c->alive, memory_order_relaxed)) {
        e = -EPIPE;
        goto out;
    }
    /* Nobody triggers a node outside the plan, so our record is ours: make
     * sure the thread's first "last seen" value is not QUIT, so that a QUIT
     * stored later is always a change it wakes up for. */
    struct rill_activation *self = &c->act->node[c->slot];
    uint32_t t = atomic_load_explicit(&self->trigger, memory_order_relaxed);
    if (t == RILL_TRIGGER_QUIT)
        atomic_compare_exchange_strong_explicit(&self->trigger, &t, 0, memory_order_relaxed,
                                                memory_order_relaxed);
    /* relaxed: the thread is created after these stores (happens-before) */
    atomic_store_explicit(&c->rt_quit, 0, memory_order_relaxed);
    atomic_store_explicit(&c->process_failed, 0, memory_order_relaxed);
    atomic_store_explicit(&c->is_rt, 0, memory_order_relaxed);

    e = start_thread(&c->rt_thread, rill__client_rt_main, c);
    if (e < 0)
        goto out;
    while (sem_wait(&c->rt_ready) < 0 && errno == EINTR)
        ;
    c->active = 1;
    atomic_store_explicit(&c->active_flag, 1, memory_order_release);

    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_ACTIVATE;
    m.u.activate.rt_tid = c->rt_tid;
    e = rill_client_request(c, &m);
    if (e < 0)
        rt_stop_locked(c);
out:
    pthread_mutex_unlock(&c->ctl_lock);
    return e;
}

/* DEACTIVATE, then stop the realtime thread. Caller holds ctl_lock.
 * Returns 0 or the server's refusal (the thread then keeps running). */
static int deactivate_locked(struct rill_client *c)
{
    if (!c->active)
        return 0;
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_DEACTIVATE;
    int e = rill_client_request(c, &m);
    /* Keep running when the server is there and still runs us: stopping
     * now would leave its plan waiting on a node that never comes. */
    if (e < 0 && e != -EPIPE)
        return e;
    rt_stop_locked(c);
    return 0; /* a dead server has no plan left to leave */
}

/* Main thread or any non-realtime thread. */
int rill_client_deactivate(struct rill_client *c)
{
    if (!c)
        return -EINVAL;
    pthread_mutex_lock(&c->ctl_lock);
    int e = deactivate_locked(c);
    pthread_mutex_unlock(&c->ctl_lock);
    return e;
}

/* Any thread. */
int rill_client_is_active(const struct rill_client *c)
{
    return c ? atomic_load_explicit(&c->active_flag, memory_order_acquire) : 0;
}

/* Not from the client's own realtime or notification thread. */
void rill_client_close(struct rill_client *c)
{
    if (!c)
        return;
    /* A server that is stopped (not gone) must not hang close forever:
     * bound each reply wait from here on. */
    struct timeval tv = { .tv_sec = CLOSE_TIMEOUT_S, .tv_usec = 0 };
    (void)setsockopt(c->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    pthread_mutex_lock(&c->ctl_lock);
    /* the server refused to deactivate: stop regardless, it cuts us out */
    if (deactivate_locked(c) < 0)
        rt_stop_locked(c);
    pthread_mutex_unlock(&c->ctl_lock);
    /* seq_cst for simplicity; the notification thread only has to see it
     * once the shutdown() below wakes it, which happens after this store */
    atomic_store_explicit(&c->closing, 1, memory_order_seq_cst);
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_CLOSE;
    (void)rill_client_request(c, &m);
    shutdown(c->sock, SHUT_RDWR);
    shutdown(c->evsock, SHUT_RDWR);
    if (c->ev_started)
        pthread_join(c->ev_thread, NULL);
    close(c->evsock);
    close(c->sock);
    unmap_segments(c);
    sem_destroy(&c->rt_ready);
    pthread_mutex_destroy(&c->ctl_lock);
    pthread_mutex_destroy(&c->req_lock);
    free(c);
}

/* Any thread. */
uint32_t rill_client_slot(const struct rill_client *c)
{
    return c ? c->slot : RILL_PLAN_NONE;
}

/* Any thread. */
const char *rill_client_name(const struct rill_client *c)
{
    return c ? c->name : NULL;
}

/* Any thread. */
uint64_t rill_client_uuid(const struct rill_client *c)
{
    return c ? c->uuid : 0;
}

/* Any thread. */
const struct rill_shm_state *rill_client_state(const struct rill_client *c)
{
    return c ? c->state : NULL;
}

/* Any thread. */
int rill_client_alive(const struct rill_client *c)
{
    return c ? atomic_load_explicit(&c->alive, memory_order_relaxed) : 0;
}

/* Any non-realtime thread. */
int rill_client_port_register(struct rill_client *c, const char *short_name, const char *type,
                              uint32_t flags, uint32_t *id, char *err, size_t errsize)
{
    if (err && errsize)
        err[0] = '\0';
    if (!c || !id) {
        rill_errf(err, errsize, 0, "rill_client_port_register needs a client and an id to fill");
        return -EINVAL;
    }
    if (!short_name || !short_name[0]) {
        rill_errf(err, errsize, 0, "the port name is empty; give a short name such as 'out_1'");
        return -EINVAL;
    }
    size_t full = strlen(c->name) + 1 + strlen(short_name);
    if (full >= RILL_PORT_NAME_SIZE) {
        rill_errf(err, errsize, 0,
                  "port name '%s:%.20s...' would be %zu bytes; full names are at most %u", c->name,
                  short_name, full, RILL_PORT_NAME_SIZE - 1);
        return -ENAMETOOLONG;
    }
    int t = rill_port_type_from_string(type);
    if (t < 0) {
        rill_errf(err, errsize, 0, "unknown port type '%.40s'; use '%s' or '%s'",
                  type ? type : "(null)", rill_port_type_string(RILL_PORT_TYPE_AUDIO),
                  rill_port_type_string(RILL_PORT_TYPE_MIDI));
        return -EINVAL;
    }
    uint32_t dir = flags & (RILL_PORT_IS_INPUT | RILL_PORT_IS_OUTPUT);
    if (dir != RILL_PORT_IS_INPUT && dir != RILL_PORT_IS_OUTPUT) {
        rill_errf(err, errsize, 0,
                  "port '%s' must be exactly one of input (0x1) or output (0x2); flags were 0x%x",
                  short_name, flags);
        return -EINVAL;
    }

    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PORT_REGISTER;
    snprintf(m.u.port_register.name, sizeof(m.u.port_register.name), "%s", short_name);
    snprintf(m.u.port_register.type, sizeof(m.u.port_register.type), "%s", type);
    m.u.port_register.flags = flags;
    m.u.port_register.buffer_size = 0;
    int e = rill_client_request(c, &m);
    if (e < 0) {
        reply_err(&m, e, err, errsize);
        return e;
    }
    uint32_t pid = m.u.port.id;
    if (pid >= c->port_max) {
        rill_errf(err, errsize, 0, "the rill server gave port id %u, beyond the pool's %u ports",
                  pid, c->port_max);
        return -EPROTO;
    }
    atomic_store_explicit(&c->buf[pid], rill__client_own_buffer(c, pid), memory_order_relaxed);
    /* release: buf[pid] above is visible to the realtime thread's acquire */
    atomic_store_explicit(&c->port_type[pid], (uint8_t)t, memory_order_release);
    *id = pid;
    return 0;
}

/* Any non-realtime thread. */
int rill_client_port_unregister(struct rill_client *c, uint32_t id)
{
    if (!c || id >= c->port_max)
        return -EINVAL;
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PORT_UNREGISTER;
    m.u.port.id = id;
    int e = rill_client_request(c, &m);
    if (e < 0)
        return e;
    /* release: the realtime thread stops resolving it before buf is reset;
     * a cycle already past the check may still write buf once, which is
     * harmless (the slot is no longer ours and reads return pool memory) */
    atomic_store_explicit(&c->port_type[id], RILL_PORT_TYPE_NONE, memory_order_release);
    atomic_store_explicit(&c->buf[id], rill__client_own_buffer(c, id), memory_order_relaxed);
    return 0;
}

/* Notification thread (any non-realtime thread). */
int rill_client_event_answer(struct rill_client *c, const struct rill_msg *m)
{
    if (!c || !m)
        return -EINVAL;
    return rill_msg_send(c->evsock, m, NULL, 0);
}
