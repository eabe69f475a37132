/* listing.h — wheel links out of an index page: HTML (PEP 503 and flat
 * find-links pages) or PEP 691 JSON.
 *
 * Reads the pages pip reads: a PEP 503 project page
 * (https://download.pytorch.org/whl/cu121/torch/), a flat find-links page
 * (nginx autoindex as on mirrors.aliyun.com/pytorch-wheels/cu121/, the legacy
 * /whl/torch_stable.html). Every <a href=...> counts, whatever its attribute
 * order and quoting (double, single, none); HTML comments are skipped and a
 * <base href> changes the base. Attribute values are HTML-unescaped
 * (&lt; &gt; &amp; &quot; &#39; &#NN; &#xNN;).
 *
 * Each href is resolved against the page URL by RFC 3986 §5.2 (relative
 * "torch-2.3.1%2Bcu121-...whl", "cu121/torch-...", "../../files/...",
 * root-relative "/whl/cu121/...", network-path "//host/..." and absolute
 * URLs on other hosts). base_url must be the URL the page was finally
 * served from (after redirects, with its trailing slash), as pip uses it.
 *
 * Only wheels are kept as entries: the file name is the last path segment
 * of the resolved URL, percent-decoded, and must parse as a wheel name.
 * Source archives are counted in nsdists, every other link in nskipped.
 *
 * PEP 658/714 metadata files: an anchor's data-core-metadata (PEP 714) or,
 * without it, data-dist-info-metadata (PEP 658), unescaped, is "true" or
 * "<algo>=<hex>" (has_metadata, metadata_hash); absent or "false": none.
 *
 * listing_parse_json() reads a PEP 691 project page
 * (application/vnd.pypi.simple.v1+json): meta.api-version must be 1.x when
 * given; every files[] object counts as a link to its url (resolved against
 * base_url like an href), named by its filename (else the URL's last
 * segment), with hashes (sha256 preferred, else the first), requires-python,
 * yanked (true or a reason string) and core-metadata / dist-info-metadata
 * (true, false or a hashes object) into the same struct listing.
 *
 * Memory: listing_parse fills *out (release with listing_free, also safe
 * after a failure). Returned strings are malloc'd for the caller. */
#ifndef TORCHSHIM_LISTING_H
#define TORCHSHIM_LISTING_H

#include <stddef.h>

#include "strv.h"
#include "wheelname.h"

struct listing_entry {
    char *filename;        /* "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl" */
    char *url;             /* absolute, still percent-encoded, without #fragment */
    char *hash;            /* the fragment when it is "algo=hex" ("sha256=..."), or NULL */
    char *requires_python; /* data-requires-python, unescaped (">=3.8.0"), or NULL */
    int yanked;            /* data-yanked present (PEP 592) */
    char *yanked_reason;   /* its value ("" when none given); NULL unless yanked */
    int has_metadata;      /* PEP 658/714: the index serves <url>.metadata */
    char *metadata_hash;   /* that file's "algo=hex" ("sha256=..."), or NULL */
    struct wheelname wheel;
};

struct listing {
    struct listing_entry *v;
    size_t n;
    size_t nsdists;  /* .tar.gz/.zip/... links seen and left out */
    size_t nskipped; /* other links: directories, "../", malformed wheel names */
    struct strv dirs; /* the directories linked ("cu121" of an autoindex's cu121/) */
};

/* 0 ok (an empty page is fine), -1 when base_url is not an absolute URL. */
int listing_parse(const char *html, size_t len, const char *base_url, struct listing *out);
void listing_free(struct listing *l);

/* PEP 691 JSON. 0 ok; -1 with *err when base_url is not absolute, the text
 * is not a JSON object, its api-version is not 1.x or it has no files
 * array (*out is then empty; listing_free is safe). */
int listing_parse_json(const char *json, size_t len, const char *base_url, struct listing *out,
                       char **err);

/* JSON (the first non-blank byte is '{') or HTML, by the body itself; for a
 * response whose Content-Type is not known. Returns and fills as above. */
int listing_parse_any(const char *body, size_t len, const char *base_url, struct listing *out,
                      char **err);

/* %XX decoding of n bytes of s (invalid escapes are kept as written). */
char *listing_percent_decode(const char *s, size_t n);

/* HTML character references in n bytes of s decoded (UTF-8 output). */
char *listing_html_unescape(const char *s, size_t n);

#endif
