/* dynlib.h — a library loaded on first use: dlopen by soname, then a table
 * of its functions filled by name (curllib.c, archlib.c).
 *
 * dynlib_fill() opens the first of SONAMES that loads (RTLD_NOW |
 * RTLD_LOCAL) and stores each SYMS[i]'s address at byte offset
 * SYMS[i].off of TABLE (a struct of function pointers of TABLE_SIZE bytes).
 * All or nothing: 0 with TABLE filled, or -1 with TABLE untouched, the
 * library closed again and ERRBUF (ERRLEN bytes) saying why ("cannot load
 * libcurl: ...", "libcurl lacks curl_url_get"), LIBNAME naming it there.
 * A loaded library is never closed: the process ends first. Not
 * thread-safe by itself: callers run it under pthread_once. */
#ifndef TORCHSHIM_DYNLIB_H
#define TORCHSHIM_DYNLIB_H

#include <stddef.h>

struct dynlib_sym {
    size_t off;
    const char *name;
};

int dynlib_fill(const char *libname, const char *const *sonames, size_t nsonames,
                const struct dynlib_sym *syms, size_t nsyms, void *table, size_t table_size,
                char *errbuf, size_t errlen);

#endif
