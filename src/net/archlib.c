/* archlib.c — see archlib.h. */
#include "archlib.h"

#include <pthread.h>
#include <stddef.h>

#include "dynlib.h"
#include "msg.h"

struct archlib archlib;

/* Each field's offset in struct archlib and libarchive's name for it. */
static const struct dynlib_sym syms[] = {
#define ARCHLIB_SYM(field, fn) { offsetof(struct archlib, field), #fn },
    ARCHLIB_FUNCTIONS(ARCHLIB_SYM)
#undef ARCHLIB_SYM
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[320];  /* "" once loaded */

static void load(void)
{
    static const char *const sonames[] = ARCHLIB_SONAMES;
    dynlib_fill("libarchive", sonames, sizeof sonames / sizeof sonames[0], syms,
                sizeof syms / sizeof syms[0], &archlib, sizeof archlib, load_error,
                sizeof load_error);
}

int archlib_load(char **err)
{
    pthread_once(&once, load);
    return load_error[0] ? seterr(err, "%s", load_error) : 0;
}
