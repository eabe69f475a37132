/* dljobs.c — the downloader's work on libuv's thread pool (dlint.h): saving
 * the resume state, hashing the complete prefix while the rest downloads,
 * and the final verification with the rename into place (or the deletion).
 *
 * A job copies what it needs; the only shared object is the file's hash
 * context, used by one job at a time (f->hashing / f->verifying). The file
 * descriptor stays open until no job of the file is in flight (file_advance
 * waits for them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dlint.h"
#include "fileio.h"
#include "msg.h"

/* ------------------------------------------------------------------ */
/* state                                                                */

struct save_job {
    uv_work_t req;
    struct dfile *f;
    int fd;
    char *path, *text;
    size_t len;
    int64_t done;
    char *err;
};

/* The part file's bytes reach the disk before the state that lists them. */
static void save_work(uv_work_t *req)
{
    struct save_job *j = req->data;
    if (fdatasync(j->fd) < 0)
        j->err = xasprintf("cannot sync the part file: %s", strerror(errno));
    else
        file_write_atomic(j->path, j->text, j->len, NULL, 0, 0644, &j->err);
}

static void save_after(uv_work_t *req, int status)
{
    struct save_job *j = req->data;
    struct dfile *f = j->f;
    f->saving = 0;
    f->run->jobs--;
    f->last_save = now_ms();
    if (status == 0 && !j->err)
        f->saved_done = j->done;
    else
        verbosef("%s: cannot save the download state: %s", f->name,
                 j->err ? j->err : uv_strerror(status));
    free(j->err);
    free(j->path);
    free(j->text);
    free(j);
    file_advance(f);
}

void job_save(struct dfile *f)
{
    if (f->saving || f->fd < 0 || f->size < 0)
        return;
    struct save_job *j = xcalloc(1, sizeof *j);
    j->f = f;
    j->fd = f->fd;
    j->path = xstrdup(f->statepath);
    j->text = part_state_format(&f->st, &j->len);
    j->done = rangeset_total(&f->st.done);
    j->req.data = j;
    if (uv_queue_work(&f->run->loop, &j->req, save_work, save_after) != 0) {
        free(j->path);
        free(j->text);
        free(j);
        return;
    }
    f->saving = 1;
    f->run->jobs++;
}

int save_now(struct dfile *f, char **err)
{
    if (fdatasync(f->fd) < 0)
        return seterr(err, "cannot sync %s: %s", f->part, strerror(errno));
    return part_state_save(f->statepath, &f->st, err);
}

/* ------------------------------------------------------------------ */
/* hashing the complete prefix                                          */

struct hash_job {
    uv_work_t req;
    struct dfile *f;
    struct dl_hash *h;
    int fd;
    int64_t from, to;
    unsigned gen;
    char *err;
};

static void hash_work(uv_work_t *req)
{
    struct hash_job *j = req->data;
    dl_hash_file(j->h, j->fd, j->from, j->to, &j->err);
}

static void hash_after(uv_work_t *req, int status)
{
    struct hash_job *j = req->data;
    struct dfile *f = j->f;
    f->hashing = 0;
    f->run->jobs--;
    if (j->gen != f->hash_gen || status != 0 || j->err) {
        if (j->err)
            verbosef("%s: %s", f->name, j->err);
        dl_hash_free(&f->hash);        /* start again from byte 0 */
        f->hash_ok = dl_hash_init(&f->hash, f->md5[0] != '\0', NULL) == 0;
        f->hashed = 0;
    } else {
        f->hashed = j->to;
    }
    free(j->err);
    free(j);
    file_advance(f);
}

void job_hash(struct dfile *f)
{
    if (f->hashing || f->verifying || !f->hash_ok || f->fd < 0)
        return;
    int64_t end = rangeset_run_end(&f->st.done, f->hashed);
    if (end - f->hashed < DL_HASH_MIN)
        return;
    struct hash_job *j = xcalloc(1, sizeof *j);
    j->f = f;
    j->h = &f->hash;
    j->fd = f->fd;
    j->from = f->hashed;
    j->to = end;
    j->gen = f->hash_gen;
    j->req.data = j;
    if (uv_queue_work(&f->run->loop, &j->req, hash_work, hash_after) != 0) {
        free(j);
        return;
    }
    f->hashing = 1;
    f->run->jobs++;
}

