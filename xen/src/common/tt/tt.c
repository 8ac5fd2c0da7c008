/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/tt.c
 *
 * Time-travel record and replay: subsystem set-up.
 *
 * Recording and replay are not implemented yet.  For now this file only
 * announces the subsystem at boot, with the interface version of its public
 * ABI (public/tt.h) once that header exists, so that a boot log shows at a
 * glance whether the running hypervisor is a TT one and which ABI it speaks.
 */

#include <xen/init.h>
#include <xen/lib.h>

/*
 * public/tt.h is written separately from this file; build without it until
 * it lands, and say so in the banner.
 */
#if __has_include(<public/tt.h>)
#include <public/tt.h>
#endif

static int __init cf_check tt_init(void)
{
#ifdef XEN_TT_INTERFACE_VERSION
    printk("tt: time-travel recording support, ABI version %#x\n",
           (unsigned int)XEN_TT_INTERFACE_VERSION);
#else
    printk("tt: time-travel recording support, no public ABI (public/tt.h) yet\n");
#endif

    return 0;
}
__initcall(tt_init);

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
