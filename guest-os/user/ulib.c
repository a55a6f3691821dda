/*
 * ulib.c - the user library: program start, printf, argument parsing
 * (chapter 1, "Programs").
 */
#include "user/ulib.h"

#include "guest-os/include/format.h"

int main(int argc, char **argv);

/* exec leaves argc and argv where a called function finds its arguments. */
__attribute__((section(".text.start"))) void _start(int argc, char **argv)
{
    exit(main(argc, argv));
}

/* printf buffers a line, so a result line reaches the console in one write. */
struct out {
    char buf[256];
    int  n;
};

static void flush(struct out *o)
{
    if (o->n)
        write(1, o->buf, o->n);
    o->n = 0;
}

static void putc_cb(void *arg, char c)
{
    struct out *o = arg;
    o->buf[o->n++] = c;
    if (c == '\n' || o->n == (int)sizeof(o->buf))
        flush(o);
}

int printf(const char *fmt, ...)
{
    struct out o = { .n = 0 };
    va_list ap;
    va_start(ap, fmt);
    int n = vformat(putc_cb, &o, fmt, ap);
    va_end(ap);
    flush(&o);
    return n;
}

int atoi(const char *s)
{
    int v = 0, neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return neg ? -v : v;
}

unsigned arg_uint(int argc, char **argv, const char *key, unsigned def)
{
    size_t len = strlen(key);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], key, len) == 0 && argv[i][len] == '=')
            return (unsigned)atoi(argv[i] + len + 1);
    return def;
}

unsigned xorshift(unsigned *state)
{
    unsigned x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}
