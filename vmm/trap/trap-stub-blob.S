/*
 * trap-stub-blob.S - the stub program (trap-stub.c, built freestanding by
 * vmm/vmm.mk) inside the VMM's binary, so that trap-process.c can start it
 * with fexecve wherever the VMM is (chapter 3, "The guest in its own process").
 */
    .section .rodata
    .balign 16
    .globl trap_stub_elf
trap_stub_elf:
    .incbin TRAP_STUB_ELF
    .globl trap_stub_elf_end
trap_stub_elf_end:

    .section .note.GNU-stack, "", @progbits
