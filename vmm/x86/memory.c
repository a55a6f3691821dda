/*
 * memory.c - how the executor reaches guest memory (chapter 2, "Memory";
 * chapter 3 reuses it to emulate trapped instructions).
 *
 * Two layers. A segment-relative access is checked against the segment's
 * hidden part (type and limit, SDM vol. 3, 5.3-5.4) and becomes a linear
 * address: base + offset. A linear access goes to the engine's translate
 * callback one 4 KiB page at a time; the engine answers with a host pointer
 * (RAM), a page fault, or "not RAM" (MMIO, sent to the device bus).
 *
 * The common case is a flat segment and an access inside one page: one
 * translate call and one small memcpy.
 */
#include <string.h>

#include "vmm/x86/memory.h"
#include "vmm/x86/system.h"
#include "vmm/x86/system-internal.h"

#define PAGE_SIZE 4096u

/* The access kind translate sees: the user bit is the CPL's, except for the
 * CPU's own implicit accesses to system tables (SDM vol. 3, 4.6.1). */
static unsigned access_kind(const struct x86_cpu *cpu, unsigned acc, bool implicit)
{
    if (!implicit && cpu->cpl == 3)
        acc |= X86_ACC_USER;
    return acc;
}

/* MMIO: devices see naturally aligned accesses of 1, 2 or 4 bytes, so an
 * odd-sized or misaligned piece is cut up, lowest address first. */
static void mmio_access(const struct x86_env *env, uint32_t gpa, uint8_t *buf,
                        unsigned len, bool write)
{
    while (len > 0) {
        unsigned size = 1;
        if (len >= 4 && gpa % 4 == 0)
            size = 4;
        else if (len >= 2 && gpa % 2 == 0)
            size = 2;
        if (write) {
            uint32_t v = 0;
            for (unsigned i = 0; i < size; i++)
                v |= (uint32_t)buf[i] << (8 * i);
            env->mmio_write(env->ctx, gpa, size, v);
        } else {
            uint32_t v = env->mmio_read(env->ctx, gpa, size);
            for (unsigned i = 0; i < size; i++)
                buf[i] = v >> (8 * i);
        }
        gpa += size;
        buf += size;
        len -= size;
    }
}

/* Translate lin for kind; NULL with *f filled when it is not plain RAM.
 * A page fault is raised here (CR2 = the faulting address). */
static uint8_t *translate(struct x86_cpu *cpu, const struct x86_env *env, uint32_t lin,
                          unsigned kind, struct x86_xlate_fault *f, int *err)
{
    uint8_t *p = env->translate(env->ctx, lin, kind, f);
    *err = 0;
    if (!p && f->page_fault) {
        cpu->cr2 = lin;
        *err = x86_raise(cpu, X86_PF, true, f->error_code);
    }
    return p;
}

/* Copy len bytes between buf and linear memory, page by page. An access
 * that straddles pages translates every page before touching any, so a
 * page fault on the second page leaves the first one unwritten, as on
 * hardware (and an MMIO read is not done twice when the access restarts). */
static int access_linear(struct x86_cpu *cpu, const struct x86_env *env, uint32_t lin,
                         uint8_t *buf, unsigned len, unsigned kind, bool write)
{
    struct x86_xlate_fault f;
    int err;
    unsigned first = PAGE_SIZE - lin % PAGE_SIZE;

    if (len <= first) {                 /* the fast path: one page */
        uint8_t *p = translate(cpu, env, lin, kind, &f, &err);
        if (err)
            return err;
        if (env->watch)                 /* a debugger watches some memory */
            env->watch(env->ctx, lin, len, write);
        if (!p)
            mmio_access(env, f.gpa, buf, len, write);
        else if (write)
            memcpy(p, buf, len);
        else
            memcpy(buf, p, len);
        return 0;
    }

    /* Probe each page (addresses wrap at 4 GiB like linear addresses do). */
    for (uint32_t done = 0, n = first; done < len; done += n, n = PAGE_SIZE) {
        translate(cpu, env, lin + done, kind, &f, &err);
        if (err)
            return err;
    }
    for (uint32_t done = 0, n = first; done < len; done += n, n = PAGE_SIZE) {
        if (n > len - done)
            n = len - done;
        if (access_linear(cpu, env, lin + done, buf + done, n, kind, write))
            return -1;
    }
    return 0;
}

int x86_read_linear(struct x86_cpu *cpu, const struct x86_env *env, uint32_t lin,
                    void *buf, unsigned len, unsigned acc, bool implicit)
{
    return access_linear(cpu, env, lin, buf, len, access_kind(cpu, acc, implicit), false);
}

int x86_write_linear(struct x86_cpu *cpu, const struct x86_env *env, uint32_t lin,
                     const void *buf, unsigned len, bool implicit)
{
    /* The cast is safe: a write only reads from buf. */
    return access_linear(cpu, env, lin, (uint8_t *)buf, len,
                         access_kind(cpu, X86_ACC_WRITE, implicit), true);
}

/* Type check (SDM vol. 3, 5.4.1): no writes to code or read-only data, no
 * reads of execute-only code. Limit check (5.3): offsets 0..limit for an
 * expand-up segment; limit+1..0xFFFF (or 0xFFFFFFFF if B=1) for an
 * expand-down one. An unusable (null) segment faults on any access. */
