/*
 * test_x86_system.c - unit tests of the protected-mode machinery of
 * vmm/x86/ (chapter 2, "Protection" and "Interrupts and exceptions"):
 * segment loads, interrupt delivery with and without a stack switch,
 * double and triple faults, iret, far transfers, control registers, ltr and
 * the I/O permission bitmap. The fake machine of x86-fake-env.h holds a GDT,
 * an IDT and a TSS built here; every fault is checked by vector and error code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vmm/x86/memory.h"
#include "vmm/x86/system.h"
#include "vmm/x86/x86.h"
#include "x86-fake-env.h"

/* Where the tables live in guest RAM. */
#define GDT 0x1000u
#define IDT 0x2000u
#define TSS 0x3000u
#define KSTACK 0x9000u                  /* ring-0 stack top, in TSS.ESP0 */
#define USTACK 0x8000u

/* The GDT's selectors. */
#define KCODE    0x08
#define KDATA    0x10
#define UCODE    0x1B
#define UDATA    0x23
#define TSS_SEL  0x28
#define NP_DATA  0x33                   /* DPL 3 data, not present */
#define XONLY    0x38                   /* execute-only code, DPL 0 */
#define CONFORM  0x40                   /* conforming code, DPL 0 */
#define CALLGATE 0x4B                   /* 32-bit call gate, DPL 3, to UCODE:0x5000 */
#define RODATA   0x50                   /* read-only data, DPL 0 */
#define GDT_ENTRIES 11

/* Handler addresses in the IDT. */
#define H_SYSCALL 0x4000u               /* 0x40: trap gate, DPL 3 */
#define H_TIMER   0x4100u               /* 0x20: interrupt gate, DPL 0 */
#define H_GP      0x4200u
#define H_PF      0x4300u
#define H_DF      0x4400u
#define H_KONLY   0x4500u               /* 0x41: interrupt gate, DPL 0 */
#define H_NP      0x4600u

static struct x86_cpu cpu;

static uint8_t descriptor_byte5(unsigned sel)
{
    return fake.ram[GDT + (sel & ~7u) + 5];
}

static int setup(void **state)
{
    (void)state;
    fake_reset();
    x86_reset_multiboot(&cpu, 0x100000, 0x10000);

    fake_descriptor(GDT, 1, 0, 0xFFFFF, 0x9A, 0xC0);    /* ring-0 code, not yet accessed */
    fake_descriptor(GDT, 2, 0, 0xFFFFF, 0x92, 0xC0);    /* ring-0 data */
    fake_descriptor(GDT, 3, 0, 0xFFFFF, 0xFA, 0xC0);    /* ring-3 code */
    fake_descriptor(GDT, 4, 0, 0xFFFFF, 0xF2, 0xC0);    /* ring-3 data */
    fake_descriptor(GDT, 5, TSS, 0xE8, 0x89, 0x00);     /* available 32-bit TSS */
    fake_descriptor(GDT, 6, 0, 0xFFFFF, 0x72, 0xC0);    /* not present */
    fake_descriptor(GDT, 7, 0, 0xFFFFF, 0x98, 0xC0);    /* execute-only */
    fake_descriptor(GDT, 8, 0, 0xFFFFF, 0x9E, 0xC0);    /* conforming */
    fake_gate(GDT, 9, UCODE, 0x5000, 0xEC);             /* call gate */
    fake_descriptor(GDT, 10, 0, 0xFFFFF, 0x90, 0xC0);   /* read-only data */
    x86_load_gdtr(&cpu, GDT, GDT_ENTRIES * 8 - 1);

    fake_gate(IDT, 0x40, KCODE, H_SYSCALL, 0xEF);
    fake_gate(IDT, 0x20, KCODE, H_TIMER, 0x8E);
    fake_gate(IDT, 0x41, KCODE, H_KONLY, 0x8E);
    fake_gate(IDT, X86_GP, KCODE, H_GP, 0x8E);
    fake_gate(IDT, X86_PF, KCODE, H_PF, 0x8E);
    fake_gate(IDT, X86_DF, KCODE, H_DF, 0x8E);
    fake_gate(IDT, X86_NP, KCODE, H_NP, 0x8E);
    x86_load_idtr(&cpu, IDT, 256 * 8 - 1);

    fake_write32(TSS + 4, KSTACK);      /* ESP0 */
    fake_write32(TSS + 8, KDATA);       /* SS0 */
    fake.ram[TSS + 0x66] = 0x68;        /* I/O map base */
    fake.ram[TSS + 0x68 + 0x60 / 8] = 0x01;     /* port 0x60 denied */
    fake.ram[TSS + 0x68 + 0x80] = 0xFF;         /* the byte after the map */
    assert_int_equal(x86_load_tr(&cpu, &fake_env, TSS_SEL), 0);
    cpu.gpr[X86_ESP] = 0x7000;
    return 0;
}

