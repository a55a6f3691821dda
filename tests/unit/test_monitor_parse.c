/*
 * test_monitor_parse.c - what the monitor reads (vmm/monitor-parse.c,
 * vmm/symbols.c, the command table in vmm/monitor-cmds.c): address
 * expressions with registers and symbols, x/Nfmt, command lookup with
 * prefixes and "did you mean" suggestions, and the guest kernel's symbols.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/monitor.h"

static struct x86_cpu cpu;
static struct mon_symbols syms;
static char err[256];

static int setup(void **state)
{
    (void)state;
    memset(&cpu, 0, sizeof(cpu));
    cpu.eip = 0xc0102810;
    cpu.gpr[X86_ESP] = 0xc0132fa0;
    cpu.gpr[X86_EAX] = 7;
    cpu.cr3 = 0x3fff000;
    cpu.seg[X86_CS].selector = 8;
    memset(&syms, 0, sizeof(syms));
    assert_int_equal(mon_symbols_add(&syms, "exec", 0xc0102810, 0x100), 0);
    assert_int_equal(mon_symbols_add(&syms, "start_phys", 0x10000c, 0), 0);
    assert_int_equal(mon_symbols_add(&syms, "kstacks", 0xc0131000, 0x2000), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mon_symbols_free(&syms);
    return 0;
}

static uint32_t eval_ok(const char *expr)
{
    struct mon_eval_env env = { .cpu = &cpu, .syms = &syms };
    uint32_t v = 0;
    if (mon_eval(expr, &env, &v, err, sizeof(err)) < 0)
        fail_msg("'%s' refused: %s", expr, err);
    return v;
}

static void eval_bad(const char *expr, const char *why)
{
    struct mon_eval_env env = { .cpu = &cpu, .syms = &syms };
    uint32_t v;
    if (mon_eval(expr, &env, &v, err, sizeof(err)) == 0)
        fail_msg("'%s' accepted as 0x%x", expr, v);
    if (!strstr(err, why))
        fail_msg("'%s': message '%s' does not say '%s'", expr, err, why);
}

static void test_numbers(void **state)
{
    (void)state;
    assert_int_equal(eval_ok("0x1f"), 0x1f);
    assert_int_equal(eval_ok("0XC0000000"), 0xc0000000);
    assert_int_equal(eval_ok("31"), 31);
    assert_int_equal(eval_ok("0xffffffff"), 0xffffffff);
    assert_int_equal(eval_ok("  0x10 + 16 - 4 "), 0x1c);
    eval_bad("0x100000000", "too large");
    eval_bad("12ab", "malformed number");
    eval_bad("0x", "malformed number");
    eval_bad("0x10 +", "malformed address");
    eval_bad("", "malformed address");
    eval_bad("0x10 0x20", "unexpected");
    eval_bad("4 - 8", "outside the 32-bit");
    eval_bad("0xffffffff + 1", "outside the 32-bit");
}

static void test_registers(void **state)
{
    (void)state;
    assert_int_equal(eval_ok("$eip"), 0xc0102810);
    assert_int_equal(eval_ok("$esp+8"), 0xc0132fa8);
    assert_int_equal(eval_ok("$EAX"), 7);
    assert_int_equal(eval_ok("$cr3"), 0x3fff000);
    assert_int_equal(eval_ok("$cs"), 8);
    assert_int_equal(eval_ok("$pc - 0x10"), 0xc0102800);
    eval_bad("$foo", "unknown register '$foo'");
    eval_bad("$", "unknown register");
}

static void test_symbols(void **state)
{
    (void)state;
    assert_int_equal(eval_ok("exec"), 0xc0102810);
    assert_int_equal(eval_ok("exec+4"), 0xc0102814);
    assert_int_equal(eval_ok("start_phys + 0x10 - 1"), 0x10001b);
    eval_bad("nosuch", "no symbol 'nosuch'");
    eval_bad("exec+nosuch", "no symbol");
    uint32_t off;
    assert_string_equal(mon_symbol_at(&syms, 0xc0102814, &off), "exec");
    assert_int_equal(off, 4);
    assert_null(mon_symbol_at(&syms, 0xc0102910, &off));        // past exec's size
    assert_string_equal(mon_symbol_at(&syms, 0x100010, &off), "start_phys");  // no size: near
    assert_null(mon_symbol_at(&syms, 0x10, &off));
}

static void test_xfmt(void **state)
{
    struct mon_xfmt f;
    (void)state;
    assert_int_equal(mon_parse_xfmt(NULL, &f, err, sizeof(err)), 0);
    assert_int_equal(f.count, 1);
    assert_int_equal(f.format, 'x');
    assert_int_equal(f.size, 4);
    assert_int_equal(mon_parse_xfmt("4x", &f, err, sizeof(err)), 0);
    assert_int_equal(f.count, 4);
    assert_int_equal(mon_parse_xfmt("16xb", &f, err, sizeof(err)), 0);
    assert_int_equal(f.size, 1);
    assert_int_equal(mon_parse_xfmt("8hd", &f, err, sizeof(err)), 0);  // any order
    assert_int_equal(f.size, 2);
    assert_int_equal(f.format, 'd');
    assert_int_equal(mon_parse_xfmt("3c", &f, err, sizeof(err)), 0);
    assert_int_equal(f.size, 1);
    assert_int_equal(mon_parse_xfmt("10i", &f, err, sizeof(err)), 0);
    assert_int_equal(f.format, 'i');
    assert_int_equal(mon_parse_xfmt("s", &f, err, sizeof(err)), 0);
    assert_int_equal(mon_parse_xfmt("1024x", &f, err, sizeof(err)), 0);   // 4096 bytes
    assert_int_equal(mon_parse_xfmt("1025x", &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "range too large"));
    assert_int_equal(mon_parse_xfmt("99999999999x", &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "range too large"));
    // A count too large for any unit size says so, not a wrapped byte count.
    assert_int_equal(mon_parse_xfmt("99999999999999999999x", &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "a count of 99999999999999999999;"));
    assert_null(strstr(err, "4000004"));
    assert_int_equal(mon_parse_xfmt("5000b", &f, err, sizeof(err)), -1);
    assert_int_equal(mon_parse_xfmt("300i", &f, err, sizeof(err)), -1);
    assert_int_equal(mon_parse_xfmt("0x", &f, err, sizeof(err)), -1);
    assert_int_equal(mon_parse_xfmt("4q", &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown format letter 'q'"));
}

static void test_split(void **state)
{
    char line[] = "  x/4x   $esp +  8\t\n";
    char *argv[8];
    (void)state;
    assert_int_equal(mon_split(line, argv, 8), 4);
    assert_string_equal(argv[0], "x/4x");
    assert_string_equal(argv[3], "8");
    char empty[] = "   ";
    assert_int_equal(mon_split(empty, argv, 8), 0);
    // More words than room: refused whole, never cut short.
    char many[] = "pt 0x1000 + 1 + 1 + 1 + 1";
    assert_int_equal(mon_split(many, argv, 8), -1);
    char exact[] = "a b c d e f g h";
    assert_int_equal(mon_split(exact, argv, 8), 8);
}

static void test_join(void **state)
{
    (void)state;
    char *words[] = { "break", "exec", "+", "4" };
    char buf[16];
    assert_string_equal(mon_join(4, words, 1, buf, sizeof(buf)), "exec + 4");
    assert_string_equal(mon_join(1, words, 1, buf, sizeof(buf)), "");
    char small[8];                      // "exec + 4" needs 9 bytes
    assert_null(mon_join(4, words, 1, small, sizeof(small)));
}

static void test_command_lookup(void **state)
{
    (void)state;
    assert_string_equal(mon_find_command("regs", err, sizeof(err))->name, "regs");
    assert_string_equal(mon_find_command("x", err, sizeof(err))->name, "x");   // exact beats xp
    assert_string_equal(mon_find_command("cont", err, sizeof(err))->name, "cont");
    assert_string_equal(mon_find_command("c", err, sizeof(err))->name, "cont");  // unique prefix
    assert_string_equal(mon_find_command("vm", err, sizeof(err))->name, "vmcs");
    assert_null(mon_find_command("s", err, sizeof(err)));
    assert_non_null(strstr(err, "ambiguous"));
    assert_non_null(strstr(err, "step"));
    assert_non_null(strstr(err, "sregs"));
    assert_null(mon_find_command("rgs", err, sizeof(err)));
    assert_non_null(strstr(err, "did you mean 'regs'"));
    assert_null(mon_find_command("brek", err, sizeof(err)));
    assert_non_null(strstr(err, "did you mean 'break'"));
    assert_null(mon_find_command("xyzzy", err, sizeof(err)));
    assert_null(strstr(err, "did you mean"));
    // Every command has a handler and one line of help.
    for (unsigned i = 0; i < mon_ncommands; i++) {
        assert_non_null(mon_commands[i].run);
        assert_null(strchr(mon_commands[i].help, '\n'));
    }
}

static void test_closest(void **state)
{
    static const char *const names[] = { "GUEST_RIP", "GUEST_RSP", "HOST_RIP" };
    (void)state;
    assert_string_equal(mon_closest("guest_rip", names, 3), "GUEST_RIP");
    assert_string_equal(mon_closest("GUEST_RIQ", names, 3), "GUEST_RIP");
    assert_null(mon_closest("EXIT_REASON", names, 3));
}

static void test_kernel_symbols(void **state)
{
    struct mon_symbols k = { 0 };
    uint32_t a, off;
    (void)state;
    if (mon_symbols_load(&k, "build/guest-os/kernel.elf", err, sizeof(err)) < 0)
        skip();                         // the guest is built by `make`, not by this test
    assert_true(mon_symbol_addr(&k, "exec", &a));
    assert_true(a >= 0xc0000000);
    assert_string_equal(mon_symbol_at(&k, a + 1, &off), "exec");
    assert_int_equal(off, 1);
    assert_true(mon_symbol_addr(&k, "start_phys", &a));      // a label in boot.S
    mon_symbols_free(&k);
    assert_int_equal(mon_symbols_load(&k, "/nonexistent.elf", err, sizeof(err)), -1);
    assert_int_equal(mon_symbols_load(&k, "Makefile", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a 32-bit ELF"));
}

/* symbols add: a user program beside the kernel, FILE:name, and a .text
 * placed elsewhere moves every symbol by the same distance. */
