/* SPDX-License-Identifier: MIT */
#pragma once

/* The one hash of sup for names (link names, claim files, id ranges, socket names): FNV-1a, 64
 * bits. Tiny, and stable across versions, hosts and architectures, which matters because its
 * values end up in names that outlive a supd. Not for tables fed by untrusted input. */

#include <stddef.h>
#include <stdint.h>

/**
 * fnv1a_64() - FNV-1a, 64 bits, of a buffer
 * @p: the bytes
 * @n: how many
 *
 * Returns: the hash; 0xcbf29ce484222325 (the offset basis) for no bytes.
 */
uint64_t fnv1a_64(const void *p, size_t n);

/* fnv1a_64() of a string, without its NUL. */
uint64_t fnv1a_64_str(const char *s);
