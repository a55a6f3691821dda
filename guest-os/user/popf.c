/*
 * popf - the demo of the x86 instruction that breaks classic
 * trap-and-emulate (chapter 3, "The x86 holes"). The kernel, with interrupts
 * on, clears IF with popf and reports what it then sees; see sys_popftest.
 * Expected on real hardware, QEMU and the interpreter: if_after_popf=0 and no
 * interrupts while masked. On the trap engine: popf's IF change is lost.
 * n is how long the kernel waits for interrupts, in time-stamp-counter cycles.
 */
#include "user/ulib.h"

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 100000000);
    struct popf_report r;
    if (popftest(n, &r) < 0) {
        printf("popf: the system call failed\n");
        return 1;
    }
    printf("result: popf n=%u if_before=%u if_after_popf=%u interrupts_while_masked=%s\n",
           n, r.if_before, r.if_after_popf, r.ticks_masked ? "yes" : "no");
    return 0;
}
