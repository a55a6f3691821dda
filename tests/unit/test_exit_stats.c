/*
 * test_exit_stats.c - exit statistics (vmm/exit-stats.c): counting by
 * reason, totals, reset, the table and the JSON output (escaping included).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/exit-stats.h"

/* Run a printer into a string; the caller frees it. */
static char *capture(void (*print)(const struct exit_stats *, FILE *),
                     const struct exit_stats *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    print(s, out);
    fclose(out);
    return buf;
}

static void test_record_and_totals(void **state)
{
    struct exit_stats s;
    uint64_t ns;
    (void)state;
    exit_stats_init(&s, "interp");

    exit_stats_record(&s, EXIT_REASON_IO_INSTRUCTION, 1000);
    exit_stats_record(&s, EXIT_REASON_IO_INSTRUCTION, 3000);
    exit_stats_record(&s, EXIT_REASON_HLT, 500);
    exit_stats_record(&s, VMX_EXIT_REASON_FAILED | 33, 7); /* whole exit reason */
    exit_stats_record(&s, 5000, 10);                        /* beyond the table */
    assert_int_equal(s.count[30], 2);
    assert_int_equal(s.ns[30], 4000);
    assert_int_equal(s.count[12], 1);
    assert_int_equal(s.count[33], 1);
    assert_int_equal(s.count[EXIT_STATS_OTHER], 1);
    assert_int_equal(exit_stats_total(&s, &ns), 5);
    assert_int_equal(ns, 4517);
    assert_int_equal(exit_stats_total(&s, NULL), 5);

    exit_stats_reset(&s);
    assert_int_equal(exit_stats_total(&s, &ns), 0);
    assert_int_equal(ns, 0);
    assert_string_equal(s.engine, "interp");
}

static void test_clock_moves_forward(void **state)
{
    (void)state;
    uint64_t a = exit_stats_now_ns(), b = exit_stats_now_ns();
    assert_true(a > 0 && b >= a);
}

static void test_table(void **state)
{
    struct exit_stats s;
    (void)state;
    exit_stats_init(&s, "trap");
    exit_stats_record(&s, EXIT_REASON_IO_INSTRUCTION, 3000);
    exit_stats_record(&s, EXIT_REASON_IO_INSTRUCTION, 5000);
    exit_stats_record(&s, EXIT_REASON_IO_INSTRUCTION, 4000);
    exit_stats_record(&s, EXIT_REASON_HLT, 1000);

    char *t = capture(exit_stats_print, &s);
    assert_non_null(strstr(t, "exits on trap: 4, 0.013 ms"));
    /* reason, name, count, share, total us, mean ns */
    assert_non_null(strstr(t, "    30  I/O instruction"));
    assert_non_null(strstr(t, "3   75.0%         12.0       4000\n"));
    assert_non_null(strstr(t, "    12  HLT"));
    assert_non_null(strstr(t, "1   25.0%          1.0       1000\n"));
    assert_null(strstr(t, "CPUID"));                /* reasons never seen */
    /* Sorted by reason number. */
    assert_true(strstr(t, "    12  HLT") < strstr(t, "    30  I/O"));
    free(t);
}

static void test_empty_table(void **state)
{
    struct exit_stats s;
    (void)state;
    exit_stats_init(&s, "kvm");
    char *t = capture(exit_stats_print, &s);
    assert_non_null(strstr(t, "exits on kvm: 0, 0.000 ms"));
    free(t);
    t = capture(exit_stats_json, &s);
    assert_string_equal(t, "{\"engine\": \"kvm\", \"exits\": 0, \"ns\": 0, \"by_reason\": []}\n");
    free(t);
}

static void test_json(void **state)
{
    struct exit_stats s;
    (void)state;
    exit_stats_init(&s, "interp");
    exit_stats_record(&s, EXIT_REASON_HLT, 100);
    exit_stats_record(&s, EXIT_REASON_IO_INSTRUCTION, 200);
    exit_stats_record(&s, EXIT_REASON_IO_INSTRUCTION, 400);
    exit_stats_record(&s, 999, 5);

    char *j = capture(exit_stats_json, &s);
    assert_string_equal(j,
        "{\"engine\": \"interp\", \"exits\": 4, \"ns\": 705, \"by_reason\": ["
        "{\"reason\": 12, \"name\": \"HLT\", \"count\": 1, \"share_pct\": 25.00, "
        "\"ns\": 100, \"mean_ns\": 100}, "
        "{\"reason\": 30, \"name\": \"I/O instruction\", \"count\": 2, \"share_pct\": 50.00, "
        "\"ns\": 600, \"mean_ns\": 300}, "
        "{\"reason\": null, \"name\": \"other (number beyond the table)\", \"count\": 1, "
        "\"share_pct\": 25.00, \"ns\": 5, \"mean_ns\": 5}]}\n");
    free(j);
}

static void test_json_escapes_strings(void **state)
{
    struct exit_stats s;
    (void)state;
    exit_stats_init(&s, "a\"b\\c\nd\x01" "e/\xc3\xa9");
    char *j = capture(exit_stats_json, &s);
    assert_non_null(strstr(j, "{\"engine\": \"a\\\"b\\\\c\\nd\\u0001e/\xc3\xa9\", "));
    free(j);

    exit_stats_init(&s, NULL);
    j = capture(exit_stats_json, &s);
    assert_non_null(strstr(j, "{\"engine\": null, "));
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_and_totals),
        cmocka_unit_test(test_clock_moves_forward),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_escapes_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
