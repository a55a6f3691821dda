/*
 * compute-kernel.h - the arithmetic of the compute workload, alone, so that
 * the same source is built for the guest (compute.c) and for the host
 * (tests/bench/native-compute.c): the benchmark compares the trap engine
 * with bare metal on the same instructions (chapter 3, chapter 8).
 */
#ifndef USER_COMPUTE_KERNEL_H
#define USER_COMPUTE_KERNEL_H

static unsigned compute_xorshift(unsigned *state)
{
    unsigned x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* n rounds of a mixing function with multiply, shifts, division and a
 * data-dependent branch; returns the checksum. */
static unsigned compute_checksum(unsigned n)
{
    unsigned state = 0x12345678, sum = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned x = compute_xorshift(&state);
        sum = sum * 31 + (x >> 3);
        if (x & 1)
            sum ^= x / ((i & 0xFF) + 1);
        else
            sum += (x % 977) << (i & 7);
    }
    return sum;
}

#endif
