/* clients/jack/jack_internal.c — <jack/intclient.h> and the deprecated
 * jack_internal_client_new/close of <jack/jack.h>: internal clients, JACK
 * modules that rilld loads and runs in its own process (engine/internal.h).
 *
 * Each call is one request (RILL_MSG_INTERNAL_*); LOAD and UNLOAD are
 * answered once rilld has run the module's jack_initialize / jack_finish.
 * The reply carries JACK's status bits (JackLoadFailure, JackInitFailure,
 * JackNoSuchClient, JackNameNotUnique ...) and a sentence saying why.
 *
 * Thread: any non-realtime thread (each call waits for rilld).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/jack/jack_priv.h"

#pragma GCC visibility push(default)
#include <jack/intclient.h>
#pragma GCC visibility pop

/* Status bits of a reply: rilld's, plus JackFailure on an error. */
static jack_status_t reply_status(const struct rill_msg *m, int r)
{
    if (r == -EPIPE)
        return JackFailure | JackServerError;
    jack_status_t st = (jack_status_t)m->u.internal.status;
    if (r < 0)
        st |= JackFailure;
    return st;
}

/* Send a LOAD on core. Returns the handle or 0 with *status and a message.
 * Any non-realtime thread. */
static jack_intclient_t load_on(struct rill_client *core, const char *client_name,
                                jack_options_t options, jack_status_t *status,
                                const char *load_name, const char *load_init)
{
    size_t nlen = strlen(client_name), llen = strlen(load_name), ilen = strlen(load_init);
    if (nlen == 0 || nlen >= RILL_CLIENT_NAME_SIZE) {
        rill_jack_error("jack_internal_client_load: the client name must have 1 to %u bytes",
                        RILL_CLIENT_NAME_SIZE - 1);
        *status = JackFailure | JackInvalidOption;
        return 0;
    }
    if (llen + ilen + 2 > RILL_INTERNAL_DATA_SIZE) {
        rill_jack_error("jack_internal_client_load: load name and init string are %zu bytes "
                        "together; rill allows at most %u",
                        llen + ilen, RILL_INTERNAL_DATA_SIZE - 2);
        *status = JackFailure | JackInvalidOption;
        return 0;
    }
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_INTERNAL_LOAD;
    m.u.internal.options = (uint32_t)(options & JackUseExactName);
    memcpy(m.u.internal.name, client_name, nlen + 1);
    memcpy(m.u.internal.data, load_name, llen + 1);
    memcpy(m.u.internal.data + llen + 1, load_init, ilen + 1);
    int r = rill_client_request(core, &m);
    *status = reply_status(&m, r);
    if (r < 0) {
        m.error[sizeof(m.error) - 1] = '\0';
        rill_jack_error("cannot load internal client '%s' (%s): %s", client_name, load_name,
                        m.error[0] ? m.error : strerror(-r));
        return 0;
    }
    return (jack_intclient_t)m.u.internal.handle;
}

/* Send an UNLOAD of handle on core. Returns 0 or status bits. */
static jack_status_t unload_on(struct rill_client *core, jack_intclient_t intclient)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_INTERNAL_UNLOAD;
    m.u.internal.handle = (uint64_t)intclient;
    int r = rill_client_request(core, &m);
    if (r < 0) {
        m.error[sizeof(m.error) - 1] = '\0';
        rill_jack_error("cannot unload internal client %llu: %s", (unsigned long long)intclient,
                        m.error[0] ? m.error : strerror(-r));
    }
    return r < 0 ? reply_status(&m, r) : 0;
}

/* Send a HANDLE for name on core. Returns the handle or 0. */
static jack_intclient_t handle_on(struct rill_client *core, const char *name,
                                  jack_status_t *status)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_INTERNAL_HANDLE;
    snprintf(m.u.internal.name, sizeof(m.u.internal.name), "%s", name);
    int r = rill_client_request(core, &m);
    *status = reply_status(&m, r);
    return r < 0 ? 0 : (jack_intclient_t)m.u.internal.handle;
}

/* Options: JackLoadName (char *load_name), JackLoadInit (char *load_init),
 * JackUseExactName, with the arguments in that order. Returns the handle,
 * or 0 with JackFailure in *status. */
