"""MLflow's REST API as an OpenAPI 3.1 document, derived from the protobuf descriptors of the installed wheel.

Run with the python of the platform's mlflow venv (scripts/codegen.mjs does, in capture mode); prints the
spec as JSON on stdout. The wheel ships no .proto files, only the generated *_pb2 modules: their
descriptors carry every service, message and field, and each method's (mlflow.rpc) option its HTTP
endpoints and visibility. What the descriptors do not say (streamed artifact bodies, routes registered by
hand in mlflow/server/__init__.py, a path the server does not serve as written) is added or corrected here
and marked with x-mlflow-source.
"""

import ast
import inspect
import json
import re
import sys

import mlflow
from google.protobuf.descriptor import FieldDescriptor as F
from mlflow.protos import (
    databricks_pb2,
    mlflow_artifacts_pb2,
    model_registry_pb2,
    service_pb2,
    webhooks_pb2,
)

SERVICES = [
    (service_pb2, "MlflowService"),
    (model_registry_pb2, "ModelRegistryService"),
    (mlflow_artifacts_pb2, "MlflowArtifactsService"),
    (webhooks_pb2, "WebhookService"),
]

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
NON_FINITE = ["NaN", "Infinity", "-Infinity"]
INT32 = {F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32, F.TYPE_UINT32, F.TYPE_FIXED32}
INT64 = {F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64, F.TYPE_UINT64, F.TYPE_FIXED64}
# Well-known types as MLflow's JSON (google.protobuf.json_format) writes them.
WELL_KNOWN = {
    "google.protobuf.Timestamp": {"type": "string", "description": "RFC 3339 timestamp"},
    "google.protobuf.Duration": {"type": "string", "description": 'duration in seconds, e.g. "1.5s"'},
    "google.protobuf.FieldMask": {"type": "string", "description": "comma-separated field paths"},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Any": {"type": "object", "additionalProperties": True},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.BoolValue": {"type": "boolean"},
    "google.protobuf.StringValue": {"type": "string"},
    "google.protobuf.BytesValue": {"type": "string", "contentEncoding": "base64"},
    "google.protobuf.DoubleValue": {"anyOf": [{"type": "number"}, {"type": "string", "enum": NON_FINITE}]},
    "google.protobuf.FloatValue": {"anyOf": [{"type": "number"}, {"type": "string", "enum": NON_FINITE}]},
    "google.protobuf.Int32Value": {"type": "integer"},
    "google.protobuf.UInt32Value": {"type": "integer"},
}
WELL_KNOWN_INT64 = {"google.protobuf.Int64Value", "google.protobuf.UInt64Value"}

schemas = {}
schema_sources = {}


def schema_name(full_name, direction):
    base = full_name.replace(".", "_")
    return base if direction == "response" else base + "__Input"


def differs(message, seen=None):
    """Whether a message's request-side schema differs from its response-side one (int64 or a required
    field somewhere: every response field is optional)."""
    seen = seen or set()
    if message.full_name in seen:
        return False
    seen.add(message.full_name)
    for field in message.fields:
        if field.type in INT64 or is_required(field):
            return True
        if field.type == F.TYPE_MESSAGE:
            if field.message_type.full_name in WELL_KNOWN_INT64:
                return True
            if field.message_type.full_name not in WELL_KNOWN and differs(field.message_type, seen):
                return True
    return False


def int64_schema(direction):
    if direction == "response":
        # message_to_json writes int64 as JSON numbers.
        return {"type": "integer", "format": "int64"}
    # The server parses a number or a decimal string.
    return {"anyOf": [{"type": "integer", "format": "int64"}, {"type": "string", "pattern": "^-?[0-9]+$"}]}


def scalar_schema(field, direction):
    t = field.type
    if t in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return {"anyOf": [{"type": "number"}, {"type": "string", "enum": NON_FINITE}]}
    if t in INT32:
        return {"type": "integer", "format": "int32"}
    if t in INT64:
        schema = int64_schema(direction)
        if direction == "response" and field.name.endswith("_unix_nano"):
            # Nanoseconds since the epoch are about 1.8e18, far beyond 2^53: sent as JSON numbers, they reach
            # JavaScript rounded to a multiple of 256 ns.
            schema["description"] = (
                "nanoseconds since the epoch, a JSON number beyond 2^53: JSON.parse rounds it (to 256 ns)"
            )
        return schema
    if t == F.TYPE_BOOL:
        return {"type": "boolean"}
    if t == F.TYPE_STRING:
        return {"type": "string"}
    if t == F.TYPE_BYTES:
        return {"type": "string", "contentEncoding": "base64"}
    if t == F.TYPE_ENUM:
        return {"type": "string", "enum": [v.name for v in field.enum_type.values]}
    raise ValueError(f"unhandled field type {t} of {field.full_name}")


