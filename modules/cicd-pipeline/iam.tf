# Least-privilege roles, one per CodeBuild step, one for the pipeline, one for the S3 source trigger. Each is
# built with modules/iam/modules/service-role: trusted by one service, on behalf of this account only.

locals {
  artifact_objects = "${module.artifact_bucket.bucket_arn}/*"
  ec2_arn_prefix   = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  subnet_arns      = var.vpc_config == null ? [] : [for s in var.vpc_config.subnet_ids : "${local.ec2_arn_prefix}:subnet/${s}"]

  # What each deploy step may touch in SageMaker: its endpoint, and the models and configurations named after
  # it (the sagemaker-endpoint module and the deploy engine name them <endpoint>-<...>).
  deploy_targets = {
    "deploy-staging"    = { endpoint = var.deploy.staging_endpoint_name, registers = true }
    "deploy-production" = { endpoint = var.deploy.production_endpoint_name, registers = false }
  }
  uses_registry = var.deploy.model_package_group_arn != null || var.deploy.model_package_group_name != null

  # DecryptInputArtifacts already allows the pipeline key: a release bucket under that key needs nothing more.
  release_key_needs_grant = try(var.launchpad_release.kms_key_arn != null && var.launchpad_release.kms_key_arn != var.kms_key_arn, false)
}

