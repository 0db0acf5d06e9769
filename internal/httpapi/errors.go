package httpapi

import (
	"fmt"
	"net/http"
)

// Error types: the broad class of an error, for a client's control flow.
const (
	// TypeInvalidRequest: the request is malformed or names something
	// that does not exist; fix it before retrying.
	TypeInvalidRequest = "invalid_request_error"
	// TypeAuthentication: no key, an unknown key or a revoked one.
	TypeAuthentication = "authentication_error"
	// TypePermission: the key may not do this (scope, kind or owner).
	TypePermission = "permission_error"
	// TypeIdempotency: the Idempotency-Key was used differently, or its
	// first request is still running.
	TypeIdempotency = "idempotency_error"
	// TypeRefused: a valid request the business rules refused (funds,
	// limits, review); nothing changed.
	TypeRefused = "refused_error"
	// TypeAPI: our side failed; retrying with the same Idempotency-Key is
	// safe.
	TypeAPI = "api_error"
)

// Error is the body of every error response:
// {"error":{"type":…,"code":…,"message":…,"param":…}}. Handlers return
// one (with Errorf) or a domain error that a registered mapper knows.
type Error struct {
	Code    string
	Message string
	Param   string
}

func (e *Error) Error() string { return "httpapi: " + e.Code + ": " + e.Message }

// Errorf returns the error of code (which must be in the registry's
// table) with a message for the developer and the offending parameter
// ("" when none).
func Errorf(code, param, format string, args ...any) *Error {
	return &Error{Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is one row of the error table: a stable snake_case code, its
// HTTP status and type, and what it means (the OpenAPI document and the
// reference page show it).
type ErrorCode struct {
	Code   string
	Status int
	Type   string
	Doc    string
}

// The framework's own error codes.
const (
	CodeAPIKeyMissing         = "api_key_missing"
	CodeAPIKeyInvalid         = "api_key_invalid"
	CodeAPIKeyRevoked         = "api_key_revoked"
	CodeSecretKeyRequired     = "secret_key_required"
	CodeKeyNotAllowed         = "key_not_allowed"
	CodeInsufficientScope     = "insufficient_scope"
	CodeIdempotencyKeyMissing = "idempotency_key_missing"
	CodeIdempotencyKeyInvalid = "idempotency_key_invalid"
	CodeIdempotencyKeyReused  = "idempotency_key_reused"
	CodeIdempotencyKeyInUse   = "idempotency_key_in_use"
	CodeAPIVersionInvalid     = "api_version_invalid"
	CodeInvalidJSON           = "invalid_json"
	CodeParameterMissing      = "parameter_missing"
	CodeParameterInvalid      = "parameter_invalid"
	CodeParameterUnknown      = "parameter_unknown"
	CodeResourceMissing       = "resource_missing"
	CodeRouteNotFound         = "route_not_found"
	CodeInternal              = "internal_error"
)

// frameworkCodes are the errors every route may answer.
var frameworkCodes = []ErrorCode{
	{CodeAPIKeyMissing, http.StatusUnauthorized, TypeAuthentication, "No API key: send `Authorization: Bearer sk_…` (or the key as the basic-auth user). Cookies never authenticate the API."},
	{CodeAPIKeyInvalid, http.StatusUnauthorized, TypeAuthentication, "The API key is not one of ours (mistyped, or from another environment)."},
	{CodeAPIKeyRevoked, http.StatusUnauthorized, TypeAuthentication, "The API key was revoked; create a new one."},
	{CodeSecretKeyRequired, http.StatusForbidden, TypePermission, "A publishable key cannot call this route; use a secret key on your server."},
	{CodeKeyNotAllowed, http.StatusForbidden, TypePermission, "This route is not for this kind of key (a customer's wallet key on a merchant route, a test key on a live-only route, or the reverse)."},
	{CodeInsufficientScope, http.StatusForbidden, TypePermission, "The key lacks the scope this route needs (see the route's scopes)."},
	{CodeIdempotencyKeyMissing, http.StatusBadRequest, TypeInvalidRequest, "Every POST needs an `Idempotency-Key` header (up to 200 printable ASCII characters, a UUID is ideal)."},
	{CodeIdempotencyKeyInvalid, http.StatusBadRequest, TypeInvalidRequest, "The `Idempotency-Key` is longer than 200 characters or not printable ASCII."},
	{CodeIdempotencyKeyReused, http.StatusBadRequest, TypeIdempotency, "The `Idempotency-Key` was used in the last 24 hours for a different request (method, path or body); use a new key for a new request."},
	{CodeIdempotencyKeyInUse, http.StatusConflict, TypeIdempotency, "Another request with this `Idempotency-Key` is still running; retry after it finishes to get its result."},
	{CodeAPIVersionInvalid, http.StatusBadRequest, TypeInvalidRequest, "The `OKPay-Version` header names no version this server knows."},
	{CodeInvalidJSON, http.StatusBadRequest, TypeInvalidRequest, "The body is not a JSON object (send `Content-Type: application/json`)."},
	{CodeParameterMissing, http.StatusBadRequest, TypeInvalidRequest, "A required parameter is missing; `param` names it."},
	{CodeParameterInvalid, http.StatusBadRequest, TypeInvalidRequest, "A parameter has the wrong type or value; `param` names it."},
	{CodeParameterUnknown, http.StatusBadRequest, TypeInvalidRequest, "The body has a parameter this route does not take; `param` names it."},
	{CodeResourceMissing, http.StatusNotFound, TypeInvalidRequest, "No object with this id is visible to the key; `param` names the id's parameter."},
	{CodeRouteNotFound, http.StatusNotFound, TypeInvalidRequest, "No route has this method and path."},
	{CodeInternal, http.StatusInternalServerError, TypeAPI, "Something failed on our side and was logged with the request id; retrying with the same `Idempotency-Key` is safe."},
}
