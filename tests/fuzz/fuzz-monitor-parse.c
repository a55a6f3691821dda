/*
 * fuzz-monitor-parse.c - libFuzzer target: what the monitor reads from its
 * user (vmm/monitor-parse.c; chapter 7, "Addresses"; the fuzzing is in
 * chapter 9, "Reliability"): address expressions, the x/Nfmt suffix, the
 * splitting of a command line into words, and the closest-name search. What
 * must hold: no crash, no access outside the line (an exact-size copy), and
 * on an error exactly one line of message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/monitor-parse.h"

static void bug(const char *what)
{
    fprintf(stderr, "fuzz-monitor-parse: %s\n", what);
    abort();
}

static void check_err(const char *err)
{
    if (!err[0] || strchr(err, '\n'))
        bug("an error without exactly one line of message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = { "regs", "sregs", "vmcs", "exits", "x", "xp", "pt",
                                         "tlb", "break", "step", "cont", "engine", "quit" };
    static struct mon_symbols syms;
    static struct x86_cpu cpu = { .gpr = { 1, 2, 3, 4, 0x9000, 6, 7, 8 }, .eip = 0x100000 };
    if (!syms.n) {
        mon_symbols_add(&syms, "exec", 0xC0101000, 64);
        mon_symbols_add(&syms, "main", 0xC0100000, 32);
    }
    /* One line, as readline gives it: up to the first newline, NUL-terminated,
     * in an exact-size block. */
    const uint8_t *nl = memchr(data, '\n', size);
    if (nl)
        size = (size_t)(nl - data);
    char *line = malloc(size + 1);
    memcpy(line, data, size);
    line[size] = 0;
    struct mon_eval_env env = { .cpu = &cpu, .syms = &syms };
    char err[256];
    uint32_t v;
    struct mon_xfmt f;

    err[0] = 0;
    if (mon_eval(line, &env, &v, err, sizeof err) < 0)
        check_err(err);
    err[0] = 0;
    if (mon_parse_xfmt(line, &f, err, sizeof err) < 0)
        check_err(err);
    mon_closest(line, names, sizeof names / sizeof names[0]);
    char *argv[16];
    int n = mon_split(line, argv, 16);
    if (n < -1 || n > 16)               // -1: more than 16 words, refused whole
        bug("mon_split returned more words than it may");
    for (int i = 0; i < n; i++)
        if (argv[i] < line || argv[i] > line + size)
            bug("a word outside the line");
    free(line);
    return 0;
}