/* Ring 3 as after an iret to user mode: flat user segments, IF set. */
static void enter_user(uint32_t eip)
{
    struct x86_segment code = { UCODE, 0, 0xFFFFFFFF, 0xFB | X86_AR_DB | X86_AR_G };
    struct x86_segment data = { UDATA, 0, 0xFFFFFFFF, 0xF3 | X86_AR_DB | X86_AR_G };
    for (int s = 0; s < X86_SREG_COUNT; s++)
        cpu.seg[s] = data;
    cpu.seg[X86_CS] = code;
    cpu.cpl = 3;
    cpu.eip = eip;
    cpu.eflags = X86_FLAG_FIXED | X86_FLAG_IF;
    cpu.gpr[X86_ESP] = USTACK;
}

static void assert_exception(uint8_t vector, uint32_t error)
{
    assert_true(cpu.exception.pending);
    assert_int_equal(cpu.exception.vector, vector);
    assert_true(cpu.exception.has_error);
    assert_int_equal(cpu.exception.error, error);
}

/* ---- segment loads ------------------------------------------------------ */

static void test_load_data_segment(void **state)
{
    (void)state;
    assert_int_equal(descriptor_byte5(KDATA), 0x92);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, KDATA), 0);
    assert_int_equal(cpu.seg[X86_DS].selector, KDATA);
    assert_int_equal(cpu.seg[X86_DS].base, 0);
    assert_int_equal(cpu.seg[X86_DS].limit, 0xFFFFFFFF);      /* G scales it */
    assert_int_equal(cpu.seg[X86_DS].attr, 0x93 | X86_AR_DB | X86_AR_G);
    assert_int_equal(descriptor_byte5(KDATA), 0x93);          /* accessed bit set */
    /* A byte-granular segment keeps its limit; the base is reassembled. */
    fake_descriptor(GDT, 2, 0x12345678, 0xABCDE, 0x92, 0x40);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_ES, KDATA), 0);
    assert_int_equal(cpu.seg[X86_ES].base, 0x12345678);
    assert_int_equal(cpu.seg[X86_ES].limit, 0xABCDE);
    /* Readable code may be loaded into a data register. */
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_FS, KCODE), 0);
}

static void test_load_null_selectors(void **state)
{
    (void)state;
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_GS, 0x0003), 0);
    assert_true(cpu.seg[X86_GS].attr & X86_AR_UNUSABLE);
    assert_false(cpu.exception.pending);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_SS, 0), -1);
    assert_exception(X86_GP, 0);
}

static void test_load_wrong_type(void **state)
{
    (void)state;
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, TSS_SEL), -1);
    assert_exception(X86_GP, TSS_SEL);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, XONLY), -1);
    assert_exception(X86_GP, XONLY);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_SS, KCODE), -1);
    assert_exception(X86_GP, KCODE);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_SS, RODATA), -1);
    assert_exception(X86_GP, RODATA);
    /* Beyond the GDT limit, and an LDT selector with no LDT loaded. */
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, GDT_ENTRIES * 8 + 3), -1);
    assert_exception(X86_GP, GDT_ENTRIES * 8);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, 0x0C), -1);
    assert_exception(X86_GP, 0x0C);
}

