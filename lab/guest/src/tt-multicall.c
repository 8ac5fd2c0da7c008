// SPDX-License-Identifier: GPL-2.0-only
/*
 * tt-multicall: one multicall with outside calls inside.
 *
 * Linux makes no multicall on PVH, so the guest makes one itself, through
 * the privcmd driver (/dev/xen/privcmd, IOCTL_PRIVCMD_HYPERCALL: the
 * kernel issues the hypercall for its caller). The batch holds calls whose
 * results are the host's (xen_version: the version number, and the
 * extraversion string Xen writes into the caller's buffer) between calls
 * that are the guest's own (an unknown hypercall number: -ENOSYS). Its
 * record must be one landmark flagged outside, followed by every byte Xen
 * wrote into the guest for it (the entries' results, the string); replay
 * takes them from the log. Prints what the batch returned.
 *
 * A domU's privcmd serves only the domain xenstore names as its target
 * (a TT guest has no xenstore: no domain), so the guest must boot with
 * xen_privcmd.unrestricted=1; otherwise it says the batch was refused.
 *
 *   tt-multicall
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tt-privcmd.h"


/* Xen's public xen.h and version.h (64-bit guest). */
struct multicall_entry {
	uint64_t op;
	int64_t result;
	uint64_t args[6];
};
#define HYPERVISOR_multicall    13
#define HYPERVISOR_xen_version  17
#define XENVER_version          0
#define XENVER_extraversion     1
#define NO_SUCH_HYPERCALL       63

int main(void)
{
	static struct multicall_entry calls[4];
	static char extra[16];
	struct privcmd_hypercall h = { .op = HYPERVISOR_multicall };
	long rc;
	int fd;

	fd = open("/dev/xen/privcmd", O_RDWR);
	if (fd < 0) {
		perror("tt-multicall: /dev/xen/privcmd");
		return 1;
	}
	memset(extra, 0x55, sizeof(extra));
	calls[0].op = NO_SUCH_HYPERCALL;
	calls[1].op = HYPERVISOR_xen_version;
	calls[1].args[0] = XENVER_version;
	calls[2].op = HYPERVISOR_xen_version;
	calls[2].args[0] = XENVER_extraversion;
	calls[2].args[1] = (uintptr_t)extra;
	calls[3].op = NO_SUCH_HYPERCALL;
	h.arg[0] = (uintptr_t)calls;
	h.arg[1] = 4;

	rc = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h);
	close(fd);
	if (rc < 0 && errno == EPERM) {
		/* A domU's privcmd serves only its device-model target. */
		printf("TT-GUEST: multicall refused by privcmd (restricted; "
		       "boot with xen_privcmd.unrestricted=1)\n");
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "tt-multicall: multicall: %s\n", strerror(errno));
		return 1;
	}
	extra[sizeof(extra) - 1] = 0;
	printf("TT-GUEST: multicall of 4 returned %ld: %lld, version %lld.%lld, "
	       "extraversion %lld '%s', %lld\n", rc, (long long)calls[0].result,
	       (long long)calls[1].result >> 16, (long long)calls[1].result & 0xffff,
	       (long long)calls[2].result, extra, (long long)calls[3].result);
	return 0;
}
