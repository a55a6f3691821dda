/*
 * compute - pure user-mode integer work: the native-speed baseline
 * (chapter 8). n rounds of a mixing function with multiply, shifts,
 * division and a data-dependent branch; prints a checksum.
 */
#include "user/ulib.h"

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 1000000);
    unsigned state = 0x12345678, sum = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned x = xorshift(&state);
        sum = sum * 31 + (x >> 3);
        if (x & 1)
            sum ^= x / ((i & 0xFF) + 1);
        else
            sum += (x % 977) << (i & 7);
    }
    printf("result: compute n=%u checksum=%08x\n", n, sum);
    return 0;
}
