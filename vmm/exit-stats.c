/*
 * exit-stats.c - counting exits by reason, and printing the counts as a
 * table or as JSON (chapter 5, "KVM and EPT": "What an exit costs").
 *
 * The JSON is written by hand: it is one small object, and a student can
 * see every byte of it. Strings go through json_string, which escapes them.
 */
#include "vmm/exit-stats.h"

#include <string.h>
#include <time.h>

void exit_stats_init(struct exit_stats *s, const char *engine)
{
    s->engine = engine;
    exit_stats_reset(s);
}

void exit_stats_reset(struct exit_stats *s)
{
    memset(s->count, 0, sizeof s->count);
    memset(s->ns, 0, sizeof s->ns);
}

void exit_stats_record(struct exit_stats *s, unsigned reason, uint64_t ns)
{
    reason &= 0xFFFF;                   /* drop "entry failed" and friends */
    unsigned slot = reason < VMX_NR_EXIT_REASONS ? reason : EXIT_STATS_OTHER;

    s->count[slot]++;
    s->ns[slot] += ns;
}

uint64_t exit_stats_total(const struct exit_stats *s, uint64_t *ns)
{
    uint64_t count = 0, time = 0;

    for (unsigned i = 0; i < EXIT_STATS_SLOTS; i++) {
        count += s->count[i];
        time += s->ns[i];
    }
    if (ns)
        *ns = time;
    return count;
}

uint64_t exit_stats_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *slot_name(unsigned slot)
{
    return slot == EXIT_STATS_OTHER ? "other (number beyond the table)"
                                    : vmcs_exit_reason_name(slot);
}

static double percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void exit_stats_print(const struct exit_stats *s, FILE *out)
{
    uint64_t total_ns, total = exit_stats_total(s, &total_ns);

    fprintf(out, "exits on %s: %llu, %.3f ms handling them\n",
            s->engine ? s->engine : "?", (unsigned long long)total,
            (double)total_ns / 1e6);
    fprintf(out, "reason  %-36s %12s %7s %12s %10s\n",
            "name", "count", "share", "total us", "mean ns");
    for (unsigned i = 0; i < EXIT_STATS_SLOTS; i++) {
        if (!s->count[i])
            continue;
        if (i == EXIT_STATS_OTHER)
            fprintf(out, "%6s  ", "-");
        else
            fprintf(out, "%6u  ", i);
        fprintf(out, "%-36s %12llu %6.1f%% %12.1f %10llu\n", slot_name(i),
                (unsigned long long)s->count[i], percent(s->count[i], total),
                (double)s->ns[i] / 1e3,
                (unsigned long long)(s->ns[i] / s->count[i]));
    }
}

/* Write str as a JSON string: quotes, backslashes and control characters
   escaped (RFC 8259, section 7); other bytes, UTF-8 included, as they are. */
static void json_string(FILE *out, const char *str)
{
    if (!str) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        switch (*p) {
        case '"':  fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

void exit_stats_json(const struct exit_stats *s, FILE *out)
{
    uint64_t total_ns, total = exit_stats_total(s, &total_ns);
    const char *sep = "";

    fputs("{\"engine\": ", out);
    json_string(out, s->engine);
    fprintf(out, ", \"exits\": %llu, \"ns\": %llu, \"by_reason\": [",
            (unsigned long long)total, (unsigned long long)total_ns);
    for (unsigned i = 0; i < EXIT_STATS_SLOTS; i++) {
        if (!s->count[i])
            continue;
        if (i == EXIT_STATS_OTHER)
            fprintf(out, "%s{\"reason\": null, \"name\": ", sep);
        else
            fprintf(out, "%s{\"reason\": %u, \"name\": ", sep, i);
        json_string(out, slot_name(i));
        fprintf(out, ", \"count\": %llu, \"share_pct\": %.2f, \"ns\": %llu, "
                "\"mean_ns\": %llu}", (unsigned long long)s->count[i],
                percent(s->count[i], total), (unsigned long long)s->ns[i],
                (unsigned long long)(s->ns[i] / s->count[i]));
        sep = ", ";
    }
    fputs("]}\n", out);
}