def is_map(field):
    return field.type == F.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


def is_repeated(field):
    return field.is_repeated


def value_schema(field, direction):
    """The schema of one value of a field (an element, for a repeated field)."""
    if field.type in (F.TYPE_MESSAGE, F.TYPE_GROUP):
        full = field.message_type.full_name
        if full in WELL_KNOWN:
            return dict(WELL_KNOWN[full])
        if full in WELL_KNOWN_INT64:
            return int64_schema(direction)
        return {"$ref": "#/components/schemas/" + message_schema(field.message_type, direction)}
    return scalar_schema(field, direction)


def field_schema(field, direction):
    if is_map(field):
        value = field.message_type.fields_by_name["value"]
        return {"type": "object", "additionalProperties": value_schema(value, direction)}
    item = value_schema(field, direction)
    if is_repeated(field):
        return {"type": "array", "items": item}
    if field.has_default_value and field.type != F.TYPE_MESSAGE and direction == "request":
        default = field.default_value
        if field.type == F.TYPE_ENUM:
            default = field.enum_type.values_by_number[default].name
        if isinstance(default, bytes):
            default = default.decode()
        if not (isinstance(default, float) and default != default):
            item = {**item, "default": default}
    return item


def handler_required():
    """Fields the server's handlers require although the proto does not: mlflow/server/handlers.py calls
    _get_request_message(Message(), schema={"field": [..., _assert_required]}), and _assert_required always runs.
    Read from the handlers' source with ast (the schema dicts live inside the handler functions)."""
    import mlflow.server.handlers as handlers

    tree = ast.parse(inspect.getsource(handlers))
    out = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_get_request_message"):
            continue
        if not node.args or not isinstance(node.args[0], ast.Call) or not isinstance(node.args[0].func, ast.Name):
            continue
        message_class = getattr(handlers, node.args[0].func.id, None)
        if message_class is None:
            continue
        for keyword in node.keywords:
            if keyword.arg != "schema" or not isinstance(keyword.value, ast.Dict):
                continue
            for key, checks in zip(keyword.value.keys, keyword.value.values):
                names = {getattr(c, "id", None) for c in getattr(checks, "elts", [])}
                if isinstance(key, ast.Constant) and "_assert_required" in names:
                    out.setdefault(message_class.DESCRIPTOR.full_name, set()).add(key.value)
    return out


HANDLER_REQUIRED = handler_required()
# Required in effect though nothing asserts it: searchExperiments has no default for max_results, so omitting
# it sends 0, which the store rejects (400 "Invalid value 0 for parameter 'max_results' supplied").
HANDLER_REQUIRED.setdefault("mlflow.SearchExperiments", set()).add("max_results")


def is_required(field):
    if field.is_required:  # proto2 `required`
        return True
    if field.name in HANDLER_REQUIRED.get(field.containing_type.full_name, ()):
        return True
    options = field.GetOptions()
    return options.HasExtension(databricks_pb2.validate_required) and options.Extensions[
        databricks_pb2.validate_required
    ]


def object_schema(message, direction, skip=()):
    properties = {}
    required = []
    for field in message.fields:
        if field.name in skip:
            continue
        properties[field.name] = field_schema(field, direction)
        if direction == "request" and is_required(field):
            required.append(field.name)
    out = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def message_schema(message, direction):
    if direction == "request" and not differs(message):
        direction = "response"
    name = schema_name(message.full_name, direction)
    if schema_sources.get(name, message.full_name) != message.full_name:
        raise ValueError(f"schema name {name} of {message.full_name} collides with {schema_sources[name]}")
    if name not in schemas:
        schema_sources[name] = message.full_name
        schemas[name] = None  # placeholder: recursive messages refer to it before it is filled in
        schema = object_schema(message, direction)
        schema["x-proto-message"] = message.full_name
        # Closed, so that validating a real answer against the spec finds a field the spec does not know.
        schema["additionalProperties"] = False
        schemas[name] = schema
    return name


def not_implemented(module, service_name, method):
    import mlflow.server.handlers as handlers

    service_class = getattr(module, service_name)
    request_class = service_class().GetRequestClass(method)
    return handlers.get_handler(request_class) is handlers._not_implemented


