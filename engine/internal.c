/* engine/internal.c — loading and unloading internal clients (see
 * engine/internal.h for the model and the module search).
 *
 * Each entry of the table goes FREE -> LOADING -> RUNNING -> UNLOADING ->
 * FREE (or LOADING -> FREE when the load fails). The main thread owns the
 * table; while an entry is LOADING or UNLOADING its worker thread owns the
 * entry's module fields (dl, client, status, error, name) and says it is
 * done through `done` (release); the main thread reads them after seeing
 * done (acquire) and joining the worker.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "engine/internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clients/core/client.h"
#include "clients/jack/jack_priv.h"
#include "common/err.h"
#include "engine/server_priv.h"
#include "rill/time.h"

#ifndef RILL_JACK_DIR
#define RILL_JACK_DIR "/usr/local/lib/rill/jack"
#endif
#ifndef RILL_INTERNAL_DEFAULT_DIR
#define RILL_INTERNAL_DEFAULT_DIR "/usr/local/lib/rill/internal"
#endif

#define INTERNAL_MAX 32u
#define DRAIN_NS 3000000000ull

enum internal_state { E_FREE, E_LOADING, E_RUNNING, E_UNLOADING };

typedef int (*internal_init_fn)(jack_client_t *client, const char *load_init);
typedef void (*internal_finish_fn)(void *arg);

/* rill's libjack.so.0, loaded once with RTLD_GLOBAL and never unloaded */
struct libjack {
    void *dl;
    jack_client_t *(*open)(const char *name, jack_options_t options, jack_status_t *status, ...);
    int (*close)(jack_client_t *client);
    int (*deactivate)(jack_client_t *client);
    char *(*get_name)(jack_client_t *client);
};

struct internal {
    enum internal_state state;
    const struct libjack *lj;          /* the server's, for the worker */
    /* the state segment's netmanager block, offered to a module that
     * exports rill_netmanager_attach (internal/netmanager.h) */
    struct rill_shm_netmanager *nm_block;
    uint64_t handle;
    char server[RILL_SERVER_NAME_SIZE];
    char name[RILL_CLIENT_NAME_SIZE];  /* asked, then as granted */
    char path[PATH_MAX];
    char load_init[RILL_INTERNAL_DATA_SIZE];
    uint32_t options;
    /* worker while LOADING/UNLOADING, else main thread */
    void *dl;
    internal_init_fn init;
    internal_finish_fn finish;
    jack_client_t *client;
    uint32_t status;                   /* jack_status_t */
    int result;                        /* 0 or -errno */
    char error[RILL_ERROR_SIZE];
    pthread_t worker;
    /* worker -> main: 1 when the worker is done (release/acquire) */
    _Atomic int done;
    /* who asked (NULL: rilld -l, a drain, or the asker left) */
    const struct rill_conn *waiter;
    struct rill_msg reply;
};

/* The server's internal clients (s->internal). */
struct rill_internals {
    struct internal table[INTERNAL_MAX];
    struct libjack lj;
    uint64_t next_handle;
    int draining;                      /* unloading everything at stop */
    uint64_t drain_deadline_ns;
};

/* Main thread. */
int rill_internal_new(struct rill_internals **out)
{
    struct rill_internals *ic = calloc(1, sizeof(*ic));
    if (!ic)
        return -ENOMEM;
    ic->next_handle = 1;
    *out = ic;
    return 0;
}

/* Kept when a worker outlived the drain (see rill_internal_free): a
 * reference, so that the leak checker does not count it. */
static struct rill_internals *abandoned;

/* Main thread, at the end. A worker still loading or unloading (the drain
 * timed out, or a signal ended it) writes into its entry when it returns:
 * then the table is left to the process's exit rather than freed under it. */
void rill_internal_free(struct rill_internals *ic)
{
    if (!ic)
        return;
    for (uint32_t i = 0; i < INTERNAL_MAX; i++) {
        const struct internal *e = &ic->table[i];
        if ((e->state == E_LOADING || e->state == E_UNLOADING) &&
            !atomic_load_explicit(&e->done, memory_order_acquire)) {
            abandoned = ic;
            return;
        }
    }
    free(ic);
}

