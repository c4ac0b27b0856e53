"""Stack deletion with managed termination protection: lift the scale-in protection ECS leaves behind.

With managed termination protection ECS keeps every GPU instance that runs a task protected from
scale-in. Deleting the capacity provider does not lift that protection, and CloudFormation then
waits on an Auto Scaling group it cannot empty ("all remaining instances are protected from
scale-in", aws-cdk#18179). A custom resource per group, deleted after the capacity provider (the
provider depends on it) and before the group, lifts the protection of the group's instances; the
group's own deletion then terminates them.
"""

from __future__ import annotations

from aws_cdk import CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ytcaption_cdk.config import Config
from ytcaption_cdk.nag import acknowledge, acknowledge_resource
from ytcaption_cdk.pipeline import RUNTIME, retention

# The handler: plain urllib for the CloudFormation response (no cfnresponse module outside Lambda's
# inline-code bundle), boto3 from Lambda's runtime.
HANDLER = """
import json, urllib.request
import boto3

def handler(event, context):
    status, reason = "SUCCESS", ""
    try:
        if event["RequestType"] == "Delete":
            release(event["ResourceProperties"]["AutoScalingGroupName"])
    except Exception as exc:  # the stack's events say why
        status, reason = "FAILED", f"{type(exc).__name__}: {exc}"
    body = json.dumps({
        "Status": status, "Reason": reason or f"see {context.log_stream_name}",
        "PhysicalResourceId": event.get("PhysicalResourceId") or event["LogicalResourceId"],
        "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
    }).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"content-type": "", "content-length": str(len(body))})
    urllib.request.urlopen(request, timeout=30).close()

def release(name):
    client = boto3.client("autoscaling")
    groups = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    ids = [i["InstanceId"] for g in groups for i in g["Instances"] if i.get("ProtectedFromScaleIn")]
    for start in range(0, len(ids), 50):
        client.set_instance_protection(AutoScalingGroupName=name, InstanceIds=ids[start:start + 50],
                                       ProtectedFromScaleIn=False)
    print(json.dumps({"group": name, "released": ids}))
"""


class ScaleInProtectionRelease(Construct):
    """One function; `add` gives a group its custom resource, which the group's capacity provider
    must depend on."""

    def __init__(self, scope: Construct, id: str, *, config: Config) -> None:
        super().__init__(scope, id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="On stack deletion: lift ECS's scale-in protection from the GPU groups' instances",
        )
        log_group = logs.LogGroup(
            self, "Logs", retention=retention(config.logRetentionDays), removal_policy=RemovalPolicy.DESTROY
        )
        writes = ["logs:CreateLogStream", "logs:PutLogEvents"]
        self.role.add_to_policy(iam.PolicyStatement(actions=writes, resources=[log_group.log_group_arn]))
        # DescribeAutoScalingGroups has no resource-level permissions.
        self.role.add_to_policy(iam.PolicyStatement(actions=["autoscaling:DescribeAutoScalingGroups"], resources=["*"]))
        acknowledge(
            self.role,
            id="AwsSolutions-IAM5[Resource::*]",
            reason="autoscaling:DescribeAutoScalingGroups has no resource-level permissions (the only action "
            "on *; SetInstanceProtection is limited to the workers' groups).",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_inline(HANDLER),
            timeout=Duration.minutes(2),
            role=self.role,
            log_group=log_group,
            description="YTCaption teardown: lift scale-in protection so the GPU groups can be deleted",
        )
        acknowledge(
            self.function,
            id="AwsSolutions-L1",
            reason="python3.12 on purpose, as every other function of the stack (one runtime to move together).",
        )

    def add(self, group: autoscaling.AutoScalingGroup) -> CustomResource:
        # The group's ARN holds an id made at creation: the statement names the group by its name.
        group_arn = Stack.of(self).format_arn(
            service="autoscaling",
            resource="autoScalingGroup",
            resource_name=f"*:autoScalingGroupName/{group.auto_scaling_group_name}",
        )
        protect = iam.PolicyStatement(actions=["autoscaling:SetInstanceProtection"], resources=[group_arn])
        self.role.add_to_policy(protect)
        acknowledge_resource(
            self.role,
            group_arn,
            reason="An Auto Scaling group's ARN holds an id made at creation; the statement names this one group "
            "by its name.",
        )
        resource = CustomResource(
            self,
            f"{group.node.id}Release",
            service_token=self.function.function_arn,
            resource_type="Custom::ScaleInProtectionRelease",
            properties={"AutoScalingGroupName": group.auto_scaling_group_name},
        )
        resource.node.add_dependency(self.role)  # its policy is still there when the resource is deleted
        return resource
