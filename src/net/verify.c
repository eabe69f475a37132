/* verify.c — see verify.h. */
#include "verify.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archlib.h"
#include "msg.h"

#define HASH_CHUNK ((size_t)1 << 20)

int dl_hash_init(struct dl_hash *h, int want_md5, char **err)
{
    h->sha256 = EVP_MD_CTX_new();
    h->md5 = want_md5 ? EVP_MD_CTX_new() : NULL;
    if (!h->sha256 || (want_md5 && !h->md5) ||
        EVP_DigestInit_ex(h->sha256, EVP_sha256(), NULL) != 1 ||
        (want_md5 && EVP_DigestInit_ex(h->md5, EVP_md5(), NULL) != 1)) {
        dl_hash_free(h);
        return seterr(err, "libcrypto cannot start SHA-256%s", want_md5 ? "/MD5" : "");
    }
    return 0;
}

void dl_hash_update(struct dl_hash *h, const void *p, size_t n)
{
    EVP_DigestUpdate(h->sha256, p, n);
    if (h->md5)
        EVP_DigestUpdate(h->md5, p, n);
}

int dl_hash_file(struct dl_hash *h, int fd, int64_t from, int64_t to, char **err)
{
    char *buf = xmalloc(HASH_CHUNK);
    int r = 0;
    while (from < to) {
        size_t want = (uint64_t)(to - from) < HASH_CHUNK ? (size_t)(to - from) : HASH_CHUNK;
        ssize_t got = pread(fd, buf, want, (off_t)from);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            r = seterr(err, "cannot read back the download at %lld: %s", (long long)from,
                       got < 0 ? strerror(errno) : "the file is shorter");
            break;
        }
        dl_hash_update(h, buf, (size_t)got);
        from += got;
    }
    free(buf);
    return r;
}

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void dl_hash_final(struct dl_hash *h, char *sha, char *md5)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (EVP_DigestFinal_ex(h->sha256, d, &n) == 1)
        to_hex(d, n, sha);
    else
        sha[0] = '\0';
    if (md5) {
        md5[0] = '\0';
        if (h->md5 && EVP_DigestFinal_ex(h->md5, d, &n) == 1)
            to_hex(d, n, md5);
    }
}

void dl_hash_free(struct dl_hash *h)
{
    EVP_MD_CTX_free(h->sha256);
    EVP_MD_CTX_free(h->md5);
    h->sha256 = h->md5 = NULL;
}

int hex_digest_norm(const char *hex, size_t len, char *out)
{
    out[0] = '\0';
    if (!hex || !*hex)
        return 0;
    if (strlen(hex) != len)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)hex[i])) {
            out[0] = '\0';
            return -1;
        }
        out[i] = (char)tolower((unsigned char)hex[i]);
    }
    out[len] = '\0';
    return 0;
}

/* ------------------------------------------------------------------ */
/* archives                                                             */

enum kind { K_NONE, K_WHEEL, K_CONDA, K_TARBZ2 };

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static enum kind kind_of(const char *name)
{
    if (ends_with(name, ".whl"))
        return K_WHEEL;
    if (ends_with(name, ".conda"))
        return K_CONDA;
    if (ends_with(name, ".tar.bz2"))
        return K_TARBZ2;
    return K_NONE;
}

/* Does a member name show what the archive must contain? */
static int member_wanted(enum kind k, const char *name)
{
    if (k == K_WHEEL)   /* exactly one directory level: <x>.dist-info/METADATA */
        return fnmatch("*.dist-info/METADATA", name, FNM_PATHNAME) == 0;
    return fnmatch("info-*", name, FNM_PATHNAME) == 0;
}

/* Walk a zip's members (central directory; no member data is read). */
static int check_zip(struct archive *a, enum kind k, const char *path, char **err)
{
    struct archive_entry *e;
    int r, found = 0;
    long n = 0;
    while ((r = archlib.next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        const char *name = archlib.entry_pathname(e);
        n++;
        if (name && member_wanted(k, name))
            found = 1;
    }
    if (r != ARCHIVE_EOF)
        return seterr(err, "%s: not a readable zip: %s", path, archlib.error_string(a));
    if (!found)
        return seterr(err, "%s: the zip (%ld members) has no %s", path, n,
                      k == K_WHEEL ? "*.dist-info/METADATA" : "info-* member");
    return 0;
}

static int check_tarbz2(struct archive *a, const char *path, char **err)
{
    struct archive_entry *e;
    int r = archlib.next_header(a, &e);
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return seterr(err, "%s: not a readable tarball: %s", path,
                      archlib.error_string(a) ? archlib.error_string(a) : "empty");
    if (archlib.filter_code(a, 0) != ARCHIVE_FILTER_BZIP2 ||
        archlib.format(a) == ARCHIVE_FORMAT_EMPTY || (archlib.format(a) & ARCHIVE_FORMAT_BASE_MASK)
                                                         != ARCHIVE_FORMAT_TAR)
        return seterr(err, "%s: not a bzip2-compressed tarball", path);
    return 0;
}

int verify_archive(const char *path, const char *name, char **err)
{
    enum kind k = kind_of(name);
    if (k == K_NONE)
        return 0;
    if (archlib_load(err))
        return -1;
    struct archive *a = archlib.read_new();
    if (!a)
        return seterr(err, "libarchive: out of memory");
    if (k == K_TARBZ2) {
        archlib.support_filter_bzip2(a);
        archlib.support_format_tar(a);
    } else {
        archlib.support_format_zip_seekable(a);
    }
    int r;
    if (archlib.open_filename(a, path, 64 * 1024) != ARCHIVE_OK)
        r = seterr(err, "%s: %s", path, archlib.error_string(a));
    else if (k == K_TARBZ2)
        r = check_tarbz2(a, path, err);
    else
        r = check_zip(a, k, path, err);
    archlib.read_free(a);
    return r;
}
