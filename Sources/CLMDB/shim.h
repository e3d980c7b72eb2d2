#ifndef LYRE_CLMDB_SHIM_H
#define LYRE_CLMDB_SHIM_H
#include <lmdb.h>
#endif
