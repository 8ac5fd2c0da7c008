/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/tt.c
 *
 * Time-travel record and replay: subsystem set-up.
 *
 * Recording and replay are not implemented yet.  For now this file only
 * announces the subsystem at boot with the interface version of its public
 * ABI (public/tt.h), so that a boot log shows at a glance whether the running
 * hypervisor is a TT one and which ABI it speaks.
 */

#include <xen/init.h>
#include <xen/lib.h>

#include <public/tt.h>

static int __init cf_check tt_init(void)
{
    printk("tt: time-travel recording support, ABI version %u\n",
           TT_INTERFACE_VERSION);

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
