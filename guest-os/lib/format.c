/*
 * format.c - printf-style formatting for the kernel (kprintf) and for user
 * programs (printf); one copy of the code, two users (chapter 1).
 */
#include "guest-os/include/format.h"

static int put_number(format_putc_fn putc, void *arg, unsigned long long v,
                      unsigned base, int negative, int width, char pad)
{
    char digits[24];
    int n = 0, count = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (negative)
        digits[n++] = '-';
    for (int i = n; i < width; i++, count++)
        putc(arg, pad);
    while (n > 0) {
        putc(arg, digits[--n]);
        count++;
    }
    return count;
}

int vformat(format_putc_fn putc, void *arg, const char *fmt, va_list ap)
{
    int count = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putc(arg, *fmt);
            count++;
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, longs = 0;
        if (*fmt == '0')
            pad = '0';
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        unsigned long long u;
        long long s;
        switch (*fmt) {
        case 'd':
            s = longs >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
            count += put_number(putc, arg, s < 0 ? -(unsigned long long)s : (unsigned long long)s,
                                10, s < 0, width, pad);
            break;
        case 'u':
        case 'x':
            u = longs >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            count += put_number(putc, arg, u, *fmt == 'u' ? 10 : 16, 0, width, pad);
            break;
        case 'p':
            putc(arg, '0');
            putc(arg, 'x');
            count += 2 + put_number(putc, arg, (unsigned int)va_arg(ap, void *), 16, 0, 8, '0');
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            int len = 0;
            while (str[len])
                len++;
            for (int i = len; i < width; i++, count++)
                putc(arg, ' ');
            for (; *str; str++, count++)
                putc(arg, *str);
            break;
        }
        case 'c':
            putc(arg, (char)va_arg(ap, int));
            count++;
            break;
        case '%':
            putc(arg, '%');
            count++;
            break;
        case 0:
            return count;
        default:                        /* unknown: show it as written */
            putc(arg, '%');
            putc(arg, *fmt);
            count += 2;
        }
    }
    return count;
}
