/* osc/osc_out.c — outboxes: the messages waiting for one destination,
 * packed into datagrams of at most 8192 bytes (one message alone, or an
 * OSC bundle with the timetag "immediately" holding as many as fit), so
 * that a long list is split and never truncated.
 *
 * A send that meets a full receiver (-EAGAIN: a Unix socket whose reader
 * is behind) leaves the rest queued and the timer tries again in 2 ms.
 * Main thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "osc/osc_priv.h"

/* Main thread. */
void osc_out_init(struct osc_out *q, const struct osc_dest *to)
{
    memset(q, 0, sizeof(*q));
    q->to = *to;
    q->in_use = 1;
}

/* Main thread. */
void osc_out_clear(struct osc_out *q)
{
    q->head = q->len = 0;
    q->nevents = 0;
}

/* Main thread. */
void osc_out_free(struct osc_out *q)
{
    free(q->buf);
    memset(q, 0, sizeof(*q));
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Main thread. */
int osc_out_flush(struct rill_osc *o, struct osc_out *q)
{
    uint8_t dgram[RILL_OSC_MAX_DATAGRAM];
    while (q->head < q->len) {
        /* take entries while they fit into one datagram */
        size_t pos = q->head, used = 16, n = 0, events = 0;
        while (pos < q->len) {
            uint32_t hdr;
            memcpy(&hdr, q->buf + pos, 4);
            size_t size = hdr & ~OSC_ENTRY_EVENT;
            if (used + 4 + size > RILL_OSC_MAX_DATAGRAM)
                break;
            used += 4 + size;
            pos += 4 + size;
            events += (hdr & OSC_ENTRY_EVENT) ? 1 : 0;
            n++;
        }
        size_t dlen;
        const void *data;
        if (n == 0) {
            /* one message larger than a datagram: never built by rill
             * (names are short), dropped rather than truncated */
            uint32_t hdr;
            memcpy(&hdr, q->buf + q->head, 4);
            q->head += 4 + (hdr & ~OSC_ENTRY_EVENT);
            if (hdr & OSC_ENTRY_EVENT)
                q->nevents--;
            o->stats.replies_dropped++;
            continue;
        }
        if (n == 1) {
            data = q->buf + q->head + 4;
            dlen = used - 16 - 4;
        } else {
            memcpy(dgram, "#bundle\0", 8);
            put_be32(dgram + 8, 0);
            put_be32(dgram + 12, 1); /* immediately */
            size_t w = 16;
            for (size_t p = q->head; p < pos;) {
                uint32_t hdr;
                memcpy(&hdr, q->buf + p, 4);
                uint32_t size = hdr & ~OSC_ENTRY_EVENT;
                put_be32(dgram + w, size);
                memcpy(dgram + w + 4, q->buf + p + 4, size);
                w += 4 + size;
                p += 4 + size;
            }
            data = dgram;
            dlen = w;
        }
        int r = q->to.len ? o->be.send(o->be.arg, q->to.sock, (const struct sockaddr *)&q->to.addr,
                                       q->to.len, data, dlen)
                          : -EDESTADDRREQ;
        if (r == -EAGAIN || r == -ENOBUFS) {
            uint32_t shift = q->full_streak < OSC_RETRY_MAX_SHIFT ? q->full_streak
                                                                  : OSC_RETRY_MAX_SHIFT;
            q->full_streak++;
            q->retry_ns = o->be.now(o->be.arg) + (OSC_RETRY_MIN_NS << shift);
            return -EAGAIN;
        }
        q->full_streak = 0;
        q->retry_ns = 0;
        /* sent, or lost for good: either way these entries are done */
        q->head = pos;
        q->nevents -= (uint32_t)events;
        if (r < 0) {
            q->failures++;
            o->stats.replies_dropped += n;
            if (q->failures >= OSC_SEND_FAILURES_MAX) {
                osc_out_clear(q);
                return r;
            }
        } else {
            q->failures = 0;
        }
    }
    q->head = q->len = 0;
    return 0;
}

/* Main thread. */
struct osc_out *osc_reply_box(struct rill_osc *o, const struct osc_dest *to)
{
    struct osc_out *free_box = NULL, *oldest = NULL;
    for (unsigned i = 0; i < OSC_REPLY_OUTBOXES; i++) {
        struct osc_out *q = &o->replies[i];
        if (q->in_use && osc_dest_equal(&q->to, to)) {
            q->used_ns = o->be.now(o->be.arg);
            return q;
        }
        if (!q->in_use || q->head == q->len) {
            if (!free_box)
                free_box = q;
        } else if (!oldest || q->used_ns < oldest->used_ns) {
            oldest = q;
        }
    }
    struct osc_out *q = free_box ? free_box : oldest;
    if (!q)
        return NULL;
    if (q == oldest)
        o->stats.replies_dropped++; /* its destination never read: given up */
    uint8_t *buf = q->buf;
    size_t cap = q->cap;
    osc_out_init(q, to);
    q->buf = buf; /* keep the memory */
    q->cap = cap;
    q->used_ns = o->be.now(o->be.arg);
    return q;
}

/* Main thread: the timer fires at the next subscriber deadline, at once
 * when something waits to be sent, or when a full receiver is to be tried
 * again. */
void osc_rearm(struct rill_osc *o)
{
    uint64_t now = o->be.now(o->be.arg);
    uint64_t deadline = osc_events_deadline(o);
#define WAITING(q)                                                                               \
    do {                                                                                         \
        if ((q)->in_use && (q)->head < (q)->len) {                                               \
            uint64_t t_ = (q)->retry_ns > now ? (q)->retry_ns : now;                             \
            if (!deadline || t_ < deadline)                                                      \
                deadline = t_;                                                                   \
        }                                                                                        \
    } while (0)
    for (unsigned i = 0; i < OSC_REPLY_OUTBOXES; i++)
        WAITING(&o->replies[i]);
    for (unsigned i = 0; i < OSC_MAX_SUBSCRIBERS; i++)
        if (o->subs[i].in_use)
            WAITING(&o->subs[i].out);
#undef WAITING
    if (!deadline)
        return; /* an armed timer that fires for nothing is harmless */
    if (o->armed_ns && o->armed_ns <= deadline)
        return; /* it fires earlier anyway; the tick arms again */
    o->armed_ns = deadline;
    o->be.arm(o->be.arg, deadline);
}

/* Main thread. */
void osc_flush_all(struct rill_osc *o)
{
    uint64_t now = o->be.now(o->be.arg);
    o->fresh = 0;
    for (unsigned i = 0; i < OSC_REPLY_OUTBOXES; i++)
        if (o->replies[i].in_use && o->replies[i].head < o->replies[i].len &&
            o->replies[i].retry_ns <= now)
            osc_out_flush(o, &o->replies[i]);
    for (unsigned i = 0; i < OSC_MAX_SUBSCRIBERS; i++) {
        struct osc_sub *sub = &o->subs[i];
        if (!sub->in_use || sub->out.head == sub->out.len || sub->out.retry_ns > now)
            continue;
        int r = osc_out_flush(o, &sub->out);
        if (r < 0 && r != -EAGAIN && sub->out.failures >= OSC_SEND_FAILURES_MAX)
            osc_sub_end(o, sub, NULL); /* its sends keep failing: dropped */
    }
    osc_rearm(o);
}
