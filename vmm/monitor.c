/*
 * monitor.c - the monitor's core: who runs the guest, when the console
 * takes over, and how a command line becomes a command (chapter 7, "The
 * monitor").
 *
 * The guest runs in the engine's run(), which returns at an instruction
 * boundary when the user presses Ctrl-A c (console.c), when gdb sends
 * Ctrl-C, or when a breakpoint, a step count or an awaited exit says so
 * (struct vm_debug). From then on this file owns the run: the console reads
 * commands, and `cont` or `step` hand the guest back to the engine until
 * the next stop. On a terminal the console is GNU readline (history, tab
 * completion); from a pipe, each command is echoed after the prompt so
 * that a transcript reads like a session.
 */
#define _GNU_SOURCE
#include "vmm/monitor.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "vmm/console.h"
#include "vmm/gdb-stub.h"

#define PROMPT "(vmm) "

static struct mon the_monitor = { .gdb_listen_fd = -1 };

/* ---- the vCPU, memory and symbols, for every command ---- */

void mon_get_cpu(struct mon *m, struct x86_cpu *cpu)
{
    m->vm->engine->get_state(m->vm, cpu);
}

void mon_set_cpu(struct mon *m, const struct x86_cpu *cpu)
{
    m->vm->engine->set_state(m->vm, cpu);
}

int mon_eval_addr(struct mon *m, const char *expr, uint32_t *out)
{
    struct x86_cpu cpu;
    char err[256];
    mon_get_cpu(m, &cpu);
    struct mon_eval_env env = { .cpu = &cpu, .syms = &m->syms };
    if (mon_eval(expr, &env, out, err, sizeof(err)) < 0) {
        printf("%s\n", err);
        return -1;
    }
    return 0;
}

const char *mon_symbolize(struct mon *m, uint32_t addr, char *buf, size_t len)
{
    uint32_t off;
    const char *file;
    const char *name = mon_symbol_at_file(&m->syms, addr, &off, &file);
    // A symbol of an added file (a user program) says whose it is, in the
    // form an address expression takes back: <compute:main+4>.
    bool other = file && m->syms.nfiles > 0 && file != m->syms.files[0];
    if (!name)
        snprintf(buf, len, "%s", "");
    else if (off)
        snprintf(buf, len, " <%s%s%s+%u>", other ? file : "", other ? ":" : "", name, off);
    else
        snprintf(buf, len, " <%s%s%s>", other ? file : "", other ? ":" : "", name);
    return buf;
}

/* ---- running and stopping the guest ---- */

/* One run of the engine until it returns. */
static bool resume_once(struct mon *m)
{
    struct vm *vm = m->vm;
    vm->start_host_ns += exit_stats_now_ns() - m->stopped_at;  // pauses are not run time
    vm->debug.why = VM_DEBUG_NONE;
    vm->debug.resuming = true;          // do not stop at the breakpoint we stand on
    vm_debug_update(vm);
    fflush(stdout);
    console_init();                     // raw mode while the guest has the terminal
    enum vm_stop stop = vm->engine->run(vm);
    console_restore();
    m->stopped_at = exit_stats_now_ns();
    if (stop == VM_STOP_QUIT && console_monitor_requested()) {
        stop = VM_STOP_DEBUG;
        vm->debug.why = VM_DEBUG_REQUEST;
    }
    // A stop for any reason ends `step N` and spends `break exit`.
    vm->debug.steps = 0;
    vm->debug.resuming = false;
    if (vm->debug.why == VM_DEBUG_EXIT)
        vm->debug.stop_exit = -1;
    vm_debug_update(vm);
    if (stop != VM_STOP_DEBUG) {
        m->finished = true;
        m->final = stop;
        return false;
    }
    return true;
}

bool mon_resume(struct mon *m)
{
    if (m->finished)
        return false;
    bool listen = m->gdb_listen_fd >= 0 && !m->gdb_attached;
    for (;;) {
        if (listen)
            console_watch_fd(m->gdb_listen_fd);     // a new gdb stops the guest
        bool stopped = resume_once(m);
        if (listen)
            console_watch_fd(-1);
        struct pollfd p = { .fd = m->gdb_listen_fd, .events = POLLIN };
        if (!stopped || !listen || m->vm->debug.why != VM_DEBUG_REQUEST || poll(&p, 1, 0) <= 0)
            return stopped;
        // gdb attaches again (after a detach): serve it, then run on.
        int r = gdb_serve(m, m->gdb_listen_fd);
        if (r != GDB_DETACHED && !m->finished) {
            m->finished = true;
            m->final = r == GDB_QUIT ? VM_STOP_QUIT : r == GDB_TIMEOUT ? VM_STOP_TIMEOUT : VM_STOP_DEBUG;
        }
        if (m->finished)
            return false;
    }
}

