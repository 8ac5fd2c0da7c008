// SPDX-License-Identifier: GPL-2.0-only
/*
 * tt-mmio: MMIO instructions with more than one access.
 *
 * A PVH guest's physical address space has holes: no RAM, no device. An
 * access there is a nested page fault that Xen emulates with its null
 * handler (a read returns all ones, a write goes nowhere): an MMIO
 * landmark of a TT guest. One REP MOVSB between such a hole and RAM is one
 * instruction, one exit, and as many accesses as bytes: its record must
 * carry the count and every byte, which replay compares.
 *
 * Maps one page of the hole at ADDR (default 0xe0000000, far above the
 * lab guest's 96 MB) through /dev/mem, then: one single read (one access),
 * a REP MOVSB of 8 bytes from the hole into RAM (8 reads), a REP MOVSB of
 * 8 bytes a0..a7 from RAM into the hole (8 writes). Prints what it read.
 *
 *   tt-mmio [ADDR]
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define STRING_BYTES 8

static void movsb(void *dst, const volatile void *src, unsigned long n)
{
	asm volatile("rep movsb" : "+D" (dst), "+S" (src), "+c" (n) : : "memory");
}

int main(int argc, char **argv)
{
	unsigned long addr = argc > 1 ? strtoul(argv[1], NULL, 0) : 0xe0000000UL;
	unsigned char in[STRING_BYTES], out[STRING_BYTES];
	volatile unsigned char *hole;
	unsigned char one;
	unsigned int i;
	int fd;

	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0) {
		perror("tt-mmio: /dev/mem");
		return 1;
	}
	hole = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, addr);
	if (hole == MAP_FAILED) {
		perror("tt-mmio: mmap of /dev/mem");
		return 1;
	}

	one = hole[0];
	memset(in, 0x11, sizeof(in));
	movsb(in, hole + 16, sizeof(in));
	for (i = 0; i < sizeof(out); i++)
		out[i] = 0xa0 + i;
	movsb((void *)(hole + 32), out, sizeof(out));

	printf("TT-GUEST: mmio 0x%lx read 0x%02x, REP MOVSB of %d bytes read", addr, one,
	       STRING_BYTES);
	for (i = 0; i < sizeof(in); i++)
		printf(" %02x", in[i]);
	printf(", REP MOVSB wrote %d bytes\n", STRING_BYTES);
	munmap((void *)hole, 4096);
	close(fd);
	return 0;
}
