/* verify.h — is a downloaded file the one that was asked for?
 *
 * Digests: a streaming SHA-256 (always) and MD5 (when asked: conda's
 * repodata may only list that) over libcrypto's EVP interface, fed from
 * memory or straight from a file with pread in bounded chunks (never the
 * whole file in memory). Thread-safe per struct dl_hash: download.c feeds
 * one from libuv's thread pool while the loop keeps downloading.
 *
 * Archives: a downloaded package must open as what its name says:
 *   *.whl      a zip whose central directory lists "<x>.dist-info/METADATA"
 *   *.conda    a zip whose central directory lists an "info-*" member
 *   *.tar.bz2  a bzip2-compressed tar whose first entry header reads
 *              (the digest covers the rest: reading a 2 GB tarball through
 *              bzip2 would take a minute)
 * Any other name: no archive check.
 *
 * Errors: 0 / -1 with *err (seterr). */
#ifndef TORCHSHIM_VERIFY_H
#define TORCHSHIM_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64
#define MD5_HEX_LEN 32

struct dl_hash {
    void *sha256;              /* EVP_MD_CTX * */
    void *md5;                 /* EVP_MD_CTX *, NULL when not wanted */
};

/* Start digests (MD5 too when want_md5). 0 or -1 with *err. */
int dl_hash_init(struct dl_hash *h, int want_md5, char **err);
void dl_hash_update(struct dl_hash *h, const void *p, size_t n);
/* Feed bytes [from, to) of FD (pread, 1 MiB at a time). 0 or -1 with *err
 * (a read error, or the file ends before TO). */
int dl_hash_file(struct dl_hash *h, int fd, int64_t from, int64_t to, char **err);
/* Finish: lower-case hex into SHA (65 bytes) and, when MD5 was wanted, MD5
 * (33 bytes; may be NULL otherwise). The digests are spent: call
 * dl_hash_free, then dl_hash_init to start again. */
void dl_hash_final(struct dl_hash *h, char *sha, char *md5);
void dl_hash_free(struct dl_hash *h);

/* Normalise a hex digest of LEN digits into OUT (LEN+1 bytes, lower case).
 * 0, or -1 when HEX is not exactly LEN hex digits. NULL or "" gives "". */
int hex_digest_norm(const char *hex, size_t len, char *out);

/* The archive check above for the file at PATH, chosen by the ending of NAME
 * (the destination's name). 0 when it passes or NAME has no known ending. */
int verify_archive(const char *path, const char *name, char **err);

#endif
