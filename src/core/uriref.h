/* uriref.h — RFC 3986 reference resolution (section 5.2: merge, remove
 * dot segments), for links in listings and shard URLs in shard indexes.
 * Pure string work: no library, no network. */
#ifndef TORCHSHIM_URIREF_H
#define TORCHSHIM_URIREF_H

#include <stddef.h>

/* A URI reference split into its parts (pointers into the string split;
 * lengths exclude the delimiters). */
struct uri {
    const char *scheme, *auth, *path, *query, *frag;
    size_t scheme_len, auth_len, path_len, query_len, frag_len;
    int has_scheme, has_auth, has_query, has_frag;
};

/* Split S (RFC 3986 appendix B). */
void uri_split(const char *s, struct uri *u);

/* REF resolved against BASE (malloc'd); NULL when BASE is not absolute
 * ("scheme:..."). The fragment of REF is kept. */
char *uri_resolve(const char *base, const char *ref);

#endif
