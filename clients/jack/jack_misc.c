/* clients/jack/jack_misc.c — libjack's small pieces: error and info output,
 * jack_free, versions, size limits, uuids and the metadata key names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/jack/jack_priv.h"

/* Default error and info output: one line on stderr. Any thread. */
static void rill_jack_default_error(const char *msg)
{
    fprintf(stderr, "%s\n", msg);
}

static void rill_jack_default_info(const char *msg)
{
    fprintf(stderr, "%s\n", msg);
}

/* Exported variables, as in JACK's ABI (jack.h declares them extern). The
 * program sets them from its main thread before it opens a client; a plain
 * pointer is what the ABI dictates. */
void (*jack_error_callback)(const char *msg) = rill_jack_default_error;
void (*jack_info_callback)(const char *msg) = rill_jack_default_info;

/* Metadata keys (the URIs JACK documents for them). */
const char *JACK_METADATA_CONNECTED = "http://jackaudio.org/metadata/connected";
const char *JACK_METADATA_EVENT_TYPES = "http://jackaudio.org/metadata/event-types";
const char *JACK_METADATA_HARDWARE = "http://jackaudio.org/metadata/hardware";
const char *JACK_METADATA_ICON_LARGE = "http://jackaudio.org/metadata/icon-large";
const char *JACK_METADATA_ICON_NAME = "http://jackaudio.org/metadata/icon-name";
const char *JACK_METADATA_ICON_SMALL = "http://jackaudio.org/metadata/icon-small";
const char *JACK_METADATA_ORDER = "http://jackaudio.org/metadata/order";
const char *JACK_METADATA_PRETTY_NAME = "http://jackaudio.org/metadata/pretty-name";
const char *JACK_METADATA_PORT_GROUP = "http://jackaudio.org/metadata/port-group";
const char *JACK_METADATA_SIGNAL_TYPE = "http://jackaudio.org/metadata/signal-type";

/* Format and hand to fn. Never the realtime thread. */
__attribute__((format(printf, 2, 0))) static void rill_jack_vprint(void (*fn)(const char *),
                                                               const char *fmt, va_list ap)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf), "rill: ");
    if (n < 0)
        n = 0;
    vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    if (fn)
        fn(buf);
}

/* Any non-realtime thread. */
void rill_jack_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rill_jack_vprint(jack_error_callback, fmt, ap);
    va_end(ap);
}

/* Any non-realtime thread. */
void rill_jack_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rill_jack_vprint(jack_info_callback, fmt, ap);
    va_end(ap);
}

/* NULL restores the default (stderr). Any thread. */
void jack_set_error_function(void (*func)(const char *))
{
    jack_error_callback = func ? func : rill_jack_default_error;
}

/* NULL restores the default (stderr). Any thread. */
void jack_set_info_function(void (*func)(const char *))
{
    jack_info_callback = func ? func : rill_jack_default_info;
}

/* Release memory libjack returned (port lists, connection lists, uuid and
 * name strings). Any thread. */
void jack_free(void *ptr)
{
    free(ptr);
}

/* The JACK API level rill implements. Any thread. */
void jack_get_version(int *major_ptr, int *minor_ptr, int *micro_ptr, int *proto_ptr)
{
    if (major_ptr)
        *major_ptr = 1;
    if (minor_ptr)
        *minor_ptr = 9;
    if (micro_ptr)
        *micro_ptr = 21;
    if (proto_ptr)
        *proto_ptr = (int)RILL_PROTOCOL_VERSION;
}

/* Any thread. */
const char *jack_get_version_string(void)
{
    return "1.9.21 (rill)";
}

/* Sizes, terminator included. Any thread. */
int jack_client_name_size(void)
{
    return (int)RILL_CLIENT_NAME_SIZE;
}

int jack_port_name_size(void)
{
    return (int)RILL_PORT_NAME_SIZE;
}

int jack_port_type_size(void)
{
    return (int)RILL_PORT_TYPE_SIZE;
}

/* ---- uuids: a rill uuid is the 64-bit number the server assigned; its
 * text form is that number in decimal. */

/* Any thread. */
void jack_uuid_unparse(jack_uuid_t uuid, char buf[JACK_UUID_STRING_SIZE])
{
    snprintf(buf, JACK_UUID_STRING_SIZE, "%" PRIu64, (uint64_t)uuid);
}

/* Returns 0, or -1 when buf is not a decimal number. Any thread. */
int jack_uuid_parse(const char *buf, jack_uuid_t *uuid)
{
    if (!buf || !uuid || buf[0] < '0' || buf[0] > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno || !end || *end != '\0')
        return -1;
    *uuid = (jack_uuid_t)v;
    return 0;
}

/* malloc'd decimal uuid of the client called name, or NULL. Any non-realtime
 * thread. */
char *jack_get_uuid_for_client_name(jack_client_t *client, const char *client_name)
{
    if (!client || !client_name)
        return NULL;
    int slot = rill_registry_find_client(client->st, client_name);
    struct rill_shm_client cl;
    if (slot < 0 || rill_registry_client(client->st, (uint32_t)slot, &cl) < 0)
        return NULL;
    char *s = malloc(JACK_UUID_STRING_SIZE);
    if (s)
        jack_uuid_unparse(cl.uuid, s);
    return s;
}

/* malloc'd name of the client with uuid client_uuid (decimal), or NULL. Any
 * non-realtime thread. */
char *jack_get_client_name_by_uuid(jack_client_t *client, const char *client_uuid)
{
    jack_uuid_t uuid;
    if (!client || jack_uuid_parse(client_uuid, &uuid) < 0)
        return NULL;
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
        struct rill_shm_client cl;
        if (rill_registry_client(client->st, slot, &cl) == 0 && cl.uuid == uuid)
            return strdup(cl.name);
    }
    return NULL;
}
