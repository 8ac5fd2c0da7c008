/* Debian's libxen-dev, as one module for Swift. */
#ifndef TT_CXEN_SHIM_H
#define TT_CXEN_SHIM_H
#include <xenctrl.h>
#include <xenguest.h>
#include <xencall.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <libxlutil.h>
#endif
