/*
 * test_x86_exec.c - the executor beyond arithmetic (chapter
 * 02-interpreter.md): moves and the stack, jumps and calls, string
 * instructions and their restart after a page fault, port I/O, the
 * privileged instructions and their checks, fetch across pages, and
 * exceptions delivered with the faulting EIP. Ends with a speed
 * measurement (printed, not asserted: machines differ).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "x86-run.h"

/* EIP is at the vector's handler and the frame holds the faulting EIP,
 * after the error code when the vector has one. */
static void assert_fault(unsigned vector, uint32_t eip, bool has_error, uint32_t error)
{
    uint32_t esp = cpu.gpr[X86_ESP];
    assert_int_equal(cpu.eip, run_handler(vector));
    if (has_error) {
        assert_int_equal(fake_read32(esp), error);
        esp += 4;
    }
    assert_int_equal(fake_read32(esp), eip);
}

static void test_mov_forms(void **state)
{
    (void)state;
    run_setup();
    RUN_CODE_BYTES(
        0xB8, 0x78, 0x56, 0x34, 0x12,               /* mov $0x12345678,%eax */
        0xA3, 0x00, 0x00, 0x02, 0x00,               /* mov %eax,0x20000 */
        0x8A, 0x1D, 0x01, 0x00, 0x02, 0x00,         /* mov 0x20001,%bl */
        0x0F, 0xBE, 0xCB,                           /* movsbl %bl,%ecx */
        0x66, 0x8B, 0x15, 0x02, 0x00, 0x02, 0x00,   /* mov 0x20002,%dx */
        0x8D, 0x74, 0x88, 0x10,                     /* lea 0x10(%eax,%ecx,4),%esi */
        0xC7, 0x44, 0x24, 0xFC, 0xEF, 0xBE, 0xAD, 0xDE, /* movl $0xdeadbeef,-4(%esp) */
        0x0F, 0xB7, 0x7C, 0x24, 0xFE);              /* movzwl -2(%esp),%edi */
    assert_int_equal(run_steps(8), X86_STEP_OK);
    assert_int_equal(fake_read32(RUN_DATA), 0x12345678);
    assert_int_equal(cpu.gpr[X86_EBX], 0x56);
    assert_int_equal(cpu.gpr[X86_ECX], 0x56);
    assert_int_equal(cpu.gpr[X86_EDX] & 0xFFFF, 0x1234);
    assert_int_equal(cpu.gpr[X86_ESI], 0x12345678 + 0x10 + 0x56 * 4);
    assert_int_equal(cpu.gpr[X86_EDI], 0xDEAD);
    assert_int_equal(cpu.instructions, 8);
}

static void test_stack_and_calls(void **state)
{
    (void)state;
    run_setup();
    RUN_CODE_BYTES(
        0x6A, 0xFF,                     /* 0: push $-1 */
        0x5B,                           /* 2: pop %ebx */
        0xE8, 0x05, 0x00, 0x00, 0x00,   /* 3: call 0xd */
        0xF4,                           /* 8: hlt */
        0x90, 0x90, 0x90, 0x90,
        0x55,                           /* d: push %ebp */
        0x89, 0xE5,                     /* e: mov %esp,%ebp */
        0x60,                           /* 10: pusha */
        0x31, 0xC0,                     /* 11: xor %eax,%eax */
        0x61,                           /* 13: popa */
        0xC9,                           /* 14: leave */
        0xC2, 0x00, 0x00);              /* 15: ret $0 */
    cpu.gpr[X86_EAX] = 77;
    assert_int_equal(run_steps(20), X86_STEP_HALT);
    assert_true(cpu.halted);
    assert_int_equal(cpu.eip, RUN_CODE + 9);
    assert_int_equal(cpu.gpr[X86_EBX], 0xFFFFFFFF);
    assert_int_equal(cpu.gpr[X86_EAX], 77);
    assert_int_equal(cpu.gpr[X86_ESP], RUN_STACK);
    assert_int_equal(cpu.instructions, 11);
    assert_int_equal(x86_step(&cpu, &run_env), X86_STEP_HALT);     /* stays halted */
}