int x86_seg_check(struct x86_cpu *cpu, const struct x86_segment *s, uint32_t offset,
                  unsigned len, bool write, uint8_t fault_vector, uint32_t fault_error)
{
    uint32_t attr = s->attr, last = offset + len - 1;

    if (attr & X86_AR_UNUSABLE)
        return x86_raise(cpu, fault_vector, true, fault_error);
    if (write && !x86_attr_writable_data(attr))
        return x86_raise(cpu, fault_vector, true, fault_error);
    if (!write && x86_attr_code(attr) && !(attr & X86_TYPE_WRITABLE))
        return x86_raise(cpu, fault_vector, true, fault_error);

    if (last < offset)                  /* the access wraps around 4 GiB */
        return x86_raise(cpu, fault_vector, true, fault_error);
    if (!x86_attr_code(attr) && (attr & X86_TYPE_EXPAND_DN)) {
        uint32_t upper = (attr & X86_AR_DB) ? 0xFFFFFFFFu : 0xFFFFu;
        if (offset <= s->limit || last > upper)
            return x86_raise(cpu, fault_vector, true, fault_error);
    } else if (last > s->limit) {
        return x86_raise(cpu, fault_vector, true, fault_error);
    }
    return 0;
}

/* A segment fault is #SS(0) through SS and #GP(0) through any other
 * register (SDM vol. 3, 6.15, interrupts 12 and 13). */
static uint8_t seg_fault_vector(enum x86_sreg sreg)
{
    return sreg == X86_SS ? X86_SS_FAULT : X86_GP;
}

int x86_read_seg(struct x86_cpu *cpu, const struct x86_env *env, enum x86_sreg sreg,
                 uint32_t offset, void *buf, unsigned len)
{
    const struct x86_segment *s = &cpu->seg[sreg];
    if (x86_seg_check(cpu, s, offset, len, false, seg_fault_vector(sreg), 0))
        return -1;
    return x86_read_linear(cpu, env, s->base + offset, buf, len, X86_ACC_READ, false);
}

int x86_write_seg(struct x86_cpu *cpu, const struct x86_env *env, enum x86_sreg sreg,
                  uint32_t offset, const void *buf, unsigned len)
{
    const struct x86_segment *s = &cpu->seg[sreg];
    if (x86_seg_check(cpu, s, offset, len, true, seg_fault_vector(sreg), 0))
        return -1;
    return x86_write_linear(cpu, env, s->base + offset, buf, len, false);
}

/* ---- stacks ------------------------------------------------------------
 * The guest's stacks are always 32-bit (SS.B=1): ESP, not SP, moves. A
 * struct x86_stack lets a multi-push operation (interrupt, far call) build
 * its frame first and commit SS:ESP only when every push has succeeded. */

void x86_stack_current(const struct x86_cpu *cpu, struct x86_stack *st)
{
    st->ss = cpu->seg[X86_SS];
    st->esp = cpu->gpr[X86_ESP];
    st->supervisor = cpu->cpl < 3;
    st->fault_error = 0;
}

int x86_stack_push(struct x86_cpu *cpu, const struct x86_env *env, struct x86_stack *st,
                   uint32_t value, unsigned size)
{
    uint32_t esp = st->esp - size;
    uint8_t bytes[4] = { value, value >> 8, value >> 16, value >> 24 };

    if (x86_seg_check(cpu, &st->ss, esp, size, true, X86_SS_FAULT, st->fault_error))
        return -1;
    if (x86_write_linear(cpu, env, st->ss.base + esp, bytes, size, st->supervisor))
        return -1;
    st->esp = esp;
    return 0;
}

int x86_stack_peek(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_stack *st,
                   uint32_t offset, unsigned size, uint32_t *value)
{
    uint32_t esp = st->esp + offset;
    uint8_t bytes[4] = { 0 };

    if (x86_seg_check(cpu, &st->ss, esp, size, false, X86_SS_FAULT, st->fault_error))
        return -1;
    if (x86_read_linear(cpu, env, st->ss.base + esp, bytes, size, X86_ACC_READ, st->supervisor))
        return -1;
    *value = bytes[0] | bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
    return 0;
}

/* push: ESP changes only once the write has succeeded. */
static int push(struct x86_cpu *cpu, const struct x86_env *env, uint32_t value, unsigned size)
{
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    if (x86_stack_push(cpu, env, &st, value, size))
        return -1;
    cpu->gpr[X86_ESP] = st.esp;
    return 0;
}

/* pop: a read that faults leaves ESP as it was, so the instruction restarts. */
static int pop(struct x86_cpu *cpu, const struct x86_env *env, uint32_t *value, unsigned size)
{
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    if (x86_stack_peek(cpu, env, &st, 0, size, value))
        return -1;
    cpu->gpr[X86_ESP] += size;
    return 0;
}

int x86_push32(struct x86_cpu *cpu, const struct x86_env *env, uint32_t value)
{
    return push(cpu, env, value, 4);
}

int x86_push16(struct x86_cpu *cpu, const struct x86_env *env, uint16_t value)
{
    return push(cpu, env, value, 2);
}

int x86_pop32(struct x86_cpu *cpu, const struct x86_env *env, uint32_t *value)
{
    return pop(cpu, env, value, 4);
}

int x86_pop16(struct x86_cpu *cpu, const struct x86_env *env, uint16_t *value)
{
    uint32_t v;
    if (pop(cpu, env, &v, 2))
        return -1;
    *value = v;
    return 0;
}