def openapi_path(path, major):
    """The route the server registers for an endpoint: /api/<since.major>.0<path> (the minor is ignored), with
    Flask's <x> and <path:x> parameters and the proto's {x} all written {x}; Databricks' {assessment.trace_id}
    is served as {trace_id} (handlers._convert_path_parameter_to_flask_format). Returns the path, its
    parameter names and their Flask converters."""
    path = path.replace("{assessment.trace_id}", "{trace_id}")
    path = re.sub(r"\{(\w+)\}", r"<\1>", path)
    params = []
    converters = {}

    def replace(match):
        converter, name = match.group(1), match.group(2)
        params.append(name)
        if converter:
            converters[name] = converter
        return "{" + name + "}"

    path = re.sub(r"<(?:(\w+):)?(\w+)>", replace, path)
    return f"/api/{major}.0{path}", params, converters


def query_parameters(message, skip):
    out = []
    for field in message.fields:
        if field.name in skip:
            continue
        if field.type == F.TYPE_MESSAGE and not is_map(field) and field.message_type.full_name not in WELL_KNOWN:
            # A message in a query string: the server parses each value as JSON of that message.
            parameter = {
                "name": field.name,
                "in": "query",
                "content": {"application/json": {"schema": value_schema(field, "request")}},
            }
            if is_repeated(field):
                parameter["content"]["application/json"]["schema"] = {
                    "type": "array",
                    "items": value_schema(field, "request"),
                }
        else:
            parameter = {"name": field.name, "in": "query", "schema": field_schema(field, "request")}
            if is_repeated(field):
                parameter["style"] = "form"
                parameter["explode"] = True
        if is_required(field):
            parameter["required"] = True
        out.append(parameter)
    return out


def json_content(schema):
    return {"application/json": {"schema": schema}}


def proto_operations():
    operations = []  # (path, method, operation)
    rpcs = 0
    for module, service_name in SERVICES:
        service = module.DESCRIPTOR.services_by_name[service_name]
        for method in service.methods:
            rpcs += 1
            rpc = method.GetOptions().Extensions[databricks_pb2.rpc]
            endpoints = list(rpc.endpoints)
            if not endpoints:
                raise ValueError(f"{service_name}.{method.name} has no endpoint")
            for endpoint in endpoints:
                proto_path = endpoint.path
                notes = {}
                if not proto_path.startswith("/"):
                    # handlers._get_paths concatenates without a slash: the route registered is
                    # /api/2.0mlflow/..., which no client can mean. The server's hand-added ajax route is what works.
                    notes["x-mlflow-proto-path"] = proto_path
                    notes["x-mlflow-source"] = "handlers"
                    notes["description"] = (
                        f"The proto path '{proto_path}' has no leading slash, so the server registers "
                        f"/api/{endpoint.since.major}.0{proto_path}; the route that works is the ajax one, "
                        "registered by hand in mlflow/server."
                    )
                    path, params, converters = openapi_path("/" + proto_path, endpoint.since.major)
                    path = path.replace("/api/", "/ajax-api/", 1)
                else:
                    path, params, converters = openapi_path(proto_path, endpoint.since.major)
                http_method = endpoint.method.lower()
                operation_id = f"{service_name}_{method.name}"
                if len(endpoints) > 1:
                    operation_id += "_" + http_method
                request = method.input_type
                operation = {
                    "operationId": operation_id,
                    "summary": rpc.rpc_doc_title or method.name,
                    "tags": [service_name],
                    "x-mlflow-rpc": f"{service.full_name}.{method.name}",
                    "x-mlflow-visibility": databricks_pb2.Visibility.Name(rpc.visibility),
                    "x-mlflow-since": f"{endpoint.since.major}.{endpoint.since.minor}",
                    **notes,
                }
                parameters = []
                for name in params:
                    parameter = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    if converters.get(name) == "path":
                        parameter["x-mlflow-path-converter"] = "path"
                        parameter["description"] = "may contain '/' (Flask's path converter)"
                    parameters.append(parameter)
                if http_method == "get":
                    parameters += query_parameters(request, set(params))
                else:
                    # A path parameter is left out of the body, unless the handler also requires it there
                    # (finalizeLoggedModel and LogLoggedModelParams read model_id from both).
                    in_body = HANDLER_REQUIRED.get(request.full_name, set())
                    body = object_schema(request, "request", skip=set(params) - in_body)
                    body["x-proto-message"] = request.full_name
                    body["additionalProperties"] = False
                    operation["requestBody"] = {"required": bool(body.get("required")), "content": json_content(body)}
                if parameters:
                    operation["parameters"] = parameters
                response_ref = {"$ref": "#/components/schemas/" + message_schema(method.output_type, "response")}
                operation["responses"] = {
                    "200": {"description": "OK", "content": json_content(response_ref)},
                    "default": {"description": "MLflow error", "content": json_content(ERROR_REF)},
                }
                if path.startswith("/api/3.0/mlflow/workspaces"):
                    # Workspaces exist only on a server started with --enable-workspaces; without it the server
                    # answers every workspace route with a 503 and a text body (Flask's str, text/html).
                    operation["responses"]["503"] = {
                        "description": "the server runs without --enable-workspaces (plain text, labelled text/html)",
                        "content": HTML_TEXT,
                    }
                # (searchDatasets has no entry in HANDLERS either: mlflow/server serves it by hand on the ajax route.)
                if not notes and not_implemented(module, service_name, method):
                    # The route exists, but the open-source server maps this request to _not_implemented.
                    operation["x-mlflow-not-implemented"] = True
                    operation["description"] = (
                        "No handler in the open-source server: it answers 404 with an empty body."
                    )
                    operation["responses"] = {"404": {"description": "not implemented (empty body)"}}
                operations.append((path, http_method, operation))
    return operations, rpcs


