/*
 * console.c - the serial console on COM1, a 16550 UART (chapter 1).
 *
 * Output is polled (wait for THR empty, write a byte): simple, and every
 * engine sees the same sequence of port accesses. Input is interrupt driven:
 * the UART raises IRQ 4 when a byte arrives, console_intr() moves it into a
 * ring buffer and wakes the reader.
 */
#include "kernel/console.h"

#include "guest-os/include/format.h"
#include "kernel/devices.h"
#include "kernel/proc.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

#define COM1 0x3F8
#define UART_THR 0                      /* transmit holding (write) */
#define UART_RBR 0                      /* receive buffer (read) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR   0x01                   /* a byte is waiting */
#define LSR_THRE 0x20                   /* transmitter ready */

void uart_init(void)
{
    outb(COM1 + UART_IER, 0x00);        // No interrupts while we set it up
    outb(COM1 + UART_LCR, 0x80);        // Unlock divisor
    outb(COM1 + 0, 0x01);               // 115200 baud (divisor 1)
    outb(COM1 + 1, 0x00);
    outb(COM1 + UART_LCR, 0x03);        // 8 data bits, no parity, 1 stop bit
    // FIFOs stay off: switching them on empties them, and a byte typed (or
    // piped in) before this point would be lost.
    outb(COM1 + UART_FCR, 0x00);
    outb(COM1 + UART_MCR, 0x0B);        // DTR, RTS, OUT2 (OUT2 gates the IRQ on PCs)
}

/* Called once the PICs are set up: a byte that arrived earlier raises the
 * interrupt now, as IER goes from 0 to 1. Enabled before the PIC is
 * programmed, that edge would be lost: ICW1 clears the PIC's requests. */
void console_enable_input(void)
{
    outb(COM1 + UART_IER, 0x01);        // Interrupt when a byte arrives
    pic_enable(IRQ_COM1);
}

static void uart_putc(char c)
{
    for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
        ;
    outb(COM1 + UART_THR, (uint8_t)c);
}

void console_putc(char c)
{
    if (c == '\n')
        uart_putc('\r');                // terminals in raw mode need CR LF
    uart_putc(c);
}

void console_write(const char *buf, int n)
{
    for (int i = 0; i < n; i++)
        console_putc(buf[i]);
}

/* ---- input ---- */
#define INPUT_SIZE 256
static struct {
    char     buf[INPUT_SIZE];
    uint32_t r, w;                      /* read and write counts; w - r bytes waiting */
} input;

void console_intr(void)
{
    while (inb(COM1 + UART_LSR) & LSR_DR) {
        char c = (char)inb(COM1 + UART_RBR);
        if (input.w - input.r < INPUT_SIZE)
            input.buf[input.w++ % INPUT_SIZE] = c;
    }
    wakeup(&input);
}

int console_read(char *buf, int n)
{
    while (input.r == input.w) {
        if (current->killed)
            return -1;
        sleep(&input);
    }
    int i = 0;
    while (i < n && input.r != input.w)
        buf[i++] = input.buf[input.r++ % INPUT_SIZE];
    return i;
}

/* ---- formatted output ---- */
static void putc_cb(void *arg, char c)
{
    (void)arg;
    console_putc(c);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(putc_cb, 0, fmt, ap);
    va_end(ap);
}

void poweroff(int code)
{
    cli();
    outl(0xF4, (uint32_t)code);         // isa-debug-exit: the machine stops here
    halt_forever();                     // a PC without that device just halts
}

void panic(const char *fmt, ...)
{
    va_list ap;
    cli();
    kprintf("panic: ");
    va_start(ap, fmt);
    vformat(putc_cb, 0, fmt, ap);
    va_end(ap);
    kprintf("\n");
    poweroff(KEXIT_PANIC);
}
