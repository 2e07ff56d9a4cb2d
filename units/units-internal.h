/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared between the files of units/ only; not part of the public header. */

#include "units.h"

int diag_add(struct unit_diag **diags, size_t *n, const char *file, unsigned line, const char *key,
             const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int read_file_text(const char *path, char **ret);
uint64_t unit_default_capabilities(void);
const char *unit_key_to_string(enum unit_key k);
const char *unit_key_section(enum unit_key k);
bool unit_key_is_list(enum unit_key k);
const char *bridge_key_to_string(enum bridge_key k);

bool cidr_contains(const struct cidr *net, const void *addr, int family);
bool cidr_is_network_or_broadcast(const struct cidr *c);
int ip_addr_to_string(int family, const void *addr, char *buf, size_t len);

/* Parses a drop-in alone: keys and values only, no required keys or cross-key checks. */
int unit_config_parse_fragment(const char *display, const char *text, struct unit_diag **diags, size_t *n_diags,
                               struct unit_config **ret);
