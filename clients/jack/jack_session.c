/* clients/jack/jack_session.c — <jack/session.h> and the other entry points
 * that JACK itself deprecated.
 *
 * The session API is deprecated by JACK since jackd2 1.9.15 (replaced by
 * NSM and friends); rill does not implement session management. Each call
 * returns what JACK documents for a failure, and says so once through the
 * error callback:
 *   jack_set_session_callback   -1 (non-zero: the callback is not set)
 *   jack_session_reply          -1
 *   jack_session_notify         NULL (no client was asked to save)
 *   jack_reserve_client_name    -1 (names are not reserved for a UUID)
 * These do what JACK documents, since they need no session manager:
 *   jack_client_has_session_callback  0 for an existing client (no rill
 *                               client has one), -1 when there is no such client
 *   jack_session_event_free, jack_session_commands_free  free what they are given
 *   jack_engine_takeover_timebase     ENOSYS, as JACK documents ("does nothing")
 *
 * Thread: any non-realtime thread.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "clients/jack/jack_priv.h"

#pragma GCC visibility push(default)
#include <jack/session.h>
#pragma GCC visibility pop

/* Say once per process that the session API is not there. */
static void session_unsupported(const char *fn)
{
    static atomic_flag said = ATOMIC_FLAG_INIT;
    /* relaxed: only "print once" depends on it */
    if (!atomic_flag_test_and_set_explicit(&said, memory_order_relaxed))
        rill_jack_error("%s: the JACK session API is deprecated (jackd2 1.9.15) and rill does "
                        "not implement it; use a session manager such as NSM",
                        fn);
}

int jack_set_session_callback(jack_client_t *client, JackSessionCallback session_callback,
                              void *arg)
{
    (void)client;
    (void)session_callback;
    (void)arg;
    session_unsupported("jack_set_session_callback");
    return -1;
}

int jack_session_reply(jack_client_t *client, jack_session_event_t *event)
{
    (void)client;
    (void)event;
    session_unsupported("jack_session_reply");
    return -1;
}

/* Frees the event and the strings in it, as JACK documents. */
void jack_session_event_free(jack_session_event_t *event)
{
    if (!event)
        return;
    free((char *)event->session_dir);
    free((char *)event->client_uuid);
    free(event->command_line);
    free(event);
}

jack_session_command_t *jack_session_notify(jack_client_t *client, const char *target,
                                            jack_session_event_type_t type, const char *path)
{
    (void)client;
    (void)target;
    (void)type;
    (void)path;
    session_unsupported("jack_session_notify");
    return NULL;
}

/* Frees an array ended by an entry with a NULL uuid, and its strings. */
void jack_session_commands_free(jack_session_command_t *cmds)
{
    if (!cmds)
        return;
    for (jack_session_command_t *c = cmds; c->uuid; c++) {
        free((char *)c->uuid);
        free((char *)c->client_name);
        free((char *)c->command);
    }
    free(cmds);
}

int jack_reserve_client_name(jack_client_t *client, const char *name, const char *uuid)
{
    (void)client;
    (void)name;
    (void)uuid;
    session_unsupported("jack_reserve_client_name");
    return -1;
}

int jack_client_has_session_callback(jack_client_t *client, const char *client_name)
{
    if (!client || !client_name)
        return -1;
    return rill_registry_find_client(client->st, client_name) >= 0 ? 0 : -1;
}

int jack_engine_takeover_timebase(jack_client_t *client)
{
    (void)client;
    return ENOSYS;
}