static void test_load_privilege_rules(void **state)
{
    (void)state;
    /* CPL 0, RPL 3 > DPL 0 */
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, KDATA | 3), -1);
    assert_exception(X86_GP, KDATA);
    /* SS: RPL and DPL must both equal the CPL */
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_SS, UDATA), -1);
    assert_exception(X86_GP, UDATA & ~3);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_SS, KDATA), 0);
    /* CPL 0 may load a DPL 3 data segment into DS */
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, UDATA), 0);
    enter_user(0x400000);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, KDATA), -1);
    assert_exception(X86_GP, KDATA);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, UDATA), 0);
    /* Conforming code is readable from any CPL */
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_ES, CONFORM | 3), 0);
}

static void test_load_not_present(void **state)
{
    (void)state;
    enter_user(0x400000);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, NP_DATA), -1);
    assert_exception(X86_NP, NP_DATA & ~3);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_SS, NP_DATA), -1);
    assert_exception(X86_SS_FAULT, NP_DATA & ~3);
    assert_int_equal(cpu.seg[X86_SS].selector, UDATA);       /* unchanged */
}

/* ---- interrupt delivery ------------------------------------------------- */

/* int $0x40 from ring 3 through a DPL-3 trap gate: the stack switches to
 * SS0:ESP0 and holds SS, ESP, EFLAGS, CS, EIP of the user; IF stays set. */
static void test_syscall_from_ring3(void **state)
{
    (void)state;
    enter_user(0x400000);
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, 0x40, X86_EVENT_SOFTWARE,
                                       false, 0, 0x400002), X86_STEP_OK);
    assert_false(cpu.exception.pending);
    assert_int_equal(cpu.cpl, 0);
    assert_int_equal(cpu.seg[X86_CS].selector, KCODE);
    assert_int_equal(cpu.eip, H_SYSCALL);
    assert_int_equal(cpu.seg[X86_SS].selector, KDATA);
    assert_int_equal(cpu.gpr[X86_ESP], KSTACK - 20);
    assert_int_equal(fake_read32(KSTACK - 4), UDATA);
    assert_int_equal(fake_read32(KSTACK - 8), USTACK);
    assert_int_equal(fake_read32(KSTACK - 12), X86_FLAG_FIXED | X86_FLAG_IF);
    assert_int_equal(fake_read32(KSTACK - 16), UCODE);
    assert_int_equal(fake_read32(KSTACK - 20), 0x400002);
    assert_true(cpu.eflags & X86_FLAG_IF);                   /* trap gate */
    assert_int_equal(descriptor_byte5(KCODE), 0x9B);        /* accessed */
}

/* A timer interrupt while the user program is halted... in user mode at
 * least: an interrupt gate clears IF and TF, and delivery ends hlt. */
static void test_external_interrupt_from_ring3(void **state)
{
    (void)state;
    enter_user(0x400000);
    cpu.eflags |= X86_FLAG_TF;
    cpu.halted = true;
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, 0x20, X86_EVENT_EXTERNAL,
                                       false, 0, 0x400000), X86_STEP_OK);
    assert_false(cpu.halted);
    assert_int_equal(cpu.eip, H_TIMER);
    assert_false(cpu.eflags & (X86_FLAG_IF | X86_FLAG_TF));
    assert_int_equal(fake_read32(KSTACK - 12), X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_TF);
    assert_int_equal(cpu.gpr[X86_ESP], KSTACK - 20);
}

