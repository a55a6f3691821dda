/*
 * ctxsw - two processes hand the CPU back and forth n times with yield:
 * every hand-over is a context switch with a CR3 load (chapter 8).
 */
#include "user/ulib.h"

static unsigned spin(unsigned n, unsigned seed)
{
    unsigned h = seed;
    for (unsigned i = 0; i < n; i++) {
        h = h * 33 + i;
        yield();
    }
    return h;
}

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 10000);
    int pid = fork();
    if (pid < 0) {
        printf("ctxsw: fork failed\n");
        return 1;
    }
    if (pid == 0)
        exit((int)(spin(n, 7) & 0x3F));
    unsigned h = spin(n, 5);
    int status;
    wait(&status);
    printf("result: ctxsw n=%u checksum=%08x\n", n, h ^ (unsigned)status);
    return 0;
}