/* Load rill's libjack.so.0 (RTLD_GLOBAL) once. Main thread. */
static int libjack_load(struct libjack *lj, char *err, size_t errsize)
{
    if (lj->dl)
        return 0;
    const char *dir = getenv("RILL_JACK_LIBDIR");
    if (!dir || !dir[0])
        dir = RILL_JACK_DIR;
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/libjack.so.0", dir) >= sizeof(path)) {
        rill_errf(err, errsize, 0, "the libjack directory name '%s' is too long", dir);
        return -ENAMETOOLONG;
    }
    void *dl = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!dl) {
        rill_errf(err, errsize, 0,
                  "cannot load rill's libjack.so.0 for internal clients: %s (set RILL_JACK_LIBDIR "
                  "to the directory that holds it)",
                  dlerror());
        return -ENOENT;
    }
    lj->open = (jack_client_t * (*)(const char *, jack_options_t, jack_status_t *, ...))
        dlsym(dl, "jack_client_open");
    lj->close = (int (*)(jack_client_t *))dlsym(dl, "jack_client_close");
    lj->deactivate = (int (*)(jack_client_t *))dlsym(dl, "jack_deactivate");
    lj->get_name = (char *(*)(jack_client_t *))dlsym(dl, "jack_get_client_name");
    if (!lj->open || !lj->close || !lj->deactivate || !lj->get_name) {
        rill_errf(err, errsize, 0, "%s is not a libjack (jack_client_open and friends are missing)",
                  path);
        dlclose(dl);
        return -ENOEXEC;
    }
    lj->dl = dl;
    return 0;
}

/* 0 when path names a readable file. */
static int readable(const char *path)
{
    return access(path, R_OK) == 0 ? 0 : -errno;
}

/* Resolve load_name to a file (engine/internal.h). Main thread. */
static int find_module(const char *load_name, char *path, size_t size, char *err, size_t errsize)
{
    if (!load_name[0]) {
        rill_errf(err, errsize, 0,
                  "the module name is empty: give a name (looked up as NAME.so) or "
                  "an absolute path");
        return -EINVAL;
    }
    if (strchr(load_name, '/')) {
        if (load_name[0] != '/') {
            rill_errf(err, errsize, 0,
                      "module '%s' is a relative path: give an absolute path or a bare name "
                      "(looked up in $RILL_INTERNAL_DIR and %s)",
                      load_name, RILL_INTERNAL_DEFAULT_DIR);
            return -EINVAL;
        }
        if ((size_t)snprintf(path, size, "%s", load_name) >= size) {
            rill_errf(err, errsize, 0, "module path is too long (limit %zu bytes)", size - 1);
            return -ENAMETOOLONG;
        }
        int r = readable(path);
        if (r < 0)
            rill_errf(err, errsize, 0, "cannot read module %s: %s", path, strerror(-r));
        return r;
    }
    size_t len = strlen(load_name);
    const char *suffix = len > 3 && strcmp(load_name + len - 3, ".so") == 0 ? "" : ".so";
    const char *env = getenv("RILL_INTERNAL_DIR");
    char dirs[PATH_MAX * 2];
    snprintf(dirs, sizeof(dirs), "%s%s%s", env && env[0] ? env : "", env && env[0] ? ":" : "",
             RILL_INTERNAL_DEFAULT_DIR);
    char *save = NULL;
    for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        if ((size_t)snprintf(path, size, "%s/%s%s", dir, load_name, suffix) >= size)
            continue;
        if (readable(path) == 0)
            return 0;
    }
    rill_errf(err, errsize, 0, "no internal client module '%s': looked for %s%s in %s%s%s",
              load_name, load_name, suffix, env && env[0] ? env : "", env && env[0] ? ":" : "",
              RILL_INTERNAL_DEFAULT_DIR);
    return -ENOENT;
}

/* The module's process callback argument, given to jack_finish as JACK
 * does. Worker thread. */
static void *process_arg(jack_client_t *c)
{
    pthread_mutex_lock(&c->cb_lock);
    void *arg = c->cb.process_arg;
    pthread_mutex_unlock(&c->cb_lock);
    return arg;
}

