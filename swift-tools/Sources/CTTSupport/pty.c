/* A pty for ttd-deviced's console (the calls need _GNU_SOURCE, which the
 * Swift Glibc module does not give). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "CTTSupport.h"

int tt_pty_open(char *name, size_t len)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

    if ( fd < 0 )
        return -1;
    if ( grantpt(fd) || unlockpt(fd) || ptsname_r(fd, name, len) )
    {
        close(fd);
        return -1;
    }
    return fd;
}

int tt_pipe_cloexec_nonblock(int fds[2])
{
    return pipe2(fds, O_CLOEXEC | O_NONBLOCK);
}
