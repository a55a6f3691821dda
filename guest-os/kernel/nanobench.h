/*
 * nanobench.h - the kernel half of the nanobenchmarks: loops of one
 * privileged operation, run n times inside one system call (chapter
 * 08-shadow-vs-ept.md, "Nanobenchmarks").
 */
#ifndef KERNEL_NANOBENCH_H
#define KERNEL_NANOBENCH_H

#include "kernel/trap.h"

/* nanobench(op, n, va): run kernel operation op (NANO_*) n times. */
int  sys_nanobench(struct trapframe *tf);

/* A kernel-mode fault the divide loop causes on purpose: if tf is one,
 * move EIP past it and return true (a one-entry exception table). */
bool nanobench_fixup(struct trapframe *tf);

#endif
