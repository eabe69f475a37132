/* fileio.c — see fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

int write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int file_read(const char *path, size_t max, char **out, size_t *len, char **err)
{
    *out = NULL;
    if (len)
        *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        return seterr(err, "cannot read %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return seterr(err, "cannot read %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return seterr(err, S_ISDIR(st.st_mode) ? "%s is a directory" : "%s is not a regular file",
                      path);
    }
    if ((unsigned long long)st.st_size > max) {
        close(fd);
        return seterr(err, "%s is too large (%lld bytes; at most %zu)", path,
                      (long long)st.st_size, max);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 == cap) {
            if (cap > max) {   /* grew while we read it */
                free(buf);
                close(fd);
                return seterr(err, "%s is too large (at most %zu bytes)", path, max);
            }
            buf = xrealloc(buf, cap = cap * 2 > max + 2 ? max + 2 : cap * 2);
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return seterr(err, "cannot read %s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

int mkdir_p(const char *path, mode_t mode, char **err)
{
    char *p = xstrdup(path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST) {
            int r = seterr(err, "cannot create %s: %s", p, strerror(errno));
            free(p);
            return r;
        }
        *s = c;
        if (!c)
            break;
    }
    struct stat st;
    int r = stat(p, &st) < 0 || !S_ISDIR(st.st_mode) ? seterr(err, "%s is not a directory", p)
                                                     : 0;
    free(p);
    return r;
}

/* A locked temporary file for PATH. Where the file system has O_TMPFILE it
 * has no name until it is complete (*tmp NULL: a writer killed before that
 * leaves nothing); else "PATH.tmp.XXXXXX". The lock (flock) is held from the
 * start: file_sweep_temps leaves live writers alone. */
static int open_temp(const char *path, mode_t mode, char **tmp)
{
    *tmp = NULL;
    char *dir = xstrdup(path), *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int fd = open(slash ? dir : ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
    free(dir);
    if (fd >= 0) {
        flock(fd, LOCK_EX);
        if (fchmod(fd, mode) == 0)  /* exactly MODE, whatever the umask */
            return fd;
        close(fd);
        return -1;
    }
    if (errno == ENOENT)
        return -1;
    *tmp = xasprintf("%s" FILEIO_TMP_INFIX "XXXXXX", path);
    fd = mkostemp(*tmp, O_CLOEXEC);   /* mode 0600 */
    if (fd >= 0)
        flock(fd, LOCK_EX);
    if (fd >= 0 && mode != 0600 && fchmod(fd, mode) < 0) {
        int e = errno;
        close(fd);
        unlink(*tmp);
        errno = e;
        return -1;
    }
    return fd;
}

/* The temporary file, creating PATH's directory when it is missing. */
static int open_temp_mkdir(const char *path, mode_t mode, char **tmp)
{
    int fd = open_temp(path, mode, tmp);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir_p(dir, 0700, NULL) == 0) {
            free(*tmp);
            fd = open_temp(path, mode, tmp);
        }
    }
    free(dir);
    if (fd < 0)
        errno = errno ? errno : ENOENT;
    return fd;
}

/* Give an anonymous (O_TMPFILE) file a temporary name beside PATH. */
static int name_temp(int fd, const char *path, char **tmp)
{
    static unsigned long seq;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    for (int tries = 0; tries < 8; tries++) {
        *tmp = xasprintf("%s" FILEIO_TMP_INFIX "%ld.%lu.%lld", path, (long)getpid(), seq++,
                         now_ms());
        if (linkat(AT_FDCWD, proc, AT_FDCWD, *tmp, AT_SYMLINK_FOLLOW) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
        free(*tmp);
        *tmp = NULL;
    }
    return -1;
}

int file_write_atomic(const char *path, const void *head, size_t hlen, const void *body,
                      size_t blen, mode_t mode, char **err)
{
    char *tmp;
    int fd = open_temp_mkdir(path, mode, &tmp);
    if (fd < 0) {
        int r = seterr(err, "cannot create a file beside %s: %s", path, strerror(errno));
        free(tmp);
        return r;
    }
    const char *what = "write";
    if (write_all(fd, head, hlen) < 0 || write_all(fd, body, blen) < 0)
        goto fail;
    what = "fsync";
    if (fsync(fd) < 0)
        goto fail;
    what = "name";
    if (!tmp && name_temp(fd, path, &tmp) < 0)
        goto fail;
    what = "rename";
    if (rename(tmp, path) < 0)
        goto fail;
    free(tmp);
    return close(fd) < 0 ? seterr(err, "cannot close %s: %s", path, strerror(errno)) : 0;
fail:;
    int r = seterr(err, "cannot %s %s: %s", what, tmp ? tmp : path, strerror(errno));
    close(fd);
    if (tmp)
        unlink(tmp);
    free(tmp);
    return r;
}

int file_sweep_older(const char *dir, const char *prefix, long long secs,
                     unsigned long long *freed)
{
    if (freed)
        *freed = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    time_t now = time(NULL);
    size_t plen = strlen(prefix);
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (strncmp(de->d_name, prefix, plen) ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
            !S_ISREG(st.st_mode) || (secs >= 0 && now - st.st_mtime <= secs) ||
            unlinkat(dirfd(d), de->d_name, 0))
            continue;
        removed++;
        if (freed)
            *freed += (unsigned long long)st.st_size;
    }
    closedir(d);
    return removed;
}

long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int file_sweep_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strstr(de->d_name, FILEIO_TMP_INFIX))
            continue;
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        struct stat st;
        /* unlocked: its writer is gone */
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
            unlinkat(dirfd(d), de->d_name, 0) == 0)
            removed++;
        close(fd);
    }
    closedir(d);
    return removed;
}