/* Worker thread: dlopen the module, open its client, run jack_initialize. */
static void *load_main(void *arg)
{
    struct internal *e = arg;
    jack_status_t st = 0;
    e->dl = dlopen(e->path, RTLD_NOW | RTLD_LOCAL);
    if (!e->dl) {
        e->status = JackFailure | JackLoadFailure;
        e->result = -ENOEXEC;
        rill_errf(e->error, sizeof(e->error), 0, "cannot load %s: %s", e->path, dlerror());
        goto done;
    }
    e->init = (internal_init_fn)dlsym(e->dl, "jack_initialize");
    e->finish = (internal_finish_fn)dlsym(e->dl, "jack_finish");
    if (!e->init || !e->finish) {
        e->status = JackFailure | JackLoadFailure;
        e->result = -ENOEXEC;
        rill_errf(e->error, sizeof(e->error), 0,
                  "%s is not an internal client: it must export jack_initialize and jack_finish "
                  "(%s is missing)",
                  e->path, e->init ? "jack_finish" : "jack_initialize");
        goto fail_dl;
    }
    /* rill's own netmanager shows its followers in rillctl status: it gets
     * the block of the state segment (it keeps one manager per process, so
     * a second load is refused by the module itself) */
    void (*attach)(struct rill_shm_netmanager *) =
        (void (*)(struct rill_shm_netmanager *))dlsym(e->dl, "rill_netmanager_attach");
    if (attach)
        attach(e->nm_block);
    jack_options_t o = JackNoStartServer | JackServerName | (e->options & JackUseExactName);
    e->client = e->lj->open(e->name, o, &st, e->server);
    if (!e->client) {
        e->status = (uint32_t)st | JackFailure;
        e->result = (st & JackNameNotUnique) ? -EEXIST : -EIO;
        rill_errf(e->error, sizeof(e->error), 0, "cannot open client '%s' for %s%s", e->name,
                  e->path,
                  (st & JackNameNotUnique) ? ": the name is taken (JackUseExactName)" : "");
        goto fail_dl;
    }
    e->status = (uint32_t)st & JackNameNotUnique;
    snprintf(e->name, sizeof(e->name), "%s", e->lj->get_name(e->client));
    int r = e->init(e->client, e->load_init);
    if (r != 0) {
        e->status = JackFailure | JackInitFailure;
        e->result = -ECANCELED;
        rill_errf(e->error, sizeof(e->error), 0,
                  "jack_initialize of %s returned %d (load_init \"%s\"): the client refused to "
                  "start",
                  e->path, r, e->load_init);
        e->lj->close(e->client);
        e->client = NULL;
        goto fail_dl;
    }
    goto done;

fail_dl:
    dlclose(e->dl);
    e->dl = NULL;
done:
    atomic_store_explicit(&e->done, 1, memory_order_release);
    return NULL;
}

/* Worker thread: deactivate, jack_finish(process arg), close, dlclose. The
 * client is deactivated first so that no cycle runs while jack_finish frees
 * what the process callback uses. */
static void *unload_main(void *arg)
{
    struct internal *e = arg;
    e->lj->deactivate(e->client);
    e->finish(process_arg(e->client));
    e->lj->close(e->client);
    e->client = NULL;
    dlclose(e->dl);
    e->dl = NULL;
    atomic_store_explicit(&e->done, 1, memory_order_release);
    return NULL;
}

/* Start fn on e in a worker with every signal blocked. Main thread. */
static int start_worker(struct internal *e, void *(*fn)(void *))
{
    sigset_t all, old;
    sigfillset(&all);
    atomic_store_explicit(&e->done, 0, memory_order_relaxed);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int r = pthread_create(&e->worker, NULL, fn, e);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return -r;
}

static struct internal *by_handle(struct rill_internals *ic, uint64_t handle)
{
    for (uint32_t i = 0; i < INTERNAL_MAX; i++)
        if (ic->table[i].state != E_FREE && ic->table[i].handle == handle)
            return &ic->table[i];
    return NULL;
}

/* Validate, find the module and start loading. On failure *status and err
 * say why. Main thread. */
