"""Check every AWS call the local runtime made against the IAM policies of the deployed roles.

The emulator enforces no IAM, so a missing permission shows only in AWS. Here:

1. ytcaption.store.aws records each call a component of the runtime makes (YTC_AWS_CALL_LOG: one
   JSON line per call, in a file per process: component, service, operation, the names of what it
   touches). Components: a Lambda by its function name (AWS_LAMBDA_FUNCTION_NAME in its sandbox),
   `api` (the local uvicorn process, which is the `api` Lambda in AWS), `worker` (the ECS task).
   The test process has no component name and is not recorded.
2. The state machine's own calls are derived from the Task states of its definition (as
   substituted in the template): Step Functions makes them with the state machine's role.
3. Each call becomes IAM requests (action and resource ARN), evaluated with moto's IAM policy
   evaluator against the identity policies the synthesized template attaches to the component's
   role. Intrinsics resolve with the local account and region and the names the local runtime uses.

Limits (said in the report too): Conditions are ignored (an Allow with a Condition allows, a Deny
with one denies); resource policies, permission boundaries and SCPs are not evaluated; a task token
is taken to belong to ytcaption's state machine (SendTask* are granted on its ARN).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.cdk.resolve import ACCOUNT, REGION
from ytcaption import resources

CALL_LOG_ENV = "YTC_AWS_CALL_LOG"
# The default (GPU) synthesized template, kept by whoever synthesized it in this pytest session.
GPU_TEMPLATE = pytest.StashKey[dict[str, Any]]()
STATE_MACHINE_COMPONENT = "state-machine"
WORKER_COMPONENT = "worker"
# The local API process serves the same FastAPI app as this Lambda, with its role in AWS.
LOCAL_API = {"api": resources.lambda_spec("api").function_name}

LIMITS = (
    "Conditions are ignored (an Allow with a Condition allows, a Deny with one denies)",
    "only identity policies attached to the role are evaluated (no resource policies, boundaries, SCPs)",
    "a task token is taken to belong to the ytcaption state machine",
    "presigned URLs are recorded as the operation they sign (what the signing role must allow); "
    "a presigned POST's key is not recorded: it is checked as s3:PutObject under uploads/",
)


@dataclass(frozen=True)
class Request:
    """One IAM authorization: an action on a resource ARN."""

    action: str
    resource: str


# -- calls -> requests ---------------------------------------------------------

# SES v2's API authorizes with the `ses:` actions.
_PREFIX = {"stepfunctions": "states", "cloudwatch": "cloudwatch", "logs": "logs", "sesv2": "ses"}
_NEEDS_NOTHING = {("sts", "GetCallerIdentity")}
_ACTIONS = {
    "s3": {
        "ListObjectsV2": "ListBucket",
        "ListObjects": "ListBucket",
        "HeadBucket": "ListBucket",
        "HeadObject": "GetObject",
        "CreateMultipartUpload": "PutObject",
        "UploadPart": "PutObject",
        "CompleteMultipartUpload": "PutObject",
        "ListParts": "ListMultipartUploadParts",
        "ListMultipartUploads": "ListBucketMultipartUploads",
        "ListObjectVersions": "ListBucketVersions",
        "DeleteObjects": "DeleteObject",
    },
    "sqs": {
        "SendMessageBatch": "SendMessage",
        "DeleteMessageBatch": "DeleteMessage",
        "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    },
    "lambda": {"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction"},
}
_TRANSACT = {
    "ConditionCheck": "ConditionCheckItem",
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "Get": "GetItem",
}


def _arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def queue_arn(url: str) -> str:
    """arn:aws:sqs:... of a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, or the emulator's)."""
    parts = [p for p in urlparse(url).path.split("/") if p]
    account, name = (parts[-2], parts[-1]) if len(parts) >= 2 else (ACCOUNT, parts[-1])
    return _arn("sqs", name, account=account)


def _table_arn(name: str, index: str | None = None) -> str:
    table = name if name.startswith("arn:") else _arn("dynamodb", f"table/{name}")
    return f"{table}/index/{index}" if index else table


def _function_arn(name: str) -> str:
    return name if name.startswith("arn:") else _arn("lambda", f"function:{name}")


def _bus_arn(name: str) -> str:
    return name if name.startswith("arn:") else _arn("events", f"event-bus/{name}")