/* #GP at ring 0: no stack switch; EFLAGS, CS, EIP and the error code. */
static void test_exception_ring0_with_error(void **state)
{
    (void)state;
    cpu.eflags = X86_FLAG_FIXED | X86_FLAG_IF;
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, X86_GP, X86_EVENT_EXCEPTION,
                                       true, 0x1234, 0x100000), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_ESP], 0x7000 - 16);
    assert_int_equal(fake_read32(0x7000 - 4), X86_FLAG_FIXED | X86_FLAG_IF);
    assert_int_equal(fake_read32(0x7000 - 8), KCODE);
    assert_int_equal(fake_read32(0x7000 - 12), 0x100000);
    assert_int_equal(fake_read32(0x7000 - 16), 0x1234);
    assert_int_equal(cpu.eip, H_GP);
    assert_int_equal(cpu.seg[X86_SS].selector, 0x10);
    assert_false(cpu.eflags & X86_FLAG_IF);
}

static void test_page_fault_from_ring3(void **state)
{
    (void)state;
    enter_user(0x400000);
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, X86_PF, X86_EVENT_EXCEPTION,
                                       true, 6, 0x400000), X86_STEP_OK);
    assert_int_equal(cpu.gpr[X86_ESP], KSTACK - 24);
    assert_int_equal(fake_read32(KSTACK - 24), 6);
    assert_int_equal(fake_read32(KSTACK - 20), 0x400000);
    assert_int_equal(cpu.eip, H_PF);
}

/* int $0x41 from ring 3 at a DPL-0 gate: #GP(0x41*8+2), reported at the
 * int instruction itself, not after it. */
static void test_software_int_gate_dpl(void **state)
{
    (void)state;
    enter_user(0x400000);
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, 0x41, X86_EVENT_SOFTWARE,
                                       false, 0, 0x400002), X86_STEP_OK);
    assert_int_equal(cpu.eip, H_GP);
    assert_int_equal(fake_read32(KSTACK - 24), 0x41 * 8 + 2);
    assert_int_equal(fake_read32(KSTACK - 20), 0x400000);
    /* The same vector from hardware ignores the gate's DPL. */
    setup(NULL);
    enter_user(0x400000);
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, 0x41, X86_EVENT_EXTERNAL,
                                       false, 0, 0x400000), X86_STEP_OK);
    assert_int_equal(cpu.eip, H_KONLY);
}

/* Beyond the IDT limit: #GP(vector*8+2), plus EXT (bit 0) for an event
 * that did not come from an int instruction. */
static void test_idt_limit(void **state)
{
    (void)state;
    x86_load_idtr(&cpu, IDT, 0x40 * 8 - 1);
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, 0x40, X86_EVENT_SOFTWARE,
                                       false, 0, 0x100002), X86_STEP_OK);
    assert_int_equal(fake_read32(cpu.gpr[X86_ESP]), 0x40 * 8 + 2);
    assert_int_equal(cpu.eip, H_GP);
    setup(NULL);
    x86_load_idtr(&cpu, IDT, 0x40 * 8 - 1);
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, 0x40, X86_EVENT_EXTERNAL,
                                       false, 0, 0x100000), X86_STEP_OK);
    assert_int_equal(fake_read32(cpu.gpr[X86_ESP]), 0x40 * 8 + 3);
}

/* An external interrupt whose gate is absent: the #NP is benign after an
 * interrupt, so it is simply delivered, EXT and IDT bits in its error code. */
static void test_fault_during_interrupt_is_serial(void **state)
{
    (void)state;
    fake.ram[IDT + 0x20 * 8 + 5] &= 0x7F;   /* clear P */
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, 0x20, X86_EVENT_EXTERNAL,
                                       false, 0, 0x100000), X86_STEP_OK);
    assert_int_equal(cpu.eip, H_NP);
    assert_int_equal(fake_read32(cpu.gpr[X86_ESP]), 0x20 * 8 + 3);
}

