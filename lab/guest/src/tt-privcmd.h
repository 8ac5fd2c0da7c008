/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tt-privcmd.h: a hypercall from user space through the privcmd driver
 * (/dev/xen/privcmd), for the lab's guest programs. Linux's uapi
 * xen/privcmd.h, which the guest's build host need not have.
 */
#ifndef TT_PRIVCMD_H
#define TT_PRIVCMD_H

#include <stdint.h>
#include <sys/ioctl.h>

struct privcmd_hypercall {
	uint64_t op;
	uint64_t arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL \
	_IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

#endif