void mon_print_stop(struct mon *m)
{
    struct vm *vm = m->vm;
    struct x86_cpu cpu;
    mon_get_cpu(m, &cpu);
    switch (vm->debug.why) {
    case VM_DEBUG_BREAK:
        for (unsigned i = 0; i < vm->debug.nbreaks; i++)
            if (vm->debug.breaks[i] == cpu.eip)
                printf("breakpoint %u reached\n", vm->debug.break_ids[i]);
        break;
    case VM_DEBUG_EXIT: {
        uint64_t reason = 0, qual = 0;
        vmread(&vm->vmcs, VM_EXIT_REASON, &reason);
        vmread(&vm->vmcs, EXIT_QUALIFICATION, &qual);
        printf("stopped after exit %u (%s), qualification 0x%llx\n", (unsigned)reason,
               vmcs_exit_reason_name((unsigned)reason), (unsigned long long)qual);
        break;
    }
    case VM_DEBUG_WATCH:
        mon_print_watch_hit(m);
        break;
    case VM_DEBUG_REQUEST:
        printf("stopped (%llu instructions run by the executor so far)\n",
               (unsigned long long)cpu.instructions);
        break;
    default:
        break;
    }
    mon_print_insn(m, cpu.eip);
}

/* The guest ended while the console was in charge: say how. */
static void print_end(struct mon *m)
{
    static const char *const why[] = {
        [VM_STOP_POWEROFF] = "the guest powered off",
        [VM_STOP_TRIPLE_FAULT] = "the guest CPU shut down (triple fault)",
        [VM_STOP_TIMEOUT] = "--timeout elapsed",
        [VM_STOP_QUIT] = "quit with Ctrl-A x",
        [VM_STOP_ERROR] = "the engine stopped the guest",
    };
    if (m->final == VM_STOP_POWEROFF)
        printf("[%s with code %u]\n", why[m->final], m->vm->debug_exit.code & 0xFF);
    else if ((unsigned)m->final < sizeof(why) / sizeof(why[0]) && why[m->final])
        printf("[%s]\n", why[m->final]);
    if (m->keep_open && m->final != VM_STOP_QUIT)
        printf("[the monitor stays open: exits, stats, regs ... still work; quit leaves]\n");
    else
        m->leave = true;
}

/* ---- the console ---- */

int mon_execute(struct mon *m, char *line)
{
    char *words[MON_MAX_WORDS], **argv = words;
    char again[sizeof(m->repeat)];
    snprintf(again, sizeof(again), "%s", line);     // `step N` is repeated as typed
    int argc = mon_split(line, words, MON_MAX_WORDS);
    if (argc < 0) {
        printf("too many words: a command line has at most %d\n", MON_MAX_WORDS);
        return -1;
    }
    if (argc == 0)
        return 0;
    // x /4x ADDR, as gdb takes it: the format may be a word of its own.
    char joined[64];
    if (argc > 1 && argv[1][0] == '/' && strlen(argv[0]) + strlen(argv[1]) < sizeof(joined) &&
        !strchr(argv[0], '/')) {
        strcpy(joined, argv[0]);        // fits: checked above
        strcat(joined, argv[1]);
        argv[1] = joined;
        argv++;
        argc--;
    }
    // x/4x and xp/s: the command's name ends at the '/'.
    char name[32];
    snprintf(name, sizeof(name), "%.*s", (int)strcspn(argv[0], "/"), argv[0]);
    char err[256];
    const struct mon_command *cmd = mon_find_command(name, err, sizeof(err));
    if (!cmd) {
        printf("%s\n", err);
        return -1;
    }
    if (strchr(argv[0], '/') && cmd->run != mon_cmd_x && cmd->run != mon_cmd_xp) {
        printf("%s takes no /format (only x and xp do)\n", cmd->name);
        return -1;
    }
    if (cmd->args[0] == 0 && argc > 1) {        // regs, cont, quit ... take nothing
        printf("%s takes no arguments ('%s' is one too many)\n", cmd->name, argv[1]);
        return -1;
    }
    m->repeat[0] = 0;                   // x and xp set it; step below
    int rc = cmd->run(m, argc, argv);
    if (rc == 0 && strcmp(cmd->name, "step") == 0 && strlen(again) < sizeof(again) - 1)
        snprintf(m->repeat, sizeof(m->repeat), "%s", again);
    if (m->finished && !m->end_told) {
        m->end_told = true;
        print_end(m);
    }
    return rc;
}

