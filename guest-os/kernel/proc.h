/*
 * proc.h - processes and the scheduler (chapter 1, "Processes").
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include "kernel/trap.h"
#include "kernel/types.h"
#include "kernel/vm.h"

#define NPROC     64
#define KSTACK_SIZE 8192

enum proc_state { UNUSED, EMBRYO, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

/* Registers swtch saves: the callee-saved ones, and the return address. */
struct context {
    uint32_t edi, esi, ebx, ebp, eip;
};

struct proc {
    enum proc_state state;
    int          pid;
    char         name[16];
    pde_t       *pgdir;
    uint32_t     heap_start;            /* first heap address (page aligned) */
    uint32_t     brk;                   /* end of the heap, as sbrk sees it */
    char        *kstack;                /* bottom of the kernel stack */
    struct trapframe *tf;               /* the user registers, on the kernel stack */
    struct context *context;            /* where swtch left the kernel stack */
    const void  *chan;                  /* what a SLEEPING process waits for */
    struct proc *parent;
    bool         killed;
    int          exit_status;
};

extern struct proc *current;

/* Create the first process, running program name with argv. */
void proc_start_init(const char *name, char *const argv[]);
void scheduler(void) __attribute__((noreturn));
void sleep(const void *chan);
void wakeup(const void *chan);
void yield(void);
int  fork(void);
void exit(int status) __attribute__((noreturn));
int  wait(int *status);
/* Handle a user page fault at va: fill a heap page. Returns 0 if handled. */
int  proc_demand_fault(uint32_t va);
int  proc_sbrk(int delta, uint32_t *old);
/* True when the user may access [va, va+n) (and write it if write). */
bool user_range_ok(uint32_t va, uint32_t n, bool write);
/* Replace the current process's image with program name (exec.c). */
int  exec(const char *name, char *const argv[]);

#endif
