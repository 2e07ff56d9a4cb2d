/* SPDX-License-Identifier: MIT */
#pragma once

/* A unit's log: its stdout and stderr arrive on two pipes watched from the event loop and are
 * written to STATE/logs/NAME.log, one timestamped line at a time, rotated at LogMaxSize= (one old
 * file, NAME.log.1, kept). The last lines also stay in memory for `supctl status`. A stream lives
 * as long as the unit is known, across restarts; each start gets fresh pipes.
 *
 * A stream holds the file open only while it has pipes to read (from the start of a run until its
 * pipes reach EOF and their lines are written) and for the one write of a note, so that supd's fds
 * grow with running units, not loaded ones. A NAME.log removed or renamed away while it is open is
 * replaced by a new one at the next batch. Lines that cannot be written are counted
 * (log_stream_bytes_dropped()) and logged once per episode, when it begins and when it ends. */

#include <stdarg.h>
#include <stdint.h>

struct ev_loop;
struct log_stream;

#define LOG_STREAM_TAIL_MAX 32
#define LOG_STREAM_LINE_MAX 4096 /* longer lines are split */

/**
 * log_stream_new() - a stream for @path, which is created (append) if missing and closed again;
 * the directory must exist. supd's own messages name the unit after @path ("NAME" of NAME.log).
 * @max_size: rotate when the file would grow past this (SIZE_INFINITY: never)
 *
 * Fails when @path cannot be a log file (no directory, not a regular file, no permission); not for
 * a lack of fds or space, which a start or a note meets again (and then fails or counts drops).
 */
int log_stream_new(struct ev_loop *loop, const char *path, uint64_t max_size, struct log_stream **ret);
struct log_stream *log_stream_free(struct log_stream *s);
void log_stream_set_max_size(struct log_stream *s, uint64_t max_size);

/**
 * log_stream_open_pipes() - new pipes for a start; the read ends are watched (non-blocking,
 * CLOEXEC) until EOF, the write ends go to the child (CLOEXEC too: the launcher dup2()s them to 1
 * and 2). The caller closes both write ends after the spawn. Pipes of an earlier run that have not
 * reached EOF yet (a leftover process still writing) keep being read.
 *
 * The log file is opened here and held until every pipe reached EOF. Returns -EMFILE, -ENFILE or
 * -ENOMEM when supd is out of fds or memory for the file or the pipes (nothing is left open then);
 * a file that cannot be opened for another reason does not fail the start, its lines are dropped
 * and counted.
 */
int log_stream_open_pipes(struct log_stream *s, int *ret_stdout_fd, int *ret_stderr_fd);

/**
 * log_stream_adopt_pipes() - takes read ends of pipes that a predecessor supd left (inherited
 * across execve, or taken back from the container's init with pidfd_getfd()) as the current
 * run's, exactly as if log_stream_open_pipes() had made them: made non-blocking and CLOEXEC,
 * watched until EOF, the log file opened (append). Either may be -EBADF (that stream is not
 * captured); they must not be the same fd.
 *
 * Returns 0 and owns both fds, or -errno and leaves them to the caller (-EBADFD: not the read end of a pipe;
 * -EMFILE, -ENFILE, -ENOMEM as for log_stream_open_pipes()); their O_NONBLOCK and FD_CLOEXEC may
 * have been set all the same.
 */
int log_stream_adopt_pipes(struct log_stream *s, int out_fd, int err_fd);

/**
 * log_stream_read_fds() - the read ends of the current run's pipes, those of the latest
 * log_stream_open_pipes() or log_stream_adopt_pipes(), or -EBADF for one that reached EOF (or was
 * never there). They stay the stream's: the launcher hands copies of them to the container's init,
 * so that a successor supd can take them back. Either pointer may be NULL.
 */
void log_stream_read_fds(struct log_stream *s, int *ret_out, int *ret_err);

/* A line from supd itself about the unit ("Started.", "Exited with status 3."), tagged "supd".
 * Between runs, the file is opened for it (append) and closed again. */
void log_stream_note(struct log_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * log_stream_tail() - the last @n lines (at most LOG_STREAM_TAIL_MAX), oldest first, as they are
 * in the file. Returns the count; *ret is a NULL-terminated vector the caller frees (strv_free).
 * From memory: works the same whether the unit runs or not, and keeps lines the file dropped.
 */
int log_stream_tail(struct log_stream *s, unsigned n, char ***ret);

/* Bytes of log lines (as they would have been in the file) dropped because the file could not be
 * opened or written (disk full, an I/O error, out of fds), since the stream was made. */
uint64_t log_stream_bytes_dropped(const struct log_stream *s);

/* Reads what the pipes hold right now (without waiting), e.g. before a note about the exit. */
void log_stream_drain(struct log_stream *s);

/* Flushes partial lines and stops watching; called at shutdown. */
void log_stream_flush(struct log_stream *s);
