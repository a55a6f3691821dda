/*
 * test_options.c - the command line of `vmm run` (vmm/options.c, chapter 2):
 * defaults, every option, and a clear error for every kind of bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/options.h"

static enum options_result parse(struct vmm_options *o, char *err, size_t errlen, ...)
{
    char *argv[32] = { "vmm" };
    int argc = 1;
    va_list ap;
    va_start(ap, errlen);
    for (char *a; (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    err[0] = 0;
    return options_parse(argc, argv, o, err, errlen);
}

static void test_defaults(void **state)
{
    (void)state;
    struct vmm_options o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "run", NULL), OPTIONS_RUN);
    assert_string_equal(o.engine, "auto");
    assert_int_equal(o.mem_mib, 64);
    assert_null(o.guest);
    assert_null(o.disk);
    assert_false(o.no_disk);
    assert_false(o.stats);
    assert_null(o.stats_json);
    assert_true(o.timeout_s == 0);
}

static void test_every_option(void **state)
{
    (void)state;
    struct vmm_options o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "run", "--engine", "interp", "--mem=128",
                           "--disk", "d.img", "--cmdline", "run=compute n=5", "--stats",
                           "--stats=json:out.json", "--trace", "exits", "--timeout", "2.5",
                           "kernel.elf", NULL),
                     OPTIONS_RUN);
    assert_string_equal(o.engine, "interp");
    assert_int_equal(o.mem_mib, 128);
    assert_string_equal(o.disk, "d.img");
    assert_string_equal(o.cmdline, "run=compute n=5");
    assert_true(o.stats);
    assert_string_equal(o.stats_json, "out.json");
    assert_true(o.trace_exits);
    assert_true(o.timeout_s == 2.5);
    assert_string_equal(o.guest, "kernel.elf");

    assert_int_equal(parse(&o, err, sizeof err, "run", "--disk=none", "--stats=json", NULL),
                     OPTIONS_RUN);
    assert_true(o.no_disk);
    assert_null(o.disk);
    assert_string_equal(o.stats_json, "vmm-stats.json");
}

static void test_help_and_version(void **state)
{
    (void)state;
    struct vmm_options o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "--help", NULL), OPTIONS_HELP);
    assert_int_equal(parse(&o, err, sizeof err, "run", "--engine", "interp", "-h", NULL),
                     OPTIONS_HELP);
    assert_int_equal(parse(&o, err, sizeof err, "--version", NULL), OPTIONS_VERSION);
    assert_non_null(strstr(options_usage, "--engine NAME"));
    assert_non_null(strstr(options_usage, "124 timeout"));
}

/* Each bad command line gives OPTIONS_ERROR and a message containing want. */
static void expect_error(const char *want, ...)
{
    char *argv[16] = { "vmm" };
    int argc = 1;
    va_list ap;
    va_start(ap, want);
    for (char *a; (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    struct vmm_options o;
    char err[256] = "";
    assert_int_equal(options_parse(argc, argv, &o, err, sizeof err), OPTIONS_ERROR);
    if (!strstr(err, want))
        fail_msg("error '%s' does not mention '%s'", err, want);
}

static void test_bad_input(void **state)
{
    (void)state;
    expect_error("no command", NULL);
    expect_error("unknown command 'start'", "start", NULL);
    expect_error("unknown engine 'vmware'", "run", "--engine", "vmware", NULL);
    expect_error("--engine needs a value", "run", "--engine", NULL);
    expect_error("--mem: 'lots'", "run", "--mem", "lots", NULL);
    expect_error("--mem: '1'", "run", "--mem", "1", NULL);
    expect_error("--mem: '99999'", "run", "--mem", "99999", NULL);
    expect_error("--mem: '6.5'", "run", "--mem", "6.5", NULL);
    expect_error("--timeout: 'soon'", "run", "--timeout", "soon", NULL);
    expect_error("--timeout: '-1'", "run", "--timeout", "-1", NULL);
    expect_error("--trace: can trace 'exits'", "run", "--trace", "everything", NULL);
    expect_error("--stats: 'xml'", "run", "--stats=xml", NULL);
    expect_error("--shadow: 'fast'", "run", "--shadow", "fast", NULL);
    expect_error("--mmu-model: 'ept'", "run", "--mmu-model", "ept", NULL);
    expect_error("--gdb: '70000'", "run", "--gdb", "70000", NULL);
    expect_error("unknown option '--fast'", "run", "--fast", NULL);
    expect_error("more than one guest image", "run", "a.elf", "b.elf", NULL);
}

/* --mmu-model: the walk-cost model of chapter 8. */
static void test_mmu_model(void **state)
{
    (void)state;
    struct vmm_options o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "run", NULL), OPTIONS_RUN);
    assert_null(o.mmu_model);
    assert_int_equal(parse(&o, err, sizeof err, "run", "--mmu-model=nested", NULL), OPTIONS_RUN);
    assert_string_equal(o.mmu_model, "nested");
    assert_int_equal(parse(&o, err, sizeof err, "run", "--mmu-model", "both", NULL), OPTIONS_RUN);
    assert_string_equal(o.mmu_model, "both");
}

