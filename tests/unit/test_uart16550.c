/*
 * test_uart16550.c - unit tests for devices/uart16550.c (chapter 2, chapter 6):
 * transmit, the receive FIFO, interrupt causes with their priorities and
 * clearing rules, LSR bits, the divisor latch and loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/pic8259.h"
#include "devices/uart16550.h"

enum { COM1 = 0x3F8, THR = COM1, RBR = COM1, IER = COM1 + 1, IIR = COM1 + 2, FCR = COM1 + 2,
       LCR = COM1 + 3, MCR = COM1 + 4, LSR = COM1 + 5, MSR = COM1 + 6, SCR = COM1 + 7 };

static struct bus bus;
static struct pic pic;
static struct uart uart;
static uint8_t sent[64];
static unsigned nsent;

static void outb(uint16_t port, uint8_t val)
{
    uint32_t v = val;
    assert_true(bus_pio(&bus, port, 1, true, &v));
}

static uint8_t inb(uint16_t port)
{
    uint32_t v;
    assert_true(bus_pio(&bus, port, 1, false, &v));
    return v;
}

static void record_tx(void *opaque, uint8_t byte)
{
    assert_ptr_equal(opaque, &nsent);
    if (nsent < sizeof(sent))
        sent[nsent++] = byte;
}

static int setup(void **state)
{
    (void)state;
    nsent = 0;
    bus_init(&bus);
    assert_int_equal(pic_init(&pic, &bus), 0);
    outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
    assert_int_equal(uart_init(&uart, &bus, &pic, record_tx, &nsent), 0);
    return 0;
}

/* Is COM1's interrupt (IRQ 4, vector 0x24) pending at the PIC? Acknowledges and EOIs it. */
static bool took_irq4(void)
{
    if (!pic_has_interrupt(&pic))
        return false;
    assert_int_equal(pic_acknowledge(&pic), 0x24);
    outb(0x20, 0x20);
    return true;
}

static void test_transmit_and_lsr(void **state)
{
    (void)state;
    assert_int_equal(inb(LSR), 0x60);               /* THRE | TEMT, no data */
    outb(THR, 'h');
    outb(THR, 'i');
    assert_int_equal(nsent, 2);
    assert_memory_equal(sent, "hi", 2);
    assert_int_equal(uart.stats.tx_bytes, 2);
    assert_int_equal(inb(LSR), 0x60);               /* sent at once: empty again */
    assert_false(took_irq4());                      /* IER = 0: no interrupts */
}

static void test_receive_fifo(void **state)
{
    (void)state;
    /* FIFOs off: a single holding register. */
    assert_true(uart_receive(&uart, 'a'));
    assert_false(uart_can_receive(&uart));
    assert_false(uart_receive(&uart, 'b'));
    assert_int_equal(inb(LSR), 0x61);               /* DR */
    assert_int_equal(inb(RBR), 'a');
    assert_int_equal(inb(LSR), 0x60);

    outb(FCR, 0x07);                                /* enable and clear FIFOs */
    for (int i = 0; i < UART_FIFO_SIZE; i++)
        assert_true(uart_receive(&uart, 'A' + i));
    assert_false(uart_can_receive(&uart));
    assert_false(uart_receive(&uart, '!'));         /* full: refused, not overrun */
    for (int i = 0; i < UART_FIFO_SIZE; i++) {
        assert_true(inb(LSR) & 0x01);
        assert_int_equal(inb(RBR), 'A' + i);        /* in order */
    }
    assert_int_equal(inb(LSR) & 0x01, 0);
    assert_true(uart_can_receive(&uart));

    assert_true(uart_receive(&uart, 'x'));
    outb(FCR, 0x03);                                /* clear the receive FIFO */
    assert_int_equal(inb(LSR) & 0x01, 0);
    assert_int_equal(uart.stats.rx_bytes, 18);
}