def requests_for(call: dict[str, Any]) -> list[Request]:
    """The IAM requests AWS authorizes for one recorded call (none for calls that need no permission)."""
    service, operation = str(call["service"]), str(call["operation"])
    if (service, operation) in _NEEDS_NOTHING:
        return []
    action = f"{_PREFIX.get(service, service)}:{_ACTIONS.get(service, {}).get(operation, operation)}"
    if service == "s3" and operation == "CreateBucket" and call.get("presigned"):
        # A presigned POST: botocore signs it with CreateBucket's model and the bucket alone, so its
        # key is not recorded. This project signs POSTs for uploads only: PutObject under uploads/.
        return [Request("s3:PutObject", f"arn:aws:s3:::{call['Bucket']}/{resources.UPLOADS_PREFIX}*")]
    if service == "s3" and "Bucket" in call:
        bucket = f"arn:aws:s3:::{call['Bucket']}"
        if "Key" in call:
            return [Request(action, f"{bucket}/{call['Key']}")]
        return [Request(action, f"{bucket}/*" if operation == "DeleteObjects" else bucket)]
    if service == "dynamodb":
        if "TransactItems" in call:
            return [
                Request(f"dynamodb:{_TRANSACT.get(kind, kind)}", _table_arn(table))
                for item in call["TransactItems"]
                for kind, table in item.items()
            ]
        if "TableNames" in call:
            return [Request(action, _table_arn(table)) for table in call["TableNames"]]
        if "TableName" in call:
            return [Request(action, _table_arn(call["TableName"], call.get("IndexName")))]
    if service == "sqs":
        if "QueueUrl" in call:
            return [Request(action, queue_arn(call["QueueUrl"]))]
        if "QueueName" in call:
            return [Request(action, _arn("sqs", call["QueueName"]))]
    if service == "stepfunctions":
        for key in ("executionArn", "stateMachineArn"):
            if key in call:
                return [Request(action, call[key])]
        if call.get("taskToken"):
            return [Request(action, _arn("states", f"stateMachine:{resources.STATE_MACHINE}"))]
    if service == "events" and operation == "PutEvents":
        return [Request(action, _bus_arn(bus)) for bus in sorted(set(call.get("EventBusNames") or ["default"]))]
    if service == "ecs" and "Services" in call:
        return [Request(action, _arn("ecs", f"service/{call['Cluster']}/{name}")) for name in call["Services"]]
    if service == "lambda" and "FunctionName" in call:
        return [Request(action, _function_arn(call["FunctionName"]))]
    if service == "sesv2" and "FromEmailAddress" in call:
        # Sending as an address is authorized on its identity (the address, or its domain).
        address = str(call["FromEmailAddress"]).rsplit("<", 1)[-1].rstrip(">").strip()
        return [Request(action, _arn("ses", f"identity/{address}"))]
    if service == "apigatewaymanagementapi" and "ConnectionId" in call:
        # Authorized on the connection under the WebSocket stage (the template's API resolves to its name).
        method = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}[operation]
        path = f"{resources.LIVE_API}/{resources.LIVE_STAGE}/{method}/@connections/{call['ConnectionId']}"
        return [Request("execute-api:ManageConnections", _arn("execute-api", path))]
    if service == "secretsmanager" and "SecretId" in call:
        secret = call["SecretId"]
        # Secrets Manager appends 6 random characters to a secret's name in its ARN.
        return [
            Request(action, secret if secret.startswith("arn:") else _arn("secretsmanager", f"secret:{secret}-AbCdEf"))
        ]
    return [Request(action, "*")]


# -- the state machine's own calls ----------------------------------------------


