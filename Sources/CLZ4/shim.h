#ifndef LYRE_CLZ4_SHIM_H
#define LYRE_CLZ4_SHIM_H
#include <lz4.h>
#endif
