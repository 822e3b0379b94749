"""network example applied for real: private subnets, endpoints, flow logs, locked default SG."""

from __future__ import annotations

from launchpad.inventory import account_inventory
from launchpad.testing import Stack, assert_replan_empty, example_stack

stack = example_stack("network", shared=True)
INTERFACE_SERVICES = {"sagemaker.api", "sagemaker.runtime", "sts", "logs", "ecr.api", "ecr.dkr"}


def _vpc_filter(stack: Stack) -> list[dict]:
    return [{"Name": "vpc-id", "Values": [stack.outputs["vpc_id"]]}]


def test_subnets_are_private_in_two_zones(stack: Stack) -> None:
    subnets = stack.client("ec2").describe_subnets(SubnetIds=stack.outputs["private_subnet_ids"])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) >= 2
    assert not [s["SubnetId"] for s in subnets if s["MapPublicIpOnLaunch"]]


def test_no_internet_gateway_unless_asked(stack: Stack) -> None:
    gateways = stack.client("ec2").describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [stack.outputs["vpc_id"]]}]
    )["InternetGateways"]
    assert gateways == []
    assert stack.outputs["public_subnet_ids"] == []


def test_interface_and_gateway_endpoints_exist(stack: Stack) -> None:
    endpoints = stack.client("ec2").describe_vpc_endpoints(Filters=_vpc_filter(stack))["VpcEndpoints"]
    prefix = f"com.amazonaws.{stack.target.region}."
    interface = {
        e["ServiceName"].removeprefix(prefix) for e in endpoints if e["VpcEndpointType"] == "Interface"
    }
    assert interface == INTERFACE_SERVICES
    assert all(e["PrivateDnsEnabled"] for e in endpoints if e["VpcEndpointType"] == "Interface")
    gateway = [e for e in endpoints if e["VpcEndpointType"] == "Gateway"]
    assert [e["ServiceName"] for e in gateway] == [f"{prefix}s3"]
    assert set(gateway[0]["RouteTableIds"]) == set(stack.outputs["private_route_table_ids"])


def test_endpoint_security_group_allows_https_from_the_vpc_only(stack: Stack) -> None:
    group = stack.client("ec2").describe_security_groups(
        GroupIds=[stack.outputs["endpoint_security_group_id"]]
    )["SecurityGroups"][0]
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"]) for p in group["IpPermissions"]] == [
        ("tcp", 443, 443)
    ]
    assert [r["CidrIp"] for r in group["IpPermissions"][0]["IpRanges"]] == [stack.outputs["vpc_cidr_block"]]


def test_default_security_group_has_no_rules(stack: Stack) -> None:
    groups = stack.client("ec2").describe_security_groups(
        Filters=[*_vpc_filter(stack), {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert len(groups) == 1
    assert groups[0]["IpPermissions"] == [] and groups[0]["IpPermissionsEgress"] == []


def test_flow_logs_are_active_into_an_encrypted_group(stack: Stack) -> None:
    flow_logs = stack.client("ec2").describe_flow_logs(FlowLogIds=[stack.outputs["flow_log_id"]])["FlowLogs"]
    assert len(flow_logs) == 1
    flow_log = flow_logs[0]
    assert flow_log["ResourceId"] == stack.outputs["vpc_id"]
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["FlowLogStatus"] == "ACTIVE" and flow_log["DeliverLogsStatus"] == "SUCCESS"
    group = stack.client("logs").describe_log_groups(logGroupNamePrefix=stack.outputs["flow_log_group_name"])[
        "logGroups"
    ][0]
    assert group["kmsKeyId"] == stack.outputs["flow_logs_kms_key_arn"]
    assert group["retentionInDays"] == 365


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
