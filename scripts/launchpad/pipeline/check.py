"""Checking a SageMaker Pipelines definition before anything runs: its shape, then what a schema cannot say.

One implementation, called by ``launchpad pipeline`` before it applies a definition and by the sandbox's
``CreatePipeline`` / ``UpdatePipeline`` / ``StartPipelineExecution`` (``patches.sagemaker_pipelines``).

- ``check_definition``: the definition against ``schemas/pipeline-definition.schema.json`` (Version
  ``2020-12-01``, Metadata, the four parameter types, the ``Get`` / ``Std:Join`` / ``Std:JsonGet`` functions,
  and the argument shapes of the Processing, Training, Tuning, Condition, RegisterModel and Fail steps; other
  step types of SageMaker Pipelines pass with a name, a type and arguments), then: a step type SageMaker does
  not have; a parameter default of the wrong type, two parameters of one name; two steps of one name; a step
  in a condition's branches and anywhere else (AWS: a step in ``IfSteps``/``ElseSteps`` is defined there and
  only there); ``DependsOn`` and ``Get`` of ``Steps.<name>`` naming no step; ``Get`` of ``Parameters.<name>``
  naming no parameter; ``Std:JsonGet`` of a property file its step does not declare in ``PropertyFiles``;
  and cycles, through ``DependsOn``, property references and condition branches (a branch step runs after its
  condition), each named ``A -> B -> A``.
- ``check_parameters``: ``StartPipelineExecution``'s ``PipelineParameters`` (every value a string, as the API
  takes them) against the definition: an unknown name, a value that is not an Integer / Float / Boolean where
  the parameter is one, a value outside ``EnumValues``.

Each problem is one sentence naming the step or parameter; an empty list means the definition is valid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from launchpad.deploy.schema_errors import load_schema, schema_problems

SCHEMA = "pipeline-definition"
VERSION = "2020-12-01"
# SageMaker Pipelines' step types (Developer Guide, "Pipelines steps"; the definition's Type of each).
STEP_TYPES = (
    "Processing",
    "Training",
    "Tuning",
    "Condition",
    "RegisterModel",
    "Fail",
    "Transform",
    "Model",
    "CreateModel",
    "Lambda",
    "Callback",
    "ClarifyCheck",
    "QualityCheck",
    "EMR",
    "AutoML",
    "Endpoint",
    "EndpointConfig",
    "Notebook",
    "Function",
)
PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")
_STEP_REF = re.compile(r"Steps\.([A-Za-z0-9_-]{1,64})(?=[.\[]|$)")
_PARAMETER_REF = re.compile(r"Parameters\.([A-Za-z0-9_-]{1,64})\Z")
_PROPERTY_FILE_REF = re.compile(r"Steps\.([A-Za-z0-9_-]{1,64})\.PropertyFiles\.([A-Za-z0-9_-]{1,128})\Z")
_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _parsed(definition: Mapping[str, Any] | str) -> tuple[Any, list[str]]:
    if isinstance(definition, str):
        try:
            return json.loads(definition), []
        except json.JSONDecodeError as error:
            return None, [f"The pipeline definition is not valid JSON: {error}."]
    return definition, []


# -- walking the definition ----------------------------------------------------------------------------------
def steps_with_places(
    steps: Any, place: str = "the pipeline's Steps"
) -> Iterator[tuple[dict[str, Any], str]]:
    """Every step of the definition, condition branches included, with where it is defined."""
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        yield step, place
        if step.get("Type") == "Condition":
            arguments = step["Arguments"] if isinstance(step.get("Arguments"), dict) else {}
            for branch in ("IfSteps", "ElseSteps"):
                yield from steps_with_places(
                    arguments.get(branch), f"the {branch} of condition step {step.get('Name')}"
                )


def expressions(value: Any) -> Iterator[tuple[str, str]]:
    """Every reference inside a value: ("Get", "<path>") and ("PropertyFile", "<path>") of Std:JsonGet."""
    if isinstance(value, dict):
        if isinstance(value.get("Get"), str) and len(value) == 1:
            yield "Get", value["Get"]
            return
        json_get = value.get("Std:JsonGet")
        if isinstance(json_get, dict):
            file = json_get.get("PropertyFile")
            if isinstance(file, dict) and isinstance(file.get("Get"), str):
                yield "PropertyFile", file["Get"]
            yield from expressions(json_get.get("S3Uri"))
            return
        for item in value.values():
            yield from expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from expressions(item)


def _own_parts(step: Mapping[str, Any]) -> Any:
    """What of a step its references live in (a condition's branches are steps of their own)."""
    arguments = step.get("Arguments")
    if step.get("Type") == "Condition" and isinstance(arguments, dict):
        return arguments.get("Conditions")
    return arguments


def referenced_steps(step: Mapping[str, Any]) -> list[str]:
    """The steps ``step`` reads a property or property file of (in order, once each)."""
    found = []
    for _, path in expressions(_own_parts(step)):
        match = _STEP_REF.match(path)
        if match:
            found.append(match.group(1))
    return list(dict.fromkeys(found))


def dependencies(steps: Any) -> dict[str, list[str]]:
    """Each step's steps it must run after: its DependsOn, the steps it reads properties of, and for a step
    in a condition's branches, the condition step."""
    graph: dict[str, list[str]] = {}
    for step, _ in steps_with_places(steps):
        name = step.get("Name")
        if not isinstance(name, str):
            continue
        depends = [d for d in step.get("DependsOn") or [] if isinstance(d, str)]
        graph.setdefault(name, [])
        graph[name] = list(dict.fromkeys([*graph[name], *depends, *referenced_steps(step)]))
        if step.get("Type") == "Condition" and isinstance(step.get("Arguments"), dict):
            for branch in ("IfSteps", "ElseSteps"):
                for child in step["Arguments"].get(branch) or []:
                    if isinstance(child, dict) and isinstance(child.get("Name"), str):
                        graph.setdefault(child["Name"], [])
                        graph[child["Name"]] = list(dict.fromkeys([*graph[child["Name"]], name]))
    return graph


def cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """The graph's cycles (each once, starting at its least name), as ``[A, B, ..., A]``."""
    found: dict[tuple[str, ...], list[str]] = {}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for after in graph.get(node, []):
            if after not in graph:
                continue
            if state.get(after) == 1:
                loop = path[path.index(after) :]
                start = loop.index(min(loop))
                loop = loop[start:] + loop[:start]
                found.setdefault(tuple(loop), [*loop, loop[0]])
            elif state.get(after) is None:
                visit(after)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return list(found.values())


# -- the checks ---------------------------------------------------------------------------------------------
def _parameter_problems(parameters: Any) -> tuple[list[str], dict[str, str]]:
    problems: list[str] = []
    declared: dict[str, str] = {}
    for parameter in parameters if isinstance(parameters, list) else []:
        if not isinstance(parameter, dict) or not isinstance(parameter.get("Name"), str):
            continue
        name, kind = parameter["Name"], parameter.get("Type", "String")
        if name in declared:
            problems.append(f"Parameter {name} is declared more than once: parameter names must be unique.")
            continue
        declared[name] = kind if kind in PARAMETER_TYPES else "String"
        if "DefaultValue" in parameter and kind in PARAMETER_TYPES:
            default = parameter["DefaultValue"]
            if not _default_fits(default, kind):
                problems.append(
                    f"Parameter {name} is of type {kind} but its DefaultValue {json.dumps(default)} is "
                    f"{_kind(default)}."
                )
    return problems, declared


def _default_fits(value: Any, kind: str) -> bool:
    if kind == "String":
        return isinstance(value, str)
    if kind == "Boolean":
        return isinstance(value, bool)
    if kind == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction"
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else f"a {type(value).__name__}"


def _step_problems(steps: Any, parameters: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    places: dict[str, list[str]] = {}
    declared_files: dict[str, set[str]] = {}
    all_steps = list(steps_with_places(steps))
    for step, place in all_steps:
        name = step.get("Name")
        if not isinstance(name, str):
            continue
        places.setdefault(name, []).append(place)
        kind = step.get("Type")
        if isinstance(kind, str) and kind not in STEP_TYPES:
            problems.append(
                f"Step {name} has Type {kind}, which is not a SageMaker Pipelines step type "
                f"({', '.join(STEP_TYPES)})."
            )
        files = step["PropertyFiles"] if isinstance(step.get("PropertyFiles"), list) else []
        declared_files.setdefault(name, set()).update(
            str(f.get("PropertyFileName")) for f in files if isinstance(f, dict)
        )
    for name, where in places.items():
        if len(where) < 2:
            continue
        branches = [w for w in where if w.startswith("the IfSteps") or w.startswith("the ElseSteps")]
        if branches:
            others = [w for w in where if w is not branches[0]]
            problems.append(
                f"Step {name} is in {branches[0]} and also in {', '.join(dict.fromkeys(others))}: a step "
                "of a condition's branches must be defined there only."
            )
        else:
            problems.append(f"Step name {name} is used by {len(where)} steps: step names must be unique.")
    for step, _ in all_steps:
        name = step.get("Name")
        if not isinstance(name, str):
            continue
        for depended in step.get("DependsOn") or []:
            if isinstance(depended, str) and depended not in places:
                problems.append(f"Step {name} DependsOn {depended}, which is not a step of the pipeline.")
        for kind, path in expressions(_own_parts(step)):
            problems += _reference_problems(name, kind, path, places, declared_files, parameters)
    for loop in cycles(dependencies(steps)):
        problems.append(
            f"The steps {', '.join(dict.fromkeys(loop))} form a cycle ({' -> '.join(loop)}): each waits for "
            "the next (through DependsOn, property references or a condition's branches)."
        )
    return problems


def _reference_problems(
    name: str,
    kind: str,
    path: str,
    places: Mapping[str, list[str]],
    declared_files: Mapping[str, set[str]],
    parameters: Mapping[str, str],
) -> list[str]:
    if kind == "PropertyFile":
        match = _PROPERTY_FILE_REF.match(path)
        if match is None:
            return []  # the schema says what is wrong with it
        source, file = match.groups()
        if source not in places:
            return [
                f"Step {name} reads property file {file} of step {source}, which is not a step of the "
                "pipeline."
            ]
        if file not in declared_files.get(source, set()):
            have = ", ".join(sorted(declared_files.get(source, set()))) or "none"
            return [
                f"Step {name} reads property file {file} of step {source} (Std:JsonGet), which step {source} "
                f"does not declare in its PropertyFiles (it declares: {have})."
            ]
        return []
    match = _STEP_REF.match(path)
    if match and match.group(1) not in places:
        return [f"Step {name} gets {path}, but {match.group(1)} is not a step of the pipeline."]
    match = _PARAMETER_REF.match(path)
    if match and match.group(1) not in parameters:
        known = ", ".join(parameters) or "none"
        return [
            f"Step {name} gets {path}, but {match.group(1)} is not a parameter of the pipeline "
            f"(its Parameters: {known})."
        ]
    return []


def check_definition(definition: Mapping[str, Any] | str) -> list[str]:
    """Every problem of a pipeline definition (a mapping, or its JSON text), one sentence each; [] when it
    is valid."""
    document, problems = _parsed(definition)
    if problems:
        return problems
    if not isinstance(document, dict):
        return [f"The pipeline definition must be a JSON object, not {_kind(document)}."]
    found, _ = schema_problems(load_schema(SCHEMA), document)
    problems = [f"The pipeline definition's {p}" if p.startswith("$") else p for p in found]
    parameter_problems, declared = _parameter_problems(document.get("Parameters"))
    problems += parameter_problems
    problems += _step_problems(document.get("Steps"), declared)
    return list(dict.fromkeys(problems))


def parameter_types(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The definition's parameters by name: their declaration (Type defaults to String)."""
    found: dict[str, dict[str, Any]] = {}
    for parameter in definition.get("Parameters") or []:
        if isinstance(parameter, dict) and isinstance(parameter.get("Name"), str):
            found.setdefault(parameter["Name"], {"Type": "String", **parameter})
    return found


def parse_value(value: str, kind: str) -> Any:
    """A parameter's value (a string, as StartPipelineExecution takes it) as its type; ValueError if it is
    not one."""
    text = value.strip()
    if kind == "Integer":
        if not _INTEGER.fullmatch(text):
            raise ValueError(value)
        return int(text)
    if kind == "Float":
        if not _FLOAT.fullmatch(text):
            raise ValueError(value)
        return float(text)
    if kind == "Boolean":
        if text.lower() not in ("true", "false"):
            raise ValueError(value)
        return text.lower() == "true"
    return value


def check_parameters(definition: Mapping[str, Any] | str, given: Mapping[str, str]) -> list[str]:
    """The problems of StartPipelineExecution's parameters (name -> value string) for this definition."""
    document, problems = _parsed(definition)
    if problems or not isinstance(document, dict):
        return problems or ["The pipeline definition must be a JSON object."]
    declared = parameter_types(document)
    for name, value in given.items():
        parameter = declared.get(name)
        if parameter is None:
            known = ", ".join(declared) or "none"
            problems.append(f"Parameter {name} is not a parameter of the pipeline (its Parameters: {known}).")
            continue
        kind = str(parameter.get("Type"))
        try:
            parsed = parse_value(str(value), kind)
        except ValueError:
            article = "an" if kind[0] in "AEIOU" else "a"
            problems.append(
                f"Parameter {name} is of type {kind}: {json.dumps(value)} is not {article} {kind}."
            )
            continue
        allowed = parameter.get("EnumValues")
        if (
            isinstance(allowed, list)
            and allowed
            and parsed not in allowed
            and str(value) not in map(str, allowed)
        ):
            problems.append(
                f"Parameter {name} must be one of {', '.join(map(str, allowed))}: {json.dumps(value)} is not."
            )
    return problems
