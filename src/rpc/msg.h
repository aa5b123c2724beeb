/* msg: the envelopes of Go's net/rpc/jsonrpc codec, which Delve speaks.
 *
 *   request  {"method":"RPCServer.X","params":[{...}],"id":N}
 *   answer   {"id":N,"result":{...},"error":null}
 *            {"id":N,"result":null,"error":"message"}
 *
 * The server echoes the request's id whatever JSON it is; our client sends
 * unsigned integers.
 *
 * A request that carries "jsonrpc":"2.0" is answered in JSON-RPC 2.0's
 * shape instead: {"jsonrpc":"2.0","id":N,"result":{...}} or
 * {"jsonrpc":"2.0","id":N,"error":{"code":C,"message":"..."}}, with the
 * standard codes below; its params may also be the object itself. */
#ifndef TINYDBG_RPC_MSG_H
#define TINYDBG_RPC_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/errbuf.h"

/* A new request; takes ownership of params (NULL sends {}). */
struct json_object *msg_request_new(const char *method, uint64_t id,
				    struct json_object *params);

/* JSON-RPC 2.0's error codes. */
enum {
	MSG_PARSE_ERROR = -32700,
	MSG_INVALID_REQUEST = -32600,
	MSG_METHOD_NOT_FOUND = -32601,
	MSG_INVALID_PARAMS = -32602,
	MSG_INTERNAL_ERROR = -32603,
};

/* A request as read: every pointer borrows from the object parsed. */
struct msg_request {
	bool v2;                    /* "jsonrpc":"2.0" */
	int code;                   /* when parsing fails: the 2.0 error code */
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
/* The same in JSON-RPC 2.0's shape; code is one of the MSG_* above. */
struct json_object *msg_result_new2(struct json_object *id,
				    struct json_object *result);
struct json_object *msg_error_new2(struct json_object *id, int code,
				   const char *message);

/* An answer as read; pointers borrow from the object parsed. */
struct msg_response {
	bool null_id;               /* "id":null: an error about the connection
				     * itself (a refusal), not about a call */
	uint64_t id;
	struct json_object *result; /* NULL for a JSON null */
	const char *error;          /* NULL when the call succeeded */
};

/* Splits o into *resp. Returns 0, or -EPROTO when o is not an answer with
 * an unsigned integer id (what our client sends), or an error answer with
 * a null id (null_id). A 2.0 error object's message is taken as the
 * error. */
int msg_response_parse(struct json_object *o, struct msg_response *resp,
		       struct errbuf *eb);

#endif