static void test_rda_interrupt(void **state)
{
    (void)state;
    outb(IER, 0x01);                                /* received data available */
    assert_int_equal(inb(IIR), 0x01);               /* nothing pending */
    uart_receive(&uart, 'k');
    assert_true(took_irq4());
    assert_int_equal(inb(IIR), 0x04);
    assert_int_equal(inb(IIR), 0x04);               /* reading IIR does not clear RDA */
    assert_int_equal(inb(RBR), 'k');
    assert_int_equal(inb(IIR), 0x01);               /* reading the data does */
    assert_false(uart.irq_level);

    /* FIFO mode: IIR bits 7-6 set; below the trigger level it is a character timeout. */
    outb(FCR, 0xC1);                                /* trigger at 14 bytes */
    uart_receive(&uart, '1');
    assert_true(took_irq4());
    assert_int_equal(inb(IIR), 0xCC);
    for (int i = 0; i < 13; i++)
        uart_receive(&uart, '2');
    assert_int_equal(inb(IIR), 0xC4);               /* at the trigger level: data available */
}

static void test_thre_interrupt(void **state)
{
    (void)state;
    outb(IER, 0x02);                                /* ETBEI 0 -> 1 with THR empty */
    assert_true(took_irq4());
    assert_int_equal(inb(IIR), 0x02);               /* reported once... */
    assert_int_equal(inb(IIR), 0x01);               /* ...and cleared by that read */
    assert_false(uart.irq_level);
    assert_false(took_irq4());

    outb(THR, 'z');                                 /* writing THR: empty again, raised again */
    assert_true(took_irq4());
    assert_int_equal(inb(IIR), 0x02);

    outb(IER, 0x02);                                /* no 0 -> 1 change: stays cleared */
    assert_int_equal(inb(IIR), 0x01);
    outb(IER, 0x00);
    outb(IER, 0x02);                                /* toggling re-arms it (Linux relies on this) */
    assert_int_equal(inb(IIR), 0x02);
}

static void test_priority(void **state)
{
    (void)state;
    outb(MCR, 0x10);                                /* loopback */
    outb(IER, 0x07);                                /* line status, THRE, data */
    uart_receive(&uart, 'q');
    outb(THR, 'r');                                 /* loops back into a full holding register */
    assert_int_equal(nsent, 0);                     /* loopback never reaches the wire */
    assert_int_equal(inb(IIR), 0x06);               /* overrun outranks everything */
    assert_int_equal(inb(LSR), 0x63);               /* DR | OE, reading clears OE */
    assert_int_equal(inb(LSR), 0x61);
    assert_int_equal(inb(IIR), 0x04);               /* then received data */
    assert_int_equal(inb(IIR), 0x04);
    assert_int_equal(inb(RBR), 'q');
    assert_int_equal(inb(IIR), 0x02);               /* then THRE, which this read clears */
    assert_int_equal(inb(IIR), 0x01);
}

static void test_divisor_latch_and_registers(void **state)
{
    (void)state;
    outb(IER, 0x05);
    outb(LCR, 0x83);                                /* DLAB, 8N1 */
    outb(COM1 + 0, 0x01);                           /* 115200 baud */
    outb(COM1 + 1, 0x02);
    assert_int_equal(uart.divisor, 0x0201);
    assert_int_equal(inb(COM1 + 0), 0x01);
    assert_int_equal(inb(COM1 + 1), 0x02);
    assert_int_equal(nsent, 0);                     /* the DLL write was not data */
    outb(LCR, 0x03);
    assert_int_equal(inb(LCR), 0x03);
    assert_int_equal(inb(IER), 0x05);               /* IER was kept under the latch */
    outb(THR, '!');
    assert_int_equal(nsent, 1);

    outb(SCR, 0x5A);
    assert_int_equal(inb(SCR), 0x5A);
    assert_int_equal(inb(MSR), 0xB0);               /* a modem: DCD, DSR, CTS */
    outb(MCR, 0x1B);                                /* loopback, OUT2, RTS, DTR */
    assert_int_equal(inb(MCR), 0x1B);
    assert_int_equal(inb(MSR), 0xB0);               /* DCD <- OUT2, CTS <- RTS, DSR <- DTR */
    outb(MCR, 0x14);                                /* loopback, OUT1 */
    assert_int_equal(inb(MSR), 0x40);               /* RI <- OUT1 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_transmit_and_lsr, setup),
        cmocka_unit_test_setup(test_receive_fifo, setup),
        cmocka_unit_test_setup(test_rda_interrupt, setup),
        cmocka_unit_test_setup(test_thre_interrupt, setup),
        cmocka_unit_test_setup(test_priority, setup),
        cmocka_unit_test_setup(test_divisor_latch_and_registers, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
