/*
 * multiboot.h - the header every small test guest starts with, and a macro
 * to print a string on COM1 (tests/guests/: misbehaving guests, chapter 2).
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000000

.macro multiboot_header
    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    .text
.endm

/* Print the NUL-terminated string at label on COM1 (clobbers eax, edx, esi). */
.macro print label
    movl $\label, %esi
    movw $0x3F8, %dx
1:  lodsb
    testb %al, %al
    jz 2f
    outb %al, %dx
    jmp 1b
2:
.endm
