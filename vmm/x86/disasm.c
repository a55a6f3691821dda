/*
 * disasm.c - AT&T-syntax text for one instruction, for the monitor's x/i
 * and for traces (chapter 02-interpreter.md, "Decoding").
 *
 * It runs the executor's own decoder, so the length it reports is the
 * length the CPU would execute, and it prints from the same opcode tables:
 * each opcode's operand layout (enum x86_form) says which operands to print
 * and in which order. AT&T puts the source first, registers get a %, and
 * immediates a $; a b/w/l suffix is added where no register operand tells
 * the size. The style follows objdump's where that is simple to do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/x86/cpu.h"
#include "vmm/x86/decode.h"
#include "vmm/x86/x86.h"

static const char *const reg_names[3][8] = {
    { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" },
    { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" },
    { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" },
};
static const char *const sreg_names[8] = { "es", "cs", "ss", "ds", "fs", "gs", "?", "?" };

/* An output buffer that never overflows (text is cut instead). */
struct out {
    char *s;
    size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (o->len < o->cap) {
        int n = vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
        if (n > 0)
            o->len += (size_t)n < o->cap - o->len ? (size_t)n : o->cap - o->len - 1;
    }
    va_end(ap);
}

static const char *reg(unsigned r, unsigned size)
{
    return reg_names[size == 1 ? 0 : size == 2 ? 1 : 2][r & 7];
}

static char suffix(unsigned size)
{
    return size == 1 ? 'b' : size == 2 ? 'w' : 'l';
}

/* A signed displacement as objdump writes it: -0x8, 0x10. */
static void put_disp(struct out *o, uint32_t disp, unsigned addrsize)
{
    int32_t d = addrsize == 2 ? (int16_t)disp : (int32_t)disp;
    if (d < 0)
        put(o, "-0x%x", (unsigned)-(int64_t)d);
    else
        put(o, "0x%x", (unsigned)d);
}

/* The memory operand: [seg:]disp(base,index,scale), or an absolute address. */
static void put_mem(struct out *o, const struct x86_insn *in)
{
    const char *const *names = reg_names[in->addrsize == 2 ? 1 : 2];
    if (in->seg_override)
        put(o, "%%%s:", sreg_names[in->seg]);
    if (in->base < 0 && in->index < 0) {
        put(o, "0x%x", in->disp);
        return;
    }
    if (in->disp != 0 || in->base < 0 || (in->has_modrm && in->mod != 0))
        put_disp(o, in->disp, in->addrsize);
    put(o, "(");
    if (in->base >= 0)
        put(o, "%%%s", names[in->base]);
    if (in->index >= 0 && in->addrsize == 2)
        put(o, ",%%%s", names[in->index]);
    else if (in->index >= 0)
        put(o, ",%%%s,%u", names[in->index], 1u << in->scale);
    put(o, ")");
}

/* The ModRM r/m operand of the given size. */
static void put_rm(struct out *o, const struct x86_insn *in, unsigned size)
{
    if (in->mem)
        put_mem(o, in);
    else
        put(o, "%%%s", reg(in->rm, size));
}

static void put_imm(struct out *o, uint32_t v, unsigned size)
{
    put(o, "$0x%x", size == 4 ? v : v & ((1u << (8 * size)) - 1));
}

/* The mnemonic, with the size suffix when needs_suffix. */
static void put_name(struct out *o, const struct x86_insn *in, const char *name, bool needs_suffix)
{
    static const char *const rep_names[] = { "rep ", "repz ", "repnz " };
    if (in->lock)
        put(o, "lock ");
    if (in->rep && (in->info->flags & X86_OPF_STRING)) {
        bool compare = (in->op & ~1u) == 0xA6 || (in->op & ~1u) == 0xAE;
        put(o, "%s", rep_names[compare ? (in->rep == 0xF3 ? 1 : 2) : 0]);
    }
    put(o, "%s", name);
    if (needs_suffix)
        put(o, "%c", suffix(in->opsize));
    put(o, " ");
}

/* A lone memory operand needs a size suffix, except where the operation
 * has only one size (setcc, push/pop, nop, lgdt...), as objdump prints. */
static bool e_needs_suffix(const struct x86_insn *in)
{
    unsigned op = in->op;
    if (op == 0x8F || (op == 0xFF && in->reg == 6))
        return false;
    if (op == 0x101)                    /* lgdtl, sidtl, ... */
        return in->reg < 4;
    return op < 0x100 || (op >= 0x118 && op <= 0x11F);
}