/* #GP whose gate is not present: #NP during a contributory fault = #DF. */
static void test_double_fault(void **state)
{
    (void)state;
    fake.ram[IDT + X86_GP * 8 + 5] &= 0x7F;
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, X86_GP, X86_EVENT_EXCEPTION,
                                       true, 0, 0x100000), X86_STEP_OK);
    assert_int_equal(cpu.eip, H_DF);
    assert_int_equal(cpu.gpr[X86_ESP], 0x7000 - 16);
    assert_int_equal(fake_read32(0x7000 - 16), 0);          /* #DF's error code */
    assert_int_equal(fake_read32(0x7000 - 12), 0x100000);
    assert_false(cpu.exception.pending);
}

static void test_triple_fault(void **state)
{
    (void)state;
    fake.ram[IDT + X86_GP * 8 + 5] &= 0x7F;
    fake.ram[IDT + X86_DF * 8 + 5] &= 0x7F;
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, X86_GP, X86_EVENT_EXCEPTION,
                                       true, 0, 0x100000), X86_STEP_TRIPLE_FAULT);
}

/* A page fault whose handler's stack is not mapped: #PF during #PF is a #DF,
 * which needs the same stack, so the CPU shuts down. */
static void test_page_fault_on_stack_shuts_down(void **state)
{
    (void)state;
    fake.absent[6] = true;              /* 0x6000-0x6FFF: below ESP 0x7000 */
    assert_int_equal(x86_deliver_event(&cpu, &fake_env, X86_PF, X86_EVENT_EXCEPTION,
                                       true, 0, 0x100000), X86_STEP_TRIPLE_FAULT);
    assert_int_equal(cpu.cr2, 0x6FFC);
}

/* ---- iret ----------------------------------------------------------------- */

/* Back to ring 3 after a system call: SS:ESP restored, CPL 3, and the
 * kernel's DS (DPL 0) nulled; at CPL 0 iret may change IOPL. */
static void test_iret_to_ring3(void **state)
{
    (void)state;
    enter_user(0x400000);
    x86_deliver_event(&cpu, &fake_env, 0x40, X86_EVENT_SOFTWARE, false, 0, 0x400002);
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, KDATA), 0);
    fake_write32(KSTACK - 12, X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_IOPL | X86_FLAG_CF);
    assert_int_equal(x86_iret(&cpu, &fake_env, true), 0);
    assert_int_equal(cpu.cpl, 3);
    assert_int_equal(cpu.seg[X86_CS].selector, UCODE);
    assert_int_equal(cpu.eip, 0x400002);
    assert_int_equal(cpu.seg[X86_SS].selector, UDATA);
    assert_int_equal(cpu.gpr[X86_ESP], USTACK);
    assert_int_equal(cpu.eflags, X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_IOPL | X86_FLAG_CF);
    assert_true(cpu.seg[X86_DS].attr & X86_AR_UNUSABLE);
    assert_int_equal(cpu.seg[X86_DS].selector, 0);
    assert_int_equal(cpu.seg[X86_ES].selector, UDATA);       /* DPL 3: kept */
}

/* At CPL 3 iret keeps IOPL, and changes IF only when CPL <= IOPL. */
static void test_iret_flag_rules(void **state)
{
    (void)state;
    enter_user(0x400000);
    cpu.gpr[X86_ESP] = USTACK - 12;
    fake_write32(USTACK - 12, 0x400100);
    fake_write32(USTACK - 8, UCODE);
    fake_write32(USTACK - 4, X86_FLAG_FIXED | X86_FLAG_IOPL);   /* IF=0, IOPL=3 */
    assert_int_equal(x86_iret(&cpu, &fake_env, true), 0);
    assert_int_equal(cpu.eip, 0x400100);
    assert_int_equal(cpu.gpr[X86_ESP], USTACK);
    assert_int_equal(cpu.eflags, X86_FLAG_FIXED | X86_FLAG_IF);  /* both ignored */

    cpu.eflags = X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_IOPL;
    cpu.gpr[X86_ESP] = USTACK - 12;
    fake_write32(USTACK - 4, X86_FLAG_FIXED);                    /* IF=0, IOPL=0 */
    assert_int_equal(x86_iret(&cpu, &fake_env, true), 0);
    assert_int_equal(cpu.eflags, X86_FLAG_FIXED | X86_FLAG_IOPL);  /* IF cleared */
}

