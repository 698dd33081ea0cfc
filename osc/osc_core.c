/* osc/osc_core.c — the core's life cycle and its timer (osc/osc_core.h).
 * Main thread only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "osc/osc_priv.h"

/* Main thread. */
int rill_osc_new(const struct rill_osc_config *cfg, const struct rill_osc_backend *be,
                 struct rill_osc **out)
{
    struct rill_osc *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    o->cfg = *cfg;
    o->be = *be;
    *out = o;
    return 0;
}

/* Main thread. */
void rill_osc_free(struct rill_osc *o, const char *reason)
{
    if (!o)
        return;
    for (unsigned i = 0; i < OSC_MAX_SUBSCRIBERS; i++)
        if (o->subs[i].in_use)
            osc_sub_end(o, &o->subs[i], reason);
    for (unsigned i = 0; i < OSC_REPLY_OUTBOXES; i++) {
        if (o->replies[i].head < o->replies[i].len)
            osc_out_flush(o, &o->replies[i]);
        osc_out_free(&o->replies[i]);
    }
    free(o);
}

/* Main thread. */
void rill_osc_tick(struct rill_osc *o)
{
    o->armed_ns = 0; /* it fired */
    osc_events_tick(o, o->be.now(o->be.arg));
    osc_flush_all(o);
}
