/*
 * proc.c - processes and the round-robin scheduler (chapter 1, "Processes").
 *
 * Each process has a page directory, a kernel stack and a saved context. The
 * scheduler runs on the boot stack and picks the next RUNNABLE process in
 * table order; a process gives up the CPU with sched() when it sleeps,
 * yields, exits, or when the timer interrupts it in user mode. Switching
 * processes loads CR3: the event the `ctxsw` workload measures.
 */
#include "kernel/proc.h"

#include "guest-os/include/string.h"
#include "kernel/console.h"
#include "kernel/kalloc.h"
#include "kernel/memlayout.h"
#include "kernel/segments.h"
#include "kernel/seg.h"
#include "kernel/x86.h"

static struct proc procs[NPROC];
static char kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(PGSIZE)));
static struct context *scheduler_context;
static int next_pid = 1;
static struct proc *init_proc;
struct proc *current;

void swtch(struct context **old, struct context *new);
extern char trapret[];

/* Where a new process's kernel stack starts: then "returns" into trapret. */
static void forkret(void)
{
}

/* A free slot, set up to resume in forkret and then trapret; or NULL. */
static struct proc *proc_alloc(void)
{
    struct proc *p = NULL;
    for (int i = 0; i < NPROC; i++) {
        if (procs[i].state == UNUSED) {
            p = &procs[i];
            break;
        }
    }
    if (!p)
        return NULL;
    memset(p, 0, sizeof(*p));
    p->state = EMBRYO;
    p->pid = next_pid++;
    p->kstack = kstacks[p - procs];

    char *sp = p->kstack + KSTACK_SIZE;
    sp -= sizeof(struct trapframe);
    p->tf = (struct trapframe *)sp;
    sp -= 4;
    *(uint32_t *)sp = (uint32_t)trapret;
    sp -= sizeof(struct context);
    p->context = (struct context *)sp;
    memset(p->context, 0, sizeof(*p->context));
    p->context->eip = (uint32_t)forkret;
    return p;
}

static const char *init_name;
static char *const *init_argv;

/* The first process starts here, in the kernel, and execs its program. */
static void init_entry(void)
{
    if (exec(init_name, init_argv) < 0)
        panic("cannot run '%s': no such program (try the shell's 'ls')", init_name);
}

void proc_start_init(const char *name, char *const argv[])
{
    struct proc *p = proc_alloc();
    p->pgdir = vm_new_pgdir();
    if (!p->pgdir)
        panic("proc_start_init: out of memory");
    strncpy_safe(p->name, name, sizeof(p->name));
    init_name = name;
    init_argv = argv;
    // Run init_entry first (instead of forkret); it returns into trapret,
    // which enters the program exec set up, as for any process.
    p->context->eip = (uint32_t)init_entry;
    init_proc = p;
    p->state = RUNNABLE;
}

void scheduler(void)
{
    int last = NPROC - 1;
    for (;;) {
        struct proc *p = NULL;
        for (int k = 1; k <= NPROC; k++) {
            int i = (last + k) % NPROC;
            if (procs[i].state == RUNNABLE) {
                p = &procs[i];
                last = i;
                break;
            }
        }
        if (!p) {
            wait_for_interrupt();       // nothing to run: idle until an IRQ
            continue;
        }
        current = p;
        p->state = RUNNING;
        segments_set_kernel_stack((uint32_t)p->kstack + KSTACK_SIZE);
        vm_switch(p->pgdir);
        swtch(&scheduler_context, p->context);
        current = NULL;
    }
}

/* Give the CPU back to the scheduler; current->state is already set. */
static void sched(void)
{
    swtch(&current->context, scheduler_context);
}

void yield(void)
{
    current->state = RUNNABLE;
    sched();
}

void sleep(const void *chan)
{
    current->chan = chan;
    current->state = SLEEPING;
    sched();
    current->chan = NULL;
}

void wakeup(const void *chan)
{
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state == SLEEPING && procs[i].chan == chan)
            procs[i].state = RUNNABLE;
}

int fork(void)
{
    struct proc *p = proc_alloc();
    if (!p)
        return -1;
    p->pgdir = vm_copy_user(current->pgdir);
    if (!p->pgdir) {
        p->state = UNUSED;
        return -1;
    }
    *p->tf = *current->tf;
    p->tf->eax = 0;                     // fork returns 0 in the child
    p->heap_start = current->heap_start;
    p->brk = current->brk;
    p->parent = current;
    memcpy(p->name, current->name, sizeof(p->name));
    p->state = RUNNABLE;
    return p->pid;
}

/* The exit code of the whole run when init ends: its status if 0..99. */
static int run_exit_code(int status)
{
    return (status >= 0 && status <= 99) ? status : 102;
}

void exit(int status)
{
    if (current == init_proc)
        poweroff(run_exit_code(status));
    for (int i = 0; i < NPROC; i++) {
        if (procs[i].parent == current) {
            procs[i].parent = init_proc;
            if (procs[i].state == ZOMBIE)
                wakeup(init_proc);
        }
    }
    current->exit_status = status;
    current->state = ZOMBIE;
    wakeup(current->parent);
    sched();
    panic("zombie %d ran again", current->pid);
}

int wait(int *status)
{
    for (;;) {
        bool have_children = false;
        for (int i = 0; i < NPROC; i++) {
            struct proc *p = &procs[i];
            if (p->parent != current)
                continue;
            have_children = true;
            if (p->state == ZOMBIE) {
                int pid = p->pid;
                if (status)
                    *status = p->exit_status;
                vm_free_pgdir(p->pgdir);
                p->state = UNUSED;
                p->parent = NULL;
                return pid;
            }
        }
        if (!have_children || current->killed)
            return -1;
        sleep(current);
    }
}

int proc_demand_fault(uint32_t va)
{
    if (va < current->heap_start || va >= current->brk)
        return -1;
    pte_t *pte = vm_walk(current->pgdir, va, false);
    if (pte && (*pte & PTE_P))
        return -1;                      // present: a protection fault, not ours
    if (vm_map_new_page(current->pgdir, PGROUNDDOWN(va), PTE_W | PTE_U) < 0) {
        kprintf("pid %d: out of memory\n", current->pid);
        return -1;
    }
    return 0;
}

int proc_sbrk(int delta, uint32_t *old)
{
    uint32_t brk = current->brk, limit = USERTOP - (USTACK_PAGES + 1) * PGSIZE;
    *old = brk;
    if (delta >= 0) {
        if ((uint32_t)delta > limit - brk)
            return -1;
        current->brk = brk + (uint32_t)delta;
    } else {
        uint32_t shrink = (uint32_t)-(int64_t)delta;
        if (shrink > brk - current->heap_start)
            return -1;
        current->brk = brk - shrink;
        vm_unmap_range(current->pgdir, current->brk, PGROUNDUP(brk), true);
    }
    return 0;
}

bool user_range_ok(uint32_t va, uint32_t n, bool write)
{
    if (n == 0)
        return true;
    if (va < USERBASE || va > USERTOP || n > USERTOP - va)
        return false;
    for (uint32_t page = PGROUNDDOWN(va); page < va + n; page += PGSIZE) {
        pte_t *pte = vm_walk(current->pgdir, page, false);
        if (pte && (*pte & PTE_P)) {
            if (!(*pte & PTE_U) || (write && !(*pte & PTE_W)))
                return false;
        } else if (proc_demand_fault(page) < 0) {
            return false;
        }
    }
    return true;
}
