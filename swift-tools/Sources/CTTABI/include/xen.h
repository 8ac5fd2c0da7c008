/*
 * tt.h includes "xen.h" the way Xen's public headers do.  Inside Xen and in
 * an installed tree that is <xen/xen.h>'s sibling; here it forwards to the
 * public headers from Debian's libxen-dev.
 */
#include <xen/xen.h>