/* Readline's completion: command names first, then what each command
 * takes (VMCS fields, engine names, registers, guest symbols). */
static const char *const engine_names[] = { "interp", "trap", "kvm", NULL };
static const char *const *word_list;    /* for the generator below */
static enum { LIST, COMMANDS, SYMBOLS, VMCS } word_source;

static char *next_word(const char *text, int state)
{
    static size_t i;
    static size_t len;
    if (state == 0) {
        i = 0;
        len = strlen(text);
    }
    for (;;) {
        const char *w = NULL;
        char buf[128];
        switch (word_source) {
        case COMMANDS:
            w = i < mon_ncommands ? mon_commands[i].name : NULL;
            break;
        case SYMBOLS:
            w = i < the_monitor.syms.n ? the_monitor.syms.v[i].name : NULL;
            break;
        case VMCS:
            w = i < vmcs_nfields ? vmcs_fields[i].name
                : i < vmcs_nfields + VMCS_NGROUPS ? vmcs_group_name(i - vmcs_nfields) : NULL;
            break;
        case LIST:
            w = word_list[i];
            if (w && text[0] == '$') {  // registers are completed with their '$'
                snprintf(buf, sizeof(buf), "$%s", w);
                w = buf;
            }
            break;
        }
        if (!w)
            return NULL;
        i++;
        if (strncasecmp(w, text, len) == 0)
            return strdup(w);
    }
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;   // never fall back to file names
    char first[32] = "";
    sscanf(rl_line_buffer, "%31s", first);
    if (start == 0)
        word_source = COMMANDS;
    else if (strcasecmp(first, "symbols") == 0) {
        rl_attempted_completion_over = 0;   // symbols add FILE: file names
        return NULL;
    } else if (strcasecmp(first, "vmcs") == 0)
        word_source = VMCS;
    else if (strcasecmp(first, "engine") == 0)
        word_source = LIST, word_list = engine_names;
    else if (text[0] == '$')
        word_source = LIST, word_list = mon_reg_names;
    else
        word_source = SYMBOLS;
    return rl_completion_matches(text, next_word);
}

/* Ctrl-A c at the prompt: back to the guest, as `cont`. Ctrl-A x: quit. */
static int key_cont(int count, int key)
{
    (void)count;
    rl_replace_line("cont", 0);
    return rl_newline(1, key);
}

static int key_quit(int count, int key)
{
    (void)count;
    rl_replace_line("quit", 0);
    return rl_newline(1, key);
}

static void readline_setup(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    rl_readline_name = "vmm";
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = " \t+-/";
    rl_bind_keyseq("\\C-ac", key_cont);
    rl_bind_keyseq("\\C-ax", key_quit);
    rl_bind_keyseq("\\C-a\\C-a", rl_beg_of_line);   // Ctrl-A is the escape key now
}

/* Ctrl-C at the prompt drops the line being typed, as in gdb and bash; it
 * must not end the VMM (and the guest with it). Readline calls this at a
 * safe point, after its own clean-up. */
static void prompt_sigint(int sig)
{
    (void)sig;
    rl_crlf();
    rl_replace_line("", 0);
    rl_on_new_line();
    rl_redisplay();
}

/* A terminal line from readline, with Ctrl-C dropping the line. */
static char *read_terminal(const char *prompt)
{
    struct sigaction sa = { .sa_handler = prompt_sigint }, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    char *line = readline(prompt);
    sigaction(SIGINT, &old, NULL);
    return line;
}

/* Ctrl-D at the prompt: quit only if the user says so while the guest lives
 * (gdb asks too). True: leave. */
