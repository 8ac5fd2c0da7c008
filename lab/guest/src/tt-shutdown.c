// SPDX-License-Identifier: GPL-2.0-only
/*
 * tt-shutdown: the guest shuts itself down with a reason Linux never
 * passes on its own: suspend or soft_reset.
 *
 * SCHEDOP_shutdown through the privcmd driver (/dev/xen/privcmd, which a
 * domU opens to every hypercall only with xen_privcmd.unrestricted=1). A
 * recording must end there with END naming the reason, and the domain
 * must never run on unrecorded, whatever the toolstack does next (resume
 * it after a suspend, reset it after a soft reset). If the call returns
 * (the domain was resumed), says so with the hypercall's result.
 *
 *   tt-shutdown suspend|soft_reset
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tt-privcmd.h"


/* Xen's public xen.h and sched.h. */
#define HYPERVISOR_sched_op     29
#define SCHEDOP_shutdown        2
#define SHUTDOWN_suspend        2
#define SHUTDOWN_soft_reset     5

int main(int argc, char **argv)
{
	static struct { uint32_t reason; } shutdown;
	struct privcmd_hypercall h = { .op = HYPERVISOR_sched_op };
	long rc;
	int fd;

	if (argc != 2 || (strcmp(argv[1], "suspend") && strcmp(argv[1], "soft_reset"))) {
		fprintf(stderr, "usage: tt-shutdown suspend|soft_reset\n");
		return 2;
	}
	shutdown.reason = strcmp(argv[1], "suspend") ? SHUTDOWN_soft_reset
						     : SHUTDOWN_suspend;
	fd = open("/dev/xen/privcmd", O_RDWR);
	if (fd < 0) {
		perror("tt-shutdown: /dev/xen/privcmd");
		return 1;
	}
	h.arg[0] = SCHEDOP_shutdown;
	h.arg[1] = (uintptr_t)&shutdown;
	printf("TT-GUEST: shutting down: %s\n", argv[1]);
	fflush(stdout);
	rc = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h);
	close(fd);
	if (rc < 0) {
		printf("TT-GUEST: shutdown (%s) refused: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("TT-GUEST: resumed after shutdown (%s): %ld\n", argv[1], rc);
	return 0;
}
