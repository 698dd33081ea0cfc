/* engine/internal.h — internal clients: JACK modules that run inside rilld.
 *
 * An internal client is a shared object exporting
 *     int  jack_initialize(jack_client_t *client, const char *load_init);
 *     void jack_finish(void *arg);   (arg: its process callback's argument)
 * linked against libjack.so.0. rilld first dlopens rill's own libjack.so.0
 * with RTLD_GLOBAL ($RILL_JACK_LIBDIR, else the directory rill installs it
 * to), so the module's jack_* calls bind to it, then the module itself.
 *
 * The module's client is a normal rill client of this same process: it
 * talks to the main thread over the control socket. So jack_initialize and
 * jack_finish never run on the main thread (it would wait for itself): a
 * worker thread per load/unload runs them while the main loop keeps
 * serving, and the request that asked for it (RILL_MSG_INTERNAL_LOAD /
 * UNLOAD) is answered when the worker is done (rill_internal_poll, from the
 * housekeeping timer). The process callback runs on the client core's
 * realtime thread inside rilld (doc/design.md says why not on the engine's).
 *
 * Module search (load_name): an absolute path is used as is; a bare name
 * NAME is looked up as NAME.so (or NAME when it ends in .so) in each
 * directory of $RILL_INTERNAL_DIR (colon-separated), then in
 * $(pkglibdir)/internal. A relative path with a '/' is refused.
 *
 * Thread: main thread, except where a function says otherwise.
 */
#ifndef RILL_ENGINE_INTERNAL_H
#define RILL_ENGINE_INTERNAL_H

#include <stddef.h>

struct rill_server;
struct rill_conn;
struct rill_msg;

/* The server's internal clients (s->internal): a table of loads, the
 * handles, rill's libjack once it is loaded. */
struct rill_internals;
/* 0 or -ENOMEM. */
int rill_internal_new(struct rill_internals **out);
/* After rill_internal_unload_all has drained (or never started one). */
void rill_internal_free(struct rill_internals *ic);

/* Handle RILL_MSG_INTERNAL_* and RILL_MSG_XRUN_RESET from conn. Returns 0 or
 * -errno (m->error and m->u.internal.status filled) for an immediate reply,
 * or RILL_REPLY_DEFERRED (engine/server_priv.h): do not reply now. */
int rill_internal_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);

/* rilld -l SPEC (NAME[:ARGS]): start loading module NAME as client
 * basename(NAME) without ".so", with load_init ARGS. Returns 0 (the outcome
 * is logged when the worker is done) or -errno with a sentence in err. */
int rill_internal_load_spec(struct rill_server *s, const char *spec, char *err, size_t errsize);

/* Finish what the workers did: answer the waiting requests, free the
 * entries of failed loads and of unloads. From the housekeeping timer. While
 * draining (rill_internal_unload_all), sets s->stopping once nothing is
 * left or the drain took too long. */
void rill_internal_poll(struct rill_server *s);

/* conn is being closed: forget it as the receiver of any pending reply. */
void rill_internal_conn_gone(struct rill_server *s, const struct rill_conn *c);

/* Server stop: unload every internal client (their jack_finish runs).
 * Returns how many loads/unloads are under way; when > 0 the caller serves
 * on until rill_internal_poll sets s->stopping again. */
int rill_internal_unload_all(struct rill_server *s);

#endif
