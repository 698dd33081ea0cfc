/* midi/midi_parse.c — a MIDI 1.0 byte stream cut into whole messages
 * (midi_parse.h says what is delivered and what is counted). */
#include "midi/midi_parse.h"

#include <string.h>

/* Any thread. */
size_t rill_midi_msg_len(uint8_t s)
{
    if (s < 0x80)
        return 0;
    if (s < 0xc0 || (s >= 0xe0 && s < 0xf0))
        return 3;
    if (s < 0xe0)
        return 2;
    switch (s) {
    case 0xf1:
    case 0xf3:
        return 2;
    case 0xf2:
        return 3;
    case 0xf6:
    case 0xf7:
    case 0xf8:
    case 0xfa:
    case 0xfb:
    case 0xfc:
    case 0xfe:
    case 0xff:
        return 1;
    default: /* f0: any length; f4 f5 f9 fd: undefined */
        return 0;
    }
}

/* Any thread. */
uint64_t rill_midi_drops_total(const struct rill_midi_drops *d)
{
    return d->stray + d->undefined + d->broken + d->sysex_long;
}

/* Any thread. */
void rill_midi_parser_init(struct rill_midi_parser *p, uint8_t *sysex, size_t max)
{
    memset(p, 0, sizeof(*p));
    p->sysex = sysex;
    p->sysex_max = max < 2 ? 2 : max;
}

/* RT-safe. */
void rill_midi_parser_reset(struct rill_midi_parser *p)
{
    p->running = 0;
    p->have = 0;
    p->need = 0;
    p->in_sysex = 0;
    p->sysex_over = 0;
    p->sysex_len = 0;
}

/* A status byte other than a real-time one ends what was in progress: a
 * sysex without its f7 or a message without all its data is broken. */
static void end_unfinished(struct rill_midi_parser *p)
{
    if (p->in_sysex) {
        p->drops.broken++;
        p->in_sysex = 0;
        p->sysex_over = 0;
        p->sysex_len = 0;
    }
    if (p->have) {
        p->drops.broken++;
        p->have = 0;
    }
}

/* One byte; RT-safe. */
static void feed_byte(struct rill_midi_parser *p, uint8_t b, uint64_t time, rill_midi_emit_fn emit,
                      void *arg)
{
    if (b >= 0xf8) { /* real time: anywhere, changes nothing */
        if (b == 0xf9 || b == 0xfd)
            p->drops.undefined++;
        else
            emit(arg, time, &b, 1);
        return;
    }
    if (b == 0xf7) {
        if (!p->in_sysex) {
            end_unfinished(p);
            p->drops.stray++;
            p->running = 0;
            return;
        }
        if (p->sysex_over) {
            p->drops.sysex_long++;
        } else {
            p->sysex[p->sysex_len++] = 0xf7; /* room kept: see below */
            emit(arg, p->sysex_time, p->sysex, p->sysex_len);
        }
        p->in_sysex = 0;
        p->sysex_over = 0;
        p->sysex_len = 0;
        p->running = 0;
        return;
    }
    if (b >= 0x80) {
        end_unfinished(p);
        if (b == 0xf0) {
            p->in_sysex = 1;
            p->sysex_over = 0;
            p->sysex[0] = 0xf0;
            p->sysex_len = 1;
            p->sysex_time = time;
            p->running = 0;
            return;
        }
        size_t len = rill_midi_msg_len(b);
        if (len == 0) { /* f4 f5 */
            p->drops.undefined++;
            p->running = 0;
            return;
        }
        p->running = b < 0xf0 ? b : 0; /* system common cancels running status */
        if (len == 1) {
            emit(arg, time, &b, 1);
            return;
        }
        p->msg[0] = b;
        p->have = 1;
        p->need = (uint8_t)len;
        p->msg_time = time;
        return;
    }
    /* a data byte */
    if (p->in_sysex) {
        /* keep one byte free for the f7 */
        if (p->sysex_len + 1 < p->sysex_max)
            p->sysex[p->sysex_len++] = b;
        else
            p->sysex_over = 1;
        return;
    }
    if (!p->have) {
        if (!p->running) {
            p->drops.stray++;
            return;
        }
        p->msg[0] = p->running;
        p->have = 1;
        p->need = (uint8_t)rill_midi_msg_len(p->running);
        p->msg_time = time;
    }
    p->msg[p->have++] = b;
    if (p->have == p->need) {
        p->have = 0;
        emit(arg, p->msg_time, p->msg, p->need);
    }
}

/* RT-safe, bounded by n. */
void rill_midi_parser_feed(struct rill_midi_parser *p, const uint8_t *bytes, size_t n,
                           uint64_t time, rill_midi_emit_fn emit, void *arg)
{
    for (size_t i = 0; i < n; i++)
        feed_byte(p, bytes[i], time, emit, arg);
}

/* RT-safe. */
void rill_midi_parser_feed_event(struct rill_midi_parser *p, const uint8_t *bytes, size_t n,
                                 uint64_t time, rill_midi_emit_fn emit, void *arg)
{
    if (p->have) {
        p->have = 0;
        p->drops.broken++;
    }
    p->running = 0;
    rill_midi_parser_feed(p, bytes, n, time, emit, arg);
}