def _task_states(
    states: dict[str, Any], selector: dict[str, Any] | None = None
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Each Task state, with the ItemSelector of the Map it runs in (its input's paths)."""
    for name, state in states.items():
        if state.get("Type") == "Task":
            yield name, state, selector or {}
        for branch in state.get("Branches", []):
            yield from _task_states(branch.get("States", {}), selector)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                inner = state.get("ItemSelector") or state.get("Parameters")
                yield from _task_states(state[key].get("States", {}), inner)


def _path_values(states: dict[str, Any], path: str, selector: dict[str, Any]) -> list[str]:
    """The values a `$.x.y` parameter may take when Pass states set it (each `ResultPath: $.x` with a
    constant `y`), through a Map's ItemSelector; empty when unknown."""
    if path.count(".") == 1 and f"{path[2:]}.$" in selector:
        path = str(selector[f"{path[2:]}.$"])
    head, _, field = path.rpartition(".")
    found = [
        state["Parameters"][field]
        for state in states.values()
        if state.get("Type") == "Pass"
        and state.get("ResultPath") == head
        and isinstance(state.get("Parameters", {}).get(field), str)
    ]
    return found


def state_machine_calls(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """One call per Task state, as the recorder would write it, made by the state machine's role.

    A parameter given by a path (`Name.$`) is unknown before run time: its resource is `*`
    (so that only a statement on every resource would allow it).
    """
    calls = []
    states = definition.get("States", {})
    for name, state, selector in _task_states(states):
        resource = str(state["Resource"])
        params = state.get("Parameters", {})
        call: dict[str, Any] = {"component": STATE_MACHINE_COMPONENT, "state": name}
        if resource.startswith("arn:aws:lambda:"):
            call.update(service="lambda", operation="Invoke", FunctionName=resource)
        elif resource.startswith("arn:aws:states:::"):
            integration = re.sub(r"\.(sync(:2)?|waitForTaskToken)$", "", resource.removeprefix("arn:aws:states:::"))
            if integration.startswith("aws-sdk:"):
                _, service, api = integration.split(":", 2)
            else:
                service, api = integration.split(":", 1)
            service = {"states": "stepfunctions"}.get(service, service)
            call.update(service=service, operation=api[:1].upper() + api[1:])
            for key in ("FunctionName", "QueueUrl", "TableName", "StateMachineArn", "TopicArn"):
                if isinstance(params.get(key), str):
                    call["stateMachineArn" if key == "StateMachineArn" else key] = params[key]
            if service == "lambda" and call["operation"] == "Invoke" and "FunctionName" not in call:
                call["FunctionName"] = "*"
            if service == "events":
                entries = params.get("Entries", [])
                call["EventBusNames"] = [
                    e["EventBusName"] if isinstance(e.get("EventBusName"), str) else "default" for e in entries
                ] if isinstance(entries, list) else ["*"]  # fmt: skip
            # A queue chosen at run time (by priority): one call per queue the definition may choose.
            chosen = _path_values(states, str(params["QueueUrl.$"]), selector) if "QueueUrl.$" in params else []
            if chosen:
                calls += [{**call, "QueueUrl": url} for url in chosen]
                continue
        else:
            call.update(service="states", operation="Unknown", resource=resource)
        calls.append(call)
    return calls


# -- the template: intrinsics, roles, policies ----------------------------------


class Resolver:
    """Fn::GetAtt, Ref, Fn::Join and Fn::Sub to concrete values, with the local names of what the
    runtime uses: the media bucket and the jobs table are named by the functions' environment
    (YTC_BUCKET, YTC_TABLE), whatever the template calls them."""

    PSEUDO = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }

    def __init__(self, template: dict[str, Any]) -> None:
        self.resources: dict[str, dict[str, Any]] = template["Resources"]
        self.local_names: dict[str, str] = {}
        self.unresolved: set[str] = set()
        for resource in self.of_type("AWS::Lambda::Function").values():
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            for variable, local in (("YTC_BUCKET", resources.BUCKET), ("YTC_TABLE", resources.TABLE)):
                ref = variables.get(variable)
                if isinstance(ref, dict) and "Ref" in ref:
                    self.local_names[ref["Ref"]] = local

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def name(self, logical: str) -> str:
        if logical in self.local_names:
            return self.local_names[logical]
        props = self.resources[logical].get("Properties", {})
        for key in ("BucketName", "TableName", "QueueName", "FunctionName", "StateMachineName", "LogGroupName",
                    "RoleName", "TopicName", "ClusterName", "Name"):  # fmt: skip
            if key in props:
                return str(self(props[key]))
        return self._unresolved(f"{logical}.Name")

    def _unresolved(self, what: str) -> str:
        self.unresolved.add(what)
        return f"unresolved:{what}"

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self.ref(value["Ref"])
        if "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            return self.get_att(logical, attribute)
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self(p)) for p in parts)
        if "Fn::Sub" in value:
            text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]

            def sub(match: re.Match[str]) -> str:
                key = match.group(1)
                if key in variables:
                    return str(self(variables[key]))
                if "." in key:
                    return str(self.get_att(*key.split(".", 1)))
                return str(self.ref(key))

            return re.sub(r"\$\{([^}!]+)\}", sub, text)
        return {k: self(v) for k, v in value.items()}

    def ref(self, logical: str) -> str:
        if logical in self.PSEUDO:
            return self.PSEUDO[logical]
        if logical not in self.resources:
            return self._unresolved(logical)
        kind = self.resources[logical]["Type"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.name(logical)}"
        if kind == "AWS::StepFunctions::StateMachine":
            return _arn("states", f"stateMachine:{self.name(logical)}")
        if kind in {"AWS::SNS::Topic"}:
            return _arn("sns", self.name(logical))
        return self.name(logical)

    def get_att(self, logical: str, attribute: str) -> str:
        if logical not in self.resources:
            return self._unresolved(f"{logical}.{attribute}")
        kind = self.resources[logical]["Type"]
        arns = {
            "AWS::S3::Bucket": lambda n: f"arn:aws:s3:::{n}",
            "AWS::DynamoDB::Table": lambda n: _arn("dynamodb", f"table/{n}"),
            "AWS::SQS::Queue": lambda n: _arn("sqs", n),
            "AWS::Lambda::Function": lambda n: _arn("lambda", f"function:{n}"),
            "AWS::StepFunctions::StateMachine": lambda n: _arn("states", f"stateMachine:{n}"),
            "AWS::Logs::LogGroup": lambda n: _arn("logs", f"log-group:{n}:*"),
            "AWS::IAM::Role": lambda n: f"arn:aws:iam::{ACCOUNT}:role/{n}",
            "AWS::ECS::Cluster": lambda n: _arn("ecs", f"cluster/{n}"),
        }
        if attribute == "Arn" and kind in arns:
            return arns[kind](self.name(logical))
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return self.name(logical)
        if kind == "AWS::SQS::Queue" and attribute == "QueueUrl":
            return self.ref(logical)
        return self._unresolved(f"{logical}.{attribute}")


