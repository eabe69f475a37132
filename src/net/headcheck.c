/* headcheck.c — see headcheck.h. */
#include "headcheck.h"

#include <stdlib.h>

#include "curllib.h"
#include "httpeasy.h"
#include "msg.h"

int headcheck(const struct fetch_opts *o, const char *url, long *status, char **final_url,
              char **err)
{
    *status = 0;
    if (final_url)
        *final_url = NULL;
    CURL *e = curlapi()->easy_init();
    if (!e)
        return seterr(err, "cannot create a curl handle");
    struct http_settings s;
    http_settings_init(&s, o);
    char errbuf[CURL_ERROR_SIZE] = "";
    httpeasy_setup(e, &s, url, errbuf);
    curlapi()->easy_setopt(e, CURLOPT_NOBODY, 1L);
    CURLcode res = curlapi()->easy_perform(e);
    int r = 0;
    if (res != CURLE_OK) {
        r = seterr(err, "%s", errbuf[0] ? errbuf : curlapi()->easy_strerror(res));
    } else {
        char *eff = NULL;
        curlapi()->easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
        curlapi()->easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff);
        if (final_url && eff)
            *final_url = xstrdup(eff);
    }
    http_settings_free(&s);
    curlapi()->easy_cleanup(e);
    return r;
}
