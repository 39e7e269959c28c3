/* plugin_helpers.h — what the plugin suites share: checking that the last
 * error message holds a part. */
#ifndef RILL_TESTS_PLUGIN_HELPERS_H
#define RILL_TESTS_PLUGIN_HELPERS_H

#include "helpers.h"

static inline void assert_message_has(const char *part)
{
    const char *msg = rill_error_last();
    if (strstr(msg, part) == NULL)
        fail_msg("message '%s' lacks '%s'", msg, part);
}

#endif
