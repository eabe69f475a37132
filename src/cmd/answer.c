/* answer.c — see answer.h. */
#include "answer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "proto.h"
#include "quote.h"

int answer_exec(const struct answer *a, const struct strv *argv, const struct env_changes *env)
{
    if (a->fd < 0) {
        char *line = shell_join(argv->v, argv->n);
        puts(line);
        free(line);
        return 0;
    }
    if (proto_write_command(a->fd, argv, env, a->dry_run)) {
        errorf("cannot answer the front end: %s", strerror(errno));
        return 1;
    }
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
    if (a->fd < 0)
        return code;
    if (proto_write_quit(a->fd, code)) {
        errorf("cannot answer the front end: %s", strerror(errno));
        return 1;
    }
    return 0;
}