/* ------------------------------------------------------------------ */
/* verification                                                         */

struct verify_job {
    uv_work_t req;
    struct dfile *f;
    struct dl_hash *h;
    int fd;
    int64_t from, size;
    char *part, *dest;
    int archive;
    char sha_want[65], md5_want[33], sha_got[65], md5_got[33];
    char *err;
};

static void verify_work(uv_work_t *req)
{
    struct verify_job *j = req->data;
    struct stat sb;
    if (dl_hash_file(j->h, j->fd, j->from, j->size, &j->err) < 0)
        return;
    dl_hash_final(j->h, j->sha_got, j->md5_want[0] ? j->md5_got : NULL);
    if (fstat(j->fd, &sb) < 0 || sb.st_size != j->size)
        j->err = xasprintf("the download is %lld bytes, expected %lld", (long long)sb.st_size,
                           (long long)j->size);
    else if (j->sha_want[0] && strcmp(j->sha_want, j->sha_got))
        j->err = xasprintf("SHA-256 mismatch: expected %s, got %s", j->sha_want, j->sha_got);
    else if (j->md5_want[0] && strcmp(j->md5_want, j->md5_got))
        j->err = xasprintf("MD5 mismatch: expected %s, got %s", j->md5_want, j->md5_got);
    else if (fdatasync(j->fd) < 0)
        j->err = xasprintf("cannot sync %s: %s", j->part, strerror(errno));
    else if (j->archive && verify_archive(j->part, j->dest, &j->err) < 0)
        return;
    else if (rename(j->part, j->dest) < 0)
        j->err = xasprintf("cannot rename %s to %s: %s", j->part, j->dest, strerror(errno));
}

static void verify_after(uv_work_t *req, int status)
{
    struct verify_job *j = req->data;
    struct dfile *f = j->f;
    f->verifying = 0;
    f->run->jobs--;
    memcpy(f->job->sha256_got, j->sha_got, sizeof j->sha_got);
    unlink(f->statepath);
    if (status == 0 && !j->err) {
        verbosef("%s: verified (sha256 %s), in place as %s", f->name, j->sha_got, j->dest);
        file_settle(f, 1, NULL);
    } else {
        unlink(f->part);
        char *why = xasprintf("%s (the download was deleted)", j->err ? j->err : uv_strerror(status));
        verbosef("%s: %s", f->name, why);
        file_settle(f, 0, why);
        free(why);
    }
    free(j->err);
    free(j->part);
    free(j->dest);
    free(j);
}

void job_verify(struct dfile *f)
{
    if (f->verifying)
        return;
    if (!f->hash_ok) {
        f->hashed = 0;
        if (dl_hash_init(&f->hash, f->md5[0] != '\0', NULL) < 0) {
            file_fail(f, "libcrypto cannot start SHA-256");
            return;
        }
        f->hash_ok = 1;
    }
    struct verify_job *j = xcalloc(1, sizeof *j);
    j->f = f;
    j->h = &f->hash;
    j->fd = f->fd;
    j->from = f->hashed;
    j->size = f->size;
    j->part = xstrdup(f->part);
    j->dest = xstrdup(f->job->dest);
    j->archive = !f->job->no_archive_check;
    memcpy(j->sha_want, f->sha256, sizeof j->sha_want);
    memcpy(j->md5_want, f->md5, sizeof j->md5_want);
    j->req.data = j;
    if (uv_queue_work(&f->run->loop, &j->req, verify_work, verify_after) != 0) {
        free(j->part);
        free(j->dest);
        free(j);
        file_fail(f, "cannot start the verification");
        return;
    }
    f->verifying = 1;
    f->run->jobs++;
}
