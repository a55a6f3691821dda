/*
 * monitor-parse.c - address expressions, x/Nfmt, words and suggestions
 * for the monitor (chapter 7, "Addresses"). Pure functions: each says what
 * is wrong in one line, so the console can answer bad input clearly.
 */
#include "vmm/monitor-parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Registers by name: a general register, EIP, EFLAGS, a control register
 * or a segment selector. */
static const struct {
    const char *name;
    enum { GPR, EIP, EFLAGS, CR0, CR2, CR3, CR4, SEL } kind;
    int index;
} regs[] = {
    { "eax", GPR, X86_EAX }, { "ecx", GPR, X86_ECX }, { "edx", GPR, X86_EDX },
    { "ebx", GPR, X86_EBX }, { "esp", GPR, X86_ESP }, { "ebp", GPR, X86_EBP },
    { "esi", GPR, X86_ESI }, { "edi", GPR, X86_EDI }, { "eip", EIP, 0 },
    { "pc", EIP, 0 },        { "sp", GPR, X86_ESP },  { "eflags", EFLAGS, 0 },
    { "cr0", CR0, 0 },       { "cr2", CR2, 0 },       { "cr3", CR3, 0 },
    { "cr4", CR4, 0 },       { "cs", SEL, X86_CS },   { "ss", SEL, X86_SS },
    { "ds", SEL, X86_DS },   { "es", SEL, X86_ES },   { "fs", SEL, X86_FS },
    { "gs", SEL, X86_GS },
};
#define NREGS (sizeof(regs) / sizeof(regs[0]))

const char *const mon_reg_names[] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "pc", "sp", "eflags",
    "cr0", "cr2", "cr3", "cr4", "cs", "ss", "ds", "es", "fs", "gs", NULL,
};

int mon_reg_value(const struct x86_cpu *cpu, const char *name, uint32_t *out)
{
    for (size_t i = 0; i < NREGS; i++) {
        if (strcasecmp(regs[i].name, name) != 0)
            continue;
        switch (regs[i].kind) {
        case GPR:    *out = cpu->gpr[regs[i].index]; break;
        case EIP:    *out = cpu->eip; break;
        case EFLAGS: *out = cpu->eflags; break;
        case CR0:    *out = cpu->cr0; break;
        case CR2:    *out = cpu->cr2; break;
        case CR3:    *out = cpu->cr3; break;
        case CR4:    *out = cpu->cr4; break;
        case SEL:    *out = cpu->seg[regs[i].index].selector; break;
        }
        return 0;
    }
    return -1;
}

/* Symbol names; ':' inside one picks a file (compute:main). */
static bool is_name_char(char c, bool first)
{
    return isalpha((unsigned char)c) || c == '_' || c == '.' ||
           (!first && (isdigit((unsigned char)c) || c == ':'));
}

/* One term at *p (which moves past it) into *v. */
static int eval_term(const char **p, const struct mon_eval_env *env, uint64_t *v,
                     char *err, size_t errlen)
{
    char word[128];
    size_t n = 0;
    const char *s = *p;
    if (*s == '$') {
        s++;
        while (isalnum((unsigned char)*s) && n + 1 < sizeof(word))
            word[n++] = *s++;
        word[n] = 0;
        uint32_t r;
        if (!env->cpu || mon_reg_value(env->cpu, word, &r) < 0) {
            snprintf(err, errlen, "unknown register '$%s' (try $eip, $esp, $eax, $cr3)", word);
            return -1;
        }
        *v = r;
    } else if (isdigit((unsigned char)*s)) {
        bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
        uint64_t x = 0;
        const char *digits = s + (hex ? 2 : 0);
        s = digits;
        while (isxdigit((unsigned char)*s) && (hex || isdigit((unsigned char)*s))) {
            unsigned d = isdigit((unsigned char)*s) ? (unsigned)(*s - '0')
                                                    : (unsigned)(tolower(*s) - 'a' + 10);
            x = x * (hex ? 16 : 10) + d;
            if (x > 0xFFFFFFFFull) {
                snprintf(err, errlen, "'%.40s' is too large for a 32-bit address", *p);
                return -1;
            }
            s++;
        }
        if (s == digits || is_name_char(*s, false)) {
            snprintf(err, errlen, "malformed number '%.40s' (hex needs 0x: 0x%.38s)", *p,
                     hex ? digits : *p);
            return -1;
        }
        *v = x;
    } else if (is_name_char(*s, true)) {
        while (is_name_char(*s, false) && n + 1 < sizeof(word))
            word[n++] = *s++;
        word[n] = 0;
        uint32_t a;
        if (!env->syms || !mon_symbol_addr(env->syms, word, &a)) {
            snprintf(err, errlen, "no symbol '%s' in the guest's symbol table", word);
            return -1;
        }
        *v = a;
    } else {
        snprintf(err, errlen, "malformed address '%.40s': expected a number, $register "
                 "or symbol", s);
        return -1;
    }
    *p = s;
    return 0;
}

