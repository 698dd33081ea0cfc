/* midi/midi_frag.c — long messages into rill MIDI buffers in fragments
 * over consecutive cycles (midi_frag.h). */
#include "midi/midi_frag.h"

#include <jack/midiport.h>

/* The ring's consumer. RT-safe. */
int rill_midi_frag_next(struct rill_midi_frag *f, jack_ringbuffer_t *ring, void *buf, uint32_t t)
{
    if (!f->left)
        return 1;
    size_t room = jack_midi_max_event_size(buf);
    if (room == 0)
        return 0;
    uint32_t chunk = f->left < room ? f->left : (uint32_t)room;
    jack_midi_data_t *d = jack_midi_event_reserve(buf, t, chunk);
    if (!d)
        return 0;
    jack_ringbuffer_read(ring, (char *)d, chunk);
    f->left -= chunk;
    return f->left == 0;
}

/* The ring's consumer. RT-safe. */
void rill_midi_frag_skip(struct rill_midi_frag *f, jack_ringbuffer_t *ring)
{
    jack_ringbuffer_read_advance(ring, f->left);
    f->left = 0;
}

/* The ring's consumer. RT-safe. */
enum rill_midi_put rill_midi_frag_put(struct rill_midi_frag *f, jack_ringbuffer_t *ring,
                                      size_t hlen, uint32_t len, void *buf, uint32_t t,
                                      int *fragmented)
{
    *fragmented = 0;
    jack_midi_data_t *d = jack_midi_event_reserve(buf, t, len);
    if (d) {
        jack_ringbuffer_read_advance(ring, hlen);
        jack_ringbuffer_read(ring, (char *)d, len);
        return RILL_MIDI_PUT_DONE;
    }
    if (jack_midi_get_event_count(buf) > 0)
        return RILL_MIDI_PUT_FULL; /* the rest in the next cycle, in order */
    if (jack_midi_max_event_size(buf) == 0)
        return RILL_MIDI_PUT_TOO_BIG;
    /* larger than an empty buffer: in fragments, from here */
    jack_ringbuffer_read_advance(ring, hlen);
    f->left = len;
    *fragmented = 1;
    return rill_midi_frag_next(f, ring, buf, t) ? RILL_MIDI_PUT_DONE : RILL_MIDI_PUT_FULL;
}
