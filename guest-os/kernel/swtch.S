/*
 * swtch.S - switch kernel stacks (chapter 1, "Processes").
 *
 *   void swtch(struct context **old, struct context *new);
 *
 * Saves the callee-saved registers on the current stack, stores the stack
 * pointer in *old, then loads new as the stack pointer and pops its
 * registers. The return address on the new stack decides where we resume.
 */
.globl swtch
swtch:
    movl 4(%esp), %eax
    movl 8(%esp), %edx
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, (%eax)
    movl %edx, %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

.section .note.GNU-stack, "", @progbits
