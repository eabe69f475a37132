/* wheelrank.h — which of several compatible wheels of one release pip
 * takes: the rank of a wheel's best tag in the order pip supports tags
 * (packaging.tags.sys_tags for CPython X.Y; pip's CandidateEvaluator sorts
 * a release's wheels by it, then by build tag).
 *
 * The order, P = the target's platform tags (wheelname.h, most specific
 * first), Y = the target's minor version:
 *   cpXY-cpXY-P, cpXY-abi3-P, cpXY-none-P, cp3{Y-1..2}-abi3-P,
 *   py3Y-none-P, py3-none-P, py3{Y-1..0}-none-P,
 *   cpXY-none-any, py3Y-none-any, py3-none-any, py3{Y-1..0}-none-any
 * (each line: every platform in P order). CPython before 3.8 also has its
 * cpXYm ABI where cpXY stands. Pure computation; nothing allocated. */
#ifndef TORCHSHIM_WHEELRANK_H
#define TORCHSHIM_WHEELRANK_H

#include "wheelname.h"

/* The rank of W's most preferred tag (0 best), or -1 when none of its tags
 * is supported on T. */
long wheel_rank(const struct wheelname *w, const struct wheel_target *t);

/* The build tag's order (PEP 427: a number, then a string): <0, 0, >0 as
 * A's sorts before, with, after B's; no build tag sorts first. */
int wheel_build_cmp(const char *a, const char *b);

#endif