static void test_added_symbols(void **state)
{
    struct mon_symbols k = { 0 };
    uint32_t a, b, off;
    size_t added;
    const char *file;
    (void)state;
    if (mon_symbols_load(&k, "build/guest-os/kernel.elf", err, sizeof(err)) < 0 ||
        mon_symbols_add_file(&k, "build/guest-os/user/compute", NULL, &added, err,
                             sizeof(err)) < 0)
        skip();                         // the guest is built by `make`, not by this test
    assert_true(added > 0);
    assert_true(mon_symbol_addr(&k, "compute:main", &a));
    assert_true(a >= 0x400000 && a < 0x500000);
    assert_true(mon_symbol_addr(&k, "exec", &b));           // both have exec: the kernel's
    assert_true(b >= 0xc0000000);
    assert_true(mon_symbol_addr(&k, "compute:exec", &b));   // unless asked for the program's
    assert_true(b < 0xc0000000);
    assert_false(mon_symbol_addr(&k, "nosuch:main", &b));
    assert_string_equal(mon_symbol_at_file(&k, a, &off, &file), "main");
    assert_string_equal(file, "compute");
    uint32_t text = 0x800000;           // .text placed elsewhere: everything moves
    assert_int_equal(mon_symbols_add_file(&k, "build/guest-os/user/compute", &text, &added, err,
                                          sizeof(err)), 0);
    assert_true(k.nfiles == 3);
    // User programs are linked with .text at 0x400000 (guest-os/user).
    assert_string_equal(mon_symbol_at_file(&k, a + 0x400000, &off, &file), "main");
    assert_int_equal(off, 0);
    mon_symbols_free(&k);
    assert_int_equal(mon_symbols_add_file(&k, "Makefile", NULL, &added, err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_registers),
        cmocka_unit_test(test_symbols),
        cmocka_unit_test(test_xfmt),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_command_lookup),
        cmocka_unit_test(test_closest),
        cmocka_unit_test(test_kernel_symbols),
        cmocka_unit_test(test_added_symbols),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