/* Names that change with the operand size, where objdump spells them out. */
static const char *sized_name(const struct x86_insn *in, const char *name)
{
    bool w = in->opsize == 2;
    switch (in->op) {
    case 0x98: return w ? "cbtw" : "cwtl";
    case 0x99: return w ? "cwtd" : "cltd";
    case 0x60: return w ? "pushaw" : "pusha";
    case 0x61: return w ? "popaw" : "popa";
    case 0x9C: return w ? "pushfw" : "pushf";
    case 0x9D: return w ? "popfw" : "popf";
    case 0xCF: return w ? "iretw" : "iret";
    case 0xE3: return in->addrsize == 2 ? "jcxz" : "jecxz";
    case 0x90: return in->rep == 0xF3 ? "pause" : w ? "xchg %ax,%ax" : "nop";
    default:   return name;
    }
}

void x86_disassemble(const uint8_t *bytes, unsigned avail, uint32_t eip,
                     struct x86_insn_text *out)
{
    struct x86_insn in;
    struct out o = { out->text, 0, sizeof out->text };
    int n = x86_decode(bytes, avail, true, &in);

    out->text[0] = 0;
    if (n <= 0) {
        out->length = 0;
        put(&o, "(bad)");
        return;
    }
    out->length = (unsigned)n;
    if (in.undefined) {
        put(&o, "(bad)");
        return;
    }

    const struct x86_opcode *info = in.info;
    const char *name = info->name;
    unsigned form = info->form;
    if (info->flags & X86_OPF_GROUP) {
        const struct x86_group_op *g = &x86_groups[info->group][in.reg];
        name = g->name;
        if (g->form)
            form = g->form;
    }
    name = sized_name(&in, name);
    unsigned size = in.opsize;
    uint32_t next = eip + in.len;

