/* decompress.h — turn a compressed body held in memory into plain bytes.
 *
 * libarchive in raw mode (no archive format, only compression filters):
 * bzip2, zstd, gzip and "none" for data that is not compressed at all.
 *
 *   decompress_auto()  detects the filter from the data; plain data comes
 *                      back unchanged.
 *   decompress_as()    the caller knows what it asked for (repodata.json.zst
 *                      must be zstd): data in any other form is an error.
 *
 * Contract for both:
 *   - returns 0 and sets *out (malloc'd, NUL-terminated, so it can be read
 *     as a C string; *outlen excludes the NUL) and *outlen;
 *   - returns -1 and sets *err (malloc'd message, caller frees) on corrupt
 *     or truncated input, on a filter mismatch, or when the output would be
 *     larger than cap bytes (a decompression bomb never gets allocated
 *     beyond cap + 1 bytes);
 *   - out, outlen and err are always written (NULL/0 on the unused side);
 *   - data that starts with a compressor's magic but does not decode is an
 *     error even for decompress_auto() (never handed back as "plain");
 *   - gzip's CRC-32 and length trailer is checked (libarchive does not), so
 *     multi-member gzip files are refused; zstd frames are only as
 *     verifiable as their writer made them (the zstd CLI adds a checksum).
 * Thread-safe: every call has its own libarchive reader. */
#ifndef TORCHSHIM_DECOMPRESS_H
#define TORCHSHIM_DECOMPRESS_H

#include <stddef.h>

enum decompress_filter {
    DECOMPRESS_AUTO = -1, /* only for decompress_as(): same as decompress_auto() */
    DECOMPRESS_NONE = 0,
    DECOMPRESS_GZIP,
    DECOMPRESS_BZIP2,
    DECOMPRESS_ZSTD,
};

/* A sane default cap for repodata (the real linux-64 one is ~1.7 MB). */
#define DECOMPRESS_DEFAULT_CAP ((size_t)256 << 20)

int decompress_auto(const void *in, size_t inlen, size_t cap,
                    char **out, size_t *outlen, char **err);
int decompress_as(int filter, const void *in, size_t inlen, size_t cap,
                  char **out, size_t *outlen, char **err);

/* The filter a file name implies: ".zst"/".zstd" -> ZSTD, ".bz2" -> BZIP2,
 * ".gz" -> GZIP, anything else -> NONE. */
int decompress_filter_from_name(const char *name);

/* "none", "gzip", "bzip2", "zstd", "auto"; "?" for anything else. */
const char *decompress_filter_name(int filter);

#endif
