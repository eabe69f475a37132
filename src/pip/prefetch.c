/* prefetch.c — see prefetch.h. */
#include "prefetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "download.h"
#include "fileio.h"
#include "msg.h"
#include "verify.h"

#define STAMP_MAGIC "torchshim-stamp 1"
#define STAMP_MAX 1024

static const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- stamps ------------------------------------------------------------- */

struct stamp {
    long long size, mtime_s, mtime_ns, ino;
    char sha256[65], md5[33];
};

static char *stamp_path(const char *stamp_dir, const char *dest)
{
    return xasprintf("%s/%s", stamp_dir, base_of(dest));
}

/* Read the stamp of DEST; 0 when there is a well-formed one. */
static int stamp_read(const char *stamp_dir, const char *dest, struct stamp *s)
{
    char *path = stamp_path(stamp_dir, dest), *text = NULL, *err = NULL;
    int r = file_read(path, STAMP_MAX, &text, NULL, &err);
    free(path);
    free(err);
    if (r)
        return -1;
    char sha[80], md5[80];
    int ok = sscanf(text, STAMP_MAGIC " %lld %lld %lld %lld %79s %79s", &s->size, &s->mtime_s,
                    &s->mtime_ns, &s->ino, sha, md5) == 6 &&
             hex_digest_norm(strcmp(sha, "-") ? sha : NULL, SHA256_HEX_LEN, s->sha256) == 0 &&
             hex_digest_norm(strcmp(md5, "-") ? md5 : NULL, MD5_HEX_LEN, s->md5) == 0;
    free(text);
    return ok ? 0 : -1;
}

static int stamp_matches(const struct stamp *s, const struct stat *st)
{
    return s->size == (long long)st->st_size && s->mtime_s == (long long)st->st_mtim.tv_sec &&
           s->mtime_ns == (long long)st->st_mtim.tv_nsec && s->ino == (long long)st->st_ino;
}

int prefetch_stamp_write(const char *stamp_dir, const char *dest, const char *sha256,
                         const char *md5, char **err)
{
    struct stat st;
    char sha[65], m5[33];
    if (stat(dest, &st) < 0)
        return seterr(err, "%s: %s", dest, strerror(errno));
    if (hex_digest_norm(sha256, SHA256_HEX_LEN, sha) || hex_digest_norm(md5, MD5_HEX_LEN, m5))
        return seterr(err, "%s: malformed digest", dest);
    char *line = xasprintf(STAMP_MAGIC " %lld %lld %lld %lld %s %s\n", (long long)st.st_size,
                           (long long)st.st_mtim.tv_sec, (long long)st.st_mtim.tv_nsec,
                           (long long)st.st_ino, sha[0] ? sha : "-", m5[0] ? m5 : "-");
    char *path = stamp_path(stamp_dir, dest);
    int r = file_write_atomic(path, line, strlen(line), NULL, 0, 0600, err);
    free(path);
    free(line);
    return r;
}

/* ---- reuse -------------------------------------------------------------- */

/* Hash DEST: SHA-256 into SHA, MD5 into MD5 when WANT_MD5. 0 or -1. */
static int hash_file(const char *dest, int want_md5, char *sha, char *md5)
{
    struct dl_hash h;
    char *err = NULL;
    int fd = open(dest, O_RDONLY | O_CLOEXEC), r = -1;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || dl_hash_init(&h, want_md5, &err) < 0)
        goto out;
    if (dl_hash_file(&h, fd, 0, (int64_t)st.st_size, &err) == 0) {
        dl_hash_final(&h, sha, want_md5 ? md5 : NULL);
        r = 0;
    }
    dl_hash_free(&h);
out:
    if (err)
        verbosef("prefetch: %s: %s", dest, err);
    free(err);
    if (fd >= 0)
        close(fd);
    return r;
}

/* Do the expected digests match what the stamp or a fresh hash says? */
static int digests_match(const struct prefetch_item *it, const char *want_sha,
                         const char *want_md5, const struct stamp *s, int *hashed,
                         char *sha, char *md5)
{
    if (s && (!want_sha[0] || !strcmp(want_sha, s->sha256)) &&
        (!want_md5[0] || !strcmp(want_md5, s->md5)))
        return 1;
    if (hash_file(it->dest, want_md5[0] != '\0', sha, md5) < 0)
        return 0;
    *hashed = 1;
    return (!want_sha[0] || !strcmp(want_sha, sha)) && (!want_md5[0] || !strcmp(want_md5, md5));
}

