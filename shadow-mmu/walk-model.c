/*
 * walk-model.c - counting page-walk references and VM exits under shadow
 * and nested paging for the interp engine's instruction stream (chapter
 * 08-shadow-vs-ept.md). The rules are in walk-model.h; here is the
 * bookkeeping: bitmaps of installed pages, one record per 4 MiB region,
 * and a count per guest frame of the regions using it as a page table.
 */
#include "shadow-mmu/walk-model.h"

#include <stdlib.h>
#include <string.h>

#define VPAGES       (1u << 20)         /* 4 KiB pages in 4 GiB */
/* The PDE bits that decide what a region maps; A may change under us. */
#define PDE_MEANING  (PW_FRAME | PW_P | PW_RW | PW_US | PW_PS)

static bool bit(const uint64_t *b, uint32_t i) { return (b[i >> 6] >> (i & 63)) & 1; }
static void set_bit(uint64_t *b, uint32_t i) { b[i >> 6] |= 1ull << (i & 63); }
static void clear_bit(uint64_t *b, uint32_t i) { b[i >> 6] &= ~(1ull << (i & 63)); }

int wm_init(struct walk_model *m, enum wm_mode mode, const struct guest_mem *mem)
{
    memset(m, 0, sizeof(*m));
    m->mode = mode;
    m->mem = mem;
    m->nframes = (uint32_t)(mem->size >> 12);
    for (unsigned r = 0; r < 1024; r++)
        m->region_pt[r] = WM_NO_FRAME;
    m->installed = calloc(VPAGES / 64, sizeof(uint64_t));
    m->writable = calloc(VPAGES / 64, sizeof(uint64_t));
    m->pt_users = calloc(m->nframes + 1, sizeof(uint16_t));
    m->gpa_seen = calloc(m->nframes / 64 + 1, sizeof(uint64_t));
    if (!m->installed || !m->writable || !m->pt_users || !m->gpa_seen) {
        wm_destroy(m);
        return -1;
    }
    return 0;
}

void wm_destroy(struct walk_model *m)
{
    free(m->installed);
    free(m->writable);
    free(m->pt_users);
    free(m->gpa_seen);
    m->installed = m->writable = m->gpa_seen = NULL;
    m->pt_users = NULL;
}

int wm_parse_mode(const char *name)
{
    if (strcmp(name, "shadow") == 0)
        return WM_SHADOW;
    if (strcmp(name, "nested") == 0)
        return WM_NESTED;
    if (strcmp(name, "both") == 0)
        return WM_BOTH;
    return -1;
}

/* ---- nested paging ---- */

/* One guest-physical address the 2D walk must translate through EPT:
 * 4 references, or none when the EPT TLB has it; an EPT violation (exit)
 * the first time the guest touches the frame at all. */
static void ept_translate(struct walk_model *m, uint32_t gpa)
{
    uint32_t frame = gpa >> 12;
    uint32_t *slot = &m->ept_tlb[frame % WM_EPT_TLB];

    m->nested.refs += WM_EPT_LEVELS;
    if (*slot != frame + 1) {
        m->nested.refs_ept_tlb += WM_EPT_LEVELS;
        *slot = frame + 1;
    }
    if (frame < m->nframes && !bit(m->gpa_seen, frame)) {
        set_bit(m->gpa_seen, frame);
        m->nested.ept_violations++;
    }
}

/* The 2D walk: each guest entry read is one reference after an EPT walk of
 * its address, and the final guest-physical address needs one more EPT
 * walk: n guest levels cost n + (n+1)*4 = (n+1)(4+1) - 1 references. */
static void nested_walk(struct walk_model *m, const struct pw_result *w, bool ok)
{
    m->nested.refs += w->levels;
    m->nested.refs_ept_tlb += w->levels;
    if (w->levels >= 1)
        ept_translate(m, w->pde_addr);
    if (w->levels >= 2)
        ept_translate(m, w->pte_addr);
    if (ok)
        ept_translate(m, w->gpa);
}

/* ---- shadow paging ---- */

/* Region r no longer holds installed pages: its PT frame stops being traced. */
static void release_region(struct walk_model *m, unsigned r)
{
    uint32_t pt = m->region_pt[r];
    if (pt < m->nframes)
        m->pt_users[pt]--;
    m->region_pt[r] = WM_NO_FRAME;
    m->region_count[r] = 0;
}

/* Forget every page of region r (its PDE changed, or a CR3 load). */
static void drop_region(struct walk_model *m, unsigned r)
{
    if (m->region_count[r] == 0)
        return;
    // 1024 pages of a region are 16 words of each bitmap.
    memset(&m->installed[r * 16], 0, 16 * sizeof(uint64_t));
    memset(&m->writable[r * 16], 0, 16 * sizeof(uint64_t));
    release_region(m, r);
}

