/*
 * seg.h - the kernel's segment selectors (chapter 1, "Segments").
 *
 * Flat segments only: paging does the protection. User selectors have RPL 3.
 */
#ifndef KERNEL_SEG_H
#define KERNEL_SEG_H

#define SEG_KCODE 1
#define SEG_KDATA 2
#define SEG_UCODE 3
#define SEG_UDATA 4
#define SEG_TSS   5
#define NSEGS     6

#define SEG_KCODE_SEL (SEG_KCODE << 3)
#define SEG_KDATA_SEL (SEG_KDATA << 3)
#define SEG_UCODE_SEL ((SEG_UCODE << 3) | 3)
#define SEG_UDATA_SEL ((SEG_UDATA << 3) | 3)
#define SEG_TSS_SEL   (SEG_TSS << 3)

#endif