static void test_iret_refusals(void **state)
{
    (void)state;
    enter_user(0x400000);
    cpu.gpr[X86_ESP] = USTACK - 12;
    fake_write32(USTACK - 12, 0x400100);
    fake_write32(USTACK - 8, KCODE);    /* to ring 0 from ring 3 */
    fake_write32(USTACK - 4, X86_FLAG_FIXED);
    assert_int_equal(x86_iret(&cpu, &fake_env, true), -1);
    assert_exception(X86_GP, KCODE);
    assert_int_equal(cpu.gpr[X86_ESP], USTACK - 12);
    cpu.eflags |= X86_FLAG_NT;          /* task return: unsupported */
    assert_int_equal(x86_iret(&cpu, &fake_env, true), -1);
    assert_exception(X86_GP, 0);
}

/* ---- far transfers ------------------------------------------------------ */

static void test_far_jump(void **state)
{
    (void)state;
    assert_int_equal(x86_far_jump(&cpu, &fake_env, KCODE, 0x1234, true), 0);
    assert_int_equal(cpu.seg[X86_CS].selector, KCODE);
    assert_int_equal(cpu.eip, 0x1234);
    assert_int_equal(x86_far_jump(&cpu, &fake_env, UCODE, 0x1234, true), -1);
    assert_exception(X86_GP, UCODE & ~3);
    assert_int_equal(x86_far_jump(&cpu, &fake_env, TSS_SEL, 0, true), -1);
    assert_exception(X86_GP, TSS_SEL);  /* task switch: unsupported */
    /* Conforming code runs at the caller's CPL. */
    enter_user(0x400000);
    assert_int_equal(x86_far_jump(&cpu, &fake_env, CONFORM, 0x2000, true), 0);
    assert_int_equal(cpu.cpl, 3);
    assert_int_equal(cpu.seg[X86_CS].selector, CONFORM | 3);
}

static void test_far_call_and_return(void **state)
{
    (void)state;
    cpu.eip = 0x100000;
    assert_int_equal(x86_far_call(&cpu, &fake_env, KCODE, 0x2000, true, 0x100007), 0);
    assert_int_equal(cpu.eip, 0x2000);
    assert_int_equal(cpu.gpr[X86_ESP], 0x7000 - 8);
    assert_int_equal(fake_read32(0x7000 - 4), 0x08);
    assert_int_equal(fake_read32(0x7000 - 8), 0x100007);
    assert_int_equal(x86_far_return(&cpu, &fake_env, true, 4), 0);
    assert_int_equal(cpu.eip, 0x100007);
    assert_int_equal(cpu.gpr[X86_ESP], 0x7000 + 4);
}

/* ret far from ring 0 to ring 3: pops SS:ESP (after skipping the
 * parameters), releases the parameters on the user stack too, nulls DS. */
static void test_far_return_to_ring3(void **state)
{
    (void)state;
    assert_int_equal(x86_load_segment(&cpu, &fake_env, X86_DS, KDATA), 0);
    fake_write32(0x7000, 0x400200);
    fake_write32(0x7004, UCODE);
    fake_write32(0x7010, USTACK - 8);   /* after 8 bytes of parameters */
    fake_write32(0x7014, UDATA);
    assert_int_equal(x86_far_return(&cpu, &fake_env, true, 8), 0);
    assert_int_equal(cpu.cpl, 3);
    assert_int_equal(cpu.eip, 0x400200);
    assert_int_equal(cpu.seg[X86_SS].selector, UDATA);
    assert_int_equal(cpu.gpr[X86_ESP], USTACK);
    assert_true(cpu.seg[X86_DS].attr & X86_AR_UNUSABLE);
}

