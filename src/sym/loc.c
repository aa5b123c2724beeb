/* loc: the probe plan's entries (see loc.h). */
#include "sym/loc.h"

#include <stdlib.h>

void loc_release(struct loc *l)
{
	if (!l)
		return;
	free(l->pieces);
	l->pieces = NULL;
	l->npieces = 0;
}

bool loc_is_optimized(const struct loc *l)
{
	if (!l)
		return true;
	for (size_t i = 0; i < l->npieces; i++)
		if (l->pieces[i].kind != LOC_OPTIMIZED)
			return false;
	return true;
}
