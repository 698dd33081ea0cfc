/* tests/unit/test-alsa-loop.c — the loop guard of rilld's ALSA driver
 * (drivers/alsa/alsa_loop.h): devices built on the rill plugin, directly,
 * through a slave named or inline, through a renamed plugin type, with
 * arguments, are refused; plain devices and a self-referencing definition
 * are not (and do not hang); the driver's open says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/alsa/alsa_loop.h"

static char conf_path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(conf_path, sizeof conf_path, "/tmp/rill-test-alsa-loop.%d.conf", (int)getpid());
    FILE *f = fopen(conf_path, "w");
    if (!f)
        return -1;
    fputs("pcm_type.rill { lib \"/nowhere/libasound_module_pcm_rill.so\" }\n"
          "pcm_type.renamed { lib \"/opt/x/libasound_module_pcm_rill.so\" }\n"
          "pcm.rill { @args [ SERVER ] @args.SERVER { type string default \"\" }\n"
          "           type rill server $SERVER }\n"
          "pcm.named { type plug slave.pcm \"rill\" }\n"
          "pcm.deeper { type softvol slave { pcm \"named\" } control.name \"x\" }\n"
          "pcm.inline { type plug slave { pcm { type rill } } }\n"
          "pcm.other { type renamed }\n"
          "pcm.plain { type null }\n"
          "pcm.plugnull { type plug slave.pcm \"plain\" }\n"
          "pcm.self { type plug slave.pcm \"self\" }\n",
          f);
    fclose(f);
    setenv("ALSA_CONFIG_PATH", conf_path, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    snd_config_update_free_global();
    unlink(conf_path);
    return 0;
}

static void test_refused(void **state)
{
    (void)state;
    const char *loops[] = { "rill", "rill:studio", "named", "deeper", "inline", "other" };
    for (size_t k = 0; k < sizeof(loops) / sizeof(loops[0]); k++) {
        char why[256];
        assert_int_equal(rill_alsa_leads_to_rill(loops[k], why, sizeof why), 1);
        print_message("%s: %s\n", loops[k], why);
        assert_non_null(strstr(why, "type"));
    }
}

static void test_allowed(void **state)
{
    (void)state;
    const char *fine[] = { "plain", "plugnull", "self", "nosuchdevice", "hw:0" };
    for (size_t k = 0; k < sizeof(fine) / sizeof(fine[0]); k++)
        assert_int_equal(rill_alsa_leads_to_rill(fine[k], NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_allowed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
