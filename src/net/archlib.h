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

typedef int (*archlib_support_fn)(struct archive *);

struct archlib {
    struct archive *(*read_new)(void);
    int (*read_free)(struct archive *);
    archlib_support_fn support_filter_none, support_filter_gzip, support_filter_bzip2,
        support_filter_zstd, support_filter_xz;
    archlib_support_fn support_format_raw, support_format_empty, support_format_tar,
        support_format_zip_seekable;
    int (*open_memory)(struct archive *, const void *, size_t);
    int (*open_filename)(struct archive *, const char *, size_t);
    int (*open_fd)(struct archive *, int, size_t);
    int (*next_header)(struct archive *, struct archive_entry **);
    la_ssize_t (*read_data)(struct archive *, void *, size_t);
    int (*filter_count)(struct archive *);
    int (*filter_code)(struct archive *, int);
    int (*format)(struct archive *);
    const char *(*error_string)(struct archive *);
    const char *(*entry_pathname)(struct archive_entry *);
};

extern struct archlib archlib;

int archlib_load(char **err);

#endif
