/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* mkdir -p; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode);

/* Writes @text to @path through a temporary file and rename(), so readers never see half of it.
 * @durable: fsync() before the rename, for state that must survive a power cut (not for what lives
 * under the runtime directory, which a reboot clears anyway). */
int write_file_atomic(const char *path, const char *text, mode_t mode, bool durable);

/* Reads a small text file (at most 1 MiB) into a NUL-terminated string. */
int read_text_file(const char *path, char **ret);

/* rm -rf that stays on one file system and never follows symlinks. */
int rm_rf(const char *path);