static int start_load(struct rill_server *s, const char *name, const char *load_name,
                      const char *load_init, uint32_t options, uint32_t *status,
                      struct internal **out, char *err, size_t errsize)
{
    struct rill_internals *ic = s->internal;
    int r;
    *status = JackFailure | JackInvalidOption;
    if (!name[0] || strlen(name) >= RILL_CLIENT_NAME_SIZE) {
        rill_errf(err, errsize, 0, "an internal client needs a name of 1 to %u bytes",
                  RILL_CLIENT_NAME_SIZE - 1);
        return -EINVAL;
    }
    if (options & ~(uint32_t)JackUseExactName) {
        rill_errf(err, errsize, 0,
                  "unknown load options 0x%x: JackLoadName, JackLoadInit and JackUseExactName are "
                  "the ones allowed",
                  options);
        return -EINVAL;
    }
    struct internal *e = NULL;
    for (uint32_t i = 0; i < INTERNAL_MAX && !e; i++)
        if (ic->table[i].state == E_FREE)
            e = &ic->table[i];
    if (!e) {
        *status = JackFailure;
        rill_errf(err, errsize, 0, "%u internal clients are loaded already: unload one first",
                  INTERNAL_MAX);
        return -ENOSPC;
    }
    *status = JackFailure | JackLoadFailure;
    if ((r = libjack_load(&ic->lj, err, errsize)) < 0)
        return r;
    memset(e, 0, sizeof(*e));
    if ((r = find_module(load_name, e->path, sizeof(e->path), err, errsize)) < 0)
        return r;
    /* A module may open more clients of its own (the netmanager opens one
     * per NetJACK2 follower, as jackd2's does) with jack_client_open and no
     * server name: inside jackd that reaches the server the module runs in,
     * so here too. Set before any worker runs (glibc keeps old environment
     * strings alive, so a concurrent getenv of an earlier worker is safe). */
    const char *cur = getenv("JACK_DEFAULT_SERVER");
    if (!cur || strcmp(cur, s->opt->name) != 0)
        setenv("JACK_DEFAULT_SERVER", s->opt->name, 1);
    snprintf(e->name, sizeof(e->name), "%s", name);
    snprintf(e->server, sizeof(e->server), "%s", s->opt->name);
    snprintf(e->load_init, sizeof(e->load_init), "%s", load_init);
    e->options = options;
    e->handle = ic->next_handle++;
    e->lj = &ic->lj;
    e->nm_block = s->shm.state ? &s->shm.state->netmanager : NULL;
    if ((r = start_worker(e, load_main)) < 0) {
        *status = JackFailure;
        rill_errf(err, errsize, 0, "cannot start a thread to load %s: %s", e->path, strerror(-r));
        return r;
    }
    e->state = E_LOADING;
    *status = 0;
    *out = e;
    return 0;
}

static int start_unload(struct internal *e)
{
    int r = start_worker(e, unload_main);
    if (r < 0) {
        rill_server_log("cannot start a thread to unload internal client '%s': %s", e->name,
                        strerror(-r));
        return r;
    }
    e->state = E_UNLOADING;
    return 0;
}

static int do_load(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_msg_internal *in = &m->u.internal;
    in->handle = 0;
    if (!memchr(in->name, '\0', sizeof(in->name))) {
        in->status = JackFailure | JackInvalidOption;
        rill_errf(m->error, sizeof(m->error), 0,
                  "internal client name is too long: the limit is %u "
                  "bytes",
                  RILL_CLIENT_NAME_SIZE - 1);
        return -ENAMETOOLONG;
    }
    const char *load_name = in->data;
    const char *end = memchr(in->data, '\0', sizeof(in->data));
    const char *load_init = end ? end + 1 : NULL;
    if (!end || load_init >= in->data + sizeof(in->data) ||
        !memchr(load_init, '\0', sizeof(in->data) - (size_t)(load_init - in->data))) {
        in->status = JackFailure | JackInvalidOption;
        rill_errf(m->error, sizeof(m->error), 0,
                  "module name and load_init are too long: together "
                  "at most %u bytes",
                  RILL_INTERNAL_DATA_SIZE - 2);
        return -ENAMETOOLONG;
    }
    struct internal *e = NULL;
    uint32_t status = 0;
    int r = start_load(s, in->name, load_name, load_init, in->options, &status, &e, m->error,
                       sizeof(m->error));
    in->status = status;
    if (r < 0) {
        rill_server_log("cannot load internal client '%s': %s", in->name, m->error);
        return r;
    }
    e->waiter = c;
    e->reply = *m;
    return RILL_REPLY_DEFERRED;
}