static void test_call_gate_same_privilege(void **state)
{
    (void)state;
    enter_user(0x400000);
    assert_int_equal(x86_far_call(&cpu, &fake_env, CALLGATE, 0xDEAD, false, 0x400007), 0);
    assert_int_equal(cpu.eip, 0x5000);                      /* the gate's offset */
    assert_int_equal(cpu.seg[X86_CS].selector, UCODE);
    assert_int_equal(cpu.gpr[X86_ESP], USTACK - 8);         /* 32-bit gate: 4-byte pushes */
    assert_int_equal(fake_read32(USTACK - 8), 0x400007);
    fake.ram[GDT + (CALLGATE & ~7) + 5] = 0x8C;             /* gate DPL 0 */
    assert_int_equal(x86_far_call(&cpu, &fake_env, CALLGATE, 0, true, 0), -1);
    assert_exception(X86_GP, CALLGATE & ~3);
}

/* ---- system registers --------------------------------------------------- */

static void test_control_registers(void **state)
{
    (void)state;
    uint32_t v;
    assert_int_equal(x86_write_cr(&cpu, &fake_env, 0, X86_CR0_PE | X86_CR0_PG), 0);
    assert_int_equal(fake.flushes, 1);
    assert_int_equal(x86_read_cr(&cpu, 0, &v), 0);
    assert_int_equal(v, X86_CR0_PE | X86_CR0_PG | X86_CR0_ET);
    assert_int_equal(x86_write_cr(&cpu, &fake_env, 0, v | X86_CR0_TS), 0);
    assert_int_equal(fake.flushes, 1);                      /* TS: no flush */
    assert_int_equal(x86_write_cr(&cpu, &fake_env, 0, v | X86_CR0_WP), 0);
    assert_int_equal(fake.flushes, 2);
    assert_int_equal(x86_write_cr(&cpu, &fake_env, 0, X86_CR0_PG), -1);
    assert_exception(X86_GP, 0);
    assert_int_equal(x86_write_cr(&cpu, &fake_env, 3, 0x5000), 0);
    assert_int_equal(cpu.cr3, 0x5000);
    assert_int_equal(fake.flushes, 3);
    assert_int_equal(x86_write_cr(&cpu, &fake_env, 4, X86_CR4_PSE), 0);
    assert_int_equal(fake.flushes, 4);
    assert_int_equal(x86_write_cr(&cpu, &fake_env, 4, X86_CR4_PSE | 0x20), -1);  /* PAE */
    assert_exception(X86_GP, 0);
    assert_int_equal(cpu.cr4, X86_CR4_PSE);
    assert_int_equal(x86_write_cr(&cpu, &fake_env, 2, 0xC0001000), 0);
    assert_int_equal(x86_read_cr(&cpu, 2, &v), 0);
    assert_int_equal(v, 0xC0001000);
    assert_int_equal(fake.flushes, 4);
    assert_int_equal(x86_write_cr(&cpu, &fake_env, 1, 0), -1);
    assert_int_equal(cpu.exception.vector, X86_UD);
    assert_int_equal(x86_read_cr(&cpu, 5, &v), -1);
    assert_int_equal(cpu.exception.vector, X86_UD);
}

/* setup() ran ltr: the descriptor is busy now, and a second ltr faults. */
static void test_ltr_busy(void **state)
{
    (void)state;
    assert_int_equal(descriptor_byte5(TSS_SEL), 0x8B);
    assert_int_equal(cpu.tr.base, TSS);
    assert_int_equal(cpu.tr.limit, 0xE8);
    assert_int_equal(x86_load_tr(&cpu, &fake_env, TSS_SEL), -1);
    assert_exception(X86_GP, TSS_SEL);
    assert_int_equal(x86_load_tr(&cpu, &fake_env, KDATA), -1);
    assert_exception(X86_GP, KDATA);
}

