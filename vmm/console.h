/*
 * console.h - the VMM's side of the guest's serial console (chapter 2).
 *
 * Guest output (UART transmit) goes to stdout. Input comes from stdin: on a
 * terminal in raw mode, with QEMU's escape key Ctrl-A (Ctrl-A x quits,
 * Ctrl-A c opens the monitor, Ctrl-A h helps, Ctrl-A a sends a Ctrl-A);
 * from a pipe or file, byte by
 * byte as the guest's UART can take them.
 */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

struct uart;

/* Put the terminal in raw mode if stdin is one; restored at exit, whatever
 * the exit path (normal return, exit(), SIGINT/SIGTERM/SIGHUP). */
void console_init(void);
void console_restore(void);

/* UART transmit callback: one byte of guest output. */
void console_output(void *opaque, uint8_t byte);
void console_flush(void);

/* Feed waiting input to the UART. Returns true when the user wants the VMM
 * back: Ctrl-A x (quit) or Ctrl-A c / console_watch_fd (the monitor: then
 * console_monitor_requested() says so). Engines return VM_STOP_QUIT. */
bool console_poll(struct uart *uart);

/* True (once) when the last true console_poll was a request for the
 * monitor, not a quit (chapter 7). */
bool console_monitor_requested(void);

/* While fd >= 0, input on fd also requests the monitor: the gdb stub's
 * socket, where gdb sends Ctrl-C to stop a running guest. -1: none. */
void console_watch_fd(int fd);

/* Stdin belongs to the monitor (commands from a pipe): the guest reads none. */
void console_detach_input(void);

/* Wait up to timeout_ms for input. Returns false when input has ended (or
 * was never there), so a guest waiting only for it can never wake. */
bool console_wait_input(int timeout_ms);

/* A message from the VMM itself, on stderr, readable in raw mode too. */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
