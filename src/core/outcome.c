/* outcome.c — see outcome.h. */
#include "outcome.h"

#include <stdlib.h>

void run_result_free(struct run_result *r)
{
    strv_clear(&r->argv);
    env_changes_clear(&r->env);
    strv_clear(&r->warnings);
    strv_clear(&r->notes);
    free(r->error);
    r->error = NULL;
}
