/*
 * spin.S - a guest that loops for ever without a timer: --timeout must end
 * it (status 124).
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    print msg
1:  jmp 1b

.data
msg: .asciz "spin guest: looping\n"
.section .note.GNU-stack, "", @progbits
