/* dynlib.c — see dynlib.h. */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int dynlib_fill(const char *libname, const char *const *sonames, size_t nsonames,
                const struct dynlib_sym *syms, size_t nsyms, void *table, size_t table_size,
                char *errbuf, size_t errlen)
{
    void *h = NULL;
    for (size_t i = 0; !h && i < nsonames; i++)
        h = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(errbuf, errlen, "cannot load %s: %s", libname, e ? e : "not found");
        return -1;
    }
    char *t = xmalloc(table_size);
    memcpy(t, table, table_size);
    for (size_t i = 0; i < nsyms; i++) {
        void *f = dlsym(h, syms[i].name);
        if (!f || syms[i].off + sizeof f > table_size) {
            snprintf(errbuf, errlen, "%s lacks %s", libname, syms[i].name);
            free(t);
            dlclose(h);
            return -1;
        }
        /* POSIX: dlsym's answer for a function converts to its pointer type */
        memcpy(t + syms[i].off, &f, sizeof f);
    }
    memcpy(table, t, table_size);
    free(t);
    return 0;
}