    switch (form) {
    case X86_FORM_NONE:
        put_name(&o, &in, name, false);
        break;
    case X86_FORM_E:
        put_name(&o, &in, name, in.mem && e_needs_suffix(&in));
        put_rm(&o, &in, size);
        break;
    case X86_FORM_EW:                   /* lldt, ltr, lmsw read 16 bits; stores use opsize */
        put_name(&o, &in, name, false);
        put_rm(&o, &in, (in.op == 0x100 ? in.reg >= 2 : in.reg == 6) ? 2 : size);
        break;
    case X86_FORM_E_G:
        put_name(&o, &in, name, false);
        put(&o, "%%%s,", reg(in.reg, size));
        put_rm(&o, &in, size);
        break;
    case X86_FORM_G_E:
        put_name(&o, &in, name, false);
        put_rm(&o, &in, size);
        put(&o, ",%%%s", reg(in.reg, size));
        break;
    case X86_FORM_E_I:
        put_name(&o, &in, name, in.mem);
        put_imm(&o, in.imm, size);
        put(&o, ",");
        put_rm(&o, &in, size);
        break;
    case X86_FORM_E_1:
        put_name(&o, &in, name, in.mem);
        put_rm(&o, &in, size);
        break;
    case X86_FORM_E_CL:
        put_name(&o, &in, name, in.mem);
        put(&o, "%%cl,");
        put_rm(&o, &in, size);
        break;
    case X86_FORM_A_I:
        put_name(&o, &in, name, false);
        put_imm(&o, in.imm, size);
        put(&o, ",%%%s", reg(X86_EAX, size));
        break;
    case X86_FORM_Z:
        put_name(&o, &in, name, false);
        put(&o, "%%%s", reg(in.op & 7, size));
        break;
    case X86_FORM_Z_I:
        put_name(&o, &in, name, false);
        put_imm(&o, in.imm, size);
        put(&o, ",%%%s", reg(in.op & 7, size));
        break;
    case X86_FORM_A_Z:
        put_name(&o, &in, name, false);
        put(&o, "%%%s,%%%s", reg(X86_EAX, size), reg(in.op & 7, size));
        break;
    case X86_FORM_J: {
        uint32_t rel = (info->imm == X86_IMM_B) ? in.imm : (size == 2 ? (uint32_t)(int16_t)in.imm : in.imm);
        uint32_t target = next + rel;
        put_name(&o, &in, name, false);
        put(&o, "0x%x", size == 2 ? target & 0xFFFF : target);
        break;
    }
    case X86_FORM_I:
        put_name(&o, &in, name, false);
        put_imm(&o, in.imm, info->imm == X86_IMM_W ? 2 : info->imm == X86_IMM_B &&
                                 in.op != 0x6A ? 1 : size);
        break;
    case X86_FORM_SEG: {
        unsigned s = in.op < 0x100 ? (in.op >> 3) & 3 : (in.op & 0xFF) == 0xA0 ||
                     (in.op & 0xFF) == 0xA1 ? X86_FS : X86_GS;
        put_name(&o, &in, name, false);
        put(&o, "%%%s", sreg_names[s]);
        break;
    }
    case X86_FORM_A_M:
        put_name(&o, &in, name, false);
        put_mem(&o, &in);
        put(&o, ",%%%s", reg(X86_EAX, size));
        break;
    case X86_FORM_M_A:
        put_name(&o, &in, name, false);
        put(&o, "%%%s,", reg(X86_EAX, size));
        put_mem(&o, &in);
        break;
    case X86_FORM_G_E_I:
        put_name(&o, &in, name, false);
        put_imm(&o, in.imm, size);
        put(&o, ",");
        put_rm(&o, &in, size);
        put(&o, ",%%%s", reg(in.reg, size));
        break;
    case X86_FORM_E_S:
        put_name(&o, &in, name, false);
        put(&o, "%%%s,", sreg_names[in.reg]);
        put_rm(&o, &in, in.mem ? 2 : size);
        break;
    case X86_FORM_S_E:
        put_name(&o, &in, name, false);
        put_rm(&o, &in, in.mem ? 2 : size);
        put(&o, ",%%%s", sreg_names[in.reg]);
        break;
    case X86_FORM_E_G_I:
    case X86_FORM_E_G_CL:
        put_name(&o, &in, name, false);
        if (form == X86_FORM_E_G_I)
            put_imm(&o, in.imm, 1);
        else
            put(&o, "%%cl");
        put(&o, ",%%%s,", reg(in.reg, size));
        put_rm(&o, &in, size);
        break;
    case X86_FORM_FAR:
        put_name(&o, &in, name, false);
        put(&o, "$0x%x,$0x%x", in.imm2, in.imm);
        break;
    case X86_FORM_ENTER:
        put_name(&o, &in, name, false);
        put(&o, "$0x%x,$0x%x", in.imm, in.imm2);
        break;
    case X86_FORM_G_EB:
    case X86_FORM_G_EW:
        put_name(&o, &in, name, true);
        put_rm(&o, &in, form == X86_FORM_G_EB ? 1 : 2);
        put(&o, ",%%%s", reg(in.reg, size));
        break;
    case X86_FORM_IN_I:
        put_name(&o, &in, name, false);
        put(&o, "$0x%x,%%%s", in.imm & 0xFF, reg(X86_EAX, size));
        break;
    case X86_FORM_IN_DX:
        put_name(&o, &in, name, false);
        put(&o, "(%%dx),%%%s", reg(X86_EAX, size));
        break;
    case X86_FORM_OUT_I:
        put_name(&o, &in, name, false);
        put(&o, "%%%s,$0x%x", reg(X86_EAX, size), in.imm & 0xFF);
        break;
    case X86_FORM_OUT_DX:
        put_name(&o, &in, name, false);
        put(&o, "%%%s,(%%dx)", reg(X86_EAX, size));
        break;
    case X86_FORM_R_CR:
        put_name(&o, &in, name, false);
        put(&o, "%%cr%u,%%%s", in.reg, reg(in.rm, 4));
        break;
    case X86_FORM_CR_R:
        put_name(&o, &in, name, false);
        put(&o, "%%%s,%%cr%u", reg(in.rm, 4), in.reg);
        break;
    case X86_FORM_IND:
        put_name(&o, &in, name, false);
        put(&o, "*");
        put_rm(&o, &in, size);
        break;
    case X86_FORM_XLAT:
        put_name(&o, &in, name, false);
        put(&o, "%%%s:(%%%s)", sreg_names[in.seg], in.addrsize == 2 ? "bx" : "ebx");
        break;
    default: {
        /* The string instructions: DS:ESI (or the override) and ES:EDI. */
        const char *si = in.addrsize == 2 ? "si" : "esi", *di = in.addrsize == 2 ? "di" : "edi";
        const char *acc = reg(X86_EAX, size);
        const char *seg = sreg_names[in.seg];
        switch (form) {
        case X86_FORM_STR_SD:
            put_name(&o, &in, name, true);
            put(&o, "%%%s:(%%%s),%%es:(%%%s)", seg, si, di);
            break;
        case X86_FORM_STR_CMP:
            put_name(&o, &in, name, true);
            put(&o, "%%es:(%%%s),%%%s:(%%%s)", di, seg, si);
            break;
        case X86_FORM_STR_D:
            put_name(&o, &in, name, false);
            put(&o, "%%%s,%%es:(%%%s)", acc, di);
            break;
        case X86_FORM_STR_S:
            put_name(&o, &in, name, false);
            put(&o, "%%%s:(%%%s),%%%s", seg, si, acc);
            break;
        case X86_FORM_STR_SCAS:
            put_name(&o, &in, name, false);
            put(&o, "%%es:(%%%s),%%%s", di, acc);
            break;
        case X86_FORM_STR_IN:
            put_name(&o, &in, name, true);
            put(&o, "(%%dx),%%es:(%%%s)", di);
            break;
        default: /* X86_FORM_STR_OUT */
            put_name(&o, &in, name, true);
            put(&o, "%%%s:(%%%s),(%%dx)", seg, si);
            break;
        }
    }
    }
    /* Drop the space put_name leaves after an operand-less mnemonic. */
    if (o.len > 0 && out->text[o.len - 1] == ' ')
        out->text[--o.len] = 0;
}
