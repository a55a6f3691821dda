/*
 * sh - the tiny shell (chapter 1). Reads a line from the serial console,
 * echoing what is typed, and runs it: a built-in (help, ls, poweroff) or a
 * program from the ramfs with its arguments.
 */
#include "user/ulib.h"

#define LINE_MAX 128
#define MAXARGS 15

static void help(void)
{
    printf("commands:\n"
           "  help              this text\n"
           "  ls                list the programs\n"
           "  poweroff [CODE]   stop the machine (exit code CODE, default 0)\n"
           "  PROGRAM [k=v...]  run a program, e.g. compute n=1000\n");
}

static void list_programs(void)
{
    char buf[1024];
    int n = progs(buf, sizeof(buf));
    if (n > 0)
        write(1, buf, n);
}

/* Read one line, echoing it; handles backspace. Returns its length. */
static int read_line(char *line)
{
    int len = 0;
    for (;;) {
        char c;
        if (read(0, &c, 1) != 1)
            continue;
        if (c == '\r' || c == '\n') {
            write(1, "\n", 1);
            line[len] = 0;
            return len;
        }
        if (c == 0x7F || c == '\b') {
            if (len > 0) {
                len--;
                write(1, "\b \b", 3);
            }
            continue;
        }
        if (c >= ' ' && len < LINE_MAX - 1) {
            line[len++] = c;
            write(1, &c, 1);
        }
    }
}

static int split(char *line, char **argv)
{
    int argc = 0;
    for (char *p = line; *p;) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        if (argc == MAXARGS)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    argv[argc] = 0;
    return argc;
}

static void run(char **argv)
{
    int pid = fork();
    if (pid < 0) {
        printf("sh: fork failed\n");
        return;
    }
    if (pid == 0) {
        exec(argv[0], argv);
        printf("sh: %s: no such program (try 'ls')\n", argv[0]);
        exit(127);
    }
    int status;
    wait(&status);
    if (status != 0)
        printf("sh: %s: exit status %d\n", argv[0], status);
}

int main(void)
{
    char line[LINE_MAX], *argv[MAXARGS + 1];
    printf("toy shell: type 'help'\n");
    for (;;) {
        printf("$ ");
        read_line(line);
        if (split(line, argv) == 0)
            continue;
        if (strcmp(argv[0], "help") == 0)
            help();
        else if (strcmp(argv[0], "ls") == 0)
            list_programs();
        else if (strcmp(argv[0], "poweroff") == 0)
            poweroff(argv[1] ? atoi(argv[1]) : 0);
        else
            run(argv);
    }
}