static void test_io_permission_bitmap(void **state)
{
    (void)state;
    assert_true(x86_io_allowed(&cpu, &fake_env, 0x60, 1));     /* CPL 0 <= IOPL 0 */
    enter_user(0x400000);
    assert_true(x86_io_allowed(&cpu, &fake_env, 0x3F8, 1));
    assert_true(x86_io_allowed(&cpu, &fake_env, 0x3FC, 4));
    assert_false(x86_io_allowed(&cpu, &fake_env, 0x60, 1));
    assert_false(x86_io_allowed(&cpu, &fake_env, 0x5E, 4));    /* 0x5E..0x61 covers 0x60 */
    assert_false(x86_io_allowed(&cpu, &fake_env, 0x3FF, 2));   /* 0x400: the 0xFF byte */
    assert_false(x86_io_allowed(&cpu, &fake_env, 0x1000, 1));  /* beyond the TSS limit */
    cpu.eflags |= X86_FLAG_IOPL;
    assert_true(x86_io_allowed(&cpu, &fake_env, 0x60, 1));
}

static void test_reset_multiboot(void **state)
{
    (void)state;
    x86_reset_multiboot(&cpu, 0x100020, 0x10000);
    assert_int_equal(cpu.eip, 0x100020);
    assert_int_equal(cpu.gpr[X86_EAX], 0x2BADB002);
    assert_int_equal(cpu.gpr[X86_EBX], 0x10000);
    assert_int_equal(cpu.cr0, X86_CR0_PE | X86_CR0_ET);
    assert_int_equal(cpu.eflags, 0x2);
    assert_int_equal(cpu.cpl, 0);
    assert_int_equal(cpu.seg[X86_CS].selector, 0x08);
    assert_int_equal(cpu.seg[X86_CS].limit, 0xFFFFFFFF);
    assert_int_equal(cpu.seg[X86_CS].attr & 0xF0FF, 0xB | X86_AR_S | X86_AR_P | X86_AR_DB | X86_AR_G);
    assert_int_equal(cpu.seg[X86_SS].attr & X86_AR_TYPE_MASK, 0x3);
    assert_true(cpu.ldtr.attr & X86_AR_UNUSABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_load_data_segment, setup),
        cmocka_unit_test_setup(test_load_null_selectors, setup),
        cmocka_unit_test_setup(test_load_wrong_type, setup),
        cmocka_unit_test_setup(test_load_privilege_rules, setup),
        cmocka_unit_test_setup(test_load_not_present, setup),
        cmocka_unit_test_setup(test_syscall_from_ring3, setup),
        cmocka_unit_test_setup(test_external_interrupt_from_ring3, setup),
        cmocka_unit_test_setup(test_exception_ring0_with_error, setup),
        cmocka_unit_test_setup(test_page_fault_from_ring3, setup),
        cmocka_unit_test_setup(test_software_int_gate_dpl, setup),
        cmocka_unit_test_setup(test_idt_limit, setup),
        cmocka_unit_test_setup(test_fault_during_interrupt_is_serial, setup),
        cmocka_unit_test_setup(test_double_fault, setup),
        cmocka_unit_test_setup(test_triple_fault, setup),
        cmocka_unit_test_setup(test_page_fault_on_stack_shuts_down, setup),
        cmocka_unit_test_setup(test_iret_to_ring3, setup),
        cmocka_unit_test_setup(test_iret_flag_rules, setup),
        cmocka_unit_test_setup(test_iret_refusals, setup),
        cmocka_unit_test_setup(test_far_jump, setup),
        cmocka_unit_test_setup(test_far_call_and_return, setup),
        cmocka_unit_test_setup(test_far_return_to_ring3, setup),
        cmocka_unit_test_setup(test_call_gate_same_privilege, setup),
        cmocka_unit_test_setup(test_control_registers, setup),
        cmocka_unit_test_setup(test_ltr_busy, setup),
        cmocka_unit_test_setup(test_io_permission_bitmap, setup),
        cmocka_unit_test_setup(test_reset_multiboot, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