def _role_logical(value: Any) -> str | None:
    """The logical id of the role in a `Role`/`RoleArn`/`TaskRoleArn` property (Fn::GetAtt X.Arn or Ref X)."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    return None


def role_policies(template: dict[str, Any], resolver: Resolver, role: str) -> list[dict[str, Any]]:
    """The identity policy documents (resolved) the template attaches to a role: AWS::IAM::Policy
    and inline Policies. Managed policies (AWS::IAM::ManagedPolicy, or AWS's own by ARN) are
    included when the template defines them, else named in `unknown_managed`."""
    documents = []
    role_props = template["Resources"][role].get("Properties", {})
    for inline in role_props.get("Policies", []):
        documents.append(resolver(inline["PolicyDocument"]))
    for resource in template["Resources"].values():
        if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        roles = [_role_logical(r) for r in resource["Properties"].get("Roles", [])]
        if role in roles:
            documents.append(resolver(resource["Properties"]["PolicyDocument"]))
    for managed in role_props.get("ManagedPolicyArns", []):
        logical = managed.get("Ref") if isinstance(managed, dict) else None
        if logical and template["Resources"].get(logical, {}).get("Type") == "AWS::IAM::ManagedPolicy":
            documents.append(resolver(template["Resources"][logical]["Properties"]["PolicyDocument"]))
        else:
            resolver.unresolved.add(f"managed policy {resolver(managed)} of {role}")
    return documents


def component_roles(template: dict[str, Any]) -> dict[str, list[str]]:
    """Component -> the logical ids of the roles it runs with in AWS (a call must be allowed by each)."""
    resolver = Resolver(template)
    roles: dict[str, list[str]] = {}
    for logical, function in resolver.of_type("AWS::Lambda::Function").items():
        role = _role_logical(function["Properties"].get("Role"))
        if role and "FunctionName" in function["Properties"]:
            roles[resolver.name(logical)] = [role]
    workers = [
        _role_logical(t["Properties"].get("TaskRoleArn")) for t in resolver.of_type("AWS::ECS::TaskDefinition").values()
    ]
    roles[WORKER_COMPONENT] = [role for role in workers if role]
    machines = [
        _role_logical(m["Properties"].get("RoleArn"))
        for m in resolver.of_type("AWS::StepFunctions::StateMachine").values()
    ]
    roles[STATE_MACHINE_COMPONENT] = [role for role in machines if role]
    for local, function in LOCAL_API.items():
        if function in roles:
            roles[local] = roles[function]
    return roles


def state_machine_definition(template: dict[str, Any]) -> dict[str, Any]:
    """The definition Step Functions runs: DefinitionString after DefinitionSubstitutions."""
    from ytcaption.local import statemachine

    resolver = Resolver(template)
    (machine,) = resolver.of_type("AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    definition = resolver(props["DefinitionString"])
    values = {k: str(resolver(v)) for k, v in props.get("DefinitionSubstitutions", {}).items()}
    result: dict[str, Any] = json.loads(statemachine.substitute(definition, values))
    return result


# -- evaluation ---------------------------------------------------------------------


def _pattern(value: str) -> str:
    """An IAM pattern (`*`, `?`) for moto's matcher, which only turns `*` into `.*` of a regex."""
    return "".join("*" if c == "*" else "." if c == "?" else re.escape(c) for c in value)


def _prepared(document: dict[str, Any]) -> Any:
    """moto's evaluator of one policy document (moto.iam.access_control.IAMPolicy)."""
    from moto.iam.access_control import IAMPolicy

    statements = document["Statement"]
    prepared = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if "NotResource" in statement or "Resource" not in statement:
            raise ValueError(f"statement without Resource (NotResource?) in an identity policy: {statement}")
        statement = {k: v for k, v in statement.items() if k != "Condition"}  # Conditions: ignored
        for key in ("Action", "NotAction"):
            if key in statement:
                values = statement[key] if isinstance(statement[key], list) else [statement[key]]
                statement[key] = [_pattern(str(v).lower()) for v in values]  # actions: case-insensitive
        values = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        statement["Resource"] = [_pattern(str(v)) for v in values]
        prepared.append(statement)
    return IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": prepared}))


def decide(policies: Iterable[Any], request: Request) -> str:
    """'allowed', 'denied' (an explicit Deny) or 'not allowed' (no statement allows it)."""
    from moto.iam.access_control import PermissionResult

    results = [p.is_action_permitted(request.action.lower(), request.resource) for p in policies]
    if PermissionResult.DENIED in results:
        return "denied"
    return "allowed" if PermissionResult.PERMITTED in results else "not allowed"


def resource_group(resource: str) -> str:
    """Where a resource belongs in the report: objects by bucket and top-level prefix, executions by machine."""
    if resource.startswith("arn:aws:s3:::") and "/" in resource:
        bucket, _, key = resource.partition("/")
        return f"{bucket}/{key.split('/')[0]}/*" if "/" in key else f"{bucket}/*"
    if ":execution:" in resource:
        return resource.rsplit(":", 1)[0] + ":*"
    return resource


@dataclass
class Finding:
    component: str
    action: str
    resource: str
    decision: str
    count: int
    example: dict[str, Any]

    def line(self) -> str:
        return f"{self.component}: {self.action} on {self.resource} is {self.decision} ({self.count} call(s))"


@dataclass
class Report:
    components: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "account": ACCOUNT,
            "region": REGION,
            "limits": list(LIMITS),
            "not_allowed": [f.__dict__ for f in self.findings],
            "unresolved_in_template": self.unresolved,
            "components": self.components,
        }