int mon_eval(const char *expr, const struct mon_eval_env *env, uint32_t *out,
             char *err, size_t errlen)
{
    const char *p = expr;
    int64_t total = 0;
    int sign = 1;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        uint64_t v;
        if (eval_term(&p, env, &v, err, errlen) < 0)
            return -1;
        total += sign * (int64_t)v;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == 0)
            break;
        if (*p != '+' && *p != '-') {
            snprintf(err, errlen, "malformed address '%s': unexpected '%c'", expr, *p);
            return -1;
        }
        sign = *p++ == '+' ? 1 : -1;
    }
    if (total < 0 || total > 0xFFFFFFFFll) {
        snprintf(err, errlen, "'%s' is outside the 32-bit address space", expr);
        return -1;
    }
    *out = (uint32_t)total;
    return 0;
}

int mon_parse_xfmt(const char *suffix, struct mon_xfmt *out, char *err, size_t errlen)
{
    *out = (struct mon_xfmt){ .count = 1, .format = 'x', .size = 0 };
    const char *p = suffix ? suffix : "";
    bool huge = false;                  // more units than any range allows
    if (isdigit((unsigned char)*p)) {
        unsigned long n = 0;
        for (; isdigit((unsigned char)*p); p++) {
            n = n * 10 + (unsigned long)(*p - '0');
            if (n > MON_X_MAX_BYTES) {
                huge = true;
                n = MON_X_MAX_BYTES;    // stay small: the count only says "too large"
            }
        }
        if (n == 0) {
            snprintf(err, errlen, "x/0: a count must be at least 1");
            return -1;
        }
        out->count = (unsigned)n;
    }
    for (; *p; p++) {
        if (strchr("xducsi", *p)) {
            out->format = *p;
        } else if (*p == 'b' || *p == 'h' || *p == 'w') {
            out->size = *p == 'b' ? 1 : *p == 'h' ? 2 : 4;
        } else {
            snprintf(err, errlen, "unknown format letter '%c' in '/%s' (formats x d u c s i, "
                     "sizes b h w)", *p, suffix);
            return -1;
        }
    }
    if (!out->size)
        out->size = out->format == 'c' ? 1 : 4;
    if (huge) {
        size_t digits = strspn(suffix, "0123456789");
        snprintf(err, errlen, "range too large: a count of %.*s%s; at most %u bytes at a time",
                 20, suffix, digits > 20 ? "..." : "", MON_X_MAX_BYTES);
        return -1;
    }
    if (out->format == 's' || out->format == 'i') {
        out->size = 1;
        if (out->count > MON_X_MAX_UNITS) {
            snprintf(err, errlen, "range too large: at most %u %s at a time", MON_X_MAX_UNITS,
                     out->format == 's' ? "strings" : "instructions");
            return -1;
        }
    } else if ((uint64_t)out->count * out->size > MON_X_MAX_BYTES) {
        snprintf(err, errlen, "range too large: %llu bytes; at most %u at a time",
                 (unsigned long long)out->count * out->size, MON_X_MAX_BYTES);
        return -1;
    }
    return 0;
}

int mon_split(char *line, char **argv, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == max)
            return -1;                  // never run a line cut short: it means something else
        argv[n++] = w;
    }
    return n;
}

const char *mon_join(int argc, char **argv, int from, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = from; i < argc; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i > from ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= len - used)
            return NULL;
        used += (size_t)n;
    }
    return buf;
}

/* Levenshtein distance, capped: names here are short. */
static unsigned distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31)
        return 99;
    unsigned d[32][32];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = d[i - 1][j - 1] + (tolower(a[i - 1]) != tolower(b[j - 1]));
            unsigned del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    }
    return d[la][lb];
}

const char *mon_closest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    unsigned best_d = 3;                // farther than 2 edits is no suggestion
    for (size_t i = 0; i < n; i++) {
        unsigned d = distance(word, names[i]);
        if (word[0] && strncasecmp(names[i], word, strlen(word)) == 0)
            d = d < 1 ? d : 1;          // a prefix is as good as one typo
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best;
}
