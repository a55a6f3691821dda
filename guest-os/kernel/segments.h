/* segments.h - the GDT and the TSS (chapter 1, "Segments"). */
#ifndef KERNEL_SEGMENTS_H
#define KERNEL_SEGMENTS_H

#include "kernel/types.h"

void segments_init(void);
/* The stack the CPU switches to when an interrupt arrives in user mode. */
void segments_set_kernel_stack(uint32_t esp0);

#endif
