/* rill/limits.h — fixed sizes shared by the engine and every client.
 *
 * These sizes are part of the shared-memory ABI (see rill/shm.h): a client and
 * an engine built with different values refuse each other at hello time
 * (RILL_PROTOCOL_VERSION is bumped whenever one changes).
 */
#ifndef RILL_LIMITS_H
#define RILL_LIMITS_H

#define RILL_PROTOCOL_VERSION 4u

/* Node slots, the engine's own "system" client included (slot 0). */
#define RILL_MAX_CLIENTS 512u
/* Port slots; each owns one buffer of the pool. */
#define RILL_MAX_PORTS 4096u
/* Connections between ports. */
#define RILL_MAX_CONNECTIONS 8192u

/* JACK's sizes, terminator included (jack_client_name_size()/jack_port_name_size()). */
#define RILL_CLIENT_NAME_SIZE 64u
#define RILL_PORT_NAME_SIZE 256u
#define RILL_PORT_TYPE_SIZE 32u
#define RILL_SERVER_NAME_SIZE 64u
#define RILL_ERROR_SIZE 256u

/* Period sizes the engine accepts (frames, powers of two). */
#define RILL_MIN_PERIOD 16u
#define RILL_MAX_PERIOD 8192u
#define RILL_MIN_RATE 8000u
#define RILL_MAX_RATE 384000u
#define RILL_MAX_CHANNELS 256u

/* Shared-memory plan slots (current, pending, being written). */
#define RILL_PLAN_SLOTS 3u

/* The engine's own client slot and name. */
#define RILL_ENGINE_NODE 0u
#define RILL_ENGINE_CLIENT_NAME "system"

#endif
