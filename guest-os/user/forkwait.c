/*
 * forkwait - n times: fork a child that exits at once, wait for it
 * (Adams & Agesen's forkwait: page-table construction and teardown).
 */
#include "user/ulib.h"

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 1000), sum = 0;
    for (unsigned i = 0; i < n; i++) {
        int pid = fork();
        if (pid < 0) {
            printf("forkwait: fork failed at %u\n", i);
            return 1;
        }
        if (pid == 0)
            exit((int)(i % 97));
        int status;
        if (wait(&status) != pid) {
            printf("forkwait: wait failed at %u\n", i);
            return 1;
        }
        sum = sum * 7 + (unsigned)status;
    }
    printf("result: forkwait n=%u checksum=%08x\n", n, sum);
    return 0;
}
