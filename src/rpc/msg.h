/* msg: the envelopes of Go's net/rpc/jsonrpc codec, which Delve speaks.
 *
 *   request  {"method":"RPCServer.X","params":[{...}],"id":N}
 *   answer   {"id":N,"result":{...},"error":null}
 *            {"id":N,"result":null,"error":"message"}
 *
 * The server echoes the request's id whatever JSON it is; our client sends
 * unsigned integers. */
#ifndef TINYDBG_RPC_MSG_H
#define TINYDBG_RPC_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/errbuf.h"

/* A new request; takes ownership of params (NULL sends {}). */
struct json_object *msg_request_new(const char *method, uint64_t id,
				    struct json_object *params);

/* A request as read: every pointer borrows from the object parsed. */
struct msg_request {
	const char *method;
	bool has_id;
	struct json_object *id;     /* may be NULL for a JSON null id */
	struct json_object *params; /* the object in "params":[{...}];
				     * NULL when none was sent */
};

/* Splits o into *req. Returns 0, or -EINVAL with a message when o is not a
 * request; req->has_id/req->id are filled whenever the id could be found,
 * so that even a bad request can be answered. */
int msg_request_parse(struct json_object *o, struct msg_request *req,
		      struct errbuf *eb);

/* A new answer to the request of id (borrowed: a reference is taken).
 * msg_result_new takes ownership of result (NULL sends {}). */
struct json_object *msg_result_new(struct json_object *id,
				   struct json_object *result);
struct json_object *msg_error_new(struct json_object *id, const char *message);

/* An answer as read; pointers borrow from the object parsed. */
struct msg_response {
	uint64_t id;
	struct json_object *result; /* NULL for a JSON null */
	const char *error;          /* NULL when the call succeeded */
};

/* Splits o into *resp. Returns 0, or -EPROTO when o is not an answer with
 * an unsigned integer id (what our client sends). */
int msg_response_parse(struct json_object *o, struct msg_response *resp,
		       struct errbuf *eb);

#endif