static int do_unload(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_msg_internal *in = &m->u.internal;
    struct internal *e = by_handle(s->internal, in->handle);
    if (!e) {
        in->status = JackFailure | JackNoSuchClient;
        rill_errf(m->error, sizeof(m->error), 0, "there is no internal client with handle %llu",
                  (unsigned long long)in->handle);
        return -ENOENT;
    }
    if (e->state != E_RUNNING) {
        in->status = JackFailure;
        rill_errf(m->error, sizeof(m->error), 0, "internal client '%s' is being %s", e->name,
                  e->state == E_LOADING ? "loaded" : "unloaded");
        return -EBUSY;
    }
    if (c->slot < RILL_MAX_CLIENTS &&
        strcmp(s->shm.state->registry.clients[c->slot].name, e->name) == 0) {
        in->status = JackFailure;
        rill_errf(m->error, sizeof(m->error), 0,
                  "internal client '%s' cannot unload itself: its request would wait for its own "
                  "deactivation",
                  e->name);
        return -EDEADLK;
    }
    if (start_unload(e) < 0) {
        in->status = JackFailure;
        rill_errf(m->error, sizeof(m->error), 0, "cannot start a thread to unload '%s'", e->name);
        return -EAGAIN;
    }
    e->waiter = c;
    e->reply = *m;
    return RILL_REPLY_DEFERRED;
}

/* Main thread. */
int rill_internal_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_internals *ic = s->internal;
    struct rill_msg_internal *in = &m->u.internal;
    switch (m->type) {
    case RILL_MSG_XRUN_RESET:
        /* relaxed: a statistic; a reset racing an xrun may be lost */
        atomic_store_explicit(&s->shm.state->xrun_delay_max_ns, 0, memory_order_relaxed);
        return 0;
    case RILL_MSG_INTERNAL_LOAD:
        return do_load(s, c, m);
    case RILL_MSG_INTERNAL_UNLOAD:
        return do_unload(s, c, m);
    case RILL_MSG_INTERNAL_HANDLE:
        in->handle = 0;
        if (memchr(in->name, '\0', sizeof(in->name))) {
            for (uint32_t i = 0; i < INTERNAL_MAX; i++) {
                if (ic->table[i].state == E_RUNNING && strcmp(ic->table[i].name, in->name) == 0) {
                    in->handle = ic->table[i].handle;
                    in->status = 0;
                    return 0;
                }
            }
        }
        in->status = JackFailure | JackNoSuchClient;
        rill_errf(m->error, sizeof(m->error), 0, "there is no internal client named '%.*s'",
                  (int)sizeof(in->name) - 1, in->name);
        return -ENOENT;
    case RILL_MSG_INTERNAL_NAME: {
        struct internal *e = by_handle(s->internal, in->handle);
        if (!e || e->state != E_RUNNING) {
            in->status = JackFailure | JackNoSuchClient;
            rill_errf(m->error, sizeof(m->error), 0, "there is no internal client with handle %llu",
                      (unsigned long long)in->handle);
            return -ENOENT;
        }
        snprintf(in->name, sizeof(in->name), "%s", e->name);
        in->status = 0;
        return 0;
    }
    default:
        rill_errf(m->error, sizeof(m->error), 0, "unknown request type %u", m->type);
        return -EINVAL;
    }
}

/* Any thread. */
int rill_internal_spec_parse(const char *spec, char *load_name, size_t load_size, char *name,
                             size_t name_size, const char **init, char *err, size_t errsize)
{
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len == 0 || len >= load_size) {
        rill_errf(err, errsize, 0, "-l '%s': give NAME[:ARGS], NAME a module name or absolute path",
                  spec);
        return -EINVAL;
    }
    memcpy(load_name, spec, len);
    load_name[len] = '\0';
    const char *base = strrchr(load_name, '/');
    base = base ? base + 1 : load_name;
    size_t blen = strlen(base);
    if (blen > 3 && strcmp(base + blen - 3, ".so") == 0)
        blen -= 3;
    if (blen == 0 || blen >= name_size || blen >= RILL_CLIENT_NAME_SIZE) {
        rill_errf(err, errsize, 0,
                  "-l '%s': the client name (the module's file name without .so) "
                  "must have 1 to %u bytes",
                  spec, RILL_CLIENT_NAME_SIZE - 1);
        return -EINVAL;
    }
    memcpy(name, base, blen);
    name[blen] = '\0';
    *init = colon ? colon + 1 : "";
    if (strlen(*init) >= RILL_INTERNAL_DATA_SIZE) {
        rill_errf(err, errsize, 0, "-l '%s': the arguments are longer than %u bytes", spec,
                  RILL_INTERNAL_DATA_SIZE - 1);
        return -EINVAL;
    }
    return 0;
}

