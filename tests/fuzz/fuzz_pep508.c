/* fuzz_pep508.c — requirement strings (src/pip/pep508.h). Input:
 * "REQUIREMENT\nSPECIFIER". A parsed requirement formatted and parsed again
 * must keep its normalised name; the specifier replaced and formatted
 * again must parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pep508.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *req, *spec;
    fuzz_split(data, size, &req, &spec);
    char *line = strdup(req);
    if (!line)
        abort();
    pep508_strip_comment(line);
    free(pep503_normalize(req));
    (void)pep508_name_valid(req);

    struct pep508_req r, r2;
    memset(&r, 0, sizeof r);
    memset(&r2, 0, sizeof r2);
    char *err = NULL;
    if (pep508_parse(line, &r, &err) == PEP508_OK) {
        char *s = pep508_format(&r);
        char *err2 = NULL;
        if (pep508_parse(s, &r2, &err2) != PEP508_OK || strcmp(r.norm_name, r2.norm_name))
            abort();
        free(err2);
        free(s);
        char *err3 = NULL;
        if (pep508_set_specifier(&r, spec, &err3) == 0) {
            struct pep508_req r3;
            memset(&r3, 0, sizeof r3);
            char *s3 = pep508_format(&r);
            char *err4 = NULL;
            if (pep508_parse(s3, &r3, &err4) != PEP508_OK)
                abort();
            pep508_free(&r3);
            free(err4);
            free(s3);
        }
        free(err3);
    }
    free(err);
    pep508_free(&r);
    pep508_free(&r2);
    free(line);
    free(req);
    free(spec);
    return 0;
}
