/* SPDX-License-Identifier: MIT */

/* common/hash.h against the published FNV-1a 64 test vectors: its values are part of names that
 * outlive a supd (link names, claim files), so they must never change. */

#include <stdint.h>

#include "hash.h"
#include "tap.h"

int main(void) {
        ok(fnv1a_64("", 0) == UINT64_C(0xcbf29ce484222325), "empty: the offset basis");
        ok(fnv1a_64("a", 1) == UINT64_C(0xaf63dc4c8601ec8c), "\"a\"");
        ok(fnv1a_64("foobar", 6) == UINT64_C(0x85944171f73967e8), "\"foobar\"");
        ok(fnv1a_64_str("foobar") == fnv1a_64("foobar", 6), "the string form hashes without the NUL");
        ok(fnv1a_64("a\0b", 3) != fnv1a_64("a", 1), "bytes after a NUL count");
        return tap_done();
}
