/* zipdir.h — read one member of a zip archive (a wheel) from the few byte
 * ranges of it a remote reader holds: the end of the file, the central
 * directory, the member's local header and data. No I/O: the caller gets
 * the bytes (wheelmeta.c, with HTTP range requests) and asks here what they
 * mean and which bytes come next.
 *
 * The steps, each on bytes at absolute offsets of the archive:
 *   zipdir_find_end()        the tail of the file -> the end of central
 *                            directory record (EOCD); with a ZIP64 locator
 *                            before it, the offset of the ZIP64 end record
 *   zipdir_read_zip64_end()  that record (ZIPDIR_ZIP64_END_LEN bytes) -> the
 *                            64-bit central directory offset, size, count
 *   zipdir_find_metadata()   the central directory -> the entry of
 *                            <name>-<version>.dist-info/METADATA in the
 *                            archive's top-level directory (METADATA files
 *                            deeper down, vendored packages' dist-info
 *                            directories, are not it); ZIP64 extra fields
 *                            are read for sizes and offsets
 *   zipdir_local_data()      the local file header -> where the data starts
 *   zipdir_extract()         the member's data -> its contents: stored
 *                            (method 0) as is, deflated (method 8) through
 *                            zlib's raw inflate; length and CRC-32 checked
 *
 * Structures are checked against each other and the file size (a directory
 * that does not end before the EOCD, counts that disagree, entries running
 * past the directory, multi-disk archives, encrypted members, other
 * compression methods are errors). Functions return 0, or -1 with *err
 * (malloc'd, caller frees). Thread-safe, nothing printed. */
#ifndef TORCHSHIM_ZIPDIR_H
#define TORCHSHIM_ZIPDIR_H

#include <stddef.h>
#include <stdint.h>

#define ZIPDIR_EOCD_LEN        22   /* end of central directory, without comment */
#define ZIPDIR_ZIP64_LOC_LEN   20   /* ZIP64 end of central directory locator */
#define ZIPDIR_ZIP64_END_LEN   56   /* ZIP64 end of central directory record */
#define ZIPDIR_LOCAL_LEN       30   /* local file header, without name and extra */

struct zipdir_end {
    uint64_t file_size;
    uint64_t eocd_offset;      /* the EOCD record */
    int zip64;                 /* a ZIP64 locator precedes the EOCD: the */
    uint64_t zip64_offset;     /* ZIP64 end record here is to be read next */
    uint64_t cd_offset, cd_size, entries;  /* valid once !zip64 or read */
};

/* tail: the last tail_len bytes of an archive of file_size bytes
 * (tail_len <= file_size). */
int zipdir_find_end(const unsigned char *tail, size_t tail_len, uint64_t file_size,
                    struct zipdir_end *out, char **err);

/* p: the ZIPDIR_ZIP64_END_LEN bytes at end->zip64_offset. Fills cd_*,
 * entries. */
int zipdir_read_zip64_end(const unsigned char *p, size_t len, struct zipdir_end *end,
                          char **err);

struct zipdir_entry {
    char *name;                /* "torchvision-0.20.1.dist-info/METADATA" */
    uint64_t local_offset;     /* of its local file header */
    uint64_t csize, usize;     /* compressed and uncompressed sizes */
    uint32_t crc;
    unsigned method, flags;
    size_t extra_len;          /* the central directory's extra field length: a
                                  guess at the local header's */
};

/* cd: the end->cd_size bytes of the central directory. wheel_name (may be
 * NULL): the distribution name of the wheel's file name, used when several
 * top-level .dist-info directories exist (compared with case and runs of
 * '-', '_', '.' not mattering). */
int zipdir_find_metadata(const unsigned char *cd, size_t len, const struct zipdir_end *end,
                         const char *wheel_name, struct zipdir_entry *out, char **err);
void zipdir_entry_free(struct zipdir_entry *e);

/* p: len (>= ZIPDIR_LOCAL_LEN) bytes at e->local_offset. Sets *data_offset
 * to the absolute offset of the member's data. */
int zipdir_local_data(const unsigned char *p, size_t len, const struct zipdir_entry *e,
                      uint64_t *data_offset, char **err);

/* data: the e->csize bytes of the member. *out is malloc'd, NUL-terminated
 * (*outlen excludes the NUL); e->usize over cap is an error before any
 * allocation. */
int zipdir_extract(const struct zipdir_entry *e, const unsigned char *data, size_t len,
                   size_t cap, char **out, size_t *outlen, char **err);

#endif