static void test_jumps_and_loops(void **state)
{
    (void)state;
    run_setup();
    RUN_CODE_BYTES(
        0xB9, 0x05, 0x00, 0x00, 0x00,   /* mov $5,%ecx */
        0x40,                           /* L: inc %eax */
        0xE2, 0xFD,                     /* loop L */
        0x83, 0xF8, 0x05,               /* cmp $5,%eax */
        0x0F, 0x85, 0x02, 0x00, 0x00, 0x00, /* jne +2 (not taken) */
        0xEB, 0x01,                     /* jmp +1 */
        0xF4,                           /* hlt (skipped) */
        0xE3, 0x01,                     /* jecxz +1 (taken: ecx = 0) */
        0xF4,
        0x8D, 0x1D, 0x00, 0x00, 0x00, 0x00, /* lea 0,%ebx */
        0xF4);
    assert_int_equal(run_steps(100), X86_STEP_HALT);
    assert_int_equal(cpu.gpr[X86_EAX], 5);
    assert_int_equal(cpu.eip, RUN_CODE + 30);
}

static void test_enter_nested(void **state)
{
    (void)state;
    run_setup();
    RUN_CODE_BYTES(0xC8, 0x08, 0x00, 0x02);        /* enter $8,$2 */
    cpu.gpr[X86_EBP] = RUN_STACK - 0x100;
    fake_write32(RUN_STACK - 0x104, 0xAAAA);      /* the outer frame's display entry */
    assert_int_equal(run_steps(1), X86_STEP_OK);
    uint32_t frame = RUN_STACK - 4;
    assert_int_equal(cpu.gpr[X86_EBP], frame);
    assert_int_equal(fake_read32(frame), RUN_STACK - 0x100);       /* old ebp */
    assert_int_equal(fake_read32(frame - 4), 0xAAAA);              /* copied pointer */
    assert_int_equal(fake_read32(frame - 8), frame);               /* this frame */
    assert_int_equal(cpu.gpr[X86_ESP], frame - 8 - 8);
}

static void test_rep_string_ops(void **state)
{
    (void)state;
    run_setup();
    memcpy(fake.ram + RUN_DATA, "hello, world", 12);
    RUN_CODE_BYTES(
        0xF3, 0xA4,                     /* rep movsb */
        0xB0, 0x2A,                     /* mov $'*',%al */
        0xB9, 0x03, 0x00, 0x00, 0x00,   /* mov $3,%ecx */
        0xF3, 0xAA,                     /* rep stosb */
        0xFD,                           /* std */
        0xAD,                           /* lodsl (backwards) */
        0xFC,                           /* cld */
        0xBE, 0x00, 0x00, 0x02, 0x00,   /* mov $0x20000,%esi */
        0xBF, 0x00, 0x10, 0x02, 0x00,   /* mov $0x21000,%edi */
        0xB9, 0x0C, 0x00, 0x00, 0x00,   /* mov $12,%ecx */
        0xF3, 0xA6);                    /* repe cmpsb */
    cpu.gpr[X86_ESI] = RUN_DATA;
    cpu.gpr[X86_EDI] = RUN_DATA + 0x1000;
    cpu.gpr[X86_ECX] = 12;
    assert_int_equal(run_steps(4), X86_STEP_OK);
    assert_memory_equal(fake.ram + RUN_DATA + 0x1000, "hello, world***", 15);
    assert_int_equal(cpu.gpr[X86_ECX], 0);
    assert_int_equal(cpu.gpr[X86_EDI], RUN_DATA + 0x1000 + 15);
    assert_int_equal(run_steps(3), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_ESI], RUN_DATA + 12 - 4);
    /* repe cmpsb stops after the first difference ('h' vs 'h' equal ... same all
     * through "hello, world", then compares equal 12 times: ZF=1, ecx=0). */
    assert_int_equal(run_steps(4), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_ECX], 0);
    assert_true(cpu.eflags & X86_FLAG_ZF);
    fake.ram[RUN_DATA + 0x1000 + 3] = 'X';
    RUN_CODE_BYTES(0xF3, 0xA6);
    cpu.gpr[X86_ESI] = RUN_DATA;
    cpu.gpr[X86_EDI] = RUN_DATA + 0x1000;
    cpu.gpr[X86_ECX] = 12;
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_ECX], 8);                          /* stopped at index 3 */
    assert_false(cpu.eflags & X86_FLAG_ZF);
    /* repne scasb finds the ',' */
    RUN_CODE_BYTES(0xF2, 0xAE);
    cpu.gpr[X86_EAX] = ',';
    cpu.gpr[X86_EDI] = RUN_DATA;
    cpu.gpr[X86_ECX] = 100;
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_EDI], RUN_DATA + 6);
    assert_int_equal(cpu.gpr[X86_ECX], 94);
}

