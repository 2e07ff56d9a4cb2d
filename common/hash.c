/* SPDX-License-Identifier: MIT */

#include <string.h>

#include "hash.h"

#define FNV1A_64_OFFSET_BASIS UINT64_C(0xcbf29ce484222325)
#define FNV1A_64_PRIME        UINT64_C(0x100000001b3)

uint64_t fnv1a_64(const void *p, size_t n) {
        const unsigned char *s = p;
        uint64_t h = FNV1A_64_OFFSET_BASIS;

        for (size_t i = 0; i < n; i++)
                h = (h ^ s[i]) * FNV1A_64_PRIME;
        return h;
}

uint64_t fnv1a_64_str(const char *s) {
        return fnv1a_64(s, strlen(s));
}