/* --disk FILE,readonly: the suffix sets the flag and leaves the name alone. */
static void test_disk_readonly(void **state)
{
    (void)state;
    struct vmm_options o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "run", "--disk", "d.img,readonly", NULL),
                     OPTIONS_RUN);
    assert_string_equal(o.disk, "d.img");
    assert_true(o.disk_readonly);
    assert_int_equal(parse(&o, err, sizeof err, "run", "--disk=a,b.img", NULL), OPTIONS_RUN);
    assert_string_equal(o.disk, "a,b.img");
    assert_false(o.disk_readonly);
}

/* --disk FILE,if=ide,index=N: IDE drives as QEMU numbers them; virtio stays the default. */
static void test_disk_ide(void **state)
{
    (void)state;
    struct vmm_options o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "run", "--disk", "fs.img,if=ide,index=1",
                           "--disk", "b.img,readonly,if=ide", "--disk", "v.img,if=virtio", NULL),
                     OPTIONS_RUN);
    assert_null(o.ide[2]);
    assert_string_equal(o.ide[1], "fs.img");
    assert_false(o.ide_readonly[1]);
    assert_string_equal(o.ide[0], "b.img");        // no index: the first free drive
    assert_true(o.ide_readonly[0]);
    assert_string_equal(o.disk, "v.img");
    assert_int_equal(parse(&o, err, sizeof err, "run", "--disk", "a,if=ide,index=3,readonly",
                           NULL), OPTIONS_RUN);
    assert_string_equal(o.ide[3], "a");
    assert_true(o.ide_readonly[3]);
    assert_null(o.disk);
    // Errors name what was wrong.
    assert_int_equal(parse(&o, err, sizeof err, "run", "--disk", "a,if=scsi", NULL),
                     OPTIONS_ERROR);
    assert_non_null(strstr(err, "if=scsi"));
    assert_int_equal(parse(&o, err, sizeof err, "run", "--disk", "a,if=ide,index=4", NULL),
                     OPTIONS_ERROR);
    assert_non_null(strstr(err, "index=4"));
    assert_int_equal(parse(&o, err, sizeof err, "run", "--disk", "a,if=ide,index=1",
                           "--disk", "b,if=ide,index=1", NULL), OPTIONS_ERROR);
    assert_non_null(strstr(err, "already"));
    assert_int_equal(parse(&o, err, sizeof err, "run", "--disk", "a,index=2", NULL),
                     OPTIONS_ERROR);
    assert_int_equal(parse(&o, err, sizeof err, "run", "--disk", ",if=ide", NULL),
                     OPTIONS_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_option),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_disk_readonly),
        cmocka_unit_test(test_disk_ide),
        cmocka_unit_test(test_mmu_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