static bool confirm_quit(struct mon *m)
{
    if (m->finished)
        return true;
    printf("\n");
    for (;;) {
        char *answer = read_terminal("The guest is still running. Quit the VMM? (y or n) ");
        if (!answer)
            return true;                // the terminal is gone
        char c = answer[strspn(answer, " ")];
        free(answer);
        if (c == 'y' || c == 'Y')
            return true;
        if (c == 'n' || c == 'N')
            return false;
        printf("Please answer y or n.\n");
    }
}

/* One command line, or NULL at the end of input. */
static char *read_command(struct mon *m)
{
    console_flush();
    fflush(stdout);
    if (!m->script) {
        char *line;
        while (!(line = read_terminal(PROMPT)) && !confirm_quit(m))
            ;
        if (line && *line)
            add_history(line);
        return line;
    }
    char *buf = NULL;
    size_t cap = 0;
    fputs(PROMPT, stdout);
    if (getline(&buf, &cap, stdin) < 0) {      // a whole line, however long
        free(buf);
        fputs("\n", stdout);
        return NULL;
    }
    buf[strcspn(buf, "\r\n")] = 0;
    printf("%s\n", buf);                // echo: the transcript shows what ran
    return buf;
}

/* The console, until quit, the end of input, or the end of the guest. */
void mon_console(struct mon *m)
{
    readline_setup();
    m->leave = false;
    while (!m->leave) {
        char *line = read_command(m);
        if (!line) {
            m->quit = true;             // the end of input (or Ctrl-D, confirmed) quits
            break;
        }
        if (line[strspn(line, " \t")] == 0 && m->repeat[0]) {
            // An empty line repeats the last step, or shows the memory
            // after the last x, as gdb does.
            free(line);
            line = strdup(m->repeat);
            if (!line)
                break;
            if (m->script)
                printf("[repeats: %s]\n", line);
        }
        mon_execute(m, line);
        free(line);
    }
    fflush(stdout);
}

/* ---- start-up and the run ---- */

/* The run without gdb attached: straight on until Ctrl-A c, a breakpoint
 * or the end, then the console (at once with --monitor). */
static enum vm_stop run_with_console(struct mon *m)
{
    if (m->finished)
        return m->final;
    if (!m->start_paused) {
        if (!mon_resume(m))
            return m->final;            // the usual run: the monitor never came
        console_restore();
        printf("\n");
        mon_print_stop(m);
    } else {
        console_restore();
        struct x86_cpu cpu;
        mon_get_cpu(m, &cpu);
        printf("[monitor: the guest is paused before its first instruction; help lists "
               "the commands]\n");
        mon_print_insn(m, cpu.eip);
    }
    mon_console(m);
    return m->finished ? m->final : VM_STOP_DEBUG;
}

int mon_init(struct vm *vm, const struct mon_config *cfg, char *err, size_t errlen)
{
    struct mon *m = &the_monitor;
    m->vm = vm;
    m->start_paused = cfg->start_paused;
    m->keep_open = cfg->start_paused;
    m->script = !isatty(STDIN_FILENO);
    if (cfg->symbols_path && mon_symbols_load(&m->syms, cfg->symbols_path, err, errlen) < 0)
        fprintf(stderr, "vmm: %s (the monitor will know no symbols)\n", err);
    if (cfg->gdb_port && (m->gdb_listen_fd = gdb_listen(cfg->gdb_port, err, errlen)) < 0)
        return -1;
    if (cfg->start_paused && m->script)
        console_detach_input();         // stdin carries the monitor's commands
    return 0;
}

enum vm_stop mon_run(struct vm *vm)
{
    struct mon *m = &the_monitor;
    m->vm = vm;
    m->stopped_at = exit_stats_now_ns();
    if (m->gdb_listen_fd >= 0) {
        // gdb first; after a detach the socket stays open for the next one.
        int r = gdb_serve(m, m->gdb_listen_fd);
        if (!m->finished && r != GDB_DETACHED) {
            m->finished = true;
            m->final = r == GDB_QUIT ? VM_STOP_QUIT : r == GDB_TIMEOUT ? VM_STOP_TIMEOUT : VM_STOP_DEBUG;
        }
    }
    enum vm_stop result = run_with_console(m);
    if (m->gdb_listen_fd >= 0)
        close(m->gdb_listen_fd);
    m->gdb_listen_fd = -1;
    mon_symbols_free(&m->syms);
    return result;
}
