/* tests/unit/test-midi-rawdev.c — midi/midi_rawdev.c: device names for
 * the raw MIDI bridge (rilld --midi-raw), their lists as the bridges'
 * load_init carries them, which endpoints and sequencer ports they cover. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "midi/midi_rawdev.h"

static void test_parse(void **state)
{
    (void)state;
    struct rill_midi_rawdev d;
    char err[512];
    assert_int_equal(rill_midi_rawdev_parse("hw:3,0", &d, "x", err, sizeof(err)), 0);
    assert_int_equal(d.card, 3);
    assert_string_equal(d.card_id, "");
    assert_int_equal(d.device, 0);
    assert_int_equal(d.sub, -1);
    assert_int_equal(rill_midi_rawdev_parse("hw:VirMIDI,1,15", &d, "x", err, sizeof(err)), 0);
    assert_int_equal(d.card, -1);
    assert_string_equal(d.card_id, "VirMIDI");
    assert_int_equal(d.device, 1);
    assert_int_equal(d.sub, 15);
    const char *bad[] = { "", "hw:", "hw:3", "hw:3,", "hw:,0", "hw:32,0", "hw:03,0", "hw:3,32",
                          "hw:3,0,", "hw:3,0,x", "hw:3,0,1,2", "3,0", "hw:a b,0", "hw:-1,0",
                          "hw:abcdefghijabcdefghijabcdefghijab,0" };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        err[0] = '\0';
        int r = rill_midi_rawdev_parse(bad[k], &d, "--midi-raw", err, sizeof(err));
        if (r != -EINVAL)
            fail_msg("'%s' was taken", bad[k]);
        assert_non_null(strstr(err, "--midi-raw"));
        assert_non_null(strstr(err, "hw:CARD,DEVICE"));
    }
}

static void test_list_and_take(void **state)
{
    (void)state;
    struct rill_midi_rawdevs l = { 0 };
    char err[512], out[256];
    char args[] = "sysex=1024 devices=hw:3,0+hw:VirMIDI,1,2 verbose=1";
    assert_int_equal(rill_midi_rawdevs_take(args, "devices", &l, "devices=", err, sizeof(err)), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(args, "sysex=1024                               verbose=1");
    assert_int_equal(rill_midi_rawdevs_format(&l, out, sizeof(out)), 0);
    assert_string_equal(out, "hw:3,0+hw:VirMIDI,1,2");
    /* a key that only ends like it is another key */
    struct rill_midi_rawdevs m = { 0 };
    char args2[] = "raw_devices=hw:1,0";
    assert_int_equal(rill_midi_rawdevs_take(args2, "devices", &m, "d", err, sizeof(err)), 0);
    assert_int_equal(m.n, 0);
    assert_int_equal(rill_midi_rawdevs_take(args2, "raw_devices", &m, "d", err, sizeof(err)), 0);
    assert_int_equal(m.n, 1);
    char args3[] = "devices=hw:1,0+";
    assert_int_equal(rill_midi_rawdevs_take(args3, "devices", &m, "d", err, sizeof(err)), -EINVAL);
    struct rill_midi_rawdevs full = { 0 };
    for (unsigned k = 0; k < RILL_MIDI_RAWDEV_MAX; k++)
        assert_int_equal(rill_midi_rawdevs_add(&full, "hw:1,0", "x", err, sizeof(err)), 0);
    assert_int_equal(rill_midi_rawdevs_add(&full, "hw:1,0", "x", err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "at most 16"));
}

static void test_match(void **state)
{
    (void)state;
    struct rill_midi_rawdevs l = { 0 };
    char err[512];
    assert_int_equal(rill_midi_rawdevs_add(&l, "hw:3,0", "x", err, sizeof(err)), 0);
    assert_int_equal(rill_midi_rawdevs_add(&l, "hw:UMONE,0,1", "x", err, sizeof(err)), 0);
    assert_true(rill_midi_rawdevs_match(&l, 3, "VirMIDI", 0, -1));
    assert_true(rill_midi_rawdevs_match(&l, 3, "VirMIDI", 0, 5)); /* every subdevice */
    assert_false(rill_midi_rawdevs_match(&l, 3, "VirMIDI", 1, -1));
    assert_false(rill_midi_rawdevs_match(&l, 2, "VirMIDI", 0, -1));
    assert_true(rill_midi_rawdevs_match(&l, 1, "UMONE", 0, 1));
    assert_false(rill_midi_rawdevs_match(&l, 1, "UMONE", 0, 0));
    assert_true(rill_midi_rawdevs_match(&l, 1, "UMONE", 0, -1)); /* the device as a whole */
    /* by id without the endpoint's id: the resolved number */
    assert_false(rill_midi_rawdevs_match(&l, 1, NULL, 0, 1));
    l.d[1].card = 1;
    assert_true(rill_midi_rawdevs_match(&l, 1, NULL, 0, 1));
}

static void test_seq_port(void **state)
{
    (void)state;
    int d, s;
    rill_midi_rawdev_of_seq_port("Virtual Raw MIDI 3-1", 3, 0, &d, &s);
    assert_int_equal(d, 1);
    assert_int_equal(s, -1);
    /* snd-seq-midi: port = device * 32 + subdevice */
    rill_midi_rawdev_of_seq_port("UM-ONE", 1, 33, &d, &s);
    assert_int_equal(d, 1);
    assert_int_equal(s, 1);
    /* "C-D" of another card is no VirMIDI name of this one */
    rill_midi_rawdev_of_seq_port("Synth 2-1", 3, 0, &d, &s);
    assert_int_equal(d, 0);
    assert_int_equal(s, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_list_and_take),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_seq_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
