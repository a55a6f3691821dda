/*
 * test_x86_disasm.c - the decoder's lengths and the disassembler's text
 * (chapter 02-interpreter.md, "Decoding"). The expected strings are what
 * GNU objdump prints for the same bytes; the decoder was also checked
 * against objdump on every instruction of several gcc -m32 -O2 objects
 * (same lengths throughout).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/x86/decode.h"
#include "vmm/x86/x86.h"

struct dis_case {
    uint8_t bytes[16];
    unsigned len;
    const char *text;
};

static const struct dis_case cases[] = {
    { { 0x55 }, 1, "push %ebp" },
    { { 0x89, 0xE5 }, 2, "mov %esp,%ebp" },
    { { 0x8B, 0x45, 0x08 }, 3, "mov 0x8(%ebp),%eax" },
    { { 0x89, 0x44, 0x24, 0xFC }, 4, "mov %eax,-0x4(%esp)" },
    { { 0x8B, 0x14, 0x85, 0x00, 0x03, 0x00, 0x00 }, 7, "mov 0x300(,%eax,4),%edx" },
    { { 0x83, 0xC0, 0xFF }, 3, "add $0xffffffff,%eax" },
    { { 0x81, 0x38, 0x78, 0x56, 0x34, 0x12 }, 6, "cmpl $0x12345678,(%eax)" },
    { { 0x66, 0xC7, 0x00, 0x34, 0x12 }, 5, "movw $0x1234,(%eax)" },
    { { 0x0F, 0xB6, 0xC0 }, 3, "movzbl %al,%eax" },
    { { 0x0F, 0xBF, 0x08 }, 3, "movswl (%eax),%ecx" },
    { { 0xE8, 0x00, 0x00, 0x00, 0x00 }, 5, "call 0x1005" },
    { { 0x75, 0xFE }, 2, "jne 0x1000" },
    { { 0x0F, 0x84, 0x10, 0x00, 0x00, 0x00 }, 6, "je 0x1016" },
    { { 0xFF, 0x24, 0x85, 0x10, 0x00, 0x00, 0x00 }, 7, "jmp *0x10(,%eax,4)" },
    { { 0xC3 }, 1, "ret" },
    { { 0xC2, 0x04, 0x00 }, 3, "ret $0x4" },
    { { 0xF3, 0xA5 }, 2, "rep movsl %ds:(%esi),%es:(%edi)" },
    { { 0xF3, 0xAA }, 2, "rep stos %al,%es:(%edi)" },
    { { 0xF3, 0xA6 }, 2, "repz cmpsb %es:(%edi),%ds:(%esi)" },
    { { 0xF2, 0xAE }, 2, "repnz scas %es:(%edi),%al" },
    { { 0xF0, 0x0F, 0xB1, 0x0A }, 4, "lock cmpxchg %ecx,(%edx)" },
    { { 0x0F, 0x01, 0x10 }, 3, "lgdtl (%eax)" },
    { { 0x0F, 0x22, 0xD8 }, 3, "mov %eax,%cr3" },
    { { 0x0F, 0x20, 0xC0 }, 3, "mov %cr0,%eax" },
    { { 0x0F, 0x00, 0xD8 }, 3, "ltr %ax" },
    { { 0x0F, 0x01, 0x38 }, 3, "invlpg (%eax)" },
    { { 0xEA, 0x00, 0x00, 0x10, 0x00, 0x08, 0x00 }, 7, "ljmp $0x8,$0x100000" },
    { { 0xCD, 0x40 }, 2, "int $0x40" },
    { { 0xEC }, 1, "in (%dx),%al" },
    { { 0xE6, 0x80 }, 2, "out %al,$0x80" },
    { { 0x0F, 0xA4, 0xC3, 0x03 }, 4, "shld $0x3,%eax,%ebx" },
    { { 0x69, 0xD8, 0x45, 0x23, 0x01, 0x00 }, 6, "imul $0x12345,%eax,%ebx" },
    { { 0xD1, 0xE0 }, 2, "shl %eax" },
    { { 0xD3, 0x3B }, 2, "sarl %cl,(%ebx)" },
    { { 0x0F, 0x1F, 0x44, 0x00, 0x00 }, 5, "nopl 0x0(%eax,%eax,1)" },
    { { 0x65, 0xA1, 0x14, 0x00, 0x00, 0x00 }, 6, "mov %gs:0x14,%eax" },
    { { 0x67, 0x66, 0x8B, 0x00 }, 4, "mov (%bx,%si),%ax" },
    { { 0x8E, 0xD0 }, 2, "mov %eax,%ss" },
    { { 0x91 }, 1, "xchg %eax,%ecx" },
    { { 0x66, 0x98 }, 2, "cbtw" },
    { { 0xCF }, 1, "iret" },
    { { 0xC8, 0x10, 0x00, 0x00 }, 4, "enter $0x10,$0x0" },
};

static void test_known_sequences(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct x86_insn_text t;
        x86_disassemble(cases[i].bytes, 16, 0x1000, &t);
        if (t.length != cases[i].len || strcmp(t.text, cases[i].text) != 0)
            fail_msg("case %zu: got \"%s\" (%u bytes), want \"%s\" (%u bytes)", i, t.text,
                     t.length, cases[i].text, cases[i].len);
    }
}

static void test_bad_and_short_input(void **state)
{
    (void)state;
    struct x86_insn_text t;
    static const uint8_t ud[] = { 0x0F, 0xFF };
    x86_disassemble(ud, sizeof ud, 0, &t);
    assert_string_equal(t.text, "(bad)");
    assert_int_equal(t.length, 2);
    static const uint8_t cut[] = { 0xB8, 0x01, 0x02 };              /* mov imm32, cut short */
    x86_disassemble(cut, sizeof cut, 0, &t);
    assert_int_equal(t.length, 0);
    static const uint8_t lock_reg[] = { 0xF0, 0x01, 0xC0 };         /* lock add %eax,%eax */
    x86_disassemble(lock_reg, sizeof lock_reg, 0, &t);
    assert_string_equal(t.text, "(bad)");
    uint8_t prefixes[16];
    memset(prefixes, 0x66, sizeof prefixes);
    x86_disassemble(prefixes, sizeof prefixes, 0, &t);              /* past 15 bytes */
    assert_int_equal(t.length, 0);
}

