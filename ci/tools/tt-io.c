/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tt-io: a lab tool for the TT-io console, until ttd-deviced does this.
 *
 *   tt-io console FILE        print the console output recorded in FILE
 *   tt-io input FILE          print the console input recorded in FILE
 *   tt-io push DOMID TEXT     queue TEXT as console input of a TT domain
 *                             (TTOP_io_push; "\n" and "\r" are expanded)
 *
 * FILE holds records as Xen writes them into the log ring (struct
 * xen_tt_rec, payload, padding to 8 bytes), one after another, as
 * `tt-ctl drain` saves them.  Console output is in the TT_REC_HYPERCALL
 * records of TTOP_io_send calls: after struct xen_tt_rec_hypercall come
 * the struct xen_tt_io the guest passed and the bytes it sent.  Console
 * input is in TT_REC_TTIO_INPUT records.
 *
 * Exit codes: 0 fine, 1 a bad record in FILE or a failed hypercall (one
 * line on stderr says which), 2 usage.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xencall.h>

#include "tt.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: tt-io console FILE | tt-io input FILE | "
            "tt-io push DOMID TEXT\n");
    return 2;
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if ( !f )
    {
        fprintf(stderr, "tt-io: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    do {
        if ( n == cap )
        {
            unsigned char *p;

            cap = cap ? cap * 2 : 1 << 20;
            p = realloc(buf, cap);
            if ( !p )
            {
                fprintf(stderr, "tt-io: out of memory reading %s\n", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while ( got );
    if ( ferror(f) )
    {
        fprintf(stderr, "tt-io: cannot read %s\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = n;
    return buf;
}

/* Print the console bytes of every record of the wanted kind. */
static int print_console(const char *path, int input)
{
    size_t size, off = 0, n = 0;
    unsigned char *buf = read_file(path, &size);

    if ( !buf )
        return 1;

    while ( off < size )
    {
        struct xen_tt_rec rec;
        const unsigned char *p;
        size_t rsize;

        if ( size - off < TT_REC_HDR_SIZE )
        {
            fprintf(stderr, "tt-io: %s: %zu stray bytes at offset %zu\n",
                    path, size - off, off);
            free(buf);
            return 1;
        }
        memcpy(&rec, buf + off, sizeof(rec));
        if ( rec.payload_len > TT_REC_MAX_PAYLOAD ||
             TT_REC_SIZE((size_t)rec.payload_len) > size - off )
        {
            fprintf(stderr, "tt-io: %s: record at offset %zu is cut short "
                    "or too long (payload %" PRIu32 ")\n",
                    path, off, rec.payload_len);
            free(buf);
            return 1;
        }
        p = buf + off + TT_REC_HDR_SIZE;
        rsize = TT_REC_SIZE((size_t)rec.payload_len);

        if ( !input && rec.type == TT_REC_HYPERCALL &&
             rec.payload_len >= sizeof(struct xen_tt_rec_hypercall) +
                                sizeof(struct xen_tt_io) )
        {
            struct xen_tt_rec_hypercall hc;
            struct xen_tt_io io;
            size_t data = rec.payload_len - sizeof(hc) - sizeof(io);

            memcpy(&hc, p, sizeof(hc));
            memcpy(&io, p + sizeof(hc), sizeof(io));
            if ( hc.nr == __HYPERVISOR_tt_op && hc.args[0] == TTOP_io_send &&
                 hc.ret == 0 && io.device == TT_DEV_CONSOLE )
            {
                if ( io.len != data )
                {
                    fprintf(stderr, "tt-io: %s: io_send record at offset %zu "
                            "says %" PRIu32 " bytes but holds %zu\n",
                            path, off, io.len, data);
                    free(buf);
                    return 1;
                }
                fwrite(p + sizeof(hc) + sizeof(io), 1, data, stdout);
                n += data;
            }
        }
        else if ( input && rec.type == TT_REC_TTIO_INPUT &&
                  rec.payload_len >= sizeof(struct xen_tt_rec_ttio) )
        {
            struct xen_tt_rec_ttio in;

            memcpy(&in, p, sizeof(in));
            if ( in.len != rec.payload_len - sizeof(in) )
            {
                fprintf(stderr, "tt-io: %s: input record at offset %zu says "
                        "%" PRIu32 " bytes but holds %zu\n",
                        path, off, in.len,
                        (size_t)rec.payload_len - sizeof(in));
                free(buf);
                return 1;
            }
            if ( in.device == TT_DEV_CONSOLE )
            {
                fwrite(p + sizeof(in), 1, in.len, stdout);
                n += in.len;
            }
        }
        off += rsize;
    }
    fflush(stdout);
    free(buf);
    fprintf(stderr, "tt-io: %zu console %s bytes in %s\n",
            n, input ? "input" : "output", path);
    return 0;
}

/* TTOP_io_push of TEXT, with \n, \r and \\ expanded. */
static int push(const char *domid_s, const char *text)
{
    xencall_handle *xc;
    struct xen_tt_io_push *op;
    uint8_t *bytes;
    size_t i, n = 0, len = strlen(text);
    char *end;
    unsigned long domid = strtoul(domid_s, &end, 0);
    int rc, tries;

    if ( *domid_s == '\0' || *end != '\0' || domid >= DOMID_FIRST_RESERVED )
        return usage();

    xc = xencall_open(NULL, 0);
    if ( !xc )
    {
        fprintf(stderr, "tt-io: cannot open privcmd: %s\n", strerror(errno));
        return 1;
    }
    op = xencall_alloc_buffer(xc, sizeof(*op));
    bytes = xencall_alloc_buffer(xc, len ? len : 1);
    if ( !op || !bytes )
    {
        fprintf(stderr, "tt-io: cannot allocate hypercall buffers\n");
        xencall_close(xc);
        return 1;
    }
    for ( i = 0; i < len; i++ )
    {
        if ( text[i] == '\\' && i + 1 < len )
        {
            char c = text[++i];

            bytes[n++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c;
        }
        else
            bytes[n++] = text[i];
    }

    memset(op, 0, sizeof(*op));
    op->domid = domid;
    op->device = TT_DEV_CONSOLE;
    op->len = n;
    set_xen_guest_handle(op->buf, bytes);

    /* -EAGAIN: the guest has not read the queue yet; give it 10 s. */
    for ( tries = 0; ; tries++ )
    {
        rc = xencall2(xc, __HYPERVISOR_tt_op, TTOP_io_push,
                      (uint64_t)(uintptr_t)op);
        if ( rc >= 0 || errno != EAGAIN || tries >= 100 )
            break;
        nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
    }
    if ( rc < 0 )
        fprintf(stderr, "tt-io: TTOP_io_push to domain %lu: %s\n",
                domid, strerror(errno));
    else
        fprintf(stderr, "tt-io: pushed %zu bytes to domain %lu\n", n, domid);

    xencall_free_buffer(xc, bytes);
    xencall_free_buffer(xc, op);
    xencall_close(xc);
    return rc < 0;
}

int main(int argc, char **argv)
{
    if ( argc == 3 && !strcmp(argv[1], "console") )
        return print_console(argv[2], 0);
    if ( argc == 3 && !strcmp(argv[1], "input") )
        return print_console(argv[2], 1);
    if ( argc == 4 && !strcmp(argv[1], "push") )
        return push(argv[2], argv[3]);
    return usage();
}
