/*
 * format.h - printf-style formatting shared by the kernel and user programs.
 * Supports %d %u %x %s %c %p and %%, with a field width and '0' padding,
 * and the 'l'/'ll' length modifiers (64-bit with 'll').
 */
#ifndef GUEST_FORMAT_H
#define GUEST_FORMAT_H

#include <stdarg.h>

typedef void (*format_putc_fn)(void *arg, char c);

/* Format fmt with ap, handing each character to putc. Returns the count. */
int vformat(format_putc_fn putc, void *arg, const char *fmt, va_list ap);

#endif
