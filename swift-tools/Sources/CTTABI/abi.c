/* Nothing to compile: CTTABI only exposes tt.h.  SwiftPM needs a source. */
#include "CTTABI.h"