/* Forget one page (the guest changed the PTE it came through). */
static void drop_page(struct walk_model *m, uint32_t vpn)
{
    if (!bit(m->installed, vpn))
        return;
    clear_bit(m->installed, vpn);
    clear_bit(m->writable, vpn);
    if (--m->region_count[vpn >> 10] == 0)
        release_region(m, vpn >> 10);
}

/* Install the page of walk w; its region's PT frame becomes traced. */
static void install(struct walk_model *m, const struct pw_result *w, bool writable)
{
    uint32_t vpn = w->lin >> 12;
    unsigned r = vpn >> 10;

    if (m->region_count[r] && (m->region_pde[r] & PDE_MEANING) != (w->pde & PDE_MEANING))
        drop_region(m, r);              // cannot happen while the PD is traced; be safe
    if (m->region_count[r] == 0) {
        m->region_pde[r] = w->pde;
        m->region_pt[r] = w->levels == 2 ? w->pde >> 12 : WM_NO_FRAME;
        if (m->region_pt[r] < m->nframes && m->pt_users[m->region_pt[r]]++ == 0)
            m->traced_epoch++;
    }
    if (!bit(m->installed, vpn)) {
        set_bit(m->installed, vpn);
        m->region_count[r]++;
    }
    if (writable)
        set_bit(m->writable, vpn);
}

static void shadow_walk(struct walk_model *m, const struct pw_result *w, bool ok,
                        unsigned access, uint32_t cr0)
{
    // The hardware walks the shadow, which has the guest's shape.
    m->shadow.refs += w->levels;
    if (!ok) {
        // Every #PF reaches the VMM first: here a true one, reflected.
        m->shadow.guest_faults++;
        return;
    }
    uint32_t vpn = w->lin >> 12;
    bool write = access & PW_ACC_WRITE;
    bool traced = wm_traced(m, w->gpa);
    if (bit(m->installed, vpn) && (!write || traced || bit(m->writable, vpn)))
        return;                         // the shadow had it: an ordinary TLB miss
    // A hidden fault: exit, fill the entry from the guest's, walk again.
    m->shadow.hidden_faults++;
    m->shadow.refs += w->levels;
    // Writable only once the guest's D bit is set (so the first write
    // faults and D gets set) and never for a traced page table.
    bool can_write = w->writable || !(cr0 & PW_CR0_WP);
    install(m, w, w->dirty && can_write && !traced);
}

bool wm_traced(const struct walk_model *m, uint32_t gpa)
{
    uint32_t frame = gpa >> 12;
    if (!(m->mode & WM_SHADOW) || frame >= m->nframes)
        return false;
    if ((m->cr0 & PW_CR0_PG) && frame == m->cr3 >> 12)
        return true;
    return m->pt_users[frame] > 0;
}

void wm_pt_write(struct walk_model *m, uint32_t gpa)
{
    uint32_t frame = gpa >> 12, index = (gpa & 0xFFF) >> 2;

    if (!(m->mode & WM_SHADOW))
        return;
    m->shadow.pt_writes++;
    if ((m->cr0 & PW_CR0_PG) && frame == m->cr3 >> 12)
        drop_region(m, index);          // a PDE of the active directory
    if (m->pt_users[frame] == 0)
        return;
    // Usually one region uses a page table; a scan finds every one.
    for (unsigned r = 0; r < 1024; r++)
        if (m->region_count[r] && m->region_pt[r] == frame)
            drop_page(m, r << 10 | index);
}

void wm_new_paging(struct walk_model *m, uint32_t cr0, uint32_t cr3, uint32_t cr4)
{
    bool mode_changed = ((cr0 ^ m->cr0) & (PW_CR0_PG | PW_CR0_WP)) ||
                        ((cr4 ^ m->cr4) & (PW_CR4_PSE | PW_CR4_PGE));
    if (!(m->mode & WM_SHADOW))
        return;
    if (mode_changed) {
        for (unsigned r = 0; r < 1024; r++)
            drop_region(m, r);
    } else {
        // Only a CR3 load reaches here without a mode change.
        m->shadow.cr3_loads++;
        for (unsigned r = 0; r < 1024; r++) {
            uint32_t pde = 0;
            if (!m->region_count[r])
                continue;
            if ((cr0 & PW_CR0_PG) &&
                gpa_read(m->mem, (cr3 & PW_FRAME) + 4 * r, &pde, 4) == 0 &&
                (pde & PDE_MEANING) == (m->region_pde[r] & PDE_MEANING))
                m->shadow.kept_on_cr3 += m->region_count[r];
            else
                drop_region(m, r);
        }
    }
    if ((cr3 ^ m->cr3) >> 12)
        m->traced_epoch++;              // another directory frame is traced now
    m->cr0 = cr0;
    m->cr3 = cr3;
    m->cr4 = cr4;
}

void wm_invlpg(struct walk_model *m, uint32_t lin)
{
    // Traced shadows are already exact, but the instruction still exits.
    (void)lin;
    if (m->mode & WM_SHADOW)
        m->shadow.invlpgs++;
}

