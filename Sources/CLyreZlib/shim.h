#ifndef LYRE_CLYREZLIB_SHIM_H
#define LYRE_CLYREZLIB_SHIM_H
#include <zlib.h>
#endif