/* A page fault in the middle of rep movsl: registers show the progress, EIP
 * stays at the instruction, and after the "handler" maps the page it resumes. */
static void test_rep_restart_after_page_fault(void **state)
{
    (void)state;
    run_setup();
    RUN_CODE_BYTES(0xF3, 0xA5, 0xF4);               /* rep movsl; hlt */
    cpu.gpr[X86_ESI] = RUN_DATA;
    cpu.gpr[X86_EDI] = 0x30000 - 8;                 /* two dwords fit before the hole */
    cpu.gpr[X86_ECX] = 6;
    for (unsigned i = 0; i < 6; i++)
        fake_write32(RUN_DATA + 4 * i, 100 + i);
    fake.absent[0x30000 / 4096] = true;
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_fault(X86_PF, RUN_CODE, true, 2);        /* write, not present, supervisor */
    assert_int_equal(cpu.cr2, 0x30000);
    assert_int_equal(cpu.gpr[X86_ECX], 4);
    assert_int_equal(cpu.gpr[X86_EDI], 0x30000);
    fake.absent[0x30000 / 4096] = false;
    cpu.eip = RUN_CODE;                             /* as the handler's iret would */
    cpu.gpr[X86_ESP] = RUN_STACK;
    assert_int_equal(run_steps(5), X86_STEP_HALT);
    assert_int_equal(cpu.gpr[X86_ECX], 0);
    assert_int_equal(fake_read32(0x30000 + 12), 105);
}

static void test_port_io(void **state)
{
    (void)state;
    run_setup();
    RUN_CODE_BYTES(
        0xE4, 0x40,                     /* in $0x40,%al */
        0x66, 0xBA, 0xF8, 0x03,         /* mov $0x3f8,%dx */
        0xEE,                           /* out %al,(%dx) */
        0xED,                           /* in (%dx),%eax */
        0xF3, 0x6E);                    /* rep outsb */
    cpu.gpr[X86_EAX] = 0xFFFFFFFF;
    cpu.gpr[X86_ESI] = RUN_DATA;
    cpu.gpr[X86_ECX] = 3;
    memcpy(fake.ram + RUN_DATA, "abc", 3);
    assert_int_equal(run_steps(2), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_EAX], 0xFFFFFF51);                 /* 0x40 + 0x11 */
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_int_equal(run_io.last_port, 0x3F8);
    assert_int_equal(run_io.last_value, 0x51);
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_EAX], 0x3F8 + 0x44);
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_int_equal(run_io.outs, 4);
    assert_int_equal(run_io.last_value, 'c');
    /* At CPL 3 with IOPL 0 and no I/O bitmap: #GP(0), nothing sent. */
    run_enter_user();
    RUN_CODE_BYTES(0xEE);
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_fault(X86_GP, RUN_CODE, true, 0);
    assert_int_equal(run_io.outs, 4);
}

/* cli/sti/hlt/popf and the privileged instructions, seen from ring 3. */
static void test_privilege_checks(void **state)
{
    (void)state;
    static const uint8_t privileged[][4] = {
        { 0xFA }, { 0xFB }, { 0xF4 }, { 0x0F, 0x20, 0xC0 }, { 0x0F, 0x22, 0xD8 },
        { 0x0F, 0x01, 0x10 }, { 0x0F, 0x00, 0xD8 }, { 0x0F, 0x06 }, { 0x0F, 0x09 },
        { 0x0F, 0x01, 0x38 },
    };
    for (size_t i = 0; i < sizeof privileged / sizeof privileged[0]; i++) {
        run_setup();
        run_enter_user();
        run_code_at(RUN_CODE, privileged[i], 4);
        assert_int_equal(run_steps(1), X86_STEP_OK);
        assert_int_equal(cpu.eip, run_handler(X86_GP));
        assert_int_equal(cpu.cpl, 0);
    }
    /* popf at CPL 3, IOPL 0: IF and IOPL stay, the rest changes, no fault. */
    run_setup();
    run_enter_user();
    RUN_CODE_BYTES(0x68, 0xD5, 0x30, 0x00, 0x00, 0x9D);  /* push $0x30d5; popf */
    assert_int_equal(run_steps(2), X86_STEP_OK);
    assert_int_equal(cpu.eflags, X86_FLAG_FIXED | X86_FLAG_IF | 0xD5);
    /* At CPL 0, popf changes IF and IOPL. */
    run_setup();
    RUN_CODE_BYTES(0x68, 0x02, 0x32, 0x00, 0x00, 0x9D, 0x9C, 0x58);   /* ...; pushf; pop %eax */
    assert_int_equal(run_steps(4), X86_STEP_OK);
    assert_int_equal(cpu.eflags, 0x3202);
    assert_int_equal(cpu.gpr[X86_EAX], 0x3202);
    /* With IOPL 3, ring 3 may cli/sti. */
    run_setup();
    run_enter_user();
    cpu.eflags |= X86_FLAG_IOPL;
    RUN_CODE_BYTES(0xFA, 0xFB);
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_false(cpu.eflags & X86_FLAG_IF);
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_true(cpu.eflags & X86_FLAG_IF);
    assert_true(cpu.interrupt_shadow);                              /* sti: one more instruction */
    assert_false(x86_interrupts_enabled(&cpu));
}

