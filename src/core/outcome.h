/* outcome.h — how a pip or conda command came out of the engine, and what
 * the command layer needs to say and run.
 *
 * The modules below src/cmd/ never print (but verbose tracing): they put
 * what the user must hear into `warnings`, what -v shows into `notes`, and
 * why a request cannot be met into `error`; the command layer says them and
 * decides: exec the rewritten command, run the user's command unchanged, or
 * run nothing. */
#ifndef TORCHSHIM_OUTCOME_H
#define TORCHSHIM_OUTCOME_H

#include "proto.h"
#include "strv.h"

/* A resolution step's verdict. */
enum resolve_status {
    RESOLVE_OK = 0,        /* pins set (or nothing to pin) */
    RESOLVE_NO_MIRROR = 1, /* no source answered usable data: run the original command */
    RESOLVE_NONE_FITS = 2, /* the request cannot be met (healthy data says so): run nothing */
};

/* The whole command's. */
enum run_outcome {
    RUN_REWRITTEN = 0,     /* result.argv (and result.env) is the command to run */
    RUN_UNCHANGED,         /* nothing of ours to change: the user's command (notes say why) */
    RUN_NO_MIRROR,         /* no source answered: the user's command (warnings say so) */
    RUN_REFUSED,           /* cannot be met: result.error (one reason per line); run nothing */
    RUN_FAILED,            /* the engine could not follow it: result.error; the user's command */
};

struct run_result {
    struct strv argv;          /* RUN_REWRITTEN: argv[0] the real tool */
    struct env_changes env;
    struct strv warnings;      /* said always */
    struct strv notes;         /* said with -v */
    char *error;
};

#define RUN_RESULT_INIT { STRV_INIT, ENV_CHANGES_INIT, STRV_INIT, STRV_INIT, NULL }

void run_result_free(struct run_result *r);

#endif
