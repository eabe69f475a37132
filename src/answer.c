/* answer.c — see answer.h. */
#include "answer.h"

#include <stdio.h>
#include <stdlib.h>

#include "msg.h"
#include "quote.h"
#include "run.h"

int answer_exec(const struct answer *a, const struct strv *argv, const struct strv *env)
{
    if (a->fd < 0) {
        char *line = shell_join(argv->v, argv->n);
        puts(line);
        free(line);
        return 0;
    }
    struct result_writer w = { a->fd };
    if (a->dry_run)
        result_word(&w, 'D', "");
    for (size_t i = 0; env && i < env->n; i++)
        result_word(&w, env->v[i][0], env->v[i] + 1);
    result_command(&w, argv);
    return 0;
}

int answer_original(const struct answer *a, const char *real, int argc, char *const *args)
{
    struct strv cmd = STRV_INIT;
    strv_push(&cmd, real);
    strv_extend(&cmd, args, (size_t)argc);
    int r = answer_exec(a, &cmd, NULL);
    strv_clear(&cmd);
    return r;
}

int answer_quit(const struct answer *a, int code)
{
    if (a->fd >= 0) {
        struct result_writer w = { a->fd };
        char buf[16];
        snprintf(buf, sizeof buf, "%d", code);
        result_word(&w, 'Q', buf);
        return 0;
    }
    return code;
}
