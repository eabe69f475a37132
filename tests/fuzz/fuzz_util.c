/* fuzz_util.c — see fuzz_util.h. */
#include "fuzz_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void fuzz_split(const uint8_t *data, size_t size, char **a, char **b)
{
    const uint8_t *nl = size ? memchr(data, '\n', size) : NULL;
    size_t n = nl ? (size_t)(nl - data) : size;
    *a = fuzz_cstr(data, n);
    *b = nl ? fuzz_cstr(nl + 1, size - n - 1) : fuzz_cstr(data, 0);
}

const char *fuzz_tmpdir(void)
{
    static char dir[64];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/tsfuzz.XXXXXX", t && *t && strlen(t) < 40 ? t : "/tmp");
        if (!mkdtemp(dir))
            abort();
    }
    return dir;
}

const char *fuzz_tmpfile(const uint8_t *data, size_t size, const char *name)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", fuzz_tmpdir(), name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        abort();
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            abort();
        off += (size_t)n;
    }
    close(fd);
    return path;
}
