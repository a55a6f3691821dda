/*
 * test_kvm_state.c - conversion between KVM's registers (struct kvm_regs,
 * struct kvm_sregs, struct kvm_vcpu_events) and struct x86_cpu
 * (vmm/kvm/kvm-state.c): the access-rights layout of code, data, TSS, LDT and
 * unusable segments, and round trips both ways. No /dev/kvm needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/kvm/kvm.h"
#include "vmm/x86/x86.h"

static void assert_segment_equal(const struct x86_segment *a, const struct x86_segment *b)
{
    assert_int_equal(a->selector, b->selector);
    assert_int_equal(a->base, b->base);
    assert_int_equal(a->limit, b->limit);
    assert_int_equal(a->attr, b->attr);
}

/* One segment both ways, field by field. */
static void check_segment(uint32_t attr, unsigned type, unsigned s, unsigned dpl,
                          unsigned p, unsigned db, unsigned g, unsigned unusable)
{
    struct x86_segment x = { .selector = 0x1B, .base = 0x12345000, .limit = 0xFFFFF, .attr = attr };
    struct kvm_segment k;
    kvm_segment_from_x86(&x, &k);
    assert_int_equal(k.selector, 0x1B);
    assert_int_equal(k.base, 0x12345000);
    assert_int_equal(k.limit, 0xFFFFF);
    assert_int_equal(k.type, type);
    assert_int_equal(k.s, s);
    assert_int_equal(k.dpl, dpl);
    assert_int_equal(k.present, p);
    assert_int_equal(k.db, db);
    assert_int_equal(k.g, g);
    assert_int_equal(k.l, 0);
    assert_int_equal(k.unusable, unusable);
    struct x86_segment back;
    kvm_segment_to_x86(&k, &back);
    assert_segment_equal(&back, &x);
}

static void test_code_segment(void **state)
{
    (void)state;
    /* ring-3 32-bit code, execute/read, accessed, 4 KiB granular: AR 0xC0FB */
    check_segment(0xC0FB, 0xB, 1, 3, 1, 1, 1, 0);
}

static void test_data_segment(void **state)
{
    (void)state;
    /* ring-0 read/write data, accessed, byte granular: AR 0x4093 */
    check_segment(0x4093, 0x3, 1, 0, 1, 1, 0, 0);
}

static void test_tss_segment(void **state)
{
    (void)state;
    /* busy 32-bit TSS: a system segment (S = 0), type 11: AR 0x008B */
    check_segment(0x008B, 0xB, 0, 0, 1, 0, 0, 0);
}

static void test_ldt_segment(void **state)
{
    (void)state;
    /* LDT: system type 2: AR 0x0082 */
    check_segment(0x0082, 0x2, 0, 0, 1, 0, 0, 0);
}

static void test_unusable_segment(void **state)
{
    (void)state;
    /* a null selector loaded: bit 16, nothing else */
    check_segment(X86_AR_UNUSABLE, 0, 0, 0, 0, 0, 0, 1);
}

static void test_avl_and_long_bits(void **state)
{
    (void)state;
    struct x86_segment x = { .attr = 0x3000 | 0x9B };   /* AVL and L set */
    struct kvm_segment k;
    kvm_segment_from_x86(&x, &k);
    assert_int_equal(k.avl, 1);
    assert_int_equal(k.l, 1);
    struct x86_segment back;
    kvm_segment_to_x86(&k, &back);
    assert_int_equal(back.attr, 0x309B);
}

/* A CPU in the middle of a guest: every field different. */
static struct x86_cpu busy_cpu(void)
{
    struct x86_cpu c;
    x86_reset_multiboot(&c, 0x100000, 0x10000);
    for (int i = 0; i < 8; i++)
        c.gpr[i] = 0x11111111u * (uint32_t)(i + 1);
    c.eip = 0xC0101234;
    c.eflags = 0x00000246;
    c.cr0 = 0x80010011;
    c.cr2 = 0x00401000;
    c.cr3 = 0x00123000;
    c.cr4 = 0x00000010;
    c.seg[X86_CS] = (struct x86_segment){ 0x1B, 0, 0xFFFFFFFF, 0xC0FB };
    c.seg[X86_SS] = (struct x86_segment){ 0x23, 0, 0xFFFFFFFF, 0xC0F3 };
    c.seg[X86_FS] = (struct x86_segment){ 0, 0, 0, X86_AR_UNUSABLE };
    c.ldtr = (struct x86_segment){ 0x30, 0xC0200000, 0x17, 0x0082 };
    c.tr = (struct x86_segment){ 0x28, 0xC0105000, 0x67, 0x008B };
    c.gdtr = (struct x86_dtable){ 0xC0104000, 0x37 };
    c.idtr = (struct x86_dtable){ 0xC0103000, 0x7FF };
    c.cpl = 3;
    return c;
}

