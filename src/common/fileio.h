/* fileio.h — small file and process-time helpers, libc only (the front end
 * links them too). Functions taking char **err fill it (seterr) on failure. */
#ifndef TORCHSHIM_FILEIO_H
#define TORCHSHIM_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* write(2) all of P, retrying on EINTR. 0, or -1 with errno. */
int write_all(int fd, const void *p, size_t n);

/* Read the regular file PATH whole, at most MAX bytes, NUL-terminated.
 * 0 with *out (malloc'd) and *len (may be NULL); 1 when it does not exist
 * (ENOENT/ENOTDIR: *out NULL, no error); -1 with *err when it cannot be
 * read, is not a regular file, or is larger than MAX. */
int file_read(const char *path, size_t max, char **out, size_t *len, char **err);

/* mkdir -p PATH with MODE for the directories it creates; the last one must
 * end up a directory. 0 or -1 with *err. */
int mkdir_p(const char *path, mode_t mode, char **err);

/* Replace PATH atomically with HEAD then BODY (either may be empty): a
 * temporary file beside it ("PATH.tmp.XXXXXX", mode MODE), fsync, rename.
 * Creates the directory (0700) when it is missing. 0 or -1 with *err. */
int file_write_atomic(const char *path, const void *head, size_t hlen, const void *body,
                      size_t blen, mode_t mode, char **err);

/* The infix of file_write_atomic's temporary files. A writer holds an
 * exclusive flock on its temporary file until the rename. */
#define FILEIO_TMP_INFIX ".tmp."

/* Remove the temporary files in DIR whose writer is gone (no lock held: it
 * was killed mid-write). Returns how many. */
int file_sweep_temps(const char *dir);

/* Remove the regular files in DIR whose name starts with PREFIX ("" for
 * all) and that were last modified more than SECS seconds ago (SECS < 0:
 * all of them). Symlinks and directories are left. Returns how many; *freed
 * (when not NULL) gets their bytes. A missing DIR removes nothing. */
int file_sweep_older(const char *dir, const char *prefix, long long secs,
                     unsigned long long *freed);

/* Milliseconds on the monotonic clock. */
long long now_ms(void);

#endif