static void test_system_instructions(void **state)
{
    (void)state;
    run_setup();
    fake_write32(RUN_DATA, 0x00FF);                 /* limit 0xff ... */
    fake_write32(RUN_DATA + 2, 0x00123400);         /* ... base 0x123400 */
    RUN_CODE_BYTES(
        0x0F, 0x01, 0x15, 0x00, 0x00, 0x02, 0x00,   /* lgdt 0x20000 */
        0x0F, 0x01, 0x05, 0x10, 0x00, 0x02, 0x00,   /* sgdt 0x20010 */
        0x0F, 0x20, 0xC0,                           /* mov %cr0,%eax */
        0x0F, 0x22, 0xDB,                           /* mov %ebx,%cr3 */
        0x0F, 0x01, 0x38,                           /* invlpg (%eax) */
        0x31, 0xC0, 0x0F, 0xA2,                     /* xor %eax,%eax; cpuid */
        0x0F, 0x31);                                /* rdtsc */
    cpu.gpr[X86_EBX] = 0x5000;
    assert_int_equal(run_steps(2), X86_STEP_OK);
    assert_int_equal(cpu.gdtr.base, 0x123400);
    assert_int_equal(cpu.gdtr.limit, 0xFF);
    assert_memory_equal(fake.ram + RUN_DATA + 0x10, fake.ram + RUN_DATA, 6);
    assert_int_equal(run_steps(3), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_EAX], cpu.cr0);
    assert_int_equal(cpu.cr3, 0x5000);
    assert_int_equal(fake.invlpgs, 1);
    assert_int_equal(run_steps(2), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_EAX], 1);
    assert_memory_equal(&cpu.gpr[X86_EBX], "Teac", 4);
    assert_memory_equal(&cpu.gpr[X86_EDX], "hVMM", 4);
    assert_memory_equal(&cpu.gpr[X86_ECX], "CPU ", 4);
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_EDX], 0x1234);
    assert_int_equal(cpu.gpr[X86_EAX], 0x56789ABC);
}

/* int n delivers with the next EIP; ud2, undefined opcodes, x87 and
 * over-long instructions fault with their own EIP. */
static void test_interrupts_and_faults(void **state)
{
    (void)state;
    run_setup();
    RUN_CODE_BYTES(0xCD, 0x40);                     /* int $0x40 */
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_fault(0x40, RUN_CODE + 2, false, 0);
    assert_int_equal(cpu.instructions, 1);

    static const uint8_t bad[][16] = {
        { 0x0F, 0x0B },                             /* ud2 */
        { 0x0F, 0x37 },                             /* undefined (getsec) */
        { 0x8D, 0xC0 },                             /* lea with a register */
        { 0xD9, 0xE8 },                             /* fld1: no FPU */
        { 0x8E, 0xC8 },                             /* mov %ax,%cs */
        { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
          0x66, 0x66, 0x90 },                       /* 15 bytes: fine */
        { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
          0x66, 0x66, 0x66, 0x90 },                 /* 16 bytes: #GP */
    };
    static const int vectors[] = { X86_UD, X86_UD, X86_UD, X86_UD, X86_UD, -1, X86_GP };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        run_setup();
        run_code_at(RUN_CODE, bad[i], 16);
        assert_int_equal(run_steps(1), X86_STEP_OK);
        if (vectors[i] < 0)
            assert_int_equal(cpu.eip, RUN_CODE + 15);
        else
            assert_fault(vectors[i], RUN_CODE, vectors[i] == X86_GP, 0);
    }
}

