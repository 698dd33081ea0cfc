/* midi/raw_names.c — the base name of a rawmidi endpoint (raw_names.h).
 * Any thread. */
#include <stdio.h>

#include "midi/midi_names.h"
#include "midi/raw_names.h"

void rill_midi_raw_base(const char *dev_name, const char *sub_name, int device, char *out,
                        size_t size)
{
    char num[16];
    snprintf(num, sizeof(num), "%d", device);
    const char *second = sub_name && sub_name[0] ? sub_name : num;
    if (rill_midi_name_base(dev_name ? dev_name : "", second, out, size) < 0)
        snprintf(out, size, "rawmidi %d", device);
}
