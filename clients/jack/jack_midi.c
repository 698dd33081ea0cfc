/* clients/jack/jack_midi.c — <jack/midiport.h> on rill's MIDI buffers
 * (midi/buffer.h).
 *
 * The port buffer a program gets from jack_port_get_buffer for a MIDI port
 * is a rill MIDI buffer: inputs are resolved by the client core each cycle
 * (no source: an empty buffer; one: the source's buffer in place; several:
 * merged by time), and the core makes each own MIDI output a valid buffer of
 * the current period before the process callback runs. As in JACK, the core
 * does not empty an output each cycle: jack_midi_clear_buffer is the
 * program's job.
 *
 * Every function here is RT-safe and is meant for the process callback.
 * Since they may run on the realtime thread, they print nothing: misuse is
 * reported through the return value only (the codes JACK documents or
 * jackd2 returns).
 */
#include <errno.h>

#include "clients/jack/jack_priv.h"
#include "midi/buffer.h"

#pragma GCC visibility push(default)
#include <jack/midiport.h>
#pragma GCC visibility pop

/* RT-safe. */
uint32_t jack_midi_get_event_count(void *port_buffer)
{
    return rill_midi_count(port_buffer);
}

/* 0, -EINVAL for a NULL event or an invalid buffer, -ENODATA when there is
 * no event event_index, -EPROTO for a corrupt event. RT-safe. */
int jack_midi_event_get(jack_midi_event_t *event, void *port_buffer, uint32_t event_index)
{
    if (!event)
        return -EINVAL;
    uint32_t time;
    const uint8_t *data;
    size_t size;
    int r = rill_midi_get(port_buffer, event_index, &time, &data, &size);
    if (r < 0)
        return r;
    event->time = time;
    event->size = size;
    event->buffer = (jack_midi_data_t *)data;
    return 0;
}

/* RT-safe. */
void jack_midi_clear_buffer(void *port_buffer)
{
    rill_midi_clear(port_buffer);
}

/* Deprecated by JACK for jack_midi_clear_buffer; rill's buffers carry their
 * size in their header, so it does the same. RT-safe. */
void jack_midi_reset_buffer(void *port_buffer)
{
    rill_midi_clear(port_buffer);
}

/* RT-safe. */
size_t jack_midi_max_event_size(void *port_buffer)
{
    return rill_midi_max_event_size(port_buffer);
}

/* NULL for an invalid buffer, time >= the period, time earlier than the
 * last event's, data_size 0, or no room (then counted as lost). RT-safe. */
jack_midi_data_t *jack_midi_event_reserve(void *port_buffer, jack_nframes_t time,
                                          size_t data_size)
{
    uint8_t *d = NULL;
    if (rill_midi_reserve(port_buffer, time, data_size, &d) < 0)
        return NULL;
    return d;
}

/* 0, -ENOBUFS when there is no room (counted as lost), -EINVAL for the
 * other refusals of jack_midi_event_reserve. RT-safe. */
int jack_midi_event_write(void *port_buffer, jack_nframes_t time, const jack_midi_data_t *data,
                          size_t data_size)
{
    return rill_midi_write(port_buffer, time, data, data_size);
}

/* RT-safe. */
uint32_t jack_midi_get_lost_event_count(void *port_buffer)
{
    return rill_midi_lost(port_buffer);
}
