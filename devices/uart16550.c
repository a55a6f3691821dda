/*
 * uart16550.c - a 16550A UART at COM1 (chapter 2, "Devices and interrupts";
 * chapter 6, "I/O virtualization").
 *
 * Eight registers at 0x3F8-0x3FF, some sharing a port: with LCR.DLAB set,
 * ports 0 and 1 are the baud-rate divisor instead of data and IER. The parts
 * that matter to a driver are the interrupt rules, which follow the National
 * Semiconductor data sheet and QEMU's hw/char/serial.c:
 *
 *   priority   IIR   cause                         cleared by
 *   1 highest  0x6   line status (overrun)         reading LSR
 *   2          0x4   received data available       reading RBR below the trigger level
 *   2          0xC   character timeout (FIFO mode) reading RBR until empty
 *   3          0x2   transmitter holding reg empty reading IIR (when reported) or writing THR
 *   4          0x0   modem status                  (never raised: no modem lines)
 *
 * The IRQ line follows "some enabled cause is pending". On a real PC the
 * line only reaches the PIC when MCR.OUT2 is set; QEMU does not gate it,
 * and we follow QEMU, so that guests written against QEMU work here too.
 */
#include "devices/uart16550.h"
#include "devices/bus.h"
#include "devices/pic8259.h"

#include <string.h>

