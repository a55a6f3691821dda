/*
 * console.h - the serial console: a 16550 UART on COM1 (chapter 1).
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include "kernel/types.h"

void uart_init(void);
/* Turn on receive interrupts (after the PICs are programmed). */
void console_enable_input(void);
void console_putc(char c);
void console_write(const char *buf, int n);
/* Read up to n bytes typed on the console; sleeps until at least one. */
int  console_read(char *buf, int n);
/* The UART's interrupt: move received bytes into the input buffer. */
void console_intr(void);

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Our bug: print and power off with KEXIT_PANIC. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Write code to QEMU's isa-debug-exit port (our VMM exits with code). */
void poweroff(int code) __attribute__((noreturn));

/* Exit codes the kernel itself reports through port 0xF4. */
#define KEXIT_PANIC    100
#define KEXIT_BADBOOT  101

#endif
