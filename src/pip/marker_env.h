/* marker_env.h — PEP 508 environment markers evaluated for the interpreter
 * the real pip runs (the `; platform_system == "Linux"` of a Requires-Dist).
 *
 * Grammar (PEP 508): or/and of comparisons `VAR OP "value"` or
 * `"value" OP VAR` (either side may be the variable; two literals compare
 * too), parentheses; `and` binds tighter than `or`. Strings in '...' or
 * "...". OP: < <= == != >= > ~= === in, not in.
 *
 * Comparison as packaging (pip's library) does it: when OP and the right
 * side make a valid PEP 440 specifier (`>= "3.8"`, `== "3.*"`), the left
 * side is matched as a version (pre-releases allowed); otherwise `in` /
 * `not in` test substrings and < <= == != >= > compare strings; ~= and ===
 * on non-versions are unknown. `extra` compares PEP 503-normalised names.
 *
 * Variables: python_version ("3.11"), python_full_version ("3.11.2"),
 * sys_platform ("linux", "darwin", "win32"), platform_system ("Linux",
 * "Darwin", "Windows"), os_name ("posix", "nt"), platform_machine ("x86_64",
 * "aarch64"), implementation_name ("cpython"),
 * platform_python_implementation ("CPython"), implementation_version (=
 * python_full_version), extra. A variable whose value is not known (NULL in
 * struct marker_env: platform_release, platform_version, a full version
 * that pyinfo could not tell) makes its comparison unknown.
 *
 * Three-valued: MARKER_TRUE, MARKER_FALSE, MARKER_UNKNOWN (a comparison on
 * an unknown value, where the other operand does not settle the and/or).
 * A marker that does not parse is MARKER_ERROR with *err. Nothing is
 * printed; no allocation survives a call except *err. */
#ifndef TORCHSHIM_MARKER_ENV_H
#define TORCHSHIM_MARKER_ENV_H

#include "strv.h"

enum marker_result { MARKER_FALSE = 0, MARKER_TRUE = 1, MARKER_UNKNOWN = 2, MARKER_ERROR = -1 };

struct marker_env {
    char python_version[16];        /* "3.11" */
    char python_full_version[32];   /* "3.11.2", "" unknown */
    char sys_platform[16];
    char platform_system[16];
    char os_name[8];
    char platform_machine[65];
    const struct strv *extras;      /* the extras asked for the distribution
                                       whose requirements are evaluated
                                       (NULL: none; then extra == "") */
};

/* Fill ENV for CPython X.Y (FULL "3.11.2" or NULL / "3.11" when unknown) on
 * OS ("linux", "darwin", "windows"/"win32") and MACHINE (uname -m). 0, or -1
 * with *err for an OS that is none of these. */
int marker_env_init(struct marker_env *env, int major, int minor, const char *full,
                    const char *os, const char *machine, char **err);

/* Evaluate MARKER (the text after ';', without it) for ENV. */
int marker_eval(const char *marker, const struct marker_env *env, char **err);

#endif