/* An instruction that crosses into an absent page faults only if it needs
 * the bytes there; CR2 is the first byte of that page. */
static void test_fetch_across_pages(void **state)
{
    (void)state;
    uint32_t at = 0x31000 - 3;
    run_setup();
    static const uint8_t code[] = { 0xB8, 0x11, 0x22, 0x33, 0x44, 0x90 };
    run_code_at(at, code, sizeof code);
    assert_int_equal(run_steps(2), X86_STEP_OK);                    /* mov imm32 across pages */
    assert_int_equal(cpu.gpr[X86_EAX], 0x44332211);
    assert_int_equal(cpu.eip, at + 6);

    run_setup();
    static const uint8_t nop3[] = { 0x90, 0x90, 0x90, 0xB8 };
    run_code_at(at, nop3, sizeof nop3);
    fake.absent[0x31000 / 4096] = true;
    assert_int_equal(run_steps(3), X86_STEP_OK);                    /* the nops run */
    assert_int_equal(cpu.eip, at + 3);
    run_code_at(0x30FFF, nop3 + 3, 1);                              /* mov: needs the next page */
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_fault(X86_PF, 0x30FFF, true, 0);
    assert_int_equal(cpu.cr2, 0x31000);
}

/* External interrupts wake a halted CPU; TF traps after each instruction. */
static void test_external_interrupt_and_single_step(void **state)
{
    (void)state;
    run_setup();
    RUN_CODE_BYTES(0xFB, 0xF4);                     /* sti; hlt */
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_false(x86_interrupts_enabled(&cpu));     /* the sti shadow */
    assert_int_equal(run_steps(1), X86_STEP_HALT);
    assert_true(x86_interrupts_enabled(&cpu));
    assert_int_equal(x86_external_interrupt(&cpu, &run_env, 0x20), X86_STEP_OK);
    assert_false(cpu.halted);
    assert_fault(0x20, RUN_CODE + 2, false, 0);
    assert_false(cpu.eflags & X86_FLAG_IF);         /* an interrupt gate */

    run_setup();
    RUN_CODE_BYTES(0x90, 0x90);
    cpu.eflags |= X86_FLAG_TF;
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_fault(X86_DB, RUN_CODE + 1, false, 0);
}

/* Guest instructions per second on a loop of ALU, memory and stack work. */
static void test_speed(void **state)
{
    (void)state;
    run_setup();
    RUN_CODE_BYTES(
        0xB9, 0x40, 0x42, 0x0F, 0x00,   /* mov $1000000,%ecx */
        0xBE, 0x00, 0x00, 0x02, 0x00,   /* mov $0x20000,%esi */
        0x01, 0xC3,                     /* L: add %eax,%ebx */
        0x42,                           /* inc %edx */
        0x8B, 0x06,                     /* mov (%esi),%eax */
        0x89, 0x46, 0x04,               /* mov %eax,4(%esi) */
        0x50,                           /* push %eax */
        0x5F,                           /* pop %edi */
        0x49,                           /* dec %ecx */
        0x75, 0xF3,                     /* jnz L */
        0xF4);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (x86_step(&cpu, &run_env) == X86_STEP_OK)
        ;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(cpu.instructions, 8000003);
    assert_int_equal(cpu.gpr[X86_EDX], 1000000);
    printf("x86 speed: %llu instructions in %.3f s = %.1f million per second\n",
           (unsigned long long)cpu.instructions, s, (double)cpu.instructions / s / 1e6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mov_forms),
        cmocka_unit_test(test_stack_and_calls),
        cmocka_unit_test(test_jumps_and_loops),
        cmocka_unit_test(test_enter_nested),
        cmocka_unit_test(test_rep_string_ops),
        cmocka_unit_test(test_rep_restart_after_page_fault),
        cmocka_unit_test(test_port_io),
        cmocka_unit_test(test_privilege_checks),
        cmocka_unit_test(test_system_instructions),
        cmocka_unit_test(test_interrupts_and_faults),
        cmocka_unit_test(test_fetch_across_pages),
        cmocka_unit_test(test_external_interrupt_and_single_step),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
