/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "hash.h"
#include "macro.h"
#include "userns.h"

#define RANGE_SIZE UINT32_C(65536)
#define RANGE_BASE UINT32_C(0x100000)
#define N_SLOTS 16384 /* RANGE_BASE + N_SLOTS * RANGE_SIZE < 2^32 */
/* One line per unit ever given a range: far below this. */
#define STATE_FILE_MAX (1024 * 1024)

int userns_auto_range(const char *state_dir, const char *name, struct id_map *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL, *orig = NULL, *out = NULL;
        _cleanup_free_ unsigned char *taken = calloc(N_SLOTS / 8, 1);
        uint32_t slot;
        int r;

        if (!taken || asprintf(&path, "%s/userns", state_dir) < 0)
                return -ENOMEM;
        r = read_full_file(path, STATE_FILE_MAX, 0, &text, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        orig = strdup(text ? text : "");
        if (!orig)
                return -ENOMEM;

        for (char *line = text, *next; line && *line; line = next) {
                char n[UNIT_NAME_MAX + 1];
                unsigned long first;
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (sscanf(line, "%64s %lu", n, &first) != 2 || first < RANGE_BASE || (first - RANGE_BASE) % RANGE_SIZE)
                        continue;
                if (streq(n, name)) {
                        *ret = (struct id_map) { .inside = 0, .outside = (uint32_t) first, .count = RANGE_SIZE };
                        return 0;
                }
                slot = (first - RANGE_BASE) / RANGE_SIZE;
                if (slot < N_SLOTS)
                        taken[slot / 8] |= 1u << (slot % 8);
        }

        /* Only where the search for a free slot starts: the file above is what keeps a unit's range. */
        slot = (uint32_t) (fnv1a_64_str(name) % N_SLOTS);
        for (unsigned i = 0; i < N_SLOTS && (taken[slot / 8] & (1u << (slot % 8))); i++)
                slot = (slot + 1) % N_SLOTS;
        if (taken[slot / 8] & (1u << (slot % 8)))
                return -ENOSPC;

        uint32_t first = RANGE_BASE + slot * RANGE_SIZE;
        if (asprintf(&out, "%s%s %" PRIu32 "\n", orig, name, first) < 0)
                return -ENOMEM;
        r = write_file_atomic(path, out, 0644, true);
        if (r < 0)
                return r;
        *ret = (struct id_map) { .inside = 0, .outside = first, .count = RANGE_SIZE };
        return 0;
}
