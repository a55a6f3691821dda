/*
 * test_handout_strip.c - the marker stripper of `make handout`
 * (labs/tools/strip.c): what a handout keeps, what it replaces, and a clear
 * error with file and line for every malformed marker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "labs/tools/strip.h"

static const char source[] =
    "int a(void)\n"
    "{\n"
    "    /* BEGIN SOLUTION(lab=1) */\n"
    "    return 1;\n"
    "    /* STUB: return lab_todo(\"LAB 1: a\"); */\n"
    "    /* END SOLUTION */\n"
    "}\n"
    "int b(void)\n"
    "{\n"
    "\t/* BEGIN SOLUTION(lab=3) */\n"
    "\tint x = 2;\n"
    "\treturn x;\n"
    "\t/* STUB: return lab_todo(\"LAB 3: b\"); */\n"
    "\t/* END SOLUTION */\n"
    "}\n"
    "/* BEGIN SOLUTION(lab=2) */\n"
    "static int helper;\n"
    "/* END SOLUTION */\n";

static char *strip(int lab, struct strip_result *r)
{
    char err[256] = "";
    if (strip_markers("f.c", source, strlen(source), lab, r, err, sizeof(err)) != 0)
        fail_msg("unexpected error: %s", err);
    return r->text;
}

static void test_handout_1_stubs_everything(void **state)
{
    (void)state;
    struct strip_result r;
    char *t = strip(1, &r);
    assert_int_equal(r.regions, 3);
    assert_int_equal(r.stubbed, 3);
    assert_string_equal(t,
        "int a(void)\n{\n    return lab_todo(\"LAB 1: a\");\n}\n"
        "int b(void)\n{\n\treturn lab_todo(\"LAB 3: b\");\n}\n");
    free(t);
}

static void test_handout_3_keeps_earlier_solutions(void **state)
{
    (void)state;
    struct strip_result r;
    char *t = strip(3, &r);
    assert_int_equal(r.stubbed, 1);
    assert_string_equal(t,
        "int a(void)\n{\n    return 1;\n}\n"
        "int b(void)\n{\n\treturn lab_todo(\"LAB 3: b\");\n}\n"
        "static int helper;\n");
    free(t);
}

static void test_past_every_lab_keeps_all(void **state)
{
    (void)state;
    struct strip_result r;
    char *t = strip(99, &r);
    assert_int_equal(r.stubbed, 0);
    assert_null(strstr(t, "SOLUTION"));
    assert_null(strstr(t, "STUB"));
    assert_non_null(strstr(t, "int x = 2;"));
    free(t);
}

static void expect_error(const char *text, const char *want)
{
    struct strip_result r;
    char err[256] = "";
    assert_int_equal(strip_markers("g.c", text, strlen(text), 1, &r, err, sizeof(err)), -1);
    if (!strstr(err, want))
        fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_malformed_markers(void **state)
{
    (void)state;
    expect_error("/* BEGIN SOLUTION(lab=1) */\n/* BEGIN SOLUTION(lab=2) */\n",
                 "g.c:2: BEGIN SOLUTION inside the region opened at line 1");
    expect_error("x\n/* BEGIN SOLUTION(lab=1) */\ny\n", "g.c:2: solution region opened here is never closed");
    expect_error("/* END SOLUTION */\n", "g.c:1: END SOLUTION without BEGIN");
    expect_error("/* STUB: x; */\n", "g.c:1: STUB outside");
    expect_error("/* BEGIN SOLUTION(lab=x) */\n", "g.c:1: malformed BEGIN");
    expect_error("/* BEGIN SOLUTION(lab=0) */\n/* END SOLUTION */\n", "g.c:1: malformed BEGIN");
    expect_error("/* BEGIN SOLUTION(lab=1) */\n/* STUB: a; */\n/* STUB: b; */\n/* END SOLUTION */\n",
                 "g.c:3: second STUB");
    expect_error("/* BEGIN SOLUTION(lab=1) */\n/* STUB: a;\n", "g.c:2: a STUB must fit on one line");
}

static void test_markdown_markers(void **state)
{
    (void)state;
    const char *md = "## Results\n<!-- BEGIN SOLUTION(lab=6) -->\nTrap is 30x slower.\n"
                     "<!-- STUB: _your answer here_ -->\n<!-- END SOLUTION -->\nEnd.\n";
    struct strip_result r;
    char err[128];
    assert_int_equal(strip_markers("r.md", md, strlen(md), 6, &r, err, sizeof(err)), 0);
    assert_string_equal(r.text, "## Results\n_your answer here_\nEnd.\n");
    free(r.text);
    assert_int_equal(strip_markers("r.md", md, strlen(md), 7, &r, err, sizeof(err)), 0);
    assert_string_equal(r.text, "## Results\nTrap is 30x slower.\nEnd.\n");
    free(r.text);
}

static void test_no_markers_is_unchanged(void **state)
{
    (void)state;
    const char *plain = "int main(void) { return 0; }\n";
    struct strip_result r;
    char err[64];
    assert_int_equal(strip_markers("p.c", plain, strlen(plain), 1, &r, err, sizeof(err)), 0);
    assert_int_equal(r.regions, 0);
    assert_string_equal(r.text, plain);
    free(r.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handout_1_stubs_everything),
        cmocka_unit_test(test_handout_3_keeps_earlier_solutions),
        cmocka_unit_test(test_past_every_lab_keeps_all),
        cmocka_unit_test(test_malformed_markers),
        cmocka_unit_test(test_markdown_markers),
        cmocka_unit_test(test_no_markers_is_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
