// SPDX-License-Identifier: GPL-2.0-only
/*
 * tt-debug-ports: read and write the PC debug ports 0x80 and 0xed.
 *
 * Xen lets every HVM guest reach these two ports on the host's hardware
 * without a VM exit (they serve as I/O delays), so what a read returns
 * is the host's. A time-travel guest must not see that: TT Xen makes
 * every port of a TT domain exit, so each access below is an IO landmark
 * of the log, answered by Xen (no device claims these ports: a read
 * returns all ones) and the same in replay. Prints what it read.
 *
 * The single accesses go through /dev/port (the kernel does the IN and
 * OUT). Then, with ioperm(), a string read (REP INSB) and a string write
 * (REP OUTSB) of 8 bytes on port 0x80 from user space: their records
 * carry the count and the bytes moved, which replay compares.
 *
 *   tt-debug-ports
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <unistd.h>

#define STRING_BYTES 8

/* REP INSB and REP OUTSB of STRING_BYTES on port 0x80. */
static int string_io(void)
{
	unsigned char in[STRING_BYTES], out[STRING_BYTES];
	unsigned char *p;
	unsigned long n;
	unsigned int i;

	if (ioperm(0x80, 1, 1)) {
		perror("tt-debug-ports: ioperm(0x80)");
		return -1;
	}
	memset(in, 0x11, sizeof(in));
	for (i = 0; i < sizeof(out); i++)
		out[i] = 0xa0 + i;
	p = in;
	n = sizeof(in);
	asm volatile("rep insb" : "+D" (p), "+c" (n) : "d" (0x80) : "memory");
	p = out;
	n = sizeof(out);
	asm volatile("rep outsb" : "+S" (p), "+c" (n) : "d" (0x80) : "memory");
	printf("TT-GUEST: debug port 0x80 REP INSB of %d bytes read", STRING_BYTES);
	for (i = 0; i < sizeof(in); i++)
		printf(" %02x", in[i]);
	printf(", REP OUTSB wrote %d bytes\n", STRING_BYTES);
	return 0;
}

static int port_read(int fd, unsigned short port, unsigned char *v)
{
	return pread(fd, v, 1, port) == 1 ? 0 : -1;
}

int main(void)
{
	static const unsigned short ports[] = { 0x80, 0xed };
	static const unsigned char written = 0x5a;
	unsigned int i;
	int fd;

	fd = open("/dev/port", O_RDWR);
	if (fd < 0) {
		perror("tt-debug-ports: /dev/port");
		return 1;
	}
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		unsigned short port = ports[i];
		unsigned char before, after;

		if (port_read(fd, port, &before) ||
		    pwrite(fd, &written, 1, port) != 1 ||
		    port_read(fd, port, &after)) {
			perror("tt-debug-ports: /dev/port");
			return 1;
		}
		printf("TT-GUEST: debug port 0x%02x read 0x%02x, after writing 0x%02x read 0x%02x\n",
		       port, before, written, after);
	}
	close(fd);
	return string_io() ? 1 : 0;
}
