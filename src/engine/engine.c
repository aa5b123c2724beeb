#include "engine/engine.h"

#include <string.h>

/* Adding a backend is one folder and one entry here. */
static const struct engine_ops *const engines[] = {
	&ptrace_engine_ops,
	&ebpf_engine_ops,
	&inproc_engine_ops,
};

const struct engine_ops *engine_find(const char *name)
{
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	return NULL;
}