enum {  /* register offsets from the base port */
    REG_DATA = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
    REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

enum {
    IER_RDI = 0x01, IER_THRI = 0x02, IER_RLSI = 0x04, IER_MSI = 0x08,
    IIR_NONE = 0x01, IIR_MSI = 0x00, IIR_THRI = 0x02, IIR_RDI = 0x04,
    IIR_RLSI = 0x06, IIR_CTI = 0x0C, IIR_FIFO_ON = 0xC0,
    FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02, FCR_KEPT = 0xC9,  /* enable, DMA mode, trigger */
    LCR_DLAB = 0x80,
    MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10,
    LSR_DR = 0x01, LSR_OE = 0x02, LSR_ERRORS = 0x1E,    /* overrun, parity, framing, break */
    LSR_THRE = 0x20, LSR_TEMT = 0x40,
    MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80,
};

/* FCR bits 7-6: how full the receive FIFO must be before "data available". */
static const unsigned rx_trigger[4] = { 1, 4, 8, 14 };

static unsigned rx_capacity(const struct uart *u)
{
    return (u->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1;  /* 16450 mode: one holding register */
}

/*
 * The pending interrupt with the highest priority, as IIR bits 3-0.
 * With FIFOs on, fewer bytes than the trigger level give the character
 * timeout interrupt. A real chip waits four character times first; we have
 * no character clock and report it at once, as if that time had passed.
 */
static uint8_t pending_cause(const struct uart *u)
{
    if ((u->ier & IER_RLSI) && (u->lsr & LSR_ERRORS))
        return IIR_RLSI;
    if ((u->ier & IER_RDI) && (u->lsr & LSR_DR)) {
        if ((u->fcr & FCR_ENABLE) && u->rx_count < rx_trigger[u->fcr >> 6])
            return IIR_CTI;
        return IIR_RDI;
    }
    if ((u->ier & IER_THRI) && u->thr_ipending)
        return IIR_THRI;
    return IIR_NONE;            /* modem status: no delta bits are ever set */
}

/* Drive the IRQ line from the pending causes; PCI-style level, the PIC sees the edges. */
static void update_irq(struct uart *u)
{
    bool level = pending_cause(u) != IIR_NONE;
    if (level != u->irq_level) {
        u->irq_level = level;
        pic_set_irq(u->pic, UART_COM1_IRQ, level);
    }
}

static void rx_clear(struct uart *u)
{
    u->rx_head = u->rx_count = 0;
    u->lsr &= ~LSR_DR;
}

/* Append to the receive FIFO; false (and nothing stored) when full. */
static bool rx_push(struct uart *u, uint8_t byte)
{
    if (u->rx_count >= rx_capacity(u))
        return false;
    u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
    u->rx_count++;
    u->lsr |= LSR_DR;
    return true;
}

static uint8_t rx_pop(struct uart *u)
{
    if (u->rx_count == 0)
        return 0;
    uint8_t byte = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
    if (--u->rx_count == 0)
        u->lsr &= ~LSR_DR;
    return byte;
}

bool uart_can_receive(const struct uart *u)
{
    return u->rx_count < rx_capacity(u);
}

bool uart_receive(struct uart *u, uint8_t byte)
{
    if (!rx_push(u, byte))
        return false;
    u->stats.rx_bytes++;
    update_irq(u);
    return true;
}

/*
 * The guest wrote THR. Writing clears the THRE interrupt; the byte leaves
 * at once, so THR is empty again and THRE is raised again. The line dips
 * and rises in between, which gives an edge-triggered PIC a new request.
 */
static void transmit(struct uart *u, uint8_t byte)
{
    u->thr_ipending = false;
    update_irq(u);
    if (u->mcr & MCR_LOOP) {
        if (!rx_push(u, byte))
            u->lsr |= LSR_OE;   /* loopback into a full FIFO: overrun */
    } else {
        u->stats.tx_bytes++;
        u->tx(u->tx_opaque, byte);
    }
    u->thr_ipending = true;
    update_irq(u);
}

static void write_fcr(struct uart *u, uint8_t val)
{
    /* Switching FIFO mode on or off empties the FIFOs (data sheet). */
    if ((val ^ u->fcr) & FCR_ENABLE)
        rx_clear(u);
    if (!(val & FCR_ENABLE)) {
        u->fcr = 0;             /* the other bits only take with bit 0 set */
        return;
    }
    if (val & FCR_CLEAR_RX)
        rx_clear(u);
    u->fcr = val & FCR_KEPT;    /* bit 2 (clear transmit FIFO): nothing to clear */
}

/* MSR: a modem that is always there; in loopback, the MCR outputs fed back. */
static uint8_t read_msr(const struct uart *u)
{
    if (!(u->mcr & MCR_LOOP))
        return MSR_DCD | MSR_DSR | MSR_CTS;
    return ((u->mcr & MCR_RTS) ? MSR_CTS : 0) | ((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
           ((u->mcr & MCR_OUT1) ? MSR_RI : 0) | ((u->mcr & MCR_OUT2) ? MSR_DCD : 0);
}

static void uart_write(struct uart *u, uint32_t reg, uint8_t val)
{
    switch (reg) {
    case REG_DATA:
        if (u->lcr & LCR_DLAB)
            u->divisor = (u->divisor & 0xFF00) | val;
        else
            transmit(u, val);
        break;
    case REG_IER:
        if (u->lcr & LCR_DLAB) {
            u->divisor = (u->divisor & 0x00FF) | val << 8;
            break;
        }
        /*
         * Enabling ETBEI while THR is empty raises THRE again, even if an
         * IIR read had cleared it. The data sheet is silent; Linux's and
         * Windows' drivers rely on it, and QEMU and Bochs do it.
         */
        if ((val ^ u->ier) & IER_THRI)
            u->thr_ipending = (val & IER_THRI) && (u->lsr & LSR_THRE);
        u->ier = val & 0x0F;
        break;
    case REG_IIR_FCR:
        write_fcr(u, val);
        break;
    case REG_LCR:
        u->lcr = val;
        break;
    case REG_MCR:
        u->mcr = val & 0x1F;
        break;
    case REG_SCR:
        u->scr = val;
        break;
    default:                    /* LSR and MSR: writes are for factory testing */
        break;
    }
    update_irq(u);
}

static uint8_t uart_read(struct uart *u, uint32_t reg)
{
    uint8_t val;

    switch (reg) {
    case REG_DATA:
        if (u->lcr & LCR_DLAB)
            return u->divisor & 0xFF;
        val = rx_pop(u);
        break;
    case REG_IER:
        return (u->lcr & LCR_DLAB) ? u->divisor >> 8 : u->ier;
    case REG_IIR_FCR:
        val = pending_cause(u);
        if (val == IIR_THRI)
            u->thr_ipending = false;    /* reading IIR acknowledges THRE */
        if (u->fcr & FCR_ENABLE)
            val |= IIR_FIFO_ON;         /* bits 7-6 = 11: how drivers detect a 16550A */
        break;
    case REG_LCR:
        return u->lcr;
    case REG_MCR:
        return u->mcr;
    case REG_LSR:
        val = u->lsr;
        u->lsr &= ~LSR_ERRORS;          /* error bits clear on read */
        break;
    case REG_MSR:
        return read_msr(u);
    default:
        return u->scr;
    }
    update_irq(u);
    return val;
}

/* Ports 0x3F8-0x3FF. A byte device: wider accesses use their low byte. */
static void uart_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct uart *u = opaque;
    (void)size;
    if (is_write)
        uart_write(u, offset, *value);
    else
        *value = uart_read(u, offset);
}

int uart_init(struct uart *u, struct bus *bus, struct pic *pic, uart_tx_fn *tx, void *opaque)
{
    memset(u, 0, sizeof(*u));
    u->pic = pic;
    u->tx = tx;
    u->tx_opaque = opaque;
    u->lsr = LSR_THRE | LSR_TEMT;       /* transmitter idle */
    return bus_register_pio(bus, UART_COM1_BASE, 8, uart_io, u, "com1");
}
