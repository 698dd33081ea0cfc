/* tests/fuzz/midi_rewrite.c — the per-port rewriting rules
 * (midi/midi_rewrite.c), which any JACK client can set as a port property:
 * the input up to the first NUL is the rule text, the bytes after it are
 * messages (each: a length byte, then that many bytes) that the parsed
 * rules are applied to. Parsing must succeed or name the rule with an
 * error; applying must keep a message's length or drop it, never produce a
 * message without its status byte, and never touch a sysex's body.
 * Seeds in tests/fuzz/midi_rewrite/seeds/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "midi/midi_rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[300];
    size_t n = 0;
    while (n < size && data[n] && n < sizeof(text) - 1) {
        text[n] = (char)data[n];
        n++;
    }
    text[n] = '\0';
    size_t pos = n < size ? n + 1 : size;
    uint32_t rw = 0;
    char err[256] = "";
    if (rill_midi_rewrite_parse(text, &rw, err, sizeof(err)) < 0) {
        if (!err[0])
            abort(); /* a refusal always says why */
        rw = 0;
    }
    while (pos < size) {
        size_t len = data[pos++];
        if (len > size - pos)
            len = size - pos;
        uint8_t m[256], before[256];
        memcpy(m, data + pos, len);
        memcpy(before, m, len);
        pos += len;
        size_t out = rill_midi_rewrite_apply(rw, m, len);
        if (out != 0 && out != len)
            abort();
        if (out && len && (before[0] >= 0x80) != (m[0] >= 0x80))
            abort(); /* a status byte stays one, a data byte stays one */
        if (out && len > 1 && before[0] == 0xf0 && memcmp(before, m, len) != 0)
            abort(); /* a sysex is never changed */
        if (rw == 0 && (out != len || memcmp(before, m, len) != 0))
            abort(); /* no rules: nothing rewritten */
    }
    return 0;
}
