/* SPDX-License-Identifier: MIT */
/*
 * tt-irq-check: a lab test tool that checks where a recording placed its
 * interrupts and time writes (docs/design-record.md, "Interrupts, time
 * and CPUID").
 *
 *   tt-irq-check FILE
 *
 * FILE holds the records that `tt-ctl drain` copied out of a log ring
 * (TT_REC_PAD dropped).  Checked:
 *   - a TT_REC_INTERRUPT without TT_RECF_SIGNATURE has the position of the
 *     landmark record it follows (landmark, RIP, RCX), or position 0 before
 *     the first landmark, and a 16-byte payload with a known kind;
 *   - one with TT_RECF_SIGNATURE carries struct xen_tt_regs, its landmark
 *     is the last landmark's, and its RIP/RCX are the registers' RIP/RCX;
 *   - a TT_REC_MEMORY record has the position of the landmark it follows,
 *     a known kind and the length its payload says;
 *   - no TT_REC_CPUID record shows RDRAND (leaf 1 ECX bit 30), RDSEED,
 *     HLE or RTM (leaf 7.0 EBX bits 18, 4, 11): attach hides them;
 *   - at least one interrupt was recorded.
 * Prints the counts by kind; exits 0 only if every check passed.
 *
 * Built by ci/mkinitramfs.sh like every C file in ci/tools/, put into the lab's
 * dom0 as /usr/sbin/tt-irq-check.
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt.h"

static unsigned int bad;

static void fail(uint64_t n, const char *what, const struct xen_tt_rec *h)
{
    if (bad++ < 20)
        printf("bad: record %" PRIu64 " (type %#x flags %#x): %s; pos landmark %" PRIu64
               " rip %#" PRIx64 " rcx %#" PRIx64 "\n",
               n, h->type, h->flags, what, h->pos.landmark, h->pos.rip, h->pos.rcx);
}

static bool same_pos(const struct xen_tt_pos *a, const struct xen_tt_pos *b)
{
    return a->landmark == b->landmark && a->rip == b->rip && a->rcx == b->rcx;
}

int main(int argc, char **argv)
{
    static uint8_t payload[TT_REC_MAX_PAYLOAD + 8];
    static const char *const irq_kind[] = { "upcall", "lapic", "nmi" };
    static const char *const mem_kind[] = { "pvclock", "wallclock", "runstate", "other",
                                            "hypercall", "lost" };
    uint64_t irqs[3][2] = { { 0 } }, mem[6] = { 0 }, n = 0;
    uint64_t landmarks = 0, vectors[256] = { 0 }, cpuid_feat = 0;
    struct xen_tt_pos last = { 0 };  /* position of the last landmark record */
    struct xen_tt_rec h;
    unsigned int i;
    FILE *f;

    if (argc != 2) {
        fprintf(stderr, "usage: tt-irq-check FILE (records drained by tt-ctl drain)\n");
        return 2;
    }
    f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }

    for (; fread(&h, sizeof(h), 1, f) == 1; n++) {
        uint32_t plen = TT_REC_SIZE(h.payload_len) - TT_REC_HDR_SIZE;

        if (h.payload_len > TT_REC_MAX_PAYLOAD || fread(payload, 1, plen, f) != plen) {
            fail(n, "truncated or oversized", &h);
            break;
        }

        if (TT_REC_CLASS(h.type) == TT_REC_CLASS_LANDMARK) {
            last = h.pos;
            landmarks++;
            if (h.type == TT_REC_CPUID && h.payload_len == sizeof(struct xen_tt_rec_cpuid)) {
                struct xen_tt_rec_cpuid c;

                memcpy(&c, payload, sizeof(c));
                if (c.leaf == 1) {
                    cpuid_feat++;
                    if (c.ecx & (1u << 30))
                        fail(n, "CPUID leaf 1 shows RDRAND", &h);
                } else if (c.leaf == 7 && c.subleaf == 0) {
                    cpuid_feat++;
                    if (c.ebx & ((1u << 18) | (1u << 4) | (1u << 11)))
                        fail(n, "CPUID leaf 7 shows RDSEED, HLE or RTM", &h);
                }
            }
            continue;
        }

        if (h.type == TT_REC_INTERRUPT) {
            struct xen_tt_rec_interrupt irq;
            bool sig = h.flags & TT_RECF_SIGNATURE;

            if (h.payload_len != sizeof(irq) + (sig ? sizeof(struct xen_tt_regs) : 0)) {
                fail(n, "interrupt payload length", &h);
                continue;
            }
            memcpy(&irq, payload, sizeof(irq));
            if (irq.kind > TT_IRQ_NMI || irq.pad0 || irq.pad1)
                fail(n, "interrupt kind or padding", &h);
            else
                irqs[irq.kind][sig]++;
            vectors[irq.vector]++;
            if (!sig) {
                if (!same_pos(&h.pos, &last))
                    fail(n, "interrupt not at the position of its landmark", &h);
            } else {
                struct xen_tt_regs regs;

                memcpy(&regs, payload + sizeof(irq), sizeof(regs));
                if (h.pos.landmark != last.landmark)
                    fail(n, "signature interrupt not after the last landmark", &h);
                if (regs.rip != h.pos.rip || regs.rcx != h.pos.rcx)
                    fail(n, "signature RIP/RCX differ from the position's", &h);
            }
        } else if (h.type == TT_REC_MEMORY) {
            struct xen_tt_rec_memory m;

            if (h.payload_len < sizeof(m)) {
                fail(n, "memory payload too short", &h);
                continue;
            }
            memcpy(&m, payload, sizeof(m));
            if (m.kind > TT_MEM_LOST || h.payload_len != sizeof(m) + m.len)
                fail(n, "memory kind or length", &h);
            else
                mem[m.kind]++;
            if (!same_pos(&h.pos, &last))
                fail(n, "memory write not at the position of its landmark", &h);
        }
    }
    fclose(f);

    printf("records %" PRIu64 ", landmark records %" PRIu64 "\n", n, landmarks);
    for (i = 0; i < 3; i++)
        printf("interrupts %s: at landmarks %" PRIu64 ", by signature %" PRIu64 "\n",
               irq_kind[i], irqs[i][0], irqs[i][1]);
    for (i = 0; i < 256; i++)
        if (vectors[i])
            printf("vector %#x: %" PRIu64 "\n", i, vectors[i]);
    for (i = 0; i < 6; i++)
        printf("memory %s: %" PRIu64 "\n", mem_kind[i], mem[i]);
    printf("CPUID leaf 1 / 7.0 records checked for RDRAND/RDSEED/HLE/RTM: %" PRIu64 "\n",
           cpuid_feat);
    if (!irqs[0][0] && !irqs[0][1] && !irqs[1][0] && !irqs[1][1]) {
        printf("bad: no interrupt records\n");
        bad++;
    }
    printf("%s\n", bad ? "tt-irq-check: FAILED" : "tt-irq-check: ok");
    return bad ? 1 : 0;
}
