/* archlib.h — libarchive, loaded on first use (dlopen) instead of at the
 * engine's start.
 *
 * libarchive and what it pulls in (libxml2, ICU and its 30 MB of data,
 * libstdc++, five compressors) were a third of the engine's start-up time,
 * paid by every intercepted command, while most runs read no archive at all
 * (a pip install with a warm cache, any pip pin from a listing). The modules
 * that read archives (decompress.c, verify.c, repodata_stream.c) call
 * archlib_load() at their entry points and then libarchive's functions
 * through the table `archlib`, with libarchive's own types and constants
 * (<archive.h>, <archive_entry.h>).
 *
 * archlib_load: 0 once the table is filled (loaded once per process; later
 * calls cost nothing), -1 with *err set when libarchive or one of its
 * functions cannot be found (the caller fails as on any other read error).
 * Thread-safe (pthread_once): checks run on worker threads. */
#ifndef TORCHSHIM_ARCHLIB_H
#define TORCHSHIM_ARCHLIB_H

#include <archive.h>
#include <archive_entry.h>

/* The sonames tried, in order (Debian 12: libarchive13). */
#define ARCHLIB_SONAMES { "libarchive.so.13", "libarchive.so" }

/* Every function used, once: the table's fields (typed from <archive.h>, so
 * a mismatch cannot compile) and the names looked up are made from it. */
#define ARCHLIB_FUNCTIONS(X)                                                  \
    X(read_new, archive_read_new)                                             \
    X(read_free, archive_read_free)                                           \
    X(support_filter_none, archive_read_support_filter_none)                  \
    X(support_filter_gzip, archive_read_support_filter_gzip)                  \
    X(support_filter_bzip2, archive_read_support_filter_bzip2)                \
    X(support_filter_zstd, archive_read_support_filter_zstd)                  \
    X(support_filter_xz, archive_read_support_filter_xz)                      \
    X(support_format_raw, archive_read_support_format_raw)                    \
    X(support_format_empty, archive_read_support_format_empty)                \
    X(support_format_tar, archive_read_support_format_tar)                    \
    X(support_format_zip_seekable, archive_read_support_format_zip_seekable)  \
    X(open_memory, archive_read_open_memory)                                  \
    X(open_filename, archive_read_open_filename)                              \
    X(open_fd, archive_read_open_fd)                                          \
    X(next_header, archive_read_next_header)                                  \
    X(read_data, archive_read_data)                                           \
    X(filter_count, archive_filter_count)                                     \
    X(filter_code, archive_filter_code)                                       \
    X(format, archive_format)                                                 \
    X(error_string, archive_error_string)                                     \
    X(entry_pathname, archive_entry_pathname)

/* archive_read_support_filter_* and _format_*: enable one on a reader. */
typedef __typeof__(&archive_read_support_filter_none) archlib_support_fn;

#define ARCHLIB_FIELD(field, fn) __typeof__(&fn) field;
struct archlib {
    ARCHLIB_FUNCTIONS(ARCHLIB_FIELD)
};
#undef ARCHLIB_FIELD

extern struct archlib archlib;

int archlib_load(char **err);

#endif
