/*
 * soft-tlb.c - filling and flushing the software TLB (chapter 2,
 * "A software MMU"). The hit path is tlb_lookup in soft-tlb.h.
 *
 * A 4 MiB guest page is cached as separate 4 KiB pieces, one per slot, as
 * they are touched; each piece is marked big, so that an INVLPG of any
 * address in the large page can find and drop all of them.
 */
#include "shadow-mmu/soft-tlb.h"

static void drop(struct tlb_entry *e)
{
    e->page = TLB_NO_PAGE;
    e->perms = 0;
    e->global = false;
    e->big = false;
    e->host = NULL;
}

void tlb_init(struct soft_tlb *t)
{
    for (unsigned i = 0; i < TLB_ENTRIES; i++)
        drop(&t->e[i]);
    t->has_big = false;
    t->hits = t->misses = t->flushes = t->page_flushes = 0;
}

/* The rights an entry may grant after walk w; see soft-tlb.h for the rules. */
static unsigned perms_of(const struct pw_result *w, uint32_t cr0)
{
    unsigned perms = TLB_SR;            /* present: the supervisor may read */

    if (w->user)
        perms |= TLB_UR;
    /* Without D set, a write must walk again so that the walk sets it. */
    if (w->dirty) {
        if (w->writable || !(cr0 & PW_CR0_WP))
            perms |= TLB_SW;
        if (w->writable && w->user)
            perms |= TLB_UW;
    }
    return perms;
}

uint8_t *tlb_fill(struct soft_tlb *t, const struct guest_mem *mem,
                  const struct pw_result *w, uint32_t cr0, uint32_t cr4)
{
    struct tlb_entry *e = &t->e[(w->lin >> 12) & (TLB_ENTRIES - 1)];
    uint8_t *host = gpa_ptr(mem, w->gpa & PW_FRAME, 4096);

    if (!host) {
        /* Not RAM: never cached. An older entry for the same page (the
           guest changed its PTE without INVLPG) must not outlive this walk. */
        if (e->page == w->lin >> 12)
            drop(e);
        return NULL;
    }
    e->page = w->lin >> 12;
    e->perms = (uint8_t)perms_of(w, cr0);
    e->global = w->global && (cr4 & PW_CR4_PGE);
    e->big = w->page_size > 4096;
    e->host = host;
    if (e->big)
        t->has_big = true;
    return host + (w->lin & 0xFFF);
}

void tlb_flush_all(struct soft_tlb *t)
{
    for (unsigned i = 0; i < TLB_ENTRIES; i++)
        drop(&t->e[i]);
    t->has_big = false;
    t->flushes++;
}

void tlb_flush_nonglobal(struct soft_tlb *t)
{
    bool big_left = false;

    for (unsigned i = 0; i < TLB_ENTRIES; i++) {
        if (!t->e[i].global)
            drop(&t->e[i]);
        else if (t->e[i].big)
            big_left = true;
    }
    t->has_big = big_left;
    t->flushes++;
}

void tlb_flush_page(struct soft_tlb *t, uint32_t lin)
{
    struct tlb_entry *e = &t->e[(lin >> 12) & (TLB_ENTRIES - 1)];

    if (e->page == lin >> 12)
        drop(e);
    /* The pieces of a 4 MiB page sit in other slots: find them by the
       top 10 bits of their page number. Rare, so a scan is fine. */
    if (t->has_big) {
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            if (t->e[i].big && t->e[i].page >> 10 == lin >> 22)
                drop(&t->e[i]);
    }
    t->page_flushes++;
}

void tlb_print(const struct soft_tlb *t, const struct guest_mem *mem, FILE *out)
{
    uint64_t lookups = t->hits + t->misses;

    fprintf(out, "soft TLB: %u slots, %llu hits, %llu misses (%.2f%% hits), "
            "%llu flushes, %llu page flushes\n", TLB_ENTRIES,
            (unsigned long long)t->hits, (unsigned long long)t->misses,
            lookups ? 100.0 * (double)t->hits / (double)lookups : 0.0,
            (unsigned long long)t->flushes, (unsigned long long)t->page_flushes);
    for (unsigned i = 0; i < TLB_ENTRIES; i++) {
        const struct tlb_entry *e = &t->e[i];
        if (e->page == TLB_NO_PAGE)
            continue;
        fprintf(out, "  [%3u] %08x -> %08llx%s%s%s%s%s%s\n", i, e->page << 12,
                (unsigned long long)(e->host - mem->host),
                e->perms & TLB_SR ? " sr" : "", e->perms & TLB_SW ? " sw" : "",
                e->perms & TLB_UR ? " ur" : "", e->perms & TLB_UW ? " uw" : "",
                e->global ? " global" : "", e->big ? " 4M" : "");
    }
}