/* Main thread. */
int rill_internal_load_spec(struct rill_server *s, const char *spec, char *err, size_t errsize)
{
    char load_name[PATH_MAX];
    char name[RILL_CLIENT_NAME_SIZE];
    const char *init;
    int r = rill_internal_spec_parse(spec, load_name, sizeof(load_name), name, sizeof(name),
                                     &init, err, errsize);
    if (r < 0)
        return r;
    struct internal *e = NULL;
    uint32_t status;
    return start_load(s, name, load_name, init, 0, &status, &e, err, errsize);
}

/* Send the deferred reply of e, if someone waits for it. Main thread. */
static void answer(struct internal *e)
{
    if (!e->waiter)
        return;
    struct rill_msg *r = &e->reply;
    r->u.internal.handle = e->result == 0 ? e->handle : 0;
    r->u.internal.status = e->status;
    snprintf(r->u.internal.name, sizeof(r->u.internal.name), "%s", e->name);
    snprintf(r->error, sizeof(r->error), "%s", e->result == 0 ? "" : e->error);
    rill_server_answer(e->waiter, r, e->result);
    e->waiter = NULL;
}

/* Main thread. */
void rill_internal_poll(struct rill_server *s)
{
    struct rill_internals *ic = s->internal;
    uint32_t left = 0;
    for (uint32_t i = 0; i < INTERNAL_MAX; i++) {
        struct internal *e = &ic->table[i];
        if (e->state == E_FREE)
            continue;
        left++;
        if (e->state == E_RUNNING) {
            if (ic->draining)
                start_unload(e);
            continue;
        }
        if (!atomic_load_explicit(&e->done, memory_order_acquire))
            continue;
        pthread_join(e->worker, NULL);
        atomic_store_explicit(&e->done, 0, memory_order_relaxed);
        if (e->state == E_LOADING && e->client) {
            e->state = E_RUNNING;
            rill_server_log("internal client '%s' loaded from %s (handle %llu)", e->name, e->path,
                            (unsigned long long)e->handle);
            answer(e);
            if (ic->draining)
                start_unload(e);
            continue;
        }
        if (e->state == E_LOADING)
            rill_server_log("cannot load internal client '%s': %s", e->name, e->error);
        else
            rill_server_log("internal client '%s' unloaded", e->name);
        answer(e);
        e->state = E_FREE;
        left--;
    }
    if (ic->draining && (left == 0 || rill_now_ns() > ic->drain_deadline_ns)) {
        if (left)
            rill_server_log("%u internal client(s) did not unload within %llu s", left,
                            DRAIN_NS / 1000000000ull);
        ic->draining = 0;
        s->stopping = 1;
    }
}

/* Main thread. */
void rill_internal_conn_gone(struct rill_server *s, const struct rill_conn *c)
{
    struct rill_internals *ic = s->internal;
    for (uint32_t i = 0; i < INTERNAL_MAX; i++)
        if (ic->table[i].waiter == c)
            ic->table[i].waiter = NULL;
}

/* Main thread. */
int rill_internal_unload_all(struct rill_server *s)
{
    struct rill_internals *ic = s->internal;
    int busy = 0;
    for (uint32_t i = 0; i < INTERNAL_MAX; i++) {
        struct internal *e = &ic->table[i];
        if (e->state == E_RUNNING && start_unload(e) < 0)
            continue;
        if (e->state == E_LOADING || e->state == E_UNLOADING)
            busy++;
    }
    if (busy) {
        ic->draining = 1;
        ic->drain_deadline_ns = rill_now_ns() + DRAIN_NS;
    }
    return busy;
}
