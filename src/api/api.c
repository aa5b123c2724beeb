#include "api/api.h"

#include <stdlib.h>
#include <string.h>

void api_breakpoint_release(struct api_breakpoint *bp)
{
	free(bp->name);
	free(bp->addrs);
	free(bp->file);
	free(bp->function_name);
	free(bp->root_func_name);
	memset(bp, 0, sizeof(*bp));
}

void api_frame_release(struct api_frame *f)
{
	free(f->function);
	free(f->file);
	memset(f, 0, sizeof(*f));
}

void api_tracepoint_result_release(struct api_tracepoint_result *r)
{
	for (size_t i = 0; i < r->ninput; i++)
		value_release(&r->input_params[i]);
	for (size_t i = 0; i < r->nreturn; i++)
		value_release(&r->return_params[i]);
	for (size_t i = 0; i < r->nstack; i++)
		api_frame_release(&r->stack[i]);
	free(r->input_params);
	free(r->return_params);
	free(r->stack);
	free(r->file);
	free(r->function_name);
	free(r->signal);
	free(r->handler);
	free(r->note);
	memset(r, 0, sizeof(*r));
}

void api_tracepoint_results_free(struct api_tracepoint_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		api_tracepoint_result_release(&r[i]);
	free(r);
}

void api_locations_release(struct api_location *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].file);
		free(l[i].function);
	}
	free(l);
}