/* Whether the registers translate differently from those the shadow holds. */
static bool paging_differs(const struct walk_model *m, uint32_t cr0, uint32_t cr3, uint32_t cr4)
{
    return ((cr0 ^ m->cr0) & (PW_CR0_PG | PW_CR0_WP)) || cr3 != m->cr3 ||
           ((cr4 ^ m->cr4) & (PW_CR4_PSE | PW_CR4_PGE));
}

void wm_tlb_miss(struct walk_model *m, const struct pw_result *w, bool ok,
                 unsigned access, uint32_t cr0, uint32_t cr3, uint32_t cr4)
{
    if (m->mode == WM_OFF)
        return;
    if ((m->mode & WM_SHADOW) && paging_differs(m, cr0, cr3, cr4)) {
        // A change nobody reported (at the start, or after an engine
        // switch): start the shadow afresh, without counting an exit.
        for (unsigned r = 0; r < 1024; r++)
            drop_region(m, r);
        m->cr0 = cr0;
        m->cr3 = cr3;
        m->cr4 = cr4;
        m->traced_epoch++;
    }
    m->walks++;
    m->native_refs += w->levels;
    if (m->mode & WM_NESTED)
        nested_walk(m, w, ok);
    if (m->mode & WM_SHADOW)
        shadow_walk(m, w, ok, access, cr0);
}

uint64_t wm_shadow_exits(const struct walk_model *m)
{
    const struct wm_shadow_counts *s = &m->shadow;
    return s->hidden_faults + s->pt_writes + s->cr3_loads + s->invlpgs + s->guest_faults;
}

uint64_t wm_nested_exits(const struct walk_model *m)
{
    return m->nested.ept_violations;
}

static const char *mode_name(enum wm_mode mode)
{
    static const char *const names[] = { "off", "shadow", "nested", "both" };
    return names[mode & 3];
}

void wm_print(const struct walk_model *m, FILE *out)
{
    if (m->mode == WM_OFF)
        return;
    fprintf(out, "mmu model (%s): %llu TLB misses walked, %llu native references\n",
            mode_name(m->mode), (unsigned long long)m->walks,
            (unsigned long long)m->native_refs);
    if (m->mode & WM_SHADOW)
        fprintf(out, "  shadow: %llu walk references; %llu exits: %llu hidden faults, "
                     "%llu PT writes,\n    %llu CR3 loads, %llu INVLPG, %llu guest #PF "
                     "reflected; %llu pages kept across CR3 loads\n",
                (unsigned long long)m->shadow.refs, (unsigned long long)wm_shadow_exits(m),
                (unsigned long long)m->shadow.hidden_faults,
                (unsigned long long)m->shadow.pt_writes,
                (unsigned long long)m->shadow.cr3_loads, (unsigned long long)m->shadow.invlpgs,
                (unsigned long long)m->shadow.guest_faults,
                (unsigned long long)m->shadow.kept_on_cr3);
    if (m->mode & WM_NESTED)
        fprintf(out, "  nested: %llu walk references (%llu with a %u-entry EPT TLB); "
                     "%llu exits (EPT violations)\n",
                (unsigned long long)m->nested.refs, (unsigned long long)m->nested.refs_ept_tlb,
                WM_EPT_TLB, (unsigned long long)m->nested.ept_violations);
}

void wm_json(const struct walk_model *m, FILE *out)
{
    fprintf(out, "{\"mode\": \"%s\", \"walks\": %llu, \"native_refs\": %llu", mode_name(m->mode),
            (unsigned long long)m->walks, (unsigned long long)m->native_refs);
    if (m->mode & WM_SHADOW)
        fprintf(out, ",\n  \"shadow\": {\"refs\": %llu, \"exits\": %llu, \"hidden_faults\": %llu, "
                     "\"pt_writes\": %llu, \"cr3_loads\": %llu, \"invlpgs\": %llu, "
                     "\"guest_faults\": %llu, \"kept_on_cr3\": %llu}",
                (unsigned long long)m->shadow.refs, (unsigned long long)wm_shadow_exits(m),
                (unsigned long long)m->shadow.hidden_faults,
                (unsigned long long)m->shadow.pt_writes,
                (unsigned long long)m->shadow.cr3_loads, (unsigned long long)m->shadow.invlpgs,
                (unsigned long long)m->shadow.guest_faults,
                (unsigned long long)m->shadow.kept_on_cr3);
    if (m->mode & WM_NESTED)
        fprintf(out, ",\n  \"nested\": {\"refs\": %llu, \"refs_ept_tlb\": %llu, \"exits\": %llu, "
                     "\"ept_violations\": %llu}",
                (unsigned long long)m->nested.refs, (unsigned long long)m->nested.refs_ept_tlb,
                (unsigned long long)wm_nested_exits(m),
                (unsigned long long)m->nested.ept_violations);
    fprintf(out, "}");
}