BINARY = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
# Downloads are sent with a content type guessed from the file name (text/plain for MLmodel, ...).
DOWNLOAD = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
TEXT = {"text/plain": {"schema": {"type": "string"}}}
HTML_TEXT = {"text/html": {"schema": {"type": "string"}}}  # Flask's default for a returned str


def streamed_artifacts(operations):
    """The artifact proxy's download and upload carry raw bytes, which their (empty) messages do not say."""
    for path, method, operation in operations:
        rpc = operation["x-mlflow-rpc"]
        if rpc == "mlflow.artifacts.MlflowArtifactsService.downloadArtifact":
            operation.pop("parameters", None)
            operation["parameters"] = [p for p in _path_params(path)]
            operation["responses"]["200"] = {"description": "the file's bytes, streamed", "content": DOWNLOAD}
            operation["x-mlflow-source"] = "handlers"
        elif rpc == "mlflow.artifacts.MlflowArtifactsService.uploadArtifact":
            operation["requestBody"] = {"required": True, "content": BINARY}
            # The handler answers 200 with an empty body and no content type.
            operation["responses"]["200"] = {"description": "stored (empty body)"}
            operation["x-mlflow-source"] = "handlers"
        elif rpc == "mlflow.artifacts.MlflowArtifactsService.deleteArtifact":
            operation.pop("requestBody", None)
            operation["x-mlflow-source"] = "handlers"


def _path_params(path):
    for name in re.findall(r"\{(\w+)\}", path):
        parameter = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        if name == "artifact_path":
            parameter["x-mlflow-path-converter"] = "path"
            parameter["description"] = "may contain '/' (Flask's path converter)"
        yield parameter


def q(name, schema, required=False, repeated=False, description=None):
    parameter = {"name": name, "in": "query", "schema": schema}
    if required:
        parameter["required"] = True
    if repeated:
        parameter.update(style="form", explode=True, schema={"type": "array", "items": schema})
    if description:
        parameter["description"] = description
    return parameter


