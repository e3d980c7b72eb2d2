#ifndef LYRE_CNATS_SHIM_H
#define LYRE_CNATS_SHIM_H
#include <nats/nats.h>
#endif
