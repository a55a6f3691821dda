/*
 * host-costs.c - what the host's own operations cost, measured with the
 * same calls the trap engine's shadow makes (vmm/trap-host.c), for
 * `make bench-trap` and chapter 3's "What a trap costs": map one page of a
 * memfd over a reserved range, Linux's first-touch fault on it, map an
 * inaccessible page back over it, and one SIGSEGV delivered to a handler
 * that leaves by siglongjmp. Prints one markdown row per operation, in
 * microseconds of CPU time per operation. Usage: host-costs [ROUNDS]
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGES 256                       /* pages cycled through per round */

/* CPU time of this thread, user and system: the host is shared, and time
 * spent waiting for a core is not a cost of the operation. */
static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* As trap-host.c's host_map: one memfd page, shared, at a fixed address. */
static void map_page(uint8_t *at, int memfd, size_t off)
{
    if (mmap(at, 4096, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, memfd, (off_t)off) ==
        MAP_FAILED)
        die("mmap memfd page");
}

/* As trap-host.c's reserve: an inaccessible anonymous page over it. */
static void hide_page(uint8_t *at)
{
    if (mmap(at, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
             0) == MAP_FAILED)
        die("mmap inaccessible page");
}

static sigjmp_buf back;

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(back, 1);
}

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 200;
    if (rounds == 0) {
        fprintf(stderr, "usage: host-costs [ROUNDS > 0]\n");
        return 2;
    }
    size_t len = (size_t)PAGES * 4096;
    int memfd = memfd_create("host-costs", 0);
    if (memfd < 0 || ftruncate(memfd, (off_t)len) < 0)
        die("memfd");
    // Allocate the memfd's pages once, so that a first touch below costs
    // only Linux's page-table fill, as for guest RAM the guest already used.
    uint8_t *all = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (all == MAP_FAILED)
        die("mmap memfd");
    memset(all, 1, len);
    uint8_t *win = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (win == MAP_FAILED)
        die("mmap window");

    double t_map = 0, t_touch = 0, t_hide = 0;
    volatile uint8_t sink = 0;
    for (unsigned r = 0; r < rounds; r++) {
        double t0 = now_us();
        for (unsigned p = 0; p < PAGES; p++)
            map_page(win + p * 4096, memfd, p * 4096);
        double t1 = now_us();
        for (unsigned p = 0; p < PAGES; p++)
            sink += win[p * 4096];
        double t2 = now_us();
        for (unsigned p = 0; p < PAGES; p++)
            hide_page(win + p * 4096);
        double t3 = now_us();
        t_map += t1 - t0;
        t_touch += t2 - t1;
        t_hide += t3 - t2;
    }

    // A signal round trip: the fault, Linux's signal frame, the handler,
    // and siglongjmp back (no mask saved, SA_NODEFER, as trap-signals.c).
    struct sigaction sa = { .sa_handler = on_segv, .sa_flags = SA_NODEFER };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) < 0)
        die("sigaction");
    unsigned nsig = rounds * PAGES;
    volatile unsigned taken = 0;
    double t4 = now_us();
    while (taken < nsig) {
        if (sigsetjmp(back, 0) == 0)
            sink += win[0];             // PROT_NONE: SIGSEGV
        else
            taken++;
    }
    double t5 = now_us();

    double n = (double)rounds * PAGES;
    printf("| host operation (as the trap engine makes it) | CPU time |\n|---|---|\n");
    printf("| mmap of one memfd page, MAP_FIXED (host_map) | %.2f us |\n", t_map / n);
    printf("| first touch of that page (Linux fills its page table) | %.2f us |\n", t_touch / n);
    printf("| mmap of an inaccessible page over it (host_unmap) | %.2f us |\n", t_hide / n);
    printf("| SIGSEGV to a handler that leaves by siglongjmp | %.2f us |\n", (t5 - t4) / nsig);
    return 0;
}
