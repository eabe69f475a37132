/* fuzz_pep440.c — PEP 440 versions and specifier sets (src/pip/pep440.h).
 * Input: "SPECSET\nVERSION". A parsed version printed and parsed again must
 * compare equal to itself; a parsed specifier set printed and parsed again
 * must match the same way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pep440.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec, *ver;
    fuzz_split(data, size, &spec, &ver);
    struct pep440 v, v2, pinned_copy;
    memset(&v, 0, sizeof v);
    memset(&v2, 0, sizeof v2);
    memset(&pinned_copy, 0, sizeof pinned_copy);
    int have_v = pep440_parse(ver, &v) == 0;
    if (have_v) {
        char *s = pep440_str(&v);
        if (pep440_parse(s, &v2) != 0 || pep440_cmp(&v, &v2) != 0)
            abort();
        free(pep440_public_str(&v));
        free(pep440_base_str(&v));
        (void)pep440_is_pre(&v);
        (void)pep440_cmp_public(&v, &v2);
        (void)pep440_cmp_base(&v, &v2);
        pep440_copy(&pinned_copy, &v);
        free(s);
    }
    struct pep440_specset ss, ss2;
    memset(&ss, 0, sizeof ss);
    memset(&ss2, 0, sizeof ss2);
    char *err = NULL;
    if (pep440_specset_parse(spec, &ss, &err) == 0) {
        char *s = pep440_specset_str(&ss);
        char *err2 = NULL;
        if (pep440_specset_parse(s, &ss2, &err2) != 0)
            abort();
        if (have_v) {
            for (int pre = 0; pre < 2; pre++)
                if (pep440_specset_match(&ss, &v, pre) != pep440_specset_match(&ss2, &v, pre))
                    abort();
        }
        const struct pep440 *pinned = NULL;
        (void)pep440_specset_is_exact(&ss, &pinned);
        (void)pep440_specset_names_pre(&ss);
        free(err2);
        free(s);
    }
    free(err);
    pep440_specset_free(&ss);
    pep440_specset_free(&ss2);
    pep440_free(&v);
    pep440_free(&v2);
    pep440_free(&pinned_copy);
    free(spec);
    free(ver);
    return 0;
}