jack_intclient_t jack_internal_client_load(jack_client_t *client, const char *client_name,
                                           jack_options_t options, jack_status_t *status, ...)
{
    jack_status_t dummy;
    if (!status)
        status = &dummy;
    *status = 0;
    const char *load_name = NULL, *load_init = NULL;
    va_list ap;
    va_start(ap, status);
    if (options & JackLoadName)
        load_name = va_arg(ap, const char *);
    if (options & JackLoadInit)
        load_init = va_arg(ap, const char *);
    va_end(ap);
    if (!client || !client_name) {
        rill_jack_error("jack_internal_client_load: %s is NULL", client ? "client_name" : "client");
        *status = JackFailure | JackInvalidOption;
        return 0;
    }
    if (options & ~(jack_options_t)JackLoadOptions) {
        rill_jack_error("jack_internal_client_load: unknown option bits 0x%x (valid: "
                        "JackLoadName, JackLoadInit, JackUseExactName)",
                        (unsigned)(options & ~(jack_options_t)JackLoadOptions));
        *status = JackFailure | JackInvalidOption;
        return 0;
    }
    return load_on(client->core, client_name, options, status,
                   load_name ? load_name : client_name, load_init ? load_init : "");
}

/* 0 once the module's jack_finish ran and its client is closed; else
 * JackFailure with JackNoSuchClient for an unknown handle. */
jack_status_t jack_internal_client_unload(jack_client_t *client, jack_intclient_t intclient)
{
    if (!client) {
        rill_jack_error("jack_internal_client_unload: client is NULL");
        return JackFailure | JackInvalidOption;
    }
    return unload_on(client->core, intclient);
}

/* The handle of the internal client named client_name, or 0 with
 * JackNoSuchClient | JackFailure. */
jack_intclient_t jack_internal_client_handle(jack_client_t *client, const char *client_name,
                                             jack_status_t *status)
{
    jack_status_t dummy;
    if (!status)
        status = &dummy;
    if (!client || !client_name) {
        *status = JackFailure | JackInvalidOption;
        return 0;
    }
    return handle_on(client->core, client_name, status);
}

/* The name of an internal client, malloc'd (the caller frees it), or NULL
 * when there is no such client. */
char *jack_get_internal_client_name(jack_client_t *client, jack_intclient_t intclient)
{
    if (!client)
        return NULL;
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_INTERNAL_NAME;
    m.u.internal.handle = (uint64_t)intclient;
    if (rill_client_request(client->core, &m) < 0)
        return NULL;
    m.u.internal.name[sizeof(m.u.internal.name) - 1] = '\0';
    return strdup(m.u.internal.name);
}

/* A short-lived control connection (no node, not listed) for the two
 * deprecated calls that take no client. Returns 0 or -1 with a message. */
static int control_open(const char *what, struct rill_client **out)
{
    struct rill_client_callbacks cb;
    memset(&cb, 0, sizeof(cb));
    char err[RILL_ERROR_SIZE] = "";
    int r = rill_client_open(NULL, "intclient", RILL_HELLO_CONTROL, &cb, out, err, sizeof(err));
    if (r < 0) {
        rill_jack_error("%s: %s", what, err[0] ? err : strerror(-r));
        return -1;
    }
    return 0;
}

/* Deprecated (JACK 0.99): load load_name as client_name with load_init
 * (may be NULL) on the default server, exact name. 0 or -1. */
int jack_internal_client_new(const char *client_name, const char *load_name,
                             const char *load_init)
{
    if (!client_name || !load_name) {
        rill_jack_error("jack_internal_client_new: %s is NULL",
                        client_name ? "load_name" : "client_name");
        return -1;
    }
    struct rill_client *core;
    if (control_open("jack_internal_client_new", &core) < 0)
        return -1;
    jack_status_t status;
    jack_intclient_t h = load_on(core, client_name, JackUseExactName, &status, load_name,
                                 load_init ? load_init : "");
    rill_client_close(core);
    return h ? 0 : -1;
}

/* Deprecated: unload the internal client named client_name. */
void jack_internal_client_close(const char *client_name)
{
    if (!client_name)
        return;
    struct rill_client *core;
    if (control_open("jack_internal_client_close", &core) < 0)
        return;
    jack_status_t status;
    jack_intclient_t h = handle_on(core, client_name, &status);
    if (h)
        unload_on(core, h);
    else
        rill_jack_error("jack_internal_client_close: there is no internal client named '%s'",
                        client_name);
    rill_client_close(core);
}
