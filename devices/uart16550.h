/*
 * uart16550.h - the COM1 serial port, a 16550A UART (chapter 2, "Devices and
 * interrupts"; chapter 6, "I/O virtualization").
 *
 * The guest's console: bytes it writes to the transmit register go to a
 * callback (the VMM prints them); bytes the user types are offered with
 * uart_receive(). Transmission is instantaneous: the transmitter is always
 * empty again by the time the guest looks.
 */
#ifndef DEVICES_UART16550_H
#define DEVICES_UART16550_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct pic;

#define UART_COM1_BASE 0x3F8
#define UART_COM1_IRQ  4
#define UART_FIFO_SIZE 16

typedef void uart_tx_fn(void *opaque, uint8_t byte);

struct uart {
    uint8_t  ier, lcr, mcr, lsr, scr, fcr;
    uint16_t divisor;                   /* baud = 115200 / divisor; kept, not used */
    uint8_t  rx[UART_FIFO_SIZE];        /* receive FIFO (one byte deep with FIFOs off) */
    unsigned rx_head, rx_count;
    bool     thr_ipending;              /* THR-empty interrupt pending (see uart16550.c) */
    bool     irq_level;                 /* level we last drove on the IRQ line */
    uart_tx_fn *tx;
    void     *tx_opaque;
    struct pic *pic;
    struct {
        uint64_t tx_bytes, rx_bytes;
    } stats;
};

/* Reset the UART and claim ports 0x3F8-0x3FF; transmitted bytes go to tx(opaque, byte). Returns 0 or -1. */
int  uart_init(struct uart *uart, struct bus *bus, struct pic *pic, uart_tx_fn *tx, void *opaque);

/* True when the receive FIFO has room for one more byte. */
bool uart_can_receive(const struct uart *uart);

/* Offer one received byte to the guest. Returns false, taking nothing, when the FIFO is full. */
bool uart_receive(struct uart *uart, uint8_t byte);

#endif
