/* archlib.c — see archlib.h. */
#include "archlib.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dynlib.h"
#include "msg.h"

struct archlib archlib;

/* The table's types are libarchive's own (checked here, without linking). */
#define SAME_TYPE(field, fn)                                                            \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&fn),                        \
                                                __typeof__(((struct archlib *)0)->field)), \
                   #fn)
SAME_TYPE(read_new, archive_read_new);
SAME_TYPE(read_free, archive_read_free);
SAME_TYPE(support_filter_none, archive_read_support_filter_none);
SAME_TYPE(support_filter_gzip, archive_read_support_filter_gzip);
SAME_TYPE(support_filter_bzip2, archive_read_support_filter_bzip2);
SAME_TYPE(support_filter_zstd, archive_read_support_filter_zstd);
SAME_TYPE(support_filter_xz, archive_read_support_filter_xz);
SAME_TYPE(support_format_raw, archive_read_support_format_raw);
SAME_TYPE(support_format_empty, archive_read_support_format_empty);
SAME_TYPE(support_format_tar, archive_read_support_format_tar);
SAME_TYPE(support_format_zip_seekable, archive_read_support_format_zip_seekable);
SAME_TYPE(open_memory, archive_read_open_memory);
SAME_TYPE(open_filename, archive_read_open_filename);
SAME_TYPE(open_fd, archive_read_open_fd);
SAME_TYPE(next_header, archive_read_next_header);
SAME_TYPE(read_data, archive_read_data);
SAME_TYPE(filter_count, archive_filter_count);
SAME_TYPE(filter_code, archive_filter_code);
SAME_TYPE(format, archive_format);
SAME_TYPE(error_string, archive_error_string);
SAME_TYPE(entry_pathname, archive_entry_pathname);

/* Each entry: the field's offset in struct archlib and libarchive's name. */
static const struct dynlib_sym syms[] = {
#define S(field, name) { offsetof(struct archlib, field), name }
    S(read_new, "archive_read_new"),
    S(read_free, "archive_read_free"),
    S(support_filter_none, "archive_read_support_filter_none"),
    S(support_filter_gzip, "archive_read_support_filter_gzip"),
    S(support_filter_bzip2, "archive_read_support_filter_bzip2"),
    S(support_filter_zstd, "archive_read_support_filter_zstd"),
    S(support_filter_xz, "archive_read_support_filter_xz"),
    S(support_format_raw, "archive_read_support_format_raw"),
    S(support_format_empty, "archive_read_support_format_empty"),
    S(support_format_tar, "archive_read_support_format_tar"),
    S(support_format_zip_seekable, "archive_read_support_format_zip_seekable"),
    S(open_memory, "archive_read_open_memory"),
    S(open_filename, "archive_read_open_filename"),
    S(open_fd, "archive_read_open_fd"),
    S(next_header, "archive_read_next_header"),
    S(read_data, "archive_read_data"),
    S(filter_count, "archive_filter_count"),
    S(filter_code, "archive_filter_code"),
    S(format, "archive_format"),
    S(error_string, "archive_error_string"),
    S(entry_pathname, "archive_entry_pathname"),
#undef S
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[320];  /* "" once loaded */

static void load(void)
{
    static const char *const sonames[] = ARCHLIB_SONAMES;
    dynlib_fill("libarchive", sonames, sizeof sonames / sizeof sonames[0], syms,
                sizeof syms / sizeof syms[0], &archlib, sizeof archlib, load_error,
                sizeof load_error);
}

int archlib_load(char **err)
{
    pthread_once(&once, load);
    return load_error[0] ? seterr(err, "%s", load_error) : 0;
}
