/*
 * pit.c - the 8254 programmable interval timer (chapter 1).
 *
 * Channel 0 in mode 2 (rate generator) interrupts on IRQ 0 at hz per second;
 * that tick drives the scheduler and sleep().
 */
#include "kernel/devices.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

#define PIT_HZ  1193182
#define PIT_CH0 0x40
#define PIT_CMD 0x43

void pit_init(int hz)
{
    uint32_t divisor = (PIT_HZ + hz / 2) / hz;
    outb(PIT_CMD, 0x34);                // Channel 0, lobyte/hibyte, mode 2, binary
    outb(PIT_CH0, divisor & 0xFF);
    outb(PIT_CH0, (divisor >> 8) & 0xFF);
    pic_enable(IRQ_TIMER);
}
