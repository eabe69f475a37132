/* fuzz_listing.c — listing_parse (src/pip/listing.h) on arbitrary HTML
 * (exactly size bytes, no NUL), against a PEP 503 page URL and a flat
 * find-links URL; then the URL helpers on the input split at its first
 * newline (base, reference). Every entry must carry an absolute URL and a
 * file name that parses as a wheel. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "listing.h"
#include "uriref.h"
#include "wheelname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_at(const char *html, size_t size, const char *base)
{
    struct listing l;
    memset(&l, 0, sizeof l);
    if (listing_parse(html, size, base, &l) == 0) {
        for (size_t i = 0; i < l.n; i++) {
            struct wheelname w;
            if (!l.v[i].url || !strstr(l.v[i].url, ":") || !l.v[i].filename)
                abort();
            if (wheelname_parse(l.v[i].filename, &w) != 0)
                abort();
            wheelname_free(&w);
        }
    }
    listing_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *html = malloc(size ? size : 1);
    if (!html)
        abort();
    if (size)
        memcpy(html, data, size);
    parse_at(html, size, "https://download.pytorch.org/whl/cu121/torch/");
    parse_at(html, size, "http://127.0.0.1:8080/pytorch-wheels/cu121/");
    free(html);

    char *a, *b;
    fuzz_split(data, size, &a, &b);
    free(uri_resolve(a, b));
    free(uri_resolve("https://mirror.example/a/b/c/", a));
    free(listing_percent_decode(a, strlen(a)));
    free(listing_html_unescape(b, strlen(b)));
    free(a);
    free(b);
    return 0;
}
