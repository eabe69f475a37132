/* headcheck.h — does a server serve a file? One HEAD request, redirects
 * followed within the fetch_opts policy (httpeasy.h), the status and the
 * URL it ended at. Blocking: for the handful of checks a resolution makes
 * after its concurrent fetches. */
#ifndef TORCHSHIM_HEADCHECK_H
#define TORCHSHIM_HEADCHECK_H

#include "fetch.h"

/* 0 with *status (the final response's) and *final_url (malloc'd; may be
 * NULL), or -1 with *err when no answer came. */
int headcheck(const struct fetch_opts *o, const char *url, long *status, char **final_url,
              char **err);

#endif
