/* tests/fuzz/fuzz-midi_rawdev.c — the raw MIDI bridge's device lists
 * (midi/midi_rawdev.c): the load_init text of alsa_rawmidi (devices=) and
 * alsa_midi (raw_devices=), which any client may send with jack_load, and
 * one device name as rilld's --midi-raw takes it.
 *
 * Input: the text (up to its first '\0', at most 1023 bytes).
 * Checked: a refusal says why; an accepted list has at most
 * RILL_MIDI_RAWDEV_MAX devices in their ranges, leaves blanks where the
 * pair was and survives format -> parse_list unchanged; match and
 * of_seq_port never read out of bounds (ASan) and give sane values.
 */
#include <errno.h>
#include <string.h>

#include "midi/midi_rawdev.h"
#include "tests/fuzz/fuzz.h"

static void check_list(const struct rill_midi_rawdevs *l)
{
    FUZZ_ASSERT(l->n <= RILL_MIDI_RAWDEV_MAX);
    for (unsigned k = 0; k < l->n; k++) {
        const struct rill_midi_rawdev *d = &l->d[k];
        FUZZ_ASSERT(memchr(d->card_id, '\0', sizeof(d->card_id)));
        FUZZ_ASSERT(d->card_id[0] ? d->card == -1 : d->card >= 0 && d->card <= 31);
        FUZZ_ASSERT(d->device >= 0 && d->device <= 31 && d->sub >= -1 && d->sub <= 31);
        FUZZ_ASSERT(rill_midi_rawdevs_match(l, d->card, d->card_id[0] ? d->card_id : NULL,
                                            d->device, d->sub));
    }
    char out[RILL_MIDI_RAWDEV_MAX * 48], err[512] = "";
    struct rill_midi_rawdevs back = { 0 };
    FUZZ_ASSERT(rill_midi_rawdevs_format(l, out, sizeof(out)) == 0);
    if (l->n) {
        FUZZ_ASSERT(rill_midi_rawdevs_parse_list(out, &back, "x", err, sizeof(err)) == 0);
        FUZZ_ASSERT(back.n == l->n && memcmp(back.d, l->d, l->n * sizeof(l->d[0])) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[1024], copy[1024], err[512];
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    n = strlen(text);
    memcpy(copy, text, n + 1);

    /* the modules' load_init */
    struct rill_midi_rawdevs l = { 0 };
    err[0] = '\0';
    int r = rill_midi_rawdevs_take(text, "devices", &l, "devices=", err, sizeof(err));
    FUZZ_ASSERT(r == 0 || (r == -EINVAL && err[0]));
    FUZZ_ASSERT(strlen(text) == n); /* blanked in place, never cut */
    if (r == 0) {
        check_list(&l);
        for (size_t i = 0; i < n; i++) /* only the pair changed, to blanks */
            FUZZ_ASSERT(text[i] == copy[i] || text[i] == ' ');
    }

    /* one device, as --midi-raw */
    struct rill_midi_rawdev d;
    err[0] = '\0';
    r = rill_midi_rawdev_parse(copy, &d, "--midi-raw", err, sizeof(err));
    FUZZ_ASSERT(r == 0 || (r == -EINVAL && err[0]));
    if (r == 0) {
        struct rill_midi_rawdevs one = { 1, { d } };
        check_list(&one);
    }

    /* a sequencer client's name */
    int dev = -2, sub = -2;
    rill_midi_rawdev_of_seq_port(copy, (unsigned char)copy[0] % 32, n % 256, &dev, &sub);
    FUZZ_ASSERT(dev >= 0 && sub >= -1 && sub < 32);
    return 0;
}
