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

/* Parse the first decimal number in the multiboot command line into eax
 * (0 if none). Expects ebx = the multiboot info, as at entry. Clobbers esi, ecx. */
.macro cmdline_number
    xorl %eax, %eax
    testl $4, (%ebx)                    # MB_INFO_CMDLINE
    jz 3f
    movl 16(%ebx), %esi
1:  movzbl (%esi), %ecx                 # skip to the first digit
    testl %ecx, %ecx
    jz 3f
    subl $'0', %ecx
    cmpl $9, %ecx
    jbe 2f
    incl %esi
    jmp 1b
2:  movzbl (%esi), %ecx                 # accumulate digits
    subl $'0', %ecx
    cmpl $9, %ecx
    ja 3f
    imull $10, %eax
    addl %ecx, %eax
    incl %esi
    jmp 2b
3:
.endm

/* Power off with exit code `code` through the debug-exit port (our VMM
 * exits with code; QEMU with 2*code+1). cli; hlt stops a machine without it. */
.macro poweroff code
    movl $\code, %eax
    outl %eax, $0xF4
    cli
    hlt
.endm
