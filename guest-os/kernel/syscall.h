/* syscall.h - the system call dispatcher (chapter 1, "System calls"). */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include "kernel/trap.h"

void syscall_dispatch(struct trapframe *tf);

#endif
