/* proto.c — see proto.h. */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "msg.h"

void env_changes_set(struct env_changes *e, const char *name, const char *value)
{
    strv_pushf(&e->set, "%s=%s", name, value);
    strv_push(&e->ops, "S");
}

void env_changes_unset(struct env_changes *e, const char *name)
{
    strv_push(&e->set, name);
    strv_push(&e->ops, "U");
}

void env_changes_clear(struct env_changes *e)
{
    strv_clear(&e->set);
    strv_clear(&e->ops);
}

void env_changes_apply(const struct env_changes *e)
{
    for (size_t i = 0; i < e->set.n; i++) {
        const char *s = e->set.v[i];
        if (e->ops.v[i][0] == REC_UNSETENV) {
            unsetenv(s);
            continue;
        }
        const char *eq = strchr(s, '=');
        if (!eq)
            continue;
        char *name = xstrndup(s, (size_t)(eq - s));
        setenv(name, eq + 1, 1);
        free(name);
    }
}

void engine_answer_clear(struct engine_answer *ans)
{
    strv_clear(&ans->argv);
    env_changes_clear(&ans->env);
    ans->dry_run = ans->quit = ans->quit_code = 0;
}

static int parse_env(struct env_changes *e, enum proto_rec type, const char *payload)
{
    if (type == REC_UNSETENV) {
        if (!*payload || strchr(payload, '='))
            return -1;
        env_changes_unset(e, payload);
        return 0;
    }
    const char *eq = strchr(payload, '=');
    if (!eq || eq == payload)
        return -1;
    strv_push(&e->set, payload);
    strv_push(&e->ops, "S");
    return 0;
}

static int parse_quit(const char *payload, int *code)
{
    char *end;
    long v = strtol(payload, &end, 10);
    if (!*payload || *end || v < 0 || v > 255)
        return -1;
    *code = (int)v;
    return 0;
}

int proto_parse(const char *buf, size_t len, struct engine_answer *ans)
{
    if (len && buf[len - 1] != '\0')
        return -1;  /* torn record */
    for (size_t off = 0; off < len;) {
        const char *rec = buf + off;
        off += strlen(rec) + 1;
        int r = 0;
        switch ((enum proto_rec)rec[0]) {
        case REC_ARG: strv_push(&ans->argv, rec + 1); break;
        case REC_SETENV:
        case REC_UNSETENV: r = parse_env(&ans->env, (enum proto_rec)rec[0], rec + 1); break;
        case REC_DRY_RUN: ans->dry_run = 1; break;
        case REC_DEADLINE: break;
        case REC_QUIT:
            ans->quit = 1;
            r = parse_quit(rec + 1, &ans->quit_code);
            break;
        default: r = -1;
        }
        if (r)
            return -1;
    }
    if (ans->quit)
        return 0;
    return ans->argv.n > 0 && ans->argv.v[0][0] == '/' ? 0 : -1;
}

static int write_record(int fd, enum proto_rec type, const char *payload)
{
    size_t n = strlen(payload);
    char *rec = xmalloc(n + 2);
    rec[0] = (char)type;
    memcpy(rec + 1, payload, n + 1);
    int r = write_all(fd, rec, n + 2);
    free(rec);
    return r;
}

int proto_write_command(int fd, const struct strv *argv, const struct env_changes *env,
                        int dry_run)
{
    if (dry_run && write_record(fd, REC_DRY_RUN, ""))
        return -1;
    for (size_t i = 0; env && i < env->set.n; i++)
        if (write_record(fd, (enum proto_rec)env->ops.v[i][0], env->set.v[i]))
            return -1;
    for (size_t i = 0; i < argv->n; i++)
        if (write_record(fd, REC_ARG, argv->v[i]))
            return -1;
    return 0;
}

int proto_write_quit(int fd, int code)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%d", code);
    return write_record(fd, REC_QUIT, buf);
}

int proto_write_deadline(int fd, long long ms)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", ms < 0 ? 0 : ms);
    return write_record(fd, REC_DEADLINE, buf);
}

size_t proto_scan_deadline(const char *buf, size_t len, long long *ms, int *found)
{
    size_t off = 0;
    while (off < len) {
        const char *rec = buf + off;
        const char *nul = memchr(rec, '\0', len - off);
        if (!nul)
            break;  /* the rest is still coming */
        off = (size_t)(nul - buf) + 1;
        if (rec[0] != REC_DEADLINE)
            continue;
        char *end;
        long long v = strtoll(rec + 1, &end, 10);
        if (end != rec + 1 && !*end && v >= 0) {
            *ms = v;
            *found = 1;
        }
    }
    return off;
}
