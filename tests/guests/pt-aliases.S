/*
 * pt-aliases.S - page tables written through several aliases (chapter 9,
 * "Misbehaving guests"; shadow paging is chapter 4's). A page table is
 * mapped at two more virtual addresses and the page directory at one; the
 * guest changes the mapping of page V through each alias in turn (invlpg
 * or a CR3 reload after each, as the architecture asks) and checks that V
 * then shows the right frame. A shadow that traced only one mapping of a
 * page-table page would show a stale frame. Exit code 0, or the failing step.
 */
#include "multiboot.h"

#define PD     0x200000                 /* page directory */
#define PT0    0x201000                 /* maps 0-4 MiB one to one */
#define PT1    0x202000                 /* maps 4-8 MiB: the aliases and V */
#define F1     0x300000                 /* three frames with known words */
#define F2     0x301000
#define F3     0x302000
#define ALIAS_A 0x400000                /* PT1, seen through PT1[0] */
#define ALIAS_B 0x401000                /* PT1 again, through PT1[1] */
#define ALIAS_D 0x402000                /* the page directory, through PT1[2] */
#define V      0x410000                 /* PT1[16]: the page whose frame changes */
#define PTE_V  (16 * 4)                 /* its entry's offset in PT1 */
#define W      0x3                      /* present, writable */

/* check STEP, VALUE: the word at V must be VALUE, else fail with code STEP. */
.macro check step, value
    movl $\step, %edi
    cmpl $\value, V
    jne bad
.endm

multiboot_header
.globl _start
_start:
    movl $0x11111111, F1
    movl $0x22222222, F2
    movl $0x33333333, F3
    movl $PT0, %edi                     # PT0: identity, 1024 pages
    movl $W, %eax
    movl $1024, %ecx
1:  movl %eax, (%edi)
    addl $4096, %eax
    addl $4, %edi
    loop 1b
    movl $PT1 + W, PT1 + 0              # the aliases
    movl $PT1 + W, PT1 + 4
    movl $PD + W, PT1 + 8
    movl $F1 + W, PT1 + PTE_V
    movl $PT0 + W, PD + 0
    movl $PT1 + W, PD + 4
    movl $PD, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $0x80000000, %eax               # paging on
    movl %eax, %cr0

    check 1, 0x11111111
    movl $F2 + W, ALIAS_A + PTE_V       # through alias A
    invlpg V
    check 2, 0x22222222
    movl $F3 + W, ALIAS_B + PTE_V       # through alias B
    invlpg V
    check 3, 0x33333333
    movl $F1 + W, PT1 + PTE_V           # through the identity map
    movl %cr3, %eax
    movl %eax, %cr3
    check 4, 0x11111111
    movl $PT1 + W, ALIAS_D + 12         # PDE 3 through the directory's alias:
    movl %cr3, %eax                     # 0xC00000-0xFFFFFF now also uses PT1
    movl %eax, %cr3
    movl $5, %edi
    cmpl $0x11111111, V + 0x800000
    jne bad
    movl $F2 + W, ALIAS_B + PTE_V       # one change, seen through both PDEs
    invlpg V
    invlpg V + 0x800000
    movl $6, %edi
    cmpl $0x22222222, V + 0x800000
    jne bad
    check 7, 0x22222222

    print good
    poweroff 0
bad:
    print stale
    movl %edi, %eax
    outl %eax, $0xF4
    hlt

.data
good:  .asciz "pt-aliases: every alias's change was seen\n"
stale: .asciz "pt-aliases: a STALE MAPPING was used (exit code = step)\n"
.section .note.GNU-stack, "", @progbits
