/*
 * signal-round-trip.c - what one VM exit of the first trap engine cost: a
 * fault (ud2), its signal, and a siglongjmp back, all inside one process
 * (chapter 3, "What a trap costs"; make bench-trap prints it beside the
 * exit round trip through the guest's own process). Prints microseconds.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static sigjmp_buf back;

static void on_sigill(int sig)
{
    (void)sig;
    siglongjmp(back, 1);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    struct sigaction sa = { .sa_handler = on_sigill, .sa_flags = SA_NODEFER };
    sigaction(SIGILL, &sa, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (volatile long i = 0; i < n; i++)
        if (sigsetjmp(back, 0) == 0)
            __asm__ volatile("ud2");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
    printf("%.2f\n", us / (double)(n > 0 ? n : 1));
    return 0;
}