def handler_routes():
    """Routes registered by hand in mlflow/server (not in any proto), as the 3.18 handlers serve them."""
    errors = {"default": {"description": "MLflow error", "content": json_content(ERROR_REF)}}

    def op(operation_id, summary, parameters, ok, description=None):
        operation = {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["Handlers"],
            "x-mlflow-source": "handlers",
            "responses": {"200": ok, **errors},
        }
        if parameters:
            operation["parameters"] = parameters
        if description:
            operation["description"] = description
        return operation

    string = {"type": "string"}
    metric = {"$ref": "#/components/schemas/MetricWithRunId"}
    schemas["MetricWithRunId"] = {
        "type": "object",
        "x-mlflow-source": "handlers",
        "properties": {
            "key": string,
            "value": {"anyOf": [{"type": "number"}, {"type": "string", "enum": NON_FINITE}]},
            "timestamp": {"type": "integer", "format": "int64"},
            "step": {"type": "integer", "format": "int64"},
            "run_id": string,
        },
        "additionalProperties": False,
    }
    schemas["GetMetricHistoryBulk_Response"] = {
        "type": "object",
        "x-mlflow-source": "handlers",
        "properties": {"metrics": {"type": "array", "items": metric}},
        "additionalProperties": False,
    }
    return [
        ("/health", "get", op("health", "Health check", [], {"description": '"OK"', "content": TEXT})),
        ("/version", "get", op("version", "The server's MLflow version", [], {"description": "e.g. 3.18.0 (plain text, labelled text/html)", "content": HTML_TEXT})),
        (
            "/get-artifact",
            "get",
            op(
                "getArtifact",
                "Download one artifact file of a run",
                [q("path", string, required=True), q("run_id", string), q("run_uuid", string, description="deprecated alias of run_id")],
                {"description": "the file's bytes", "content": DOWNLOAD},
            ),
        ),
        (
            "/model-versions/get-artifact",
            "get",
            op(
                "getModelVersionArtifact",
                "Download one artifact file of a model version",
                [
                    q("path", string, required=True),
                    q("name", string, required=True),
                    q("version", string, required=True),
                    q("presigned", {"type": "string", "enum": ["true", "false"]}),
                ],
                {"description": "the file's bytes (a presigned URL's JSON with presigned=true)", "content": DOWNLOAD},
            ),
        ),
        (
            "/ajax-api/2.0/mlflow/metrics/get-history-bulk",
            "get",
            op(
                "getMetricHistoryBulk",
                "Metric history of one key for up to 100 runs",
                [
                    q("run_id", string, required=True, repeated=True),
                    q("metric_key", string, required=True),
                    q("max_results", {"type": "integer", "default": 25000, "maximum": 25000}),
                ],
                {"description": "OK", "content": json_content({"$ref": "#/components/schemas/GetMetricHistoryBulk_Response"})},
                description=(
                    "Written by Flask's jsonify, not message_to_json: a NaN value comes out as the bare token NaN "
                    "(not JSON), and ±Infinity as the SQL store keeps it (±1.7976931348623157e+308)."
                ),
            ),
        ),
        (
            "/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files",
            "get",
            op(
                "getLoggedModelArtifact",
                "Download one artifact file of a logged model",
                [
                    {"name": "model_id", "in": "path", "required": True, "schema": string},
                    q("artifact_file_path", string, required=True),
                    q("presigned", {"type": "string", "enum": ["true", "false"]}),
                ],
                {"description": "the file's bytes", "content": DOWNLOAD},
            ),
        ),
        (
            "/api/3.0/mlflow/server-info",
            "get",
            op(
                "getServerInfo",
                "Server capabilities",
                [],
                {"description": "OK", "content": json_content({"type": "object", "additionalProperties": True})},
            ),
        ),
    ]


def main():
    operations, rpcs = proto_operations()
    streamed_artifacts(operations)
    hand = handler_routes()
    schemas["ErrorResponse"] = {
        "type": "object",
        "x-mlflow-source": "handlers",
        "description": "MlflowException.serialize_as_json",
        "properties": {
            "error_code": {"type": "string"},
            "message": {"type": "string"},
            "sqlstate": {"type": "string"},
            "error_class": {"type": "string"},
        },
        "required": ["error_code", "message"],
    }
    paths = {}
    seen_ids = set()
    for path, method, operation in operations + hand:
        if operation["operationId"] in seen_ids:
            raise ValueError(f"duplicate operationId {operation['operationId']}")
        seen_ids.add(operation["operationId"])
        if method in paths.setdefault(path, {}):
            raise ValueError(f"two operations for {method.upper()} {path}")
        paths[path][method] = operation
    spec = {
        "openapi": "3.1.0",
        "info": {
            "title": "MLflow REST API",
            "version": mlflow.__version__,
            "description": (
                "Derived by scripts/mlflow_openapi.py from the protobuf descriptors of the mlflow "
                f"{mlflow.__version__} wheel ({rpcs} RPCs of {', '.join(s for _, s in SERVICES)}), plus the routes "
                "mlflow/server registers by hand (x-mlflow-source: handlers). Responses: int64 as JSON numbers, "
                "unset fields omitted, non-finite doubles as the strings NaN, Infinity, -Infinity."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:5000"}],
        "paths": paths,
        "components": {"schemas": schemas},
        "x-mlflow-rpcs": rpcs,
    }
    json.dump(spec, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
