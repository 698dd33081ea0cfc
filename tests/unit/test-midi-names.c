/* tests/unit/test-midi-names.c — midi/midi_names.c: names from ALSA client
 * and port names only (no numbers, no PIDs), the collision suffix. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "midi/midi_names.h"

static void base_is(const char *client, const char *port, const char *want)
{
    char out[256];
    assert_int_equal(rill_midi_name_base(client, port, out, sizeof(out)), 0);
    assert_string_equal(out, want);
}

static void test_base(void **state)
{
    (void)state;
    base_is("Midi Through", "Midi Through Port-0", "Midi Through Port-0");
    base_is("Virtual Raw MIDI 1-0", "VirMIDI 1-0", "Virtual Raw MIDI 1-0 VirMIDI 1-0");
    /* PIDs and addresses in names go */
    base_is("FLUID Synth (4711)", "Synth input port (4711:0)", "FLUID Synth Synth input port");
    base_is("  a:b\tc ", "x", "a b c x");
    base_is("", "port", "port");
    base_is("client", "", "client");
    /* a group with letters is part of the name */
    base_is("Synth (USB)", "Out", "Synth (USB) Out");
    char out[256];
    assert_int_equal(rill_midi_name_base("(12)", " ", out, sizeof(out)), -EINVAL);
}

static void test_long(void **state)
{
    (void)state;
    char client[300], out[256];
    memset(client, 'a', 299);
    client[299] = '\0';
    assert_int_equal(rill_midi_name_base(client, "p", out, sizeof(out)), 0);
    assert_true(strlen(out) <= RILL_MIDI_NAME_MAX - 15);
    /* a cut never splits a UTF-8 character */
    char u[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(u, "\xc3\xa9"); /* e acute */
    assert_int_equal(rill_midi_name_base(u, "p", out, sizeof(out)), 0);
    assert_int_equal(strlen(out) % 2, 0);
}

struct taken {
    const char *names[8];
    int n;
};
static int is_taken(void *arg, const char *name)
{
    struct taken *t = arg;
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->names[i], name) == 0)
            return 1;
    return 0;
}

static void test_unique(void **state)
{
    (void)state;
    char out[RILL_MIDI_NAME_MAX + 1];
    struct taken t = { { "Midi Through Port-0 (capture)", "Synth (playback)",
                         "Synth #2 (playback)" },
                       3 };
    assert_int_equal(rill_midi_name_unique("Midi Through Port-0", 0, is_taken, &t, out,
                                           sizeof(out)),
                     0);
    assert_string_equal(out, "Midi Through Port-0 (playback)");
    assert_int_equal(rill_midi_name_unique("Midi Through Port-0", 1, is_taken, &t, out,
                                           sizeof(out)),
                     0);
    assert_string_equal(out, "Midi Through Port-0 #2 (capture)");
    assert_int_equal(rill_midi_name_unique("Synth", 0, is_taken, &t, out, sizeof(out)), 0);
    assert_string_equal(out, "Synth #3 (playback)");
    assert_int_equal(rill_midi_name_unique("Synth", 1, is_taken, &t, out, sizeof(out)), 0);
    assert_string_equal(out, "Synth (capture)");
}

static int all_taken(void *arg, const char *name)
{
    (void)arg;
    (void)name;
    return 1;
}

static void test_exhausted(void **state)
{
    (void)state;
    char out[RILL_MIDI_NAME_MAX + 1];
    assert_int_equal(rill_midi_name_unique("x", 1, all_taken, NULL, out, sizeof(out)), -EEXIST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base),
        cmocka_unit_test(test_long),
        cmocka_unit_test(test_unique),
        cmocka_unit_test(test_exhausted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
