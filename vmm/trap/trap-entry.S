/*
 * trap-entry.S - the two doors between the VMM and a guest running natively
 * (chapter 3, "Entering and leaving the guest").
 *
 * In: trap_enter() builds an iretq frame and "returns" to the guest's EIP in
 * 32-bit compatibility mode: CS = 0x23 (Linux's 32-bit user code segment),
 * SS = DS = ES = 0x2B (user data). The guest runs at host ring 3, whatever
 * privilege it believes it has. trap_enter never returns: the guest leaves
 * only through a signal.
 *
 * Out: every fault or timer tick in the guest arrives as a signal, on the
 * alternate signal stack. trap_signal_stub runs first, in assembly, because
 * the guest may have loaded FS with a selector of its own and so changed the
 * FS base, which is where the VMM's thread-local storage (and the stack
 * protector's canary) lives. No C code may run before the FS base is back.
 */

/* struct trap_regs, see vmm/trap/trap.h: eight GPRs in encoding order, eip, eflags. */
#define R_EAX 0
#define R_ECX 4
#define R_EDX 8
#define R_EBX 12
#define R_ESP 16
#define R_EBP 20
#define R_ESI 24
#define R_EDI 28
#define R_EIP 32
#define R_EFL 36

#define USER32_CS 0x23
#define USER_DS   0x2B

#define SYS_arch_prctl 158
#define ARCH_SET_FS    0x1002

    .text
    .globl trap_enter
    .type trap_enter, @function
/* void trap_enter(const struct trap_regs *regs) __attribute__((noreturn)); */
trap_enter:
    movq %rdi, %r11
    pushq $USER_DS                      # SS
    movl R_ESP(%r11), %eax
    pushq %rax                          # RSP (zero-extended: below 4 GiB)
    movl R_EFL(%r11), %eax
    pushq %rax                          # RFLAGS
    pushq $USER32_CS                    # CS: 32-bit compatibility mode
    movl R_EIP(%r11), %eax
    pushq %rax                          # RIP
    movw $USER_DS, %ax
    movw %ax, %ds
    movw %ax, %es
    movl R_EAX(%r11), %eax
    movl R_ECX(%r11), %ecx
    movl R_EDX(%r11), %edx
    movl R_EBX(%r11), %ebx
    movl R_EBP(%r11), %ebp
    movl R_ESI(%r11), %esi
    movl R_EDI(%r11), %edi
    iretq
    .size trap_enter, . - trap_enter

    .globl trap_signal_stub
    .type trap_signal_stub, @function
/* The sa_sigaction of every signal the trap engine handles:
 * (int sig, siginfo_t *info, void *ucontext) in rdi, rsi, rdx. */
trap_signal_stub:
    movq trap_host_fs_base(%rip), %rax
    cmpb $0, trap_have_fsgsbase(%rip)
    je 1f
    wrfsbase %rax
    jmp 2f
1:  pushq %rdi                          # no FSGSBASE: ask the kernel
    pushq %rsi
    pushq %rdx
    movq %rax, %rsi
    movl $ARCH_SET_FS, %edi
    movl $SYS_arch_prctl, %eax
    syscall
    popq %rdx
    popq %rsi
    popq %rdi
2:  jmp trap_signal_handler
    .size trap_signal_stub, . - trap_signal_stub

    .section .note.GNU-stack, "", @progbits