int prefetch_have(const struct prefetch_item *it, const char *stamp_dir)
{
    struct stat st;
    char want_sha[65], want_md5[33], sha[65] = "", md5[33] = "";
    if (stat(it->dest, &st) < 0 || !S_ISREG(st.st_mode) ||
        (it->size > 0 && (int64_t)st.st_size != it->size))
        return 0;
    if (hex_digest_norm(it->sha256, SHA256_HEX_LEN, want_sha) ||
        hex_digest_norm(it->md5, MD5_HEX_LEN, want_md5))
        return 0;
    struct stamp s;
    int have_stamp = stamp_dir && stamp_read(stamp_dir, it->dest, &s) == 0 &&
                     stamp_matches(&s, &st);
    int hashed = 0;
    if (want_sha[0] || want_md5[0]) {
        if (!digests_match(it, want_sha, want_md5, have_stamp ? &s : NULL, &hashed, sha, md5)) {
            verbosef("prefetch: %s is there but its digest differs: fetching it again", it->dest);
            return 0;
        }
    } else if (!have_stamp) {
        char *err = NULL;
        if (verify_archive(it->dest, base_of(it->dest), &err) < 0) {
            verbosef("prefetch: %s is there but %s: fetching it again", it->dest, err);
            free(err);
            return 0;
        }
    }
    if (stamp_dir && (hashed || !have_stamp)) {
        char *err = NULL;
        if (prefetch_stamp_write(stamp_dir, it->dest, hashed ? sha : want_sha,
                                 hashed && want_md5[0] ? md5 : want_md5, &err))
            verbosef("prefetch: %s", err);
        free(err);
    }
    return 1;
}

/* ---- download ----------------------------------------------------------- */

static void take_result(struct prefetch_item *it, struct dl_file *f, const char *stamp_dir)
{
    it->ok = f->ok;
    if (f->error)
        it->error = xstrdup(f->error);
    memcpy(it->sha256_got, f->sha256_got, sizeof it->sha256_got);
    it->bytes = f->bytes;
    it->fetched = f->fetched;
    it->resumed = f->reused;
    it->requests = f->requests;
    it->seconds = f->seconds;
    if (it->ok && stamp_dir) {
        char *err = NULL;
        if (prefetch_stamp_write(stamp_dir, it->dest, f->sha256_got, it->md5, &err))
            verbosef("prefetch: %s", err);
        free(err);
    }
}

static int download(struct prefetch_item *items, size_t n, const struct prefetch_opts *o,
                    int *signo, char **err)
{
    struct dl_file *files = xcalloc(n, sizeof *files);
    size_t *which = xcalloc(n, sizeof *which), k = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].ok)
            continue;
        files[k] = (struct dl_file){ .urls = items[i].urls, .nurls = items[i].nurls,
                                     .dest = items[i].dest, .size = items[i].size,
                                     .sha256 = items[i].sha256, .md5 = items[i].md5 };
        which[k++] = i;
    }
    struct fetch_opts fo = { 0 };
    if (o->fetch)
        fo = *o->fetch;
    fo.total_timeout_ms = 0;  /* a piece of a big file takes what it takes */
    struct dl_opts dl = { .connections = o->connections, .fetch = &fo, .progress = o->progress,
                          .quiet = o->quiet };
    if (o->before_download)
        o->before_download(o->ctx);
    int r = download_run(files, k, &dl, signo, err);
    for (size_t j = 0; j < k; j++) {
        take_result(&items[which[j]], &files[j], o->stamp_dir);
        dl_file_clear(&files[j]);
    }
    free(files);
    free(which);
    return r == DL_INTERRUPTED ? PREFETCH_INTERRUPTED : r == DL_OK ? PREFETCH_OK : PREFETCH_FAILED;
}

int prefetch_files(struct prefetch_item *items, size_t n, const struct prefetch_opts *o,
                   int *signo, char **err)
{
    static const struct prefetch_opts none = { 0 };
    if (!o)
        o = &none;
    if (signo)
        *signo = 0;
    *err = NULL;
    size_t todo = 0;
    for (size_t i = 0; i < n; i++) {
        prefetch_item_clear(&items[i]);
        if (prefetch_have(&items[i], o->stamp_dir)) {
            struct stat st;
            items[i].ok = items[i].reused = 1;
            items[i].bytes = stat(items[i].dest, &st) == 0 ? (int64_t)st.st_size : -1;
            verbosef("prefetch: %s is there and verified: no download", items[i].dest);
        } else {
            todo++;
        }
    }
    return todo ? download(items, n, o, signo, err) : PREFETCH_OK;
}

void prefetch_item_clear(struct prefetch_item *it)
{
    free(it->error);
    it->error = NULL;
    it->ok = it->reused = 0;
    it->sha256_got[0] = '\0';
    it->bytes = -1;
    it->fetched = it->resumed = 0;
    it->requests = 0;
    it->seconds = 0;
}
