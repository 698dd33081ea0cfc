/* tests/unit/test-autostart.c — the server configuration file's parser
 * (common/server_config.h): what the config fuzz harness found.
 */
#include "common/server_config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The command line of a file holding text: rill_server_config_read's result. */
static int line_of(const char *text, char *line, size_t size)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    int r = rill_server_config_read(f, line, size);
    fclose(f);
    return r;
}

static void test_first_line(void **state)
{
    char line[1024];
    assert_int_equal(line_of("# c\n\n  \t rilld -d dummy\r\nrilld -d alsa\n", line, sizeof(line)),
                     1);
    assert_string_equal(line, "rilld -d dummy");
    assert_int_equal(line_of("# only\n\n", line, sizeof(line)), 0);
    assert_int_equal(line_of(" \r\n\t\n", line, sizeof(line)), 0);
}

/* A comment longer than the line buffer used to have its tail read as the
 * command line. */
static void test_long_comment(void **state)
{
    size_t n = 3000;
    char *text = malloc(n + 64);
    assert_non_null(text);
    text[0] = '#';
    memset(text + 1, 'x', n);
    strcpy(text + 1 + n, " rilld -n evil -d alsa\nrilld -d dummy\n");
    char line[1024];
    assert_int_equal(line_of(text, line, sizeof(line)), 1);
    assert_string_equal(line, "rilld -d dummy");
    /* blanks of any length are a blank line */
    memset(text, ' ', n);
    strcpy(text + n, "\nrilld -d dummy\n");
    assert_int_equal(line_of(text, line, sizeof(line)), 1);
    assert_string_equal(line, "rilld -d dummy");
    free(text);
}

/* A command line longer than the buffer used to be cut silently. */
static void test_long_line(void **state)
{
    size_t n = 2000;
    char *text = malloc(n + 64);
    assert_non_null(text);
    strcpy(text, "rilld -d dummy");
    memset(text + 14, ' ', n);
    strcpy(text + 14 + n, "-p 64\n");
    char line[1024];
    assert_int_equal(line_of(text, line, sizeof(line)), -E2BIG);
    free(text);
}

/* Found by the config harness: a line starting with CR and text was read
 * as an empty command line. */
static void test_cr(void **state)
{
    char line[1024];
    assert_int_equal(line_of("# c\n\r rilld -d dummy \t\r\n", line, sizeof(line)), 1);
    assert_string_equal(line, "rilld -d dummy");
    assert_int_equal(line_of("\r\n\r\r\n", line, sizeof(line)), 0);
}

/* A NUL byte in the command line is refused, not read as its end. */
static void test_nul(void **state)
{
    static const char text[] = "rilld -d\0 dummy\n";
    FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
    assert_non_null(f);
    char line[1024];
    assert_int_equal(rill_server_config_read(f, line, sizeof(line)), -EILSEQ);
    fclose(f);
}

static void test_argv(void **state)
{
    char line[] = "rilld -n mine --name=x -T -d alsa -d hw:0 -n 3";
    char *argv[RILL_SERVER_CONFIG_MAX_WORDS];
    char program[512];
    int argc = rill_server_config_argv(line, "srv", 0, argv, program, sizeof(program));
    assert_int_equal(argc, 10);
    const char *want[] = { "rilld", "-n", "srv", "-T", "-d", "alsa", "-d", "hw:0", "-n", "3" };
    for (int i = 0; i < argc; i++)
        assert_string_equal(argv[i], want[i]);
    assert_null(argv[argc]);
}

/* -dDRIVER (glued) starts the driver's options too: its -n is the ALSA
 * driver's period count and used to be dropped as a server name. */
static void test_argv_glued_driver(void **state)
{
    char line[] = "rilld -dalsa -n 3";
    char *argv[RILL_SERVER_CONFIG_MAX_WORDS];
    char program[512];
    int argc = rill_server_config_argv(line, "srv", 0, argv, program, sizeof(program));
    assert_int_equal(argc, 6);
    assert_string_equal(argv[3], "-dalsa");
    assert_string_equal(argv[4], "-n");
    assert_string_equal(argv[5], "3");
}

/* Found by the config harness: the value of a server option that looks
 * like -d (here -l's) was taken for the driver, so that a -n after it
 * named the server. */
static void test_argv_option_values(void **state)
{
    char line[] = "rilld -l -dd -nevil -t 500 -l -d --load -n --name=x -d dummy -n 2";
    char *argv[RILL_SERVER_CONFIG_MAX_WORDS];
    char program[512];
    int argc = rill_server_config_argv(line, "srv", 0, argv, program, sizeof(program));
    const char *want[] = { "rilld", "-n", "srv", "-l", "-dd", "-t", "500", "-l", "-d", "--load",
                           "-n", "-d", "dummy", "-n", "2" };
    assert_int_equal(argc, (int)(sizeof(want) / sizeof(want[0])));
    for (int i = 0; i < argc; i++)
        assert_string_equal(argv[i], want[i]);
}

/* rilld --from-config drops -T, but not an option's value that reads -T */
static void test_argv_drop_temporary(void **state)
{
    char line[] = "rilld -T -l -T --temporary -d dummy -T";
    char *argv[RILL_SERVER_CONFIG_MAX_WORDS];
    char program[512];
    int argc = rill_server_config_argv(line, "srv", 1, argv, program, sizeof(program));
    const char *want[] = { "rilld", "-n", "srv", "-l", "-T", "-d", "dummy", "-T" };
    assert_int_equal(argc, (int)(sizeof(want) / sizeof(want[0])));
    for (int i = 0; i < argc; i++)
        assert_string_equal(argv[i], want[i]);
}

static void test_argv_limits(void **state)
{
    char empty[] = " \t ";
    char *argv[RILL_SERVER_CONFIG_MAX_WORDS];
    char program[512];
    assert_int_equal(rill_server_config_argv(empty, "srv", 0, argv, program, sizeof(program)),
                     -EINVAL);
    char many[RILL_SERVER_CONFIG_MAX_WORDS * 3 + 8] = "rilld";
    for (int i = 0; i < RILL_SERVER_CONFIG_MAX_WORDS; i++)
        strcat(many, " -v");
    assert_int_equal(rill_server_config_argv(many, "srv", 0, argv, program, sizeof(program)),
                     -E2BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_line),       cmocka_unit_test(test_long_comment),
        cmocka_unit_test(test_long_line),        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_argv_glued_driver), cmocka_unit_test(test_argv_limits),
        cmocka_unit_test(test_cr),               cmocka_unit_test(test_nul),
        cmocka_unit_test(test_argv_option_values),
        cmocka_unit_test(test_argv_drop_temporary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