static void test_cpu_round_trip(void **state)
{
    (void)state;
    struct x86_cpu c = busy_cpu(), back;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    memset(&sregs, 0, sizeof(sregs));
    sregs.efer = 0x800;                 /* KVM's own: must survive */
    sregs.apic_base = 0xFEE00900;
    kvm_state_from_cpu(&c, &regs, &sregs);
    assert_int_equal(regs.rax, 0x11111111);
    assert_int_equal(regs.rcx, 0x22222222);   /* our gpr[1] is ECX */
    assert_int_equal(regs.rbx, 0x44444444);
    assert_int_equal(regs.rdi, 0x88888888);
    assert_int_equal(regs.rip, 0xC0101234);
    assert_int_equal(sregs.cr0, 0x80010011);
    assert_int_equal(sregs.cs.dpl, 3);
    assert_int_equal(sregs.ss.dpl, 3);
    assert_int_equal(sregs.tr.type, 0xB);
    assert_int_equal(sregs.ldt.type, 0x2);
    assert_int_equal(sregs.fs.unusable, 1);
    assert_int_equal(sregs.gdt.base, 0xC0104000);
    assert_int_equal(sregs.idt.limit, 0x7FF);
    assert_int_equal(sregs.efer, 0x800);
    assert_int_equal(sregs.apic_base, 0xFEE00900);

    memset(&back, 0, sizeof(back));
    kvm_state_to_cpu(&regs, &sregs, &back);
    assert_memory_equal(back.gpr, c.gpr, sizeof(c.gpr));
    assert_int_equal(back.eip, c.eip);
    assert_int_equal(back.eflags, c.eflags);
    assert_int_equal(back.cr0, c.cr0);
    assert_int_equal(back.cr2, c.cr2);
    assert_int_equal(back.cr3, c.cr3);
    assert_int_equal(back.cr4, c.cr4);
    for (int i = 0; i < X86_SREG_COUNT; i++)
        assert_segment_equal(&back.seg[i], &c.seg[i]);
    assert_segment_equal(&back.ldtr, &c.ldtr);
    assert_segment_equal(&back.tr, &c.tr);
    assert_memory_equal(&back.gdtr, &c.gdtr, sizeof(c.gdtr));
    assert_memory_equal(&back.idtr, &c.idtr, sizeof(c.idtr));
    assert_int_equal(back.cpl, 3);
}

/* The Multiboot entry state main.c hands every engine survives the trip. */
static void test_multiboot_state_round_trip(void **state)
{
    (void)state;
    struct x86_cpu c, back;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    x86_reset_multiboot(&c, 0x100020, 0x10000);
    memset(&sregs, 0, sizeof(sregs));
    kvm_state_from_cpu(&c, &regs, &sregs);
    assert_int_equal(regs.rax, 0x2BADB002);
    assert_int_equal(regs.rbx, 0x10000);
    assert_int_equal(regs.rflags, 0x2);
    assert_int_equal(sregs.cs.selector, 0x08);
    assert_int_equal(sregs.cs.db, 1);
    assert_int_equal(sregs.cs.g, 1);
    assert_int_equal(sregs.cs.limit, 0xFFFFFFFF);
    assert_int_equal(sregs.ldt.unusable, 1);
    memset(&back, 0, sizeof(back));
    kvm_state_to_cpu(&regs, &sregs, &back);
    for (int i = 0; i < X86_SREG_COUNT; i++)
        assert_segment_equal(&back.seg[i], &c.seg[i]);
    assert_segment_equal(&back.ldtr, &c.ldtr);
    assert_segment_equal(&back.tr, &c.tr);
    assert_memory_equal(back.gpr, c.gpr, sizeof(c.gpr));
    assert_int_equal(back.eip, 0x100020);
    assert_int_equal(back.eflags, c.eflags);
    assert_int_equal(back.cr0, c.cr0);
    assert_int_equal(back.cpl, 0);

    /* RFLAGS bit 1 always reads 1 (SDM 3.4.3): set it even when our copy,
       written by a debugger, say, has it clear. */
    c.eflags = 0x200;
    kvm_state_from_cpu(&c, &regs, &sregs);
    assert_int_equal(regs.rflags, 0x202);
}

static void test_events_round_trip(void **state)
{
    (void)state;
    struct x86_cpu c = busy_cpu(), back = busy_cpu();
    struct kvm_vcpu_events ev;
    memset(&ev, 0, sizeof(ev));
    ev.nmi.pending = 1;                 /* not ours: must survive */
    c.interrupt_shadow = true;
    c.exception = (struct x86_event){ .pending = true, .vector = X86_PF, .has_error = true,
                                      .error = 6 };
    kvm_events_from_cpu(&c, &ev);
    assert_int_equal(ev.interrupt.shadow, KVM_X86_SHADOW_INT_STI);
    assert_int_equal(ev.exception.injected, 1);
    assert_int_equal(ev.exception.nr, X86_PF);
    assert_int_equal(ev.exception.error_code, 6);
    assert_int_equal(ev.nmi.pending, 1);
    kvm_events_to_cpu(&ev, &back);
    assert_true(back.interrupt_shadow);
    assert_true(back.exception.pending);
    assert_int_equal(back.exception.vector, X86_PF);
    assert_true(back.exception.has_error);
    assert_int_equal(back.exception.error, 6);

    c.interrupt_shadow = false;
    c.exception.pending = false;
    kvm_events_from_cpu(&c, &ev);
    kvm_events_to_cpu(&ev, &back);
    assert_false(back.interrupt_shadow);
    assert_false(back.exception.pending);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_segment),
        cmocka_unit_test(test_data_segment),
        cmocka_unit_test(test_tss_segment),
        cmocka_unit_test(test_ldt_segment),
        cmocka_unit_test(test_unusable_segment),
        cmocka_unit_test(test_avl_and_long_bits),
        cmocka_unit_test(test_cpu_round_trip),
        cmocka_unit_test(test_multiboot_state_round_trip),
        cmocka_unit_test(test_events_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