def check(template: dict[str, Any], calls: Iterable[dict[str, Any]]) -> Report:
    """Evaluate recorded calls, plus the state machine's own (from its definition), against the template."""
    resolver = Resolver(template)
    roles = component_roles(template)
    policies = {
        component: [_prepared(doc) for role in logicals for doc in role_policies(template, resolver, role)]
        for component, logicals in roles.items()
    }
    all_calls = [*calls, *state_machine_calls(state_machine_definition(template))]
    report = Report()
    decisions: dict[tuple[str, Request], str] = {}
    groups: dict[str, Counter[tuple[str, str, str]]] = {}
    examples: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    operations: dict[str, Counter[str]] = {}
    for call in all_calls:
        component = str(call["component"])
        operations.setdefault(component, Counter())[f"{call['service']}.{call['operation']}"] += 1
        for request in requests_for(call):
            key = (component, request)
            if key not in decisions:
                decisions[key] = decide(policies[component], request) if roles.get(component) else "without a role"
            decision = decisions[key]
            group = (request.action, resource_group(request.resource), decision)
            groups.setdefault(component, Counter())[group] += 1
            examples.setdefault((component, *group), call)
    for component in sorted(operations):
        counts = groups.get(component, Counter())
        report.components[component] = {
            "roles": roles.get(component, []),
            "calls": sum(operations[component].values()),
            "operations": dict(sorted(operations[component].items())),
            "requests": [
                {"action": a, "resource": r, "decision": d, "count": n} for (a, r, d), n in sorted(counts.items())
            ],
        }
        for (action, resource, decision), count in sorted(counts.items()):
            if decision != "allowed":
                example = examples[(component, action, resource, decision)]
                report.findings.append(Finding(component, action, resource, decision, count, example))
    report.unresolved = sorted(resolver.unresolved)
    return report


def load_calls(directory: Path) -> list[dict[str, Any]]:
    calls = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                calls.append(json.loads(line))
    return calls


def write_report(report: Report, path: Path) -> Path:
    path.write_text(json.dumps(report.as_json(), indent=2, default=str) + "\n")
    return path
