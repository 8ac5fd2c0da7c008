/* Debian's libzstd, as a module for Swift. */
#ifndef TT_CZSTD_SHIM_H
#define TT_CZSTD_SHIM_H
#include <zstd.h>
#endif
