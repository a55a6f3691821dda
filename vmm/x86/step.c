/*
 * step.c - one turn of the interpreter: fetch, decode, execute, retire, or
 * deliver the fault instead (chapter 02-interpreter.md, "The loop").
 *
 * x86_step() is the whole CPU as seen from an engine. Its cycle:
 *   1. fetch the bytes at CS:EIP: one env->translate for the code page
 *      gives a host pointer the decoder reads directly; only an instruction
 *      that crosses a page (or code outside RAM) is copied byte by byte;
 *   2. decode them (decode.c) and move EIP past the instruction;
 *   3. execute (exec.c and friends);
 *   4. on success count the instruction; on a fault put EIP and ESP back,
 *      so the vCPU looks as if the instruction had never started, and
 *      deliver the exception through the IDT (system.c). A fault saves the
 *      EIP of the faulting instruction: the handler can fix the cause (map
 *      the page) and the instruction runs again.
 */
#include <assert.h>

#include "vmm/x86/exec.h"
#include "vmm/x86/x86.h"

/* Deliver the exception recorded in cpu->exception as a fault at return_eip. */
static enum x86_status deliver_exception(struct x86_cpu *cpu, const struct x86_env *env,
                                         uint32_t return_eip)
{
    struct x86_event e = cpu->exception;
    cpu->exception.pending = false;
    return x86_deliver_event(cpu, env, e.vector, X86_EVENT_EXCEPTION, e.has_error, e.error,
                             return_eip);
}

/* Fetch and decode the instruction at CS:EIP into *in. Returns 0, or -1
 * with #GP (beyond the CS limit, longer than 15 bytes) or #PF recorded. */
static int fetch(struct x86_cpu *cpu, const struct x86_env *env, struct x86_insn *in)
{
    const struct x86_segment *cs = &cpu->seg[X86_CS];
    bool d32 = cs->attr & X86_AR_DB;
    uint32_t eip = cpu->eip;

    if (eip > cs->limit)
        return x86_raise(cpu, X86_GP, true, 0);
    /* The most bytes we may look at: 15, and no further than the CS limit. */
    uint64_t in_segment = (uint64_t)cs->limit - eip + 1;
    unsigned want = in_segment < X86_MAX_INSN_LEN ? (unsigned)in_segment : X86_MAX_INSN_LEN;
    uint32_t lin = cs->base + eip;
    unsigned in_page = 4096 - (lin & 4095);
    unsigned first = want < in_page ? want : in_page;

    /* Fast path: decode straight from guest RAM. */
    struct x86_xlate_fault f;
    unsigned acc = X86_ACC_FETCH | (cpu->cpl == 3 ? X86_ACC_USER : 0);
    const uint8_t *p = env->translate(env->ctx, lin, acc, &f);
    int n;
    if (p) {
        n = x86_decode(p, first, d32, in);
        if (n > 0)
            return 0;
        if (n < 0 || first == want)
            return x86_raise(cpu, X86_GP, true, 0);
    }

    /* Slow path: copy the bytes, the second page only if the decoder needs it. */
    uint8_t buf[X86_MAX_INSN_LEN];
    if (x86_read_linear(cpu, env, lin, buf, first, X86_ACC_FETCH, false))
        return -1;
    n = x86_decode(buf, first, d32, in);
    if (n == 0 && first < want) {
        if (x86_read_linear(cpu, env, lin + first, buf + first, want - first,
                            X86_ACC_FETCH, false))
            return -1;
        n = x86_decode(buf, want, d32, in);
    }
    if (n <= 0)
        return x86_raise(cpu, X86_GP, true, 0);
    return 0;
}

enum x86_status x86_step(struct x86_cpu *cpu, const struct x86_env *env)
{
    /* An exception injected from outside (an engine, the monitor) goes first. */
    if (cpu->exception.pending)
        return deliver_exception(cpu, env, cpu->eip);
    if (cpu->halted)
        return X86_STEP_HALT;

    uint32_t start = cpu->eip;
    uint32_t esp = cpu->gpr[X86_ESP];
    bool single_step = cpu->eflags & X86_FLAG_TF;
    struct x86_insn in;
    int r;

    cpu->interrupt_shadow = false;      /* sti / mov ss set it again */
    if (fetch(cpu, env, &in) == 0) {
        cpu->eip = start + in.len;
        if (!(cpu->seg[X86_CS].attr & X86_AR_DB))
            cpu->eip &= 0xFFFF;         /* 16-bit code wraps at 64 KiB */
        r = x86_execute(cpu, env, &in);
    } else {
        r = X86_EXEC_FAULT;
    }

    switch (r) {
    case X86_EXEC_FAULT:
        assert(cpu->exception.pending && "a fault without x86_raise()");
        cpu->eip = start;
        cpu->gpr[X86_ESP] = esp;
        return deliver_exception(cpu, env, start);
    case X86_EXEC_TRIPLE:
        return X86_STEP_TRIPLE_FAULT;
    case X86_EXEC_HALT:
        cpu->instructions++;
        cpu->halted = true;
        return X86_STEP_HALT;
    case X86_EXEC_EVENT:                /* int n: the handler runs with TF clear */
        cpu->instructions++;
        return X86_STEP_OK;
    default:
        cpu->instructions++;
        /* TF at the start of an instruction: a debug trap after it. */
        if (single_step)
            return x86_deliver_event(cpu, env, X86_DB, X86_EVENT_EXCEPTION, false, 0, cpu->eip);
        return X86_STEP_OK;
    }
}

bool x86_interrupts_enabled(const struct x86_cpu *cpu)
{
    return (cpu->eflags & X86_FLAG_IF) && !cpu->interrupt_shadow;
}

enum x86_status x86_external_interrupt(struct x86_cpu *cpu, const struct x86_env *env,
                                       uint8_t vector)
{
    cpu->halted = false;                /* hlt already moved EIP past itself */
    return x86_deliver_event(cpu, env, vector, X86_EVENT_EXTERNAL, false, 0, cpu->eip);
}