# -- what every CodeBuild step needs: its log group, its input artifact, and (a step with an output) the upload --
# CodeBuild, as the step's role: writes the build log, downloads the input artifact (SSE-KMS with the pipeline
# key), uploads the output artifact after locating its bucket, and in a VPC makes the build's network interface.
data "aws_iam_policy_document" "codebuild" {
  for_each = local.projects

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.codebuild[each.key].arn}:*"]
  }

  statement {
    sid       = "ReadInputArtifacts"
    actions   = ["s3:GetObject"]
    resources = [local.artifact_objects]
  }

  statement {
    sid       = "DecryptInputArtifacts"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  dynamic "statement" {
    for_each = each.value.output == null ? [] : [1]

    content {
      sid       = "WriteOutputArtifacts"
      actions   = ["s3:PutObject"]
      resources = [local.artifact_objects]
    }
  }

  dynamic "statement" {
    for_each = each.value.output == null ? [] : [1]

    content {
      sid       = "LocateArtifactBucket"
      actions   = ["s3:GetBucketAcl", "s3:GetBucketLocation"]
      resources = [module.artifact_bucket.bucket_arn]
    }
  }

  dynamic "statement" {
    for_each = each.value.output == null ? [] : [1]

    content {
      sid       = "EncryptOutputArtifacts"
      actions   = ["kms:GenerateDataKey"]
      resources = [var.kms_key_arn]
    }
  }

  # launchpad_release: the install's `aws s3 cp --recursive` of the release folder lists it, then reads each file.
  dynamic "statement" {
    for_each = var.launchpad_release == null ? [] : [1]

    content {
      sid       = "ListLaunchpadRelease"
      actions   = ["s3:ListBucket"]
      resources = [var.launchpad_release.bucket_arn]

      condition {
        test     = "StringEquals"
        variable = "s3:prefix"
        values   = [local.release_prefix]
      }
    }
  }

  dynamic "statement" {
    for_each = var.launchpad_release == null ? [] : [1]

    content {
      sid       = "ReadLaunchpadRelease"
      actions   = ["s3:GetObject"]
      resources = ["${var.launchpad_release.bucket_arn}/${local.release_prefix}*"]
    }
  }

  dynamic "statement" {
    for_each = local.release_key_needs_grant ? [1] : []

    content {
      sid       = "DecryptLaunchpadRelease"
      actions   = ["kms:Decrypt"]
      resources = [var.launchpad_release.kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [1]

    content {
      sid = "DescribeNetworkForVpcBuilds"
      # Describe* calls have no resource-level permissions in EC2.
      actions   = ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [1]

    content {
      sid       = "ManageBuildNetworkInterfaces"
      actions   = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"]
      resources = concat(["${local.ec2_arn_prefix}:network-interface/*"], local.subnet_arns, [for g in var.vpc_config.security_group_ids : "${local.ec2_arn_prefix}:security-group/${g}"])
    }
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [1]

    content {
      sid       = "AttachBuildNetworkInterfaces"
      actions   = ["ec2:CreateNetworkInterfacePermission"]
      resources = ["${local.ec2_arn_prefix}:network-interface/*"]

      condition {
        test     = "StringEquals"
        variable = "ec2:AuthorizedService"
        values   = ["codebuild.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "ec2:Subnet"
        values   = local.subnet_arns
      }
    }
  }
}

# -- what the deploy steps add: launchpad deploy, rollback and status on their own endpoint --------------------
# (docs/deploy.md lists the calls). Where AWS authorizes an action on "*" only, the statement says so.
data "aws_iam_policy_document" "deploy" {
  for_each = local.deploy_targets

  source_policy_documents = [data.aws_iam_policy_document.codebuild[each.key].json]

  statement {
    sid = "ManageOwnEndpoint"
    actions = [
      "sagemaker:AddTags",
      "sagemaker:CreateEndpoint",
      "sagemaker:CreateEndpointConfig",
      "sagemaker:CreateModel",
      "sagemaker:DescribeEndpoint",
      "sagemaker:DescribeEndpointConfig",
      "sagemaker:DescribeModel",
      "sagemaker:ListTags",
      "sagemaker:UpdateEndpoint",
      "sagemaker:UpdateEndpointWeightsAndCapacities",
    ]
    resources = [
      "${local.sagemaker_arn}:endpoint/${each.value.endpoint}",
      "${local.sagemaker_arn}:endpoint-config/${each.value.endpoint}-*",
      "${local.sagemaker_arn}:model/${each.value.endpoint}-*",
    ]
  }

  statement {
    sid       = "PassExecutionRoleToSageMaker"
    actions   = ["iam:PassRole"]
    resources = [var.deploy.execution_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = var.deploy.capture_bucket_arn == null ? [] : [1]

    content {
      sid       = "CheckCaptureBucket"
      actions   = ["s3:ListBucket"]
      resources = [var.deploy.capture_bucket_arn]
    }
  }

  statement {
    sid       = "ReadModelArtifacts"
    actions   = each.value.registers ? ["s3:GetObject", "s3:PutObject"] : ["s3:GetObject"]
    resources = ["${var.deploy.model_bucket_arn}/*"]
  }

  # Staging uploads a new version's artifact and baseline: preflight first looks for them (HeadObject), and S3
  # answers a key with no object 404 only to a caller that may list the bucket, 403 to others (S3 API
  # Reference, HeadObject and GetObject, "Permissions"). Unconditional: AWS does not document whether that
  # check sees s3:prefix as the key, so a prefix-conditioned grant may not do (the sandbox's stricter reading).
  dynamic "statement" {
    for_each = each.value.registers ? [1] : []

    content {
      sid       = "FindModelArtifacts"
      actions   = ["s3:ListBucket"]
      resources = [var.deploy.model_bucket_arn]
    }
  }

  dynamic "statement" {
    for_each = each.value.registers ? [1] : []

    content {
      sid       = "EncryptUploadedArtifacts"
      actions   = ["kms:GenerateDataKey"]
      resources = [var.deploy.model_kms_key_arn]
    }
  }

  # SageMaker grants itself the use of the endpoint's volume key, on the caller's behalf (CreateEndpoint,
  # UpdateEndpoint with an endpoint configuration's KmsKeyId).
  statement {
    sid       = "GrantVolumeKeyToSageMaker"
    actions   = ["kms:CreateGrant"]
    resources = [var.deploy.model_kms_key_arn]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  statement {
    sid       = "ManageOwnRollbackAlarms"
    actions   = ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${each.value.endpoint}-*"]
  }

  # Application Auto Scaling validates these on the caller's behalf: the variant's endpoint (above), and the
  # target-tracking alarms it makes.
  statement {
    sid       = "ManageTargetTrackingAlarms"
    actions   = ["cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:TargetTracking-endpoint/${each.value.endpoint}/*"]
  }

  # Scalable targets have no ARN a request can name: AWS authorizes these actions on "*".
  statement {
    sid = "ScaleOwnEndpoint"
    actions = [
      "application-autoscaling:DeregisterScalableTarget",
      "application-autoscaling:DescribeScalableTargets",
      "application-autoscaling:DescribeScalingPolicies",
      "application-autoscaling:PutScalingPolicy",
      "application-autoscaling:RegisterScalableTarget",
    ]
    resources = ["*"]
  }

  # The first scalable SageMaker variant of the account makes Application Auto Scaling's service-linked role.
  statement {
    sid       = "CreateAutoScalingServiceLinkedRole"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["sagemaker.application-autoscaling.amazonaws.com"]
    }
  }

  # The model registry's own policy grants the deploy steps what they do in it (registering a version, reading
  # the group and its versions): model-registry's publisher_principals and reader_principals. Only
  # ListModelPackages, which has no resource type (AWS authorizes it on "*"), needs an identity statement.
  dynamic "statement" {
    for_each = local.uses_registry && !each.value.registers ? [1] : []

    content {
      sid       = "ListModelVersions"
      actions   = ["sagemaker:ListModelPackages"]
      resources = ["*"]
    }
  }
}

# -- what the integration tests add: invoke and describe the staging endpoint, and read its configuration --------
# The baked project's tests/integration/test_endpoint.py: DescribeEndpoint (in service?), InvokeEndpoint (it
# answers), DescribeEndpointConfig of the configuration in service (data capture as configured; an
# asynchronous endpoint's output location). Configurations are named <endpoint>-<hash> (the deploy engine and
# the sagemaker-endpoint module: definition.json's names.endpoint_config).
data "aws_iam_policy_document" "integration_test" {
  source_policy_documents = [data.aws_iam_policy_document.codebuild["integration-test"].json]

  statement {
    sid       = "InvokeStagingEndpoint"
    actions   = ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"]
    resources = ["${local.sagemaker_arn}:endpoint/${var.deploy.staging_endpoint_name}"]
  }

  statement {
    sid       = "ReadStagingEndpointConfigs"
    actions   = ["sagemaker:DescribeEndpointConfig"]
    resources = ["${local.sagemaker_arn}:endpoint-config/${var.deploy.staging_endpoint_name}-*"]
  }
}

# -- the build image: CodeBuild pulls a private ECR image as the step's role (SERVICE_ROLE) ---------------------
# CodeBuild User Guide, "Amazon ECR sample for CodeBuild" and "Private registry with AWS Secrets Manager":
# the project's service role needs the three repository actions on the image's repository, and
# ecr:GetAuthorizationToken, which has no resource type (Service Authorization Reference: Amazon ECR), on "*".
# Its own inline policy: every input is known at plan, so a plan shows exactly what each role may pull.
data "aws_iam_policy_document" "build_image" {
  count = local.build_image ? 1 : 0

  statement {
    sid       = "PullBuildImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.codebuild.image_repository_arn]
  }

  statement {
    sid       = "GetRegistryToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "build_image" {
  for_each = local.build_image ? local.projects : {}

  name   = "${var.name}-${each.key}-build-image"
  role   = module.codebuild_role[each.key].name
  policy = data.aws_iam_policy_document.build_image[0].json
}

# -- a Terraform-deployed project (deploy.terraform_state): its state, and what Terraform refreshes ------------
locals {
  terraform_state = var.deploy.terraform_state
  # The deploy step of each stage applies envs/<stage>.tfvars into its own state object and lock.
  state_keys = local.terraform_state == null ? {} : {
    "deploy-staging"    = local.terraform_state.staging_key
    "deploy-production" = local.terraform_state.production_key
  }
  state_bucket = local.terraform_state == null ? null : split(":::", local.terraform_state.bucket_arn)[1]
  lock_table   = try(local.terraform_state.lock_table_arn, null)
}

# Terraform's S3 backend (developer.hashicorp.com/terraform/language/backend/s3, "Permissions Required"):
# s3:ListBucket on the bucket (s3:prefix: the state key), s3:GetObject and s3:PutObject on the key and its
# lockfile <key>.tflock, s3:DeleteObject on the lockfile only (use_lockfile), the bucket's KMS key through S3;
# with a DynamoDB lock table, dynamodb:DescribeTable, GetItem, PutItem and DeleteItem on the items of this state
# (LockID <bucket>/<key>, and the <bucket>/<key>-md5 digest). Then what an apply of the project's terraform/
# (async.tf, main.tf: module.endpoint, module.monitoring, the endpoint's security group) refreshes or replaces
# beyond launchpad deploy's calls (ManageOwnEndpoint and the alarm and scaling statements above).
data "aws_iam_policy_document" "terraform_deploy" {
  for_each = local.state_keys

  statement {
    sid       = "ListOwnState"
    actions   = ["s3:ListBucket"]
    resources = [local.terraform_state.bucket_arn]

    condition {
      test     = "StringEquals"
      variable = "s3:prefix"
      values   = [each.value]
    }
  }

  statement {
    sid       = "ReadWriteOwnState"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.terraform_state.bucket_arn}/${each.value}", "${local.terraform_state.bucket_arn}/${each.value}.tflock"]
  }

  statement {
    sid       = "ReleaseOwnLockfile"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.terraform_state.bucket_arn}/${each.value}.tflock"]
  }

  statement {
    sid       = "UseStateKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.terraform_state.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = local.lock_table == null ? [] : [1]

    content {
      sid       = "FindLockTable"
      actions   = ["dynamodb:DescribeTable"]
      resources = [local.lock_table]
    }
  }

  dynamic "statement" {
    for_each = local.lock_table == null ? [] : [1]

    content {
      sid       = "LockOwnState"
      actions   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]
      resources = [local.lock_table]

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "dynamodb:LeadingKeys"
        values   = ["${local.state_bucket}/${each.value}", "${local.state_bucket}/${each.value}-md5"]
      }
    }
  }

  # A new model version is a new model and endpoint configuration (their names hash their content), created
  # before the old ones are deleted.
  statement {
    sid       = "ReplaceOwnModelsAndConfigs"
    actions   = ["sagemaker:DeleteEndpointConfig", "sagemaker:DeleteModel"]
    resources = ["${local.sagemaker_arn}:endpoint-config/${local.deploy_targets[each.key].endpoint}-*", "${local.sagemaker_arn}:model/${local.deploy_targets[each.key].endpoint}-*"]
  }

  # The endpoint's alarms (module.monitoring's <endpoint>-<variant>-<kind>, the rollback alarms) are read
  # back with their tags.
  statement {
    sid       = "ReadOwnAlarmTags"
    actions   = ["cloudwatch:ListTagsForResource"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.deploy_targets[each.key].endpoint}-*"]
  }

  # Dashboards are global to the account: their ARNs have no region.
  statement {
    sid       = "ReadOwnDashboard"
    actions   = ["cloudwatch:GetDashboard"]
    resources = ["arn:${local.partition}:cloudwatch::${local.account_id}:dashboard/${local.deploy_targets[each.key].endpoint}-endpoint"]
  }

  # A scalable target's ARN ends in a random id no request names up front: this account's and region's targets.
  statement {
    sid       = "ReadScalableTargetTags"
    actions   = ["application-autoscaling:ListTagsForResource"]
    resources = ["arn:${local.partition}:application-autoscaling:${local.region}:${local.account_id}:scalable-target/*"]
  }

  # data.aws_prefix_list.s3 and the endpoint's security group: EC2's Describe* calls have no resource-level
  # permissions.
  statement {
    sid       = "ReadEndpointNetwork"
    actions   = ["ec2:DescribePrefixLists", "ec2:DescribeSecurityGroups"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "terraform_deploy" {
  for_each = local.state_keys

  name   = "${var.name}-${each.key}-terraform"
  role   = module.codebuild_role[each.key].name
  policy = data.aws_iam_policy_document.terraform_deploy[each.key].json
}

module "codebuild_role" {
  source   = "../iam/modules/service-role"
  for_each = local.projects

  name               = "${var.name}-${each.key}"
  description        = "CodeBuild step ${each.key} of pipeline ${var.name}."
  service_principals = ["codebuild.amazonaws.com"]
  policy_json = (
    contains(keys(local.deploy_targets), each.key) ? data.aws_iam_policy_document.deploy[each.key].json :
    each.key == "integration-test" ? data.aws_iam_policy_document.integration_test.json :
    data.aws_iam_policy_document.codebuild[each.key].json
  )
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

# -- the pipeline: the source, the artifacts it stores, its own CodeBuild projects, the approval topic --------
# CodePipeline, as this role: reads the source object's current version, stores the source artifact (SSE-KMS
# with the pipeline key), starts each CodeBuild action and reads its build, and publishes approval requests.
data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "StoreSourceArtifacts"
    actions   = ["s3:PutObject"]
    resources = [local.artifact_objects]
  }

  statement {
    sid       = "UseArtifactKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "RunOwnBuilds"
    actions   = ["codebuild:BatchGetBuilds", "codebuild:StartBuild"]
    resources = [for p in aws_codebuild_project.this : p.arn]
  }

  dynamic "statement" {
    for_each = local.s3_source ? [1] : []

    content {
      sid       = "ReadSourceObject"
      actions   = ["s3:GetObjectVersion"]
      resources = ["${module.source_bucket[0].bucket_arn}/${var.source_repository.s3_object_key}"]
    }
  }

  dynamic "statement" {
    for_each = local.s3_source ? [1] : []

    content {
      sid       = "LocateSourceBucket"
      actions   = ["s3:GetBucketVersioning"]
      resources = [module.source_bucket[0].bucket_arn]
    }
  }

  dynamic "statement" {
    for_each = local.s3_source ? [] : [1]

    content {
      sid = "UseSourceConnection"
      # The service prefix was renamed from codestar-connections to codeconnections in 2024; both are honoured.
      actions   = ["codeconnections:UseConnection", "codestar-connections:UseConnection"]
      resources = local.connection_arns
    }
  }

  dynamic "statement" {
    for_each = local.approval ? [1] : []

    content {
      sid       = "RequestApproval"
      actions   = ["sns:Publish"]
      resources = [module.approval_topic[0].arn]
    }
  }
}

module "pipeline_role" {
  source = "../iam/modules/service-role"

  name                     = "${var.name}-pipeline"
  description              = "CodePipeline ${var.name}."
  service_principals       = ["codepipeline.amazonaws.com"]
  policy_json              = data.aws_iam_policy_document.pipeline.json
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

# -- EventBridge starts the pipeline when the S3 source object changes --------------------------------------------
data "aws_iam_policy_document" "events" {
  count = local.s3_source ? 1 : 0

  statement {
    sid       = "StartThisPipeline"
    actions   = ["codepipeline:StartPipelineExecution"]
    resources = [aws_codepipeline.this.arn]
  }
}

module "events_role" {
  source = "../iam/modules/service-role"
  count  = local.s3_source ? 1 : 0

  name                     = "${var.name}-source-trigger"
  description              = "EventBridge: starts pipeline ${var.name} when its S3 source changes."
  service_principals       = ["events.amazonaws.com"]
  policy_json              = data.aws_iam_policy_document.events[0].json
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}