/* The decoder's view of operands, which the executor relies on. */
static void test_decoded_fields(void **state)
{
    (void)state;
    struct x86_insn in;
    static const uint8_t sib[] = { 0x26, 0x8B, 0x44, 0x8D, 0xF0 };  /* mov %es:-0x10(%ebp,%ecx,4),%eax */
    assert_int_equal(x86_decode(sib, sizeof sib, true, &in), 5);
    assert_true(in.mem);
    assert_int_equal(in.base, X86_EBP);
    assert_int_equal(in.index, X86_ECX);
    assert_int_equal(in.scale, 2);
    assert_int_equal(in.disp, 0xFFFFFFF0);
    assert_int_equal(in.seg, X86_ES);
    static const uint8_t stack[] = { 0x8B, 0x45, 0x08 };            /* ebp-based: SS */
    assert_int_equal(x86_decode(stack, sizeof stack, true, &in), 3);
    assert_int_equal(in.seg, X86_SS);
    static const uint8_t imm16[] = { 0x66, 0x05, 0x34, 0x12 };      /* add $0x1234,%ax */
    assert_int_equal(x86_decode(imm16, sizeof imm16, true, &in), 4);
    assert_int_equal(in.opsize, 2);
    assert_int_equal(in.imm, 0x1234);
    assert_int_equal(x86_decode(imm16, 3, true, &in), 0);           /* needs one more byte */
    static const uint8_t code16[] = { 0xB8, 0x34, 0x12 };           /* in a 16-bit segment */
    assert_int_equal(x86_decode(code16, sizeof code16, false, &in), 3);
    assert_int_equal(in.opsize, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_sequences),
        cmocka_unit_test(test_bad_and_short_input),
        cmocka_unit_test(test_decoded_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
