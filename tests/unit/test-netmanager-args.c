/* tests/unit/test-netmanager-args.c — the netmanager's arguments
 * (internal/netmanager_args.c): jackd2's forms, defaults from the
 * environment, and every refusal naming what was wrong.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal/netmanager.h"

static char err[512];

static int parse(const char *args, struct nm_config *c)
{
    err[0] = 0;
    return nm_config_parse(args, c, err, sizeof err);
}

static void test_defaults(void **state)
{
    (void)state;
    struct nm_config c;
    unsetenv("JACK_NETJACK_MULTICAST");
    unsetenv("JACK_NETJACK_PORT");
    assert_int_equal(parse(NULL, &c), 0);
    assert_string_equal(c.address, "225.3.19.154");
    assert_int_equal(c.port, 19000);
    assert_int_equal(c.auto_connect, 0);
    assert_int_equal(parse("", &c), 0);
    assert_int_equal(parse("  ,, ", &c), 0);
    assert_int_equal(c.port, 19000);
}

static void test_forms(void **state)
{
    (void)state;
    struct nm_config c;
    assert_int_equal(parse("-a 225.1.2.3 -p 19001 -c", &c), 0);
    assert_string_equal(c.address, "225.1.2.3");
    assert_int_equal(c.port, 19001);
    assert_int_equal(c.auto_connect, 1);
    assert_int_equal(c.auto_save, 0);
    assert_int_equal(parse("-s", &c), 0);
    assert_int_equal(c.auto_save, 1);
    assert_int_equal(parse("--auto-save -c", &c), 0);
    assert_int_equal(c.auto_save, 1);
    assert_int_equal(parse("-a10.0.0.1,-p19002", &c), 0);
    assert_string_equal(c.address, "10.0.0.1");
    assert_int_equal(c.port, 19002);
    assert_int_equal(parse("--multicast-ip=239.0.0.1 --udp-net-port 5000 --auto-connect", &c), 0);
    assert_string_equal(c.address, "239.0.0.1");
    assert_int_equal(c.port, 5000);
    assert_int_equal(c.auto_connect, 1);
}

static void test_environment(void **state)
{
    (void)state;
    struct nm_config c;
    setenv("JACK_NETJACK_MULTICAST", "239.9.9.9", 1);
    setenv("JACK_NETJACK_PORT", "20000", 1);
    assert_int_equal(parse(NULL, &c), 0);
    assert_string_equal(c.address, "239.9.9.9");
    assert_int_equal(c.port, 20000);
    assert_int_equal(parse("-p 20001", &c), 0); /* arguments win */
    assert_int_equal(c.port, 20001);
    setenv("JACK_NETJACK_PORT", "port", 1);
    assert_int_equal(parse(NULL, &c), -EINVAL);
    assert_non_null(strstr(err, "$JACK_NETJACK_PORT 'port'"));
    unsetenv("JACK_NETJACK_MULTICAST");
    unsetenv("JACK_NETJACK_PORT");
}

static void test_refusals(void **state)
{
    (void)state;
    struct nm_config c;
    static const struct {
        const char *args;
        int ret;
        const char *says;
    } bad[] = {
        { "-x", -EINVAL, "unknown argument '-x'" },
        { "225.3.19.154", -EINVAL, "unknown argument '225.3.19.154'" },
        { "-a", -EINVAL, "-a needs a value" },
        { "-p", -EINVAL, "-p needs a value" },
        { "-a 1.2.3", -EINVAL, "not an IPv4 address" },
        { "-a ::1", -EINVAL, "not an IPv4 address" },
        { "-p 0", -EINVAL, "a number from 1 to 65535" },
        { "-p 65536", -EINVAL, "a number from 1 to 65535" },
        { "-p 12x", -EINVAL, "a number from 1 to 65535" },
        { "-p -5", -EINVAL, "a number from 1 to 65535" },
        { "--auto-connect=1", -EINVAL, "takes no value" },
        { "--bogus", -EINVAL, "unknown argument '--bogus'" },
        { "--auto-save=yes", -EINVAL, "takes no value" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i].args, &c), bad[i].ret);
        if (!strstr(err, bad[i].says))
            fail_msg("'%s': '%s' does not say '%s'", bad[i].args, err, bad[i].says);
    }
    assert_int_equal(parse("-h", &c), 1);
    assert_non_null(strstr(err, "-a/--multicast-ip"));
    char longer[2048];
    memset(longer, 'c', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    assert_int_equal(parse(longer, &c), -EINVAL);
    assert_non_null(strstr(err, "longer than"));
    char many[512] = "";
    for (int i = 0; i < 70; i++)
        strcat(many, "-c ");
    assert_int_equal(parse(many, &c), -EINVAL);
    assert_non_null(strstr(err, "too many"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
