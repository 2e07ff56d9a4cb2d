/* SPDX-License-Identifier: MIT */
#pragma once

/* A unit's log: its stdout and stderr arrive on two pipes watched from the event loop and are
 * written to STATE/logs/NAME.log, one timestamped line at a time, rotated at LogMaxSize= (one old
 * file, NAME.log.1, kept). The last lines also stay in memory for `supctl status`. A stream lives
 * as long as the unit is known, across restarts; each start gets fresh pipes. */

#include <stdarg.h>
#include <stdint.h>

struct ev_loop;
struct log_stream;

#define LOG_STREAM_TAIL_MAX 32
#define LOG_STREAM_LINE_MAX 4096 /* longer lines are split */

/**
 * log_stream_new() - open (append) or create @path; the directory must exist.
 * @max_size: rotate when the file would grow past this (SIZE_INFINITY: never)
 */
int log_stream_new(struct ev_loop *loop, const char *path, uint64_t max_size, struct log_stream **ret);
struct log_stream *log_stream_free(struct log_stream *s);
void log_stream_set_max_size(struct log_stream *s, uint64_t max_size);

/**
 * log_stream_open_pipes() - new pipes for a start; the read ends are watched (non-blocking,
 * CLOEXEC) until EOF, the write ends go to the child (CLOEXEC too: the launcher dup2()s them to 1
 * and 2). The caller closes both write ends after the spawn. Pipes of an earlier run that have not
 * reached EOF yet (a leftover process still writing) keep being read.
 */
int log_stream_open_pipes(struct log_stream *s, int *ret_stdout_fd, int *ret_stderr_fd);

/* A line from supd itself about the unit ("Started.", "Exited with status 3."), tagged "supd". */
void log_stream_note(struct log_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * log_stream_tail() - the last @n lines (at most LOG_STREAM_TAIL_MAX), oldest first, as they are
 * in the file. Returns the count; *ret is a NULL-terminated vector the caller frees (strv_free).
 */
int log_stream_tail(struct log_stream *s, unsigned n, char ***ret);

/* Reads what the pipes hold right now (without waiting), e.g. before a note about the exit. */
void log_stream_drain(struct log_stream *s);

/* Flushes partial lines and stops watching; called at shutdown. */
void log_stream_flush(struct log_stream *s);
