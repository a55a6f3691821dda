/*
 * console.c - the guest's serial console on the VMM's terminal (chapter 2).
 *
 * In raw mode the terminal hands us every key as typed, Ctrl-C included, so
 * the guest sees what the user types; the escape key Ctrl-A gives the user a
 * way out (Ctrl-A x), as in QEMU. The terminal settings are restored on
 * every way out of the process.
 *
 * The guest's output must never stop the VMM: stdout may be a pipe that
 * nobody reads, or one whose reader has gone. So output is buffered (1 MiB)
 * and written only as far as stdout takes it without blocking; what does
 * not fit is dropped and counted, and SIGPIPE is ignored (a closed pipe is
 * an EPIPE, and the output goes nowhere). At the end the rest gets a short,
 * bounded wait.
 */
#define _GNU_SOURCE
#include "vmm/console.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "devices/uart16550.h"

#define ESCAPE_KEY 0x01                 /* Ctrl-A */

static struct termios saved_termios;
static bool raw_mode;
static bool input_closed;
static bool escape_pending;
static bool monitor_requested;          /* Ctrl-A c, or watch_fd readable */
static int watch_fd = -1;               /* the gdb stub's socket while the guest runs */
static bool handlers_installed;

#define OUT_BUF_SIZE (1u << 20)
#define FINAL_WAIT_MS 2000              /* at exit, for a slow reader */

static uint8_t out_buf[OUT_BUF_SIZE];
static size_t out_start, out_len;       /* pending: out_buf[out_start, out_start + out_len) */
static uint64_t out_dropped;            /* bytes stdout never took */
static bool out_closed;                 /* EPIPE or another error: stdout is gone */

static uint8_t in_buf[256];
static size_t in_len, in_pos;

/* Write what stdout takes within timeout_ms (0: only what it takes now). */
static void flush_within(int timeout_ms)
{
    while (out_len > 0 && !out_closed) {
        struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
        int r = poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;                     // not writable now: keep it for later
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
            out_closed = true;
            break;
        }
        // POLLOUT promises room for PIPE_BUF bytes: a write that size cannot block.
        size_t chunk = out_len < 4096 ? out_len : 4096;
        ssize_t n = write(STDOUT_FILENO, out_buf + out_start, chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            out_closed = true;          // EPIPE and the like: stdout is gone
            break;
        }
        out_start += (size_t)n;
        out_len -= (size_t)n;
    }
    if (out_closed) {
        out_dropped += out_len;
        out_len = 0;
    }
    if (out_len == 0)
        out_start = 0;
}

void console_restore(void)
{
    flush_within(FINAL_WAIT_MS);
    if (out_len > 0) {                  // nobody reads: give up on it
        out_dropped += out_len;
        out_len = out_start = 0;
    }
    if (out_dropped > 0) {
        fprintf(stderr, "vmm: %llu bytes of guest output dropped: stdout %s\n",
                (unsigned long long)out_dropped,
                out_closed ? "was closed" : "was not read");
        out_dropped = 0;
    }
    if (raw_mode) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
        raw_mode = false;
    }
}

static void restore_and_die(int sig)
{
    console_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

void console_init(void)
{
    static bool exit_hook;
    signal(SIGPIPE, SIG_IGN);           // a closed stdout is an error to handle, not death
    if (!exit_hook) {                   // pending output and the terminal, on any exit
        exit_hook = true;
        atexit(console_restore);
    }
    if (raw_mode)                       // already: saved_termios must stay the user's
        return;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
        return;
    struct termios raw = saved_termios;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0)
        return;
    raw_mode = true;
    if (!handlers_installed) {          // the monitor comes and goes: install once
        handlers_installed = true;
        signal(SIGTERM, restore_and_die);
        signal(SIGHUP, restore_and_die);
        signal(SIGINT, restore_and_die);
        fprintf(stderr, "[serial console: Ctrl-A x quits, Ctrl-A c monitor, Ctrl-A h help]\r\n");
    }
}

void console_flush(void)
{
    flush_within(0);
}

void console_output(void *opaque, uint8_t byte)
{
    (void)opaque;
    if (out_closed) {
        out_dropped++;
        return;
    }
    if (out_start + out_len == sizeof(out_buf)) {
        flush_within(0);
        if (out_len > 0 && out_start > 0) {     // make room at the end
            memmove(out_buf, out_buf + out_start, out_len);
            out_start = 0;
        }
        if (out_start + out_len == sizeof(out_buf)) {
            out_dropped++;              // 1 MiB nobody took: drop, never wait
            return;
        }
    }
    out_buf[out_start + out_len++] = byte;
    if (byte == '\n')
        flush_within(0);
}

void console_printf(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    console_flush();
    for (char *p = msg; *p; p++) {
        if (*p == '\n' && raw_mode)
            fputc('\r', stderr);
        fputc(*p, stderr);
    }
    fflush(stderr);
}

/* A key after Ctrl-A. Returns true for quit. */
static bool escape_command(struct uart *uart, uint8_t key)
{
    switch (key) {
    case 'x':
    case 'X':
        return true;
    case 'a':
    case ESCAPE_KEY:
        uart_receive(uart, ESCAPE_KEY);
        return false;
    case 'c':
    case 'C':
        monitor_requested = true;       // the engine returns; the monitor takes over
        return true;
    default:
        console_printf("\n[Ctrl-A x  quit\n Ctrl-A c  the monitor (Ctrl-A c again: back)\n"
                       " Ctrl-A a  send Ctrl-A to the guest\n Ctrl-A h  this help]\n");
        return false;
    }
}

bool console_poll(struct uart *uart)
{
    if (watch_fd >= 0) {
        struct pollfd w = { .fd = watch_fd, .events = POLLIN };
        if (poll(&w, 1, 0) > 0) {
            monitor_requested = true;
            return true;
        }
    }
    if (in_pos == in_len && !input_closed) {
        struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
        if (poll(&p, 1, 0) > 0) {
            ssize_t n = read(STDIN_FILENO, in_buf, sizeof(in_buf));
            if (n > 0) {
                in_len = (size_t)n;
                in_pos = 0;
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                input_closed = true;    // end of input: the guest runs on
            }
        }
    }
    while (in_pos < in_len) {
        uint8_t c = in_buf[in_pos];
        if (raw_mode && escape_pending) {
            escape_pending = false;
            in_pos++;
            if (escape_command(uart, c))
                return true;
            continue;
        }
        if (raw_mode && c == ESCAPE_KEY) {
            escape_pending = true;
            in_pos++;
            continue;
        }
        if (!uart_receive(uart, c))
            break;                      // FIFO full: try again later
        in_pos++;
    }
    return false;
}

bool console_wait_input(int timeout_ms)
{
    if (input_closed)
        return false;
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
    console_flush();
    if (poll(&p, 1, timeout_ms) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) &&
        !(p.revents & POLLIN))
        input_closed = true;
    return !input_closed;
}

bool console_monitor_requested(void)
{
    bool was = monitor_requested;
    monitor_requested = false;
    return was;
}

void console_watch_fd(int fd)
{
    watch_fd = fd;
}

void console_detach_input(void)
{
    input_closed = true;
}
